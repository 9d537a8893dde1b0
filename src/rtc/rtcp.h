/* RTCP packet formats (RFC 3550 SR/RR/SDES/BYE, RFC 4585 generic NACK and PLI,
 * RFC 5506 reduced-size), NTP time helpers and per-source receiver statistics
 * (RFC 3550 appendix A.1, A.3, A.8).
 *
 * Pure functions, no I/O, no allocation: any thread. Parsed items borrow the bytes
 * they were parsed from. A lkc_rtcp_rx_stats_t belongs to one thread. */
#ifndef LKC_RTC_RTCP_H
#define LKC_RTC_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Packet types. */
#define LKC_RTCP_PT_SR 200
#define LKC_RTCP_PT_RR 201
#define LKC_RTCP_PT_SDES 202
#define LKC_RTCP_PT_BYE 203
#define LKC_RTCP_PT_APP 204
#define LKC_RTCP_PT_RTPFB 205 /* transport-layer feedback; FMT 1 = generic NACK */
#define LKC_RTCP_PT_PSFB 206  /* payload-specific feedback; FMT 1 = PLI, 15 = REMB/AFB */
#define LKC_RTCP_PT_XR 207

#define LKC_RTCP_MAX_RB 31 /* report blocks in one SR or RR (5-bit count) */
#define LKC_RTCP_RB_LEN 24

/* One report block. cumulative_lost is 24-bit signed on the wire: builders clamp
 * it to -0x800000..0x7fffff. */
typedef struct lkc_rtcp_report_block {
    uint32_t ssrc;            /* the source reported on */
    uint8_t fraction_lost;    /* since the previous report, in 1/256 */
    int32_t cumulative_lost;  /* expected - received since the start */
    uint32_t ext_highest_seq; /* cycles << 16 | highest sequence number */
    uint32_t jitter;          /* interarrival jitter, in timestamp units */
    uint32_t lsr;             /* middle 32 bits of the last SR's NTP time, 0: none */
    uint32_t dlsr;            /* delay since that SR, in 1/65536 s */
} lkc_rtcp_report_block_t;

typedef struct lkc_rtcp_sender_info {
    uint64_t ntp; /* NTP time, 32.32 fixed point (lkc_rtcp_ntp_from_unix_us) */
    uint32_t rtp_ts;
    uint32_t packet_count;
    uint32_t octet_count;
} lkc_rtcp_sender_info_t;

typedef enum lkc_rtcp_kind {
    LKC_RTCP_ITEM_SR = 1,
    LKC_RTCP_ITEM_RR,
    LKC_RTCP_ITEM_SDES,
    LKC_RTCP_ITEM_BYE,
    LKC_RTCP_ITEM_NACK,    /* RTPFB FMT 1 */
    LKC_RTCP_ITEM_PLI,     /* PSFB FMT 1 */
    LKC_RTCP_ITEM_UNKNOWN, /* framed correctly, not interpreted: APP, XR, REMB, FIR, ... */
} lkc_rtcp_kind_t;

/* One packet of a compound. Pointers borrow the parsed buffer. Fields not listed
 * for a kind are zero/NULL. */
typedef struct lkc_rtcp_item {
    lkc_rtcp_kind_t kind;
    uint8_t pt;
    uint8_t fmt; /* the 5-bit count / FMT field of the header */
    /* SR, RR, feedback, APP, XR: the sender's SSRC. SDES: the SSRC of the chunk
     * holding `cname`, else of the first chunk. BYE: the first SSRC. */
    uint32_t ssrc;
    const uint8_t *raw; /* the whole packet, header included, padding excluded */
    size_t raw_len;
    /* SR */
    lkc_rtcp_sender_info_t sender;
    /* SR, RR: read with lkc_rtcp_item_report_block() */
    uint8_t rb_count;
    const uint8_t *rb;
    /* NACK, PLI, other feedback (RTPFB/PSFB) */
    uint32_t media_ssrc;
    const uint8_t *fci;
    size_t fci_len;
    size_t nack_count; /* NACK: how many sequence numbers lkc_rtcp_nack_lost yields */
    /* SDES: the first CNAME (not NUL-terminated) */
    const char *cname;
    size_t cname_len;
    uint8_t sdes_chunks;
    /* BYE: read SSRCs with lkc_rtcp_bye_ssrc(); reason not NUL-terminated */
    uint8_t bye_count;
    const char *reason;
    size_t reason_len;
} lkc_rtcp_item_t;

/* Parses a compound (or reduced-size, RFC 5506) RTCP packet into items[0..max).
 * The whole input is validated; packets past max_items are validated but not
 * stored. Returns how many items were stored, or LKC_ERR_INVALID_ARG (NULL) /
 * LKC_ERR_PROTOCOL (any packet malformed: version, length, padding, counts, SDES
 * items, NACK without FCI, packet type outside 192..223). */
int lkc_rtcp_parse(const uint8_t *buf, size_t len, lkc_rtcp_item_t *items, size_t max_items);

/* Report block i of an SR/RR item. Returns 0 or LKC_ERR_INVALID_ARG. */
int lkc_rtcp_item_report_block(const lkc_rtcp_item_t *it, unsigned i, lkc_rtcp_report_block_t *out);

/* The lost sequence numbers of a NACK item, expanded from PID/BLP in wire order,
 * written to out[0..cap). Returns how many were written (min(cap, nack_count)). */
size_t lkc_rtcp_nack_lost(const lkc_rtcp_item_t *it, uint16_t *out, size_t cap);

/* SSRC i of a BYE item (0 when out of range). */
uint32_t lkc_rtcp_bye_ssrc(const lkc_rtcp_item_t *it, unsigned i);

/* ---- builders: each writes into buf[0..cap) and returns the length written, or
 * LKC_ERR_INVALID_ARG (NULL, counts out of range) / LKC_ERR_TOO_LARGE (cap). ---- */

/* SR with 0..31 report blocks. */
int lkc_rtcp_build_sr(uint8_t *buf, size_t cap, uint32_t ssrc, const lkc_rtcp_sender_info_t *si,
                      const lkc_rtcp_report_block_t *rb, size_t rb_count);
/* RR with 0..31 report blocks. */
int lkc_rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc, const lkc_rtcp_report_block_t *rb,
                      size_t rb_count);
/* SDES with one chunk holding a CNAME of 1..255 bytes. */
int lkc_rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname);
/* BYE for 1..31 SSRCs, with an optional reason (NULL or up to 255 bytes). */
int lkc_rtcp_build_bye(uint8_t *buf, size_t cap, const uint32_t *ssrcs, size_t count,
                       const char *reason);
/* Generic NACK for `count` (>= 1) lost sequence numbers; packs PID/BLP pairs,
 * tightest when `lost` is in ascending (wrap-aware) order. */
int lkc_rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        const uint16_t *lost, size_t count);
/* Picture Loss Indication. */
int lkc_rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);

/* A compound: SR (sender != NULL) or RR first, holding the first 31 report blocks
 * (more follow in extra RRs), then SDES CNAME (omitted when cname is NULL or "",
 * which makes a reduced-size packet), then optionally a BYE. */
typedef struct lkc_rtcp_compound {
    uint32_t ssrc;
    const lkc_rtcp_sender_info_t *sender;
    const lkc_rtcp_report_block_t *rb;
    size_t rb_count;
    const char *cname;
    bool bye;
} lkc_rtcp_compound_t;

int lkc_rtcp_build_compound(uint8_t *buf, size_t cap, const lkc_rtcp_compound_t *c);

/* ---- NTP time (RFC 5905 64-bit: seconds since 1900 . 32-bit fraction) ------ */

uint64_t lkc_rtcp_ntp_from_unix_us(int64_t unix_us);
int64_t lkc_rtcp_ntp_to_unix_us(uint64_t ntp);
/* The middle 32 bits, as carried in LSR. */
static inline uint32_t lkc_rtcp_ntp_mid32(uint64_t ntp)
{
    return (uint32_t)(ntp >> 16);
}
/* A time in microseconds converted to clock-rate units, modulo 2^32 (for the
 * arrival argument of lkc_rtcp_rx_stats_update). */
uint32_t lkc_rtcp_us_to_clock(int64_t us, uint32_t clock_rate);

/* ---- receiver statistics for one remote source ------------------------------ */

typedef struct lkc_rtcp_rx_stats {
    uint32_t ssrc;
    uint32_t clock_rate;
    bool started;
    uint16_t max_seq;
    uint32_t cycles;   /* shifted count of wraps (multiples of 65536) */
    uint32_t base_seq; /* first sequence number of the counting period */
    uint32_t bad_seq;  /* a large jump waits for its successor here (A.1) */
    uint32_t received;
    uint32_t expected_prior;
    uint32_t received_prior;
    bool have_transit;
    uint32_t transit;    /* arrival - rtp timestamp of the previous packet */
    uint64_t jitter_q4;  /* interarrival jitter * 16 (A.8 integer form) */
    bool have_sr;
    uint32_t last_sr;    /* middle 32 bits of the last SR's NTP time */
    int64_t last_sr_us;  /* when it arrived (caller's clock, us) */
} lkc_rtcp_rx_stats_t;

/* Starts the statistics for a source; clock_rate is in Hz (e.g. 48000). */
void lkc_rtcp_rx_stats_init(lkc_rtcp_rx_stats_t *s, uint32_t ssrc, uint32_t clock_rate);

/* Feeds one received packet, in arrival order: its sequence number, RTP timestamp
 * and arrival time in clock-rate units (lkc_rtcp_us_to_clock). Returns false when
 * the packet was set aside as a sequence jump awaiting confirmation (A.1): a second
 * packet in sequence after a jump restarts the counts. */
bool lkc_rtcp_rx_stats_update(lkc_rtcp_rx_stats_t *s, uint16_t seq, uint32_t rtp_ts,
                              uint32_t arrival);

/* Records an SR from this source (its NTP time) and when it arrived, for LSR/DLSR. */
void lkc_rtcp_rx_stats_on_sr(lkc_rtcp_rx_stats_t *s, uint64_t ntp, int64_t arrival_us);

/* Cumulative figures since the start (or restart). */
uint32_t lkc_rtcp_rx_stats_ext_highest(const lkc_rtcp_rx_stats_t *s);
int64_t lkc_rtcp_rx_stats_expected(const lkc_rtcp_rx_stats_t *s);
int64_t lkc_rtcp_rx_stats_lost(const lkc_rtcp_rx_stats_t *s);
uint32_t lkc_rtcp_rx_stats_jitter(const lkc_rtcp_rx_stats_t *s); /* timestamp units */

/* Fills a report block at time now_us (same clock as on_sr's arrival_us) and
 * starts the next interval for fraction_lost: call once per report sent. */
void lkc_rtcp_rx_stats_report(lkc_rtcp_rx_stats_t *s, int64_t now_us, lkc_rtcp_report_block_t *out);

#endif
