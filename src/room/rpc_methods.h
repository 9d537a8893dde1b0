/* The room's RPC method registry (lkc_rpc_register/unregister): method name -> handler,
 * kept across sessions. Any thread: guarded by room->lock (a few pointer operations per
 * call), created on the first registration. */
#ifndef LKC_ROOM_RPC_METHODS_H
#define LKC_ROOM_RPC_METHODS_H

#include "lkc/rpc.h"
#include "room/room_core.h"

/* LKC_ERR_STATE when `method` already has a handler. */
lkc_err_t lkc__rpc_methods_add(lkc_room_t *room, const char *method, lkc_rpc_handler_t handler, void *user);
/* LKC_ERR_NOT_FOUND when it had none. */
lkc_err_t lkc__rpc_methods_remove(lkc_room_t *room, const char *method);
/* The handler of `method` and its user pointer (copied out), or false. */
bool lkc__rpc_methods_find(lkc_room_t *room, const char *method, lkc_rpc_handler_t *handler, void **user);
/* Frees the registry (room destroy). NULL is ignored. */
void lkc__rpc_methods_free(struct lkc__rpc_methods *m);

#endif
