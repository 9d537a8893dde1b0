/* ICE servers as a signalling server hands them out (RTCIceServer: urls + username +
 * credential), and the parsing of one STUN/TURN URL (RFC 7064, RFC 7065):
 *   stun:host[:port]   stuns:host[:port]   turn:host[:port][?transport=udp|tcp]
 *   turns:host[:port][?transport=udp|tcp]     (host may be [IPv6])
 * and handing them to a libnice agent. Parsing is pure (any thread); applying is done on the
 * agent's thread. */
#ifndef LKC_RTC_ICE_SERVER_H
#define LKC_RTC_ICE_SERVER_H

#include <nice/agent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One RTCIceServer. Borrowed strings; the ICE agent copies what it needs at creation. */
typedef struct lkc_ice_server {
    const char *const *urls;
    size_t n_urls;
    const char *username;    /* TURN only; may be NULL for STUN */
    const char *credential;  /* TURN only; never logged */
} lkc_ice_server_t;

typedef enum lkc_ice_server_scheme {
    LKC_ICE_SERVER_STUN,
    LKC_ICE_SERVER_STUNS,
    LKC_ICE_SERVER_TURN,
    LKC_ICE_SERVER_TURNS,
} lkc_ice_server_scheme_t;

typedef enum lkc_ice_server_transport {
    LKC_ICE_SERVER_UDP,
    LKC_ICE_SERVER_TCP,
} lkc_ice_server_transport_t;

#define LKC_ICE_SERVER_HOST_MAX 253

typedef struct lkc_ice_server_url {
    lkc_ice_server_scheme_t scheme;
    char host[LKC_ICE_SERVER_HOST_MAX + 1];  /* IPv6 without brackets */
    uint16_t port;                           /* default 3478, or 5349 for stuns/turns */
    lkc_ice_server_transport_t transport;    /* default udp, or tcp for stuns/turns */
} lkc_ice_server_url_t;

/* Parses one URL into *out. Returns 0, or LKC_ERR_INVALID_ARG for a malformed or unsupported
 * URL (unknown scheme, "//", userinfo, bad port, unknown query, transport on stun:); *out is
 * then zeroed. */
int lkc_ice_server_parse_url(const char *url, lkc_ice_server_url_t *out);

/* Configures `agent` (before nice_agent_gather_candidates) from the servers: the first usable
 * stun: URL becomes libnice's one STUN server (none when !udp_ok or relay_only); each turn: URL
 * a relay for stream/component (TURN/UDP only when udp_ok; at most libnice's 8); stuns: and
 * turns: are skipped with a warning, since libnice 0.1.21 would speak plain TCP to them.
 * Hostnames are left to libnice, which resolves them asynchronously at gather time with
 * GResolver on the agent's context. Bad URLs are logged and skipped. Returns the number of
 * TURN servers set. */
unsigned lkc_ice_server_apply(NiceAgent *agent, guint stream_id, guint component_id, bool udp_ok,
                              bool relay_only, const lkc_ice_server_t *servers, size_t n_servers);

/* "stun", "stuns", "turn", "turns". Never NULL. */
const char *lkc_ice_server_scheme_str(lkc_ice_server_scheme_t s);

#endif
