/* The server killed (SIGKILL) and started again on the same ports 2 s later: every room
 * and session on it is gone, so lkc reconnects fully: the session never ends, its track
 * is published again from the same AudioSource (lkc-b hears it), lkc-a hears lkc-b again
 * on its old AudioStream, and the numbered messages sent once everyone is back arrive
 * once and in order. What was sent while the server was down and never acknowledged is
 * sent again after the rejoin; what a receiver missed while it was itself out of the
 * room is reported. */
#include "call.h"
#include "interop.h"

static void server_restart(void)
{
    lkc_test_call_t *c = lkc_test_call_start("rc-restart", NULL);
    int down_ms = lkc_test_private_server_restart_same_ports(2000);
    gint64 up = g_get_monotonic_time();
    fprintf(stderr, "server down for %d ms\n", down_ms);
    lkc_test_events_t *ev = lkc_test_call_events(c);
    CHECK(lkc_test_events_wait(ev, "reconnected", "full", 1, 20000), "lkc-a did not reconnect fully (%d reconnecting)",
          lkc_test_events_count(ev, "reconnecting", NULL));
    int64_t rejoin_ms = (g_get_monotonic_time() - up) / 1000;
    char msg[300];
    int64_t ms = lkc_test_call_audio_back(c, 15000, msg, sizeof msg);
    CHECK(ms >= 0, "after the server restart: %s", msg);
    fprintf(stderr, "server restart: lkc-a rejoined %lld ms after the server answered again; audio both ways %lld ms "
                    "after that\n",
            (long long)rejoin_ms, (long long)ms);
    CHECK_EQ_INT(lkc_room_state(lkc_test_call_room(c)), LKC_STATE_CONNECTED);
    int64_t py = lkc_test_call_peer_audio_back(c, 20000);
    int64_t lkc_total = rejoin_ms + ms;
    fprintf(stderr, "BENCH server_restart lkc_audio_ms=%lld py_audio_ms=%lld\n", (long long)lkc_total,
            py < 0 ? -1LL : (long long)(lkc_total + py));
    lkc_test_call_finish(c, "server kill -9 and restart", true);
}

int main(void)
{
    lkc_test_env();
    RUN(server_restart);
    return 0;
}
