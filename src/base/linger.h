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

/* `abandon` (may be NULL) is called by lkc_linger_abandon() for an object still
 * lingering when its context's owner gives up waiting; it must let go of the object's
 * ties to the context (the object is then no longer listed). */
typedef void (*lkc_linger_abandon_fn)(const void *obj);
void lkc_linger_add(GMainContext *ctx, const void *obj, lkc_linger_abandon_fn abandon);
void lkc_linger_remove(const void *obj);

/* On ctx's owning thread: iterates ctx until no object of ctx lingers, for at most
 * timeout_ms. True when none is left. */
bool lkc_linger_wait(GMainContext *ctx, unsigned timeout_ms);

/* On ctx's owning thread, after a wait that timed out: calls the abandon function of
 * every object of ctx still lingering and forgets them all. */
void lkc_linger_abandon(GMainContext *ctx);

/* The number of objects of ctx still lingering (0 after a successful wait). */
unsigned lkc_linger_count(GMainContext *ctx);

#endif
