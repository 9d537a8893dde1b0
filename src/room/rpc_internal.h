/* What the RPC files share (not for other parts: they use rpc.h): the engine half's state
 * (rpc.c), outgoing calls (rpc_client.c), incoming requests (rpc_server.c) and the
 * commands the public calls (rpc_publish.c) hand to the engine thread. */
#ifndef LKC_ROOM_RPC_INTERNAL_H
#define LKC_ROOM_RPC_INTERNAL_H

#include "lkc/rpc.h"
#include "room/rpc.h"
#include "room/rpc_wire.h"

/* calls in flight per session, and requests waiting for their answer: beyond these a
 * call is refused (LKC_ERR_WOULD_BLOCK) and a request answered with an error */
#define LKC__RPC_MAX_CALLS 1000
#define LKC__RPC_MAX_INVOCATIONS 1000
/* an incoming v2 payload larger than this is refused (a memory bound, not a protocol one) */
#define LKC__RPC_MAX_V2_PAYLOAD (64u * 1024 * 1024)

/* A blocked lkc_rpc_call's side of a call: the outcome, [room->lock], signalled on
 * room->cond. Two references: the caller and the call. */
typedef struct lkc__rpc_waiter {
    int refs;                  /* atomic */
    bool done;
    int rc;                    /* LKC_OK (result set) or LKC_ERR_CLOSED */
    lkc_rpc_result_t *result;
} lkc__rpc_waiter_t;

void lkc__rpc_waiter_unref(lkc__rpc_waiter_t *w);

/* One outgoing call: made by the public call, owned by the engine (r->calls) once taken. */
typedef struct lkc__rpc_call {
    char id[37];
    char *dest;
    char *dest_sid;            /* the callee's session when the call was sent (NULL: unknown) */
    char *method;
    char *payload;
    size_t payload_len;
    int response_timeout_ms;
    int ack_timeout_ms;
    lkc_rpc_done_fn done;      /* the async form ... */
    void *user;
    lkc__rpc_waiter_t *waiter; /* ... or the blocking one */
    /* engine thread */
    lkc__rpc_t *r;
    int64_t sent_us;
    bool acked;
    bool settled;              /* an early outcome waits in `timer` (1401, 1402) */
    uint32_t early_code;
    GSource *ack_timer;
    GSource *timer;            /* the response timeout, or the early outcome */
} lkc__rpc_call_t;

/* Frees a call that the engine never took; a blocked caller's waiter hears
 * LKC_ERR_CLOSED. */
void lkc__rpc_call_free(lkc__rpc_call_t *c);

/* LKC__CMD_RPC_SYNC's data. */
typedef enum lkc__rpc_op {
    LKC__RPC_OP_CALL,          /* `call` (the engine takes it and sets it to NULL) */
    LKC__RPC_OP_RESPOND,       /* inv + payload, or (is_error) code, message, data */
} lkc__rpc_op_t;

typedef struct lkc__rpc_cmd {
    lkc__rpc_op_t op;
    lkc__rpc_call_t *call;
    lkc_rpc_invocation_t inv;
    bool is_error;
    uint32_t code;
    char *payload;
    char *message;
    char *data;
} lkc__rpc_cmd_t;

void lkc__rpc_cmd_free(void *p);

/* One incoming request waiting for its answer. */
typedef struct lkc__rpc_inv {
    lkc_rpc_invocation_t id;   /* the key of r->invocations */
    char *request_id;
    char *caller;
    char *method;
    GSource *expiry;
    lkc__rpc_t *r;
} lkc__rpc_inv_t;

struct lkc__rpc {
    lkc_room_t *room;
    GMainContext *ctx;
    lkc__rpc_ports_t ports;
    GHashTable *calls;         /* request id -> lkc__rpc_call_t* */
    GHashTable *invocations;   /* &inv->id -> lkc__rpc_inv_t* */
    GHashTable *incoming;      /* lkc_stream_reader_t* -> incoming v2 stream (rpc_server.c) */
    bool ending;               /* the session ends: no new call or request is taken */
};

/* rpc.c: a packet to `dest`; a whole text stream (v2) to `dest` with these attributes
 * (false: it could not be encoded, nothing was sent). */
void lkc__rpc_send(lkc__rpc_t *r, lkc__outgoing_t *o);
bool lkc__rpc_send_text(lkc__rpc_t *r, const char *dest, const char *topic, const char *text, size_t len,
                        const lkc_kv_t *attrs, size_t n_attrs);
/* The SID of the remote participant `identity` in the room's model (g_free), or NULL. */
char *lkc__rpc_peer_sid(lkc__rpc_t *r, const char *identity);
/* The LKC_CAP_* bits `identity` advertises (0 when unknown). */
uint32_t lkc__rpc_peer_capabilities(lkc__rpc_t *r, const char *identity);
/* Whether the session `sid` of `identity` is still its only one in the room's model: false
 * when it left, or when the identity came back with another SID (it rejoined, e.g. after
 * its full reconnect, and the model may still list the old session too). */
bool lkc__rpc_peer_session_current(lkc__rpc_t *r, const char *identity, const char *sid);
/* A one-shot timer on the session's context. */
GSource *lkc__rpc_timer(lkc__rpc_t *r, int ms, GSourceFunc fn, void *data);

/* rpc_client.c */
int lkc__rpc_client_start(lkc__rpc_t *r, lkc__rpc_call_t *c);
void lkc__rpc_client_on_ack(lkc__rpc_t *r, const char *request_id);
/* A response: success (error NULL) with `payload` of `len` bytes, or an error. */
void lkc__rpc_client_on_response(lkc__rpc_t *r, const char *request_id, const char *sender, const char *payload,
                                 size_t len, const Livekit__RpcError *error);
/* Ends every call: (code, message); with `closed`, blocked callers get LKC_ERR_CLOSED. */
void lkc__rpc_client_end_all(lkc__rpc_t *r, uint32_t code, const char *message, bool closed);
/* Ends the calls whose destination left the room with 1503. */
void lkc__rpc_client_check_present(lkc__rpc_t *r);

/* rpc_server.c */
void lkc__rpc_server_on_request(lkc__rpc_t *r, const Livekit__RpcRequest *q, const char *sender);
int lkc__rpc_server_respond(lkc__rpc_t *r, const lkc__rpc_cmd_t *cmd);
void lkc__rpc_server_free(lkc__rpc_t *r);
void lkc__rpc_stream_open(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info, void *user);
void lkc__rpc_stream_chunk(lkc_room_t *room, lkc_stream_reader_t *reader, const uint8_t *data, size_t len, void *user);
void lkc__rpc_stream_close(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info,
                           lkc_err_t status, const char *reason, void *user);

#endif
