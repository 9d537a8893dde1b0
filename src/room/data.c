/* Data packets (LiveKit DataPacket with a UserPacket): the public publish call, the
 * engine-side send queue and reliable sequence numbers, and the receive path with
 * per-sender de-duplication. */
#include "room/data.h"

#include <string.h>

#include "base/log.h"
#include "base/sync.h"
#include "livekit_models.pb-c.h"
#include "room/session.h"

#define MOD "room.data"
#define SEQUENCE_FIELD_MAX 6    /* tag + a 5-byte varint */
#define PACKET_COST_OVERHEAD 64 /* what a queued packet costs beyond its bytes */
#define DEFAULT_WAIT_MS 10000

/* --- encoding (any thread) ------------------------------------------------------- */

typedef struct outgoing {
    lkc_room_t *room;       /* set while the packet counts in room->data_queued */
    size_t cost;
    lkc_data_kind_t kind;
    uint8_t *payload;
    size_t len;
    char *topic;
    char **destinations;
    size_t n_destinations;
} outgoing_t;

static void outgoing_free(gpointer p)
{
    outgoing_t *o = p;
    if (!o)
        return;
    if (o->room) { /* it leaves lkc's queue: wake senders waiting for room */
        pthread_mutex_lock(&o->room->lock);
        atomic_fetch_sub(&o->room->data_queued, o->cost);
        pthread_cond_broadcast(&o->room->cond);
        pthread_mutex_unlock(&o->room->lock);
    }
    g_free(o->payload);
    g_free(o->topic);
    g_strfreev(o->destinations);
    g_free(o);
}

/* Packs `o` with reliable sequence `seq` (0 = none) into a malloc'd buffer. */
static uint8_t *pack(const outgoing_t *o, uint32_t seq, size_t *out_len)
{
    Livekit__UserPacket user = LIVEKIT__USER_PACKET__INIT;
    user.payload.data = o->payload;
    user.payload.len = o->len;
    user.topic = o->topic ? o->topic : (char *)"";
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.kind = o->kind == LKC_DATA_LOSSY ? LIVEKIT__DATA_PACKET__KIND__LOSSY : LIVEKIT__DATA_PACKET__KIND__RELIABLE;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_USER;
    dp.user = &user;
    dp.destination_identities = o->destinations;
    dp.n_destination_identities = o->n_destinations;
    dp.sequence = seq;
    size_t n = livekit__data_packet__get_packed_size(&dp);
    uint8_t *buf = g_malloc(n ? n : 1);
    livekit__data_packet__pack(&dp, buf);
    *out_len = n;
    return buf;
}

size_t lkc_room_max_data_payload(const lkc_room_t *room)
{
    size_t max = room ? atomic_load(&((lkc_room_t *)room)->max_data_payload) : 0;
    /* an empty packet with a sequence: the framing around the payload */
    outgoing_t o = {0};
    size_t overhead;
    g_free(pack(&o, 0xffffffffu, &overhead));
    overhead += 4; /* the payload's length prefix grows with its size */
    return max > overhead ? max - overhead : 0;
}

static void post_send(lkc_engine_t *e, void *data);

/* Waits (bounded) until `cost` more bytes fit in the room's data queue, and counts them.
 * LKC_ERR_WOULD_BLOCK when they do not in time, LKC_ERR_STATE when the session ends. */
static lkc_err_t reserve(lkc_room_t *room, size_t cost, int timeout_ms)
{
    if (timeout_ms < 0)
        timeout_ms = DEFAULT_WAIT_MS;
    if (lkc_room_on_engine_thread(room))
        timeout_ms = 0; /* only the engine thread drains the queue */
    struct timespec deadline;
    lkc_deadline_after(&deadline, timeout_ms);
    lkc_err_t rc = LKC_OK;
    pthread_mutex_lock(&room->lock);
    for (;;) {
        size_t queued = atomic_load(&room->data_queued);
        if (queued == 0 || queued + cost <= LKC_DATA_MAX_QUEUED)
            break;
        if (lkc_room_state(room) != LKC_STATE_CONNECTED) {
            rc = LKC_ERR_STATE;
            break;
        }
        if (timeout_ms == 0 || pthread_cond_timedwait(&room->cond, &room->lock, &deadline) != 0) {
            rc = LKC_ERR_WOULD_BLOCK;
            break;
        }
    }
    if (rc == LKC_OK)
        atomic_fetch_add(&room->data_queued, cost);
    pthread_mutex_unlock(&room->lock);
    return rc;
}

lkc_err_t lkc_room_publish_data(lkc_room_t *room, const void *payload, size_t len, const lkc_data_options_t *opts)
{
    if (!room || (!payload && len > 0))
        return LKC_ERR_INVALID_ARG;
    lkc_data_options_t def = {0};
    if (!opts)
        opts = &def;
    if ((int)opts->kind < 0 || opts->kind > LKC_DATA_LOSSY || (opts->n_destinations && !opts->destination_identities))
        return LKC_ERR_INVALID_ARG;
    if (lkc_room_state(room) != LKC_STATE_CONNECTED)
        return LKC_ERR_STATE;
    outgoing_t *o = g_new0(outgoing_t, 1);
    o->kind = opts->kind;
    o->payload = g_memdup2(payload ? payload : "", len);
    o->len = len;
    o->topic = opts->topic && *opts->topic ? g_strdup(opts->topic) : NULL;
    o->destinations = g_new0(char *, opts->n_destinations + 1);
    for (size_t i = 0; i < opts->n_destinations; i++) {
        if (!opts->destination_identities[i]) {
            outgoing_free(o);
            return LKC_ERR_INVALID_ARG;
        }
        o->destinations[i] = g_strdup(opts->destination_identities[i]);
    }
    o->n_destinations = opts->n_destinations;
    /* The size check happens here, in the caller's thread, so TOO_LARGE is returned and
     * nothing is sent. */
    size_t packed;
    g_free(pack(o, 0, &packed));
    size_t max = atomic_load(&room->max_data_payload);
    if (max == 0 || packed + SEQUENCE_FIELD_MAX > max) {
        outgoing_free(o);
        return max == 0 ? LKC_ERR_STATE : LKC_ERR_TOO_LARGE;
    }
    size_t cost = packed + PACKET_COST_OVERHEAD;
    lkc_err_t rc = reserve(room, cost, opts->timeout_ms);
    if (rc != LKC_OK) {
        outgoing_free(o);
        return rc;
    }
    o->room = room;
    o->cost = cost;
    return lkc_room_post(room, post_send, o, outgoing_free);
}

/* --- sending (engine thread) ------------------------------------------------------- */

struct lkc_data {
    lkc_session_t *session;
    GQueue queue;           /* outgoing_t*, waiting for the channels */
    bool blocked;           /* SCTP refused a reliable packet: wait for lkc_data_sendable */
    uint64_t lossy_dropped;
    uint32_t next_seq;      /* reliable packets: 1, 2, ... per session */
    GHashTable *last_seq;   /* sender sid -> last reliable sequence seen */
};

lkc_data_t *lkc_data_new(lkc_session_t *s)
{
    lkc_data_t *d = g_new0(lkc_data_t, 1);
    d->session = s;
    d->next_seq = 1;
    g_queue_init(&d->queue);
    d->last_seq = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return d;
}

void lkc_data_free(lkc_data_t *d)
{
    if (!d)
        return;
    g_queue_clear_full(&d->queue, outgoing_free);
    g_hash_table_destroy(d->last_seq);
    g_free(d);
}

/* Sends what is queued while the channels take it. A reliable packet SCTP cannot take
 * stays at the head until it can (lkc_data_sendable); a lossy one is dropped. */
void lkc_data_flush(lkc_data_t *d)
{
    outgoing_t *o;
    while (!d->blocked && (o = g_queue_peek_head(&d->queue))) {
        uint32_t seq = o->kind == LKC_DATA_RELIABLE ? d->next_seq : 0;
        size_t n;
        uint8_t *buf = pack(o, seq, &n);
        int rc = lkc_session_send_data(d->session, o->kind, buf, n);
        g_free(buf);
        if (rc == LKC_ERR_STATE)
            return; /* not open yet: keep it queued */
        if (rc == LKC_ERR_WOULD_BLOCK && o->kind == LKC_DATA_RELIABLE) {
            d->blocked = true;
            LKC_LOGD(MOD, "SCTP buffer full: %u packet(s) wait", g_queue_get_length(&d->queue));
            return;
        }
        if (rc == LKC_ERR_WOULD_BLOCK && (d->lossy_dropped++ % 1000) == 0)
            LKC_LOGD(MOD, "lossy packet dropped: the channel is busy (%llu so far)",
                     (unsigned long long)d->lossy_dropped);
        else if (rc != LKC_OK && rc != LKC_ERR_WOULD_BLOCK)
            LKC_LOGW(MOD, "a data packet could not be sent: %s", lkc_err_str(rc));
        if (rc == LKC_OK && seq)
            d->next_seq++;
        outgoing_free(g_queue_pop_head(&d->queue));
    }
}

void lkc_data_sendable(lkc_data_t *d)
{
    if (!d)
        return;
    d->blocked = false;
    lkc_data_flush(d);
}

static void post_send(lkc_engine_t *e, void *data)
{
    lkc_session_t *s = lkc_engine_session(e);
    lkc_data_t *d = s ? lkc_session_data(s) : NULL;
    if (!d)
        return; /* freed by the command's destroy notify */
    /* take it out of the command so its free does not release it */
    outgoing_t *copy = g_new0(outgoing_t, 1);
    *copy = *(outgoing_t *)data;
    memset(data, 0, sizeof(outgoing_t));
    g_queue_push_tail(&d->queue, copy);
    lkc_data_flush(d);
}

/* --- receiving ----------------------------------------------------------------- */

void lkc_data_receive(lkc_data_t *d, const uint8_t *buf, size_t len, lkc_data_kind_t kind)
{
    Livekit__DataPacket *dp = livekit__data_packet__unpack(NULL, len, buf);
    if (!dp) {
        LKC_LOGW(MOD, "dropping a malformed data packet (%zu bytes)", len);
        return;
    }
    const char *sid = dp->participant_sid ? dp->participant_sid : "";
    if (kind == LKC_DATA_RELIABLE && dp->sequence > 0 && *sid) {
        gpointer last = NULL;
        if (g_hash_table_lookup_extended(d->last_seq, sid, NULL, &last) && dp->sequence <= GPOINTER_TO_UINT(last)) {
            LKC_LOGD(MOD, "duplicate reliable packet %u from %s dropped", dp->sequence, sid);
            livekit__data_packet__free_unpacked(dp, NULL);
            return;
        }
        g_hash_table_insert(d->last_seq, g_strdup(sid), GUINT_TO_POINTER(dp->sequence));
    }
    if (dp->value_case == LIVEKIT__DATA_PACKET__VALUE_USER && dp->user) {
        const Livekit__UserPacket *u = dp->user;
        lkc_data_packet_t pkt = {
            .sender_identity = dp->participant_identity && *dp->participant_identity ? dp->participant_identity
                               : u->participant_identity                            ? u->participant_identity
                                                                                    : "",
            .sender_sid = *sid ? sid : (u->participant_sid ? u->participant_sid : ""),
            .topic = u->topic ? u->topic : "",
            .payload = u->payload.data ? u->payload.data : (const uint8_t *)"",
            .len = u->payload.len,
            .kind = kind,
        };
        lkc_room_t *room = lkc_session_room(d->session);
        LKC_EMIT(room, on_data_received, &pkt);
    } else {
        LKC_LOGD(MOD, "ignoring a data packet of type %d", (int)dp->value_case);
    }
    livekit__data_packet__free_unpacked(dp, NULL);
}
