/* The signal connection to a LiveKit server: a WebSocket (libsoup-3) carrying binary
 * protobuf SignalRequest / SignalResponse frames, LiveKit's ping/pong liveness check,
 * and readable errors for a refused join. Knows nothing of WebRTC.
 *
 * Thread: every function, and every callback, runs on the thread of `ctx` (the room's
 * engine thread), which must be the thread-default context while lkc_signal_new() and
 * lkc_signal_connect() run. After lkc_signal_free() no callback runs.
 */
#ifndef LKC_SIGNAL_H
#define LKC_SIGNAL_H

#include <glib.h>
#include <stdint.h>

#include "lkc/room.h"
#include "livekit_rtc.pb-c.h"
#include "signal/signal_url.h"

typedef struct lkc_signal lkc_signal_t;

typedef struct lkc_signal_callbacks {
    /* The WebSocket is upgraded; the JoinResponse follows. */
    void (*on_open)(void *user);
    /* A server message (pong_resp is consumed here and not passed on). `r` is
     * borrowed for the call. */
    void (*on_response)(void *user, const Livekit__SignalResponse *r);
    /* The connection failed or ended; called at most once. `message` may be "". It is
     * not called for a close that lkc_signal_free() makes. */
    void (*on_closed)(void *user, lkc_failure_t reason, const char *message);
} lkc_signal_callbacks_t;

typedef struct lkc_signal_config {
    GMainContext *ctx;
    const char *url;             /* the server URL as the user gave it */
    const char *token;           /* sent as "Authorization: Bearer", never logged */
    lkc_signal_params_t params;
    const char *ca_file;         /* NULL: system CAs */
    int connect_timeout_ms;      /* upgrade + first message */
    lkc_signal_callbacks_t cb;
    void *user;
} lkc_signal_config_t;

/* Checks the URL and prepares the session; opens nothing. LKC_ERR_INVALID_ARG for a
 * bad URL or empty token. */
int lkc_signal_new(const lkc_signal_config_t *cfg, lkc_signal_t **out);

/* Starts the upgrade. Outcome: on_open, or on_closed with a failure reason. */
int lkc_signal_connect(lkc_signal_t *s);

/* Sends one request. LKC_ERR_STATE when not open. */
int lkc_signal_send(lkc_signal_t *s, const Livekit__SignalRequest *req);

/* Starts LiveKit-level pings every `interval_s`; the link is declared dead
 * (on_closed PING_TIMEOUT) after `timeout_s` without any message from the server. */
void lkc_signal_start_ping(lkc_signal_t *s, int interval_s, int timeout_s);


/* Milliseconds since the last message from the server (0 before the connection opens). */
int64_t lkc_signal_silent_ms(const lkc_signal_t *s);

/* True from on_open until the connection ends. */
bool lkc_signal_is_open(const lkc_signal_t *s);

/* Starts a clean close (code 1000). on_closed(LKC_FAILURE_NONE) follows when the
 * server answers, or after `bound_ms` at most. */
void lkc_signal_close(lkc_signal_t *s, int bound_ms);

/* Cancels whatever is in flight and releases the connection at once. Operations
 * already in flight finish on `ctx` later without calling back, so iterate the context
 * a little before destroying it (the engine's drain does). NULL is ignored. */
void lkc_signal_free(lkc_signal_t *s);

#endif
