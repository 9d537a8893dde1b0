/* The data channels of an SCTP association (RFC 8831/8832): the DCEP handshake (OPEN and
 * ACK both ways), stream ids by DTLS-role parity, delivery of received messages to their
 * channel, and closing by stream reset in both directions (an id is reused only once the
 * peer has confirmed its reset). */
#include "rtc/sctp.h"

#include <errno.h>
#include <string.h>
#include <usrsctp.h>

#include "base/log.h"
#include "lkc/error.h"
#include "rtc/dcep.h"
#include "rtc/sctp_internal.h"
#include "rtc/sctp_stack.h"

void lkc_sctp_channel_free(gpointer p)
{
    channel_t *c = p;
    g_free(c->label);
    g_free(c->protocol);
    g_free(c);
}

/* ---- opening: DCEP ---- */

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
        int r = lkc_sctp_queue_send(s, c, PPID_DCEP, 0, ack, ack_len, false);
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

/* ---- receiving ---- */

void lkc_sctp_channel_deliver(lkc_sctp_t *s, uint16_t sid, uint32_t ppid, const uint8_t *data,
                              size_t len)
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

/* ---- closing: stream resets ---- */

void lkc_sctp_channel_reset_outgoing(lkc_sctp_t *s, uint16_t sid)
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

/* The peer reset its outgoing stream sid: the channel is gone. Answer with our own reset
 * unless we started the close and already sent it (RFC 8831 §6.7). */
static void peer_reset(lkc_sctp_t *s, uint16_t sid)
{
    lkc_sctp_drop_partial(s, sid);
    channel_t *c = find_channel(s, sid);
    if (!c)
        return;
    bool reset_sent = c->state == CH_CLOSING && !c->reset_pending;
    if (!reset_sent) {
        /* the peer is gone from this channel: nobody would read them */
        lkc_sctp_queue_drop_stream(s, sid);
        lkc_sctp_channel_reset_outgoing(s, sid);
    }
    g_hash_table_remove(s->channels, KEY(sid));
    LKC_LOGD(LOG_MOD, "channel %u closed", sid);
    EMIT(s, on_channel_closed, sid);
}

void lkc_sctp_channel_on_stream_reset(lkc_sctp_t *s, const struct sctp_stream_reset_event *ev)
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

/* ---- API ---- */

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
    int rc = lkc_sctp_queue_send(s, c, PPID_DCEP, 0, msg, n, false);
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
        lkc_sctp_queue_drop_stream(s, stream_id);
        g_hash_table_remove(s->channels, KEY(stream_id));
        return LKC_OK;
    }
    c->state = CH_CLOSING;
    c->reset_pending = c->queued_msgs > 0;
    if (!c->reset_pending)
        lkc_sctp_channel_reset_outgoing(s, stream_id);
    return LKC_OK;
}

size_t lkc_sctp_channel_buffered_amount(const lkc_sctp_t *s, uint16_t stream_id)
{
    const channel_t *c = s ? find_channel(s, stream_id) : NULL;
    return c ? c->queued_bytes : 0;
}

