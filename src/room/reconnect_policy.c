#include "room/reconnect_policy.h"

static int64_t cap_of(const lkc__reconnect_policy_t *p, int n)
{
    if (n <= 1)
        return 0;
    int64_t cap = p->base_ms;
    for (int i = 2; i < n && cap < p->max_ms; i++)
        cap *= 2;
    return cap < p->max_ms ? cap : p->max_ms;
}

int lkc__reconnect_delay_ms(const lkc__reconnect_policy_t *p, int n, uint32_t random)
{
    if (n < 1 || n > p->attempts)
        return -1;
    int64_t cap = cap_of(p, n);
    return cap <= 0 ? 0 : (int)(random % (uint64_t)(cap + 1));
}

int64_t lkc__reconnect_total_cap_ms(const lkc__reconnect_policy_t *p)
{
    int64_t sum = 0;
    for (int n = 1; n <= p->attempts; n++)
        sum += cap_of(p, n);
    return sum;
}
