/* One LiveKit session on the engine thread, and the composition root of src/room: it
 * builds the parts (model, transport, data, local and remote tracks, media clock), wires
 * their ports, and dispatches both the server's signal messages and the application's
 * commands. The engine drives it through lkc__session_client. */
#ifndef LKC_ROOM_SESSION_H
#define LKC_ROOM_SESSION_H

#include "livekit_rtc.pb-c.h"
#include "room/engine.h"

extern const lkc__engine_client_t lkc__session_client;

/* The session's dispatch of one server message (exposed for unit tests and fuzzing). */
typedef struct lkc_session lkc_session_t;
void lkc__session_on_signal(lkc_session_t *s, const Livekit__SignalResponse *r);

/* The server's leave as a session ending reason (exposed for unit tests). */
lkc_failure_t lkc__session_failure_from_leave(const Livekit__LeaveRequest *l);

#endif
