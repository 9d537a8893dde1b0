/* Incoming RPC requests on the engine thread: ack at once, find the method, run its
 * handler, and send the answer that comes later (from any thread, through
 * LKC__CMD_RPC_SYNC) as a v2 text stream or a v1 packet. Requests come as v1 packets or
 * as text streams on lk.rpc_request; responses to our calls as text streams on
 * lk.rpc_response are collected here too and handed to rpc_client.c. */
#include <string.h>

#include "base/log.h"
#include "base/source.h"
#include "room/rpc_internal.h"
#include "room/rpc_methods.h"

#define MOD "rpc"

static _Atomic uint64_t next_invocation = 1; /* process-wide: a handle never comes back */

static void send_error(lkc__rpc_t *r, const char *to, const char *id, uint32_t code, const char *message)
{
    lkc__rpc_send(r, lkc__rpc_error_packet(to, id, code, message, NULL));
}

static void inv_free(lkc__rpc_inv_t *inv)
{
    lkc_source_clear(&inv->expiry);
    g_free(inv->request_id);
    g_free(inv->caller);
    g_free(inv->method);
    g_free(inv);
}

static gboolean on_expiry(gpointer data)
{
    lkc__rpc_inv_t *inv = data;
    g_source_unref(inv->expiry);
    inv->expiry = NULL;
    LKC_LOGW(MOD, "the handler of \"%s\" did not answer request %s of \"%s\" in time: dropped", inv->method,
             inv->request_id, inv->caller);
    g_hash_table_remove(inv->r->invocations, &inv->id);
    inv_free(inv);
    return G_SOURCE_REMOVE;
}

/* A checked request: its handler runs (or the caller hears why not). */
static void dispatch(lkc__rpc_t *r, const char *caller, const char *id, const char *method, const char *payload,
                     size_t len, uint32_t timeout_ms)
{
    lkc_rpc_handler_t handler = NULL;
    void *user = NULL;
    if (!lkc__rpc_methods_find(r->room, method, &handler, &user)) {
        send_error(r, caller, id, LKC_RPC_UNSUPPORTED_METHOD, NULL);
        return;
    }
    if (g_hash_table_size(r->invocations) >= LKC__RPC_MAX_INVOCATIONS) {
        send_error(r, caller, id, LKC_RPC_APPLICATION_ERROR, "too many requests in flight");
        return;
    }
    if (!lkc__room_handlers_on(r->room))
        return; /* the room is being destroyed */
    lkc__rpc_inv_t *inv = g_new0(lkc__rpc_inv_t, 1);
    inv->id = atomic_fetch_add(&next_invocation, 1);
    inv->request_id = g_strdup(id);
    inv->caller = g_strdup(caller);
    inv->method = g_strdup(method);
    inv->r = r;
    /* the caller gives up after this; an answer later would find nobody waiting */
    uint32_t ms = timeout_ms ? timeout_ms : LKC__RPC_DEFAULT_RESPONSE_TIMEOUT_MS;
    inv->expiry = lkc__rpc_timer(r, ms > INT32_MAX ? INT32_MAX : (int)ms, on_expiry, inv);
    g_hash_table_insert(r->invocations, &inv->id, inv);
    const lkc_rpc_request_t req = {
        .request_id = id,
        .caller_identity = caller,
        .method = method,
        .payload = payload ? payload : "",
        .payload_len = payload ? len : 0,
        .response_timeout_ms = timeout_ms,
    };
    /* `inv` may be answered (and freed) inside: only its id is used from here on */
    handler(r->room, &req, inv->id, user);
}

void lkc__rpc_server_on_request(lkc__rpc_t *r, const Livekit__RpcRequest *q, const char *sender)
{
    lkc__rpc_check_t chk = lkc__rpc_check_request(q);
    if (chk == LKC__RPC_DROP || !*sender) {
        /* without a sender an answer would go to everyone in the room */
        LKC_LOGW(MOD, "an RPC request without an id or a sender (\"%s\"): dropped", sender);
        return;
    }
    /* the ack goes first, before any handler runs: the caller's ack timer is short. A
     * request from the server (RoomService.PerformRpc) names the request id as its
     * sender; the server takes the ack and the answer addressed to it. */
    lkc__rpc_send(r, lkc__rpc_ack_packet(sender, q->id));
    if (chk == LKC__RPC_BAD_VERSION) {
        send_error(r, sender, q->id, LKC_RPC_UNSUPPORTED_VERSION, NULL);
        return;
    }
    if (chk == LKC__RPC_BAD_REQUEST) {
        send_error(r, sender, q->id, LKC_RPC_APPLICATION_ERROR, "malformed RPC request");
        return;
    }
    if (q->compressed_payload.len && !*q->payload) {
        /* field 6: no SDK sends it yet (sdks-2026.md §2.1) */
        send_error(r, sender, q->id, LKC_RPC_UNSUPPORTED_VERSION, "compressed RPC payloads are not supported");
        return;
    }
    dispatch(r, sender, q->id, q->method, q->payload, strlen(q->payload), q->response_timeout_ms);
}

int lkc__rpc_server_respond(lkc__rpc_t *r, const lkc__rpc_cmd_t *cmd)
{
    lkc_rpc_invocation_t key = cmd->inv;
    lkc__rpc_inv_t *inv = g_hash_table_lookup(r->invocations, &key);
    if (!inv)
        return LKC_ERR_NOT_FOUND;
    g_hash_table_remove(r->invocations, &key);
    if (cmd->is_error) {
        lkc__rpc_send(r, lkc__rpc_error_packet(inv->caller, inv->request_id, cmd->code, cmd->message, cmd->data));
    } else {
        const char *p = cmd->payload ? cmd->payload : "";
        size_t len = strlen(p);
        bool present = false;
        int cp = r->ports.client_protocol(r->ports.user, inv->caller, &present);
        if (cp >= LKC__CLIENT_PROTOCOL_DATA_STREAM_RPC) {
            const lkc_kv_t attrs[] = {{LKC__RPC_ATTR_ID, inv->request_id}};
            if (!lkc__rpc_send_text(r, inv->caller, LKC__RPC_TOPIC_RESPONSE, p, len, attrs, 1))
                send_error(r, inv->caller, inv->request_id, LKC_RPC_SEND_FAILED, NULL);
        } else if (len > LKC_RPC_MAX_PAYLOAD) {
            LKC_LOGW(MOD, "the response to %s (%zu bytes) is over the v1 limit of \"%s\": 1504 instead",
                     inv->request_id, len, inv->caller);
            send_error(r, inv->caller, inv->request_id, LKC_RPC_RESPONSE_PAYLOAD_TOO_LARGE, NULL);
        } else {
            lkc__rpc_send(r, lkc__rpc_response_packet(inv->caller, inv->request_id, p));
        }
    }
    inv_free(inv);
    return LKC_OK;
}

/* --- text streams (v2) ------------------------------------------------------------ */

typedef struct incoming {
    bool request;          /* lk.rpc_request; else lk.rpc_response */
    char *id;
    char *method;
    uint32_t timeout_ms;
    GString *text;
    bool over;             /* more than LKC__RPC_MAX_V2_PAYLOAD: the rest is dropped */
} incoming_t;

static void incoming_free(incoming_t *in)
{
    g_free(in->id);
    g_free(in->method);
    g_string_free(in->text, TRUE);
    g_free(in);
}

void lkc__rpc_stream_open(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info, void *user)
{
    (void)room;
    lkc__rpc_t *r = user;
    if (!r || !info || r->ending)
        return;
    const char *sender = info->sender_identity ? info->sender_identity : "";
    bool request = info->topic && strcmp(info->topic, LKC__RPC_TOPIC_REQUEST) == 0;
    if (request && !*sender) {
        LKC_LOGW(MOD, "an RPC request stream without a sender: dropped");
        return;
    }
    incoming_t *in = g_new0(incoming_t, 1);
    in->request = request;
    in->text = g_string_new(NULL);
    if (request) {
        lkc__rpc_v2_attrs_t a;
        lkc__rpc_check_t chk = lkc__rpc_parse_v2_attrs(info->attributes, info->n_attributes, &a);
        if (chk == LKC__RPC_DROP || chk == LKC__RPC_BAD_REQUEST) {
            LKC_LOGW(MOD, "a malformed RPC request stream from \"%s\"", sender);
            if (chk == LKC__RPC_BAD_REQUEST) /* as client-sdk-js: an error, no ack */
                send_error(r, sender, a.id, LKC_RPC_APPLICATION_ERROR, "RPC data stream malformed");
            incoming_free(in);
            return;
        }
        lkc__rpc_send(r, lkc__rpc_ack_packet(sender, a.id));
        if (chk == LKC__RPC_BAD_VERSION) {
            send_error(r, sender, a.id, LKC_RPC_UNSUPPORTED_VERSION, NULL);
            incoming_free(in);
            return;
        }
        in->id = g_strdup(a.id);
        in->method = g_strdup(a.method);
        in->timeout_ms = a.response_timeout_ms;
    } else {
        const char *id = lkc__rpc_attr(info->attributes, info->n_attributes, LKC__RPC_ATTR_ID);
        if (!id || !*id) {
            LKC_LOGW(MOD, "an RPC response stream without %s from \"%s\": dropped", LKC__RPC_ATTR_ID, sender);
            incoming_free(in);
            return;
        }
        in->id = g_strdup(id);
    }
    g_hash_table_insert(r->incoming, reader, in);
}

void lkc__rpc_stream_chunk(lkc_room_t *room, lkc_stream_reader_t *reader, const uint8_t *data, size_t len, void *user)
{
    (void)room;
    lkc__rpc_t *r = user;
    incoming_t *in = r ? g_hash_table_lookup(r->incoming, reader) : NULL;
    if (!in || in->over || !data || len == 0)
        return;
    if (in->text->len + len > LKC__RPC_MAX_V2_PAYLOAD) {
        in->over = true;
        return;
    }
    g_string_append_len(in->text, (const char *)data, (gssize)len);
}

void lkc__rpc_stream_close(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info,
                           lkc_err_t status, const char *reason, void *user)
{
    (void)room;
    lkc__rpc_t *r = user;
    incoming_t *in = NULL;
    if (!r || !g_hash_table_steal_extended(r->incoming, reader, NULL, (gpointer *)&in) || !in)
        return;
    const char *sender = info && info->sender_identity ? info->sender_identity : "";
    if (status != LKC_OK && !r->ending)
        LKC_LOGW(MOD, "an RPC %s stream for %s from \"%s\" ended early: %s", in->request ? "request" : "response",
                 in->id, sender, reason ? reason : "");
    if (r->ending) {
        /* the session ends: nobody to answer, and our calls end on their own */
    } else if (in->request) {
        if (status != LKC_OK)
            send_error(r, sender, in->id, LKC_RPC_APPLICATION_ERROR, "Error reading RPC request payload");
        else if (in->over)
            send_error(r, sender, in->id, LKC_RPC_REQUEST_PAYLOAD_TOO_LARGE, NULL);
        else
            dispatch(r, sender, in->id, in->method, in->text->str, in->text->len, in->timeout_ms);
    } else {
        Livekit__RpcError e = LIVEKIT__RPC_ERROR__INIT;
        e.code = in->over ? LKC_RPC_RESPONSE_PAYLOAD_TOO_LARGE : LKC_RPC_APPLICATION_ERROR;
        e.message = (char *)(in->over ? lkc_rpc_error_message(e.code) : "Error reading RPC response payload");
        bool ok = status == LKC_OK && !in->over;
        lkc__rpc_client_on_response(r, in->id, sender, ok ? in->text->str : NULL, ok ? in->text->len : 0,
                                    ok ? NULL : &e);
    }
    incoming_free(in);
}

void lkc__rpc_server_free(lkc__rpc_t *r)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, r->invocations);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        g_hash_table_iter_steal(&it);
        inv_free(v);
    }
    g_hash_table_iter_init(&it, r->incoming);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        g_hash_table_iter_steal(&it);
        incoming_free(v);
    }
}
