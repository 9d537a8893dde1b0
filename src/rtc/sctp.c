/* An SCTP association over DTLS with WebRTC data channels: the send FIFO, reassembly,
 * DCEP, notifications, stream resets, and a teardown that leaves no callback behind.
 * Socket options, threading and the id table live in sctp_stack.c. */
#include "rtc/sctp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#include "base/log.h"
#include "lkc/error.h"
#include "rtc/dcep.h"
#include "rtc/sctp_stack.h"

#define LOG_MOD "rtc.sctp"

/* SCTP payload protocol ids (RFC 8831 §8). */
#define PPID_DCEP 50
#define PPID_STRING 51
#define PPID_BINARY 53
#define PPID_STRING_EMPTY 56
#define PPID_BINARY_EMPTY 57

#define MAX_PARTIAL_BYTES (2 * LKC_SCTP_LOCAL_MAX_MESSAGE_SIZE)

typedef enum { CH_OPENING, CH_OPEN, CH_CLOSING } ch_state_t;

typedef struct channel {
    uint16_t id;
    ch_state_t state;
    bool ours;
    bool ordered;
    bool heard_from_peer; /* ACK or data seen: from now on unordered sends are allowed */
    bool reset_pending;   /* closing: reset our stream once its queued messages are out */
    int max_retransmits;  /* as reported in on_channel_open */
    uint16_t pr_policy;   /* SCTP_PR_SCTP_NONE / _RTX / _TTL */
    uint32_t pr_value;
    unsigned queued_msgs; /* in the FIFO */
    size_t queued_bytes;
    char *label;
    char *protocol;
} channel_t;

typedef struct out_msg {
    uint16_t sid;
    uint16_t flags;
    uint16_t pr_policy;
    uint32_t pr_value;
    uint32_t ppid;
    size_t len;
    uint8_t data[];
} out_msg_t;

typedef struct partial {
    GByteArray *buf;
    bool overflow; /* over our limit: swallow the rest, deliver nothing */
} partial_t;

struct lkc_sctp {
    GMainContext *ctx; /* ref */
    lkc_sctp_callbacks_t cb;
    void *user;
    bool dtls_client;
    uint16_t local_port, remote_port;
    uint32_t remote_max;
    uint32_t id; /* our AF_CONN address in the stack's table */
    struct socket *sock;
    GSource *ticker;
    GSource *flush_src;
    bool started, connected, closed, freeing, flushing;
    int cb_depth;           /* > 0 while one of our callbacks runs */
    uint16_t out_streams;   /* negotiated outgoing streams (our request until then) */
    GHashTable *channels;   /* stream id -> channel_t* */
    GHashTable *resetting;  /* stream ids whose outgoing reset is in flight */
    GHashTable *partials;   /* stream id -> partial_t* (a message delivered in pieces) */
    size_t partial_bytes;
    GQueue fifo;            /* out_msg_t*: what usrsctp could not take yet, in order */
    size_t fifo_bytes;
};

#define KEY(sid) GUINT_TO_POINTER((guint)(sid))

/* Every user callback goes through this: it counts the nesting (so a free from inside is
 * deferred) and stays silent once the object is being freed. */
#define EMIT(s, fn, ...)                                                                 \
    do {                                                                                 \
        if ((s)->cb.fn && !(s)->freeing) {                                               \
            (s)->cb_depth++;                                                             \
            (s)->cb.fn((s)->user, __VA_ARGS__);                                          \
            (s)->cb_depth--;                                                             \
        }                                                                                \
    } while (0)
static channel_t *find_channel(const lkc_sctp_t *s, uint16_t sid)
{
    return g_hash_table_lookup(s->channels, KEY(sid));
}

static void channel_free(gpointer p)
{
    channel_t *c = p;
    g_free(c->label);
    g_free(c->protocol);
    g_free(c);
}

static void partial_free(gpointer p)
{
    partial_t *part = p;
    g_byte_array_unref(part->buf);
    g_free(part);
}

static void drop_partial(lkc_sctp_t *s, uint16_t sid)
{
    partial_t *p = g_hash_table_lookup(s->partials, KEY(sid));
    if (p) {
        s->partial_bytes -= p->buf->len;
        g_hash_table_remove(s->partials, KEY(sid));
    }
}

/* ---- sending ---- */

/* 0 when usrsctp took the message, 1 when its buffer is full, else a negative error. */
static int sendv_now(lkc_sctp_t *s, uint16_t sid, uint32_t ppid, uint16_t flags,
                     uint16_t pr_policy, uint32_t pr_value, const uint8_t *data, size_t len)
{
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof spa);
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = sid;
    spa.sendv_sndinfo.snd_ppid = htonl(ppid);
    spa.sendv_sndinfo.snd_flags = flags;
    if (pr_policy != SCTP_PR_SCTP_NONE) {
        spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa.sendv_prinfo.pr_policy = pr_policy;
        spa.sendv_prinfo.pr_value = pr_value;
    }
    lkc_sctp_stack_enter();
    ssize_t r = usrsctp_sendv(s->sock, data, len, NULL, 0, &spa, (socklen_t)sizeof spa,
                              SCTP_SENDV_SPA, 0);
    int err = errno;
    lkc_sctp_stack_leave();
    if (r >= 0)
        return 0;
    if (err == EWOULDBLOCK || err == EAGAIN)
        return 1;
    LKC_LOGW(LOG_MOD, "send on stream %u failed: %s", sid, strerror(err));
    if (err == ENOTCONN || err == ECONNRESET || err == EPIPE)
        return LKC_ERR_CLOSED;
    return err == EMSGSIZE ? LKC_ERR_TOO_LARGE : LKC_ERR_IO;
}

static void reset_outgoing(lkc_sctp_t *s, uint16_t sid)
{
    size_t size = sizeof(struct sctp_reset_streams) + sizeof(uint16_t);
    struct sctp_reset_streams *r = g_malloc0(size);
    r->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    r->srs_number_streams = 1;
    r->srs_stream_list[0] = sid;
    lkc_sctp_stack_enter();
    int rc = usrsctp_setsockopt(s->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, r, (socklen_t)size);
    int err = errno;
    lkc_sctp_stack_leave();
    g_free(r);
    if (rc < 0)
        LKC_LOGW(LOG_MOD, "reset of stream %u failed: %s", sid, strerror(err));
    else
        g_hash_table_add(s->resetting, KEY(sid)); /* not reusable until the peer confirms */
}

static void note_dequeued(lkc_sctp_t *s, const out_msg_t *m)
{
    s->fifo_bytes -= m->len;
    channel_t *c = find_channel(s, m->sid);
    if (!c)
        return;
    c->queued_msgs--;
    c->queued_bytes -= m->len;
    if (c->reset_pending && c->queued_msgs == 0 && s->connected && !s->closed) {
        c->reset_pending = false;
        reset_outgoing(s, c->id);
    }
}

static void drop_queued(lkc_sctp_t *s, uint16_t sid)
{
    GList *l = s->fifo.head;
    while (l) {
        GList *next = l->next;
        out_msg_t *m = l->data;
        if (m->sid == sid) {
            note_dequeued(s, m);
            g_queue_delete_link(&s->fifo, l);
            g_free(m);
        }
        l = next;
    }
}

/* Sends now if nothing waits before it, else appends to the FIFO. may_drop (PR-SCTP
 * messages on a live association) turns "cannot send now" into LKC_ERR_WOULD_BLOCK. */
static int send_or_queue(lkc_sctp_t *s, channel_t *c, uint32_t ppid, uint16_t flags,
                         const uint8_t *data, size_t len, bool may_drop)
{
    uint16_t pol = c->pr_policy;
    uint32_t val = c->pr_value;
    if (ppid == PPID_DCEP)
        pol = SCTP_PR_SCTP_NONE, val = 0; /* DCEP itself is always reliable and ordered */
    if (s->connected && g_queue_is_empty(&s->fifo) && !s->flushing) {
        int r = sendv_now(s, c->id, ppid, flags, pol, val, data, len);
        if (r <= 0)
            return r;
        if (may_drop)
            return LKC_ERR_WOULD_BLOCK;
    } else if (s->connected && may_drop) {
        return LKC_ERR_WOULD_BLOCK;
    }
    if (s->fifo_bytes + len > LKC_SCTP_MAX_BUFFERED)
        return LKC_ERR_WOULD_BLOCK;
    out_msg_t *m = g_try_malloc(sizeof *m + len);
    if (!m)
        return LKC_ERR_NO_MEMORY;
    *m = (out_msg_t){.sid = c->id, .flags = flags, .pr_policy = pol, .pr_value = val,
                     .ppid = ppid, .len = len};
    if (len)
        memcpy(m->data, data, len);
    g_queue_push_tail(&s->fifo, m);
    s->fifo_bytes += len;
    c->queued_msgs++;
    c->queued_bytes += len;
    return LKC_OK;
}

/* Hands the FIFO to usrsctp until it is empty or usrsctp is full. */
static void flush(lkc_sctp_t *s)
{
    if (s->flushing)
        return; /* re-entered from a callback: the outer loop carries on */
    s->flushing = true;
    while (s->connected && !s->closed && !s->freeing) {
        out_msg_t *m = g_queue_pop_head(&s->fifo);
        if (!m)
            break;
        int r = sendv_now(s, m->sid, m->ppid, m->flags, m->pr_policy, m->pr_value, m->data,
                          m->len);
        if (s->closed || s->freeing) { /* a callback ended it; the FIFO is gone */
            g_free(m);
            break;
        }
        if (r == 1) {
            g_queue_push_head(&s->fifo, m);
            break;
        }
        if (r < 0)
            LKC_LOGW(LOG_MOD, "dropped a queued message on stream %u", m->sid);
        note_dequeued(s, m);
        g_free(m);
    }
    s->flushing = false;
}

static gboolean flush_run(gpointer p)
{
    lkc_sctp_t *s = p;
    g_source_unref(s->flush_src);
    s->flush_src = NULL;
    flush(s);
    return G_SOURCE_REMOVE;
}

/* From the send-space and sender-dry notifications: flush from the main loop rather than
 * from inside usrsctp's SACK processing. */
static void schedule_flush(lkc_sctp_t *s)
{
    if (s->flush_src || s->freeing || g_queue_is_empty(&s->fifo))
        return;
    s->flush_src = g_idle_source_new();
    g_source_set_priority(s->flush_src, G_PRIORITY_DEFAULT);
    g_source_set_callback(s->flush_src, flush_run, s, NULL);
    g_source_attach(s->flush_src, s->ctx);
}

static void clear_fifo(lkc_sctp_t *s)
{
    out_msg_t *m;
    while ((m = g_queue_pop_head(&s->fifo)))
        g_free(m);
    s->fifo_bytes = 0;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, s->channels);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        channel_t *c = v;
        c->queued_msgs = 0;
        c->queued_bytes = 0;
    }
}

static void fail(lkc_sctp_t *s, const char *reason)
{
    if (s->closed)
        return;
    s->closed = true;
    clear_fifo(s);
    LKC_LOGI(LOG_MOD, "association closed: %s", reason);
    EMIT(s, on_closed, reason);
}

/* ---- channels ---- */

static channel_t *channel_add(lkc_sctp_t *s, uint16_t sid, const char *label, size_t label_len,
                              const char *protocol, size_t protocol_len, uint8_t type,
                              uint32_t reliability, bool ours)
{
    channel_t *c = g_new0(channel_t, 1);
    lkc_dcep_open_t o = {.channel_type = type, .reliability = reliability};
    c->id = sid;
    c->ours = ours;
    c->state = ours ? CH_OPENING : CH_OPEN;
    c->heard_from_peer = !ours;
    c->ordered = lkc_dcep_open_is_ordered(&o);
    c->max_retransmits = lkc_dcep_open_max_retransmits(&o);
    switch (type & ~LKC_DCEP_TYPE_UNORDERED) {
    case LKC_DCEP_TYPE_REXMIT: c->pr_policy = SCTP_PR_SCTP_RTX; break;
    case LKC_DCEP_TYPE_TIMED: c->pr_policy = SCTP_PR_SCTP_TTL; break;
    default: c->pr_policy = SCTP_PR_SCTP_NONE; break;
    }
    c->pr_value = c->pr_policy == SCTP_PR_SCTP_NONE ? 0 : reliability;
    c->label = g_strndup(label, label_len);
    c->protocol = g_strndup(protocol, protocol_len);
    g_hash_table_insert(s->channels, KEY(sid), c);
    return c;
}

static void channel_opened(lkc_sctp_t *s, channel_t *c)
{
    c->state = CH_OPEN;
    c->heard_from_peer = true;
    LKC_LOGD(LOG_MOD, "channel %u '%s' open", c->id, c->label);
    EMIT(s, on_channel_open, c->id, c->label, c->protocol, c->ordered, c->max_retransmits);
}

static void handle_dcep(lkc_sctp_t *s, uint16_t sid, const uint8_t *data, size_t len)
{
    int type = lkc_dcep_message_type(data, len);
    if (type == LKC_DCEP_MSG_OPEN) {
        lkc_dcep_open_t o;
        if (lkc_dcep_parse_open(data, len, &o) != LKC_OK)
            return; /* logged by the parser */
        if (find_channel(s, sid) || g_hash_table_contains(s->resetting, KEY(sid))) {
            LKC_LOGW(LOG_MOD, "peer opened stream %u, which is in use", sid);
            return;
        }
        channel_t *c = channel_add(s, sid, o.label, o.label_len, o.protocol, o.protocol_len,
                                   o.channel_type, o.reliability, false);
        uint8_t ack[1];
        size_t ack_len = 0;
        lkc_dcep_encode_ack(ack, sizeof ack, &ack_len);
        int r = send_or_queue(s, c, PPID_DCEP, 0, ack, ack_len, false);
        if (s->freeing || s->closed)
            return;
        if (r < 0) {
            LKC_LOGW(LOG_MOD, "could not acknowledge channel %u", sid);
            g_hash_table_remove(s->channels, KEY(sid));
            return;
        }
        channel_opened(s, c);
    } else if (type == LKC_DCEP_MSG_ACK) {
        if (lkc_dcep_parse_ack(data, len) != LKC_OK)
            return;
        channel_t *c = find_channel(s, sid);
        if (!c || c->state != CH_OPENING) {
            /* Ours and open already: its data overtook the ACK (unordered channel). */
            if (!c || !c->ours)
                LKC_LOGW(LOG_MOD, "unexpected DCEP ACK on stream %u", sid);
            return;
        }
        channel_opened(s, c);
    } else {
        LKC_LOGW(LOG_MOD, "unknown DCEP message type %d on stream %u", type, sid);
    }
}

/* The peer reset its outgoing stream sid: the channel is gone. Answer with our own reset
 * unless we started the close and already sent it (RFC 8831 §6.7). */
static void peer_reset(lkc_sctp_t *s, uint16_t sid)
{
    drop_partial(s, sid);
    channel_t *c = find_channel(s, sid);
    if (!c)
        return;
    bool reset_sent = c->state == CH_CLOSING && !c->reset_pending;
    if (!reset_sent) {
        drop_queued(s, sid); /* the peer is gone from this channel: nobody would read them */
        reset_outgoing(s, sid);
    }
    g_hash_table_remove(s->channels, KEY(sid));
    LKC_LOGD(LOG_MOD, "channel %u closed", sid);
    EMIT(s, on_channel_closed, sid);
}

/* ---- receiving ---- */

static void deliver(lkc_sctp_t *s, uint16_t sid, uint32_t ppid, const uint8_t *data, size_t len)
{
    if (ppid == PPID_DCEP) {
        handle_dcep(s, sid, data, len);
        return;
    }
    bool binary;
    switch (ppid) {
    case PPID_STRING: binary = false; break;
    case PPID_BINARY: binary = true; break;
    case PPID_STRING_EMPTY: binary = false, len = 0; break;
    case PPID_BINARY_EMPTY: binary = true, len = 0; break;
    default:
        LKC_LOGW(LOG_MOD, "dropped a message with PPID %u on stream %u", ppid, sid);
        return;
    }
    channel_t *c = find_channel(s, sid);
    if (!c) {
        LKC_LOGW(LOG_MOD, "dropped a message on stream %u, which has no channel", sid);
        return;
    }
    if (c->state == CH_OPENING) {
        /* Data may overtake the ordered ACK on an unordered channel: it implies the ACK. */
        channel_opened(s, c);
        if (s->freeing)
            return;
    }
    c->heard_from_peer = true;
    EMIT(s, on_message, sid, binary, len ? data : (const uint8_t *)"", len);
}

/* usrsctp delivers a message larger than its partial-delivery point in pieces; only the
 * last one has MSG_EOR. Takes ownership of data (malloc'd by usrsctp). */
static void handle_data(lkc_sctp_t *s, uint16_t sid, uint32_t ppid, uint8_t *data, size_t len,
                        bool eor)
{
    partial_t *p = g_hash_table_lookup(s->partials, KEY(sid));
    if (eor && !p) { /* the common case: a whole message at once */
        if (len > LKC_SCTP_LOCAL_MAX_MESSAGE_SIZE)
            LKC_LOGW(LOG_MOD, "dropped a %zu-byte message on stream %u: over our limit", len, sid);
        else
            deliver(s, sid, ppid, data, len);
        free(data);
        return;
    }
    if (!p) {
        p = g_new0(partial_t, 1);
        p->buf = g_byte_array_new();
        g_hash_table_insert(s->partials, KEY(sid), p);
    }
    if (!p->overflow) {
        if (p->buf->len + len > LKC_SCTP_LOCAL_MAX_MESSAGE_SIZE ||
            s->partial_bytes + len > MAX_PARTIAL_BYTES) {
            /* Dropped whole: its remaining pieces are swallowed until MSG_EOR. */
            LKC_LOGW(LOG_MOD, "dropping a message over our limit on stream %u", sid);
            p->overflow = true;
            s->partial_bytes -= p->buf->len;
            g_byte_array_set_size(p->buf, 0);
        } else {
            g_byte_array_append(p->buf, data, (guint)len);
            s->partial_bytes += len;
        }
    }
    free(data);
    if (!eor)
        return;
    g_hash_table_steal(s->partials, KEY(sid));
    s->partial_bytes -= p->buf->len;
    if (!p->overflow)
        deliver(s, sid, ppid, p->buf->data, p->buf->len);
    partial_free(p);
}

/* ---- notifications ---- */

static void handle_assoc_change(lkc_sctp_t *s, const struct sctp_assoc_change *ac)
{
    switch (ac->sac_state) {
    case SCTP_COMM_UP:
        if (s->connected)
            break;
        s->connected = true;
        s->out_streams = ac->sac_outbound_streams;
        LKC_LOGD(LOG_MOD, "association up: %u out / %u in streams", ac->sac_outbound_streams,
                 ac->sac_inbound_streams);
        flush(s); /* the OPENs and messages queued before connect go first */
        if (s->cb.on_connected && !s->freeing && !s->closed) {
            s->cb_depth++; /* as EMIT, which cannot take zero arguments */
            s->cb.on_connected(s->user);
            s->cb_depth--;
        }
        break;
    case SCTP_RESTART: LKC_LOGI(LOG_MOD, "association restarted by the peer"); break;
    case SCTP_COMM_LOST: fail(s, "association lost (aborted by the peer or timed out)"); break;
    case SCTP_SHUTDOWN_COMP: fail(s, "association shut down"); break;
    case SCTP_CANT_STR_ASSOC: fail(s, "could not establish the association"); break;
    default: break;
    }
}

static void handle_stream_reset(lkc_sctp_t *s, const struct sctp_stream_reset_event *ev)
{
    if (ev->strreset_length < sizeof *ev)
        return;
    size_t n = (ev->strreset_length - sizeof *ev) / sizeof(uint16_t);
    uint16_t flags = ev->strreset_flags;
    if (flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED))
        LKC_LOGW(LOG_MOD, "a stream reset was denied or failed (flags 0x%x)", flags);
    if (flags & SCTP_STREAM_RESET_OUTGOING_SSN) { /* ours finished: the ids are free again */
        if (n == 0)
            g_hash_table_remove_all(s->resetting);
        for (size_t i = 0; i < n; i++)
            g_hash_table_remove(s->resetting, KEY(ev->strreset_stream_list[i]));
    }
    if (!(flags & SCTP_STREAM_RESET_INCOMING_SSN) ||
        (flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)))
        return;
    if (n == 0) { /* all streams */
        GList *ids = g_hash_table_get_keys(s->channels);
        for (GList *l = ids; l && !s->freeing; l = l->next)
            peer_reset(s, (uint16_t)GPOINTER_TO_UINT(l->data));
        g_list_free(ids);
        return;
    }
    for (size_t i = 0; i < n && !s->freeing; i++)
        peer_reset(s, ev->strreset_stream_list[i]);
}

static void handle_notification(lkc_sctp_t *s, const union sctp_notification *n, size_t len)
{
    if (len < sizeof n->sn_header || n->sn_header.sn_length > len) {
        LKC_LOGW(LOG_MOD, "malformed notification (%zu bytes)", len);
        return;
    }
    switch (n->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE:
        if (len >= sizeof n->sn_assoc_change)
            handle_assoc_change(s, &n->sn_assoc_change);
        break;
    case SCTP_SHUTDOWN_EVENT: fail(s, "the peer shut the association down"); break;
    case SCTP_STREAM_RESET_EVENT:
        if (len >= sizeof n->sn_strreset_event)
            handle_stream_reset(s, &n->sn_strreset_event);
        break;
    case SCTP_SENDER_DRY_EVENT: schedule_flush(s); break;
    case SCTP_PARTIAL_DELIVERY_EVENT: /* e.g. a PR-SCTP message abandoned halfway */
        if (len >= sizeof n->sn_pdapi_event && n->sn_pdapi_event.pdapi_stream <= UINT16_MAX)
            drop_partial(s, (uint16_t)n->sn_pdapi_event.pdapi_stream);
        break;
    case SCTP_SEND_FAILED_EVENT:
        LKC_LOGT(LOG_MOD, "a message was abandoned (PR-SCTP or shutdown)");
        break;
    case SCTP_STREAM_CHANGE_EVENT:
        if (len >= sizeof n->sn_strchange_event &&
            !(n->sn_strchange_event.strchange_flags &
              (SCTP_STREAM_CHANGE_DENIED | SCTP_STREAM_CHANGE_FAILED)))
            s->out_streams = n->sn_strchange_event.strchange_outstrms;
        break;
    case SCTP_REMOTE_ERROR:
        LKC_LOGW(LOG_MOD, "the peer reported an error");
        break;
    default: break;
    }
}

/* The socket upcall. Takes ownership of data. */
static void on_receive(void *obj, void *data, size_t len, const struct sctp_rcvinfo *rcv,
                       int flags)
{
    lkc_sctp_t *s = obj;
    if (s->freeing || s->closed) {
        free(data);
        return;
    }
    if (!data) { /* usrsctp's end-of-file: the socket can no longer receive */
        fail(s, "association closed");
        return;
    }
    if (flags & MSG_NOTIFICATION) {
        handle_notification(s, data, len);
        free(data);
        return;
    }
    handle_data(s, rcv->rcv_sid, ntohl(rcv->rcv_ppid), data, len, (flags & MSG_EOR) != 0);
}

/* ---- what the stack hands us, always on our thread ---- */

/* The stack's conn_output. The ABORT written while lkc_sctp_free() closes the socket also
 * comes this way. */
static void on_output(void *obj, const uint8_t *pkt, size_t len)
{
    lkc_sctp_t *s = obj;
    s->cb_depth++;
    s->cb.send(s->user, pkt, len);
    s->cb_depth--;
}

static void on_send_space(void *obj)
{
    schedule_flush(obj);
}

static const lkc_sctp_stack_ops_t stack_ops = {
    .output = on_output,
    .receive = on_receive,
    .send_space = on_send_space,
};

/* ---- lifetime ---- */

static void destroy(lkc_sctp_t *s)
{
    clear_fifo(s);
    g_hash_table_destroy(s->channels);
    g_hash_table_destroy(s->resetting);
    g_hash_table_destroy(s->partials);
    if (s->ctx)
        g_main_context_unref(s->ctx);
    if (s->id)
        lkc_sctp_stack_unregister(s->id);
    lkc_sctp_stack_release();
    g_free(s);
}

static void drop_source(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

static void close_socket(lkc_sctp_t *s)
{
    if (!s->sock)
        return;
    lkc_sctp_stack_enter();
    usrsctp_close(s->sock);
    lkc_sctp_stack_leave();
    s->sock = NULL;
}

int lkc_sctp_new(const lkc_sctp_config_t *cfg, lkc_sctp_t **out)
{
    if (!cfg || !cfg->ctx || !cfg->cb.send || !out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    lkc_sctp_t *s = g_try_new0(lkc_sctp_t, 1);
    if (!s)
        return LKC_ERR_NO_MEMORY;
    int rc = lkc_sctp_stack_acquire();
    if (rc != LKC_OK) {
        g_free(s);
        return rc;
    }
    s->ctx = g_main_context_ref(cfg->ctx);
    s->cb = cfg->cb;
    s->user = cfg->user;
    s->dtls_client = cfg->dtls_client;
    s->local_port = cfg->local_port ? cfg->local_port : LKC_SCTP_DEFAULT_PORT;
    s->remote_port = cfg->remote_port ? cfg->remote_port : LKC_SCTP_DEFAULT_PORT;
    s->remote_max = cfg->remote_max_message_size;
    s->out_streams = LKC_SCTP_STACK_STREAMS_OUT;
    s->channels = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, channel_free);
    s->resetting = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->partials = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, partial_free);
    g_queue_init(&s->fifo);
    rc = lkc_sctp_stack_register(s->ctx, s, &stack_ops, &s->id);
    if (rc == LKC_OK && !(s->sock = lkc_sctp_stack_socket_new(s->id, s->local_port)))
        rc = LKC_ERR_IO;
    if (rc != LKC_OK) {
        destroy(s);
        return rc;
    }
    /* Last, as it cannot fail: from here on the object ticks the stack's clock. */
    s->ticker = lkc_sctp_stack_ticker_new(s->ctx);
    *out = s;
    return LKC_OK;
}

int lkc_sctp_start(lkc_sctp_t *s)
{
    if (!s)
        return LKC_ERR_INVALID_ARG;
    if (s->closed || s->freeing)
        return LKC_ERR_CLOSED;
    if (s->started)
        return LKC_ERR_STATE;
    s->started = true;
    /* AF_CONN: the remote address carries our own id, as conn_output is handed the
     * destination's address and must find us by it. */
    struct sockaddr_conn remote;
    memset(&remote, 0, sizeof remote);
    remote.sconn_family = AF_CONN;
    remote.sconn_port = htons(s->remote_port);
    remote.sconn_addr = (void *)(uintptr_t)s->id;
    lkc_sctp_stack_enter();
    int r = usrsctp_connect(s->sock, (struct sockaddr *)&remote, sizeof remote);
    int err = errno;
    lkc_sctp_stack_leave();
    if (r < 0 && err != EINPROGRESS) {
        LKC_LOGE(LOG_MOD, "connect: %s", strerror(err));
        return LKC_ERR_IO;
    }
    return LKC_OK;
}

int lkc_sctp_input(lkc_sctp_t *s, const uint8_t *pkt, size_t len)
{
    if (!s || !pkt || len == 0)
        return LKC_ERR_INVALID_ARG;
    if (s->closed || s->freeing)
        return LKC_ERR_CLOSED;
    if (!s->started) {
        int rc = lkc_sctp_start(s);
        if (rc != LKC_OK)
            return rc;
    }
    lkc_sctp_stack_enter();
    usrsctp_conninput((void *)(uintptr_t)s->id, pkt, len, 0);
    lkc_sctp_stack_leave();
    return LKC_OK;
}

int lkc_sctp_open_channel(lkc_sctp_t *s, const char *label, const char *protocol,
                          bool ordered, int max_retransmits, uint16_t *out_stream_id)
{
    if (!protocol)
        protocol = "";
    if (!s || !label || max_retransmits < -1 || strlen(label) > UINT16_MAX ||
        strlen(protocol) > UINT16_MAX)
        return LKC_ERR_INVALID_ARG;
    if (s->closed || s->freeing)
        return LKC_ERR_CLOSED;
    /* RFC 8832 §6: the DTLS client takes even ids, the server odd ones. */
    unsigned sid = s->dtls_client ? 0 : 1;
    while (sid < s->out_streams &&
           (find_channel(s, (uint16_t)sid) || g_hash_table_contains(s->resetting, KEY(sid))))
        sid += 2;
    if (sid >= s->out_streams)
        return LKC_ERR_NOT_FOUND;
    lkc_dcep_open_t o = {.label = label, .label_len = (uint16_t)strlen(label),
                         .protocol = protocol, .protocol_len = (uint16_t)strlen(protocol)};
    lkc_dcep_open_set_params(&o, ordered, max_retransmits);
    size_t n = lkc_dcep_open_size(&o);
    uint8_t *msg = g_malloc(n);
    lkc_dcep_encode_open(&o, msg, n, &n);
    channel_t *c = channel_add(s, (uint16_t)sid, o.label, o.label_len, o.protocol,
                               o.protocol_len, o.channel_type, o.reliability, true);
    int rc = send_or_queue(s, c, PPID_DCEP, 0, msg, n, false);
    g_free(msg);
    if (rc != LKC_OK) {
        g_hash_table_remove(s->channels, KEY(sid));
        return rc;
    }
    LKC_LOGD(LOG_MOD, "opening channel %u '%s'", sid, label);
    if (out_stream_id)
        *out_stream_id = (uint16_t)sid;
    return LKC_OK;
}

int lkc_sctp_send(lkc_sctp_t *s, uint16_t stream_id, bool binary, const uint8_t *data,
                  size_t len)
{
    if (!s || (len && !data))
        return LKC_ERR_INVALID_ARG;
    if (s->closed || s->freeing)
        return LKC_ERR_CLOSED;
    channel_t *c = find_channel(s, stream_id);
    if (!c || c->state == CH_CLOSING)
        return LKC_ERR_STATE;
    if (len > lkc_sctp_max_message_size(s))
        return LKC_ERR_TOO_LARGE;
    uint32_t ppid = binary ? PPID_BINARY : PPID_STRING;
    static const uint8_t empty_payload[1] = {0};
    if (len == 0) { /* SCTP cannot carry an empty message: one ignored byte, RFC 8831 §6.6 */
        ppid = binary ? PPID_BINARY_EMPTY : PPID_STRING_EMPTY;
        data = empty_payload;
        len = 1;
    }
    /* Until the peer has said something on the channel, send ordered (RFC 8832 §6). */
    uint16_t flags = (c->ordered || !c->heard_from_peer) ? 0 : SCTP_UNORDERED;
    return send_or_queue(s, c, ppid, flags, data, len, c->pr_policy != SCTP_PR_SCTP_NONE);
}

int lkc_sctp_close_channel(lkc_sctp_t *s, uint16_t stream_id)
{
    if (!s)
        return LKC_ERR_INVALID_ARG;
    channel_t *c = find_channel(s, stream_id);
    if (!c || c->state == CH_CLOSING)
        return LKC_ERR_STATE;
    if (s->closed || s->freeing)
        return LKC_ERR_CLOSED;
    if (!s->connected) { /* nothing was sent yet: the channel just goes away */
        drop_queued(s, stream_id);
        g_hash_table_remove(s->channels, KEY(stream_id));
        return LKC_OK;
    }
    c->state = CH_CLOSING;
    c->reset_pending = c->queued_msgs > 0;
    if (!c->reset_pending)
        reset_outgoing(s, stream_id);
    return LKC_OK;
}

size_t lkc_sctp_buffered_amount(const lkc_sctp_t *s)
{
    return s ? s->fifo_bytes : 0;
}

size_t lkc_sctp_channel_buffered_amount(const lkc_sctp_t *s, uint16_t stream_id)
{
    const channel_t *c = s ? find_channel(s, stream_id) : NULL;
    return c ? c->queued_bytes : 0;
}

size_t lkc_sctp_max_message_size(const lkc_sctp_t *s)
{
    if (!s)
        return 0;
    size_t remote = s->remote_max ? s->remote_max : LKC_SCTP_DEFAULT_REMOTE_MAX_MESSAGE_SIZE;
    return MIN(remote, (size_t)LKC_SCTP_LOCAL_MAX_MESSAGE_SIZE);
}

void lkc_sctp_set_remote_max_message_size(lkc_sctp_t *s, uint32_t size)
{
    if (s)
        s->remote_max = size;
}

static gboolean deferred_free_run(gpointer p)
{
    return G_SOURCE_REMOVE; /* the work is in the destroy notify, which also runs if ctx dies */
}

static void deferred_free(gpointer p)
{
    lkc_sctp_t *s = p;
    close_socket(s); /* unregistered already: its ABORT is dropped */
    destroy(s);
}

void lkc_sctp_free(lkc_sctp_t *s)
{
    if (!s || s->freeing)
        return;
    s->freeing = true; /* from here on no callback but send (for the ABORT) */
    drop_source(&s->ticker);
    drop_source(&s->flush_src);
    /* Closing the socket from inside usrsctp (one of its upcalls is on this thread's
     * stack) would pull the association from under it: leave that to an idle source. */
    if (!lkc_sctp_stack_in_usrsctp())
        close_socket(s); /* sends the ABORT through on_output while still registered */
    lkc_sctp_stack_unregister(s->id);
    s->id = 0;
    if (!s->sock && s->cb_depth == 0) {
        destroy(s);
        return;
    }
    /* Our own code is still on the stack (we were called from a callback): free later.
     * Drop our ctx ref now so a context the owner abandons still frees us. */
    GMainContext *ctx = s->ctx;
    s->ctx = NULL;
    GSource *src = g_idle_source_new();
    g_source_set_callback(src, deferred_free_run, s, deferred_free);
    g_source_attach(src, ctx);
    g_source_unref(src);
    g_main_context_unref(ctx);
}
