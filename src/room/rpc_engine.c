/* The engine half of RPC for one session (see rpc.h): routes packets and text streams to
 * the caller side (rpc_client.c) and the callee side (rpc_server.c); rpc_peer.c sends. */
#include "room/rpc.h"

#include <string.h>

#include "base/log.h"
#include "room/rpc_internal.h"

#define MOD "rpc"

lkc__rpc_t *lkc__rpc_new(lkc_room_t *room, GMainContext *ctx, const lkc__rpc_ports_t *ports)
{
    lkc__rpc_t *r = g_new0(lkc__rpc_t, 1);
    r->room = room;
    r->ctx = ctx;
    r->ports = *ports;
    r->calls = g_hash_table_new(g_str_hash, g_str_equal);
    r->invocations = g_hash_table_new(g_int64_hash, g_int64_equal);
    r->incoming = g_hash_table_new(g_direct_hash, g_direct_equal);
    return r;
}

void lkc__rpc_free(lkc__rpc_t *r)
{
    if (!r)
        return;
    r->ending = true;
    /* the room's session ends: async callers hear 1503, blocked ones LKC_ERR_CLOSED */
    lkc__rpc_client_end_all(r, LKC_RPC_RECIPIENT_DISCONNECTED, "room disconnected", true);
    lkc__rpc_server_free(r);
    g_hash_table_destroy(r->calls);
    g_hash_table_destroy(r->invocations);
    g_hash_table_destroy(r->incoming);
    g_free(r);
}

void lkc__rpc_on_packet(lkc__rpc_t *r, const Livekit__DataPacket *dp, const char *sender)
{
    if (!r || !dp)
        return;
    const char *from = sender ? sender : "";
    switch (dp->value_case) {
    case LIVEKIT__DATA_PACKET__VALUE_RPC_REQUEST: lkc__rpc_server_on_request(r, dp->rpc_request, from); break;
    case LIVEKIT__DATA_PACKET__VALUE_RPC_ACK:
        if (dp->rpc_ack && dp->rpc_ack->request_id)
            lkc__rpc_client_on_ack(r, dp->rpc_ack->request_id);
        break;
    case LIVEKIT__DATA_PACKET__VALUE_RPC_RESPONSE: {
        const Livekit__RpcResponse *res = dp->rpc_response;
        if (!res || !res->request_id || !*res->request_id) {
            LKC_LOGW(MOD, "an RPC response without a request id from \"%s\": dropped", from);
            break;
        }
        if (res->value_case == LIVEKIT__RPC_RESPONSE__VALUE_ERROR && res->error) {
            lkc__rpc_client_on_response(r, res->request_id, from, NULL, 0, res->error);
        } else if (res->value_case == LIVEKIT__RPC_RESPONSE__VALUE_PAYLOAD || res->value_case == 0) {
            const char *p = res->value_case ? res->payload : "";
            lkc__rpc_client_on_response(r, res->request_id, from, p ? p : "", p ? strlen(p) : 0, NULL);
        } else {
            /* compressed_payload: no SDK sends it yet (sdks-2026.md §2.1) */
            Livekit__RpcError e = LIVEKIT__RPC_ERROR__INIT;
            e.code = LKC_RPC_UNSUPPORTED_VERSION;
            e.message = (char *)"compressed RPC responses are not supported";
            lkc__rpc_client_on_response(r, res->request_id, from, NULL, 0, &e);
        }
        break;
    }
    default: break;
    }
}

void lkc__rpc_on_text(lkc__rpc_t *r, const lkc_stream_info_t *info, const char *text, size_t len)
{
    /* whole streams come through the handlers below; kept for callers that have one */
    (void)r;
    (void)info;
    (void)text;
    (void)len;
}

const lkc_stream_handlers_t *lkc__rpc_stream_handlers(void)
{
    static const lkc_stream_handlers_t h = {
        .on_open = lkc__rpc_stream_open,
        .on_chunk = lkc__rpc_stream_chunk,
        .on_close = lkc__rpc_stream_close,
    };
    return &h;
}

int lkc__rpc_call_command(lkc__rpc_t *r, void *data)
{
    lkc__rpc_cmd_t *cmd = data;
    if (!r || !cmd)
        return LKC_ERR_STATE;
    switch (cmd->op) {
    case LKC__RPC_OP_CALL: {
        int rc = lkc__rpc_client_start(r, cmd->call);
        if (rc == LKC_OK)
            cmd->call = NULL; /* taken */
        return rc;
    }
    case LKC__RPC_OP_RESPOND: return lkc__rpc_server_respond(r, cmd);
    }
    return LKC_ERR_INVALID_ARG;
}

void lkc__rpc_on_model_changed(lkc__rpc_t *r)
{
    if (r)
        lkc__rpc_client_check_present(r);
}

void lkc__rpc_on_restart(lkc__rpc_t *r)
{
    /* a new session on the server: requests and responses of the old one are lost (the
     * callee's answer, if any, goes to a participant that no longer exists) */
    if (r)
        lkc__rpc_client_end_all(r, LKC_RPC_SEND_FAILED,
                                "the connection was re-established (full reconnect): the call was lost", false);
}
