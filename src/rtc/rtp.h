/* RTP packet format (RFC 3550) with header extensions (RFC 8285, one-byte and
 * two-byte forms), the audio-level extension (RFC 6464), rtcp-mux demultiplexing
 * (RFC 5761) and sequence-number arithmetic.
 *
 * Pure functions, no I/O, no allocation: callable from any thread. A parsed view
 * borrows the bytes it was parsed from; keep them alive while the view is used. */
#ifndef LKC_RTC_RTP_H
#define LKC_RTC_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LKC_RTP_HEADER_LEN 12
#define LKC_RTP_VERSION 2
#define LKC_RTP_MAX_CSRC 15
/* Extensions listed per parsed packet; further ones are skipped (ext_skipped). */
#define LKC_RTP_MAX_EXT 16

#define LKC_RTP_EXT_PROFILE_ONE_BYTE 0xBEDE
#define LKC_RTP_EXT_PROFILE_TWO_BYTE 0x1000 /* 0x100X: the low 4 bits are app bits */

/* The audio level (-dBov) that means "silence" (RFC 6464: 127 = -127 dBov or less). */
#define LKC_RTP_AUDIO_LEVEL_SILENT 127

/* One header extension element. `data` points into the packet (parse) or at the
 * caller's bytes (build). One-byte form: id 1..14, len 1..16. Two-byte form: id
 * 1..255, len 0..255. */
typedef struct lkc_rtp_ext {
    uint8_t id;
    uint8_t len;
    const uint8_t *data;
} lkc_rtp_ext_t;

/* A parsed packet: a view into the caller's buffer. */
typedef struct lkc_rtp_packet {
    uint8_t version;
    bool padding;   /* the P bit */
    bool extension; /* the X bit */
    bool marker;
    uint8_t pt;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    uint8_t csrc_count;
    uint32_t csrc[LKC_RTP_MAX_CSRC];
    /* Extension block (X bit): its profile and raw body (after the 4-byte block
     * header). Elements are listed only for the one-byte and two-byte profiles. */
    uint16_t ext_profile;
    const uint8_t *ext_block;
    size_t ext_block_len;
    uint8_t ext_count;
    uint8_t ext_skipped; /* elements past LKC_RTP_MAX_EXT, not listed */
    lkc_rtp_ext_t ext[LKC_RTP_MAX_EXT];
    size_t header_len; /* fixed header + CSRCs + extension block */
    const uint8_t *payload;
    size_t payload_len; /* padding removed */
    uint8_t padding_len; /* padding bytes removed, including the count byte */
} lkc_rtp_packet_t;

/* What to build. `csrc` and `ext` are borrowed for the call. Extensions use the
 * one-byte form when every element fits it, else the two-byte form. padding_len: 0
 * for none, or 1..255 bytes of padding (the last one holds the count). */
typedef struct lkc_rtp_header {
    uint8_t pt; /* 0..127 */
    bool marker;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    const uint32_t *csrc;
    size_t csrc_count; /* 0..15 */
    const lkc_rtp_ext_t *ext;
    size_t ext_count;
    uint8_t padding_len;
} lkc_rtp_header_t;

/* Parses `len` bytes at `buf` into *out (which then borrows buf). Returns 0, or
 * LKC_ERR_INVALID_ARG (NULL), LKC_ERR_PROTOCOL (not version 2, truncated, lengths
 * or padding out of bounds, malformed extension elements). *out is unspecified on
 * failure. */
int lkc_rtp_parse(const uint8_t *buf, size_t len, lkc_rtp_packet_t *out);

/* The listed extension with this id, or NULL. Borrowed from `p`. */
const lkc_rtp_ext_t *lkc_rtp_find_ext(const lkc_rtp_packet_t *p, uint8_t id);

/* Writes header + extensions + payload (+ padding) into buf[0..cap). Returns the
 * packet length, LKC_ERR_INVALID_ARG (pt > 127, > 15 CSRCs, extension id 0 or too
 * long, NULL with a nonzero length) or LKC_ERR_TOO_LARGE (cap too small: buf holds
 * garbage then). */
int lkc_rtp_build(const lkc_rtp_header_t *h, const uint8_t *payload, size_t payload_len,
                  uint8_t *buf, size_t cap);

/* Bytes of header (+ extensions) lkc_rtp_build would write for `h`, or a negative
 * error as lkc_rtp_build. Lets callers size a buffer or encode the payload in place. */
int lkc_rtp_header_size(const lkc_rtp_header_t *h);

/* RFC 5761 demux on a packet of an rtcp-mux flow: true when byte 1 & 0x7f is in
 * 64..95 (RTCP packet types 192..223), i.e. the packet is RTCP, not RTP. */
bool lkc_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* RFC 6464 audio level: the extension's one data byte from a voice-activity flag
 * and a level in -dBov (clamped to 0..127). */
uint8_t lkc_rtp_audio_level_byte(bool voice, int level_dbov);

/* Reads an audio-level extension (`len` >= 1). Returns 0 or LKC_ERR_PROTOCOL
 * (empty) / LKC_ERR_INVALID_ARG (NULL). Either out pointer may be NULL. */
int lkc_rtp_audio_level_parse(const uint8_t *data, size_t len, bool *voice, uint8_t *level_dbov);

/* Level of n samples of int16 PCM in -dBov (RFC 6464): the RMS relative to the
 * RMS of a full-scale square wave, rounded, clamped to 0..127. Silence or n == 0
 * gives 127; a full-scale sine gives 3. */
uint8_t lkc_rtp_audio_level_dbov(const int16_t *pcm, size_t n);

/* ---- sequence-number and timestamp arithmetic (16/32-bit wrap safe) ---------- */

/* Signed distance from a to b (b - a) in -32768..32767. */
static inline int32_t lkc_rtp_seq_diff(uint16_t a, uint16_t b)
{
    int32_t d = (int32_t)(uint16_t)(b - a);
    return d >= 0x8000 ? d - 0x10000 : d;
}

/* True when a is newer (later) than b, modulo 2^16. */
static inline bool lkc_rtp_seq_newer(uint16_t a, uint16_t b)
{
    return lkc_rtp_seq_diff(b, a) > 0;
}

/* Signed distance from timestamp a to b (b - a), modulo 2^32. */
static inline int64_t lkc_rtp_ts_diff(uint32_t a, uint32_t b)
{
    int64_t d = (int64_t)(uint32_t)(b - a);
    return d >= 0x80000000LL ? d - 0x100000000LL : d;
}

/* The extended (64-bit) value of `seq` nearest to the extended reference `ref`. */
static inline int64_t lkc_rtp_seq_unwrap(int64_t ref, uint16_t seq)
{
    return ref + lkc_rtp_seq_diff((uint16_t)ref, seq);
}

/* The extended (64-bit) value of timestamp `ts` nearest to `ref`. */
static inline int64_t lkc_rtp_ts_unwrap(int64_t ref, uint32_t ts)
{
    return ref + lkc_rtp_ts_diff((uint32_t)ref, ts);
}

/* Rollover counting for one stream: feed every received sequence number in arrival
 * order. Zero-initialise before use. Owned by one thread. */
typedef struct lkc_rtp_seq_extender {
    bool started;
    int64_t highest; /* extended highest sequence number seen */
} lkc_rtp_seq_extender_t;

/* Returns the extended sequence number of `seq` (cycles * 65536 + seq; the first
 * packet is in cycle 0, so a packet reordered from before a wrap just ahead of the
 * first one may be negative) and advances the highest one seen. Truncate to
 * uint32_t for RTCP's "extended highest sequence number". */
int64_t lkc_rtp_seq_extend(lkc_rtp_seq_extender_t *e, uint16_t seq);

#endif
