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
    const char *rpc_calls[JOIN_MAX_LIST];   /* IDENTITY:METHOD:PAYLOAD */
    size_t n_rpc_calls;
    const char *texts[JOIN_MAX_LIST];       /* --send-text */
    size_t n_texts;
    const char *files[JOIN_MAX_LIST];       /* --send-file */
    size_t n_files;
    lkc_kv_t attributes[JOIN_MAX_LIST];     /* --set-attribute K=V (key and value point into argv copies) */
    size_t n_attributes;
    const char *metadata;                   /* --set-metadata */
    bool stats;
    double stats_interval;    /* seconds */
    bool mic;                 /* --mic[=NAME]: publish a microphone */
    const char *mic_name;     /* NULL: the default input */
    bool speaker;             /* --speaker[=NAME]: play what is heard */
    const char *speaker_name; /* NULL: the default output */
    bool no_aec, no_ns, no_agc; /* --no-aec, --no-ns, --no-agc */
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

/* join_actions.c: --set-attribute/--set-metadata right after the join (main thread). */
void join_apply_local(join_session_t *s);
/* join_actions.c: --send-text/--send-file/--rpc-call once their audience is here (main
 * thread), and --rpc-echo's method (before the join). */
void join_send_streams(join_session_t *s);
void join_rpc_calls(join_session_t *s);
void join_rpc_register(join_session_t *s);
/* join_actions.c: handlers of incoming text/byte streams on --topic (or every topic lkc
 * is told about: "" = the default topics) that print text_received / bytes_received. */
void join_register_stream_handlers(join_session_t *s);

/* Fills the participant/agent/transcript handlers (join_participants.c). */
void join_set_participant_handlers(lkc_room_options_t *ro);

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
