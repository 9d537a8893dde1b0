/* STUB: replaced by the RPC work (see rpc_methods.h). */
#include "room/rpc_methods.h"

void lkc__rpc_methods_free(struct lkc__rpc_methods *m)
{
    (void)m;
}
