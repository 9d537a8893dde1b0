/* libFuzzer target for rtc/rtcp: the input is one received RTCP datagram (compound or
 * reduced-size). Besides "never crash, never leak" (parsed items borrow the input: every
 * pointer must stay inside it), it checks on every datagram the parser accepts:
 *   - storing fewer items (8, as the media code does, or none) validates the same way and
 *     stores a prefix of the same items;
 *   - each item is what its type says: counts from the header, report blocks and BYE SSRCs
 *     readable exactly up to their count, NACK expansion as long as nack_count;
 *   - builders give the parsed packets back: SR/RR bytes equal the input (past the padding
 *     and length), SDES CNAME, BYE, PLI and NACK re-parse to the same content (a NACK to the
 *     same set of lost sequence numbers), and a compound built from everything re-parses;
 *   - an SR's NTP time survives lkc_rtcp_ntp_to_unix_us / lkc_rtcp_ntp_from_unix_us to
 *     within rounding.
 * The same bytes also drive the receiver statistics, read as 8-byte records (sequence
 * number, RTP timestamp, arrival step in ms) fed to lkc_rtcp_rx_stats_update with a report
 * now and then; every SR parsed is handed to lkc_rtcp_rx_stats_on_sr as media.c does. The
 * counts must stay coherent (expected >= 1, lost = expected - received, a set-aside jump
 * changes nothing). A broken contract aborts.
 *
 * Built by CMake: fuzz_rtcp with -DLKC_FUZZ=ON (clang), fuzz_replay_rtcp in every build. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lkc/error.h"
#include "lkc/log.h"
#include "rtc/rtcp.h"

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_rtcp: " __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

#define MAX_RB_COMPOUND 100 /* report blocks gathered for the compound rebuild */

static void quiet(lkc_log_level_t level, const char *module, const char *line, void *user)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool inside(const void *ptr, size_t n, const uint8_t *buf, size_t size)
{
    const uint8_t *p = ptr;
    return p >= buf && n <= size && (size_t)(p - buf) <= size - n;
}

static bool same_block(const lkc_rtcp_report_block_t *a, const lkc_rtcp_report_block_t *b)
{
    return a->ssrc == b->ssrc && a->fraction_lost == b->fraction_lost &&
           a->cumulative_lost == b->cumulative_lost && a->ext_highest_seq == b->ext_highest_seq &&
           a->jitter == b->jitter && a->lsr == b->lsr && a->dlsr == b->dlsr;
}

/* What a packet set aside may not change (bad_seq aside). */
static bool same_counts(const lkc_rtcp_rx_stats_t *a, const lkc_rtcp_rx_stats_t *b)
{
    return a->started == b->started && a->max_seq == b->max_seq && a->cycles == b->cycles &&
           a->base_seq == b->base_seq && a->received == b->received &&
           a->expected_prior == b->expected_prior && a->received_prior == b->received_prior &&
           a->have_transit == b->have_transit && a->transit == b->transit && a->jitter_q4 == b->jitter_q4;
}

static bool same_item(const lkc_rtcp_item_t *a, const lkc_rtcp_item_t *b)
{
    return a->kind == b->kind && a->pt == b->pt && a->fmt == b->fmt && a->ssrc == b->ssrc &&
           a->raw == b->raw && a->raw_len == b->raw_len && a->rb_count == b->rb_count &&
           a->nack_count == b->nack_count && a->cname == b->cname && a->cname_len == b->cname_len;
}

/* Exactly one item of `kind` from buf[0..n). */
static lkc_rtcp_item_t reparse_one(const uint8_t *buf, int n, lkc_rtcp_kind_t kind, const char *what)
{
    lkc_rtcp_item_t it[2];
    if (n <= 0)
        FAIL("building %s failed: %d", what, n);
    int got = lkc_rtcp_parse(buf, (size_t)n, it, 2);
    if (got != 1 || it[0].kind != kind)
        FAIL("rebuilt %s parses to %d items (kind %d)", what, got, got > 0 ? (int)it[0].kind : -1);
    return it[0];
}

static void check_blocks(const lkc_rtcp_item_t *it, lkc_rtcp_report_block_t *rbs)
{
    if (it->rb_count != it->fmt || it->rb_count > LKC_RTCP_MAX_RB ||
        !inside(it->rb, (size_t)it->rb_count * LKC_RTCP_RB_LEN, it->raw, it->raw_len))
        FAIL("%u report blocks (fmt %u) outside the packet", it->rb_count, it->fmt);
    for (unsigned i = 0; i < it->rb_count; i++) {
        if (lkc_rtcp_item_report_block(it, i, &rbs[i]) != LKC_OK)
            FAIL("report block %u of %u unreadable", i, it->rb_count);
        if (rbs[i].cumulative_lost > 0x7fffff || rbs[i].cumulative_lost < -0x800000)
            FAIL("cumulative lost %d is not 24-bit", rbs[i].cumulative_lost);
    }
    lkc_rtcp_report_block_t extra;
    if (lkc_rtcp_item_report_block(it, it->rb_count, &extra) != LKC_ERR_INVALID_ARG)
        FAIL("report block past the count was read");
}

static void check_sr_rr(const lkc_rtcp_item_t *it)
{
    lkc_rtcp_report_block_t rbs[LKC_RTCP_MAX_RB];
    check_blocks(it, rbs);
    uint8_t buf[28 + LKC_RTCP_MAX_RB * LKC_RTCP_RB_LEN];
    bool sr = it->kind == LKC_RTCP_ITEM_SR;
    int n = sr ? lkc_rtcp_build_sr(buf, sizeof buf, it->ssrc, &it->sender, rbs, it->rb_count)
               : lkc_rtcp_build_rr(buf, sizeof buf, it->ssrc, rbs, it->rb_count);
    size_t want = (sr ? 28u : 8u) + (size_t)LKC_RTCP_RB_LEN * it->rb_count;
    if (n < 0 || (size_t)n != want || want > it->raw_len)
        FAIL("rebuilt %s is %d bytes, want %zu of %zu", sr ? "SR" : "RR", n, want, it->raw_len);
    /* Byte 0 differs in the P bit, bytes 2-3 in length when the input had extensions. */
    if ((buf[0] & 0x1f) != (it->raw[0] & 0x1f) || buf[1] != it->raw[1] ||
        memcmp(buf + 4, it->raw + 4, want - 4) != 0)
        FAIL("rebuilt %s differs from the input", sr ? "SR" : "RR");
    if (n > 0 && (sr ? lkc_rtcp_build_sr(buf, (size_t)n - 1, it->ssrc, &it->sender, rbs, it->rb_count)
                     : lkc_rtcp_build_rr(buf, (size_t)n - 1, it->ssrc, rbs, it->rb_count)) != LKC_ERR_TOO_LARGE)
        FAIL("building into a buffer one byte short did not say TOO_LARGE");

    /* NTP time through Unix microseconds and back: equal to rounding (0.5 us + truncation). */
    if (sr) {
        uint64_t back = lkc_rtcp_ntp_from_unix_us(lkc_rtcp_ntp_to_unix_us(it->sender.ntp));
        uint64_t d = back - it->sender.ntp;
        if (d > 8192 && -d > 8192)
            FAIL("NTP %016llx came back as %016llx", (unsigned long long)it->sender.ntp,
                 (unsigned long long)back);
    }
}

static void check_sdes(const lkc_rtcp_item_t *it)
{
    if (it->sdes_chunks != it->fmt)
        FAIL("SDES with %u chunks, count %u", it->sdes_chunks, it->fmt);
    if (!it->cname) {
        if (it->cname_len)
            FAIL("cname length without cname");
        return;
    }
    if (!inside(it->cname, it->cname_len, it->raw, it->raw_len))
        FAIL("cname outside the packet");
    if (it->cname_len == 0 || memchr(it->cname, 0, it->cname_len))
        return; /* not a C string: the builder cannot take it */
    char cname[256];
    memcpy(cname, it->cname, it->cname_len);
    cname[it->cname_len] = '\0';
    uint8_t buf[4 + 4 + 2 + 255 + 4];
    int n = lkc_rtcp_build_sdes_cname(buf, sizeof buf, it->ssrc, cname);
    lkc_rtcp_item_t b = reparse_one(buf, n, LKC_RTCP_ITEM_SDES, "SDES");
    if (b.ssrc != it->ssrc || b.cname_len != it->cname_len || memcmp(b.cname, it->cname, b.cname_len))
        FAIL("rebuilt SDES CNAME differs");
}

static void check_bye(const lkc_rtcp_item_t *it)
{
    if (it->bye_count != it->fmt || !inside(it->raw + 4, 4u * it->bye_count, it->raw, it->raw_len))
        FAIL("BYE count %u (fmt %u) outside the packet", it->bye_count, it->fmt);
    uint32_t ssrcs[LKC_RTCP_MAX_RB];
    for (unsigned i = 0; i < it->bye_count; i++) {
        ssrcs[i] = lkc_rtcp_bye_ssrc(it, i);
        if (ssrcs[i] != rd32(it->raw + 4 + 4 * i))
            FAIL("BYE SSRC %u wrong", i);
    }
    if (it->bye_count && it->ssrc != ssrcs[0])
        FAIL("BYE item SSRC is not the first");
    if (lkc_rtcp_bye_ssrc(it, it->bye_count) != 0)
        FAIL("BYE SSRC past the count is not 0");
    if (it->reason && !inside(it->reason, it->reason_len, it->raw, it->raw_len))
        FAIL("BYE reason outside the packet");
    if (it->bye_count == 0 || (it->reason_len && memchr(it->reason, 0, it->reason_len)))
        return;
    char reason[256];
    memcpy(reason, it->reason ? it->reason : "", it->reason_len);
    reason[it->reason_len] = '\0';
    uint8_t buf[4 + 4 * LKC_RTCP_MAX_RB + 256];
    int n = lkc_rtcp_build_bye(buf, sizeof buf, ssrcs, it->bye_count, reason);
    lkc_rtcp_item_t b = reparse_one(buf, n, LKC_RTCP_ITEM_BYE, "BYE");
    if (b.bye_count != it->bye_count || b.reason_len != it->reason_len ||
        (b.reason_len && memcmp(b.reason, it->reason, b.reason_len)))
        FAIL("rebuilt BYE differs");
    for (unsigned i = 0; i < b.bye_count; i++)
        if (lkc_rtcp_bye_ssrc(&b, i) != ssrcs[i])
            FAIL("rebuilt BYE SSRC %u differs", i);
}

static void mark(uint8_t *set, const uint16_t *seqs, size_t n)
{
    memset(set, 0, 65536 / 8);
    for (size_t i = 0; i < n; i++)
        set[seqs[i] >> 3] |= (uint8_t)(1u << (seqs[i] & 7));
}

static void check_nack(const lkc_rtcp_item_t *it)
{
    if (it->fci_len == 0 || it->fci_len % 4 || !inside(it->fci, it->fci_len, it->raw, it->raw_len))
        FAIL("NACK FCI of %zu bytes", it->fci_len);
    if (it->nack_count < it->fci_len / 4 || it->nack_count > it->fci_len / 4 * 17)
        FAIL("NACK count %zu for %zu pairs", it->nack_count, it->fci_len / 4);
    uint16_t *lost = malloc(it->nack_count * sizeof *lost);
    uint16_t *lost2 = malloc(it->nack_count * sizeof *lost2);
    size_t cap = 12 + 4 * it->nack_count;
    uint8_t *buf = malloc(cap);
    uint8_t *set1 = malloc(65536 / 8), *set2 = malloc(65536 / 8);
    if (!lost || !lost2 || !buf || !set1 || !set2)
        abort();
    size_t n = lkc_rtcp_nack_lost(it, lost, it->nack_count);
    if (n != it->nack_count)
        FAIL("NACK expands to %zu, count says %zu", n, it->nack_count);
    size_t half = lkc_rtcp_nack_lost(it, lost2, n / 2);
    if (half != n / 2 || memcmp(lost, lost2, half * sizeof *lost))
        FAIL("NACK expansion into a short buffer differs");
    int len = lkc_rtcp_build_nack(buf, cap, it->ssrc, it->media_ssrc, lost, n);
    if (len == LKC_ERR_TOO_LARGE && n > 65533) {
        /* possibly more pairs than one packet's length field counts: TOO_LARGE is right */
    } else {
        lkc_rtcp_item_t b = reparse_one(buf, len, LKC_RTCP_ITEM_NACK, "NACK");
        if (b.ssrc != it->ssrc || b.media_ssrc != it->media_ssrc || b.nack_count > n)
            FAIL("rebuilt NACK differs (count %zu of %zu)", b.nack_count, n);
        size_t n2 = lkc_rtcp_nack_lost(&b, lost2, b.nack_count);
        mark(set1, lost, n);
        mark(set2, lost2, n2);
        if (memcmp(set1, set2, 65536 / 8) != 0)
            FAIL("rebuilt NACK loses other sequence numbers");
    }
    free(set2);
    free(set1);
    free(buf);
    free(lost2);
    free(lost);
}

static void check_feedback(const lkc_rtcp_item_t *it)
{
    if (!inside(it->fci, it->fci_len, it->raw, it->raw_len) || it->fci != it->raw + 12)
        FAIL("feedback FCI outside the packet");
    if (it->kind == LKC_RTCP_ITEM_NACK) {
        check_nack(it);
    } else if (it->kind == LKC_RTCP_ITEM_PLI) {
        uint8_t buf[12];
        int n = lkc_rtcp_build_pli(buf, sizeof buf, it->ssrc, it->media_ssrc);
        if (n != 12 || (buf[0] & 0x1f) != (it->raw[0] & 0x1f) || buf[1] != it->raw[1] ||
            memcmp(buf + 4, it->raw + 4, 8) != 0)
            FAIL("rebuilt PLI differs");
    }
}

static void check_item(const lkc_rtcp_item_t *it, const uint8_t *data, size_t size)
{
    if (it->pt < 192 || it->pt > 223 || it->raw_len < 4 || !inside(it->raw, it->raw_len, data, size) ||
        it->pt != it->raw[1] || it->fmt != (it->raw[0] & 0x1f))
        FAIL("item pt %u raw %zu bytes", it->pt, it->raw_len);
    lkc_rtcp_kind_t want = LKC_RTCP_ITEM_UNKNOWN;
    switch (it->pt) {
    case LKC_RTCP_PT_SR: want = LKC_RTCP_ITEM_SR; break;
    case LKC_RTCP_PT_RR: want = LKC_RTCP_ITEM_RR; break;
    case LKC_RTCP_PT_SDES: want = LKC_RTCP_ITEM_SDES; break;
    case LKC_RTCP_PT_BYE: want = LKC_RTCP_ITEM_BYE; break;
    case LKC_RTCP_PT_RTPFB: want = it->fmt == 1 ? LKC_RTCP_ITEM_NACK : LKC_RTCP_ITEM_UNKNOWN; break;
    case LKC_RTCP_PT_PSFB: want = it->fmt == 1 ? LKC_RTCP_ITEM_PLI : LKC_RTCP_ITEM_UNKNOWN; break;
    default: break;
    }
    if (it->kind != want)
        FAIL("pt %u fmt %u gave kind %d, not %d", it->pt, it->fmt, it->kind, want);
    uint16_t one;
    if (it->kind != LKC_RTCP_ITEM_NACK && lkc_rtcp_nack_lost(it, &one, 1) != 0)
        FAIL("nack_lost of a kind %d item", it->kind);
    switch (it->kind) {
    case LKC_RTCP_ITEM_SR:
    case LKC_RTCP_ITEM_RR: check_sr_rr(it); break;
    case LKC_RTCP_ITEM_SDES: check_sdes(it); break;
    case LKC_RTCP_ITEM_BYE: check_bye(it); break;
    case LKC_RTCP_ITEM_NACK:
    case LKC_RTCP_ITEM_PLI: check_feedback(it); break;
    default:
        if (it->pt == LKC_RTCP_PT_RTPFB || it->pt == LKC_RTCP_PT_PSFB)
            check_feedback(it);
        break;
    }
}

/* Everything reported, in one compound, re-parses to the same blocks and CNAME. */
static void check_compound(const lkc_rtcp_item_t *items, int n)
{
    static lkc_rtcp_report_block_t rbs[MAX_RB_COMPOUND];
    size_t nrb = 0;
    const lkc_rtcp_sender_info_t *sender = NULL;
    uint32_t ssrc = 0;
    char cname[256] = "";
    for (int i = 0; i < n; i++) {
        const lkc_rtcp_item_t *it = &items[i];
        if (it->kind == LKC_RTCP_ITEM_SR && !sender) {
            sender = &it->sender;
            ssrc = it->ssrc;
        }
        if (it->kind == LKC_RTCP_ITEM_SR || it->kind == LKC_RTCP_ITEM_RR)
            for (unsigned k = 0; k < it->rb_count && nrb < MAX_RB_COMPOUND; k++)
                lkc_rtcp_item_report_block(it, k, &rbs[nrb++]);
        if (it->kind == LKC_RTCP_ITEM_SDES && it->cname && !cname[0] && it->cname_len &&
            !memchr(it->cname, 0, it->cname_len)) {
            memcpy(cname, it->cname, it->cname_len);
            cname[it->cname_len] = '\0';
        }
    }
    lkc_rtcp_compound_t c = {.ssrc = ssrc, .sender = sender, .rb = rbs, .rb_count = nrb,
                             .cname = cname, .bye = true};
    static uint8_t buf[28 + 4 * 8 + MAX_RB_COMPOUND * LKC_RTCP_RB_LEN + 4 + 264 + 8];
    int len = lkc_rtcp_build_compound(buf, sizeof buf, &c);
    if (len <= 0)
        FAIL("building a compound of %zu blocks failed: %d", nrb, len);
    if (lkc_rtcp_build_compound(buf, (size_t)len - 1, &c) != LKC_ERR_TOO_LARGE)
        FAIL("building a compound into a buffer one byte short did not say TOO_LARGE");
    lkc_rtcp_build_compound(buf, sizeof buf, &c);
    lkc_rtcp_item_t back[16];
    int m = lkc_rtcp_parse(buf, (size_t)len, back, 16);
    if (m < 2)
        FAIL("rebuilt compound parses to %d items", m);
    if (back[0].kind != (sender ? LKC_RTCP_ITEM_SR : LKC_RTCP_ITEM_RR) || back[m - 1].kind != LKC_RTCP_ITEM_BYE ||
        lkc_rtcp_bye_ssrc(&back[m - 1], 0) != ssrc)
        FAIL("rebuilt compound starts with kind %d, ends with %d", back[0].kind, back[m - 1].kind);
    size_t k = 0;
    bool have_cname = false;
    for (int i = 0; i < m; i++) {
        const lkc_rtcp_item_t *it = &back[i];
        if (it->ssrc != ssrc)
            FAIL("rebuilt compound item %d has SSRC %08x", i, it->ssrc);
        for (unsigned j = 0; j < it->rb_count; j++, k++) {
            lkc_rtcp_report_block_t rb;
            lkc_rtcp_item_report_block(it, j, &rb);
            if (k >= nrb || !same_block(&rb, &rbs[k]))
                FAIL("rebuilt compound report block %zu differs", k);
        }
        if (it->kind == LKC_RTCP_ITEM_SDES) {
            have_cname = true;
            if (it->cname_len != strlen(cname) || memcmp(it->cname, cname, it->cname_len))
                FAIL("rebuilt compound CNAME differs");
        }
    }
    if (k != nrb || have_cname != (cname[0] != '\0'))
        FAIL("rebuilt compound holds %zu of %zu blocks, cname %d", k, nrb, have_cname);
}

/* Receiver statistics driven by 8-byte records; SRs of the datagram feed LSR/DLSR. */
static void check_rx_stats(const uint8_t *data, size_t size, const lkc_rtcp_item_t *items, int n)
{
    lkc_rtcp_rx_stats_t s;
    lkc_rtcp_rx_stats_init(&s, 0x11223344, 48000);
    int64_t now_us = 1000000;
    for (int i = 0; i < n; i++)
        if (items[i].kind == LKC_RTCP_ITEM_SR)
            lkc_rtcp_rx_stats_on_sr(&s, items[i].sender.ntp, now_us);
    for (size_t off = 0; off + 8 <= size; off += 8) {
        const uint8_t *r = data + off;
        uint16_t seq = (uint16_t)(r[0] << 8 | r[1]);
        uint32_t ts = rd32(r + 2);
        now_us += (int64_t)(r[6] << 8 | r[7]) * 1000 / 16; /* steps of 62.5 us, up to 4 s */
        lkc_rtcp_rx_stats_t before = s;
        bool taken = lkc_rtcp_rx_stats_update(&s, seq, ts, lkc_rtcp_us_to_clock(now_us, s.clock_rate));
        if (!taken) {
            if (!same_counts(&before, &s))
                FAIL("a packet set aside changed the statistics");
            continue;
        }
        if (s.received != 1 && s.received != before.received + 1)
            FAIL("received %u after %u", s.received, before.received);
        int64_t expected = lkc_rtcp_rx_stats_expected(&s);
        if (expected < 1 || lkc_rtcp_rx_stats_lost(&s) != expected - s.received ||
            (uint16_t)lkc_rtcp_rx_stats_ext_highest(&s) != s.max_seq)
            FAIL("expected %lld received %u after seq %u", (long long)expected, s.received, seq);
        if ((r[7] & 0x0f) == 0) { /* one record in 16, roughly: send a report */
            lkc_rtcp_report_block_t rb;
            lkc_rtcp_rx_stats_report(&s, now_us, &rb);
            if (rb.ssrc != s.ssrc || rb.ext_highest_seq != lkc_rtcp_rx_stats_ext_highest(&s) ||
                rb.jitter != lkc_rtcp_rx_stats_jitter(&s) || (s.have_sr && rb.lsr != s.last_sr))
                FAIL("report block does not match the statistics");
            uint8_t buf[8 + LKC_RTCP_RB_LEN];
            lkc_rtcp_item_t it = reparse_one(buf, lkc_rtcp_build_rr(buf, sizeof buf, 1, &rb, 1),
                                             LKC_RTCP_ITEM_RR, "RR of the statistics");
            lkc_rtcp_report_block_t back;
            lkc_rtcp_item_report_block(&it, 0, &back);
            if (!same_block(&back, &rb))
                FAIL("report block of the statistics does not survive the wire");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        lkc_set_log(LKC_LOG_ERROR, quiet, NULL);
        init = 1;
    }
    /* Every packet is at least 4 bytes: one item per 4 bytes holds them all. */
    size_t cap = size / 4 + 1;
    lkc_rtcp_item_t *all = malloc(cap * sizeof *all);
    if (!all)
        abort();
    lkc_rtcp_item_t few[8];
    int n = lkc_rtcp_parse(data, size, all, cap);
    int n8 = lkc_rtcp_parse(data, size, few, 8);
    int n0 = lkc_rtcp_parse(data, size, NULL, 0);
    if (n < 0) {
        if (n != LKC_ERR_PROTOCOL || n8 != n || n0 != n)
            FAIL("parse failed with %d / %d / %d", n, n8, n0);
        check_rx_stats(data, size, NULL, 0);
        free(all);
        return 0;
    }
    if (n == 0 || n0 != 0 || n8 != (n < 8 ? n : 8))
        FAIL("parse stored %d items, %d of 8, %d of 0", n, n8, n0);
    for (int i = 0; i < n8; i++)
        if (!same_item(&all[i], &few[i]))
            FAIL("item %d differs when fewer are stored", i);
    size_t covered = 0;
    for (int i = 0; i < n; i++) {
        check_item(&all[i], data, size);
        if (all[i].raw != data + covered)
            FAIL("item %d does not follow the previous one", i);
        covered += ((size_t)all[i].raw[2] << 8 | all[i].raw[3]) * 4 + 4;
    }
    if (covered != size)
        FAIL("items cover %zu of %zu bytes", covered, size);
    check_compound(all, n);
    check_rx_stats(data, size, all, n);
    free(all);
    return 0;
}
