/* rtc/rtcp: builders and compound parsing, NACK expansion, NTP time, receiver
 * statistics (RFC 3550 A.1/A.3/A.8). */
#include <math.h>

#include "lkc/error.h"
#include "rtc/rtcp.h"
#include "test.h"

static void check_rb_equal(const lkc_rtcp_report_block_t *a, const lkc_rtcp_report_block_t *b)
{
    CHECK_EQ_INT(a->ssrc, b->ssrc);
    CHECK_EQ_INT(a->fraction_lost, b->fraction_lost);
    CHECK_EQ_INT(a->cumulative_lost, b->cumulative_lost);
    CHECK_EQ_INT(a->ext_highest_seq, b->ext_highest_seq);
    CHECK_EQ_INT(a->jitter, b->jitter);
    CHECK_EQ_INT(a->lsr, b->lsr);
    CHECK_EQ_INT(a->dlsr, b->dlsr);
}

static void sr_round_trip(void)
{
    lkc_rtcp_sender_info_t si = {.ntp = 0xe8a1b2c3d4e5f607ull, .rtp_ts = 123456,
                                 .packet_count = 50, .octet_count = 4000};
    lkc_rtcp_report_block_t rb[2] = {
        {.ssrc = 1, .fraction_lost = 25, .cumulative_lost = -5, .ext_highest_seq = 0x10005,
         .jitter = 77, .lsr = 0xa1b2c3d4, .dlsr = 65536},
        {.ssrc = 2, .fraction_lost = 255, .cumulative_lost = 0x7fffff + 10, .ext_highest_seq = 9},
    };
    uint8_t buf[256];
    int n = lkc_rtcp_build_sr(buf, sizeof buf, 0xcafe, &si, rb, 2);
    CHECK_EQ_INT(n, 28 + 48);
    CHECK_EQ_INT(buf[0], 0x82);
    CHECK_EQ_INT(buf[1], 200);
    CHECK_EQ_INT(buf[3], 18); /* 76 bytes = 19 words, minus one */

    lkc_rtcp_item_t it[4];
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 4), 1);
    CHECK_EQ_INT(it[0].kind, LKC_RTCP_ITEM_SR);
    CHECK_EQ_INT(it[0].ssrc, 0xcafe);
    CHECK(it[0].sender.ntp == si.ntp, "ntp %llx", (unsigned long long)it[0].sender.ntp);
    CHECK_EQ_INT(it[0].sender.rtp_ts, 123456);
    CHECK_EQ_INT(it[0].sender.packet_count, 50);
    CHECK_EQ_INT(it[0].sender.octet_count, 4000);
    CHECK_EQ_INT(it[0].rb_count, 2);
    lkc_rtcp_report_block_t got;
    CHECK_OK(lkc_rtcp_item_report_block(&it[0], 0, &got));
    check_rb_equal(&got, &rb[0]);
    CHECK_OK(lkc_rtcp_item_report_block(&it[0], 1, &got));
    CHECK_EQ_INT(got.cumulative_lost, 0x7fffff); /* clamped to 24 bits */
    CHECK_EQ_INT(got.fraction_lost, 255);
    CHECK_EQ_INT(lkc_rtcp_item_report_block(&it[0], 2, &got), LKC_ERR_INVALID_ARG);

    /* The most negative 24-bit value survives. */
    rb[0].cumulative_lost = -0x800000 - 7;
    n = lkc_rtcp_build_rr(buf, sizeof buf, 9, rb, 1);
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 4), 1);
    CHECK_OK(lkc_rtcp_item_report_block(&it[0], 0, &got));
    CHECK_EQ_INT(got.cumulative_lost, -0x800000);

    for (size_t cap = 0; cap < 28 + 48; cap += 4)
        CHECK_EQ_INT(lkc_rtcp_build_sr(buf, cap, 1, &si, rb, 2), LKC_ERR_TOO_LARGE);
    CHECK_EQ_INT(lkc_rtcp_build_sr(buf, sizeof buf, 1, &si, rb, 32), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_rtcp_build_sr(buf, sizeof buf, 1, NULL, rb, 1), LKC_ERR_INVALID_ARG);
}

static void rr_sdes_bye_round_trip(void)
{
    uint8_t buf[512];
    int n = lkc_rtcp_build_rr(buf, sizeof buf, 0x1234, NULL, 0);
    CHECK_EQ_INT(n, 8);
    lkc_rtcp_item_t it[4];
    CHECK_EQ_INT(lkc_rtcp_parse(buf, 8, it, 4), 1);
    CHECK(it[0].kind == LKC_RTCP_ITEM_RR && it[0].ssrc == 0x1234 && it[0].rb_count == 0,
          "empty RR: kind %d ssrc %x rb %u", it[0].kind, it[0].ssrc, it[0].rb_count);

    n = lkc_rtcp_build_sdes_cname(buf, sizeof buf, 0xabcd, "abc");
    CHECK_EQ_INT(n, 16);
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 4), 1);
    CHECK_EQ_INT(it[0].kind, LKC_RTCP_ITEM_SDES);
    CHECK_EQ_INT(it[0].ssrc, 0xabcd);
    CHECK(it[0].cname_len == 3 && memcmp(it[0].cname, "abc", 3) == 0, "cname");
    /* A CNAME whose item ends exactly on a word boundary still gets its null word. */
    n = lkc_rtcp_build_sdes_cname(buf, sizeof buf, 1, "ab");
    CHECK_EQ_INT(n, 16);
    CHECK_EQ_INT(buf[12], 0);
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 4), 1);
    char long_name[256];
    memset(long_name, 'x', 255);
    long_name[255] = 0;
    n = lkc_rtcp_build_sdes_cname(buf, sizeof buf, 1, long_name);
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 4), 1);
    CHECK_EQ_INT(it[0].cname_len, 255);
    CHECK_EQ_INT(lkc_rtcp_build_sdes_cname(buf, sizeof buf, 1, ""), LKC_ERR_INVALID_ARG);

    uint32_t ssrcs[] = {7, 8};
    n = lkc_rtcp_build_bye(buf, sizeof buf, ssrcs, 2, "bye now");
    CHECK_EQ_INT(n, 4 + 8 + 8);
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 4), 1);
    CHECK_EQ_INT(it[0].kind, LKC_RTCP_ITEM_BYE);
    CHECK_EQ_INT(it[0].bye_count, 2);
    CHECK_EQ_INT(lkc_rtcp_bye_ssrc(&it[0], 0), 7);
    CHECK_EQ_INT(lkc_rtcp_bye_ssrc(&it[0], 1), 8);
    CHECK_EQ_INT(lkc_rtcp_bye_ssrc(&it[0], 2), 0);
    CHECK(it[0].reason_len == 7 && memcmp(it[0].reason, "bye now", 7) == 0, "reason");
    n = lkc_rtcp_build_bye(buf, sizeof buf, ssrcs, 1, NULL);
    CHECK_EQ_INT(n, 8);
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 4), 1);
    CHECK(it[0].reason == NULL && it[0].ssrc == 7, "BYE without reason");
}

static void compound(void)
{
    lkc_rtcp_sender_info_t si = {.ntp = 1ull << 40, .rtp_ts = 960};
    lkc_rtcp_report_block_t rb[40];
    for (int i = 0; i < 40; i++)
        rb[i] = (lkc_rtcp_report_block_t){.ssrc = 100 + (uint32_t)i, .jitter = (uint32_t)i};
    lkc_rtcp_compound_t c = {.ssrc = 5, .sender = &si, .rb = rb, .rb_count = 1, .cname = "lkc-cname",
                             .bye = true};
    uint8_t buf[2048];
    int n = lkc_rtcp_build_compound(buf, sizeof buf, &c);
    CHECK(n > 0, "build_compound: %d", n);
    lkc_rtcp_item_t it[8];
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 8), 3);
    CHECK_EQ_INT(it[0].kind, LKC_RTCP_ITEM_SR);
    CHECK_EQ_INT(it[1].kind, LKC_RTCP_ITEM_SDES);
    CHECK_EQ_INT(it[2].kind, LKC_RTCP_ITEM_BYE);
    CHECK(it[1].cname_len == 9 && memcmp(it[1].cname, "lkc-cname", 9) == 0, "compound cname");
    CHECK_EQ_INT(it[2].ssrc, 5);
    /* Only the first items are stored when the array is short; the rest is still validated. */
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 1), 1);
    CHECK_EQ_INT(it[0].kind, LKC_RTCP_ITEM_SR);
    buf[n - 8] = 0x40; /* corrupt the trailing BYE's version */
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 1), LKC_ERR_PROTOCOL);

    /* 40 report blocks: RR(31) + RR(9) + SDES. */
    c.sender = NULL;
    c.rb_count = 40;
    c.bye = false;
    n = lkc_rtcp_build_compound(buf, sizeof buf, &c);
    CHECK_EQ_INT(n, (8 + 31 * 24) + (8 + 9 * 24) + 4 + 16);
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 8), 3);
    CHECK(it[0].kind == LKC_RTCP_ITEM_RR && it[0].rb_count == 31, "first RR %d/%u", it[0].kind, it[0].rb_count);
    CHECK(it[1].kind == LKC_RTCP_ITEM_RR && it[1].rb_count == 9, "second RR %d/%u", it[1].kind, it[1].rb_count);
    lkc_rtcp_report_block_t got;
    CHECK_OK(lkc_rtcp_item_report_block(&it[1], 8, &got));
    CHECK_EQ_INT(got.ssrc, 139);
    CHECK_EQ_INT(got.jitter, 39);

    /* Reduced-size (RFC 5506): a lone RR, no SDES. */
    c.cname = NULL;
    c.rb_count = 1;
    n = lkc_rtcp_build_compound(buf, sizeof buf, &c);
    CHECK_EQ_INT(n, 32);
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 8), 1);
    CHECK_EQ_INT(lkc_rtcp_build_compound(buf, 31, &c), LKC_ERR_TOO_LARGE);
}

static void feedback(void)
{
    /* Two NACK FCIs: PID 100 BLP 0x8005 -> 100 101 103 116; PID 65535 BLP 1 -> 65535 0 */
    const uint8_t nack[] = {0x81, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2,
                            0, 100, 0x80, 0x05, 0xff, 0xff, 0x00, 0x01};
    lkc_rtcp_item_t it[4];
    CHECK_EQ_INT(lkc_rtcp_parse(nack, sizeof nack, it, 4), 1);
    CHECK_EQ_INT(it[0].kind, LKC_RTCP_ITEM_NACK);
    CHECK_EQ_INT(it[0].ssrc, 1);
    CHECK_EQ_INT(it[0].media_ssrc, 2);
    CHECK_EQ_INT(it[0].nack_count, 6);
    uint16_t lost[16];
    CHECK_EQ_INT(lkc_rtcp_nack_lost(&it[0], lost, 16), 6);
    const uint16_t want[] = {100, 101, 103, 116, 65535, 0};
    for (int i = 0; i < 6; i++)
        CHECK(lost[i] == want[i], "lost[%d] = %u, expected %u", i, lost[i], want[i]);
    CHECK_EQ_INT(lkc_rtcp_nack_lost(&it[0], lost, 3), 3);

    /* Build: ascending across a wrap; 65534..5 in one pair, 40 in a second. */
    const uint16_t in[] = {65534, 65535, 0, 5, 5, 14, 40};
    uint8_t buf[64];
    int n = lkc_rtcp_build_nack(buf, sizeof buf, 3, 4, in, 7);
    CHECK_EQ_INT(n, 12 + 8);
    CHECK_EQ_INT(lkc_rtcp_parse(buf, (size_t)n, it, 4), 1);
    CHECK_EQ_INT(it[0].nack_count, 6);
    CHECK_EQ_INT(lkc_rtcp_nack_lost(&it[0], lost, 16), 6);
    const uint16_t want2[] = {65534, 65535, 0, 5, 14, 40};
    for (int i = 0; i < 6; i++)
        CHECK(lost[i] == want2[i], "built lost[%d] = %u, expected %u", i, lost[i], want2[i]);
    CHECK_EQ_INT(lkc_rtcp_build_nack(buf, 19, 3, 4, in, 7), LKC_ERR_TOO_LARGE);
    CHECK_EQ_INT(lkc_rtcp_build_nack(buf, sizeof buf, 3, 4, in, 0), LKC_ERR_INVALID_ARG);

    n = lkc_rtcp_build_pli(buf, sizeof buf, 3, 4);
    CHECK_EQ_INT(n, 12);
    CHECK_EQ_INT(lkc_rtcp_parse(buf, 12, it, 4), 1);
    CHECK(it[0].kind == LKC_RTCP_ITEM_PLI && it[0].ssrc == 3 && it[0].media_ssrc == 4, "PLI");

    /* REMB (PSFB FMT 15), APP and XR are framed but kept as unknown. */
    const uint8_t other[] = {
        0x8f, 206, 0, 5, 0, 0, 0, 9, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 1, 0x0a, 0x12, 0x34, 0, 0, 0, 1,
        0x80, 204, 0, 2, 0, 0, 0, 9, 'n', 'a', 'm', 'e',
        0x80, 207, 0, 1, 0, 0, 0, 9,
    };
    CHECK_EQ_INT(lkc_rtcp_parse(other, sizeof other, it, 4), 3);
    for (int i = 0; i < 3; i++)
        CHECK(it[i].kind == LKC_RTCP_ITEM_UNKNOWN && it[i].ssrc == 9, "item %d kind %d ssrc %u", i,
              it[i].kind, it[i].ssrc);
    CHECK(it[0].pt == 206 && it[0].fmt == 15 && it[0].fci_len == 12, "REMB pt %u fmt %u fci %zu",
          it[0].pt, it[0].fmt, it[0].fci_len);
    CHECK_EQ_INT(it[1].pt, 204);
    CHECK_EQ_INT(it[2].pt, 207);
}

static void expect_protocol(const uint8_t *b, size_t n, const char *what)
{
    lkc_rtcp_item_t it[4];
    int rc = lkc_rtcp_parse(b, n, it, 4);
    CHECK(rc == LKC_ERR_PROTOCOL, "%s: parse returned %d, expected LKC_ERR_PROTOCOL", what, rc);
}

static void malformed_rejected(void)
{
    uint8_t b[64];
    const uint8_t rr[] = {0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0,
                          0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    lkc_rtcp_item_t it[4];
    CHECK_EQ_INT(lkc_rtcp_parse(rr, sizeof rr, it, 4), 1);
    for (size_t n = 0; n < sizeof rr; n++) {
        char what[48];
        snprintf(what, sizeof what, "RR cut to %zu bytes", n);
        expect_protocol(rr, n, what);
    }
    memcpy(b, rr, sizeof rr);
    b[0] = 0x41;
    expect_protocol(b, sizeof rr, "version 1");
    memcpy(b, rr, sizeof rr);
    b[3] = 8;
    expect_protocol(b, sizeof rr, "length past the end");
    memcpy(b, rr, sizeof rr);
    b[0] = 0x82;
    expect_protocol(b, sizeof rr, "two report blocks in room for one");
    memcpy(b, rr, sizeof rr);
    b[1] = 100;
    expect_protocol(b, sizeof rr, "packet type 100");
    memcpy(b, rr, sizeof rr);
    b[0] |= 0x20;
    b[31] = 0;
    expect_protocol(b, sizeof rr, "padding count 0");
    b[31] = 32;
    expect_protocol(b, sizeof rr, "padding over the header");
    b[31] = 4; /* eats into the report block: too short for RC=1 */
    expect_protocol(b, sizeof rr, "padding into the report block");
    memcpy(b, rr, sizeof rr);
    memcpy(b + 32, rr, 4); /* a second packet header claiming 32 bytes, only 4 there */
    expect_protocol(b, 36, "truncated second packet");

    const uint8_t sdes_no_null[] = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 'a', 'b'};
    expect_protocol(sdes_no_null, sizeof sdes_no_null, "SDES chunk without a null octet");
    const uint8_t sdes_long_item[] = {0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 'a', 'b'};
    expect_protocol(sdes_long_item, sizeof sdes_long_item, "SDES item past the end");
    const uint8_t sdes_two_chunks[] = {0x82, 202, 0, 2, 0, 0, 0, 1, 1, 1, 'a', 0};
    expect_protocol(sdes_two_chunks, sizeof sdes_two_chunks, "SDES count 2, one chunk");
    const uint8_t bye_reason[] = {0x81, 203, 0, 2, 0, 0, 0, 1, 9, 'a', 'b', 'c'};
    expect_protocol(bye_reason, sizeof bye_reason, "BYE reason past the end");
    const uint8_t bye_count[] = {0x83, 203, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
    expect_protocol(bye_count, sizeof bye_count, "BYE count 3, two SSRCs");
    const uint8_t nack_empty[] = {0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
    expect_protocol(nack_empty, sizeof nack_empty, "NACK without FCI");
    const uint8_t fb_short[] = {0x81, 206, 0, 1, 0, 0, 0, 1};
    expect_protocol(fb_short, sizeof fb_short, "PLI without media SSRC");
    expect_protocol(rr, 6, "length not a multiple of 4");
    CHECK_EQ_INT(lkc_rtcp_parse(NULL, 8, it, 4), LKC_ERR_INVALID_ARG);
}

static void garbage_is_safe(void)
{
    uint32_t x = 88172645u;
    uint8_t buf[96];
    lkc_rtcp_item_t it[8];
    int accepted = 0;
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = 4 * ((size_t)(iter % 24) + 1);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = (uint8_t)x;
        }
        /* Make plausible headers common: version 2, RTCP type, a length that fits. */
        buf[0] = (uint8_t)(0x80 | (buf[0] & 0x3f));
        buf[1] = (uint8_t)(200 + buf[1] % 8);
        buf[2] = 0;
        buf[3] = (uint8_t)(buf[3] % (n / 4));
        int rc = lkc_rtcp_parse(buf, n, it, 8);
        CHECK(rc >= 0 || rc == LKC_ERR_PROTOCOL, "random input: %d", rc);
        for (int i = 0; i < rc; i++) {
            accepted++;
            CHECK(it[i].raw >= buf && it[i].raw + it[i].raw_len <= buf + n, "item outside input");
            if (it[i].kind == LKC_RTCP_ITEM_NACK) {
                uint16_t lost[256];
                CHECK(lkc_rtcp_nack_lost(&it[i], lost, 256) == it[i].nack_count, "nack count");
            }
            lkc_rtcp_report_block_t rb;
            for (unsigned k = 0; k < it[i].rb_count; k++)
                CHECK_OK(lkc_rtcp_item_report_block(&it[i], k, &rb));
            if (it[i].cname)
                CHECK((const uint8_t *)it[i].cname + it[i].cname_len <= buf + n, "cname outside input");
        }
    }
    CHECK(accepted > 1000, "only %d random items parsed: generator broken?", accepted);
}

static void ntp_time(void)
{
    uint64_t ntp = lkc_rtcp_ntp_from_unix_us(0);
    CHECK(ntp == (uint64_t)2208988800u << 32, "unix epoch -> %llx", (unsigned long long)ntp);
    ntp = lkc_rtcp_ntp_from_unix_us(1500000);
    CHECK(ntp == ((uint64_t)(2208988800u + 1) << 32 | 0x80000000u), "1.5 s -> %llx", (unsigned long long)ntp);
    CHECK_EQ_INT(lkc_rtcp_ntp_mid32(ntp), (uint32_t)(((2208988800u + 1) & 0xffff) << 16 | 0x8000));
    const int64_t samples[] = {0, 1, 999999, 1700000000123456LL, 1700000000999999LL,
                               2085978496000000LL /* 2036-02-07T06:28:16Z: NTP era 1 */,
                               2100000000654321LL};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        int64_t back = lkc_rtcp_ntp_to_unix_us(lkc_rtcp_ntp_from_unix_us(samples[i]));
        CHECK(back == samples[i], "NTP round trip of %lld gave %lld", (long long)samples[i], (long long)back);
    }
    CHECK_EQ_INT(lkc_rtcp_us_to_clock(1000000, 48000), 48000);
    CHECK_EQ_INT(lkc_rtcp_us_to_clock(20000, 48000), 960);
    CHECK_EQ_INT(lkc_rtcp_us_to_clock(1700000000000000LL, 48000), (uint32_t)(1700000000ull * 48000));
}

/* One packet of a synthetic stream: sequence number, timestamp, arrival (ts units). */
typedef struct { uint16_t seq; uint32_t ts; uint32_t arrival; } pkt_t;

static void rx_stats_loss_reorder_wrap(void)
{
    lkc_rtcp_rx_stats_t s;
    lkc_rtcp_rx_stats_init(&s, 77, 48000);
    /* 65530 .. 65535, 0 .. 19: 26 expected. Lose 65533, 2, 3; swap 7 and 8. */
    pkt_t p[32];
    int n = 0;
    for (uint32_t i = 0; i < 26; i++) {
        uint16_t seq = (uint16_t)(65530 + i);
        if (seq == 65533 || seq == 2 || seq == 3)
            continue;
        p[n++] = (pkt_t){seq, 1000 + 960 * i, 0xfffff000u + 960 * i}; /* arrival clock wraps too */
    }
    for (int i = 0; i < n - 1; i++)
        if (p[i].seq == 7) {
            pkt_t t = p[i];
            p[i] = p[i + 1];
            p[i + 1] = t;
            break;
        }
    for (int i = 0; i < n; i++)
        CHECK(lkc_rtcp_rx_stats_update(&s, p[i].seq, p[i].ts, p[i].arrival), "packet %u refused", p[i].seq);
    CHECK_EQ_INT(lkc_rtcp_rx_stats_expected(&s), 26);
    CHECK_EQ_INT(lkc_rtcp_rx_stats_lost(&s), 3);
    CHECK_EQ_INT(lkc_rtcp_rx_stats_ext_highest(&s), 65536 + 19);
    /* Constant transit: no jitter, even with the reordered pair arriving in swapped order. */
    CHECK_EQ_INT(lkc_rtcp_rx_stats_jitter(&s), 0);

    int64_t sr_at = 5000000;
    uint64_t sr_ntp = lkc_rtcp_ntp_from_unix_us(1700000000250000LL);
    lkc_rtcp_rx_stats_on_sr(&s, sr_ntp, sr_at);
    lkc_rtcp_report_block_t rb;
    lkc_rtcp_rx_stats_report(&s, sr_at + 1500000, &rb);
    CHECK_EQ_INT(rb.ssrc, 77);
    CHECK_EQ_INT(rb.cumulative_lost, 3);
    CHECK_EQ_INT(rb.fraction_lost, 3 * 256 / 26);
    CHECK_EQ_INT(rb.ext_highest_seq, 65555);
    CHECK_EQ_INT(rb.lsr, lkc_rtcp_ntp_mid32(sr_ntp));
    CHECK_EQ_INT(rb.dlsr, 98304); /* 1.5 s in 1/65536 s */

    /* Next interval: 20 .. 29 with 25 lost, and one duplicate of 29. */
    for (uint32_t i = 26; i < 36; i++) {
        uint16_t seq = (uint16_t)(65530 + i);
        if (seq != 25)
            lkc_rtcp_rx_stats_update(&s, seq, 1000 + 960 * i, 0xfffff000u + 960 * i);
    }
    lkc_rtcp_rx_stats_report(&s, sr_at + 2500000, &rb);
    CHECK_EQ_INT(rb.cumulative_lost, 4);
    CHECK_EQ_INT(rb.fraction_lost, 256 / 10);
    CHECK_EQ_INT(rb.ext_highest_seq, 65536 + 29);
    /* An interval with nothing new reports no loss. */
    lkc_rtcp_rx_stats_report(&s, sr_at + 3500000, &rb);
    CHECK_EQ_INT(rb.fraction_lost, 0);
    CHECK_EQ_INT(rb.cumulative_lost, 4);
    /* A duplicate counts as received (RFC 3550): cumulative loss goes down. */
    lkc_rtcp_rx_stats_update(&s, 29, 1000 + 960 * 35, 0xfffff000u + 960 * 36);
    CHECK_EQ_INT(lkc_rtcp_rx_stats_lost(&s), 3);
    /* An interval where most packets were lost. */
    lkc_rtcp_rx_stats_report(&s, sr_at + 4500000, &rb);
    lkc_rtcp_rx_stats_update(&s, 40, 0, 0);
    lkc_rtcp_rx_stats_report(&s, sr_at + 5500000, &rb);
    CHECK(rb.fraction_lost >= 200, "fraction %u after losing 10 of 11", rb.fraction_lost);
}

static void rx_stats_jitter(void)
{
    /* Transit alternating 0 / +480 (10 ms at 48 kHz): |D| = 480 every packet, so the
     * A.8 estimate converges to 480. */
    lkc_rtcp_rx_stats_t s;
    lkc_rtcp_rx_stats_init(&s, 1, 48000);
    double ref = 0;
    uint32_t prev_transit = 0;
    for (uint32_t i = 0; i < 400; i++) {
        uint32_t ts = 0x7ffffff0u + 960 * i;
        uint32_t arrival = 123 + 960 * i + ((i & 1) ? 480 : 0);
        lkc_rtcp_rx_stats_update(&s, (uint16_t)(60000 + i), ts, arrival);
        uint32_t transit = arrival - ts;
        if (i > 0)
            ref += (fabs((double)(int32_t)(transit - prev_transit)) - ref) / 16.0;
        prev_transit = transit;
        if (i == 20)
            CHECK(fabs(lkc_rtcp_rx_stats_jitter(&s) - ref) <= 1.0, "after 20: %u vs float %.1f",
                  lkc_rtcp_rx_stats_jitter(&s), ref);
    }
    uint32_t j = lkc_rtcp_rx_stats_jitter(&s);
    CHECK(j >= 478 && j <= 480, "jitter %u, expected ~480", j);

    /* A.1: a big jump is held back until the next packet confirms it; then counts restart. */
    CHECK(!lkc_rtcp_rx_stats_update(&s, 20000, 0, 0), "a lone jump was counted");
    CHECK_EQ_INT(lkc_rtcp_rx_stats_expected(&s), 400);
    CHECK(lkc_rtcp_rx_stats_update(&s, 20001, 960, 960), "the confirming packet was refused");
    CHECK_EQ_INT(lkc_rtcp_rx_stats_expected(&s), 1);
    CHECK_EQ_INT(lkc_rtcp_rx_stats_lost(&s), 0);
    CHECK(lkc_rtcp_rx_stats_update(&s, 20002, 1920, 1920), "in-order packet after restart");
    CHECK_EQ_INT(lkc_rtcp_rx_stats_expected(&s), 2);

    /* Before any packet and any SR, a report is all zeros except the SSRC. */
    lkc_rtcp_rx_stats_t e;
    lkc_rtcp_rx_stats_init(&e, 9, 48000);
    lkc_rtcp_report_block_t rb;
    lkc_rtcp_rx_stats_report(&e, 1000, &rb);
    CHECK(rb.ssrc == 9 && rb.ext_highest_seq == 0 && rb.lsr == 0 && rb.dlsr == 0 && rb.cumulative_lost == 0,
          "empty report");
}

int main(void)
{
    RUN(sr_round_trip);
    RUN(rr_sdes_bye_round_trip);
    RUN(compound);
    RUN(feedback);
    RUN(malformed_rejected);
    RUN(garbage_is_safe);
    RUN(ntp_time);
    RUN(rx_stats_loss_reorder_wrap);
    RUN(rx_stats_jitter);
    return 0;
}
