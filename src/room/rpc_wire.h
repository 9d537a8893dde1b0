/* RPC on the wire: the v1 packets lkc sends (request, ack, response, error), the checks
 * on what arrives, the limits, UTF-8-safe truncation, the standard error messages and
 * the v2 stream attributes. Pure functions: any thread, no state. */
#ifndef LKC_ROOM_RPC_WIRE_H
#define LKC_ROOM_RPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "livekit_models.pb-c.h"
#include "lkc/rpc.h"
#include "room/data_packet.h"

#define LKC__RPC_VERSION_V1 1
#define LKC__RPC_VERSION_V2 2
/* the callee is told at least this response timeout (client-sdk-js: max round trip
 * latency 7000 + 1000) */
#define LKC__RPC_MIN_WIRE_TIMEOUT_MS 8000
#define LKC__RPC_DEFAULT_RESPONSE_TIMEOUT_MS 15000
#define LKC__RPC_DEFAULT_ACK_TIMEOUT_MS 7000
/* the ParticipantInfo.client_protocol from which a peer reads RPC over data streams */
#define LKC__CLIENT_PROTOCOL_DATA_STREAM_RPC 1

#define LKC__RPC_TOPIC_REQUEST "lk.rpc_request"
#define LKC__RPC_TOPIC_RESPONSE "lk.rpc_response"
#define LKC__RPC_ATTR_ID "lk.rpc_request_id"
#define LKC__RPC_ATTR_METHOD "lk.rpc_request_method"
#define LKC__RPC_ATTR_TIMEOUT "lk.rpc_request_response_timeout_ms"
#define LKC__RPC_ATTR_VERSION "lk.rpc_request_version"

/* The length of the longest prefix of `s` (`len` bytes) of at most `max` bytes that does
 * not end inside a UTF-8 sequence. Bytes that are not UTF-8 are counted as single
 * characters (cut anywhere). */
size_t lkc__rpc_utf8_cut(const char *s, size_t len, size_t max);

/* The response timeout put on the wire for a caller's `response_timeout_ms`. */
uint32_t lkc__rpc_wire_timeout(int response_timeout_ms);

/* Reliable packets addressed to `dest` (NULL or "": nobody in particular). NULL strings
 * are sent as "". The error packet cuts `message` to 256 and `data` to 15360 bytes on
 * UTF-8 boundaries; a NULL message becomes the code's standard one. */
lkc__outgoing_t *lkc__rpc_request_packet(const char *dest, const char *id, const char *method, const char *payload,
                                         uint32_t response_timeout_ms);
lkc__outgoing_t *lkc__rpc_ack_packet(const char *dest, const char *request_id);
lkc__outgoing_t *lkc__rpc_response_packet(const char *dest, const char *request_id, const char *payload);
lkc__outgoing_t *lkc__rpc_error_packet(const char *dest, const char *request_id, uint32_t code, const char *message,
                                       const char *data);

/* What a received packet asks for, once checked. */
typedef enum lkc__rpc_check {
    LKC__RPC_OK = 0,
    LKC__RPC_DROP,                /* malformed beyond answering (no id): log and drop */
    LKC__RPC_BAD_VERSION,         /* answer 1404 */
    LKC__RPC_BAD_REQUEST,         /* answer 1500 "malformed request" (e.g. no method) */
} lkc__rpc_check_t;

lkc__rpc_check_t lkc__rpc_check_request(const Livekit__RpcRequest *q);

/* A v2 request's attributes (lk.rpc_request_*): id, method, timeout and version. The
 * strings are borrowed from `attrs`. Returns like lkc__rpc_check_request (DROP without an
 * id; BAD_REQUEST without a method or a number; BAD_VERSION for a version other than 2). */
typedef struct lkc__rpc_v2_attrs {
    const char *id;
    const char *method;
    uint32_t response_timeout_ms;
    uint32_t version;
} lkc__rpc_v2_attrs_t;

lkc__rpc_check_t lkc__rpc_parse_v2_attrs(const lkc_kv_t *attrs, size_t n, lkc__rpc_v2_attrs_t *out);
/* The value of `key` in `attrs`, or NULL. */
const char *lkc__rpc_attr(const lkc_kv_t *attrs, size_t n, const char *key);

#endif
