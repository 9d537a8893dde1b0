/* Sending on an SCTP association: messages go to usrsctp at once when nothing waits before
 * them; what usrsctp cannot take yet (before the association is up, or with its send buffer
 * full) waits in a FIFO, flushed in order from the main loop when usrsctp reports free
 * space. Reliable messages are never dropped; the FIFO is bounded by LKC_SCTP_MAX_BUFFERED.
 * A closing channel's stream is reset once its last queued message is out. */
#include "rtc/sctp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <usrsctp.h>

#include "base/log.h"
#include "lkc/error.h"
#include "rtc/sctp_internal.h"
#include "rtc/sctp_stack.h"

typedef struct out_msg {
    uint16_t sid;
    uint16_t flags;
    uint16_t pr_policy;
    uint32_t pr_value;
    uint32_t ppid;
    size_t len;
    uint8_t data[];
} out_msg_t;

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
        lkc_sctp_channel_reset_outgoing(s, c->id);
    }
}

void lkc_sctp_queue_drop_stream(lkc_sctp_t *s, uint16_t sid)
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
int lkc_sctp_queue_send(lkc_sctp_t *s, channel_t *c, uint32_t ppid, uint16_t flags,
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
    if (s->fifo_bytes + len > LKC_SCTP_MAX_BUFFERED) {
        s->refused = true;
        return LKC_ERR_WOULD_BLOCK;
    }
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
void lkc_sctp_queue_flush(lkc_sctp_t *s)
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
    if (s->refused && s->fifo_bytes <= LKC_SCTP_MAX_BUFFERED / 2 && !s->closed) {
        s->refused = false;
        if (s->cb.on_sendable && !s->freeing) {
            s->cb_depth++;
            s->cb.on_sendable(s->user);
            s->cb_depth--;
        }
    }
}

static gboolean flush_run(gpointer p)
{
    lkc_sctp_t *s = p;
    g_source_unref(s->flush_src);
    s->flush_src = NULL;
    lkc_sctp_queue_flush(s);
    return G_SOURCE_REMOVE;
}

/* From the send-space and sender-dry notifications: flush from the main loop rather than
 * from inside usrsctp's SACK processing. */
void lkc_sctp_queue_schedule_flush(lkc_sctp_t *s)
{
    if (s->flush_src || s->freeing || g_queue_is_empty(&s->fifo))
        return;
    s->flush_src = g_idle_source_new();
    g_source_set_priority(s->flush_src, G_PRIORITY_DEFAULT);
    g_source_set_callback(s->flush_src, flush_run, s, NULL);
    g_source_attach(s->flush_src, s->ctx);
}

void lkc_sctp_queue_clear(lkc_sctp_t *s)
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
    return lkc_sctp_queue_send(s, c, ppid, flags, data, len, c->pr_policy != SCTP_PR_SCTP_NONE);
}

size_t lkc_sctp_buffered_amount(const lkc_sctp_t *s)
{
    return s ? s->fifo_bytes : 0;
}

