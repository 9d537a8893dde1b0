/* RPC on the engine thread (the engine half of include/lkc/rpc.h): the calls this
 * session has in flight (ack and response timers), the requests it received (handler,
 * ack, the answer from any thread), v1 packets and v2 text streams. The room keeps the
 * method registry across sessions (rpc_methods.c); this part lives for one session. */
#ifndef LKC_ROOM_RPC_H
#define LKC_ROOM_RPC_H

#include "livekit_models.pb-c.h"
#include "lkc/stream.h"
#include "room/data_packet.h"

typedef struct lkc__rpc lkc__rpc_t;

typedef struct lkc__rpc_ports {
    /* Queues a reliable packet (engine thread; takes `o`). */
    void (*send)(void *user, lkc__outgoing_t *o);
    /* The client_protocol a participant advertises (0 for the server or an unknown
     * identity), and whether the identity is in the room. */
    int (*client_protocol)(void *user, const char *identity, bool *present);
    void *user;
} lkc__rpc_ports_t;

lkc__rpc_t *lkc__rpc_new(lkc_room_t *room, GMainContext *ctx, const lkc__rpc_ports_t *ports);
/* The session ends: every call in flight completes (LKC_ERR_CLOSED for a blocked caller),
 * every open invocation is dropped. NULL is ignored. */
void lkc__rpc_free(lkc__rpc_t *r);
/* An RpcRequest / RpcAck / RpcResponse packet from `sender` ("" = the server). */
void lkc__rpc_on_packet(lkc__rpc_t *r, const Livekit__DataPacket *dp, const char *sender);
/* A complete text stream on lk.rpc_request or lk.rpc_response (v2). */
void lkc__rpc_on_text(lkc__rpc_t *r, const lkc_stream_info_t *info, const char *text, size_t len);
/* The handlers of the lk.rpc_request / lk.rpc_response text streams (v2); their user
 * pointer is the lkc__rpc_t. */
const lkc_stream_handlers_t *lkc__rpc_stream_handlers(void);
/* LKC__CMD_RPC_SYNC (a call): the data is rpc's own. */
int lkc__rpc_call_command(lkc__rpc_t *r, void *cmd);
/* Participants came or went: calls to one who left fail with 1503. */
void lkc__rpc_on_model_changed(lkc__rpc_t *r);
/* A full reconnect: calls in flight end (1503 or 1505 with a reason saying so). */
void lkc__rpc_on_restart(lkc__rpc_t *r);

#endif
