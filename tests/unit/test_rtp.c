/* rtc/rtp: RTP parse/build, header extensions, audio level, sequence arithmetic. */
#include <math.h>

#include "lkc/error.h"
#include "rtc/rtp.h"
#include "test.h"

static const uint8_t payload[] = {0xf8, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};

static void check_payload(const lkc_rtp_packet_t *p, const uint8_t *want, size_t n)
{
    CHECK_EQ_INT(p->payload_len, n);
    CHECK(memcmp(p->payload, want, n) == 0, "payload bytes differ");
}

static void round_trip_plain(void)
{
    lkc_rtp_header_t h = {.pt = 111, .marker = true, .seq = 65535, .timestamp = 0xfffffc40u,
                          .ssrc = 0xdeadbeefu};
    uint8_t buf[256];
    int n = lkc_rtp_build(&h, payload, sizeof payload, buf, sizeof buf);
    CHECK_EQ_INT(n, 12 + sizeof payload);
    CHECK_EQ_INT(lkc_rtp_header_size(&h), 12);
    CHECK_EQ_INT(buf[0], 0x80);
    CHECK_EQ_INT(buf[1], 0x80 | 111);
    lkc_rtp_packet_t p;
    CHECK_OK(lkc_rtp_parse(buf, (size_t)n, &p));
    CHECK_EQ_INT(p.version, 2);
    CHECK(p.marker && !p.padding && !p.extension, "flags m=%d p=%d x=%d", p.marker, p.padding, p.extension);
    CHECK_EQ_INT(p.pt, 111);
    CHECK_EQ_INT(p.seq, 65535);
    CHECK_EQ_INT(p.timestamp, 0xfffffc40u);
    CHECK_EQ_INT(p.ssrc, 0xdeadbeefu);
    CHECK_EQ_INT(p.csrc_count, 0);
    CHECK_EQ_INT(p.ext_count, 0);
    CHECK_EQ_INT(p.header_len, 12);
    check_payload(&p, payload, sizeof payload);

    /* An empty payload is a valid packet. */
    n = lkc_rtp_build(&h, NULL, 0, buf, sizeof buf);
    CHECK_EQ_INT(n, 12);
    CHECK_OK(lkc_rtp_parse(buf, 12, &p));
    CHECK_EQ_INT(p.payload_len, 0);
}

static void round_trip_one_byte_ext_csrc_padding(void)
{
    const uint8_t level = lkc_rtp_audio_level_byte(true, 30);
    const uint8_t mid[] = {'0'};
    const uint8_t big[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    lkc_rtp_ext_t ext[] = {{1, 1, &level}, {4, 1, mid}, {14, 16, big}};
    uint32_t csrc[] = {0x11111111u, 0x22222222u};
    lkc_rtp_header_t h = {.pt = 111, .seq = 7, .timestamp = 960, .ssrc = 42, .csrc = csrc,
                          .csrc_count = 2, .ext = ext, .ext_count = 3, .padding_len = 7};
    uint8_t buf[256];
    int n = lkc_rtp_build(&h, payload, sizeof payload, buf, sizeof buf);
    /* 12 + 8 CSRC + 4 block header + (2 + 2 + 17 = 21 -> 24) + payload + 7 */
    CHECK_EQ_INT(n, 12 + 8 + 4 + 24 + sizeof payload + 7);
    CHECK_EQ_INT(buf[0], 0x80 | 0x20 | 0x10 | 2);
    CHECK_EQ_INT(buf[20], 0xbe);
    CHECK_EQ_INT(buf[21], 0xde);
    CHECK_EQ_INT(buf[23], 6); /* block length in words */
    CHECK_EQ_INT(buf[24], 0x10); /* id 1, len-1 = 0 */

    lkc_rtp_packet_t p;
    CHECK_OK(lkc_rtp_parse(buf, (size_t)n, &p));
    CHECK(p.padding && p.extension, "P and X bits lost");
    CHECK_EQ_INT(p.csrc_count, 2);
    CHECK_EQ_INT(p.csrc[0], 0x11111111u);
    CHECK_EQ_INT(p.csrc[1], 0x22222222u);
    CHECK_EQ_INT(p.ext_profile, 0xbede);
    CHECK_EQ_INT(p.ext_count, 3);
    CHECK_EQ_INT(p.padding_len, 7);
    CHECK_EQ_INT(p.header_len, 12 + 8 + 4 + 24);
    check_payload(&p, payload, sizeof payload);

    const lkc_rtp_ext_t *e = lkc_rtp_find_ext(&p, 1);
    CHECK(e && e->len == 1, "audio level extension missing");
    bool voice = false;
    uint8_t dbov = 0;
    CHECK_OK(lkc_rtp_audio_level_parse(e->data, e->len, &voice, &dbov));
    CHECK(voice && dbov == 30, "audio level voice=%d level=%u", voice, dbov);
    e = lkc_rtp_find_ext(&p, 4);
    CHECK(e && e->len == 1 && e->data[0] == '0', "mid extension wrong");
    e = lkc_rtp_find_ext(&p, 14);
    CHECK(e && e->len == 16 && memcmp(e->data, big, 16) == 0, "16-byte extension wrong");
    CHECK(lkc_rtp_find_ext(&p, 2) == NULL, "found an extension that is not there");
}

static void round_trip_two_byte_ext(void)
{
    uint8_t long_data[17];
    for (int i = 0; i < 17; i++)
        long_data[i] = (uint8_t)(0xa0 + i);
    /* len 17 and len 0 (and id 200) don't fit the one-byte form. */
    lkc_rtp_ext_t ext[] = {{2, 17, long_data}, {200, 0, NULL}, {1, 1, long_data}};
    lkc_rtp_header_t h = {.pt = 96, .seq = 1, .timestamp = 2, .ssrc = 3, .ext = ext, .ext_count = 3};
    uint8_t buf[256];
    int n = lkc_rtp_build(&h, payload, 5, buf, sizeof buf);
    /* elements 2+17 + 2+0 + 2+1 = 24 bytes */
    CHECK_EQ_INT(n, 12 + 4 + 24 + 5);
    lkc_rtp_packet_t p;
    CHECK_OK(lkc_rtp_parse(buf, (size_t)n, &p));
    CHECK_EQ_INT(p.ext_profile, 0x1000);
    CHECK_EQ_INT(p.ext_count, 3);
    const lkc_rtp_ext_t *e = lkc_rtp_find_ext(&p, 2);
    CHECK(e && e->len == 17 && memcmp(e->data, long_data, 17) == 0, "two-byte element 2 wrong");
    e = lkc_rtp_find_ext(&p, 200);
    CHECK(e && e->len == 0, "zero-length element 200 missing");
    e = lkc_rtp_find_ext(&p, 1);
    CHECK(e && e->len == 1 && e->data[0] == 0xa0, "two-byte element 1 wrong");
    check_payload(&p, payload, 5);

    /* Two-byte profile with app bits 0x1005 is still parsed. */
    buf[12 + 1] = 0x05;
    CHECK_OK(lkc_rtp_parse(buf, (size_t)n, &p));
    CHECK_EQ_INT(p.ext_profile, 0x1005);
    CHECK_EQ_INT(p.ext_count, 3);
}

/* Hand-written bytes: padding bytes between one-byte elements, an ID 15 that ends
 * the block, and an unknown profile that is kept raw. */
static void parse_hand_made(void)
{
    const uint8_t pkt[] = {
        0x90, 0x6f, 0x12, 0x34, 0, 0, 0x03, 0xc0, 0xca, 0xfe, 0xba, 0xbe,
        0xbe, 0xde, 0x00, 0x02,
        0x10, 0x85, 0x00, 0x00, /* id 1 len 1 (0x85: voice, level 5), two padding bytes */
        0x31, 0xaa, 0xbb, 0xf0, /* id 3 len 2, then id 15: stop */
        0xde, 0xad,
    };
    lkc_rtp_packet_t p;
    CHECK_OK(lkc_rtp_parse(pkt, sizeof pkt, &p));
    CHECK_EQ_INT(p.seq, 0x1234);
    CHECK_EQ_INT(p.timestamp, 0x3c0);
    CHECK_EQ_INT(p.ext_count, 2);
    CHECK_EQ_INT(p.ext[0].id, 1);
    CHECK_EQ_INT(p.ext[0].data[0], 0x85);
    CHECK_EQ_INT(p.ext[1].id, 3);
    CHECK_EQ_INT(p.ext[1].len, 2);
    CHECK_EQ_INT(p.ext[1].data[1], 0xbb);
    CHECK_EQ_INT(p.payload_len, 2);
    CHECK_EQ_INT(p.payload[0], 0xde);

    uint8_t other[sizeof pkt];
    memcpy(other, pkt, sizeof pkt);
    other[12] = 0x12; /* profile 0x12de: unknown */
    CHECK_OK(lkc_rtp_parse(other, sizeof other, &p));
    CHECK_EQ_INT(p.ext_profile, 0x12de);
    CHECK_EQ_INT(p.ext_count, 0);
    CHECK_EQ_INT(p.ext_block_len, 8);
    CHECK_EQ_INT(p.payload_len, 2);

    /* More elements than LKC_RTP_MAX_EXT are counted, not listed. */
    uint8_t many[12 + 4 + 40];
    memset(many, 0, sizeof many);
    many[0] = 0x90;
    many[12] = 0xbe;
    many[13] = 0xde;
    many[15] = 10;
    for (int i = 0; i < 20; i++) {
        many[16 + 2 * i] = (uint8_t)(((i % 14) + 1) << 4);
        many[17 + 2 * i] = (uint8_t)i;
    }
    CHECK_OK(lkc_rtp_parse(many, sizeof many, &p));
    CHECK_EQ_INT(p.ext_count, LKC_RTP_MAX_EXT);
    CHECK_EQ_INT(p.ext_skipped, 20 - LKC_RTP_MAX_EXT);
}

static void expect_protocol(const uint8_t *b, size_t n, const char *what)
{
    lkc_rtp_packet_t p;
    int rc = lkc_rtp_parse(b, n, &p);
    CHECK(rc == LKC_ERR_PROTOCOL, "%s: parse returned %d, expected LKC_ERR_PROTOCOL", what, rc);
}

static void malformed_rejected(void)
{
    uint8_t ok[12 + 4 + 4 + 3] = {0x90, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 1,
                                  0x10, 0x7f, 0, 0, 9, 9, 9};
    lkc_rtp_packet_t p;
    CHECK_OK(lkc_rtp_parse(ok, sizeof ok, &p));
    /* Every cut into the header is malformed. */
    for (size_t n = 0; n < p.header_len; n++) {
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu bytes", n);
        expect_protocol(ok, n, what);
    }
    uint8_t b[sizeof ok];

    memcpy(b, ok, sizeof b);
    b[0] = 0x50; /* version 1 */
    expect_protocol(b, sizeof b, "version 1");
    memcpy(b, ok, sizeof b);
    b[0] = 0x9f; /* 15 CSRCs in a 23-byte packet */
    expect_protocol(b, sizeof b, "CSRC count past the end");
    memcpy(b, ok, sizeof b);
    b[15] = 3; /* block of 12 bytes, only 7 remain */
    expect_protocol(b, sizeof b, "extension block past the end");
    memcpy(b, ok, sizeof b);
    b[16] = 0x13; /* id 1, len 4: runs out of the 4-byte block */
    expect_protocol(b, sizeof b, "one-byte element past the block");
    memcpy(b, ok, sizeof b);
    b[16] = 0x02; /* id 0 with a nonzero length */
    expect_protocol(b, sizeof b, "one-byte element with id 0");
    memcpy(b, ok, sizeof b);
    b[12] = 0x10;
    b[13] = 0x00;
    b[16] = 0x05;
    b[17] = 0x03; /* two-byte: id 5, len 3, but only 2 bytes remain */
    expect_protocol(b, sizeof b, "two-byte element past the block");
    memcpy(b, ok, sizeof b);
    b[0] |= 0x20;
    b[sizeof b - 1] = 0; /* padding count 0 */
    expect_protocol(b, sizeof b, "padding count 0");
    b[sizeof b - 1] = 4; /* 4 padding bytes, but only 3 follow the header */
    expect_protocol(b, sizeof b, "padding into the header");
    b[sizeof b - 1] = 3; /* exactly the payload: valid, empty payload */
    CHECK_OK(lkc_rtp_parse(b, sizeof b, &p));
    CHECK_EQ_INT(p.payload_len, 0);

    int rc = lkc_rtp_parse(NULL, 12, &p);
    CHECK_EQ_INT(rc, LKC_ERR_INVALID_ARG);
}

/* Random bytes never crash the parser and a success is always self-consistent. */
static void garbage_is_safe(void)
{
    uint32_t x = 2463534242u;
    uint8_t buf[64];
    int accepted = 0;
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = (size_t)(iter % 64) + 1;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = (uint8_t)x;
        }
        if (iter & 1)
            buf[0] = (uint8_t)(0x80 | (buf[0] & 0x3f)); /* version 2 half the time */
        lkc_rtp_packet_t p;
        if (lkc_rtp_parse(buf, n, &p) == 0) {
            accepted++;
            CHECK(p.header_len + p.payload_len + p.padding_len == n,
                  "lengths %zu + %zu + %u != %zu", p.header_len, p.payload_len, p.padding_len, n);
            for (unsigned i = 0; i < p.ext_count; i++)
                CHECK(p.ext[i].len == 0 || (p.ext[i].data >= buf && p.ext[i].data + p.ext[i].len <= buf + n),
                      "extension %u points outside the packet", i);
        }
    }
    CHECK(accepted > 1000, "only %d random packets parsed: generator broken?", accepted);
}

static void build_errors(void)
{
    uint8_t buf[64];
    lkc_rtp_header_t h = {.pt = 111};
    /* Every capacity below the packet size fails cleanly. */
    for (size_t cap = 0; cap < 12 + 10; cap++) {
        int rc = lkc_rtp_build(&h, payload, 10, buf, cap);
        CHECK(rc == LKC_ERR_TOO_LARGE, "cap %zu: %d", cap, rc);
    }
    CHECK_EQ_INT(lkc_rtp_build(&h, payload, 10, buf, 22), 22);
    h.pt = 128;
    CHECK_EQ_INT(lkc_rtp_build(&h, payload, 10, buf, sizeof buf), LKC_ERR_INVALID_ARG);
    h.pt = 0;
    uint32_t csrc[16] = {0};
    h.csrc = csrc;
    h.csrc_count = 16;
    CHECK_EQ_INT(lkc_rtp_build(&h, payload, 10, buf, sizeof buf), LKC_ERR_INVALID_ARG);
    h.csrc_count = 0;
    lkc_rtp_ext_t bad = {0, 1, payload};
    h.ext = &bad;
    h.ext_count = 1;
    CHECK_EQ_INT(lkc_rtp_build(&h, payload, 10, buf, sizeof buf), LKC_ERR_INVALID_ARG);
    lkc_rtp_ext_t null_data = {3, 2, NULL};
    h.ext = &null_data;
    CHECK_EQ_INT(lkc_rtp_build(&h, payload, 10, buf, sizeof buf), LKC_ERR_INVALID_ARG);
    h.ext_count = 0;
    CHECK_EQ_INT(lkc_rtp_build(&h, NULL, 10, buf, sizeof buf), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_rtp_build(NULL, payload, 10, buf, sizeof buf), LKC_ERR_INVALID_ARG);
    /* An extension with id 15 forces the two-byte form rather than failing. */
    lkc_rtp_ext_t id15 = {15, 1, payload};
    h.ext = &id15;
    h.ext_count = 1;
    int n = lkc_rtp_build(&h, payload, 1, buf, sizeof buf);
    CHECK_EQ_INT(n, 12 + 4 + 4 + 1);
    lkc_rtp_packet_t p;
    CHECK_OK(lkc_rtp_parse(buf, (size_t)n, &p));
    CHECK(p.ext_profile == 0x1000 && p.ext_count == 1 && p.ext[0].id == 15, "id 15 round trip");
}

static void sine(int16_t *out, size_t n, double amplitude)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (int16_t)lrint(amplitude * sin(2.0 * M_PI * 1000.0 * (double)i / 48000.0));
}

static void audio_level(void)
{
    int16_t pcm[960];
    memset(pcm, 0, sizeof pcm);
    CHECK_EQ_INT(lkc_rtp_audio_level_dbov(pcm, 960), 127);
    CHECK_EQ_INT(lkc_rtp_audio_level_dbov(pcm, 0), 127);
    CHECK_EQ_INT(lkc_rtp_audio_level_dbov(NULL, 960), 127);
    sine(pcm, 960, 32767.0);
    CHECK_EQ_INT(lkc_rtp_audio_level_dbov(pcm, 960), 3);
    sine(pcm, 960, 32767.0 * 0.1); /* -20 dBFS sine */
    CHECK_EQ_INT(lkc_rtp_audio_level_dbov(pcm, 960), 23);
    sine(pcm, 960, 32767.0 * 0.001); /* -60 dBFS sine */
    CHECK_EQ_INT(lkc_rtp_audio_level_dbov(pcm, 960), 63);
    for (int i = 0; i < 960; i++)
        pcm[i] = (i & 1) ? -32768 : 32767; /* full-scale square */
    CHECK_EQ_INT(lkc_rtp_audio_level_dbov(pcm, 960), 0);
    memset(pcm, 0, sizeof pcm);
    pcm[0] = 1; /* one LSB in 960 samples: about -120 dBov */
    uint8_t l = lkc_rtp_audio_level_dbov(pcm, 960);
    CHECK(l >= 115 && l <= 127, "tiny signal level %u", l);

    CHECK_EQ_INT(lkc_rtp_audio_level_byte(true, 30), 0x80 | 30);
    CHECK_EQ_INT(lkc_rtp_audio_level_byte(false, 30), 30);
    CHECK_EQ_INT(lkc_rtp_audio_level_byte(false, 500), 127);
    CHECK_EQ_INT(lkc_rtp_audio_level_byte(true, -4), 0x80);
    bool v = true;
    uint8_t lv = 0;
    uint8_t b = 0x7f;
    CHECK_OK(lkc_rtp_audio_level_parse(&b, 1, &v, &lv));
    CHECK(!v && lv == 127, "parse 0x7f: voice=%d level=%u", v, lv);
    CHECK_EQ_INT(lkc_rtp_audio_level_parse(&b, 0, &v, &lv), LKC_ERR_PROTOCOL);
}

static void rtcp_demux(void)
{
    uint8_t b[2] = {0x80, 200}; /* SR */
    CHECK(lkc_rtp_is_rtcp(b, 2), "SR not seen as RTCP");
    b[1] = 201;
    CHECK(lkc_rtp_is_rtcp(b, 2), "RR not seen as RTCP");
    b[1] = 205;
    CHECK(lkc_rtp_is_rtcp(b, 2), "RTPFB not seen as RTCP");
    b[1] = 111;
    CHECK(!lkc_rtp_is_rtcp(b, 2), "Opus pt 111 seen as RTCP");
    b[1] = 0x80 | 111;
    CHECK(!lkc_rtp_is_rtcp(b, 2), "Opus pt 111 with marker seen as RTCP");
    b[1] = 0x80 | 63;
    CHECK(!lkc_rtp_is_rtcp(b, 2), "pt 63 with marker seen as RTCP");
    b[1] = 96;
    CHECK(!lkc_rtp_is_rtcp(b, 2), "pt 96 seen as RTCP");
    CHECK(!lkc_rtp_is_rtcp(b, 1), "1-byte packet seen as RTCP");
}

static void seq_arithmetic(void)
{
    CHECK_EQ_INT(lkc_rtp_seq_diff(65535, 0), 1);
    CHECK_EQ_INT(lkc_rtp_seq_diff(0, 65535), -1);
    CHECK_EQ_INT(lkc_rtp_seq_diff(100, 100), 0);
    CHECK_EQ_INT(lkc_rtp_seq_diff(0, 32767), 32767);
    CHECK_EQ_INT(lkc_rtp_seq_diff(0, 32768), -32768);
    CHECK(lkc_rtp_seq_newer(0, 65535), "0 should be newer than 65535");
    CHECK(!lkc_rtp_seq_newer(65535, 0), "65535 should be older than 0");
    CHECK(!lkc_rtp_seq_newer(5, 5), "equal is not newer");
    CHECK_EQ_INT(lkc_rtp_ts_diff(0xffffffffu, 1), 2);
    CHECK_EQ_INT(lkc_rtp_ts_diff(1, 0xffffffffu), -2);
    CHECK_EQ_INT(lkc_rtp_seq_unwrap(65535, 0), 65536);
    CHECK_EQ_INT(lkc_rtp_seq_unwrap(65536 * 3 + 2, 65534), 65536 * 3 - 2);
    CHECK_EQ_INT(lkc_rtp_ts_unwrap(0xfffffc40LL, 0x3c0), 0x100000000LL + 0x3c0);

    lkc_rtp_seq_extender_t e = {0};
    const uint16_t in[] = {65533, 65534, 65535, 0, 65532, 1, 1, 65535, 2};
    const int64_t want[] = {65533, 65534, 65535, 65536, 65532, 65537, 65537, 65535, 65538};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        int64_t got = lkc_rtp_seq_extend(&e, in[i]);
        CHECK(got == want[i], "step %zu: extend(%u) = %lld, expected %lld", i, in[i], (long long)got,
              (long long)want[i]);
    }
    CHECK_EQ_INT(e.highest, 65538);
    CHECK_EQ_INT((uint32_t)e.highest, 0x00010002u);
    /* Many wraps in order. */
    lkc_rtp_seq_extender_t f = {0};
    int64_t last = 0;
    for (uint32_t i = 0; i < 5 * 65536 + 10; i += 7)
        last = lkc_rtp_seq_extend(&f, (uint16_t)(i + 100));
    CHECK_EQ_INT(last, 5 * 65536 + 10 - 1 - ((5 * 65536 + 10 - 1) % 7) + 100);
}

int main(void)
{
    RUN(round_trip_plain);
    RUN(round_trip_one_byte_ext_csrc_padding);
    RUN(round_trip_two_byte_ext);
    RUN(parse_hand_made);
    RUN(malformed_rejected);
    RUN(garbage_is_safe);
    RUN(build_errors);
    RUN(audio_level);
    RUN(rtcp_demux);
    RUN(seq_arithmetic);
    return 0;
}
