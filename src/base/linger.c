#include "base/linger.h"

#include <pthread.h>

typedef struct {
    GMainContext *ctx;
    const void *obj;
    lkc_linger_abandon_fn abandon;
} entry_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* TSan sees pthread, not GMutex */
static GArray *entries; /* entry_t; short (a few per room) */

void lkc_linger_add(GMainContext *ctx, const void *obj, lkc_linger_abandon_fn abandon)
{
    entry_t e = {ctx, obj, abandon};
    pthread_mutex_lock(&lock);
    if (!entries)
        entries = g_array_new(FALSE, FALSE, sizeof(entry_t));
    g_array_append_val(entries, e);
    pthread_mutex_unlock(&lock);
}

void lkc_linger_remove(const void *obj)
{
    pthread_mutex_lock(&lock);
    for (guint i = 0; entries && i < entries->len; i++)
        if (g_array_index(entries, entry_t, i).obj == obj) {
            g_array_remove_index_fast(entries, i);
            break;
        }
    if (entries && entries->len == 0) { /* nothing kept between rooms */
        g_array_free(entries, TRUE);
        entries = NULL;
    }
    pthread_mutex_unlock(&lock);
}

unsigned lkc_linger_count(GMainContext *ctx)
{
    unsigned n = 0;
    pthread_mutex_lock(&lock);
    for (guint i = 0; entries && i < entries->len; i++)
        n += g_array_index(entries, entry_t, i).ctx == ctx;
    pthread_mutex_unlock(&lock);
    return n;
}

static gboolean expire(gpointer data)
{
    *(bool *)data = true;
    return G_SOURCE_REMOVE;
}

bool lkc_linger_wait(GMainContext *ctx, unsigned timeout_ms)
{
    if (lkc_linger_count(ctx) == 0)
        return true;
    bool expired = false;
    GSource *timer = g_timeout_source_new(timeout_ms);
    g_source_set_callback(timer, expire, &expired, NULL);
    g_source_attach(timer, ctx);
    while (!expired && lkc_linger_count(ctx) > 0)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(timer);
    g_source_unref(timer);
    return lkc_linger_count(ctx) == 0;
}

void lkc_linger_abandon(GMainContext *ctx)
{
    for (;;) {
        entry_t found = {0};
        pthread_mutex_lock(&lock);
        for (guint i = 0; entries && i < entries->len; i++)
            if (g_array_index(entries, entry_t, i).ctx == ctx) {
                found = g_array_index(entries, entry_t, i);
                break;
            }
        pthread_mutex_unlock(&lock);
        if (!found.obj)
            return;
        lkc_linger_remove(found.obj); /* first: the abandon function may free it */
        if (found.abandon)
            found.abandon(found.obj);
    }
}
