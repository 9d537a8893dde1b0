/* libFuzzer target for rtc/rtp: the input is one received datagram of an rtcp-mux flow.
 * Besides "never crash, never leak" (the parser borrows the input: every pointer it hands
 * back must stay inside it), it checks on every packet the parser accepts:
 *   - the view adds up: header + payload + padding = the input, extensions inside the block;
 *   - the audio-level reading (RFC 6464) of every extension gives back its byte through
 *     lkc_rtp_audio_level_byte, and lkc_rtp_find_ext finds the first element of an id;
 *   - build(parse(x)) re-parses to the same fields, extensions and payload, is as long as
 *     lkc_rtp_header_size says, refuses a buffer one byte short, and building again from
 *     the re-parsed packet gives the same bytes.
 * It also reads the input as int16 PCM for lkc_rtp_audio_level_dbov and as a run of 16-bit
 * sequence numbers for lkc_rtp_seq_extend (the extended value must keep the low 16 bits and
 * stay within half a cycle of the highest seen). A broken contract aborts.
 *
 * Built by CMake: fuzz_rtp with -DLKC_FUZZ=ON (clang), fuzz_replay_rtp in every build. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lkc/error.h"
#include "lkc/log.h"
#include "rtc/rtp.h"

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_rtp: " __VA_ARGS__);                                                 \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

static void quiet(lkc_log_level_t level, const char *module, const char *line, void *user)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t size)
{
    return p >= buf && n <= size && (size_t)(p - buf) <= size - n;
}

/* The parsed view must only point into the bytes it was parsed from. */
static void check_view(const lkc_rtp_packet_t *p, const uint8_t *buf, size_t size)
{
    if (p->version != LKC_RTP_VERSION || p->pt > 127 || p->csrc_count > LKC_RTP_MAX_CSRC)
        FAIL("version %u pt %u csrc_count %u", p->version, p->pt, p->csrc_count);
    if (p->header_len < LKC_RTP_HEADER_LEN + 4u * p->csrc_count ||
        p->header_len + p->payload_len + p->padding_len != size)
        FAIL("header %zu + payload %zu + padding %u != %zu", p->header_len, p->payload_len,
             p->padding_len, size);
    if (p->payload != buf + p->header_len)
        FAIL("payload does not follow the header");
    if (p->padding != (p->padding_len > 0))
        FAIL("P bit %d with %u padding bytes", p->padding, p->padding_len);
    if (!p->extension && (p->ext_block || p->ext_count || p->ext_block_len))
        FAIL("extension elements without the X bit");
    if (p->extension && !inside(p->ext_block, p->ext_block_len, buf, p->header_len))
        FAIL("extension block outside the header");
    if (p->ext_block_len % 4)
        FAIL("extension block of %zu bytes", p->ext_block_len);
    if (p->ext_count > LKC_RTP_MAX_EXT || (p->ext_skipped && p->ext_count != LKC_RTP_MAX_EXT))
        FAIL("%u extensions listed, %u skipped", p->ext_count, p->ext_skipped);
    for (unsigned i = 0; i < p->ext_count; i++) {
        const lkc_rtp_ext_t *e = &p->ext[i];
        if (e->id == 0)
            FAIL("extension %u has id 0", i);
        if (e->len && !inside(e->data, e->len, p->ext_block, p->ext_block_len))
            FAIL("extension %u (id %u, %u bytes) outside its block", i, e->id, e->len);
        if (p->ext_profile == LKC_RTP_EXT_PROFILE_ONE_BYTE && (e->id > 14 || e->len < 1 || e->len > 16))
            FAIL("one-byte element id %u len %u", e->id, e->len);
    }
}

/* Every element read as an audio level: the byte comes back from its two halves. */
static void check_audio_levels(const lkc_rtp_packet_t *p)
{
    for (unsigned i = 0; i < p->ext_count; i++) {
        const lkc_rtp_ext_t *e = &p->ext[i];
        const lkc_rtp_ext_t *first = lkc_rtp_find_ext(p, e->id);
        if (!first || first > e || first->id != e->id)
            FAIL("find_ext(%u) did not find the first element with that id", e->id);
        bool voice = false;
        uint8_t level = 0xff;
        int rc = lkc_rtp_audio_level_parse(e->data, e->len, &voice, &level);
        if (e->len == 0) {
            if (rc != LKC_ERR_PROTOCOL)
                FAIL("audio level of an empty element: %d", rc);
            continue;
        }
        if (rc != LKC_OK || level > 127 || lkc_rtp_audio_level_byte(voice, level) != e->data[0])
            FAIL("audio level 0x%02x read as voice %d level %u (rc %d)", e->data[0], voice, level, rc);
        if (lkc_rtp_audio_level_parse(e->data, e->len, NULL, NULL) != LKC_OK)
            FAIL("audio level with NULL outputs");
    }
}

static void compare(const lkc_rtp_packet_t *a, const lkc_rtp_packet_t *b)
{
    if (a->pt != b->pt || a->marker != b->marker || a->seq != b->seq || a->timestamp != b->timestamp ||
        a->ssrc != b->ssrc || a->csrc_count != b->csrc_count || a->padding_len != b->padding_len)
        FAIL("rebuilt header differs (pt %u/%u seq %u/%u ts %u/%u padding %u/%u)", a->pt, b->pt, a->seq,
             b->seq, a->timestamp, b->timestamp, a->padding_len, b->padding_len);
    if (memcmp(a->csrc, b->csrc, a->csrc_count * sizeof a->csrc[0]) != 0)
        FAIL("rebuilt CSRCs differ");
    if (a->payload_len != b->payload_len || (a->payload_len && memcmp(a->payload, b->payload, a->payload_len)))
        FAIL("rebuilt payload differs (%zu/%zu bytes)", a->payload_len, b->payload_len);
    if (a->ext_count != b->ext_count || b->ext_skipped)
        FAIL("rebuilt packet lists %u extensions (+%u skipped), not %u", b->ext_count, b->ext_skipped,
             a->ext_count);
    if (b->extension != (b->ext_count > 0))
        FAIL("rebuilt X bit %d with %u elements", b->extension, b->ext_count);
    for (unsigned i = 0; i < a->ext_count; i++) {
        const lkc_rtp_ext_t *x = &a->ext[i], *y = &b->ext[i];
        if (x->id != y->id || x->len != y->len || (x->len && memcmp(x->data, y->data, x->len)))
            FAIL("rebuilt extension %u differs (id %u/%u len %u/%u)", i, x->id, y->id, x->len, y->len);
    }
}

static lkc_rtp_header_t header_of(const lkc_rtp_packet_t *p)
{
    return (lkc_rtp_header_t){
        .pt = p->pt, .marker = p->marker, .seq = p->seq, .timestamp = p->timestamp, .ssrc = p->ssrc,
        .csrc = p->csrc, .csrc_count = p->csrc_count, .ext = p->ext, .ext_count = p->ext_count,
        .padding_len = p->padding_len,
    };
}

static void check_round_trip(const lkc_rtp_packet_t *p)
{
    lkc_rtp_header_t h = header_of(p);
    int hs = lkc_rtp_header_size(&h);
    if (hs < LKC_RTP_HEADER_LEN)
        FAIL("header_size of a parsed packet: %d", hs);
    size_t want = (size_t)hs + p->payload_len + p->padding_len;
    /* The listed elements never need more room than the block they came from. */
    if ((size_t)hs > p->header_len)
        FAIL("rebuilt header of %d bytes from one of %zu", hs, p->header_len);
    uint8_t *buf = malloc(want);
    uint8_t *again = malloc(want);
    if (!buf || !again)
        abort();
    if (want > 0 && lkc_rtp_build(&h, p->payload, p->payload_len, buf, want - 1) != LKC_ERR_TOO_LARGE)
        FAIL("build into a buffer one byte short did not say TOO_LARGE");
    int n = lkc_rtp_build(&h, p->payload, p->payload_len, buf, want);
    if (n < 0 || (size_t)n != want)
        FAIL("build returned %d, header_size says %zu", n, want);
    lkc_rtp_packet_t q;
    if (lkc_rtp_parse(buf, (size_t)n, &q) != LKC_OK)
        FAIL("rebuilt packet does not parse");
    check_view(&q, buf, (size_t)n);
    if (q.header_len != (size_t)hs)
        FAIL("rebuilt header is %zu bytes, header_size said %d", q.header_len, hs);
    compare(p, &q);
    lkc_rtp_header_t h2 = header_of(&q);
    int n2 = lkc_rtp_build(&h2, q.payload, q.payload_len, again, want);
    if (n2 != n || memcmp(buf, again, want) != 0)
        FAIL("building is not stable");
    free(again);
    free(buf);
}

static void check_pcm_level(const uint8_t *data, size_t size)
{
    size_t n = size / 2;
    int16_t *pcm = malloc(n ? n * sizeof *pcm : 1);
    if (!pcm)
        abort();
    memcpy(pcm, data, n * sizeof *pcm);
    uint8_t level = lkc_rtp_audio_level_dbov(pcm, n);
    bool silent = true;
    for (size_t i = 0; i < n && silent; i++)
        silent = pcm[i] == 0;
    if (level > LKC_RTP_AUDIO_LEVEL_SILENT || (silent && level != LKC_RTP_AUDIO_LEVEL_SILENT))
        FAIL("audio level %u of %zu samples (silent %d)", level, n, silent);
    free(pcm);
}

static void check_seq_extend(const uint8_t *data, size_t size)
{
    lkc_rtp_seq_extender_t e = {0};
    for (size_t i = 0; i + 2 <= size; i += 2) {
        uint16_t seq = (uint16_t)(data[i] << 8 | data[i + 1]);
        bool started = e.started;
        int64_t before = e.highest;
        int64_t ext = lkc_rtp_seq_extend(&e, seq);
        if ((uint16_t)ext != seq || e.highest < before || e.highest < ext)
            FAIL("seq %u extended to %lld (highest %lld -> %lld)", seq, (long long)ext, (long long)before,
                 (long long)e.highest);
        if (started && (ext - before > 32767 || before - ext > 32768))
            FAIL("seq %u extended to %lld, more than half a cycle from %lld", seq, (long long)ext,
                 (long long)before);
        uint16_t prev = (uint16_t)before;
        if (lkc_rtp_seq_newer(seq, prev) != (lkc_rtp_seq_diff(prev, seq) > 0) ||
            (uint16_t)(prev + lkc_rtp_seq_diff(prev, seq)) != seq)
            FAIL("seq arithmetic on %u, %u", prev, seq);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        lkc_set_log(LKC_LOG_ERROR, quiet, NULL);
        init = 1;
    }
    check_pcm_level(data, size);
    check_seq_extend(data, size);

    bool rtcp = lkc_rtp_is_rtcp(data, size);
    if (rtcp != (size >= 2 && (data[1] & 0x7f) >= 64 && (data[1] & 0x7f) <= 95))
        FAIL("is_rtcp %d for byte 0x%02x", rtcp, size >= 2 ? data[1] : 0);

    lkc_rtp_packet_t p;
    int rc = lkc_rtp_parse(data, size, &p);
    if (rc != LKC_OK) {
        if (rc != LKC_ERR_PROTOCOL)
            FAIL("parse failed with %d, not PROTOCOL", rc);
        return 0;
    }
    check_view(&p, data, size);
    check_audio_levels(&p);
    check_round_trip(&p);
    return 0;
}
