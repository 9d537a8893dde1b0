/* UDP blackouts of 3 s and then 10 s (every packet to and from the server's RTC UDP port
 * dropped, loopback only; the signal stays up): the call goes on through both: the
 * session never ends, audio both ways is back soon after the path is, and every numbered
 * message lkc sent arrives once and in order. */
#include "call.h"
#include "interop.h"

static void blackout(lkc_test_call_t *c, int seconds)
{
    gint64 t0 = g_get_monotonic_time();
    lkc_test_netfault_udp_block();
    while (g_get_monotonic_time() - t0 < (gint64)seconds * G_USEC_PER_SEC)
        g_usleep(50000);
    lkc_test_netfault_udp_unblock();
    char msg[300];
    int64_t ms = lkc_test_call_audio_back(c, 10000, msg, sizeof msg);
    CHECK(ms >= 0, "after a %d s UDP blackout: %s", seconds, msg);
    fprintf(stderr, "UDP blackout %d s: audio both ways %lld ms after the path came back\n", seconds, (long long)ms);
    CHECK(ms <= 3000, "after a %d s UDP blackout audio came back only after %lld ms", seconds, (long long)ms);
    int64_t py = lkc_test_call_peer_audio_back(c, 15000);
    fprintf(stderr, "BENCH udp_blackout_%ds lkc_audio_ms=%lld py_audio_ms=%lld\n", seconds, (long long)ms,
            py < 0 ? -1LL : (long long)(ms + py));
}

static void udp_blackouts(void)
{
    lkc_test_call_t *c = lkc_test_call_start("rc-udp", NULL);
    blackout(c, 3);
    blackout(c, 10);
    lkc_test_call_finish(c, "UDP blackout 3 s and 10 s", false);
}

int main(void)
{
    lkc_test_env();
    RUN(udp_blackouts);
    return 0;
}
