/* Releasing an agent that holds TURN allocations. libnice deallocates them (a Refresh with
 * lifetime 0) only asynchronously; dropping the agent at once would leave the relays on
 * the server until they expire and make libnice warn on stderr. Such an agent is closed
 * with nice_agent_close_async and dropped when that completes, on its context. It lingers
 * meanwhile (base/linger): the owner of the context runs the context until it is done,
 * bounded, and then abandons (lkc_linger_abandon) relays whose server did not answer. */
#include <nice/agent.h>
#include <pthread.h>
#include <stdlib.h>

#include "base/linger.h"
#include "rtc/ice.h"
#include "rtc/ice_internal.h"

typedef struct closing {
    NiceAgent *agent;
    GMainContext *ctx;
    bool abandoned; /* given up on: only the completion, if it ever comes, frees this */
} closing_t;

/* agents being closed, of every context (several rooms, several engine threads) */
static pthread_mutex_t closing_lock = PTHREAD_MUTEX_INITIALIZER; /* TSan sees pthread, not GMutex */
static GList *closing;

static void forget(closing_t *c)
{
    pthread_mutex_lock(&closing_lock);
    closing = g_list_remove(closing, c);
    pthread_mutex_unlock(&closing_lock);
    lkc_linger_remove(c);
    g_object_unref(c->agent);
    g_main_context_unref(c->ctx);
}

static void on_closed(GObject *source, GAsyncResult *result, gpointer data)
{
    (void)source;
    (void)result;
    closing_t *c = data;
    if (!c->abandoned)
        forget(c);
    free(c);
}

/* The TURN server did not answer in time: its relays expire there. libnice's pending
 * close keeps the agent (and `c`) until its context runs it to the end, which a dying
 * context never does: a small leak, never a use after free. */
static void abandon(const void *obj)
{
    closing_t *c = (closing_t *)obj;
    forget(c);
    c->abandoned = true;
}

void lkc_ice_close_agent(NiceAgent *agent, GMainContext *ctx, bool has_relays)
{
    closing_t *c = has_relays ? malloc(sizeof *c) : NULL;
    if (!c) { /* nothing to deallocate (or no memory to wait for it): drop it now */
        g_object_unref(agent);
        return;
    }
    c->agent = agent;
    c->ctx = g_main_context_ref(ctx);
    c->abandoned = false;
    pthread_mutex_lock(&closing_lock);
    closing = g_list_prepend(closing, c);
    pthread_mutex_unlock(&closing_lock);
    lkc_linger_add(ctx, c, abandon);
    /* the completion is delivered to the thread-default context at the call */
    g_main_context_push_thread_default(ctx);
    nice_agent_close_async(agent, on_closed, c);
    g_main_context_pop_thread_default(ctx);
}

