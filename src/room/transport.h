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
#include "room/room_core.h"
#include "rtc/peer.h"

typedef struct lkc_transport lkc_transport_t;

/* What the transport reports, and the one thing it asks for (sending on the signal).
 * Called on the engine thread; the transport never calls the session by name. */
typedef struct lkc__transport_ports {
    int (*send_signal)(void *user, const Livekit__SignalRequest *req);
    void (*changed)(void *user);  /* a PC connected or a channel opened */
    void (*failed)(void *user, lkc_failure_t why, const char *message);
    void (*data_in)(void *user, const uint8_t *buf, size_t len, lkc_data_kind_t kind);
    void (*sendable)(void *user); /* the publisher's channels take packets again */
    void (*acked)(void *user);    /* the server has every data packet we sent so far */
    void (*rtp_in)(void *user, const char *mid, uint8_t *pkt, size_t len);
    void (*rtcp_in)(void *user, bool subscriber, uint8_t *pkt, size_t len);
    /* The subscriber PC answered `offer`: its audio m-lines say what we receive now. */
    void (*remote_audio)(void *user, lkc_peer_t *subscriber, const Livekit__SessionDescription *offer);
    void *user;
} lkc__transport_ports_t;

typedef struct lkc__transport_config {
    GMainContext *ctx;
    lkc_room_t *room;            /* its timeline gets the connect milestones */
    lkc_ice_policy_t ice_policy;
    bool test_corrupt_remote_fingerprint;
    int64_t (*elapsed_ms)(void *clock); /* ms since connect, for the timeline */
    void *clock;
    lkc__transport_ports_t ports;
} lkc__transport_config_t;

#define LKC_CHANNEL_RELIABLE "_reliable"
#define LKC_CHANNEL_LOSSY "_lossy"

/* Creates both PCs from the join and starts the publisher negotiation. NULL on failure. */
lkc_transport_t *lkc__transport_new(const lkc__transport_config_t *cfg, const Livekit__JoinResponse *join);
void lkc__transport_free(lkc_transport_t *t);

void lkc__transport_on_offer(lkc_transport_t *t, const Livekit__SessionDescription *sd);
void lkc__transport_on_answer(lkc_transport_t *t, const Livekit__SessionDescription *sd);
void lkc__transport_on_trickle(lkc_transport_t *t, const Livekit__TrickleRequest *tr);

/* Both PCs connected now (not only once) and the publisher's _reliable and _lossy open. */
bool lkc__transport_ready(const lkc_transport_t *t);

/* Sends an encoded DataPacket on our publisher channel of `kind`. LKC_ERR_STATE when it
 * is not open; the sizes and errors of lkc_peer_channel_send otherwise. */
int lkc__transport_send_data(lkc_transport_t *t, lkc_data_kind_t kind, const uint8_t *buf, size_t len);
/* The largest message our publisher channels take (0 until negotiated). */
size_t lkc__transport_max_message(const lkc_transport_t *t);

/* Resume: our publisher PC offers an ICE restart (when its path failed). */
int lkc__transport_restart_publisher(lkc_transport_t *t);

/* The server's last subscriber offer and our answer to it (borrowed), for SyncState. */
bool lkc__transport_last_subscriber_sdp(const lkc_transport_t *t, const char **offer, const char **answer,
                                        uint32_t *id);

lkc_peer_t *lkc__transport_publisher(lkc_transport_t *t);
lkc_peer_t *lkc__transport_subscriber(lkc_transport_t *t);
int lkc__transport_stats(const lkc_transport_t *t, lkc_pc_target_t which, lkc_pc_stats_t *out);

#endif
