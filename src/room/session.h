/* One LiveKit session on the engine thread: the signal connection, the join, the
 * participants, the server's leave, and (later layers) the peer connections. The
 * engine owns it; every function runs on the engine thread. */
#ifndef LKC_ROOM_SESSION_H
#define LKC_ROOM_SESSION_H

#include <stdbool.h>

#include "livekit_rtc.pb-c.h"
#include "room/room_internal.h"

/* Prepares the session (nothing connects yet). */
int lkc_session_new(lkc_engine_t *e, const char *url, const char *token, lkc_session_t **out);

/* Starts connecting. Progress and the end come through the room's state. */
void lkc_session_start(lkc_session_t *s);

/* Begins the teardown: with `leave`, a LeaveRequest to the server and a clean close;
 * calls lkc_engine_shutdown_done() when complete (the engine bounds the wait). */
void lkc_session_shutdown(lkc_session_t *s, bool leave);

/* Releases everything at once (after the engine loop). NULL is ignored. */
void lkc_session_free(lkc_session_t *s);

/* For the session's parts (transport, data, media). */
lkc_room_t *lkc_session_room(lkc_session_t *s);
GMainContext *lkc_session_context(lkc_session_t *s);
int64_t lkc_session_elapsed_ms(lkc_session_t *s);
struct lkc_data *lkc_session_data(lkc_session_t *s);
struct lkc_media *lkc_session_media(lkc_session_t *s);
struct lkc_model *lkc_session_model(lkc_session_t *s);
struct lkc_transport *lkc_session_transport(lkc_session_t *s);
/* Sends a signal request (LKC_ERR_STATE when the signal is not open). */
int lkc_session_send(lkc_session_t *s, const Livekit__SignalRequest *req);
/* Sends an encoded DataPacket on the publisher channel of `kind`. */
int lkc_session_send_data(lkc_session_t *s, lkc_data_kind_t kind, const uint8_t *buf, size_t len);

/* Called by the transport. */
void lkc_session_transport_changed(lkc_session_t *s);
void lkc_session_transport_failed(lkc_session_t *s, lkc_failure_t reason, const char *message);
void lkc_session_data_in(lkc_session_t *s, const uint8_t *buf, size_t len, lkc_data_kind_t kind);
void lkc_session_rtp_in(lkc_session_t *s, const char *mid, uint8_t *pkt, size_t len);
void lkc_session_rtcp_in(lkc_session_t *s, bool subscriber, uint8_t *pkt, size_t len);
void lkc_session_subscriber_offer(lkc_session_t *s, const Livekit__SessionDescription *sd);

#endif
