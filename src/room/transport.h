/* LiveKit's two peer connections for one session: the subscriber PC (the server offers;
 * primary: its connection makes us ACTIVE, its server-made channels bring us data) and
 * the publisher PC (we offer; our _reliable/_lossy channels carry what we send, and our
 * audio). Signalling glue: offers, answers and trickled candidates (RTCIceCandidateInit
 * JSON, target PUBLISHER/SUBSCRIBER). Engine thread only. */
#ifndef LKC_ROOM_TRANSPORT_H
#define LKC_ROOM_TRANSPORT_H

#include <stdbool.h>

#include "livekit_rtc.pb-c.h"
#include "lkc/stats.h"
#include "room/room_internal.h"
#include "rtc/peer.h"

typedef struct lkc_transport lkc_transport_t;

#define LKC_CHANNEL_RELIABLE "_reliable"
#define LKC_CHANNEL_LOSSY "_lossy"

/* Creates both PCs from the join and starts the publisher negotiation. NULL on failure. */
lkc_transport_t *lkc_transport_new(lkc_session_t *s, const Livekit__JoinResponse *join);
void lkc_transport_free(lkc_transport_t *t);

void lkc_transport_on_offer(lkc_transport_t *t, const Livekit__SessionDescription *sd);
void lkc_transport_on_answer(lkc_transport_t *t, const Livekit__SessionDescription *sd);
void lkc_transport_on_trickle(lkc_transport_t *t, const Livekit__TrickleRequest *tr);

/* Both PCs connected and the publisher's _reliable and _lossy open. */
bool lkc_transport_ready(const lkc_transport_t *t);

/* Sends an encoded DataPacket on our publisher channel of `kind`. LKC_ERR_STATE when it
 * is not open; the sizes and errors of lkc_peer_channel_send otherwise. */
int lkc_transport_send_data(lkc_transport_t *t, lkc_data_kind_t kind, const uint8_t *buf, size_t len);
/* The largest message our publisher channels take (0 until negotiated). */
size_t lkc_transport_max_message(const lkc_transport_t *t);

lkc_peer_t *lkc_transport_publisher(lkc_transport_t *t);
lkc_peer_t *lkc_transport_subscriber(lkc_transport_t *t);
int lkc_transport_stats(const lkc_transport_t *t, lkc_pc_target_t which, lkc_pc_stats_t *out);

#endif
