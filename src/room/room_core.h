/* The room object that every part of src/room shares: its lock, its state, the model
 * storage the public getters copy from, and the application's handlers.
 *
 * Ownership and threads:
 * - lkc_room_t lives from lkc_room_create() to lkc_room_destroy() (or, when destroyed
 *   from a handler, to the end of its last engine thread). `lock` guards the fields
 *   marked [lock]; the atomics may be read anywhere.
 * - The session (session.c and its parts) runs on the engine thread (engine.c) and
 *   reaches the room only through this header and events.h.
 *
 * Internal functions of src/room are named lkc__<part>_<verb>, so they are never taken
 * for the public lkc_room_* / lkc_track_* API. */
#ifndef LKC_ROOM_CORE_H
#define LKC_ROOM_CORE_H

#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>

#include "lkc/lkc.h"

typedef struct lkc_engine lkc_engine_t;

/* Test hooks (room/test_hooks.h): never reachable from an application. */
enum {
    LKC__TEST_HOOK_CORRUPT_REMOTE_FINGERPRINT = 1u << 0, /* alter the fingerprint the server sent */
};

struct lkc_room {
    lkc_room_options_t opts;   /* copied at create; string fields point into this struct */
    char *ca_file;
    uint32_t test_hooks;       /* LKC__TEST_HOOK_* */
    void (*free_fn)(lkc_room_t *room); /* room.c's free, for a room destroyed from a handler */

    pthread_mutex_t lock;
    pthread_cond_t cond;       /* signalled on every state change and session end */
    GThread *thread;           /* [lock] the last session's thread, until joined */
    lkc_engine_t *engine;      /* [lock] the session that accepts commands, or NULL */
    bool session_running;      /* [lock] the engine thread has not finished */
    bool destroy_deferred;     /* [lock] the thread frees the room when it finishes */
    bool closing;              /* [lock] destroy has begun: blocked callers leave (R9) */
    int callers;               /* [lock] public calls inside the room that may block (R9) */
    char failure_msg[256];     /* [lock] */
    lkc_timeline_t timeline;   /* [lock] */
    uint64_t undelivered_first; /* [lock] reliable data of the last session not known delivered */
    uint64_t undelivered_count; /* [lock] */
    /* [lock] the room model, written by the engine thread (model.c), copied out by getters */
    lkc_room_info_t *info;
    lkc_participant_info_t *local;
    GPtrArray *remotes;        /* of lkc_participant_info_t*, in join order */
    GPtrArray *tracks;         /* [lock] lkc_track_t* handles of the application */
    /* registries the application fills before or between sessions (their own locking) */
    struct lkc__rpc_methods *rpc_methods;     /* rpc_methods.c */
    struct lkc__stream_topics *stream_topics; /* stream_topics.c */

    _Atomic int state;         /* lkc_state_t */
    _Atomic int failure;       /* lkc_failure_t */
    _Atomic(GThread *) engine_thread; /* the running engine thread, for "am I on it?" */
    atomic_bool handlers_off;  /* destroy was requested: no handler may run any more */
    _Atomic size_t max_data_payload;
    _Atomic size_t data_queued; /* bytes taken by publish_data, not yet handed to SCTP */
    _Atomic uint32_t join_epoch; /* +1 at every join and full reconnect: outgoing streams of
                                    an earlier one cannot go on */
};

/* True on the room's own engine thread (i.e. inside one of its handlers). */
static inline bool lkc__room_on_engine_thread(const lkc_room_t *room)
{
    return room && atomic_load(&((lkc_room_t *)room)->engine_thread) == g_thread_self();
}

/* Whether handlers may still be called (false once destroy was requested). */
static inline bool lkc__room_handlers_on(lkc_room_t *room)
{
    return !atomic_load(&room->handlers_off);
}

/* R9: a public call that may block brackets its use of the room with these, and every
 * wait it makes on room->cond also ends when room->closing is set. enter returns false
 * (the caller returns LKC_ERR_CLOSED) once destroy has begun. Any thread. */
bool lkc__room_enter(lkc_room_t *room);
void lkc__room_leave(lkc_room_t *room);
/* Destroy: marks the room closing, wakes every blocked caller and waits until the last
 * has left, so the room's memory outlives them. Not on the engine thread. */
void lkc__room_close_callers(lkc_room_t *room);

/* Records a connect milestone (the first time only) in the room's timeline. */
#define LKC__MARK(room, field, ms)                                                      \
    do {                                                                                \
        pthread_mutex_lock(&(room)->lock);                                              \
        if ((room)->timeline.field < 0)                                                 \
            (room)->timeline.field = (ms);                                              \
        pthread_mutex_unlock(&(room)->lock);                                            \
    } while (0)

#endif
