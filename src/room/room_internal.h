/* The room: what the public API (room.c), the engine thread (engine.c) and the
 * LiveKit session logic (session.c, participants.c, ...) share.
 *
 * Ownership and threads:
 * - lkc_room_t lives from lkc_room_create() to lkc_room_destroy(). Its `lock` guards
 *   the fields marked [lock]; the atomics may be read anywhere.
 * - lkc_engine_t is one session: created by lkc_room_connect(), owned and freed by its
 *   engine thread. Everything in it belongs to that thread; other threads reach it
 *   only through lkc_room_post().
 */
#ifndef LKC_ROOM_INTERNAL_H
#define LKC_ROOM_INTERNAL_H

#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>

#include "lkc/lkc.h"

typedef struct lkc_engine lkc_engine_t;
typedef struct lkc_session lkc_session_t;

struct lkc_room {
    lkc_room_options_t opts;   /* copied at create; string fields point into this struct */
    char *ca_file;

    pthread_mutex_t lock;
    pthread_cond_t cond;       /* signalled on every state change and session end */
    GThread *thread;           /* [lock] the last session's thread, until joined */
    lkc_engine_t *engine;      /* [lock] the session that accepts commands, or NULL */
    bool session_running;      /* [lock] the engine thread has not finished */
    bool destroy_deferred;     /* [lock] the thread frees the room when it finishes */
    char failure_msg[256];     /* [lock] */
    lkc_timeline_t timeline;   /* [lock] */
    /* [lock] the room model, written by the engine thread, copied out by getters */
    lkc_room_info_t *info;
    lkc_participant_info_t *local;
    GPtrArray *remotes;        /* of lkc_participant_info_t*, in join order */
    GPtrArray *tracks;         /* [lock] lkc_track_t* handles of the application */

    _Atomic int state;         /* lkc_state_t */
    _Atomic int failure;       /* lkc_failure_t */
    _Atomic(GThread *) engine_thread; /* the running engine thread, for "am I on it?" */
    atomic_bool handlers_off;  /* destroy was requested: no handler may run any more */
    _Atomic size_t max_data_payload;
    _Atomic size_t data_queued; /* bytes taken by publish_data, not yet handed to SCTP */
};

/* True on the room's own engine thread (i.e. inside one of its handlers). */
bool lkc_room_on_engine_thread(const lkc_room_t *room);

/* Runs `fn(engine, data)` on the engine thread soon. `free_data` (may be NULL) is called
 * on `data` afterwards, or if the session ends before it runs. LKC_ERR_STATE (and
 * `free_data` called) when no session runs. Any thread. */
typedef void (*lkc_engine_fn)(lkc_engine_t *engine, void *data);
int lkc_room_post(lkc_room_t *room, lkc_engine_fn fn, void *data, GDestroyNotify free_data);

/* Runs `fn(engine, data)` on the engine thread and waits (at most `timeout_ms`) for it.
 * On success `take(data, out)` copies the result out (under the call's lock). `data` is
 * owned by the call (`free_data` releases it, possibly later, on the engine thread, if
 * the wait timed out). From the engine thread itself it runs inline. Returns fn's
 * result, LKC_ERR_STATE when no session runs, or LKC_ERR_TIMEOUT. */
typedef int (*lkc_engine_call_fn)(lkc_engine_t *engine, void *data);
int lkc_room_call(lkc_room_t *room, lkc_engine_call_fn fn, void *data, GDestroyNotify free_data,
                  void (*take)(void *data, void *out), void *out, int timeout_ms);

/* Engine (engine.c) ------------------------------------------------------------------ */

/* Starts the engine thread for one session. All fallible steps happen before the
 * thread starts; on failure nothing is left running. Called with room->lock held. */
int lkc_engine_start(lkc_room_t *room, const char *url, const char *token);

/* On the engine thread: end the session (the one teardown path, R3). Idempotent;
 * the first reason wins. `leave` sends a LeaveRequest first when the signal is up. */
void lkc_engine_end(lkc_engine_t *e, lkc_failure_t reason, const char *message, bool leave);

/* The session logic calls this once its shutdown (leave, closes) is complete. */
void lkc_engine_shutdown_done(lkc_engine_t *e);

/* Frees a room whose destroy was deferred (room.c); called by its last engine thread. */
void lkc_room_free_deferred(lkc_room_t *room);

/* Accessors for the session logic. */
lkc_room_t *lkc_engine_room(lkc_engine_t *e);
GMainContext *lkc_engine_context(lkc_engine_t *e);
lkc_session_t *lkc_engine_session(lkc_engine_t *e);
int64_t lkc_engine_elapsed_ms(lkc_engine_t *e);    /* since lkc_room_connect() */

/* State and handlers (room.c) -------------------------------------------------------- */

/* Sets the state (and failure when DISCONNECTED) and calls on_state_changed. Engine
 * thread. */
void lkc_room_set_state(lkc_room_t *room, lkc_state_t state, lkc_failure_t reason, const char *message);

/* Whether handlers may still be called (false once destroy was requested). */
static inline bool lkc_room_handlers_on(lkc_room_t *room)
{
    return !atomic_load(&room->handlers_off);
}

#define LKC_EMIT(room, name, ...)                                                       \
    do {                                                                                \
        if ((room)->opts.handlers.name && lkc_room_handlers_on(room))                   \
            (room)->opts.handlers.name((room), __VA_ARGS__, (room)->opts.user);         \
    } while (0)

/* Records a connect milestone (the first time only) in the room's timeline. */
#define LKC_MARK(room, field, ms)                                                       \
    do {                                                                                \
        pthread_mutex_lock(&(room)->lock);                                              \
        if ((room)->timeline.field < 0)                                                 \
            (room)->timeline.field = (ms);                                              \
        pthread_mutex_unlock(&(room)->lock);                                            \
    } while (0)

#endif
