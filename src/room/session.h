/* One LiveKit session on the engine thread: the signal connection, the join, the
 * participants, the server's leave, and (later layers) the peer connections. The
 * engine owns it; every function runs on the engine thread. */
#ifndef LKC_ROOM_SESSION_H
#define LKC_ROOM_SESSION_H

#include <stdbool.h>

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

#endif
