/* lkc: remote procedure calls between participants (LiveKit RPC, v1 packets and v2 over
 * data streams).
 *
 * A participant registers methods by name; another calls one with a text payload and gets
 * a text payload back, or an error (a code, a message, optional data). The callee acks
 * every request at once, so a caller tells "nobody answered the door" (1501, after the
 * ack timeout) from "the method took too long" (1502, after the response timeout).
 *
 * Wire formats are chosen per peer, as the official SDKs do: a peer whose
 * ParticipantInfo.client_protocol is >= 1 gets requests (and successful responses) as text
 * streams on the topics "lk.rpc_request" / "lk.rpc_response", with no payload limit;
 * older peers get RpcRequest / RpcResponse packets, whose payload is limited to
 * LKC_RPC_MAX_PAYLOAD bytes. Acks and errors are always packets.
 *
 * The server itself can call a method (RoomService.PerformRpc): the request then comes
 * from a caller that is not a participant (its caller_identity is the request id), and
 * lkc answers it like any other.
 *
 * Payloads are UTF-8 text (NUL-terminated C strings).
 */
#ifndef LKC_RPC_H
#define LKC_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/room.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The largest payload of a v1 request or response, and of an error's data (bytes). */
#define LKC_RPC_MAX_PAYLOAD 15360
/** The largest error message (bytes; longer ones are cut on a UTF-8 boundary). */
#define LKC_RPC_MAX_ERROR_MESSAGE 256

/** RPC error codes, as every LiveKit SDK uses them (1001..1999 are reserved for these;
 *  an application may send any other code with lkc_rpc_respond_error). */
enum {
    LKC_RPC_APPLICATION_ERROR = 1500,       /**< the handler failed (or an app's own error) */
    LKC_RPC_CONNECTION_TIMEOUT = 1501,      /**< no ack within the ack timeout */
    LKC_RPC_RESPONSE_TIMEOUT = 1502,        /**< acked, but no response within the response timeout */
    LKC_RPC_RECIPIENT_DISCONNECTED = 1503,  /**< the callee left (or our room disconnected) */
    LKC_RPC_RESPONSE_PAYLOAD_TOO_LARGE = 1504, /**< the response is over the callee's limit for us */
    LKC_RPC_SEND_FAILED = 1505,             /**< the request could not be sent (or was lost in a full reconnect) */
    LKC_RPC_UNSUPPORTED_METHOD = 1400,      /**< the callee has no such method */
    LKC_RPC_RECIPIENT_NOT_FOUND = 1401,     /**< nobody with that identity is in the room */
    LKC_RPC_REQUEST_PAYLOAD_TOO_LARGE = 1402, /**< over LKC_RPC_MAX_PAYLOAD for a v1 callee */
    LKC_RPC_UNSUPPORTED_SERVER = 1403,      /**< the server is too old for RPC */
    LKC_RPC_UNSUPPORTED_VERSION = 1404,     /**< the callee does not speak this RPC version */
};

/** The standard message of a built-in code ("Response timeout", ...), or "" for any other
 *  code. Never NULL; any thread; a static string. */
LKC_API const char *lkc_rpc_error_message(uint32_t code);

/** Options of a call (fill with lkc_rpc_options_init; NULL = defaults). */
typedef struct lkc_rpc_options {
    uint32_t struct_size;           /**< set by lkc_rpc_options_init(); 0 is refused */
    /** How long to wait for the response, from the moment the request is sent (default
     *  15000). The callee is told max(this, 8000) ms, as client-sdk-js does. > 0. */
    int response_timeout_ms;
    /** How long to wait for the callee's ack (default 7000). > 0. */
    int ack_timeout_ms;
} lkc_rpc_options_t;

LKC_API void lkc_rpc_options_init(lkc_rpc_options_t *o);

/** The outcome of a call. */
typedef struct lkc_rpc_result {
    uint32_t error_code;    /**< 0: success; else an LKC_RPC_* code or the callee's own code */
    char *payload;          /**< success: the response ("" when empty); else NULL */
    size_t payload_len;     /**< bytes of payload, without the NUL */
    char *error_message;    /**< error: the message (the callee's, or the standard one); else NULL */
    char *error_data;       /**< error: the callee's data, or NULL */
    int64_t round_trip_ms;  /**< from sending the request to its completion */
} lkc_rpc_result_t;

/** Frees a result of lkc_rpc_call (NULL is ignored). Results passed to a `done` callback
 *  belong to lkc: do not free them. Any thread. */
LKC_API void lkc_rpc_result_free(lkc_rpc_result_t *r);

/** Calls `method` of the participant `destination_identity` with `payload` and waits for
 *  the outcome (at most about ack + response timeout).
 *  Returns LKC_OK with *out set (free it with lkc_rpc_result_free) when the call reached an
 *  outcome: success (error_code 0) or an RPC error (error_code, e.g. 1401 when nobody with
 *  that identity is in the room, 1402 over the v1 limit, 1501, 1502, 1503, 1400, or the
 *  callee's own code). Otherwise *out is NULL and it returns: LKC_ERR_INVALID_ARG (NULL
 *  arguments, an empty identity or method, bad options), LKC_ERR_STATE (not connected, or
 *  called on the room's engine thread, i.e. from a handler: use lkc_rpc_call_async
 *  there), LKC_ERR_WOULD_BLOCK (1000 calls already in flight), LKC_ERR_CLOSED (the room was
 *  closed or destroyed while it waited: it returns at once then), LKC_ERR_TIMEOUT (a
 *  safety bound 10 s past both timeouts; the call's own timers end it before).
 *  Any thread but the engine thread. The room must stay valid until it returns (a
 *  concurrent lkc_room_destroy is fine: it waits for this call to leave). */
LKC_API lkc_err_t lkc_rpc_call(lkc_room_t *room, const char *destination_identity, const char *method,
                               const char *payload, const lkc_rpc_options_t *opts, lkc_rpc_result_t **out);

/** Completion of lkc_rpc_call_async: runs exactly once, on the room's engine thread (not
 *  inside lkc_rpc_call_async itself), with the outcome (`result` is lkc's, valid during the
 *  call only). When the session ends first it still runs, with error_code
 *  LKC_RPC_RECIPIENT_DISCONNECTED and the message "room disconnected"; after a full
 *  reconnect (a new session on the server) it runs with LKC_RPC_SEND_FAILED and a message
 *  saying the connection was re-established. It may run during lkc_room_close/destroy
 *  (which wait for it), so `user` can always be freed there. */
typedef void (*lkc_rpc_done_fn)(lkc_room_t *room, const lkc_rpc_result_t *result, void *user);

/** The same call, without waiting: `done` gets the outcome. Returns LKC_OK when the call was
 *  taken (then `done` runs exactly once), else an error and `done` never runs:
 *  LKC_ERR_INVALID_ARG, LKC_ERR_STATE (not connected), LKC_ERR_CLOSED (the session ended
 *  before it took the call, or the room is being destroyed), LKC_ERR_WOULD_BLOCK (1000
 *  calls in flight). Any thread, handlers included; from another thread it waits for the
 *  engine thread to take the call (not for the outcome). The room must be valid when it
 *  is called (a concurrent lkc_room_destroy is fine). */
LKC_API lkc_err_t lkc_rpc_call_async(lkc_room_t *room, const char *destination_identity, const char *method,
                                     const char *payload, const lkc_rpc_options_t *opts, lkc_rpc_done_fn done,
                                     void *user);

/** One incoming request, as a handler sees it (valid during the handler only). */
typedef struct lkc_rpc_request {
    const char *request_id;
    const char *caller_identity;   /**< the caller; for a call by the server (RoomService.
                                        PerformRpc) the request id, not a participant */
    const char *method;
    const char *payload;           /**< "" when empty */
    size_t payload_len;
    uint32_t response_timeout_ms;  /**< how long the caller waits for the answer */
} lkc_rpc_request_t;

/** The handle of one request waiting for its answer: a value (not a pointer), valid until
 *  the first answer or until the request expires. Any later use is refused with
 *  LKC_ERR_NOT_FOUND, never undefined. */
typedef uint64_t lkc_rpc_invocation_t;

/** A method handler: runs on the room's engine thread (after lkc has acked the request).
 *  It must answer with lkc_rpc_respond or lkc_rpc_respond_error, at once or later from any
 *  thread. A request not answered within its response_timeout_ms is dropped (logged; the
 *  caller sees 1502). Keep it short: it holds up the room's engine thread. */
typedef void (*lkc_rpc_handler_t)(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv,
                                  void *user);

/** Registers `handler` for `method` (copied). Any thread, before or after connecting; it
 *  stays across reconnects and sessions until unregistered or the room is destroyed.
 *  `user` is passed to the handler as is: keep it valid until then (after
 *  lkc_rpc_unregister returns, a handler already running may still use it until it
 *  returns; call unregister from a handler, or destroy the room, to be sure). No handler
 *  runs once lkc_room_destroy was called. LKC_ERR_STATE when the method already has a handler; LKC_ERR_INVALID_ARG for NULL or
 *  an empty method. */
LKC_API lkc_err_t lkc_rpc_register(lkc_room_t *room, const char *method, lkc_rpc_handler_t handler, void *user);

/** Removes the handler of `method` (requests for it then get 1400 UNSUPPORTED_METHOD).
 *  A handler running on the engine thread at that moment finishes; requests it already
 *  got can still be answered. LKC_ERR_NOT_FOUND when none was registered. Any thread. */
LKC_API lkc_err_t lkc_rpc_unregister(lkc_room_t *room, const char *method);

/** Answers `inv` with a success payload (NULL = ""). Sent as a text stream to a caller
 *  with client_protocol >= 1, else as a packet (over LKC_RPC_MAX_PAYLOAD: the caller gets
 *  1504 instead). LKC_ERR_NOT_FOUND when `inv` was already answered or expired, or its
 *  session ended (also while the room is being destroyed); LKC_ERR_STATE when no session
 *  runs. Any thread (from another thread it waits until the engine thread took the
 *  answer); the room must be valid when it is called (a concurrent destroy is fine). */
LKC_API lkc_err_t lkc_rpc_respond(lkc_room_t *room, lkc_rpc_invocation_t inv, const char *payload);

/** Answers `inv` with an error: `code` (e.g. LKC_RPC_APPLICATION_ERROR or the app's own),
 *  `message` (NULL: the standard one; cut to 256 bytes on a UTF-8 boundary) and `data`
 *  (may be NULL; cut to LKC_RPC_MAX_PAYLOAD bytes). Results and threads as
 *  lkc_rpc_respond. */
LKC_API lkc_err_t lkc_rpc_respond_error(lkc_room_t *room, lkc_rpc_invocation_t inv, uint32_t code,
                                        const char *message, const char *data);

#ifdef __cplusplus
}
#endif
#endif
