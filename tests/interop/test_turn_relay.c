/* Through a TURN relay only: a server of its own runs livekit's built-in TURN (UDP, on
 * 127.0.0.1) and hands it out in the JoinResponse; a participant with ICE_RELAY_ONLY
 * connects both PeerConnections through relayed candidates and exchanges data, in order,
 * with a participant that connects directly. */
#include <string.h>

#include "events.h"
#include "interop.h"
#include "private_server.h"

#define MESSAGES 50

static void expect_in_order(lkc_test_events_t *ev, const char *from, const char *prefix)
{
    GPtrArray *got = lkc_test_events_list(ev, "data");
    int next = 0;
    for (guint i = 0; i < got->len; i++) {
        lkc_test_event_t *e = g_ptr_array_index(got, i);
        if (strcmp(e->a, from) != 0)
            continue;
        gsize n;
        const char *d = g_bytes_get_data(e->payload, &n);
        char want[32];
        snprintf(want, sizeof want, "%s-%d", prefix, next);
        CHECK(n == strlen(want) && memcmp(d, want, n) == 0, "message %d from %s: got '%.*s', want '%s'", next, from,
              (int)n, d, want);
        next++;
    }
    CHECK_EQ_INT(next, MESSAGES);
    g_ptr_array_unref(got);
}

static void send_numbered(lkc_room_t *r, const char *prefix)
{
    lkc_data_options_t o = {.struct_size = sizeof(lkc_data_options_t), .topic = "turn"};
    for (int i = 0; i < MESSAGES; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "%s-%d", prefix, i);
        CHECK_OK(lkc_room_publish_data(r, msg, (size_t)n, &o));
    }
}

static void data_through_relay(void)
{
    lkc_test_private_server_t *srv = lkc_test_private_server_start("turn-relay", "--turn");
    CHECK(srv->turn_port > 0, "the private server runs no TURN");
    char *room = lkc_test_room_name("turn");

    lkc_test_events_t *rev = lkc_test_events_new(), *dev = lkc_test_events_new();
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.ice_policy = LKC_ICE_RELAY_ONLY;
    gint64 t0 = g_get_monotonic_time();
    lkc_room_t *relayed = lkc_test_join_at(srv->url, room, "relayed", rev, &o);
    lkc_timeline_t tl;
    CHECK_OK(lkc_room_get_timeline(relayed, &tl));
    fprintf(stderr, "connected through the relay in %lld ms (join %lld, sub ICE %lld, pub ICE %lld)\n",
            (long long)(g_get_monotonic_time() - t0) / 1000, (long long)tl.join_received_ms,
            (long long)tl.subscriber_ice_ms, (long long)tl.publisher_ice_ms);
    lkc_room_t *direct = lkc_test_join_at(srv->url, room, "direct", dev, NULL);

    for (int which = 0; which < 2; which++) {
        lkc_pc_stats_t st;
        CHECK_OK(lkc_room_get_pc_stats(relayed, (lkc_pc_target_t)which, &st));
        fprintf(stderr, "%s: %s %s -> %s %s\n", which ? "subscriber" : "publisher", st.transport,
                st.local_candidate_type, st.remote_candidate_type, st.remote_address);
        CHECK_STR(st.local_candidate_type, "relay");
        CHECK_STR(st.dtls_state, "connected");
    }

    /* both know each other before sending: data goes to the participants present */
    CHECK(lkc_test_events_wait(rev, "participant_connected", "direct", 1, 15000), "relayed never saw direct");
    CHECK(lkc_test_events_wait(dev, "participant_connected", "relayed", 1, 15000), "direct never saw relayed");
    send_numbered(relayed, "r");
    send_numbered(direct, "d");
    CHECK(lkc_test_events_wait(dev, "data", "relayed", MESSAGES, 15000), "direct got %d of %d from relayed",
          lkc_test_events_count(dev, "data", "relayed"), MESSAGES);
    CHECK(lkc_test_events_wait(rev, "data", "direct", MESSAGES, 15000), "relayed got %d of %d from direct",
          lkc_test_events_count(rev, "data", "direct"), MESSAGES);
    expect_in_order(dev, "relayed", "r");
    expect_in_order(rev, "direct", "d");

    lkc_room_destroy(direct);
    lkc_room_destroy(relayed);
    lkc_test_events_free(dev);
    lkc_test_events_free(rev);
    g_free(room);
    lkc_test_private_server_stop();
}

int main(void)
{
    lkc_test_env();
    RUN(data_through_relay);
    return 0;
}
