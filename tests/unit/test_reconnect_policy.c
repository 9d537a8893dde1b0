/* room/reconnect_policy: the first attempt at once, then full-jitter exponential backoff
 * capped at max_ms, and no attempt past the count. */
#include "room/reconnect_policy.h"
#include "test.h"

static void delays(void)
{
    lkc__reconnect_policy_t p = {10, 300, 7000};
    CHECK_EQ_INT(lkc__reconnect_delay_ms(&p, 1, 12345), 0);
    CHECK_EQ_INT(lkc__reconnect_delay_ms(&p, 2, UINT32_MAX), (int)(UINT32_MAX % 301));
    int caps[] = {0, 0, 300, 600, 1200, 2400, 4800, 7000, 7000, 7000, 7000};
    for (int n = 1; n <= 10; n++)
        for (uint32_t r = 0; r < 20000; r += 997) {
            int d = lkc__reconnect_delay_ms(&p, n, r);
            CHECK(d >= 0 && d <= caps[n], "attempt %d waits %d ms, cap %d", n, d, caps[n]);
        }
    CHECK_EQ_INT(lkc__reconnect_delay_ms(&p, 3, 601), 0);   /* 601 % (600 + 1): a full-jitter draw can be 0 */
    CHECK_EQ_INT(lkc__reconnect_delay_ms(&p, 11, 0), -1);   /* past the count: give up */
    CHECK_EQ_INT(lkc__reconnect_delay_ms(&p, 0, 0), -1);
    CHECK_EQ_INT((int)lkc__reconnect_total_cap_ms(&p), 0 + 300 + 600 + 1200 + 2400 + 4800 + 7000 * 4);
    lkc__reconnect_policy_t never = {0, 300, 7000};
    CHECK_EQ_INT(lkc__reconnect_delay_ms(&never, 1, 0), -1);
    lkc__reconnect_policy_t flat = {3, 0, 0};
    CHECK_EQ_INT(lkc__reconnect_delay_ms(&flat, 3, 99), 0);
}

int main(void)
{
    RUN(delays);
    return 0;
}
