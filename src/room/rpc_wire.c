/* RPC packets and limits (see rpc_wire.h). */
#include "room/rpc_wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *lkc_rpc_error_message(uint32_t code)
{
    /* the texts of client-sdk-js (RpcError.ErrorMessage), so logs read alike */
    switch (code) {
    case LKC_RPC_APPLICATION_ERROR: return "Application error in method handler";
    case LKC_RPC_CONNECTION_TIMEOUT: return "Connection timeout";
    case LKC_RPC_RESPONSE_TIMEOUT: return "Response timeout";
    case LKC_RPC_RECIPIENT_DISCONNECTED: return "Recipient disconnected";
    case LKC_RPC_RESPONSE_PAYLOAD_TOO_LARGE: return "Response payload too large";
    case LKC_RPC_SEND_FAILED: return "Failed to send";
    case LKC_RPC_UNSUPPORTED_METHOD: return "Method not supported at destination";
    case LKC_RPC_RECIPIENT_NOT_FOUND: return "Recipient not found";
    case LKC_RPC_REQUEST_PAYLOAD_TOO_LARGE: return "Request payload too large";
    case LKC_RPC_UNSUPPORTED_SERVER: return "RPC not supported by server";
    case LKC_RPC_UNSUPPORTED_VERSION: return "Unsupported RPC version";
    default: return "";
    }
}

size_t lkc__rpc_utf8_cut(const char *s, size_t len, size_t max)
{
    if (!s || len <= max)
        return s ? len : 0;
    /* s[max] is the first byte left out: when it continues a sequence, the sequence's
     * lead byte (at most 3 back) goes too */
    size_t p = max;
    for (int back = 0; back < 4 && p > 0 && ((uint8_t)s[p] & 0xC0) == 0x80; back++)
        p--;
    if (((uint8_t)s[p] & 0xC0) == 0x80)
        return max; /* not UTF-8 here: a plain byte cut */
    return p;
}

uint32_t lkc__rpc_wire_timeout(int response_timeout_ms)
{
    if (response_timeout_ms < LKC__RPC_MIN_WIRE_TIMEOUT_MS)
        return LKC__RPC_MIN_WIRE_TIMEOUT_MS;
    return (uint32_t)response_timeout_ms;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* The packet of `dp` with one destination (none when `dest` is NULL or ""). */
static lkc__outgoing_t *addressed(Livekit__DataPacket *dp, const char *dest)
{
    char *d[1] = {(char *)dest};
    if (dest && *dest) {
        dp->destination_identities = d;
        dp->n_destination_identities = 1;
    }
    return lkc__outgoing_packet(LKC_DATA_RELIABLE, dp);
}

lkc__outgoing_t *lkc__rpc_request_packet(const char *dest, const char *id, const char *method, const char *payload,
                                         uint32_t response_timeout_ms)
{
    Livekit__RpcRequest q = LIVEKIT__RPC_REQUEST__INIT;
    q.id = (char *)nz(id);
    q.method = (char *)nz(method);
    q.payload = (char *)nz(payload);
    q.response_timeout_ms = response_timeout_ms;
    q.version = LKC__RPC_VERSION_V1;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_RPC_REQUEST;
    dp.rpc_request = &q;
    return addressed(&dp, dest);
}

lkc__outgoing_t *lkc__rpc_ack_packet(const char *dest, const char *request_id)
{
    Livekit__RpcAck a = LIVEKIT__RPC_ACK__INIT;
    a.request_id = (char *)nz(request_id);
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_RPC_ACK;
    dp.rpc_ack = &a;
    return addressed(&dp, dest);
}

lkc__outgoing_t *lkc__rpc_response_packet(const char *dest, const char *request_id, const char *payload)
{
    Livekit__RpcResponse r = LIVEKIT__RPC_RESPONSE__INIT;
    r.request_id = (char *)nz(request_id);
    r.value_case = LIVEKIT__RPC_RESPONSE__VALUE_PAYLOAD;
    r.payload = (char *)nz(payload);
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_RPC_RESPONSE;
    dp.rpc_response = &r;
    return addressed(&dp, dest);
}

lkc__outgoing_t *lkc__rpc_error_packet(const char *dest, const char *request_id, uint32_t code, const char *message,
                                       const char *data)
{
    const char *msg = message ? message : lkc_rpc_error_message(code);
    char *m = g_strndup(msg, lkc__rpc_utf8_cut(msg, strlen(msg), LKC_RPC_MAX_ERROR_MESSAGE));
    char *d = data ? g_strndup(data, lkc__rpc_utf8_cut(data, strlen(data), LKC_RPC_MAX_PAYLOAD)) : NULL;
    Livekit__RpcError e = LIVEKIT__RPC_ERROR__INIT;
    e.code = code;
    e.message = m;
    e.data = d ? d : (char *)"";
    Livekit__RpcResponse r = LIVEKIT__RPC_RESPONSE__INIT;
    r.request_id = (char *)nz(request_id);
    r.value_case = LIVEKIT__RPC_RESPONSE__VALUE_ERROR;
    r.error = &e;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_RPC_RESPONSE;
    dp.rpc_response = &r;
    lkc__outgoing_t *o = addressed(&dp, dest);
    g_free(m);
    g_free(d);
    return o;
}

lkc__rpc_check_t lkc__rpc_check_request(const Livekit__RpcRequest *q)
{
    if (!q || !q->id || !*q->id)
        return LKC__RPC_DROP;
    if (q->version != LKC__RPC_VERSION_V1)
        return LKC__RPC_BAD_VERSION;
    if (!q->method || !*q->method)
        return LKC__RPC_BAD_REQUEST;
    return LKC__RPC_OK;
}

const char *lkc__rpc_attr(const lkc_kv_t *attrs, size_t n, const char *key)
{
    for (size_t i = 0; attrs && i < n; i++)
        if (attrs[i].key && strcmp(attrs[i].key, key) == 0)
            return attrs[i].value ? attrs[i].value : "";
    return NULL;
}

/* A decimal uint32 with nothing else around it. */
static bool parse_u32(const char *s, uint32_t *out)
{
    if (!s || !*s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

lkc__rpc_check_t lkc__rpc_parse_v2_attrs(const lkc_kv_t *attrs, size_t n, lkc__rpc_v2_attrs_t *out)
{
    memset(out, 0, sizeof *out);
    out->id = lkc__rpc_attr(attrs, n, LKC__RPC_ATTR_ID);
    if (!out->id || !*out->id)
        return LKC__RPC_DROP;
    out->method = lkc__rpc_attr(attrs, n, LKC__RPC_ATTR_METHOD);
    if (!out->method || !*out->method ||
        !parse_u32(lkc__rpc_attr(attrs, n, LKC__RPC_ATTR_TIMEOUT), &out->response_timeout_ms) ||
        !parse_u32(lkc__rpc_attr(attrs, n, LKC__RPC_ATTR_VERSION), &out->version))
        return LKC__RPC_BAD_REQUEST;
    return out->version == LKC__RPC_VERSION_V2 ? LKC__RPC_OK : LKC__RPC_BAD_VERSION;
}
