/* Data packets between lkc and the official Python SDK through the real server:
 * 1000 reliable packets arrive complete and in order both ways, lossy packets arrive,
 * topics are kept, destination identities are honoured with three participants, 15 KiB
 * payloads pass, an oversize payload is refused with LKC_ERR_TOO_LARGE and nothing is
 * sent. Also: the participant is ACTIVE on the server within 2 s of the connect call,
 * and the connect timeline and the per-PC counters are filled in. */
#include "events.h"
#include "interop.h"
#include "peer.h"
#include "twirp.h"

static lkc_room_t *join(const char *room, const char *identity, lkc_test_events_t *ev, lkc_ice_policy_t policy)
{
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.ice_policy = policy;
    return lkc_test_join(room, identity, ev, &o);
}

static void send_text(lkc_room_t *r, const char *text, lkc_data_kind_t kind, const char *topic, const char *to)
{
    const char *dest[1] = {to};
    lkc_data_options_t o = {.struct_size = sizeof(lkc_data_options_t), .kind = kind, .topic = topic, .destination_identities = to ? dest : NULL,
                            .n_destinations = to ? 1 : 0};
    CHECK_OK(lkc_room_publish_data(r, text, strlen(text), &o));
}

static void expect_in_order(GPtrArray *list, const char *prefix, int count, const char *what)
{
    CHECK((int)list->len >= count, "%s: %u of %d packets arrived", what, list->len, count);
    for (int i = 0; i < count; i++) {
        char want[32];
        snprintf(want, sizeof want, "%s%d", prefix, i);
        const char *got = g_ptr_array_index(list, i);
        CHECK(strcmp(got, want) == 0, "%s: packet %d is \"%s\", expected \"%s\"", what, i, got, want);
    }
}

static void lkc_to_python_and_back(lkc_ice_policy_t policy, const char *label)
{
    char *room = lkc_test_room_name("data");
    lkc_test_events_t *ev = lkc_test_events_new();
    gint64 t0 = g_get_monotonic_time();
    lkc_room_t *r = join(room, "lkc-data", ev, policy);
    gint64 connected_ms = (g_get_monotonic_time() - t0) / 1000;
    lkc_test_peer_t *py = lkc_test_peer_start(room, "py-data", NULL);
    CHECK(lkc_test_events_wait(ev, "participant_connected", "py-data", 1, 15000), "lkc did not see the peer");

    /* ACTIVE on the server: measured from the connect call */
    GPtrArray *ps = lkc_test_list_participants(room);
    JsonObject *me = lkc_test_find_participant(ps, "lkc-data");
    CHECK(me && strcmp(json_object_get_string_member(me, "state"), "ACTIVE") == 0,
          "the server has lkc-data in state %s", me ? json_object_get_string_member(me, "state") : "(absent)");
    fprintf(stderr, "[%s] connected (ACTIVE on the server) %lld ms after lkc_room_connect\n", label,
            (long long)connected_ms);
    CHECK(connected_ms <= 2000, "ACTIVE took %lld ms", (long long)connected_ms);
    g_ptr_array_unref(ps);

    /* lkc -> Python: 1000 reliable, in order, topic kept */
    for (int i = 0; i < 1000; i++) {
        char msg[32];
        snprintf(msg, sizeof msg, "m%d", i);
        send_text(r, msg, LKC_DATA_RELIABLE, "seq", NULL);
    }
    CHECK(lkc_test_peer_wait(py, "data", "payload", "m999", 1, 30000), "the peer did not get m999");
    GPtrArray *evs = lkc_test_peer_events(py, "data");
    GPtrArray *texts = g_ptr_array_new();
    for (guint i = 0; i < evs->len; i++) {
        JsonObject *o = g_ptr_array_index(evs, i);
        if (strcmp(json_object_get_string_member(o, "topic"), "seq") == 0)
            g_ptr_array_add(texts, (gpointer)json_object_get_string_member(o, "payload"));
    }
    expect_in_order(texts, "m", 1000, "lkc -> python reliable");
    CHECK_STR(json_object_get_string_member(g_ptr_array_index(evs, 0), "sender"), "lkc-data");
    g_ptr_array_unref(texts);
    g_ptr_array_unref(evs);

    /* lossy */
    for (int i = 0; i < 20; i++)
        send_text(r, "lossy-hello", LKC_DATA_LOSSY, "lossy", NULL);
    CHECK(lkc_test_peer_wait(py, "data", "topic", "lossy", 1, 10000), "no lossy packet arrived");
    JsonObject *lossy = lkc_test_peer_wait(py, "data", "topic", "lossy", 1, 0);
    /* the Python SDK's DataPacketKind: KIND_LOSSY = 0, KIND_RELIABLE = 1 */
    CHECK_EQ_INT(json_object_get_int_member(lossy, "kind"), 0);
    CHECK_EQ_INT(json_object_get_int_member(lkc_test_peer_wait(py, "data", "payload", "m0", 1, 0), "kind"), 1);

    /* 15 KiB, and oversize refused */
    size_t big = 15 * 1024;
    char *payload = g_malloc(big + 1);
    memset(payload, 'x', big);
    payload[big] = '\0';
    send_text(r, payload, LKC_DATA_RELIABLE, "big", NULL);
    JsonObject *got = lkc_test_peer_wait(py, "data", "topic", "big", 1, 10000);
    CHECK(got && json_object_get_int_member(got, "size") == (gint64)big, "the 15 KiB payload did not arrive whole");
    g_free(payload);
    size_t max = lkc_room_max_data_payload(r);
    CHECK(max >= 60000, "max payload %zu", max);
    char *huge = g_malloc0(max + 100);
    /* the advertised limit is exact (no topic, no destinations): max goes, max + 1 not */
    CHECK_EQ_INT(lkc_room_publish_data(r, huge, max + 1, NULL), LKC_ERR_TOO_LARGE);
    CHECK_OK(lkc_room_publish_data(r, huge, max, NULL));
    lkc_data_options_t hopt = {.struct_size = sizeof(lkc_data_options_t), .topic = "huge"};
    CHECK_EQ_INT(lkc_room_publish_data(r, huge, max, &hopt), LKC_ERR_TOO_LARGE); /* the topic takes room */
    CHECK_OK(lkc_room_publish_data(r, huge, max - 64, &hopt));
    g_free(huge);
    /* an oversize payload is refused before anything is copied */
    size_t sixteen = 16u << 20;
    char *giant = g_malloc0(sixteen);
    int64_t refuse_t0 = g_get_monotonic_time();
    CHECK_EQ_INT(lkc_room_publish_data(r, giant, sixteen, NULL), LKC_ERR_TOO_LARGE);
    int64_t took_us = g_get_monotonic_time() - refuse_t0;
    CHECK(took_us < 5000, "a 16 MiB payload took %lld us to be refused", (long long)took_us);
    g_free(giant);
    /* subscribing to a track the room does not have */
    CHECK_EQ_INT(lkc_room_set_subscribed(r, "TR_doesnotexist", true), LKC_ERR_NOT_FOUND);
    /* an options struct that was not filled by _init is refused, nothing sent */
    lkc_data_options_t raw;
    memset(&raw, 0, sizeof raw);
    CHECK_EQ_INT(lkc_room_publish_data(r, "x", 1, &raw), LKC_ERR_INVALID_ARG);

    /* Python -> lkc: 1000 reliable in order, topic kept, and lossy */
    lkc_test_peer_cmd(py, "{\"cmd\":\"send_many\",\"count\":1000,\"prefix\":\"p\",\"topic\":\"back\"}");
    CHECK(lkc_test_peer_wait(py, "sent", NULL, NULL, 1, 60000), "the peer did not finish sending");
    CHECK(lkc_test_events_wait(ev, "data", "py-data", 1000, 30000), "lkc got %d of 1000 packets",
          lkc_test_events_count(ev, "data", "py-data"));
    GPtrArray *mine = lkc_test_events_list(ev, "data");
    GPtrArray *back = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < mine->len; i++) {
        lkc_test_event_t *e = g_ptr_array_index(mine, i);
        if (strcmp(e->b, "back") == 0) {
            gsize n;
            const char *d = g_bytes_get_data(e->payload, &n);
            g_ptr_array_add(back, g_strndup(d, n));
        }
    }
    expect_in_order(back, "p", 1000, "python -> lkc reliable");
    g_ptr_array_unref(back);
    g_ptr_array_unref(mine);
    lkc_test_peer_cmd(py, "{\"cmd\":\"send\",\"payload\":\"lossy-back\",\"reliable\":false,\"topic\":\"lb\"}");
    CHECK(lkc_test_events_wait(ev, "data", "py-data", 1001, 10000), "no lossy packet from the peer");

    /* the counters and the selected pair */
    lkc_pc_stats_t st;
    for (int which = 0; which < 2; which++) {
        CHECK_OK(lkc_room_get_pc_stats(r, (lkc_pc_target_t)which, &st));
        fprintf(stderr, "[%s] %s: %s %s->%s %s, sent %llu B / %llu pkts, received %llu B / %llu pkts\n", label,
                which ? "subscriber" : "publisher", st.transport, st.local_candidate_type, st.remote_candidate_type,
                st.remote_address, (unsigned long long)st.bytes_sent, (unsigned long long)st.packets_sent,
                (unsigned long long)st.bytes_received, (unsigned long long)st.packets_received);
        CHECK(st.packets_sent > 0 && st.packets_received > 0, "no traffic counted");
        CHECK_STR(st.dtls_state, "connected");
        CHECK_STR(st.transport, policy == LKC_ICE_TCP_ONLY ? "tcp" : "udp");
    }

    /* the timeline */
    lkc_timeline_t tl;
    CHECK_OK(lkc_room_get_timeline(r, &tl));
    fprintf(stderr, "[%s] timeline (ms): signal %lld, join %lld, sub ICE %lld DTLS %lld channels %lld, "
                    "pub ICE %lld DTLS %lld channels %lld, connected %lld\n",
            label, (long long)tl.signal_open_ms, (long long)tl.join_received_ms, (long long)tl.subscriber_ice_ms,
            (long long)tl.subscriber_dtls_ms, (long long)tl.subscriber_channels_ms, (long long)tl.publisher_ice_ms,
            (long long)tl.publisher_dtls_ms, (long long)tl.publisher_channels_ms, (long long)tl.connected_ms);
    CHECK(tl.signal_open_ms >= 0 && tl.join_received_ms >= tl.signal_open_ms &&
              tl.subscriber_dtls_ms >= tl.subscriber_ice_ms && tl.publisher_dtls_ms >= tl.publisher_ice_ms &&
              tl.publisher_channels_ms >= tl.publisher_dtls_ms && tl.connected_ms >= tl.publisher_channels_ms &&
              tl.subscriber_ice_ms >= tl.join_received_ms,
          "timeline out of order or incomplete");

    lkc_test_peer_stop(py);
    lkc_room_destroy(r);
    lkc_test_events_free(ev);
    g_free(room);
}

static void data_over_udp(void)
{
    lkc_to_python_and_back(LKC_ICE_ALL, "udp");
}

static void data_over_ice_tcp(void)
{
    lkc_to_python_and_back(LKC_ICE_TCP_ONLY, "tcp");
}

static void destinations_with_three_participants(void)
{
    char *room = lkc_test_room_name("data-dest");
    lkc_test_events_t *ea = lkc_test_events_new(), *ec = lkc_test_events_new();
    lkc_room_t *a = join(room, "lkc-a", ea, LKC_ICE_ALL);
    lkc_room_t *c = join(room, "lkc-c", ec, LKC_ICE_ALL);
    lkc_test_peer_t *py = lkc_test_peer_start(room, "py-p", NULL);
    CHECK(lkc_test_events_wait(ea, "participant_connected", "py-p", 1, 15000), "a did not see the peer");
    CHECK(lkc_test_events_wait(ec, "participant_connected", "py-p", 1, 15000), "c did not see the peer");

    send_text(a, "for-python-only", LKC_DATA_RELIABLE, "dest", "py-p");
    lkc_test_peer_cmd(py, "{\"cmd\":\"send\",\"payload\":\"for-a-only\",\"topic\":\"dest\",\"to\":[\"lkc-a\"]}");
    send_text(a, "for-everyone", LKC_DATA_RELIABLE, "all", NULL);
    CHECK(lkc_test_peer_wait(py, "data", "payload", "for-python-only", 1, 10000), "the peer missed its packet");
    CHECK(lkc_test_events_wait(ea, "data", "py-p", 1, 10000), "lkc-a missed the packet meant for it");
    /* the broadcast marks the end: once c has it, anything for c would have come too */
    CHECK(lkc_test_events_wait(ec, "data", "lkc-a", 1, 10000), "lkc-c missed the broadcast");
    CHECK(lkc_test_peer_wait(py, "data", "payload", "for-everyone", 1, 10000), "the peer missed the broadcast");
    lkc_test_peer_cmd(py, "{\"cmd\":\"send\",\"payload\":\"for-everyone-2\",\"topic\":\"all\"}");
    CHECK(lkc_test_events_wait(ec, "data", "py-p", 1, 10000), "lkc-c missed the peer's broadcast");
    GPtrArray *got = lkc_test_events_list(ec, "data");
    for (guint i = 0; i < got->len; i++) {
        lkc_test_event_t *e = g_ptr_array_index(got, i);
        CHECK(strcmp(e->b, "dest") != 0, "lkc-c received a packet meant for another (from %s)", e->a);
    }
    CHECK_EQ_INT(got->len, 2);
    g_ptr_array_unref(got);
    lkc_test_peer_stop(py);
    lkc_room_destroy(a);
    lkc_room_destroy(c);
    lkc_test_events_free(ea);
    lkc_test_events_free(ec);
    g_free(room);
}

/* The sender outruns the network: 2000 x 15 KiB (30 MB) sent back to back. With a wait
 * allowed every call succeeds and every packet arrives, in order; without one some calls
 * are refused with LKC_ERR_WOULD_BLOCK, and every packet that was taken arrives. */
static void fill(char *buf, size_t len, int n)
{
    memset(buf, 'a' + n % 26, len);
    snprintf(buf, 16, "%08d", n);
}

static void expect_numbered(lkc_test_events_t *ev, const char *from, int count, size_t len, const char *what)
{
    CHECK(lkc_test_events_wait(ev, "data", from, count, 120000), "%s: %d of %d packets arrived", what,
          lkc_test_events_count(ev, "data", from), count);
    GPtrArray *got = lkc_test_events_list(ev, "data");
    CHECK_EQ_INT((int)got->len, count);
    for (guint i = 0; i < got->len; i++) {
        lkc_test_event_t *e = g_ptr_array_index(got, i);
        gsize n;
        const char *d = g_bytes_get_data(e->payload, &n);
        char want[16];
        snprintf(want, sizeof want, "%08u", i);
        CHECK(n == len && memcmp(d, want, 8) == 0 && d[n - 1] == 'a' + (char)(i % 26),
              "%s: packet %u is %.8s (%zu bytes), expected %s", what, i, n >= 8 ? d : "?", (size_t)n, want);
    }
    g_ptr_array_unref(got);
}

static void reliable_burst_backpressure(void)
{
    char *room = lkc_test_room_name("data-burst");
    lkc_test_events_t *es = lkc_test_events_new(), *er = lkc_test_events_new();
    lkc_room_t *snd = join(room, "lkc-sender", es, LKC_ICE_ALL);
    lkc_room_t *rcv = join(room, "lkc-receiver", er, LKC_ICE_ALL);
    CHECK(lkc_test_events_wait(es, "participant_connected", "lkc-receiver", 1, 15000), "no receiver");
    const size_t len = 15 * 1024;
    const int count = 2000;
    char *buf = g_malloc(len);
    lkc_data_options_t wait = {.struct_size = sizeof(lkc_data_options_t), .topic = "burst", .timeout_ms = 30000};
    for (int i = 0; i < count; i++) {
        fill(buf, len, i);
        int rc = lkc_room_publish_data(snd, buf, len, &wait);
        CHECK(rc == LKC_OK, "packet %d: %s", i, lkc_err_str(rc));
    }
    expect_numbered(er, "lkc-sender", count, len, "with waits");

    /* no waiting: the caller sees the backpressure and nothing it handed over is lost */
    lkc_room_destroy(rcv); /* a fresh receiver, so its events count this phase only */
    lkc_test_events_free(er);
    er = lkc_test_events_new();
    rcv = join(room, "lkc-receiver-2", er, LKC_ICE_ALL);
    CHECK(lkc_test_events_wait(es, "participant_connected", "lkc-receiver-2", 1, 15000), "no receiver");
    lkc_data_options_t nowait = {.struct_size = sizeof(lkc_data_options_t), .topic = "burst"};
    int taken = 0, refused = 0;
    for (int i = 0; i < count; i++) {
        fill(buf, len, taken);
        int rc = lkc_room_publish_data(snd, buf, len, &nowait);
        CHECK(rc == LKC_OK || rc == LKC_ERR_WOULD_BLOCK, "packet %d: %s", i, lkc_err_str(rc));
        if (rc == LKC_OK)
            taken++;
        else
            refused++;
    }
    fprintf(stderr, "without waiting: %d packets taken, %d refused with LKC_ERR_WOULD_BLOCK\n", taken, refused);
    CHECK(refused > 0, "2000 x 15 KiB back to back never met the queue's bound");
    expect_numbered(er, "lkc-sender", taken, len, "without waits");
    g_free(buf);
    lkc_room_destroy(snd);
    lkc_room_destroy(rcv);
    lkc_test_events_free(es);
    lkc_test_events_free(er);
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    RUN(data_over_udp);
    RUN(data_over_ice_tcp);
    RUN(destinations_with_three_participants);
    RUN(reliable_burst_backpressure);
    return 0;
}
