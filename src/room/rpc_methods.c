/* The RPC method registry (see rpc_methods.h). */
#include "room/rpc_methods.h"

struct lkc__rpc_methods {
    GHashTable *by_name; /* char* -> entry_t* */
};

typedef struct entry {
    lkc_rpc_handler_t handler;
    void *user;
} entry_t;

lkc_err_t lkc__rpc_methods_add(lkc_room_t *room, const char *method, lkc_rpc_handler_t handler, void *user)
{
    lkc_err_t rc = LKC_OK;
    pthread_mutex_lock(&room->lock);
    if (!room->rpc_methods) {
        room->rpc_methods = g_new0(struct lkc__rpc_methods, 1);
        room->rpc_methods->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    }
    if (g_hash_table_contains(room->rpc_methods->by_name, method)) {
        rc = LKC_ERR_STATE;
    } else {
        entry_t *e = g_new0(entry_t, 1);
        e->handler = handler;
        e->user = user;
        g_hash_table_insert(room->rpc_methods->by_name, g_strdup(method), e);
    }
    pthread_mutex_unlock(&room->lock);
    return rc;
}

lkc_err_t lkc__rpc_methods_remove(lkc_room_t *room, const char *method)
{
    pthread_mutex_lock(&room->lock);
    bool removed = room->rpc_methods && g_hash_table_remove(room->rpc_methods->by_name, method);
    pthread_mutex_unlock(&room->lock);
    return removed ? LKC_OK : LKC_ERR_NOT_FOUND;
}

bool lkc__rpc_methods_find(lkc_room_t *room, const char *method, lkc_rpc_handler_t *handler, void **user)
{
    pthread_mutex_lock(&room->lock);
    entry_t *e = room->rpc_methods ? g_hash_table_lookup(room->rpc_methods->by_name, method) : NULL;
    if (e) {
        *handler = e->handler;
        *user = e->user;
    }
    pthread_mutex_unlock(&room->lock);
    return e != NULL;
}

void lkc__rpc_methods_free(struct lkc__rpc_methods *m)
{
    if (!m)
        return;
    g_hash_table_destroy(m->by_name);
    g_free(m);
}
