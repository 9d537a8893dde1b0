/* The server gone for good: lkc tries as the policy says (here 3 attempts, 100 ms doubling
 * to 400 ms), then ends the session with LKC_FAILURE_MAX_RETRIES and the last cause in
 * the message, within the bound the policy implies; the reliable packets it could not
 * deliver (those sent while it was trying, at least) are reported by number. */
#include <signal.h>

#include "call.h"
#include "interop.h"
#include "room/reconnect_policy.h"

static void server_gone_for_good(void)
{
    lkc_test_private_server_t *srv = lkc_test_private_server_start("rc-giveup", "");
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.reconnect_attempts = 3;
    o.reconnect_delay_ms = 100;
    o.reconnect_max_delay_ms = 400;
    char *room = lkc_test_room_name("rc-giveup");
    lkc_room_t *r = lkc_test_join_at(srv->url, room, "lkc-gu", ev, &o);
    lkc_data_options_t d;
    lkc_data_options_init(&d);
    uint64_t sent = 0;
    for (int i = 0; i < 20; i++, sent++)
        CHECK_OK(lkc_room_publish_data(r, "before", 6, &d));

    /* gone without a word (a graceful stop would tell us to leave) */
    CHECK(kill(srv->pid, SIGKILL) == 0, "cannot kill the server");
    gint64 t0 = g_get_monotonic_time();
    CHECK(lkc_test_events_wait(ev, "reconnecting", NULL, 1, 20000), "the loss of the server was not noticed");
    for (int i = 0; i < 10; i++, sent++) /* taken while reconnecting: kept, then reported */
        CHECK_OK(lkc_room_publish_data(r, "during", 6, &d));
    CHECK(lkc_test_events_wait(ev, "disconnected", NULL, 1, 30000), "lkc did not give up");
    gint64 ms = (g_get_monotonic_time() - t0) / 1000;
    lkc__reconnect_policy_t p = {3, 100, 400};
    /* each attempt: a refused connect is quick; allow the signal connect bound anyway */
    int64_t bound = lkc__reconnect_total_cap_ms(&p) + 3 * 3000 + 2000;
    CHECK(ms <= bound, "gave up after %lld ms, the policy implies at most %lld", (long long)ms, (long long)bound);
    CHECK_EQ_INT(lkc_room_failure_reason(r), LKC_FAILURE_MAX_RETRIES);
    char msg[300];
    lkc_room_failure_message(r, msg, sizeof msg);
    CHECK(strstr(msg, "gave up after 3") && strstr(msg, "last:"), "failure message: %s", msg);
    uint64_t first = 0, count = 0;
    CHECK_OK(lkc_room_undelivered_data(r, &first, &count));
    CHECK(count >= 10 && count <= sent && first + count - 1 == sent,
          "undelivered: from #%llu, %llu packet(s), of %llu sent", (unsigned long long)first, (unsigned long long)count,
          (unsigned long long)sent);
    fprintf(stderr, "gave up after %lld ms (%s); undelivered: #%llu..#%llu of %llu\n", (long long)ms, msg,
            (unsigned long long)first, (unsigned long long)(first + count - 1), (unsigned long long)sent);
    lkc_room_destroy(r);
    lkc_test_events_free(ev);
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    RUN(server_gone_for_good);
    return 0;
}
