/* One ICE agent (libnice, RFC 5245/8445 full agent, trickle) with one stream and one
 * component: BUNDLE plus rtcp-mux put all of a PeerConnection on one transport.
 *
 * Threads: the agent belongs to cfg.ctx. Every function below must be called on the thread
 * that iterates cfg.ctx (or before any thread iterates it), and every callback runs on that
 * thread. Nothing moves (gathering, checks, consent, receive) unless ctx is iterated.
 *
 * Callbacks may call any lkc_ice_* function on the same agent, including lkc_ice_free.
 * Callbacks can also run from inside lkc_ice_gather, lkc_ice_set_remote_credentials,
 * lkc_ice_add_remote_candidate and lkc_ice_restart (libnice reports synchronously).
 *
 * Liveness: RFC 7675 consent freshness is on (libnice's timers, not configurable). libnice
 * sends a binding request on the selected pair every 4-6 s, which pion counts as traffic (it
 * drops a pair after ~15 s of silence), and reports FAILED 10 s after the last answered one:
 * a vanished peer is detected within 10 s (10.0 s measured right after connecting). A closed
 * ICE-TCP connection is detected at once. libnice 0.1.21 goes from READY straight to FAILED,
 * so DISCONNECTED is only seen when the selected socket dies while libnice is CONNECTED. */
#ifndef LKC_RTC_ICE_H
#define LKC_RTC_ICE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtc/ice_server.h"

typedef struct lkc_ice lkc_ice_t;

/* Which candidates to gather and use (RTCIceTransportPolicy, extended). Deliberately not the
 * public lkc_ice_policy_t of lkc/room.h, which rtc/ does not know; same values. */
typedef enum lkc_ice_transport_policy {
    LKC_ICE_POLICY_ALL,        /* UDP and ICE-TCP host, srflx, relay */
    LKC_ICE_POLICY_UDP_ONLY,   /* no ICE-TCP */
    LKC_ICE_POLICY_TCP_ONLY,   /* ICE-TCP host candidates (+ TURN over TCP) only */
    LKC_ICE_POLICY_RELAY_ONLY, /* only relay candidates are used and reported */
} lkc_ice_transport_policy_t;

typedef enum lkc_ice_state {
    LKC_ICE_NEW,
    LKC_ICE_CHECKING,
    LKC_ICE_CONNECTED,
    LKC_ICE_DISCONNECTED, /* was connected, the selected path broke; may recover or fail */
    LKC_ICE_FAILED,       /* no path, or consent lost; needs lkc_ice_restart */
    LKC_ICE_CLOSED,       /* only seen in stats: never reported, no callback after free */
} lkc_ice_state_t;

typedef struct lkc_ice_config {
    GMainContext *ctx;        /* required; the agent holds a reference */
    bool controlling;         /* offerer: true (pion is a full agent, the answerer controlled) */
    lkc_ice_transport_policy_t policy;
    const lkc_ice_server_t *servers; /* as received from signalling; copied at creation */
    size_t n_servers;
    /* IP literals to gather on. NULL/0: every local address, loopback included. */
    const char *const *local_addresses;
    size_t n_local_addresses;
    /* gathering is reported done after this long even if a STUN/TURN server never answered
     * (0: 5000 ms); host candidates are reported at once regardless. */
    unsigned gather_timeout_ms;

    /* Callbacks (all optional), with `user` passed back; pointers are borrowed for the call. */
    void *user;
    /* "candidate:..." text of a new local candidate, to trickle to the peer. A candidate that
     * arrives after the gathering timeout is still reported. */
    void (*on_local_candidate)(void *user, const char *candidate_attr);
    void (*on_gathering_done)(void *user);       /* once per lkc_ice_gather */
    void (*on_state)(void *user, lkc_ice_state_t state); /* on every change */
    void (*on_recv)(void *user, const uint8_t *buf, size_t len); /* a non-STUN datagram */
    void (*on_selected_pair)(void *user);        /* the selected pair changed (see stats) */
} lkc_ice_config_t;

typedef struct lkc_ice_stats {
    uint64_t bytes_sent, packets_sent;          /* successful lkc_ice_send calls */
    uint64_t bytes_received, packets_received;  /* datagrams passed to on_recv */
    lkc_ice_state_t state;
    const char *state_str;                      /* static */
    bool has_selected_pair;
    char transport[4];                          /* "udp" or "tcp" */
    char local_type[6], remote_type[6];         /* "host", "srflx", "prflx", "relay" */
    char local_addr[64], remote_addr[64];       /* "ip:port", "[ip6]:port" */
} lkc_ice_stats_t;

/* Creates an agent on cfg->ctx: applies policy, ICE servers (stun: -> libnice's one STUN
 * server, turn: udp/tcp -> relays, stuns:/turns: skipped with a log line; hostnames are
 * resolved asynchronously by libnice on ctx) and fresh local credentials. Nothing runs until
 * lkc_ice_gather. Returns 0 and *out, or an error with nothing left behind (R1). */
int lkc_ice_new(const lkc_ice_config_t *cfg, lkc_ice_t **out);

/* Starts gathering; host candidates are reported at once (possibly before this returns),
 * then srflx/relay ones, then on_gathering_done. After lkc_ice_restart, call it again: it
 * reports the existing local candidates again (they are kept) and gathering done. Calling
 * it twice without a restart does nothing. */
int lkc_ice_gather(lkc_ice_t *ice);

/* Copies the local ufrag/pwd (NUL-terminated). LKC_ERR_TOO_LARGE if a buffer is too small
 * (33 and 65 bytes always suffice). */
int lkc_ice_get_local_credentials(lkc_ice_t *ice, char *ufrag, size_t ufrag_size, char *pwd,
                                  size_t pwd_size);

/* Sets the peer's ufrag/pwd (copied) and applies candidates queued before them. Setting other
 * values than the current ones needs lkc_ice_restart first (LKC_ERR_STATE otherwise). */
int lkc_ice_set_remote_credentials(lkc_ice_t *ice, const char *ufrag, const char *pwd);

/* Adds one remote candidate ("candidate:..." or without the prefix; copied). Candidates that
 * come before the remote credentials or before lkc_ice_gather are queued (up to 64) and
 * applied later. mDNS ".local" candidates and components other than 1 are ignored (0).
 * Returns LKC_ERR_PROTOCOL for malformed text, LKC_ERR_UNSUPPORTED for an unresolvable
 * name, LKC_ERR_WOULD_BLOCK when the queue is full. */
int lkc_ice_add_remote_candidate(lkc_ice_t *ice, const char *attr);

/* The peer said end-of-candidates: libnice may now declare FAILED when all checks failed. */
int lkc_ice_set_remote_gathering_done(lkc_ice_t *ice);

/* Sends one datagram (1..65535 bytes; over ICE-TCP it is RFC 4571 framed). Returns the number
 * of bytes sent, or LKC_ERR_STATE (no selected pair yet or consent lost), LKC_ERR_WOULD_BLOCK
 * (TCP send buffer full; nothing sent), LKC_ERR_TOO_LARGE, LKC_ERR_IO. */
int lkc_ice_send(lkc_ice_t *ice, const uint8_t *buf, size_t len);

/* ICE restart: new local credentials, the remote credentials and candidates are forgotten
 * (set them again, then lkc_ice_gather to re-report local candidates). The current selected
 * pair keeps carrying data until a new one is selected. */
int lkc_ice_restart(lkc_ice_t *ice);

/* Copies counters, state and the selected pair. */
int lkc_ice_get_stats(lkc_ice_t *ice, lkc_ice_stats_t *out);

const char *lkc_ice_state_str(lkc_ice_state_t state); /* "new", "checking", ... */

/* Closes sockets, removes every source of the agent, frees it; no callback runs afterwards.
 * Called from inside one of the agent's own callbacks, the final release is deferred to an
 * idle source on ctx (iterate ctx once more, or unref ctx, to finish it). NULL is a no-op.
 * With TURN servers, the agent itself lives on until its relays are deallocated (a Refresh
 * with lifetime 0, answered by the server), which happens as ctx is iterated; see below. */
void lkc_ice_free(lkc_ice_t *ice);

/* A freed agent with TURN relays lingers on ctx (base/linger.h) until they are deallocated;
 * the owner of ctx abandons those still there with lkc_linger_abandon (their relays then
 * expire on the server). */

#endif
