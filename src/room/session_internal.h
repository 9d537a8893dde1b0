/* The session's state, shared by session.c (the composition root: dispatch, ports, life)
 * and session_reconnect.c (getting a lost connection back). Engine thread only. */
#ifndef LKC_ROOM_SESSION_INTERNAL_H
#define LKC_ROOM_SESSION_INTERNAL_H

#include "room/data.h"
#include "room/engine.h"
#include "room/local_tracks.h"
#include "room/media.h"
#include "room/model.h"
#include "room/participant_update.h"
#include "room/remote_tracks.h"
#include "room/rpc.h"
#include "room/streams.h"
#include "room/transcripts.h"
#include "signal/signal.h"

typedef struct lkc_session lkc_session_t;
#include "room/transport.h"
#include "signal/signal.h"

struct lkc_session {
    lkc_engine_t *engine;
    lkc_room_t *room;
    lkc_signal_t *signal;
    lkc_model_t *model;
    lkc_transport_t *transport;
    lkc_data_t *data;
    lkc_media_t *media;
    lkc__local_tracks_t *local;
    lkc__remote_tracks_t *remote;
    lkc__rpc_t *rpc;
    lkc__streams_t *streams;
    lkc__participant_update_t *pupdate;
    lkc__transcripts_t *transcripts;
    GSource *join_timer;
    GSource *verdict_timer;       /* a transport failure waiting for the signal's word */
    lkc_failure_t pending_failure;
    char pending_message[256];
    bool joined;
    bool connected;
    bool shutting_down;
    int ping_interval_s;
    int ping_timeout_s;
    char *refresh_token;
    char *url;                    /* for reconnecting */
    char *token;                  /* the latest token (a refreshed one replaces the first) */
    /* reconnection (session_reconnect.c) */
    bool reconnecting;
    lkc_reconnect_kind_t rc_kind;
    bool rc_resumed;              /* resume: the ReconnectResponse came */
    bool rc_restart_offer;        /* resume: the server's ICE-restart offer was answered */
    int rc_attempt;
    int64_t rc_started_ms;
    lkc_failure_t rc_cause;
    char rc_message[256];
    GSource *rc_timer;            /* the wait before the next attempt, or an attempt's bound */
};

/* session.c */
/* Opens the signal: a fresh join, or with `resume` the reconnect of our participant. */
int lkc__session_open_signal(lkc_session_t *s, bool resume, int reconnect_reason);
/* Builds the transport from a join (or rejoin) and starts it. false on failure. */
bool lkc__session_make_transport(lkc_session_t *s, const Livekit__JoinResponse *j);

/* session_data.c */
/* Builds data, rpc, transcripts and streams with their ports (s->model must exist). */
void lkc__session_make_data_parts(lkc_session_t *s, GMainContext *ctx);

/* session_reconnect.c */
/* The connection was lost: start (or escalate) a reconnection, or end the session when it
 * may not reconnect. `kind` is what the cause calls for. */
void lkc__session_lost(lkc_session_t *s, lkc_failure_t cause, const char *message, lkc_reconnect_kind_t kind);
/* The signal of a reconnect attempt failed or closed. */
void lkc__session_attempt_failed(lkc_session_t *s, lkc_failure_t cause, const char *message);
/* The server accepted our resume. */
void lkc__session_on_reconnect_response(lkc_session_t *s, const Livekit__ReconnectResponse *r);
/* A JoinResponse while fully reconnecting. */
void lkc__session_on_rejoin(lkc_session_t *s, const Livekit__JoinResponse *j);
/* Something moved (a connection, a channel, a restart offer): finish when all is up. */
void lkc__session_check_reconnected(lkc_session_t *s);

#endif
