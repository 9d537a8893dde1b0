/* The server frozen for 20 s (SIGSTOP, then SIGCONT): lkc notices (ping timeout), keeps
 * trying, and resumes once the server answers again: the session never ends, audio both
 * ways comes back, every numbered message lkc sent arrives once and in order. */
#include "call.h"
#include "interop.h"

static void server_paused_20s(void)
{
    lkc_test_call_t *c = lkc_test_call_start("rc-pause", NULL);
    gint64 t0 = g_get_monotonic_time();
    lkc_test_private_server_pause();
    while (g_get_monotonic_time() - t0 < 20 * G_USEC_PER_SEC)
        g_usleep(100000);
    lkc_test_private_server_resume();
    char msg[300];
    int64_t ms = lkc_test_call_audio_back(c, 15000, msg, sizeof msg);
    CHECK(ms >= 0, "after the server was paused for 20 s: %s", msg);
    fprintf(stderr, "server paused 20 s: audio both ways %lld ms after SIGCONT\n", (long long)ms);
    lkc_test_events_t *ev = lkc_test_call_events(c);
    CHECK(lkc_test_events_wait(ev, "reconnected", NULL, 1, 15000), "lkc-a did not report reconnected");
    lkc_test_call_finish(c, "server paused 20 s", false);
}

int main(void)
{
    lkc_test_env();
    RUN(server_paused_20s);
    return 0;
}
