/* The engine half of RPC for one session (see rpc.h): routes packets and text streams to
 * the caller side (rpc_client.c) and the callee side (rpc_server.c), and sends. */
#include "room/rpc.h"

#include <string.h>

#include "base/log.h"
#include "base/rand.h"
#include "room/rpc_internal.h"
#include "room/stream_encode.h"

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

void lkc__rpc_command(lkc__rpc_t *r, void *cmd)
{
    (void)r;
    (void)cmd;
    LKC_LOGW(MOD, "RPC commands are calls (LKC__CMD_RPC_SYNC); a posted one is ignored");
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

void lkc__rpc_send(lkc__rpc_t *r, lkc__outgoing_t *o)
{
    r->ports.send(r->ports.user, o);
}

bool lkc__rpc_send_text(lkc__rpc_t *r, const char *dest, const char *topic, const char *text, size_t len,
                        const lkc_kv_t *attrs, size_t n_attrs)
{
    bool present = false;
    int cp = r->ports.client_protocol(r->ports.user, dest, &present);
    char id[37];
    lkc_random_uuid(id);
    const char *d[1] = {dest};
    /* as the official SDKs: one packet (inline) for peers that read data streams v2, and
     * deflate-raw when the peer says it inflates (lkc__stream_encode_text keeps it only
     * when it shrinks the content) */
    bool deflate = cp >= 2 && (lkc__rpc_peer_capabilities(r, dest) & LKC_CAP_COMPRESSION_DEFLATE_RAW);
    GPtrArray *pkts = lkc__stream_encode_text(id, topic, text, len, d, 1, attrs, n_attrs, cp >= 2, deflate);
    if (!pkts) {
        LKC_LOGW(MOD, "cannot encode a text stream on %s", topic);
        return false;
    }
    g_ptr_array_set_free_func(pkts, NULL);
    for (guint i = 0; i < pkts->len; i++)
        lkc__rpc_send(r, g_ptr_array_index(pkts, i));
    g_ptr_array_unref(pkts);
    return true;
}

char *lkc__rpc_peer_sid(lkc__rpc_t *r, const char *identity)
{
    char *sid = NULL;
    pthread_mutex_lock(&r->room->lock);
    GPtrArray *a = r->room->remotes;
    /* the last one: in join order, the newest session when an identity is listed twice */
    for (guint i = 0; a && identity && i < a->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(a, i);
        if (p->identity && strcmp(p->identity, identity) == 0 && p->sid && *p->sid) {
            g_free(sid);
            sid = g_strdup(p->sid);
        }
    }
    pthread_mutex_unlock(&r->room->lock);
    return sid;
}

uint32_t lkc__rpc_peer_capabilities(lkc__rpc_t *r, const char *identity)
{
    uint32_t caps = 0;
    pthread_mutex_lock(&r->room->lock);
    GPtrArray *a = r->room->remotes;
    for (guint i = 0; a && identity && i < a->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(a, i);
        if (p->identity && strcmp(p->identity, identity) == 0)
            caps = p->capabilities; /* the last: the newest session */
    }
    pthread_mutex_unlock(&r->room->lock);
    return caps;
}

bool lkc__rpc_peer_session_current(lkc__rpc_t *r, const char *identity, const char *sid)
{
    bool same = false, other = false;
    pthread_mutex_lock(&r->room->lock);
    GPtrArray *a = r->room->remotes;
    for (guint i = 0; a && i < a->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(a, i);
        if (!p->identity || strcmp(p->identity, identity) != 0)
            continue;
        if (p->sid && strcmp(p->sid, sid) == 0)
            same = true;
        else
            other = true;
    }
    pthread_mutex_unlock(&r->room->lock);
    return same && !other;
}

GSource *lkc__rpc_timer(lkc__rpc_t *r, int ms, GSourceFunc fn, void *data)
{
    GSource *s = g_timeout_source_new(ms > 0 ? (guint)ms : 0);
    g_source_set_callback(s, fn, data, NULL);
    g_source_attach(s, r->ctx);
    return s;
}
