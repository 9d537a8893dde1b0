/* Outgoing RPC calls on the engine thread: send (v1 packet or v2 text stream, chosen by
 * the callee's client_protocol), the ack and response timers, and every way a call ends.
 * Each call taken by the engine ends exactly once, in finish(). */
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/rand.h"
#include "base/source.h"
#include "room/rpc_internal.h"

#define MOD "rpc"

/* results are made here (the caller side), so they are freed here too */
void lkc_rpc_result_free(lkc_rpc_result_t *r)
{
    if (!r)
        return;
    g_free(r->payload);
    g_free(r->error_message);
    g_free(r->error_data);
    g_free(r);
}

void lkc__rpc_waiter_unref(lkc__rpc_waiter_t *w)
{
    if (!w || !g_atomic_int_dec_and_test(&w->refs))
        return;
    lkc_rpc_result_free(w->result);
    g_free(w);
}

void lkc__rpc_call_free(lkc__rpc_call_t *c)
{
    if (!c)
        return;
    lkc_source_clear(&c->ack_timer);
    lkc_source_clear(&c->timer);
    /* a call the engine never took: its caller was told by the call's result */
    lkc__rpc_waiter_unref(c->waiter);
    g_free(c->dest);
    g_free(c->dest_sid);
    g_free(c->method);
    g_free(c->payload);
    g_free(c);
}

/* Wakes a blocked caller with `rc` and `res` (which it then owns). */
static void wake(lkc_room_t *room, lkc__rpc_waiter_t *w, int rc, lkc_rpc_result_t *res)
{
    pthread_mutex_lock(&room->lock);
    if (!w->done) {
        w->done = true;
        w->rc = rc;
        w->result = res;
        res = NULL;
    }
    pthread_cond_broadcast(&room->cond);
    pthread_mutex_unlock(&room->lock);
    lkc_rpc_result_free(res);
}

/* The one end of a taken call: out of the table, timers off, the outcome to its caller.
 * `closed`: a blocked caller returns LKC_ERR_CLOSED instead of a result. */
static void finish(lkc__rpc_t *r, lkc__rpc_call_t *c, uint32_t code, const char *payload, size_t len,
                   const char *message, const char *data, bool closed)
{
    g_hash_table_remove(r->calls, c->id);
    lkc_source_clear(&c->ack_timer);
    lkc_source_clear(&c->timer);
    lkc_rpc_result_t *res = g_new0(lkc_rpc_result_t, 1);
    res->error_code = code;
    if (code == 0) {
        res->payload = g_strndup(payload ? payload : "", len);
        res->payload_len = payload ? len : 0;
    } else {
        res->error_message = g_strdup(message ? message : lkc_rpc_error_message(code));
        res->error_data = data && *data ? g_strdup(data) : NULL;
    }
    res->round_trip_ms = c->sent_us ? (lkc_mono_us() - c->sent_us) / 1000 : 0;
    LKC_LOGD(MOD, "call %s %s -> \"%s\": %u %s", c->id, c->method, c->dest, code,
             code ? res->error_message : "ok");
    if (c->waiter) {
        wake(r->room, c->waiter, closed ? LKC_ERR_CLOSED : LKC_OK, res);
    } else {
        if (c->done)
            c->done(r->room, res, c->user);
        lkc_rpc_result_free(res);
    }
    lkc__rpc_call_free(c);
}

static gboolean on_ack_timeout(gpointer data)
{
    lkc__rpc_call_t *c = data;
    g_source_unref(c->ack_timer);
    c->ack_timer = NULL;
    finish(c->r, c, LKC_RPC_CONNECTION_TIMEOUT, NULL, 0, NULL, NULL, false);
    return G_SOURCE_REMOVE;
}

static gboolean on_timer(gpointer data)
{
    lkc__rpc_call_t *c = data;
    g_source_unref(c->timer);
    c->timer = NULL;
    finish(c->r, c, c->settled ? c->early_code : LKC_RPC_RESPONSE_TIMEOUT, NULL, 0, NULL, NULL, false);
    return G_SOURCE_REMOVE;
}

/* An outcome known before anything is sent: delivered from the loop, never inside the
 * public call that made the call. */
static void settle_early(lkc__rpc_t *r, lkc__rpc_call_t *c, uint32_t code)
{
    c->settled = true;
    c->early_code = code;
    c->timer = lkc__rpc_timer(r, 0, on_timer, c);
}

int lkc__rpc_client_start(lkc__rpc_t *r, lkc__rpc_call_t *c)
{
    if (!c)
        return LKC_ERR_INVALID_ARG;
    if (r->ending)
        return LKC_ERR_STATE; /* e.g. a new call from a `done` run by the session's end */
    if (g_hash_table_size(r->calls) >= LKC__RPC_MAX_CALLS)
        return LKC_ERR_WOULD_BLOCK;
    c->r = r;
    do
        lkc_random_uuid(c->id);
    while (g_hash_table_contains(r->calls, c->id));
    g_hash_table_insert(r->calls, c->id, c);
    c->sent_us = lkc_mono_us();

    bool present = false;
    int cp = r->ports.client_protocol(r->ports.user, c->dest, &present);
    if (!present) {
        settle_early(r, c, LKC_RPC_RECIPIENT_NOT_FOUND);
        return LKC_OK;
    }
    c->dest_sid = lkc__rpc_peer_sid(r, c->dest);
    bool v2 = cp >= LKC__CLIENT_PROTOCOL_DATA_STREAM_RPC;
    if (!v2 && c->payload_len > LKC_RPC_MAX_PAYLOAD) {
        settle_early(r, c, LKC_RPC_REQUEST_PAYLOAD_TOO_LARGE);
        return LKC_OK;
    }
    uint32_t wire_timeout = lkc__rpc_wire_timeout(c->response_timeout_ms);
    if (v2) {
        char timeout[16], version[4];
        g_snprintf(timeout, sizeof timeout, "%u", wire_timeout);
        g_snprintf(version, sizeof version, "%d", LKC__RPC_VERSION_V2);
        const lkc_kv_t attrs[] = {
            {LKC__RPC_ATTR_ID, c->id},
            {LKC__RPC_ATTR_METHOD, c->method},
            {LKC__RPC_ATTR_TIMEOUT, timeout},
            {LKC__RPC_ATTR_VERSION, version},
        };
        if (!lkc__rpc_send_text(r, c->dest, LKC__RPC_TOPIC_REQUEST, c->payload, c->payload_len, attrs, 4)) {
            settle_early(r, c, LKC_RPC_SEND_FAILED);
            return LKC_OK;
        }
    } else {
        lkc__rpc_send(r, lkc__rpc_request_packet(c->dest, c->id, c->method, c->payload, wire_timeout));
    }
    c->ack_timer = lkc__rpc_timer(r, c->ack_timeout_ms, on_ack_timeout, c);
    c->timer = lkc__rpc_timer(r, c->response_timeout_ms, on_timer, c);
    return LKC_OK;
}

void lkc__rpc_client_on_ack(lkc__rpc_t *r, const char *request_id)
{
    lkc__rpc_call_t *c = g_hash_table_lookup(r->calls, request_id);
    if (!c || c->settled) {
        LKC_LOGD(MOD, "an ack for an unknown call %s", request_id);
        return;
    }
    c->acked = true;
    lkc_source_clear(&c->ack_timer);
}

void lkc__rpc_client_on_response(lkc__rpc_t *r, const char *request_id, const char *sender, const char *payload,
                                 size_t len, const Livekit__RpcError *error)
{
    lkc__rpc_call_t *c = g_hash_table_lookup(r->calls, request_id);
    if (!c || c->settled) {
        LKC_LOGD(MOD, "a response for an unknown call %s (from \"%s\"; it may have timed out)", request_id,
                 sender);
        return;
    }
    if (sender && *sender && strcmp(sender, c->dest) != 0) {
        LKC_LOGW(MOD, "a response for %s from \"%s\", not from \"%s\": ignored", request_id, sender, c->dest);
        return;
    }
    if (error)
        finish(r, c, error->code ? error->code : LKC_RPC_APPLICATION_ERROR, NULL, 0,
               error->message && *error->message ? error->message : NULL, error->data, false);
    else
        finish(r, c, 0, payload, len, NULL, NULL, false);
}

void lkc__rpc_client_end_all(lkc__rpc_t *r, uint32_t code, const char *message, bool closed)
{
    GList *all = g_hash_table_get_values(r->calls);
    for (GList *l = all; l; l = l->next)
        finish(r, l->data, code, NULL, 0, message, NULL, closed);
    g_list_free(all);
}

void lkc__rpc_client_check_present(lkc__rpc_t *r)
{
    GList *gone = NULL;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, r->calls);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        lkc__rpc_call_t *c = v;
        if (c->settled)
            continue;
        bool present = false;
        r->ports.client_protocol(r->ports.user, c->dest, &present);
        /* the same identity with a new SID is a new session of the callee (it rejoined,
         * e.g. after its full reconnect): the request went to the old one */
        if (!present || (c->dest_sid && !lkc__rpc_peer_session_current(r, c->dest, c->dest_sid)))
            gone = g_list_prepend(gone, c);
    }
    for (GList *l = gone; l; l = l->next)
        finish(r, l->data, LKC_RPC_RECIPIENT_DISCONNECTED, NULL, 0, NULL, NULL, false);
    g_list_free(gone);
}
