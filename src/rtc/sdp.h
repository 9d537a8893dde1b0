/* SDP: a data model, parser and writer for the WebRTC subset of RFC 8866 (JSEP,
 * BUNDLE, ICE, DTLS, RTP/AVPF codecs, SCTP data channels). Generic: nothing here
 * knows about LiveKit.
 *
 * Threads: no function keeps state or does I/O (beyond log lines), so any thread may
 * call them; an lkc_sdp_t is not locked: one object is used by one thread at a time.
 *
 * Ownership: an lkc_sdp_t owns everything reachable from it (heap strings, arrays,
 * media sections). Free it with lkc_sdp_free(). Fields may be read and scalar fields
 * written directly; string fields are replaced with lkc_sdp_set_str(); arrays grow
 * only through the lkc_sdp_*add_*() builders (which size their storage). An array
 * may shrink by freeing its tail elements and lowering its count. Pointers into an
 * array (e.g. an lkc_sdp_rtpmap_t *) stay valid until the next add to that array;
 * lkc_sdp_media_t pointers stay valid until the session is freed.
 */
#ifndef LKC_RTC_SDP_H
#define LKC_RTC_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits that bound what the parser accepts (each breach is LKC_ERR_PROTOCOL). */
#define LKC_SDP_MAX_INPUT (1024 * 1024) /* bytes of SDP text */
#define LKC_SDP_MAX_LINE 16384          /* bytes in one line */
#define LKC_SDP_MAX_MEDIA 1024          /* m= sections */
#define LKC_SDP_MAX_SECTION_LINES 8192  /* lines in the session part or one m= section */
#define LKC_SDP_MAX_FORMATS 256         /* formats on one m= line */
#define LKC_SDP_MAX_GROUP_SSRCS 64      /* SSRCs in one a=ssrc-group */

typedef enum lkc_sdp_dir {
    LKC_SDP_SENDRECV = 0, /* the default when a section has no direction attribute */
    LKC_SDP_SENDONLY,
    LKC_SDP_RECVONLY,
    LKC_SDP_INACTIVE,
} lkc_sdp_dir_t;

typedef enum lkc_sdp_setup {
    LKC_SDP_SETUP_NONE = 0, /* no a=setup line */
    LKC_SDP_SETUP_ACTPASS,
    LKC_SDP_SETUP_ACTIVE,
    LKC_SDP_SETUP_PASSIVE,
    LKC_SDP_SETUP_HOLDCONN,
} lkc_sdp_setup_t;

/* An attribute the model has no field for, kept verbatim: a=<name>[:<value>].
 * value is NULL for a property attribute (no colon), "" for "a=name:". */
typedef struct lkc_sdp_attr {
    char *name;
    char *value;
} lkc_sdp_attr_t;

/* A non-attribute line kept verbatim (i=, u=, e=, p=, c=, b=, k=, r=, z=, extra t=). */
typedef struct lkc_sdp_line {
    char type;
    char *value;
} lkc_sdp_line_t;

/* a=fingerprint:<algorithm> <value>; both NULL when absent. */
typedef struct lkc_sdp_fingerprint {
    char *algorithm; /* e.g. "sha-256" */
    char *value;     /* e.g. "AB:CD:..." */
} lkc_sdp_fingerprint_t;

typedef struct lkc_sdp_rtpmap {
    int pt;            /* 0..127 */
    char *encoding;    /* e.g. "opus", as written */
    uint32_t clock;    /* Hz, > 0 */
    uint32_t channels; /* 0 when the rtpmap has no channel count */
} lkc_sdp_rtpmap_t;

typedef struct lkc_sdp_fmtp {
    int pt;
    char *params; /* e.g. "minptime=10;useinbandfec=1"; may be "" */
} lkc_sdp_fmtp_t;

typedef struct lkc_sdp_rtcpfb {
    int pt;      /* -1 for "*" */
    char *value; /* e.g. "nack", "nack pli", "transport-cc" */
} lkc_sdp_rtcpfb_t;

typedef struct lkc_sdp_extmap {
    uint16_t id;
    bool has_direction;
    lkc_sdp_dir_t direction;
    char *uri;
    char *params; /* extension attributes after the URI, or NULL */
} lkc_sdp_extmap_t;

/* a=ssrc:<ssrc> <attr>[:<value>], e.g. cname, msid, mslabel, label. */
typedef struct lkc_sdp_ssrc {
    uint32_t ssrc;
    char *attr;
    char *value; /* NULL when the line has no ":value" */
} lkc_sdp_ssrc_t;

typedef struct lkc_sdp_ssrc_group {
    char *semantics; /* e.g. "FID", "SIM" */
    uint32_t *ssrcs;
    size_t n_ssrcs;
} lkc_sdp_ssrc_group_t;

/* a=msid:<stream> [<track>] */
typedef struct lkc_sdp_msid {
    char *stream;
    char *track; /* NULL when absent */
} lkc_sdp_msid_t;

typedef struct lkc_sdp_media {
    char *kind;          /* "audio", "video", "application" or any other token */
    uint16_t port;       /* 0 = rejected / bundle-only */
    uint16_t port_count; /* the "/n" after the port, 0 when absent */
    char *proto;         /* e.g. "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP" */
    char **fmts;         /* payload types as text (RTP), or e.g. "webrtc-datachannel" */
    size_t n_fmts;
    char *conn;          /* c= value, e.g. "IN IP4 0.0.0.0"; NULL when absent */
    lkc_sdp_line_t *lines; /* i=, b=, k= lines of this section, in order */
    size_t n_lines;

    char *mid;
    char *ice_ufrag, *ice_pwd, *ice_options;
    lkc_sdp_fingerprint_t fingerprint;
    lkc_sdp_setup_t setup;
    lkc_sdp_dir_t direction;
    bool rtcp_mux, rtcp_rsize;
    lkc_sdp_rtpmap_t *rtpmaps;
    size_t n_rtpmaps;
    lkc_sdp_fmtp_t *fmtps;
    size_t n_fmtps;
    lkc_sdp_rtcpfb_t *rtcpfbs;
    size_t n_rtcpfbs;
    lkc_sdp_extmap_t *extmaps;
    size_t n_extmaps;
    lkc_sdp_ssrc_t *ssrcs;
    size_t n_ssrcs;
    lkc_sdp_ssrc_group_t *ssrc_groups;
    size_t n_ssrc_groups;
    lkc_sdp_msid_t *msids;
    size_t n_msids;
    uint16_t sctp_port; /* 0 when absent */
    bool has_max_message_size;
    uint64_t max_message_size; /* 0 means "no limit" (RFC 8841) */
    char **candidates;         /* "candidate:..." (the attribute without "a=") */
    size_t n_candidates;
    bool end_of_candidates;
    lkc_sdp_attr_t *attrs; /* unknown attributes, in order */
    size_t n_attrs;
} lkc_sdp_media_t;

typedef struct lkc_sdp_origin {
    char *username; /* usually "-" */
    uint64_t sess_id;
    uint64_t sess_version;
    char *nettype, *addrtype, *address; /* "IN", "IP4", "127.0.0.1" */
} lkc_sdp_origin_t;

typedef struct lkc_sdp {
    lkc_sdp_origin_t origin;
    char *name;   /* s= */
    char *timing; /* t= value, usually "0 0" */
    lkc_sdp_line_t *lines; /* other session lines, in order */
    size_t n_lines;

    char **bundle; /* a=group:BUNDLE mids; n_bundle 0 = no BUNDLE group */
    size_t n_bundle;
    char *ice_ufrag, *ice_pwd, *ice_options;
    bool ice_lite;
    lkc_sdp_fingerprint_t fingerprint;
    lkc_sdp_setup_t setup;
    bool extmap_allow_mixed;
    char *msid_semantic; /* the value after "a=msid-semantic:", verbatim, or NULL */
    lkc_sdp_attr_t *attrs; /* unknown session attributes, in order */
    size_t n_attrs;

    lkc_sdp_media_t **media;
    size_t n_media;
} lkc_sdp_t;

/* ---- parse and write (sdp_parse.c, sdp_write.c) ------------------------------------ */

/* Parses `len` bytes of SDP (CRLF or LF line ends; need not be NUL-terminated). On
 * success *out is a new session the caller frees. On malformed input returns
 * LKC_ERR_PROTOCOL (LKC_ERR_TOO_LARGE over LKC_SDP_MAX_INPUT), leaves *out NULL and
 * writes "line N: why" into err (if err && errlen); never echoes secrets. */
int lkc_sdp_parse(const char *text, size_t len, lkc_sdp_t **out, char *err, size_t errlen);

/* Writes the session as SDP text with CRLF line ends, in the line order pion expects
 * (see sdp_write.c). Returns a malloc'd string the caller free()s, or NULL when out
 * of memory or when the model cannot be written (missing kind/proto/formats, a
 * value containing CR/LF, a space inside a token field, an out-of-range number). */
char *lkc_sdp_write(const lkc_sdp_t *s);
/* Contract (tests/fuzz/fuzz_sdp.c checks it): for every text the parser accepts,
 * writing succeeds and parsing the written text gives an lkc_sdp_equal() model,
 * unless CRLF line ends and the added a=sendrecv lines grow it over the input cap. */

/* ---- lifetime, copy, equality (sdp.c) ---------------------------------------------- */

/* A new, empty session: o=- <random id> 1 IN IP4 127.0.0.1, s=-, t=0 0, no media.
 * NULL when out of memory. */
lkc_sdp_t *lkc_sdp_new(void);
/* Frees the session and everything it owns. NULL is fine. */
void lkc_sdp_free(lkc_sdp_t *s);
/* A deep copy (lkc_sdp_equal(copy, s) holds), or NULL when out of memory or when a
 * field written directly holds a value the builders would refuse. */
lkc_sdp_t *lkc_sdp_copy(const lkc_sdp_t *s);
/* Structural equality of two sessions. rtpmap, fmtp and rtcp-fb entries compare as
 * multisets (the writer regroups them per payload type); every other list in order. */
bool lkc_sdp_equal(const lkc_sdp_t *a, const lkc_sdp_t *b);

/* ---- builders (sdp_build.c); each returns 0 or LKC_ERR_NO_MEMORY / LKC_ERR_INVALID_ARG ---- */

/* Replaces *field with a copy of value (NULL clears it). Like every builder, refuses
 * (LKC_ERR_INVALID_ARG) strings with control characters other than tab. */
int lkc_sdp_set_str(char **field, const char *value);
int lkc_sdp_set_fingerprint(lkc_sdp_fingerprint_t *fp, const char *algorithm, const char *value);
int lkc_sdp_add_bundle_mid(lkc_sdp_t *s, const char *mid);
/* Unknown attribute (value NULL for a property attribute), appended. */
int lkc_sdp_add_attr(lkc_sdp_t *s, const char *name, const char *value);
/* A verbatim non-attribute line (see lkc_sdp_line_t), appended. */
int lkc_sdp_add_line(lkc_sdp_t *s, char type, const char *value);

/* Appends a media section with c=IN IP4 0.0.0.0 and direction sendrecv. The section
 * is owned by s. NULL when out of memory or kind/proto is NULL. */
lkc_sdp_media_t *lkc_sdp_add_media(lkc_sdp_t *s, const char *kind, uint16_t port, const char *proto);
int lkc_sdp_media_add_format(lkc_sdp_media_t *m, const char *fmt);
int lkc_sdp_media_add_rtpmap(lkc_sdp_media_t *m, int pt, const char *encoding, uint32_t clock,
                             uint32_t channels);
int lkc_sdp_media_add_fmtp(lkc_sdp_media_t *m, int pt, const char *params);
int lkc_sdp_media_add_rtcpfb(lkc_sdp_media_t *m, int pt, const char *value);
/* direction < 0: none. params may be NULL. */
int lkc_sdp_media_add_extmap(lkc_sdp_media_t *m, uint16_t id, int direction, const char *uri,
                             const char *params);
int lkc_sdp_media_add_ssrc(lkc_sdp_media_t *m, uint32_t ssrc, const char *attr, const char *value);
int lkc_sdp_media_add_ssrc_group(lkc_sdp_media_t *m, const char *semantics, const uint32_t *ssrcs,
                                 size_t n);
int lkc_sdp_media_add_msid(lkc_sdp_media_t *m, const char *stream, const char *track);
/* `candidate` with or without the "candidate:" prefix (it is stored with it). */
int lkc_sdp_media_add_candidate(lkc_sdp_media_t *m, const char *candidate);
int lkc_sdp_media_add_attr(lkc_sdp_media_t *m, const char *name, const char *value);
int lkc_sdp_media_add_line(lkc_sdp_media_t *m, char type, const char *value);

/* ---- lookups (sdp.c); the returned pointers are borrowed from s / m ------------------ */

/* The section whose a=mid equals mid, or NULL. */
lkc_sdp_media_t *lkc_sdp_find_mid(const lkc_sdp_t *s, const char *mid);
/* The first rtpmap whose encoding matches case-insensitively; clock 0 and channels 0
 * match any; an rtpmap without a channel count counts as 1 channel. NULL if none. */
const lkc_sdp_rtpmap_t *lkc_sdp_find_rtpmap(const lkc_sdp_media_t *m, const char *encoding,
                                            uint32_t clock, uint32_t channels);
/* The fmtp parameters for pt, or NULL. */
const char *lkc_sdp_find_fmtp(const lkc_sdp_media_t *m, int pt);
/* The value of the first unknown attribute `name` of m (m NULL: of the session part
 * of s), or NULL; a property attribute yields "". */
const char *lkc_sdp_find_attr(const lkc_sdp_t *s, const lkc_sdp_media_t *m, const char *name);
/* Effective transport values of a section: its own line, else the session-level one.
 * m may be NULL (session level only). NULL / LKC_SDP_SETUP_NONE when neither has it.
 * With BUNDLE, callers pass the BUNDLE master's section. */
const char *lkc_sdp_ice_ufrag(const lkc_sdp_t *s, const lkc_sdp_media_t *m);
const char *lkc_sdp_ice_pwd(const lkc_sdp_t *s, const lkc_sdp_media_t *m);
const lkc_sdp_fingerprint_t *lkc_sdp_fingerprint(const lkc_sdp_t *s, const lkc_sdp_media_t *m);
lkc_sdp_setup_t lkc_sdp_setup(const lkc_sdp_t *s, const lkc_sdp_media_t *m);
/* The first mid of the BUNDLE group (NULL without one), and its section: the one
 * whose ICE/DTLS parameters and candidates the bundled transport uses. Without a
 * group, the section is the first m= section. NULL when there is none. */
const char *lkc_sdp_bundle_mid(const lkc_sdp_t *s);
lkc_sdp_media_t *lkc_sdp_bundle_master(const lkc_sdp_t *s);
/* True when the section's proto carries RTP (its formats are payload types). */
bool lkc_sdp_media_is_rtp(const lkc_sdp_media_t *m);

/* "sendrecv", "sendonly", "recvonly", "inactive"; "actpass", "active", "passive",
 * "holdconn" (NULL for NONE); text to value, -1 when unknown. */
const char *lkc_sdp_dir_str(lkc_sdp_dir_t d);
int lkc_sdp_dir_parse(const char *s);
const char *lkc_sdp_setup_str(lkc_sdp_setup_t v);
int lkc_sdp_setup_parse(const char *s);

#endif
