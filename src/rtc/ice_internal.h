/* What ice.c (the agent's life, libnice's signals, the data path, stats) and
 * ice_candidates.c (gathering, local and remote candidates, remote credentials) share.
 * Included by those two files only. */
#ifndef LKC_RTC_ICE_INTERNAL_H
#define LKC_RTC_ICE_INTERNAL_H

#include <glib.h>
#include <nice/agent.h>
#include <stdbool.h>
#include <stdint.h>

#include "lkc/error.h"
#include "rtc/ice.h"

#define MOD "rtc.ice"
#define COMPONENT 1
#define CRED_MAX 256

struct lkc_ice {
    GMainContext *ctx;
    NiceAgent *agent;
    guint stream_id;
    lkc_ice_transport_policy_t policy;
    unsigned gather_timeout_ms;

    void *user;
    void (*on_local_candidate)(void *, const char *);
    void (*on_gathering_done)(void *);
    void (*on_state)(void *, lkc_ice_state_t);
    void (*on_recv)(void *, const uint8_t *, size_t);
    void (*on_selected_pair)(void *);

    lkc_ice_state_t state;
    bool gathering_started;  /* nice_agent_gather_candidates was called (once per agent) */
    bool nice_gather_done;   /* libnice finished gathering (local candidates are kept) */
    bool gather_requested;   /* lkc_ice_gather called in this credential generation */
    bool done_reported;      /* on_gathering_done ran in this generation */
    GSource *gather_timer;

    bool have_remote_creds;
    char remote_ufrag[CRED_MAX + 1], remote_pwd[CRED_MAX + 1];
    GArray *queued;          /* lkc_candidate_t waiting for creds and gathering */

    uint64_t bytes_sent, packets_sent, bytes_received, packets_received;

    unsigned n_turn;         /* TURN servers given to libnice (relays to deallocate) */
    int depth;               /* our frames on the stack (see the top of ice.c) */
    bool closed;             /* lkc_ice_free was called: no more callbacks */
};

/* Entry check: NULL is a caller bug; after lkc_ice_free from a callback the agent is closed. */
static inline int usable(const lkc_ice_t *ice)
{
    return !ice ? LKC_ERR_INVALID_ARG : ice->closed ? LKC_ERR_CLOSED : LKC_OK;
}

/* ice_candidates.c */
void lkc_ice_stop_gather_timer(lkc_ice_t *ice);
/* on_gathering_done, once per lkc_ice_gather, when libnice is done or the timer fired. */
void lkc_ice_report_gathering_done(lkc_ice_t *ice);
/* on_local_candidate for one of libnice's local candidates, unless policy hides it. */
void lkc_ice_report_candidate(lkc_ice_t *ice, const NiceCandidate *nc);

/* ice_close.c: releases the agent, deallocating its TURN relays first when it has any */
void lkc_ice_close_agent(NiceAgent *agent, GMainContext *ctx, bool has_relays);

#endif
