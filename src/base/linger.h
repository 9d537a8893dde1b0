/* Objects that outlive their owner's free on a GMainContext: a cancelled libsoup request
 * whose completion is still to come, an ICE agent deallocating its TURN relays. Each
 * registers here while it lingers, so the thread that owns the context can run the context
 * until they are done (bounded) before dropping it; otherwise a completion queued on a
 * context nobody iterates keeps the context, and what it holds, alive for ever.
 * Thread-safe; the objects are keys only (never dereferenced here). */
#ifndef LKC_BASE_LINGER_H
#define LKC_BASE_LINGER_H

#include <glib.h>
#include <stdbool.h>

void lkc_linger_add(GMainContext *ctx, const void *obj);
void lkc_linger_remove(const void *obj);

/* On ctx's owning thread: iterates ctx until no object of ctx lingers, for at most
 * timeout_ms. True when none is left. */
bool lkc_linger_wait(GMainContext *ctx, unsigned timeout_ms);

/* The number of objects of ctx still lingering (0 after a successful wait). */
unsigned lkc_linger_count(GMainContext *ctx);

#endif
