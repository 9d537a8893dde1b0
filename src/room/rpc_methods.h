/* The room's RPC method registry (lkc_rpc_register/unregister): method name -> handler,
 * kept across sessions. Any thread (its own lock). */
#ifndef LKC_ROOM_RPC_METHODS_H
#define LKC_ROOM_RPC_METHODS_H

#include "room/room_core.h"

/* Frees the registry (room destroy). NULL is ignored. */
void lkc__rpc_methods_free(struct lkc__rpc_methods *m);

#endif
