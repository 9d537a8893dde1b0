/* A call through a fault, for the reconnection tests: a private livekit-server, lkc
 * participant A ("lkc-a": a 660 Hz tone from an AudioSource, numbered reliable messages
 * "lkc-<n>" at 50/s), lkc participant B ("lkc-b": a 440 Hz tone), each with an
 * AudioStream of the other's tone, and the official Python SDK peer ("py": numbered
 * reliable messages "py-<n>" at 50/s). The fault hits everyone on that server.
 *
 * After the fault the test checks what a user would: A's session never ended; A hears
 * 440 Hz again on its old stream and B hears 660 Hz again within a bound of the path
 * being back; every numbered message A sent arrived exactly once, in order, at B and at
 * the peer; the peer's messages arrived at A in order and never twice. What the Python
 * SDK itself loses (its own reconnection is its business) is counted and reported, and
 * so is what a participant missed while it was not in the room at all (a full rejoin). */
#ifndef LKC_TEST_CALL_H
#define LKC_TEST_CALL_H

#include <stdint.h>

#include "events.h"
#include "netfault.h"
#include "peer.h"
#include "private_server.h"
#include "seqcheck.h"

typedef struct lkc_test_call lkc_test_call_t;

/* Starts the server (named `name`), the three participants, the tones and the numbered
 * messages; returns once audio flows both ways. `opts` tunes A (NULL: defaults). */
lkc_test_call_t *lkc_test_call_start(const char *name, const lkc_room_options_t *opts);
lkc_test_private_server_t *lkc_test_call_server(lkc_test_call_t *c);
lkc_room_t *lkc_test_call_room(lkc_test_call_t *c); /* A */
lkc_test_events_t *lkc_test_call_events(lkc_test_call_t *c); /* A's */
lkc_test_peer_t *lkc_test_call_peer(lkc_test_call_t *c);

/* Waits until A hears 440 Hz on its stream and B hears 660 Hz from A (on a new stream if
 * A's track changed: a full reconnect republishes it); returns the ms it took from now
 * (the test calls this when the path is back), -1 when not within `timeout_ms`. */
int64_t lkc_test_call_audio_back(lkc_test_call_t *c, int timeout_ms, char *msg, size_t msg_len);

/* The same for the Python peer (the official SDK under the same fault): how long from now
 * until it hears lkc-a's 660 Hz, -1 when not within `timeout_ms`. Reported, not asserted. */
int64_t lkc_test_call_peer_audio_back(lkc_test_call_t *c, int timeout_ms);

/* Stops the numbered messages, checks every delivery (failing the test with what went
 * wrong), prints a summary line prefixed with `what`, and ends the call. With
 * `rejoin_may_miss` (the server itself went away, so everyone rejoined), messages a
 * receiver missed are reported, not failed; order and no duplicates are still checked. */
void lkc_test_call_finish(lkc_test_call_t *c, const char *what, bool rejoin_may_miss);

#endif
