/* A PeerConnection: one ICE agent, one DTLS association with SRTP and SCTP over it,
 * BUNDLE over every m-line, composed from ice, dtls, srtp, sctp and sdp. Generic WebRTC
 * with the choices a pion-based SFU needs (max-bundle, rtcp-mux, trickle ICE, Opus):
 * nothing here knows LiveKit.
 *
 * Two roles:
 * - offerer: we make offers (ICE controlling, a=setup:actpass, so the answer picks the
 *   DTLS role). Audio senders and the data section are added here; lkc_peer_negotiate()
 *   runs one offer/answer at a time and queues one renegotiation behind it.
 * - answerer: the remote side offers (we are ICE controlled and answer a=setup:active,
 *   i.e. DTLS client); every offer gets an answer, m-lines are mirrored, audio is
 *   received when it is Opus, everything else is rejected.
 *
 * Threads: everything runs on the thread of `ctx` (the engine thread), callbacks too.
 * Callbacks get borrowed pointers. lkc_peer_free() must not be called from inside one
 * of the peer's own callbacks (defer it). */
#ifndef LKC_RTC_PEER_H
#define LKC_RTC_PEER_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/stats.h"
#include "rtc/ice.h"

typedef struct lkc_peer lkc_peer_t;

typedef enum lkc_peer_state {
    LKC_PEER_NEW,
    LKC_PEER_CONNECTING,   /* ICE and DTLS under way */
    LKC_PEER_CONNECTED,    /* DTLS done, keys checked against the remote fingerprint */
    LKC_PEER_DISCONNECTED, /* ICE lost its path after connecting; may come back */
    LKC_PEER_FAILED,       /* ICE or DTLS failed for good (the reason says which) */
    LKC_PEER_CLOSED,
} lkc_peer_state_t;

typedef enum lkc_peer_milestone {
    LKC_PEER_ICE_CONNECTED,
    LKC_PEER_DTLS_CONNECTED,
    LKC_PEER_SCTP_CONNECTED,
} lkc_peer_milestone_t;

/* The negotiated view of one audio m-line (what to put in RTP, what arrives). */
typedef struct lkc_peer_audio {
    const char *mid;
    bool sending;            /* ours (offerer side), or received (answerer side) */
    bool active;             /* not rejected, not inactive */
    int payload_type;        /* Opus PT, -1 until negotiated */
    int audio_level_ext;     /* RFC 6464 extension id, 0 when not negotiated */
    int mid_ext;             /* sdes:mid extension id, 0 when not negotiated */
    uint32_t ssrc;           /* ours, or the sender's from the offer (0 = unknown) */
    const char *track_id;    /* msid track id (ours: the track's cid; received: the sender's) */
    const char *stream_id;   /* msid stream id */
    bool stereo;             /* stereo Opus (ours: requested; received: sprop-stereo) */
} lkc_peer_audio_t;

typedef struct lkc_peer_callbacks {
    /* A local ICE candidate to trickle ("candidate:..."); NULL candidate = gathering done. */
    void (*on_local_candidate)(void *user, const char *candidate);
    /* Offerer: an offer to send to the remote side (lkc_peer_negotiate()). */
    void (*on_offer)(void *user, const char *sdp);
    void (*on_state)(void *user, lkc_peer_state_t state, const char *reason);
    void (*on_milestone)(void *user, lkc_peer_milestone_t m);
    /* A data channel opened (by either side), labelled as it was opened. */
    void (*on_channel_open)(void *user, const char *label);
    void (*on_channel_message)(void *user, const char *label, bool binary, const uint8_t *data, size_t len);
    void (*on_channel_closed)(void *user, const char *label);
    /* After a send was refused with LKC_ERR_WOULD_BLOCK on a reliable channel: the
     * buffer has drained and sends may resume. */
    void (*on_channels_sendable)(void *user);
    /* The peer acknowledged every data channel message sent so far (optional). */
    void (*on_channels_acked)(void *user);
    /* Decrypted RTP of an active received audio m-line (its mid; NULL = unknown SSRC).
     * The buffer may be modified by the callee. */
    void (*on_rtp)(void *user, const char *mid, uint8_t *pkt, size_t len);
    /* Decrypted RTCP (compound packets as received). */
    void (*on_rtcp)(void *user, uint8_t *pkt, size_t len);
    /* Answerer: the remote offer was applied (its audio m-lines may have changed). */
    void (*on_remote_description)(void *user);
} lkc_peer_callbacks_t;

typedef struct lkc_peer_config {
    GMainContext *ctx;
    bool offerer;
    lkc_ice_transport_policy_t ice_policy;
    const lkc_ice_server_t *ice_servers;  /* copied */
    size_t n_ice_servers;
    const char *const *local_addresses;   /* NULL: every local address (loopback included) */
    size_t n_local_addresses;
    bool test_corrupt_remote_fingerprint; /* test hook: alter the remote fingerprint */
    const char *name;                     /* for logs, e.g. "publisher" */
    lkc_peer_callbacks_t cb;
    void *user;
} lkc_peer_config_t;

/* Creates the peer and its ICE agent (nothing gathers or sends yet). */
int lkc_peer_new(const lkc_peer_config_t *cfg, lkc_peer_t **out);
/* Closes everything at once (SCTP abort, DTLS close_notify). NULL is ignored. */
void lkc_peer_free(lkc_peer_t *p);

/* --- offerer ---------------------------------------------------------------------- */

/* Adds the m=application section (before the first offer). */
int lkc_peer_add_data_section(lkc_peer_t *p);
/* Adds a sendonly Opus m-line with this SSRC and msid; `*mid_out` (borrowed) names it. */
int lkc_peer_add_audio_sender(lkc_peer_t *p, const char *stream_id, const char *track_id, uint32_t ssrc,
                              bool stereo, const char **mid_out);
/* Turns a sender's m-line inactive (m-lines are never removed). */
int lkc_peer_remove_audio_sender(lkc_peer_t *p, const char *mid);
/* Starts an offer/answer now, or after the one in flight. The offer comes through
 * on_offer. */
int lkc_peer_negotiate(lkc_peer_t *p);

/* Offerer: an ICE restart (new credentials, candidates gathered again) and a new offer
 * carrying it; a FAILED or DISCONNECTED peer becomes CONNECTING and, once ICE finds a
 * path, CONNECTED again with the same DTLS association. */
int lkc_peer_restart_ice(lkc_peer_t *p);
/* Applies the remote answer to our last offer. */
int lkc_peer_set_answer(lkc_peer_t *p, const char *sdp);

/* --- answerer --------------------------------------------------------------------- */

/* Applies a remote offer and builds the answer (`*answer` malloc'd, caller frees). */
int lkc_peer_handle_offer(lkc_peer_t *p, const char *sdp, char **answer);

/* --- both ------------------------------------------------------------------------- */

int lkc_peer_add_remote_candidate(lkc_peer_t *p, const char *candidate);
void lkc_peer_remote_candidates_done(lkc_peer_t *p);

/* Opens a data channel (queued until SCTP is up). Labels name channels: one per label. */
int lkc_peer_open_channel(lkc_peer_t *p, const char *label, bool ordered, int max_retransmits);
/* Sends on an open channel: LKC_ERR_STATE when it is not open (yet), LKC_ERR_TOO_LARGE
 * over the negotiated message size, LKC_ERR_WOULD_BLOCK (nothing taken) for a lossy send
 * that cannot go out now, or a reliable one when LKC_SCTP_MAX_BUFFERED bytes wait already
 * (on_channels_sendable follows). */
int lkc_peer_channel_send(lkc_peer_t *p, const char *label, bool binary, const uint8_t *data, size_t len);
bool lkc_peer_channel_is_open(const lkc_peer_t *p, const char *label);
/* The largest message the channels take (0 before the remote description). */
size_t lkc_peer_max_message_size(const lkc_peer_t *p);

/* Protects and sends one RTP/RTCP packet (in place; `cap` >= len + LKC_SRTP_MAX_OVERHEAD).
 * LKC_ERR_STATE before DTLS is connected. */
int lkc_peer_send_rtp(lkc_peer_t *p, uint8_t *pkt, size_t len, size_t cap);
int lkc_peer_send_rtcp(lkc_peer_t *p, uint8_t *pkt, size_t len, size_t cap);

/* Negotiated audio m-lines, in m-line order (borrowed until the next negotiation). */
size_t lkc_peer_audio_count(const lkc_peer_t *p);
const lkc_peer_audio_t *lkc_peer_audio_at(const lkc_peer_t *p, size_t i);
const lkc_peer_audio_t *lkc_peer_audio_by_mid(const lkc_peer_t *p, const char *mid);

lkc_peer_state_t lkc_peer_state(const lkc_peer_t *p);
const char *lkc_peer_state_str(lkc_peer_state_t s);
int lkc_peer_get_stats(const lkc_peer_t *p, lkc_pc_stats_t *out);

#endif
