/* room/data: the engine half of data packets with a fake channel port. Sending: reliable
 * sequence numbers, packets kept while the channels are not open, SCTP backpressure on
 * reliable packets (queued, in order, no number skipped), lossy packets dropped when
 * refused, and the room's queue accounting. Receiving: de-duplication per sender,
 * malformed and non-user packets, and what on_data_received sees. */
#include <glib.h>

#include "lkc/lkc.h"
#include "livekit_models.pb-c.h"
#include "room/data.h"
#include "test.h"

/* --- the fake channel port --------------------------------------------------------- */

typedef struct {
    lkc_data_kind_t kind;    /* the channel it was given to */
    int wire_kind;           /* DataPacket.kind as encoded */
    uint32_t seq;
    char *payload;
    char *topic;
    size_t n_destinations;
    int rc;                  /* what the port answered */
} attempt_t;

static struct {
    int rc;                  /* what send answers next */
    GArray *attempts;        /* of attempt_t: every call of send */
} port;

static int fake_send(void *user, lkc_data_kind_t kind, const uint8_t *buf, size_t len)
{
    CHECK(user == &port, "send got the wrong user pointer");
    Livekit__DataPacket *dp = livekit__data_packet__unpack(NULL, len, buf);
    CHECK(dp != NULL, "send was given bytes that are not a DataPacket (%zu bytes)", len);
    CHECK(dp->value_case == LIVEKIT__DATA_PACKET__VALUE_USER && dp->user, "not a user packet");
    attempt_t a = {
        .kind = kind,
        .wire_kind = (int)dp->kind,
        .seq = dp->sequence,
        .payload = g_strndup((const char *)dp->user->payload.data, dp->user->payload.len),
        .topic = g_strdup(dp->user->topic ? dp->user->topic : ""),
        .n_destinations = dp->n_destination_identities,
        .rc = port.rc,
    };
    g_array_append_val(port.attempts, a);
    livekit__data_packet__free_unpacked(dp, NULL);
    return port.rc;
}

static void attempt_clear(gpointer p)
{
    attempt_t *a = p;
    g_free(a->payload);
    g_free(a->topic);
}

static attempt_t *attempt(guint i)
{
    CHECK(i < port.attempts->len, "attempt %u of %u", i, port.attempts->len);
    return &g_array_index(port.attempts, attempt_t, i);
}

/* The packets the port accepted since the last call, as "payload#seq" separated by
 * spaces; forgets every attempt. */
static char *take_sent(void)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < port.attempts->len; i++) {
        attempt_t *a = attempt(i);
        if (a->rc != LKC_OK)
            continue;
        CHECK_EQ_INT(a->wire_kind, a->kind == LKC_DATA_LOSSY ? LIVEKIT__DATA_PACKET__KIND__LOSSY
                                                             : LIVEKIT__DATA_PACKET__KIND__RELIABLE);
        if (a->kind == LKC_DATA_LOSSY)
            CHECK(a->seq == 0, "lossy packet %s carries sequence %u", a->payload, a->seq);
        g_string_append_printf(s, "%s%s#%u", s->len ? " " : "", a->payload, a->seq);
    }
    g_array_set_size(port.attempts, 0);
    return g_string_free(s, FALSE);
}

#define CHECK_SENT(want)                                                                \
    do {                                                                                \
        char *_s = take_sent();                                                         \
        CHECK(strcmp(_s, (want)) == 0, "sent \"%s\", expected \"%s\"", _s, (want));     \
        g_free(_s);                                                                     \
    } while (0)

/* --- the room and its received packets ------------------------------------------- */

static GPtrArray *received; /* "identity|sid|topic|payload|kind" */

static void on_data_received(lkc_room_t *room, const lkc_data_packet_t *p, void *user)
{
    (void)room;
    CHECK(user == &received, "handler got the wrong user pointer");
    CHECK(p->sender_identity && p->sender_sid && p->topic && p->payload, "NULL field in a received packet");
    g_ptr_array_add(received, g_strdup_printf("%s|%s|%s|%.*s|%s", p->sender_identity, p->sender_sid, p->topic,
                                              (int)p->len, (const char *)p->payload,
                                              p->kind == LKC_DATA_LOSSY ? "lossy" : "reliable"));
}

static char *take_received(void)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < received->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", (const char *)g_ptr_array_index(received, i));
    g_ptr_array_set_size(received, 0);
    return g_string_free(s, FALSE);
}

#define CHECK_RECEIVED(want)                                                            \
    do {                                                                                \
        char *_s = take_received();                                                     \
        CHECK(strcmp(_s, (want)) == 0, "received \"%s\", expected \"%s\"", _s, (want)); \
        g_free(_s);                                                                     \
    } while (0)

static lkc_room_t *new_room(void)
{
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.user = &received;
    o.handlers.on_data_received = on_data_received;
    lkc_room_t *room = NULL;
    CHECK_OK(lkc_room_create(&o, &room));
    return room;
}

static lkc_data_t *new_data(lkc_room_t *room)
{
    port.rc = LKC_OK;
    g_array_set_size(port.attempts, 0);
    lkc__data_ports_t ports = {.send = fake_send, .user = &port};
    lkc_data_t *d = lkc__data_new(room, &ports);
    CHECK(d != NULL, "no data part");
    CHECK_EQ_INT(lkc__data_next_seq(d), 1);
    CHECK_EQ_INT(lkc__data_queued(d), 0);
    return d;
}

#define COST 100

/* A packet as lkc_room_publish_data hands it to the engine: counted in the room first. */
static lkc__outgoing_t *out(lkc_room_t *room, lkc_data_kind_t kind, const char *payload, const char *topic)
{
    lkc__outgoing_t *o = lkc__outgoing_user(kind, payload, strlen(payload), topic, NULL, 0);
    o->room = room;
    o->cost = COST;
    atomic_fetch_add(&room->data_queued, COST);
    return o;
}
#define REL LKC_DATA_RELIABLE
#define LOSSY LKC_DATA_LOSSY

static size_t queued_bytes(lkc_room_t *room)
{
    return atomic_load(&room->data_queued);
}

/* --- sending ------------------------------------------------------------------------ */

static void sequence_numbers(void)
{
    lkc_room_t *room = new_room();
    lkc_data_t *d = new_data(room);
    lkc__data_send(d, out(room, REL, "r1", NULL));
    lkc__data_send(d, out(room, REL, "r2", "chat"));
    lkc__data_send(d, out(room, LOSSY, "l1", NULL)); /* lossy packets take no number */
    lkc__data_send(d, out(room, REL, "r3", NULL));
    CHECK_EQ_INT(attempt(1)->kind, LKC_DATA_RELIABLE);
    CHECK_STR(attempt(1)->topic, "chat");
    CHECK_EQ_INT(attempt(2)->kind, LKC_DATA_LOSSY);
    CHECK_SENT("r1#1 r2#2 l1#0 r3#3");
    CHECK_EQ_INT(lkc__data_next_seq(d), 4);
    CHECK_EQ_INT(lkc__data_queued(d), 0);
    lkc__data_acked_all(d); /* the server has them: the replay buffer lets go */
    CHECK_EQ_INT(queued_bytes(room), 0);

    /* destinations reach the wire */
    const char *const to[] = {"alice", "bob"};
    lkc__outgoing_t *o = lkc__outgoing_user(REL, "r4", 2, NULL, to, 2);
    o->room = room;
    o->cost = COST;
    atomic_fetch_add(&room->data_queued, COST);
    lkc__data_send(d, o);
    CHECK_EQ_INT(attempt(0)->n_destinations, 2);
    CHECK_SENT("r4#4");
    lkc__data_acked_all(d); /* the server has them: the replay buffer lets go */
    CHECK_EQ_INT(queued_bytes(room), 0);
    lkc__data_free(d);
    lkc_room_destroy(room);
}

/* Channels not open yet (LKC_ERR_STATE): everything waits, in order, and flush sends it. */
static void kept_until_open(void)
{
    lkc_room_t *room = new_room();
    lkc_data_t *d = new_data(room);
    port.rc = LKC_ERR_STATE;
    lkc__data_send(d, out(room, REL, "r1", NULL));
    lkc__data_send(d, out(room, LOSSY, "l1", NULL));
    lkc__data_send(d, out(room, REL, "r2", NULL));
    CHECK_SENT("");
    CHECK_EQ_INT(lkc__data_queued(d), 3);
    CHECK_EQ_INT(queued_bytes(room), 3 * COST);
    CHECK_EQ_INT(lkc__data_next_seq(d), 1);

    lkc__data_flush(d); /* still not open */
    CHECK_SENT("");
    CHECK_EQ_INT(lkc__data_queued(d), 3);

    port.rc = LKC_OK;
    lkc__data_flush(d);
    CHECK_SENT("r1#1 l1#0 r2#2");
    CHECK_EQ_INT(lkc__data_queued(d), 0);
    lkc__data_acked_all(d); /* the server has them: the replay buffer lets go */
    CHECK_EQ_INT(queued_bytes(room), 0);
    CHECK_EQ_INT(lkc__data_next_seq(d), 3);
    lkc__data_free(d);
    lkc_room_destroy(room);
}

/* SCTP full on a reliable packet: it and everything after it wait for sendable; retried
 * with the same number; nothing lost, nothing reordered, no number skipped. */
static void backpressure_keeps_reliable(void)
{
    lkc_room_t *room = new_room();
    lkc_data_t *d = new_data(room);
    lkc__data_send(d, out(room, REL, "r1", NULL));
    CHECK_SENT("r1#1");
    lkc__data_acked_all(d);

    port.rc = LKC_ERR_WOULD_BLOCK;
    lkc__data_send(d, out(room, REL, "r2", NULL));
    CHECK_EQ_INT(port.attempts->len, 1);
    CHECK_EQ_INT(attempt(0)->seq, 2);
    CHECK_SENT("");
    CHECK_EQ_INT(lkc__data_queued(d), 1);
    CHECK_EQ_INT(queued_bytes(room), COST);

    /* while blocked, the port is not asked again, not even when it would say yes */
    port.rc = LKC_OK;
    lkc__data_send(d, out(room, REL, "r3", NULL));
    lkc__data_send(d, out(room, LOSSY, "l1", NULL));
    lkc__data_flush(d);
    CHECK_EQ_INT(port.attempts->len, 0);
    CHECK_EQ_INT(lkc__data_queued(d), 3);
    CHECK_EQ_INT(queued_bytes(room), 3 * COST);
    CHECK_EQ_INT(lkc__data_next_seq(d), 2);

    /* sendable, but the buffer fills again after one packet */
    port.rc = LKC_ERR_WOULD_BLOCK;
    lkc__data_sendable(d);
    CHECK_EQ_INT(port.attempts->len, 1);
    CHECK_EQ_INT(attempt(0)->seq, 2); /* the same number again */
    CHECK_SENT("");
    CHECK_EQ_INT(lkc__data_queued(d), 3);

    port.rc = LKC_OK;
    lkc__data_sendable(d);
    CHECK_SENT("r2#2 r3#3 l1#0");
    CHECK_EQ_INT(lkc__data_queued(d), 0);
    lkc__data_acked_all(d); /* the server has them: the replay buffer lets go */
    CHECK_EQ_INT(queued_bytes(room), 0);
    CHECK_EQ_INT(lkc__data_next_seq(d), 4);

    lkc__data_send(d, out(room, REL, "r4", NULL));
    CHECK_SENT("r4#4");
    lkc__data_free(d);
    lkc_room_destroy(room);
}

/* A lossy packet the channel refuses is dropped (and un-counted); it does not block
 * the reliable packets behind it. */
static void lossy_refused_is_dropped(void)
{
    lkc_room_t *room = new_room();
    lkc_data_t *d = new_data(room);
    port.rc = LKC_ERR_WOULD_BLOCK;
    lkc__data_send(d, out(room, LOSSY, "l1", NULL));
    lkc__data_send(d, out(room, LOSSY, "l2", NULL));
    CHECK_EQ_INT(port.attempts->len, 2);
    CHECK_SENT("");
    CHECK_EQ_INT(lkc__data_queued(d), 0);
    lkc__data_acked_all(d); /* the server has them: the replay buffer lets go */
    CHECK_EQ_INT(queued_bytes(room), 0);

    port.rc = LKC_OK;
    lkc__data_send(d, out(room, REL, "r1", NULL));
    lkc__data_send(d, out(room, LOSSY, "l3", NULL));
    CHECK_SENT("r1#1 l3#0");
    lkc__data_acked_all(d); /* the server has them: the replay buffer lets go */
    CHECK_EQ_INT(queued_bytes(room), 0);
    lkc__data_free(d);
    lkc_room_destroy(room);
}

/* Another error from the channel drops the packet; a reliable one gives its number to
 * the next packet, so the receivers see no gap. */
static void error_drops_without_gap(void)
{
    lkc_room_t *room = new_room();
    lkc_data_t *d = new_data(room);
    lkc__data_send(d, out(room, REL, "r1", NULL));
    port.rc = LKC_ERR_IO;
    lkc__data_send(d, out(room, REL, "bad", NULL));
    lkc__data_send(d, out(room, LOSSY, "bad-lossy", NULL));
    CHECK_EQ_INT(lkc__data_queued(d), 0);
    lkc__data_acked_all(d); /* the server has them: the replay buffer lets go */
    CHECK_EQ_INT(queued_bytes(room), 0);
    port.rc = LKC_OK;
    lkc__data_send(d, out(room, REL, "r2", NULL));
    CHECK_SENT("r1#1 r2#2");
    lkc__data_free(d);
    lkc_room_destroy(room);
}

/* What is still queued when the session ends is freed and un-counted. */
static void free_uncounts(void)
{
    lkc_room_t *room = new_room();
    lkc_data_t *d = new_data(room);
    port.rc = LKC_ERR_STATE;
    lkc__data_send(d, out(room, REL, "r1", NULL));
    lkc__data_send(d, out(room, LOSSY, "l1", NULL));
    CHECK_EQ_INT(queued_bytes(room), 2 * COST);
    lkc__data_free(d);
    lkc__data_free(NULL);
    CHECK_EQ_INT(queued_bytes(room), 0);
    g_array_set_size(port.attempts, 0);

    /* a blocked queue too */
    d = new_data(room);
    port.rc = LKC_ERR_WOULD_BLOCK;
    lkc__data_send(d, out(room, REL, "r1", NULL));
    lkc__data_send(d, out(room, REL, "r2", NULL));
    CHECK_EQ_INT(queued_bytes(room), 2 * COST);
    lkc__data_free(d);
    CHECK_EQ_INT(queued_bytes(room), 0);
    g_array_set_size(port.attempts, 0);
    lkc_room_destroy(room);
}

/* --- receiving ---------------------------------------------------------------------- */

typedef struct {
    const char *sid;
    const char *identity;       /* DataPacket.participant_identity */
    const char *user_identity;  /* UserPacket.participant_identity (older servers) */
    const char *user_sid;       /* UserPacket.participant_sid (older servers) */
    const char *topic;
    const char *payload;
    uint32_t seq;
} incoming_t;

static uint8_t *encode(const incoming_t *in, size_t *len)
{
    Livekit__UserPacket u = LIVEKIT__USER_PACKET__INIT;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    if (in->payload) {
        u.payload.data = (uint8_t *)in->payload;
        u.payload.len = strlen(in->payload);
    }
    if (in->topic)
        u.topic = (char *)in->topic;
    if (in->user_identity)
        u.participant_identity = (char *)in->user_identity;
    if (in->user_sid)
        u.participant_sid = (char *)in->user_sid;
    if (in->sid)
        dp.participant_sid = (char *)in->sid;
    if (in->identity)
        dp.participant_identity = (char *)in->identity;
    dp.sequence = in->seq;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_USER;
    dp.user = &u;
    *len = livekit__data_packet__get_packed_size(&dp);
    uint8_t *buf = g_malloc(*len ? *len : 1);
    livekit__data_packet__pack(&dp, buf);
    return buf;
}

static void receive(lkc_data_t *d, lkc_data_kind_t kind, incoming_t in)
{
    size_t len;
    uint8_t *buf = encode(&in, &len);
    lkc__data_receive(d, buf, len, kind);
    g_free(buf);
}

#define FROM_A(s_, p_) (incoming_t){.sid = "PA_a", .identity = "alice", .topic = "t", .payload = (p_), .seq = (s_)}
#define FROM_B(s_, p_) (incoming_t){.sid = "PA_b", .identity = "bob", .payload = (p_), .seq = (s_)}

static void dedup_per_sender(void)
{
    lkc_room_t *room = new_room();
    lkc_data_t *d = new_data(room);
    receive(d, REL, FROM_A(1, "a1"));
    receive(d, REL, FROM_A(2, "a2"));
    receive(d, REL, FROM_A(2, "a2-again")); /* duplicate */
    receive(d, REL, FROM_A(1, "a1-again")); /* older */
    receive(d, REL, FROM_B(1, "b1"));       /* another sender counts on its own */
    receive(d, REL, FROM_A(3, "a3"));
    receive(d, REL, FROM_B(1, "b1-again"));
    receive(d, REL, FROM_B(5, "b5"));       /* a gap is fine: nothing is waited for */
    receive(d, REL, FROM_B(4, "b4"));
    receive(d, REL, FROM_A(3, "a3-again"));
    CHECK_RECEIVED("alice|PA_a|t|a1|reliable alice|PA_a|t|a2|reliable bob|PA_b||b1|reliable "
                   "alice|PA_a|t|a3|reliable bob|PA_b||b5|reliable");

    /* packets without a number (older senders, the server API) are all delivered */
    receive(d, REL, FROM_A(0, "n1"));
    receive(d, REL, FROM_A(0, "n1"));
    /* nor are packets without a sender sid numbered */
    receive(d, REL, (incoming_t){.identity = "srv", .payload = "s", .seq = 1});
    receive(d, REL, (incoming_t){.identity = "srv", .payload = "s", .seq = 1});
    CHECK_RECEIVED("alice|PA_a|t|n1|reliable alice|PA_a|t|n1|reliable srv|||s|reliable srv|||s|reliable");

    /* lossy packets are not de-duplicated */
    receive(d, LOSSY, FROM_A(1, "l1"));
    receive(d, LOSSY, FROM_A(1, "l1"));
    CHECK_RECEIVED("alice|PA_a|t|l1|lossy alice|PA_a|t|l1|lossy");
    /* and did not disturb the reliable numbering */
    receive(d, REL, FROM_A(4, "a4"));
    CHECK_RECEIVED("alice|PA_a|t|a4|reliable");

    /* a new session (new data part) starts every sender afresh */
    lkc__data_free(d);
    d = new_data(room);
    receive(d, REL, FROM_A(1, "a1-new-session"));
    CHECK_RECEIVED("alice|PA_a|t|a1-new-session|reliable");
    lkc__data_free(d);
    lkc_room_destroy(room);
}

static void sender_fields(void)
{
    lkc_room_t *room = new_room();
    lkc_data_t *d = new_data(room);
    /* the identity of the DataPacket wins; the UserPacket's is the fallback */
    receive(d, REL, (incoming_t){.sid = "PA_a", .identity = "alice", .user_identity = "old-alice",
                                 .topic = "chat", .payload = "hi"});
    receive(d, REL, (incoming_t){.sid = "PA_a", .user_identity = "old-alice", .payload = "hi"});
    receive(d, REL, (incoming_t){.user_sid = "PA_old", .user_identity = "old", .payload = "x"});
    /* an empty payload and no topic */
    receive(d, LOSSY, (incoming_t){.sid = "PA_b", .identity = "bob"});
    CHECK_RECEIVED("alice|PA_a|chat|hi|reliable old-alice|PA_a||hi|reliable old|PA_old||x|reliable "
                   "bob|PA_b|||lossy");

    /* a payload with NUL bytes arrives whole */
    static const uint8_t bin[] = {0, 1, 2, 0, 255};
    Livekit__UserPacket u = LIVEKIT__USER_PACKET__INIT;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    u.payload.data = (uint8_t *)bin;
    u.payload.len = sizeof bin;
    dp.participant_sid = "PA_c";
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_USER;
    dp.user = &u;
    uint8_t buf[64];
    size_t n = livekit__data_packet__pack(&dp, buf);
    lkc__data_receive(d, buf, n, REL);
    CHECK_EQ_INT(received->len, 1);
    const char *got = g_ptr_array_index(received, 0);
    CHECK(memcmp(got, "|PA_c||", 7) == 0, "binary packet: %s", got);
    g_ptr_array_set_size(received, 0);
    lkc__data_free(d);
    lkc_room_destroy(room);
}

static void malformed_and_other_packets(void)
{
    lkc_room_t *room = new_room();
    lkc_data_t *d = new_data(room);

    static const uint8_t junk1[] = {0xff, 0xff, 0xff, 0xff};
    static const uint8_t junk2[] = {0x12, 0x50, 0x01}; /* user: length 80, 1 byte there */
    static const uint8_t junk3[] = {0x80};             /* truncated varint */
    lkc__data_receive(d, junk1, sizeof junk1, REL);
    lkc__data_receive(d, junk2, sizeof junk2, REL);
    lkc__data_receive(d, junk3, sizeof junk3, LOSSY);
    lkc__data_receive(d, (const uint8_t *)"", 0, REL); /* empty: a DataPacket with nothing set */
    /* a real packet cut short */
    size_t len;
    uint8_t *buf = encode(&FROM_A(1, "truncated packet"), &len);
    for (size_t cut = 1; cut < len; cut++)
        lkc__data_receive(d, buf, cut, REL);
    g_free(buf);
    /* a prefix that ends between two fields is a valid, shorter packet (possibly
     * delivered); what matters is no crash and that a good packet still works after */
    g_ptr_array_set_size(received, 0);

    /* non-user packets: SIP DTMF, RPC ack; ignored, but a numbered one still counts for
     * its sender's de-duplication */
    Livekit__SipDTMF dtmf = LIVEKIT__SIP_DTMF__INIT;
    dtmf.code = 5;
    dtmf.digit = "5";
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.participant_sid = "PA_z";
    dp.participant_identity = "zed";
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_SIP_DTMF;
    dp.sip_dtmf = &dtmf;
    dp.sequence = 7;
    uint8_t b[128];
    size_t n = livekit__data_packet__pack(&dp, b);
    lkc__data_receive(d, b, n, REL);
    Livekit__RpcAck ack = LIVEKIT__RPC_ACK__INIT;
    ack.request_id = "req-1";
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_RPC_ACK;
    dp.rpc_ack = &ack;
    dp.sequence = 8;
    n = livekit__data_packet__pack(&dp, b);
    lkc__data_receive(d, b, n, REL);
    CHECK_RECEIVED("");
    receive(d, REL, (incoming_t){.sid = "PA_z", .identity = "zed", .payload = "old", .seq = 8});
    receive(d, REL, (incoming_t){.sid = "PA_z", .identity = "zed", .payload = "new", .seq = 9});
    CHECK_RECEIVED("zed|PA_z||new|reliable");

    /* after all that, a good packet is delivered */
    receive(d, REL, FROM_A(2, "fine"));
    CHECK_RECEIVED("alice|PA_a|t|fine|reliable");
    lkc__data_free(d);
    lkc_room_destroy(room);
}

/* No handler runs once destroy was requested. */
static void handlers_off(void)
{
    lkc_room_t *room = new_room();
    lkc_data_t *d = new_data(room);
    atomic_store(&room->handlers_off, true);
    receive(d, REL, FROM_A(1, "quiet"));
    CHECK_RECEIVED("");
    atomic_store(&room->handlers_off, false);
    lkc__data_free(d);
    lkc_room_destroy(room);
}

/* The replay buffer: a reliable packet stays until the server has it (SCTP's all-acked, or
 * the ReconnectResponse's last sequence); a resume sends the rest again with the same
 * numbers, a full reconnect with new ones from 1; a channel that is gone keeps packets;
 * what is not known delivered is reported by number. */
static void replay_across_reconnects(void)
{
    lkc_room_t *room = new_room();
    lkc_data_t *d = new_data(room);
    uint64_t first, count;
    lkc__data_send(d, out(room, REL, "r1", NULL));
    lkc__data_send(d, out(room, REL, "r2", NULL));
    lkc__data_send(d, out(room, LOSSY, "l1", NULL));
    lkc__data_send(d, out(room, REL, "r3", NULL));
    CHECK_SENT("r1#1 r2#2 l1#0 r3#3");
    CHECK_EQ_INT(lkc__data_unacked(d), 3); /* lossy packets are never kept */
    lkc__data_undelivered(d, &first, &count);
    CHECK(first == 1 && count == 3, "undelivered %llu+%llu", (unsigned long long)first, (unsigned long long)count);

    /* the connection is lost: a reliable packet refused as closed waits */
    port.rc = LKC_ERR_CLOSED;
    lkc__data_send(d, out(room, REL, "r4", NULL));
    CHECK_EQ_INT(lkc__data_queued(d), 1);
    g_free(take_sent());

    /* a resume: the server has #1; #2, #3 go again with their numbers, then r4 as #4 */
    port.rc = LKC_OK;
    lkc__data_resume(d, 1);
    lkc__data_flush(d);
    CHECK_SENT("r2#2 r3#3 r4#4");
    lkc__data_undelivered(d, &first, &count);
    CHECK(first == 2 && count == 3, "undelivered %llu+%llu", (unsigned long long)first, (unsigned long long)count);

    /* a full reconnect: a new session numbers from 1 again, in the same order */
    lkc__data_restart(d);
    lkc__data_flush(d);
    CHECK_SENT("r2#1 r3#2 r4#3");
    lkc__data_send(d, out(room, REL, "r5", NULL));
    CHECK_SENT("r5#4");

    lkc__data_acked_all(d);
    lkc__data_undelivered(d, &first, &count);
    CHECK(first == 0 && count == 0, "undelivered %llu+%llu", (unsigned long long)first, (unsigned long long)count);
    CHECK_EQ_INT(queued_bytes(room), 0);

    /* acknowledged by SCTP a moment ago, and the server goes away (a crash loses what it
     * held): a full reconnect sends them again too; a resume trusts the server's count */
    lkc__data_send(d, out(room, REL, "r6", NULL));
    CHECK_SENT("r6#5");
    lkc__data_acked_all(d);
    lkc__data_resume(d, 5);
    lkc__data_flush(d);
    CHECK_SENT("");
    lkc__data_send(d, out(room, REL, "r7", NULL));
    CHECK_SENT("r7#6");
    lkc__data_acked_all(d);
    lkc__data_restart(d);
    lkc__data_flush(d);
    CHECK_SENT("r7#1");
    CHECK_EQ_INT(queued_bytes(room), 0);
    lkc__data_free(d);
    lkc_room_destroy(room);
}

int main(void)
{
    port.attempts = g_array_new(FALSE, TRUE, sizeof(attempt_t));
    g_array_set_clear_func(port.attempts, attempt_clear);
    received = g_ptr_array_new_with_free_func(g_free);
    RUN(sequence_numbers);
    RUN(kept_until_open);
    RUN(backpressure_keeps_reliable);
    RUN(lossy_refused_is_dropped);
    RUN(error_drops_without_gap);
    RUN(free_uncounts);
    RUN(dedup_per_sender);
    RUN(sender_fields);
    RUN(malformed_and_other_packets);
    RUN(handlers_off);
    RUN(replay_across_reconnects);
    g_array_unref(port.attempts);
    g_ptr_array_unref(received);
    return 0;
}
