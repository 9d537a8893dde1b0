/* The engine thread of one session: its private GMainContext, the typed commands other
 * threads send it, synchronous calls, the one teardown path and the end of the thread.
 * The engine knows the session only through lkc__engine_client_t. */
#ifndef LKC_ROOM_ENGINE_H
#define LKC_ROOM_ENGINE_H

#include "room/commands.h"
#include "room/room_core.h"

/* What the engine drives (session.c provides it). All on the engine thread. */
typedef struct lkc__engine_client {
    /* Prepares the session (nothing connects yet); NULL on failure. */
    void *(*create)(lkc_engine_t *e, const char *url, const char *token);
    /* Starts connecting. */
    void (*start)(void *session);
    /* Begins the teardown (with `leave`, a LeaveRequest first); ends with
     * lkc__engine_shutdown_done(); the engine bounds the wait. */
    void (*shutdown)(void *session, bool leave);
    /* A command posted with lkc__engine_post(). */
    void (*command)(void *session, lkc__cmd_t cmd, void *data);
    /* A call made with lkc__engine_call(); returns its result. */
    int (*call)(void *session, lkc__cmd_t cmd, void *data);
    /* Releases everything at once, after the loop. */
    void (*free)(void *session);
} lkc__engine_client_t;

/* Starts the engine thread for one session. All fallible steps happen before the thread
 * starts; on failure nothing is left running (R1). Called with room->lock held. */
int lkc__engine_start(lkc_room_t *room, const lkc__engine_client_t *client, const char *url, const char *token);

/* Engine thread: end the session (the one teardown path, R3). Idempotent; the first
 * reason wins. `leave` sends a LeaveRequest first when the signal is up. */
void lkc__engine_end(lkc_engine_t *e, lkc_failure_t reason, const char *message, bool leave);

/* Engine thread: the client's shutdown is complete. */
void lkc__engine_shutdown_done(lkc_engine_t *e);

lkc_room_t *lkc__engine_room(lkc_engine_t *e);
GMainContext *lkc__engine_context(lkc_engine_t *e);
int64_t lkc__engine_elapsed_ms(lkc_engine_t *e); /* since lkc_room_connect() */

/* Any thread: queues `cmd` for the session. `free_data` (may be NULL) releases `data`
 * after it ran, or when the session ends first. LKC_ERR_STATE (and `free_data` called)
 * when no session runs, LKC_ERR_WOULD_BLOCK when the queue is full. */
int lkc__engine_post(lkc_room_t *room, lkc__cmd_t cmd, void *data, GDestroyNotify free_data);

/* Any thread: runs `cmd` on the engine thread and waits (at most `timeout_ms`) for its
 * result. On success `take(data, out)` copies the result out. `data` is owned by the
 * call (`free_data` releases it, possibly later on the engine thread if the wait timed
 * out). From the engine thread itself it runs inline. Returns the session's result,
 * LKC_ERR_STATE when no session runs, LKC_ERR_CLOSED when the session ended before it
 * ran, or LKC_ERR_TIMEOUT. */
int lkc__engine_call(lkc_room_t *room, lkc__cmd_t cmd, void *data, GDestroyNotify free_data,
                     void (*take)(void *data, void *out), void *out, int timeout_ms);

/* For unit tests and fuzzing: an engine with no thread, on a context that the caller
 * iterates on its own thread (pushed as its thread-default until the free). The client's
 * session is created at once (not started: nothing connects). Free with
 * lkc__engine_free_detached(), which frees the session as the engine thread would. */
lkc_engine_t *lkc__engine_new_detached(lkc_room_t *room, const lkc__engine_client_t *client, const char *url,
                                       const char *token);
void *lkc__engine_session(lkc_engine_t *e);
/* Whether lkc__engine_end() was called, and with what reason. */
bool lkc__engine_ending(lkc_engine_t *e, lkc_failure_t *reason);
void lkc__engine_free_detached(lkc_engine_t *e);

#endif
