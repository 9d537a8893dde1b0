/* `lkc join`, shared between its files: the options, and the session that the room
 * handlers (engine thread), the listener and capture threads and the main loop share. */
#ifndef LKC_CLI_JOIN_H
#define LKC_CLI_JOIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "lkc/lkc.h"
#include "listen.h"
#include "publish.h"
#include "record.h"

#define JOIN_MAX_LIST 32

typedef struct join_opts {
    const char *url;
    const char *token;
    const char *room;
    const char *identity;
    const char *name;
    double duration;          /* seconds; <= 0: until Ctrl-C */
    bool json;
    int connect_timeout_ms;
    double tone_hz;           /* --publish-tone */
    const char *wav;          /* --publish-wav */
    bool loop;
    bool dtx;                 /* --dtx */
    const char *record;       /* --record */
    const char *sends[JOIN_MAX_LIST];
    size_t n_sends;
    const char *topic;
    bool lossy;
    const char *to[JOIN_MAX_LIST];
    size_t n_to;
    bool rpc_echo;
    bool stats;
    double stats_interval;    /* seconds */
} join_opts_t;

typedef struct join_session {
    const join_opts_t *o;
    lkc_room_t *room;
    cli_recorder_t *rec;      /* set before connecting, so listeners see it */
    cli_pub_t *pub;           /* main thread only */
    pthread_mutex_t lock;
    cli_listener_t *listeners[64]; /* [lock] one per subscribed audio track */
    size_t n_listeners;       /* [lock] */
    bool stopping;            /* [lock] no new listeners */
    /* [lock] whose each remote track is: the library's on_track_unsubscribed after an
     * unpublish names no identity (only the participant sid), so we remember it. */
    struct { char sid[64]; char identity[128]; } owners[128];
    size_t n_owners;
} join_session_t;

/* Fills the room handlers (join_events.c); `s` is their user pointer. */
void join_set_handlers(lkc_room_options_t *ro, join_session_t *s);

/* Main thread, a few times a second: frees listeners whose stream ended. */
void join_reap_listeners(join_session_t *s);

/* Main thread, at the end (after the room is closed): stops every listener. */
void join_stop_listeners(join_session_t *s);

/* --stats: one pc_stats event per peer connection, source_stats for what we publish,
 * stream_stats per track we hear (join_stats.c). */
void join_emit_stats(join_session_t *s);

#endif
