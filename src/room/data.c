/* The engine half of data packets (see data.h); the public half is data_publish.c. */
#include "room/data.h"

#include <string.h>

#include "base/log.h"
#include "livekit_models.pb-c.h"
#include "livekit_rtc.pb-c.h"
#include "room/data_peek.h"
#include "room/events.h"

#define MOD "room.data"
/* SCTP's acknowledgement says the server's stack has a packet, not that the server acted on
 * it: a server that goes away (a crash, a node failure) loses what it held. Acknowledged
 * packets are kept a moment longer (long enough for that race, short enough to keep the
 * repeats few), so a full reconnect sends them again too (a full
 * reconnect is "at least once" anyway); a resume drops them by the server's own count. */
#define ACKED_KEEP_US (300 * 1000) /* a signal racing the data (a node failure): tens of ms */
#define ACKED_KEEP_BYTES (1024 * 1024)

struct lkc_data {
    lkc_room_t *room;
    lkc__data_ports_t ports;
    GQueue queue;           /* lkc__outgoing_t*, waiting for the channels */
    GQueue sent;            /* reliable lkc__outgoing_t* sent, not yet acknowledged (in order) */
    GQueue acked;           /* reliable packets acknowledged in the last ACKED_KEEP_US (in order) */
    size_t acked_bytes;
    uint64_t taken;         /* reliable packets taken so far (their numbers) */
    bool blocked;           /* SCTP refused a reliable packet: wait for lkc__data_sendable */
    uint64_t lossy_dropped;
    uint32_t next_seq;      /* reliable packets: 1, 2, ... per session */
    GHashTable *last_seq;   /* sender sid -> last reliable sequence seen */
};

lkc_data_t *lkc__data_new(lkc_room_t *room, const lkc__data_ports_t *ports)
{
    lkc_data_t *d = g_new0(lkc_data_t, 1);
    d->room = room;
    d->ports = *ports;
    d->next_seq = 1;
    g_queue_init(&d->queue);
    g_queue_init(&d->sent);
    g_queue_init(&d->acked);
    d->last_seq = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return d;
}

void lkc__data_free(lkc_data_t *d)
{
    if (!d)
        return;
    g_queue_clear_full(&d->queue, lkc__outgoing_free);
    g_queue_clear_full(&d->sent, lkc__outgoing_free);
    g_queue_clear_full(&d->acked, lkc__outgoing_free);
    g_hash_table_destroy(d->last_seq);
    g_free(d);
}

uint32_t lkc__data_next_seq(const lkc_data_t *d)
{
    return d->next_seq;
}

unsigned lkc__data_queued(const lkc_data_t *d)
{
    return g_queue_get_length((GQueue *)&d->queue);
}

unsigned lkc__data_unacked(const lkc_data_t *d)
{
    return g_queue_get_length((GQueue *)&d->sent);
}

/* Lets go of acknowledged packets older than ACKED_KEEP_US, or beyond ACKED_KEEP_BYTES. */
static void prune_acked(lkc_data_t *d, int64_t now)
{
    lkc__outgoing_t *o;
    while ((o = g_queue_peek_head(&d->acked)) &&
           (now - o->acked_us > ACKED_KEEP_US || d->acked_bytes > ACKED_KEEP_BYTES)) {
        d->acked_bytes -= o->len;
        lkc__outgoing_free(g_queue_pop_head(&d->acked));
    }
}

void lkc__data_acked_all(lkc_data_t *d)
{
    int64_t now = g_get_monotonic_time();
    lkc__outgoing_t *o;
    while ((o = g_queue_pop_head(&d->sent))) {
        lkc__outgoing_release(o); /* no longer in lkc's queue: senders waiting for room go on */
        o->acked_us = now;
        d->acked_bytes += o->len;
        g_queue_push_tail(&d->acked, o);
    }
    prune_acked(d, now);
}

/* The unacknowledged packets go back to the head of the queue, in order. */
static void requeue_sent(lkc_data_t *d, bool new_numbers)
{
    lkc__outgoing_t *o;
    prune_acked(d, g_get_monotonic_time());
    while ((o = g_queue_pop_tail(&d->sent))) {
        if (new_numbers)
            o->seq = 0;
        g_queue_push_head(&d->queue, o);
    }
    while ((o = g_queue_pop_tail(&d->acked))) { /* older than the unacknowledged ones */
        if (new_numbers)
            o->seq = 0;
        o->acked_us = 0;
        g_queue_push_head(&d->queue, o);
    }
    d->acked_bytes = 0;
    if (new_numbers)
        for (GList *l = d->queue.head; l; l = l->next)
            ((lkc__outgoing_t *)l->data)->seq = 0;
    d->blocked = false;
}

void lkc__data_resume(lkc_data_t *d, uint32_t last_seq)
{
    lkc__outgoing_t *o;
    while ((o = g_queue_peek_head(&d->acked)) && o->seq <= last_seq) {
        d->acked_bytes -= o->len;
        lkc__outgoing_free(g_queue_pop_head(&d->acked));
    }
    while ((o = g_queue_peek_head(&d->sent)) && o->seq <= last_seq)
        lkc__outgoing_free(g_queue_pop_head(&d->sent));
    unsigned n = g_queue_get_length(&d->sent) + g_queue_get_length(&d->acked);
    if (n)
        LKC_LOGI(MOD, "resume: the server has up to #%u; %u reliable packet(s) go again", last_seq, n);
    requeue_sent(d, false);
}

void lkc__data_restart(lkc_data_t *d)
{
    prune_acked(d, g_get_monotonic_time());
    unsigned n = g_queue_get_length(&d->sent), m = g_queue_get_length(&d->acked);
    if (n + m)
        LKC_LOGI(MOD, "full reconnect: %u reliable packet(s) not known to be delivered and %u acknowledged a moment ago "
                      "go again", n, m);
    requeue_sent(d, true);
    d->next_seq = 1;
    /* the receive side keeps its table: a remote sender's numbering is per *its* session
     * (its sid), and the server replays its recent data cache to a rejoining participant */
}

void lkc__data_undelivered(const lkc_data_t *d, uint64_t *first, uint64_t *count)
{
    *first = 0;
    *count = 0;
    const GQueue *qs[2] = {&d->sent, &d->queue};
    for (int k = 0; k < 2; k++)
        for (const GList *l = qs[k]->head; l; l = l->next) {
            const lkc__outgoing_t *o = l->data;
            if (o->kind != LKC_DATA_RELIABLE)
                continue;
            if (*count == 0)
                *first = o->num;
            (*count)++;
        }
}

/* Sends what is queued while the channels take it. A reliable packet SCTP cannot take
 * stays at the head until it can (lkc__data_sendable); a lossy one is dropped. */
void lkc__data_flush(lkc_data_t *d)
{
    lkc__outgoing_t *o;
    while (!d->blocked && (o = g_queue_peek_head(&d->queue))) {
        bool fresh = o->kind == LKC_DATA_RELIABLE && o->seq == 0;
        uint32_t seq = o->kind != LKC_DATA_RELIABLE ? 0 : fresh ? d->next_seq : o->seq;
        size_t n;
        uint8_t *buf = lkc__data_pack(o, seq, &n);
        int rc = d->ports.send(d->ports.user, o->kind, buf, n);
        g_free(buf);
        if (rc == LKC_ERR_STATE || (rc == LKC_ERR_CLOSED && o->kind == LKC_DATA_RELIABLE))
            return; /* not open (yet, or any more): keep it queued for the (re)connected channel */
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
        g_queue_pop_head(&d->queue);
        if (rc == LKC_OK && seq) {
            if (fresh)
                d->next_seq++;
            o->seq = seq;
            g_queue_push_tail(&d->sent, o); /* kept until the server has it */
        } else {
            lkc__outgoing_free(o);
        }
    }
}

void lkc__data_sendable(lkc_data_t *d)
{
    d->blocked = false;
    lkc__data_flush(d);
}

void lkc__data_send(lkc_data_t *d, lkc__outgoing_t *o)
{
    if (o->kind == LKC_DATA_RELIABLE)
        o->num = ++d->taken;
    g_queue_push_tail(&d->queue, o);
    lkc__data_flush(d);
}

/* --- receiving ----------------------------------------------------------------- */

#define PEEK_SID_MAX 64 /* longer sids (none in practice) take the decoding path */

/* A chunk dropped undecoded still counts in the per-sender table, as the decoding path
 * below would count it (a known sender's entry is updated without allocating). */
static void note_seq(lkc_data_t *d, const uint8_t *sid, size_t n, uint32_t seq)
{
    char key[PEEK_SID_MAX];
    memcpy(key, sid, n);
    key[n] = 0;
    gpointer orig = NULL, last = NULL;
    if (!g_hash_table_lookup_extended(d->last_seq, key, &orig, &last)) {
        g_hash_table_insert(d->last_seq, g_strdup(key), GUINT_TO_POINTER(seq));
    } else if (seq > GPOINTER_TO_UINT(last)) {
        g_hash_table_steal(d->last_seq, key); /* keeps the key string: put back with the new value */
        g_hash_table_insert(d->last_seq, orig, GUINT_TO_POINTER(seq));
    }
}

void lkc__data_receive(lkc_data_t *d, const uint8_t *buf, size_t len, lkc_data_kind_t kind)
{
    /* chunks of streams nobody reads are dropped before decoding (an agent broadcasts on
     * lk.agent.session to everyone) */
    lkc__data_peek_t pk;
    if (d->ports.wants_chunk && lkc__data_peek(buf, len, &pk) && pk.value_field == LKC__DATA_PEEK_STREAM_CHUNK &&
        pk.sid_len < PEEK_SID_MAX &&
        !d->ports.wants_chunk(d->ports.user, pk.stream_id ? (const char *)pk.stream_id : "", pk.stream_id_len)) {
        if (kind == LKC_DATA_RELIABLE && pk.sequence > 0 && pk.sid_len > 0)
            note_seq(d, pk.sid, pk.sid_len, pk.sequence);
        return;
    }
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
    const char *sender = dp->participant_identity ? dp->participant_identity : "";
    if (dp->value_case == LIVEKIT__DATA_PACKET__VALUE_USER && dp->user) {
        const Livekit__UserPacket *u = dp->user;
        lkc_data_packet_t pkt = {
            .sender_identity = *sender ? sender : u->participant_identity ? u->participant_identity : "",
            .sender_sid = *sid ? sid : (u->participant_sid ? u->participant_sid : ""),
            .topic = u->topic ? u->topic : "",
            .payload = u->payload.data ? u->payload.data : (const uint8_t *)"",
            .len = u->payload.len,
            .kind = kind,
        };
        lkc__events_data(d->room, &pkt);
    } else if (d->ports.packet_in) {
        d->ports.packet_in(d->ports.user, dp, sender, kind);
    }
    livekit__data_packet__free_unpacked(dp, NULL);
}

size_t lkc__data_receive_states(const lkc_data_t *d, Livekit__DataChannelReceiveState *out, size_t max)
{
    GHashTableIter it;
    gpointer key, value;
    size_t n = 0;
    g_hash_table_iter_init(&it, d->last_seq);
    while (n < max && g_hash_table_iter_next(&it, &key, &value)) {
        livekit__data_channel_receive_state__init(&out[n]);
        out[n].publisher_sid = key;
        out[n].last_seq = GPOINTER_TO_UINT(value);
        n++;
    }
    return n;
}
