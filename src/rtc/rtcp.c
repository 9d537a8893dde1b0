/* RTCP: compound parsing, builders, NTP time, receiver statistics. */
#include "rtc/rtcp.h"

#include <limits.h>
#include <string.h>

#include "base/bytes.h"
#include "lkc/error.h"

#define NTP_UNIX_OFFSET 2208988800LL /* seconds from 1900 to 1970 */
#define US_PER_S 1000000LL

/* RFC 3550 A.1 thresholds, in packets. */
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define SEQ_MOD 65536u


static inline size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* ---- parsing ------------------------------------------------------------------ */

static int parse_sdes(const uint8_t *body, size_t blen, unsigned chunks, lkc_rtcp_item_t *it)
{
    size_t i = 0;
    for (unsigned c = 0; c < chunks; c++) {
        if (blen - i < 4)
            return LKC_ERR_PROTOCOL;
        uint32_t ssrc = lkc_rd32(body + i);
        if (c == 0)
            it->ssrc = ssrc;
        i += 4;
        for (;;) {
            if (i >= blen) /* the item list must end with a null octet */
                return LKC_ERR_PROTOCOL;
            uint8_t type = body[i];
            if (type == 0) {
                /* The null, then padding to the next 32-bit boundary. */
                i = pad4(i + 1);
                if (i > blen)
                    return LKC_ERR_PROTOCOL;
                break;
            }
            if (blen - i < 2)
                return LKC_ERR_PROTOCOL;
            size_t l = body[i + 1];
            if (blen - i - 2 < l)
                return LKC_ERR_PROTOCOL;
            if (type == 1 && !it->cname) {
                it->cname = (const char *)body + i + 2;
                it->cname_len = l;
                it->ssrc = ssrc;
            }
            i += 2 + l;
        }
    }
    it->sdes_chunks = (uint8_t)chunks;
    return LKC_OK;
}

static size_t nack_count(const uint8_t *fci, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i + 4 <= len; i += 4)
        n += 1 + (size_t)__builtin_popcount(lkc_rd16(fci + i + 2));
    return n;
}

/* One packet: p[0..n) with padding already excluded from n. */
static int parse_packet(const uint8_t *p, size_t n, lkc_rtcp_item_t *it)
{
    memset(it, 0, sizeof *it);
    it->pt = p[1];
    it->fmt = p[0] & 0x1f;
    it->raw = p;
    it->raw_len = n;
    if (it->pt < 192 || it->pt > 223)
        return LKC_ERR_PROTOCOL;
    const uint8_t *body = p + 4;
    size_t blen = n - 4;
    unsigned count = it->fmt;

    switch (it->pt) {
    case LKC_RTCP_PT_SR:
        if (blen < 24 + LKC_RTCP_RB_LEN * (size_t)count)
            return LKC_ERR_PROTOCOL;
        it->kind = LKC_RTCP_ITEM_SR;
        it->ssrc = lkc_rd32(body);
        it->sender.ntp = (uint64_t)lkc_rd32(body + 4) << 32 | lkc_rd32(body + 8);
        it->sender.rtp_ts = lkc_rd32(body + 12);
        it->sender.packet_count = lkc_rd32(body + 16);
        it->sender.octet_count = lkc_rd32(body + 20);
        it->rb_count = (uint8_t)count;
        it->rb = body + 24;
        return LKC_OK;
    case LKC_RTCP_PT_RR:
        if (blen < 4 + LKC_RTCP_RB_LEN * (size_t)count)
            return LKC_ERR_PROTOCOL;
        it->kind = LKC_RTCP_ITEM_RR;
        it->ssrc = lkc_rd32(body);
        it->rb_count = (uint8_t)count;
        it->rb = body + 4;
        return LKC_OK;
    case LKC_RTCP_PT_SDES:
        it->kind = LKC_RTCP_ITEM_SDES;
        return parse_sdes(body, blen, count, it);
    case LKC_RTCP_PT_BYE: {
        size_t ids = 4 * (size_t)count;
        if (blen < ids)
            return LKC_ERR_PROTOCOL;
        it->kind = LKC_RTCP_ITEM_BYE;
        it->bye_count = (uint8_t)count;
        if (count)
            it->ssrc = lkc_rd32(body);
        if (blen > ids) {
            size_t rl = body[ids];
            if (blen - ids - 1 < rl)
                return LKC_ERR_PROTOCOL;
            it->reason = (const char *)body + ids + 1;
            it->reason_len = rl;
        }
        return LKC_OK;
    }
    case LKC_RTCP_PT_RTPFB:
    case LKC_RTCP_PT_PSFB:
        if (blen < 8)
            return LKC_ERR_PROTOCOL;
        it->ssrc = lkc_rd32(body);
        it->media_ssrc = lkc_rd32(body + 4);
        it->fci = body + 8;
        it->fci_len = blen - 8;
        it->kind = LKC_RTCP_ITEM_UNKNOWN;
        if (it->pt == LKC_RTCP_PT_RTPFB && it->fmt == 1) {
            /* Generic NACK: one or more 4-byte PID/BLP pairs. */
            if (it->fci_len == 0 || it->fci_len % 4)
                return LKC_ERR_PROTOCOL;
            it->kind = LKC_RTCP_ITEM_NACK;
            it->nack_count = nack_count(it->fci, it->fci_len);
        } else if (it->pt == LKC_RTCP_PT_PSFB && it->fmt == 1) {
            it->kind = LKC_RTCP_ITEM_PLI;
        }
        return LKC_OK;
    case LKC_RTCP_PT_APP:
        if (blen < 8) /* SSRC and a 4-character name */
            return LKC_ERR_PROTOCOL;
        it->kind = LKC_RTCP_ITEM_UNKNOWN;
        it->ssrc = lkc_rd32(body);
        return LKC_OK;
    default:
        it->kind = LKC_RTCP_ITEM_UNKNOWN;
        if (blen >= 4)
            it->ssrc = lkc_rd32(body);
        return LKC_OK;
    }
}

int lkc_rtcp_parse(const uint8_t *buf, size_t len, lkc_rtcp_item_t *items, size_t max_items)
{
    if (!buf || (max_items && !items))
        return LKC_ERR_INVALID_ARG;
    /* Every RTCP packet is a whole number of 32-bit words. */
    if (len < 4 || len % 4 || len > INT_MAX)
        return LKC_ERR_PROTOCOL;
    size_t off = 0;
    size_t stored = 0;
    while (off < len) {
        const uint8_t *p = buf + off;
        if ((p[0] >> 6) != 2)
            return LKC_ERR_PROTOCOL;
        size_t plen = ((size_t)lkc_rd16(p + 2) + 1) * 4;
        if (plen > len - off)
            return LKC_ERR_PROTOCOL;
        size_t n = plen;
        if (p[0] & 0x20) {
            uint8_t pad = p[plen - 1];
            if (pad == 0 || pad > plen - 4)
                return LKC_ERR_PROTOCOL;
            n -= pad;
        }
        lkc_rtcp_item_t scratch;
        lkc_rtcp_item_t *it = stored < max_items ? &items[stored] : &scratch;
        int rc = parse_packet(p, n, it);
        if (rc)
            return rc;
        if (it != &scratch)
            stored++;
        off += plen;
    }
    return (int)stored;
}

int lkc_rtcp_item_report_block(const lkc_rtcp_item_t *it, unsigned i, lkc_rtcp_report_block_t *out)
{
    if (!it || !out || !it->rb || i >= it->rb_count)
        return LKC_ERR_INVALID_ARG;
    const uint8_t *b = it->rb + (size_t)i * LKC_RTCP_RB_LEN;
    out->ssrc = lkc_rd32(b);
    out->fraction_lost = b[4];
    uint32_t lost = (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
    out->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
    out->ext_highest_seq = lkc_rd32(b + 8);
    out->jitter = lkc_rd32(b + 12);
    out->lsr = lkc_rd32(b + 16);
    out->dlsr = lkc_rd32(b + 20);
    return LKC_OK;
}

size_t lkc_rtcp_nack_lost(const lkc_rtcp_item_t *it, uint16_t *out, size_t cap)
{
    if (!it || it->kind != LKC_RTCP_ITEM_NACK || !out)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i + 4 <= it->fci_len; i += 4) {
        uint16_t pid = lkc_rd16(it->fci + i);
        uint16_t blp = lkc_rd16(it->fci + i + 2);
        if (n == cap)
            return n;
        out[n++] = pid;
        for (unsigned b = 0; b < 16; b++) {
            if (!(blp & (1u << b)))
                continue;
            if (n == cap)
                return n;
            out[n++] = (uint16_t)(pid + b + 1);
        }
    }
    return n;
}

uint32_t lkc_rtcp_bye_ssrc(const lkc_rtcp_item_t *it, unsigned i)
{
    if (!it || it->kind != LKC_RTCP_ITEM_BYE || i >= it->bye_count)
        return 0;
    return lkc_rd32(it->raw + 4 + 4 * (size_t)i);
}

/* ---- building ----------------------------------------------------------------- */

/* Common header; `len` is the packet's total length in bytes (a multiple of 4). */
static void write_header(uint8_t *p, unsigned count, uint8_t pt, size_t len)
{
    p[0] = (uint8_t)(0x80 | (count & 0x1f));
    p[1] = pt;
    lkc_wr16(p + 2, (uint16_t)(len / 4 - 1));
}

static void write_rb(uint8_t *p, const lkc_rtcp_report_block_t *rb)
{
    int32_t lost = rb->cumulative_lost;
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    if (lost < -0x800000)
        lost = -0x800000;
    uint32_t l24 = (uint32_t)lost & 0xffffff;
    lkc_wr32(p, rb->ssrc);
    lkc_wr32(p + 4, (uint32_t)rb->fraction_lost << 24 | l24);
    lkc_wr32(p + 8, rb->ext_highest_seq);
    lkc_wr32(p + 12, rb->jitter);
    lkc_wr32(p + 16, rb->lsr);
    lkc_wr32(p + 20, rb->dlsr);
}

static int check_rb(const lkc_rtcp_report_block_t *rb, size_t rb_count)
{
    if (rb_count > LKC_RTCP_MAX_RB || (rb_count && !rb))
        return LKC_ERR_INVALID_ARG;
    return LKC_OK;
}

int lkc_rtcp_build_sr(uint8_t *buf, size_t cap, uint32_t ssrc, const lkc_rtcp_sender_info_t *si,
                      const lkc_rtcp_report_block_t *rb, size_t rb_count)
{
    if (!buf || !si || check_rb(rb, rb_count))
        return LKC_ERR_INVALID_ARG;
    size_t len = 28 + LKC_RTCP_RB_LEN * rb_count;
    if (len > cap)
        return LKC_ERR_TOO_LARGE;
    write_header(buf, (unsigned)rb_count, LKC_RTCP_PT_SR, len);
    lkc_wr32(buf + 4, ssrc);
    lkc_wr32(buf + 8, (uint32_t)(si->ntp >> 32));
    lkc_wr32(buf + 12, (uint32_t)si->ntp);
    lkc_wr32(buf + 16, si->rtp_ts);
    lkc_wr32(buf + 20, si->packet_count);
    lkc_wr32(buf + 24, si->octet_count);
    for (size_t i = 0; i < rb_count; i++)
        write_rb(buf + 28 + LKC_RTCP_RB_LEN * i, &rb[i]);
    return (int)len;
}

int lkc_rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc, const lkc_rtcp_report_block_t *rb,
                      size_t rb_count)
{
    if (!buf || check_rb(rb, rb_count))
        return LKC_ERR_INVALID_ARG;
    size_t len = 8 + LKC_RTCP_RB_LEN * rb_count;
    if (len > cap)
        return LKC_ERR_TOO_LARGE;
    write_header(buf, (unsigned)rb_count, LKC_RTCP_PT_RR, len);
    lkc_wr32(buf + 4, ssrc);
    for (size_t i = 0; i < rb_count; i++)
        write_rb(buf + 8 + LKC_RTCP_RB_LEN * i, &rb[i]);
    return (int)len;
}

int lkc_rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname)
{
    if (!buf || !cname)
        return LKC_ERR_INVALID_ARG;
    size_t clen = strlen(cname);
    if (clen == 0 || clen > 255)
        return LKC_ERR_INVALID_ARG;
    /* header, SSRC, CNAME item (type, length, text), a null octet, padding */
    size_t len = 4 + pad4(4 + 2 + clen + 1);
    if (len > cap)
        return LKC_ERR_TOO_LARGE;
    write_header(buf, 1, LKC_RTCP_PT_SDES, len);
    lkc_wr32(buf + 4, ssrc);
    buf[8] = 1;
    buf[9] = (uint8_t)clen;
    memcpy(buf + 10, cname, clen);
    memset(buf + 10 + clen, 0, len - 10 - clen);
    return (int)len;
}

int lkc_rtcp_build_bye(uint8_t *buf, size_t cap, const uint32_t *ssrcs, size_t count,
                       const char *reason)
{
    if (!buf || !ssrcs || count == 0 || count > LKC_RTCP_MAX_RB)
        return LKC_ERR_INVALID_ARG;
    size_t rlen = reason ? strlen(reason) : 0;
    if (rlen > 255)
        return LKC_ERR_INVALID_ARG;
    size_t len = 4 + 4 * count + (rlen ? pad4(1 + rlen) : 0);
    if (len > cap)
        return LKC_ERR_TOO_LARGE;
    write_header(buf, (unsigned)count, LKC_RTCP_PT_BYE, len);
    for (size_t i = 0; i < count; i++)
        lkc_wr32(buf + 4 + 4 * i, ssrcs[i]);
    if (rlen) {
        size_t off = 4 + 4 * count;
        buf[off] = (uint8_t)rlen;
        memcpy(buf + off + 1, reason, rlen);
        memset(buf + off + 1 + rlen, 0, len - off - 1 - rlen);
    }
    return (int)len;
}

int lkc_rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                        const uint16_t *lost, size_t count)
{
    if (!buf || !lost || count == 0)
        return LKC_ERR_INVALID_ARG;
    if (cap < 16)
        return LKC_ERR_TOO_LARGE;
    size_t len = 12;
    uint16_t pid = 0, blp = 0;
    for (size_t i = 0; i < count; i++) {
        int d = (int)(uint16_t)(lost[i] - pid);
        if (len > 12 && d == 0)
            continue; /* repeated */
        if (len > 12 && d >= 1 && d <= 16) {
            blp |= (uint16_t)(1u << (d - 1));
            lkc_wr16(buf + len - 2, blp);
            continue;
        }
        /* A new PID/BLP pair; one packet's length field caps the count. */
        if (len + 4 > cap || (len + 4) / 4 - 1 > UINT16_MAX)
            return LKC_ERR_TOO_LARGE;
        pid = lost[i];
        blp = 0;
        lkc_wr16(buf + len, pid);
        lkc_wr16(buf + len + 2, 0);
        len += 4;
    }
    write_header(buf, 1, LKC_RTCP_PT_RTPFB, len);
    lkc_wr32(buf + 4, sender_ssrc);
    lkc_wr32(buf + 8, media_ssrc);
    return (int)len;
}

int lkc_rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (!buf)
        return LKC_ERR_INVALID_ARG;
    if (cap < 12)
        return LKC_ERR_TOO_LARGE;
    write_header(buf, 1, LKC_RTCP_PT_PSFB, 12);
    lkc_wr32(buf + 4, sender_ssrc);
    lkc_wr32(buf + 8, media_ssrc);
    return 12;
}

int lkc_rtcp_build_compound(uint8_t *buf, size_t cap, const lkc_rtcp_compound_t *c)
{
    if (!buf || !c || (c->rb_count && !c->rb))
        return LKC_ERR_INVALID_ARG;
    size_t first = c->rb_count < LKC_RTCP_MAX_RB ? c->rb_count : LKC_RTCP_MAX_RB;
    int n = c->sender ? lkc_rtcp_build_sr(buf, cap, c->ssrc, c->sender, c->rb, first)
                      : lkc_rtcp_build_rr(buf, cap, c->ssrc, c->rb, first);
    if (n < 0)
        return n;
    size_t off = (size_t)n;
    for (size_t i = first; i < c->rb_count;) {
        size_t k = c->rb_count - i < LKC_RTCP_MAX_RB ? c->rb_count - i : LKC_RTCP_MAX_RB;
        n = lkc_rtcp_build_rr(buf + off, cap - off, c->ssrc, c->rb + i, k);
        if (n < 0)
            return n;
        off += (size_t)n;
        i += k;
    }
    if (c->cname && c->cname[0]) {
        n = lkc_rtcp_build_sdes_cname(buf + off, cap - off, c->ssrc, c->cname);
        if (n < 0)
            return n;
        off += (size_t)n;
    }
    if (c->bye) {
        n = lkc_rtcp_build_bye(buf + off, cap - off, &c->ssrc, 1, NULL);
        if (n < 0)
            return n;
        off += (size_t)n;
    }
    if (off > INT_MAX)
        return LKC_ERR_TOO_LARGE;
    return (int)off;
}

/* ---- NTP time ----------------------------------------------------------------- */

uint64_t lkc_rtcp_ntp_from_unix_us(int64_t unix_us)
{
    int64_t sec = unix_us / US_PER_S;
    int64_t rem = unix_us % US_PER_S;
    if (rem < 0) {
        rem += US_PER_S;
        sec--;
    }
    /* Seconds are modulo 2^32 (NTP eras). */
    uint32_t ntp_sec = (uint32_t)((uint64_t)sec + (uint64_t)NTP_UNIX_OFFSET);
    uint64_t frac = ((uint64_t)rem << 32) / (uint64_t)US_PER_S;
    return (uint64_t)ntp_sec << 32 | frac;
}

int64_t lkc_rtcp_ntp_to_unix_us(uint64_t ntp)
{
    int64_t sec = (int64_t)(ntp >> 32);
    /* RFC 4330 §3: with the top bit clear the time is in era 1 (2036 onwards). */
    if (!(sec & 0x80000000LL))
        sec += 0x100000000LL;
    sec -= NTP_UNIX_OFFSET;
    int64_t us = (int64_t)(((ntp & 0xffffffffu) * (uint64_t)US_PER_S + (1ull << 31)) >> 32);
    return sec * US_PER_S + us;
}

uint32_t lkc_rtcp_us_to_clock(int64_t us, uint32_t clock_rate)
{
    int64_t sec = us / US_PER_S;
    int64_t rem = us % US_PER_S;
    if (rem < 0) {
        rem += US_PER_S;
        sec--;
    }
    return (uint32_t)((uint64_t)sec * clock_rate + (uint64_t)rem * clock_rate / US_PER_S);
}

/* ---- receiver statistics (RFC 3550 A.1, A.3, A.8) ----------------------------- */

static void stats_restart(lkc_rtcp_rx_stats_t *s, uint16_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = SEQ_MOD + 1; /* matches no sequence number */
    s->cycles = 0;
    s->received = 0;
    s->received_prior = 0;
    s->expected_prior = 0;
    s->have_transit = false;
}

void lkc_rtcp_rx_stats_init(lkc_rtcp_rx_stats_t *s, uint32_t ssrc, uint32_t clock_rate)
{
    memset(s, 0, sizeof *s);
    s->ssrc = ssrc;
    s->clock_rate = clock_rate;
    s->bad_seq = SEQ_MOD + 1;
}

bool lkc_rtcp_rx_stats_update(lkc_rtcp_rx_stats_t *s, uint16_t seq, uint32_t rtp_ts, uint32_t arrival)
{
    if (!s->started) {
        /* Our sources are declared in SDP, so no probation (A.1 MIN_SEQUENTIAL = 1). */
        s->started = true;
        stats_restart(s, seq);
    } else {
        uint16_t udelta = (uint16_t)(seq - s->max_seq);
        if (udelta < MAX_DROPOUT) {
            if (seq < s->max_seq)
                s->cycles += SEQ_MOD;
            s->max_seq = seq;
        } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
            /* A large jump: believe it only when the next packet follows it. */
            if (seq != s->bad_seq) {
                s->bad_seq = (uint32_t)(uint16_t)(seq + 1);
                return false;
            }
            stats_restart(s, seq);
        }
        /* else: duplicate or reordered, counted below */
    }
    s->received++;

    uint32_t transit = arrival - rtp_ts;
    if (s->have_transit) {
        int32_t d = (int32_t)(transit - s->transit);
        uint64_t ad = d < 0 ? (uint64_t)(-(int64_t)d) : (uint64_t)d;
        s->jitter_q4 = s->jitter_q4 + ad - ((s->jitter_q4 + 8) >> 4);
    }
    s->transit = transit;
    s->have_transit = true;
    return true;
}

void lkc_rtcp_rx_stats_on_sr(lkc_rtcp_rx_stats_t *s, uint64_t ntp, int64_t arrival_us)
{
    s->have_sr = true;
    s->last_sr = lkc_rtcp_ntp_mid32(ntp);
    s->last_sr_us = arrival_us;
}

uint32_t lkc_rtcp_rx_stats_ext_highest(const lkc_rtcp_rx_stats_t *s)
{
    return s->cycles + s->max_seq;
}

int64_t lkc_rtcp_rx_stats_expected(const lkc_rtcp_rx_stats_t *s)
{
    if (!s->started)
        return 0;
    return (int64_t)s->cycles + s->max_seq - s->base_seq + 1;
}

int64_t lkc_rtcp_rx_stats_lost(const lkc_rtcp_rx_stats_t *s)
{
    return lkc_rtcp_rx_stats_expected(s) - (s->started ? s->received : 0);
}

uint32_t lkc_rtcp_rx_stats_jitter(const lkc_rtcp_rx_stats_t *s)
{
    uint64_t j = s->jitter_q4 >> 4;
    return j > UINT32_MAX ? UINT32_MAX : (uint32_t)j;
}

void lkc_rtcp_rx_stats_report(lkc_rtcp_rx_stats_t *s, int64_t now_us, lkc_rtcp_report_block_t *out)
{
    memset(out, 0, sizeof *out);
    out->ssrc = s->ssrc;
    if (s->started) {
        int64_t expected = lkc_rtcp_rx_stats_expected(s);
        int64_t lost = expected - s->received;
        out->cumulative_lost = lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : (int32_t)lost;
        out->ext_highest_seq = lkc_rtcp_rx_stats_ext_highest(s);
        uint32_t exp32 = (uint32_t)expected;
        uint32_t expected_interval = exp32 - s->expected_prior;
        uint32_t received_interval = s->received - s->received_prior;
        s->expected_prior = exp32;
        s->received_prior = s->received;
        int64_t lost_interval = (int64_t)expected_interval - received_interval;
        if (expected_interval && lost_interval > 0) {
            int64_t f = (lost_interval << 8) / expected_interval;
            out->fraction_lost = (uint8_t)(f > 255 ? 255 : f);
        }
        out->jitter = lkc_rtcp_rx_stats_jitter(s);
    }
    if (s->have_sr) {
        out->lsr = s->last_sr;
        int64_t d = now_us - s->last_sr_us;
        if (d < 0)
            d = 0;
        if (d > 70000 * US_PER_S) /* past what 32 bits of 1/65536 s can hold */
            d = 70000 * US_PER_S;
        int64_t dlsr = d * 65536 / US_PER_S;
        out->dlsr = dlsr > UINT32_MAX ? UINT32_MAX : (uint32_t)dlsr;
    }
}
