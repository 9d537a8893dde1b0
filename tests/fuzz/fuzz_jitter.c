/* libFuzzer target for media/jitter: the input is a configuration and a script of packet
 * arrivals, playout ticks, clock jumps and resets, so the fuzzer drives the buffer through
 * insert, reorder, duplicate, late, overflow, resync (sequence and timestamp jumps), DTX
 * pauses, long gaps and level control, as tests/unit/test_jitter.c does by hand.
 *
 * Input layout (missing bytes read as 0):
 *   5 config bytes
 *     c0 & 7       capacity: default, 8, 9, 16, 33, 64, 128, 4096
 *     c1 & 7       clock rate: default, 8000, 16000, 24000, 44100, 48000, 96000, 192000
 *     c1 >> 3      initial delay, in 10 ms (0: default)
 *     c2           min delay ms (0: default)
 *     c3           max delay, in 20 ms (0: default; over 5000 ms is invalid: the buffer must
 *                  refuse it, and the defaults are used instead)
 *     c4 & 7       the sender's frame: 20, 10, 20, 40, 60, 20, 120, 5 ms
 *   then operations, one op byte and three argument bytes a, b, c each:
 *     op & 3 == 0|1  push a packet at the current time:
 *                    sequence = previous + 1 (op bit 2) or previous + (int8)a, and + a << 8
 *                    more when op bit 3 is set (a far jump); the timestamp follows the
 *                    sequence at the sender's frame, shifted for good by (int8)b half frames
 *                    when op bit 4 is set (a DTX pause, or a new stream); payload c * 6
 *                    bytes (0: refused, over 1500: too large); marker op bit 5; audio level
 *                    by op bits 6-7: unknown, loud, -30, -100 dBov
 *     op & 3 == 2    pop (a >> 6) + 1 ticks; before the first, the clock moves one tick
 *                    (the duration of the last pop) plus ((a & 0x3f) - 32) * 0.5 ms
 *     op & 3 == 3    a < 16: reset; a < 128: the clock moves a * 10 ms; else (a & 127) * 100 ms
 *
 * Checks, beyond "never crash, never leak, never hang":
 *   - push returns 0, INVALID_ARG for an empty payload, TOO_LARGE over 1500 bytes, and
 *     stats.received counts exactly the packets taken;
 *   - pop returns a lkc_jitter_result_t with a duration of 1 sample .. 120 ms;
 *   - a FRAME is a packet that was pushed: its payload carries the sequence number and
 *     timestamp it was pushed with, which must equal out->seq / out->timestamp; an FEC
 *     payload offered with LOST is the packet right after the missing one;
 *   - while playing (between restarts: reset, resync, NOT_READY), every sequence number the
 *     playout passes is counted once, as played, lost, dropped at overflow or dropped for
 *     drift (a drift drop during a FRAME pop skips a packet; one during SILENCE skips time
 *     only): from one FRAME/LOST to the next the sequence number moves forward by exactly
 *     the growth of that count (so it never goes back, however far overflow jumps);
 *   - stats.played / stats.concealed count the FRAME / LOST results; the target stays
 *     within the configured min..max delay.
 * A broken contract aborts.
 *
 * Built by CMake: fuzz_jitter with -DLKC_FUZZ=ON (clang), fuzz_replay_jitter in every build. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lkc/error.h"
#include "lkc/log.h"
#include "media/jitter.h"

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_jitter: " __VA_ARGS__);                                              \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

static void quiet(lkc_log_level_t level, const char *module, const char *line, void *user)
{
}

static void show(lkc_log_level_t level, const char *module, const char *line, void *user)
{
    fprintf(stderr, "  [%s] %s\n", module, line);
}

/* LKC_FUZZ_TRACE=1 prints every operation and the buffer's debug log: for reading a crash. */
static bool trace;
#define TRACE(...)                                                                                 \
    do {                                                                                           \
        if (trace)                                                                                 \
            fprintf(stderr, __VA_ARGS__);                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads the input byte by byte; past the end, zeros. */
typedef struct {
    const uint8_t *p;
    size_t n, i;
} reader_t;

static uint8_t next(reader_t *r)
{
    return r->i < r->n ? r->p[r->i++] : 0;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Payload: timestamp (4 bytes), sequence number (2), then bytes that depend on both. */
static void make_payload(uint8_t *pl, size_t len, uint16_t seq, uint32_t ts)
{
    pl[0] = (uint8_t)(ts >> 24);
    pl[1] = (uint8_t)(ts >> 16);
    pl[2] = (uint8_t)(ts >> 8);
    pl[3] = (uint8_t)ts;
    pl[4] = (uint8_t)(seq >> 8);
    pl[5] = (uint8_t)seq;
    for (size_t i = 6; i < len; i++)
        pl[i] = (uint8_t)(seq * 7u + ts * 3u + i * 13u);
}

static void check_payload(const uint8_t *pl, size_t len, uint16_t seq, uint32_t ts, const char *what)
{
    if (!pl || len < 6 || len > LKC_JITTER_MAX_PAYLOAD)
        FAIL("%s payload of %zu bytes", what, len);
    uint32_t pts = rd32(pl);
    uint16_t pseq = (uint16_t)(pl[4] << 8 | pl[5]);
    if (pseq != seq || pts != ts)
        FAIL("%s seq %u ts %u carries the payload of seq %u ts %u", what, seq, ts, pseq, pts);
    for (size_t i = 6; i < len; i++)
        if (pl[i] != (uint8_t)(seq * 7u + ts * 3u + i * 13u))
            FAIL("%s payload of seq %u corrupt at byte %zu", what, seq, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t capacities[8] = {0, 8, 9, 16, 33, 64, 128, 4096};
    static const uint32_t rates[8] = {0, 8000, 16000, 24000, 44100, 48000, 96000, 192000};
    static const uint32_t frames_us[8] = {20000, 10000, 20000, 40000, 60000, 20000, 120000, 5000};
    static int init;
    if (!init) {
        trace = getenv("LKC_FUZZ_TRACE") != NULL;
        lkc_set_log(trace ? LKC_LOG_DEBUG : LKC_LOG_ERROR, trace ? show : quiet, NULL);
        init = 1;
    }
    reader_t r = {data, size, 0};
    uint8_t c0 = next(&r), c1 = next(&r), c2 = next(&r), c3 = next(&r), c4 = next(&r);
    lkc_jitter_config_t cfg = {
        .capacity = capacities[c0 & 7],
        .clock_rate = rates[c1 & 7],
        .initial_delay_ms = (uint32_t)(c1 >> 3) * 10,
        .min_delay_ms = c2,
        .max_delay_ms = (uint32_t)c3 * 20,
    };
    bool valid = lkc_jitter_config_check(&cfg) == LKC_OK;
    lkc_jitter_t *jb = lkc_jitter_new(&cfg);
    if ((jb != NULL) != valid)
        FAIL("config check says %d, new gave %p", valid, (void *)jb);
    if (!jb) {
        lkc_jitter_config_default(&cfg);
        jb = lkc_jitter_new(NULL);
        if (!jb)
            abort();
    }
    lkc_jitter_config_t eff; /* the configuration in force, defaults applied */
    lkc_jitter_config_default(&eff);
    if (cfg.clock_rate)
        eff.clock_rate = cfg.clock_rate;
    if (cfg.min_delay_ms)
        eff.min_delay_ms = cfg.min_delay_ms;
    if (cfg.max_delay_ms)
        eff.max_delay_ms = cfg.max_delay_ms;
    uint32_t frame_ts = (uint32_t)((uint64_t)eff.clock_rate * frames_us[c4 & 7] / 1000000);

    int64_t now_us = 1000000;
    int64_t tick_us = 20000;
    uint16_t seq = 0x1234;
    int64_t seq_off = 0;       /* extended sequence offset from the first packet */
    uint32_t ts0 = 0xfffff000u; /* timestamps wrap early */
    uint64_t taken = 0, frames = 0, concealed = 0;
    bool have_last = false;
    uint16_t last_seq = 0;
    uint64_t last_passed = 0;
    uint64_t drift_drops = 0, packet_drops = 0; /* drift drops seen, and those of a packet */
    uint64_t resyncs = 0;
    static uint8_t pl[LKC_JITTER_MAX_PAYLOAD + 32];

    while (r.i < r.n) {
        uint8_t op = next(&r), a = next(&r), b = next(&r), c = next(&r);
        switch (op & 3) {
        case 0:
        case 1: {
            int64_t step = (op & 0x04) ? 1 : (int8_t)a;
            if (op & 0x08)
                step += (int64_t)a << 8;
            seq_off += step;
            seq = (uint16_t)(seq + step);
            if (op & 0x10)
                ts0 += (uint32_t)((int32_t)(int8_t)b * (int32_t)(frame_ts / 2));
            uint32_t ts = ts0 + (uint32_t)((uint64_t)seq_off * frame_ts);
            size_t len = (size_t)c * 6;
            static const int levels[4] = {-1, 0, 30, 100};
            if (len)
                make_payload(pl, len, seq, ts);
            int rc = lkc_jitter_push(jb, seq, ts, now_us, pl, len, (op & 0x20) != 0, levels[op >> 6]);
            int want = len == 0 ? LKC_ERR_INVALID_ARG : len > LKC_JITTER_MAX_PAYLOAD ? LKC_ERR_TOO_LARGE : LKC_OK;
            if (rc != want)
                FAIL("push of %zu bytes returned %d, not %d", len, rc, want);
            TRACE("t=%lld push seq %u ts %u len %zu -> %d\n", (long long)now_us, seq, ts, len, rc);
            if (rc == LKC_OK)
                taken++;
            break;
        }
        case 2: {
            int64_t skew = ((int64_t)(a & 0x3f) - 32) * 500;
            now_us += (tick_us + skew > 0) ? tick_us + skew : 0;
            for (int k = 0; k <= (a >> 6); k++) {
                lkc_jitter_frame_t f;
                int res = lkc_jitter_pop(jb, now_us, &f);
                if (res < LKC_JITTER_FRAME || res > LKC_JITTER_NOT_READY)
                    FAIL("pop returned %d", res);
                TRACE("t=%lld pop -> %d seq %u ts %u dur %u%s\n", (long long)now_us, res, f.seq, f.timestamp,
                      f.duration, f.fec_payload ? " fec" : "");
                if (f.duration == 0 || (uint64_t)f.duration * 1000 > (uint64_t)eff.clock_rate * 120)
                    FAIL("pop duration %u at %u Hz", f.duration, eff.clock_rate);
                tick_us = (int64_t)((uint64_t)f.duration * 1000000 / eff.clock_rate);
                lkc_jitter_stats_t st;
                lkc_jitter_get_stats(jb, &st);
                if (st.resyncs != resyncs || res == LKC_JITTER_NOT_READY)
                    have_last = false; /* a restart: playout starts over anywhere */
                resyncs = st.resyncs;
                if (res == LKC_JITTER_FRAME) {
                    frames++;
                    check_payload(f.payload, f.len, f.seq, f.timestamp, "FRAME");
                } else if (f.payload) {
                    FAIL("result %d with a payload", res);
                }
                if (res == LKC_JITTER_LOST) {
                    concealed++;
                    if (f.fec_payload)
                        check_payload(f.fec_payload, f.fec_len, (uint16_t)(f.seq + 1),
                                      f.fec_len >= 4 ? rd32(f.fec_payload) : 0, "FEC");
                } else if (f.fec_payload) {
                    FAIL("result %d with an FEC payload", res);
                }
                if (res == LKC_JITTER_FRAME)
                    packet_drops += st.drift_drops - drift_drops;
                drift_drops = st.drift_drops;
                if (res == LKC_JITTER_FRAME || res == LKC_JITTER_LOST) {
                    uint64_t passed = st.played + st.lost + st.overflow_drops + packet_drops;
                    if (have_last && (passed <= last_passed || (uint16_t)(last_seq + (passed - last_passed)) != f.seq))
                        FAIL("%s seq %u after %u, with %llu sequence numbers counted in between",
                             res == LKC_JITTER_FRAME ? "FRAME" : "LOST", f.seq, last_seq,
                             (unsigned long long)(passed - last_passed));
                    have_last = true;
                    last_seq = f.seq;
                    last_passed = passed;
                }
                if (st.received != taken || st.played != frames || st.concealed != concealed)
                    FAIL("stats: received %llu of %llu, played %llu of %llu, concealed %llu of %llu",
                         (unsigned long long)st.received, (unsigned long long)taken,
                         (unsigned long long)st.played, (unsigned long long)frames,
                         (unsigned long long)st.concealed, (unsigned long long)concealed);
                if (st.target_ms < eff.min_delay_ms || st.target_ms > eff.max_delay_ms)
                    FAIL("target %u ms outside %u..%u", st.target_ms, eff.min_delay_ms, eff.max_delay_ms);
            }
            break;
        }
        default:
            TRACE("t=%lld %s %u\n", (long long)now_us, a < 16 ? "reset" : "clock +", a);
            if (a < 16) {
                lkc_jitter_reset(jb);
                have_last = false;
            } else if (a < 128) {
                now_us += (int64_t)a * 10000;
            } else {
                now_us += (int64_t)(a & 0x7f) * 100000;
            }
            break;
        }
    }
    lkc_jitter_free(jb);
    return 0;
}
