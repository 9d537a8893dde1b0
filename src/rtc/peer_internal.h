/* What peer.c (transport chain) and peer_sdp.c (descriptions) share. */
#ifndef LKC_RTC_PEER_INTERNAL_H
#define LKC_RTC_PEER_INTERNAL_H

#include "rtc/cert.h"
#include "rtc/dtls.h"
#include "rtc/peer.h"
#include "rtc/sctp.h"
#include "rtc/sdp.h"
#include "rtc/srtp.h"

typedef enum { SECTION_DATA, SECTION_AUDIO, SECTION_OTHER } section_kind_t;

/* One m-line, in m-line order. */
typedef struct peer_section {
    section_kind_t kind;
    char *mid;
    bool rejected;          /* answerer: port 0 in our answer */
    bool removed;           /* offerer: an audio sender that was removed (inactive) */
    lkc_peer_audio_t audio; /* the public view; its strings point at the fields below */
    char *track_id;
    char *stream_id;
} peer_section_t;

typedef struct peer_channel {
    char *label;
    bool ordered;
    int max_retransmits;
    bool ours;       /* we asked for it (to open once SCTP exists) */
    bool requested;  /* lkc_sctp_open_channel was called */
    bool open;
    int sid;         /* -1 until known */
} peer_channel_t;

struct lkc_peer {
    GMainContext *ctx;
    bool offerer;
    bool test_corrupt_fingerprint;
    char *name;
    lkc_peer_callbacks_t cb;
    void *user;

    lkc_ice_t *ice;
    lkc_dtls_t *dtls;
    lkc_srtp_t *srtp;
    lkc_sctp_t *sctp;
    lkc_peer_state_t state;
    bool gathering;
    bool ice_connected;
    GPtrArray *held_out;   /* GBytes: DTLS records written before ICE selected a pair */

    /* local description */
    char ufrag[64];
    char pwd[128];
    char fingerprint[LKC_CERT_FP_SIZE];
    uint64_t sess_id;
    uint64_t sess_version;
    GPtrArray *sections;   /* peer_section_t* */
    int next_mid;

    /* remote description */
    lkc_sdp_t *remote;
    char *remote_ufrag;
    bool role_known;
    lkc_dtls_role_t dtls_role;
    bool remote_has_data;
    uint16_t remote_sctp_port;
    uint32_t remote_max_message;

    /* offerer negotiation */
    bool offer_in_flight;
    bool restarting;          /* set_state may leave FAILED (an ICE restart) */
    guint offered_sections;   /* sections in the offer in flight (more may be added meanwhile) */
    bool renegotiate;

    GPtrArray *channels;   /* peer_channel_t* */
};

/* peer_sdp.c */
lkc_sdp_t *lkc_peer_build_offer(lkc_peer_t *p);
/* Checks the answer against our offer and records what it negotiated. */
int lkc_peer_apply_answer(lkc_peer_t *p, const lkc_sdp_t *answer, char *err, size_t errlen);
/* Records the remote offer's m-lines and builds our answer. */
lkc_sdp_t *lkc_peer_apply_offer_build_answer(lkc_peer_t *p, const lkc_sdp_t *offer, char *err, size_t errlen);
peer_section_t *lkc_peer_section_new(section_kind_t kind, const char *mid);
void lkc_peer_section_free(gpointer s);

/* peer.c: called by the description code once remote ICE/DTLS parameters are known. */
int lkc_peer_apply_transport(lkc_peer_t *p, const lkc_sdp_t *remote, char *err, size_t errlen);
/* peer.c: the one place the state changes (reported through cb.on_state) */
void lkc_peer_set_state(lkc_peer_t *p, lkc_peer_state_t s, const char *reason);

/* peer_channels.c */
void lkc_peer_channel_free(gpointer channel);
/* Creates and starts the SCTP association once SRTP keys and a data section exist. */
void lkc_peer_start_sctp(lkc_peer_t *p);

#endif
