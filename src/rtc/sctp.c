/* One SCTP association over DTLS: its life (creation, connect, input, a teardown that
 * leaves no callback behind), the upcalls of its usrsctp socket, the reassembly of messages
 * delivered in pieces, and the notifications (association up or gone, stream changes).
 * Data channels are in sctp_channel.c, sending and the send FIFO in sctp_queue.c; socket
 * options, threading and the id table in sctp_stack.c. */
#include "rtc/sctp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#include "base/log.h"
#include "lkc/error.h"
#include "rtc/sctp_internal.h"
#include "rtc/sctp_stack.h"

#define MAX_PARTIAL_BYTES (2 * LKC_SCTP_LOCAL_MAX_MESSAGE_SIZE)

typedef struct partial {
    GByteArray *buf;
    bool overflow; /* over our limit: swallow the rest, deliver nothing */
} partial_t;

static void partial_free(gpointer p)
{
    partial_t *part = p;
    g_byte_array_unref(part->buf);
    g_free(part);
}

void lkc_sctp_drop_partial(lkc_sctp_t *s, uint16_t sid)
{
    partial_t *p = g_hash_table_lookup(s->partials, KEY(sid));
    if (p) {
        s->partial_bytes -= p->buf->len;
        g_hash_table_remove(s->partials, KEY(sid));
    }
}

static void fail(lkc_sctp_t *s, const char *reason)
{
    if (s->closed)
        return;
    s->closed = true;
    lkc_sctp_queue_clear(s);
    LKC_LOGI(LOG_MOD, "association closed: %s", reason);
    EMIT(s, on_closed, reason);
}

/* ---- receiving ---- */

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
            lkc_sctp_channel_deliver(s, sid, ppid, data, len);
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
        lkc_sctp_channel_deliver(s, sid, ppid, p->buf->data, p->buf->len);
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
        lkc_sctp_queue_flush(s); /* the OPENs and messages queued before connect go first */
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
            lkc_sctp_channel_on_stream_reset(s, &n->sn_strreset_event);
        break;
    case SCTP_SENDER_DRY_EVENT:
        if (lkc_sctp_buffered_amount(s) == 0 && s->cb.on_all_acked)
            s->cb.on_all_acked(s->user);
        lkc_sctp_queue_schedule_flush(s);
        break;
    case SCTP_PARTIAL_DELIVERY_EVENT: /* e.g. a PR-SCTP message abandoned halfway */
        if (len >= sizeof n->sn_pdapi_event && n->sn_pdapi_event.pdapi_stream <= UINT16_MAX)
            lkc_sctp_drop_partial(s, (uint16_t)n->sn_pdapi_event.pdapi_stream);
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
    lkc_sctp_queue_schedule_flush(obj);
}

static const lkc_sctp_stack_ops_t stack_ops = {
    .output = on_output,
    .receive = on_receive,
    .send_space = on_send_space,
};

/* ---- lifetime ---- */

static void destroy(lkc_sctp_t *s)
{
    lkc_sctp_queue_clear(s);
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
    s->channels = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, lkc_sctp_channel_free);
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
    lkc_sctp_stack_ticker_hold(s->ctx);
    s->ticking = true;
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

size_t lkc_sctp_max_message_size(const lkc_sctp_t *s)
{
    if (!s)
        return 0;
    size_t remote = s->remote_max ? s->remote_max : LKC_SCTP_DEFAULT_REMOTE_MAX_MESSAGE_SIZE;
    return MIN(remote, (size_t)LKC_SCTP_LOCAL_MAX_MESSAGE_SIZE);
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
    if (s->ticking) {
        s->ticking = false;
        lkc_sctp_stack_ticker_release(s->ctx);
    }
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
