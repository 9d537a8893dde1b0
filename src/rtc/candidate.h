/* ICE candidates as text: the SDP "candidate:" attribute (RFC 8839 §5.1, RFC 6544 tcptype),
 * the RTCIceCandidateInit JSON that trickles them over a signalling channel, and the
 * conversion to and from libnice's NiceCandidate. Pure functions: no I/O, no state; any thread. */
#ifndef LKC_RTC_CANDIDATE_H
#define LKC_RTC_CANDIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nice/candidate.h>

#define LKC_CANDIDATE_FOUNDATION_MAX 32  /* RFC 8839: 1*32 ice-char */
#define LKC_CANDIDATE_ADDRESS_MAX 253    /* an IP literal, or a DNS / mDNS name */
#define LKC_CANDIDATE_ATTR_MAX 512       /* longest attribute text we read or write */

typedef enum lkc_candidate_type {
    LKC_CANDIDATE_HOST,
    LKC_CANDIDATE_SRFLX,
    LKC_CANDIDATE_PRFLX,
    LKC_CANDIDATE_RELAY,
} lkc_candidate_type_t;

typedef enum lkc_candidate_transport {
    LKC_CANDIDATE_UDP,
    LKC_CANDIDATE_TCP,
} lkc_candidate_transport_t;

typedef enum lkc_candidate_tcptype {
    LKC_CANDIDATE_TCPTYPE_NONE,  /* udp, or a tcp candidate that did not say */
    LKC_CANDIDATE_TCPTYPE_ACTIVE,
    LKC_CANDIDATE_TCPTYPE_PASSIVE,
    LKC_CANDIDATE_TCPTYPE_SO,
} lkc_candidate_tcptype_t;

typedef struct lkc_candidate {
    char foundation[LKC_CANDIDATE_FOUNDATION_MAX + 1];
    uint32_t component;                  /* 1..256 */
    lkc_candidate_transport_t transport;
    uint32_t priority;
    char address[LKC_CANDIDATE_ADDRESS_MAX + 1];
    uint16_t port;
    lkc_candidate_type_t type;
    bool has_related;                    /* raddr/rport present */
    char related_address[LKC_CANDIDATE_ADDRESS_MAX + 1];
    uint16_t related_port;
    lkc_candidate_tcptype_t tcptype;
} lkc_candidate_t;

/* Parses "candidate:<foundation> <component> udp|tcp <priority> <address> <port> typ <type>
 * [key value]..." (also without the "candidate:" prefix, or with "a=candidate:"). raddr,
 * rport and tcptype may come in any order among the trailing pairs; unknown pairs
 * (generation, ufrag, network-id, ...) are skipped. Fills *out and returns 0, or
 * LKC_ERR_PROTOCOL for malformed text (out is then zeroed), LKC_ERR_INVALID_ARG for NULLs. */
int lkc_candidate_parse(const char *attr, lkc_candidate_t *out);

/* Writes "candidate:..." in the RFC order (raddr/rport, then tcptype) into buf, NUL-terminated.
 * Returns the length, LKC_ERR_TOO_LARGE if buf is too small, LKC_ERR_INVALID_ARG for an
 * out-of-range field. */
int lkc_candidate_format(const lkc_candidate_t *c, char *buf, size_t size);

/* "host", "srflx", "prflx", "relay"; "udp"/"tcp"; "active"/"passive"/"so"/"" . Never NULL. */
const char *lkc_candidate_type_str(lkc_candidate_type_t t);
const char *lkc_candidate_transport_str(lkc_candidate_transport_t t);
const char *lkc_candidate_tcptype_str(lkc_candidate_tcptype_t t);

/* libnice's view. from_nice fills *out from a local candidate the way libnice's own SDP writer
 * would (port 0 of an active TCP candidate becomes the discard port 9; raddr/rport is the base
 * when it differs). to_nice returns a new remote NiceCandidate (free with nice_candidate_free)
 * for `stream_id`, component 1, or NULL when the address is not an IP literal; a tcp
 * candidate without tcptype is taken as passive (a listening port is its only usable reading). */
void lkc_candidate_from_nice(const NiceCandidate *nc, lkc_candidate_t *out);
NiceCandidate *lkc_candidate_to_nice(const lkc_candidate_t *c, guint stream_id);
lkc_candidate_type_t lkc_candidate_type_from_nice(NiceCandidateType t);

/* An RTCIceCandidateInit. Strings are owned by the struct (malloc); NULL means JSON null.
 * candidate always starts with "candidate:" after decoding, or is "" (end of candidates). */
typedef struct lkc_candidate_init {
    char *candidate;
    char *sdp_mid;            /* NULL: null */
    int sdp_mline_index;      /* -1: null */
    char *username_fragment;  /* NULL: null */
} lkc_candidate_init_t;

/* Encodes *init as one JSON object into *json_out (malloc; caller frees with free()).
 * init->candidate must not be NULL. Returns 0 or LKC_ERR_INVALID_ARG / LKC_ERR_NO_MEMORY. */
int lkc_candidate_init_encode(const lkc_candidate_init_t *init, char **json_out);

/* Decodes JSON text of `len` bytes. Tolerates null or missing sdpMid, sdpMLineIndex and
 * usernameFragment, and a candidate without the "candidate:" prefix (it is added).
 * Returns 0 (caller then calls lkc_candidate_init_clear), LKC_ERR_PROTOCOL for malformed JSON
 * or wrong field types, LKC_ERR_TOO_LARGE for oversized input; on error *out holds nothing. */
int lkc_candidate_init_decode(const char *json, size_t len, lkc_candidate_init_t *out);

/* Frees the strings of *init and resets it to all-null. Safe on a zeroed struct. */
void lkc_candidate_init_clear(lkc_candidate_init_t *init);

#endif
