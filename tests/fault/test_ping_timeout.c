/* A server that stops answering (SIGSTOP: the TCP connection stays up, nothing arrives)
 * is detected by LiveKit's ping/pong within ping_timeout + 2 s, and the room can still
 * be destroyed promptly. Reconnection is off here (reconnect_attempts = 0) so the
 * detection itself ends the session. Uses a server of its own so the shared one is not
 * paused. */
#include <signal.h>
#include <sys/wait.h>

#include "events.h"
#include "interop.h"
#include "private_server.h"

static void ping_timeout_detected(void)
{
    lkc_test_private_server_t *srv = lkc_test_private_server_start("ping-timeout", "");
    const char *url = srv->url;
    int server_pid = srv->pid;
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.reconnect_attempts = 0;
    lkc_test_events_install(ev, &o);
    lkc_room_t *room = NULL;
    CHECK_OK(lkc_room_create(&o, &room));
    char *tok = lkc_test_token("ping-timeout", "pinger", NULL, NULL);
    CHECK_OK(lkc_room_connect(room, url, tok));
    lkc_free(tok);
    CHECK_OK(lkc_room_wait_connected(room, 15000));

    CHECK(kill(server_pid, SIGSTOP) == 0, "cannot pause the server");
    gint64 t0 = g_get_monotonic_time();
    const int ping_timeout_s = 15; /* what livekit-server sends in JoinResponse */
    bool ended = lkc_test_events_wait(ev, "disconnected", NULL, 1, (ping_timeout_s + 10) * 1000);
    gint64 ms = (g_get_monotonic_time() - t0) / 1000;
    kill(server_pid, SIGCONT);
    CHECK(ended, "a paused server was not detected within %d s", ping_timeout_s + 10);
    fprintf(stderr, "paused server detected after %lld ms\n", (long long)ms);
    CHECK_EQ_INT(lkc_room_failure_reason(room), LKC_FAILURE_PING_TIMEOUT);
    CHECK(ms <= (ping_timeout_s + 2) * 1000, "detected after %lld ms, bound %d ms", (long long)ms,
          (ping_timeout_s + 2) * 1000);
    gint64 t1 = g_get_monotonic_time();
    lkc_room_destroy(room);
    CHECK((g_get_monotonic_time() - t1) / 1000 < 2000, "destroy after a ping timeout was slow");
    lkc_test_events_free(ev);
    lkc_test_private_server_stop();
}

int main(void)
{
    lkc_test_env();
    RUN(ping_timeout_detected);
    return 0;
}
