/* The signal connection alone cut for 20 s (every packet to and from the server's signal
 * port dropped, loopback only) while audio and data flow on the peer connections: lkc
 * notices the silence (ping timeout), resumes when the signal is back, and the call goes
 * on: the session never ends, audio both ways, every numbered message once and in order. */
#include "call.h"
#include "interop.h"

static void signal_cut_20s(void)
{
    lkc_test_call_t *c = lkc_test_call_start("rc-signal", NULL);
    gint64 t0 = g_get_monotonic_time();
    lkc_test_netfault_signal_block();
    while (g_get_monotonic_time() - t0 < 20 * G_USEC_PER_SEC)
        g_usleep(100000); /* the fault's length is the test's: 20 s */
    lkc_test_netfault_signal_unblock();
    char msg[200];
    int64_t ms = lkc_test_call_audio_back(c, 5000, msg, sizeof msg);
    CHECK(ms >= 0 && ms <= 1000, "audio after the signal came back: %s (%lld ms)", msg, (long long)ms);
    lkc_test_events_t *ev = lkc_test_call_events(c);
    CHECK(lkc_test_events_wait(ev, "reconnected", "resume", 1, 15000),
          "lkc-a did not resume after the signal came back (%d reconnecting, %d full)",
          lkc_test_events_count(ev, "reconnecting", NULL), lkc_test_events_count(ev, "reconnected", "full"));
    CHECK_EQ_INT(lkc_test_events_count(ev, "reconnected", "full"), 0);
    fprintf(stderr, "audio both ways %lld ms after the signal came back\n", (long long)ms);
    int64_t py = lkc_test_call_peer_audio_back(c, 15000);
    fprintf(stderr, "BENCH signal_cut lkc_audio_ms=%lld py_audio_ms=%lld\n", (long long)ms,
            py < 0 ? -1LL : (long long)(ms + py));
    lkc_test_call_finish(c, "signal cut 20 s", false);
}

int main(void)
{
    lkc_test_env();
    RUN(signal_cut_20s);
    return 0;
}
