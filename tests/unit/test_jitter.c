/* media/jitter: the adaptive audio jitter buffer, driven by simulated arrivals and
 * a playout tick. All time is simulated: the results are exact. */
#include "lkc/error.h"
#include "media/jitter.h"
#include "test.h"

#define MS 1000LL

/* One simulated packet. Payload bytes carry the sequence number, so a FRAME can be
 * checked against what was sent. */
typedef struct {
    int64_t arrival_us;
    uint16_t seq;
    uint32_t ts;
} spkt_t;

/* What one run saw, pop by pop. */
typedef struct {
    int n;
    int *result;
    uint16_t *seq;
    bool *fec;
    uint32_t *target_ms;
    uint32_t *buffered_ms;
    int count[LKC_JITTER_NOT_READY + 1];
    uint32_t max_target_ms, max_buffered_ms;
} run_t;

static uint32_t rng = 2463534242u;

static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return (double)rng / 4294967296.0;
}

static void payload_for(uint16_t seq, uint8_t *pl, size_t *len)
{
    pl[0] = (uint8_t)(seq >> 8);
    pl[1] = (uint8_t)seq;
    memset(pl + 2, 0xab, 8);
    *len = 2 + seq % 9; /* varying sizes */
}

/* The audio level of each packet (-1: unknown), for the tests that set it. */
static int (*level_of)(uint16_t seq);

static void push(lkc_jitter_t *jb, const spkt_t *p)
{
    uint8_t pl[16];
    size_t len;
    payload_for(p->seq, pl, &len);
    CHECK_OK(lkc_jitter_push(jb, p->seq, p->ts, p->arrival_us, pl, len, false, level_of ? level_of(p->seq) : -1));
}

static int by_arrival(const void *a, const void *b)
{
    const spkt_t *x = a, *y = b;
    return x->arrival_us < y->arrival_us ? -1 : x->arrival_us > y->arrival_us;
}

/* Pushes packets as they arrive and pops every `tick_us` from `first_pop_us`. */
static run_t simulate(lkc_jitter_t *jb, spkt_t *pk, int n, int64_t first_pop_us, int64_t tick_us, int pops)
{
    qsort(pk, (size_t)n, sizeof *pk, by_arrival); /* stable enough: ties keep no order */
    run_t r = {0};
    r.n = pops;
    r.result = calloc((size_t)pops, sizeof *r.result);
    r.seq = calloc((size_t)pops, sizeof *r.seq);
    r.fec = calloc((size_t)pops, sizeof *r.fec);
    r.target_ms = calloc((size_t)pops, sizeof *r.target_ms);
    r.buffered_ms = calloc((size_t)pops, sizeof *r.buffered_ms);
    CHECK(r.result && r.seq && r.fec && r.target_ms && r.buffered_ms, "out of memory");
    int i = 0;
    for (int k = 0; k < pops; k++) {
        int64_t now = first_pop_us + k * tick_us;
        while (i < n && pk[i].arrival_us <= now)
            push(jb, &pk[i++]);
        lkc_jitter_frame_t f;
        int res = lkc_jitter_pop(jb, now, &f);
        CHECK(res >= LKC_JITTER_FRAME && res <= LKC_JITTER_NOT_READY, "pop %d returned %d", k, res);
        r.result[k] = res;
        r.count[res]++;
        r.seq[k] = f.seq;
        r.fec[k] = f.fec_payload != NULL;
        if (res == LKC_JITTER_FRAME) {
            uint8_t want[16];
            size_t len;
            payload_for(f.seq, want, &len);
            CHECK(f.len == len && memcmp(f.payload, want, len) == 0, "pop %d: payload of seq %u wrong", k, f.seq);
        }
        if (res == LKC_JITTER_LOST && f.fec_payload) {
            uint8_t want[16];
            size_t len;
            payload_for((uint16_t)(f.seq + 1), want, &len);
            CHECK(f.fec_len == len && memcmp(f.fec_payload, want, len) == 0, "pop %d: FEC payload is not seq %u",
                  k, (uint16_t)(f.seq + 1));
        }
        lkc_jitter_stats_t st;
        lkc_jitter_get_stats(jb, &st);
        r.target_ms[k] = st.target_ms;
        r.buffered_ms[k] = st.buffered_ms;
        if (st.target_ms > r.max_target_ms)
            r.max_target_ms = st.target_ms;
        if (st.buffered_ms > r.max_buffered_ms)
            r.max_buffered_ms = st.buffered_ms;
    }
    return r;
}

static void run_free(run_t *r)
{
    free(r->result);
    free(r->seq);
    free(r->fec);
    free(r->target_ms);
    free(r->buffered_ms);
}

/* FRAME sequence numbers must increase by one, except across LOST ticks or the
 * given number of skipped packets in total. */
static int frames_in_order(const run_t *r)
{
    int played = 0;
    bool have = false;
    uint16_t last = 0;
    for (int k = 0; k < r->n; k++) {
        if (r->result[k] == LKC_JITTER_FRAME) {
            if (have)
                CHECK((int16_t)(uint16_t)(r->seq[k] - last) > 0, "pop %d: seq %u after %u", k, r->seq[k], last);
            last = r->seq[k];
            have = true;
            played++;
        }
    }
    return played;
}

/* A regular stream: packet i of n sent every `period_us`, arriving after `jitter`. */
static spkt_t *stream(int n, uint16_t seq0, uint32_t ts0, uint32_t step, double period_us)
{
    spkt_t *pk = calloc((size_t)n, sizeof *pk);
    CHECK(pk != NULL, "out of memory");
    for (int i = 0; i < n; i++) {
        pk[i].seq = (uint16_t)(seq0 + i);
        pk[i].ts = ts0 + (uint32_t)i * step;
        pk[i].arrival_us = (int64_t)(i * period_us);
    }
    return pk;
}

static lkc_jitter_t *new_jb(uint32_t capacity)
{
    lkc_jitter_config_t c = {.capacity = capacity};
    lkc_jitter_t *jb = lkc_jitter_new(&c);
    CHECK(jb != NULL, "lkc_jitter_new failed");
    return jb;
}

static void in_order(void)
{
    lkc_jitter_t *jb = new_jb(0);
    spkt_t *pk = stream(100, 1000, 0xfffff000u, 960, 20 * MS); /* timestamps wrap too */
    run_t r = simulate(jb, pk, 100, 5 * MS, 20 * MS, 100);
    /* Buffering holds the first tick until two frames (40 ms, the initial target) are in. */
    CHECK_EQ_INT(r.result[0], LKC_JITTER_NOT_READY);
    CHECK_EQ_INT(r.result[1], LKC_JITTER_FRAME);
    CHECK_EQ_INT(r.seq[1], 1000);
    for (int k = 1; k < 100; k++) {
        CHECK(r.result[k] == LKC_JITTER_FRAME, "pop %d: result %d", k, r.result[k]);
        CHECK(r.seq[k] == 1000 + k - 1, "pop %d: seq %u", k, r.seq[k]);
    }
    CHECK_EQ_INT(frames_in_order(&r), 99);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK_EQ_INT(st.received, 100);
    CHECK_EQ_INT(st.played, 99);
    CHECK(st.late == 0 && st.lost == 0 && st.duplicates == 0 && st.reordered == 0 && st.resyncs == 0,
          "late %llu lost %llu dup %llu reord %llu resync %llu", (unsigned long long)st.late,
          (unsigned long long)st.lost, (unsigned long long)st.duplicates, (unsigned long long)st.reordered,
          (unsigned long long)st.resyncs);
    CHECK_EQ_INT(st.frame_ms, 20);
    CHECK_EQ_INT(st.buffered_ms, 20); /* the last packet, not yet played */
    CHECK(r.buffered_ms[50] == 20, "steady buffered %u ms after a pop", r.buffered_ms[50]);
    run_free(&r);
    free(pk);
    lkc_jitter_free(jb);
}

static void reorder_within_target(void)
{
    lkc_jitter_t *jb = new_jb(0);
    spkt_t *pk = stream(100, 7, 1234, 960, 20 * MS);
    /* Every 10th packet arrives 21 ms late, after its successor, still before its tick. */
    for (int i = 10; i < 100; i += 10)
        pk[i].arrival_us += 21 * MS;
    run_t r = simulate(jb, pk, 100, 5 * MS, 20 * MS, 100);
    CHECK_EQ_INT(frames_in_order(&r), 99);
    CHECK_EQ_INT(r.count[LKC_JITTER_LOST], 0);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK_EQ_INT(st.reordered, 9);
    CHECK_EQ_INT(st.late, 0);
    CHECK_EQ_INT(st.lost, 0);
    run_free(&r);
    free(pk);
    lkc_jitter_free(jb);

    /* Reordered before playout starts: the earlier packet becomes the start. */
    jb = new_jb(0);
    spkt_t first[3] = {{0, 11, 960}, {5 * MS, 10, 0}, {20 * MS, 12, 1920}};
    for (int i = 0; i < 3; i++)
        push(jb, &first[i]);
    lkc_jitter_frame_t f;
    CHECK_EQ_INT(lkc_jitter_pop(jb, 25 * MS, &f), LKC_JITTER_FRAME);
    CHECK_EQ_INT(f.seq, 10);
    CHECK_EQ_INT(lkc_jitter_pop(jb, 45 * MS, &f), LKC_JITTER_FRAME);
    CHECK_EQ_INT(f.seq, 11);
    lkc_jitter_free(jb);
}

static void loss_gives_lost_with_fec_hint(void)
{
    lkc_jitter_t *jb = new_jb(0);
    spkt_t *pk = stream(100, 65530, 0, 960, 20 * MS);
    /* Drop seq 65534 (index 4) and a burst of three (indexes 40..42). */
    int n = 0;
    for (int i = 0; i < 100; i++)
        if (i != 4 && (i < 40 || i > 42))
            pk[n++] = pk[i];
    run_t r = simulate(jb, pk, n, 5 * MS, 20 * MS, 100);
    /* Packet i plays at pop i + 1, so the LOST for index 4 is exactly pop 5. */
    CHECK_EQ_INT(r.result[4], LKC_JITTER_FRAME);
    CHECK_EQ_INT(r.result[5], LKC_JITTER_LOST);
    CHECK_EQ_INT(r.seq[5], 65534);
    CHECK(r.fec[5], "no FEC hint though seq 65535 was already here");
    CHECK_EQ_INT(r.result[6], LKC_JITTER_FRAME);
    CHECK_EQ_INT(r.seq[6], 65535);
    /* The burst: the tick of index 40 and 41 see nothing, 42 is concealed with FEC
     * from 43, then 43 plays on time. */
    CHECK_EQ_INT(r.result[39 + 1], LKC_JITTER_FRAME);
    for (int k = 41; k <= 43; k++)
        CHECK(r.result[k] == LKC_JITTER_EMPTY || r.result[k] == LKC_JITTER_LOST, "pop %d: %d", k, r.result[k]);
    CHECK_EQ_INT(r.result[43], LKC_JITTER_LOST);
    CHECK(r.fec[43], "burst end: no FEC hint");
    CHECK_EQ_INT(r.result[44], LKC_JITTER_FRAME);
    CHECK_EQ_INT(r.seq[44], (uint16_t)(65530 + 43));
    CHECK_EQ_INT(frames_in_order(&r), 95);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK_EQ_INT(st.lost, 4);
    CHECK_EQ_INT(st.concealed, 2);
    CHECK_EQ_INT(st.late, 0);
    run_free(&r);
    free(pk);
    lkc_jitter_free(jb);
}

static void duplicates_dropped(void)
{
    lkc_jitter_t *jb = new_jb(0);
    spkt_t *pk = stream(60, 100, 0, 960, 20 * MS);
    spkt_t *all = calloc(121, sizeof *all);
    for (int i = 0; i < 60; i++) {
        all[2 * i] = pk[i];
        all[2 * i + 1] = pk[i];
        all[2 * i + 1].arrival_us += 3 * MS; /* a copy while the original is held */
    }
    all[120] = pk[10];
    all[120].arrival_us = 600 * MS; /* a copy long after seq 110 played */
    run_t r = simulate(jb, all, 121, 5 * MS, 20 * MS, 60);
    CHECK_EQ_INT(frames_in_order(&r), 59);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK_EQ_INT(st.duplicates, 61);
    CHECK_EQ_INT(st.late, 0);
    CHECK_EQ_INT(st.received, 121);
    run_free(&r);
    free(pk);
    free(all);
    lkc_jitter_free(jb);
}

static void late_packet_dropped(void)
{
    lkc_jitter_t *jb = new_jb(0);
    spkt_t *pk = stream(100, 0, 0, 960, 20 * MS);
    pk[20].arrival_us += 100 * MS; /* far past its playout */
    run_t r = simulate(jb, pk, 100, 5 * MS, 20 * MS, 100);
    CHECK_EQ_INT(r.result[21], LKC_JITTER_LOST);
    CHECK_EQ_INT(r.seq[21], 20);
    for (int k = 0; k < 100; k++)
        CHECK(!(r.result[k] == LKC_JITTER_FRAME && r.seq[k] == 20), "late seq 20 was played at pop %d", k);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK_EQ_INT(st.late, 1);
    CHECK(r.max_target_ms >= 100, "a 100 ms late packet left the target at %u ms", r.max_target_ms);
    run_free(&r);
    free(pk);
    lkc_jitter_free(jb);
}

static void sequence_wrap(void)
{
    lkc_jitter_t *jb = new_jb(0);
    spkt_t *pk = stream(200, 65436, 0x7fffff00u, 960, 20 * MS);
    pk[100].arrival_us += 22 * MS; /* seq 0 arrives after 1 */
    run_t r = simulate(jb, pk, 200, 5 * MS, 20 * MS, 200);
    CHECK_EQ_INT(frames_in_order(&r), 199);
    CHECK_EQ_INT(r.count[LKC_JITTER_LOST], 0);
    CHECK_EQ_INT(r.seq[100], 65535);
    CHECK_EQ_INT(r.seq[101], 0);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK(st.resyncs == 0 && st.lost == 0 && st.late == 0 && st.discarded == 0, "wrap disturbed the stream");
    run_free(&r);
    free(pk);
    lkc_jitter_free(jb);
}

/* Opus DTX: sequence numbers continue, timestamps and arrivals jump. */
static void dtx_gap_no_lost_storm(void)
{
    lkc_jitter_t *jb = new_jb(0);
    spkt_t pk[150];
    int n = 0;
    int64_t t = 0;
    uint32_t ts = 5000;
    for (int i = 0; i < 150; i++) {
        if (i == 50) { /* 300 ms pause */
            t += 300 * MS;
            ts += 15 * 960;
        }
        if (i == 100) { /* a 3 s pause: longer than anything worth concealing */
            t += 3000 * MS;
            ts += 150 * 960;
        }
        pk[n++] = (spkt_t){t, (uint16_t)(40000 + i), ts};
        t += 20 * MS;
        ts += 960;
    }
    run_t r = simulate(jb, pk, n, 5 * MS, 20 * MS, 330);
    CHECK_EQ_INT(r.count[LKC_JITTER_LOST], 0);
    CHECK_EQ_INT(r.count[LKC_JITTER_INSERT], 0);
    CHECK_EQ_INT(frames_in_order(&r), 150);
    CHECK(r.count[LKC_JITTER_SILENCE] >= 1, "the packet after the pause never waited as SILENCE");
    CHECK(r.count[LKC_JITTER_EMPTY] + r.count[LKC_JITTER_SILENCE] >= 14, "the pause produced %d quiet ticks",
          r.count[LKC_JITTER_EMPTY] + r.count[LKC_JITTER_SILENCE]);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK_EQ_INT(st.lost, 0);
    CHECK_EQ_INT(st.concealed, 0);
    CHECK_EQ_INT(st.late, 0);
    /* After the long pause playout starts over (NOT_READY, then buffering). */
    int nr = 0;
    for (int k = 60; k < r.n; k++)
        nr += r.result[k] == LKC_JITTER_NOT_READY;
    CHECK(nr >= 90, "only %d NOT_READY ticks during a 3 s pause", nr);
    run_free(&r);
    lkc_jitter_free(jb);
}

/* The sender's clock runs `ppm` fast (or slow); arrivals carry ~1 ms of jitter. */
static void drift(double rate_factor, bool faster)
{
    lkc_jitter_t *jb = new_jb(0);
    int n = (int)(60 * 50 * rate_factor) + 50;
    spkt_t *pk = stream(n, 0, 0, 960, 20 * MS / rate_factor);
    for (int i = 0; i < n; i++)
        pk[i].arrival_us += (int64_t)(uniform() * 2 * MS);
    run_t r = simulate(jb, pk, n, 5 * MS, 20 * MS, 3000); /* 60 s of playout */
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    fprintf(stderr, "   drift x%.2f: drops %llu inserts %llu late %llu lost %llu max buffered %u ms\n", rate_factor,
            (unsigned long long)st.drift_drops, (unsigned long long)st.drift_inserts, (unsigned long long)st.late,
            (unsigned long long)st.lost, r.max_buffered_ms);
    /* 1% of 60 s is 600 ms: 30 frames to drop or insert. */
    uint64_t adjust = faster ? st.drift_drops : st.drift_inserts;
    uint64_t other = faster ? st.drift_inserts : st.drift_drops;
    CHECK(adjust >= 25 && adjust <= 36, "%s sender: %llu adjustments for 30 frames of drift",
          faster ? "fast" : "slow", (unsigned long long)adjust);
    CHECK(other <= 3, "%llu adjustments the wrong way", (unsigned long long)other);
    CHECK(r.max_buffered_ms <= 100, "buffer grew to %u ms", r.max_buffered_ms);
    int quiet = 0;
    for (int k = 100; k < r.n; k++)
        quiet += r.result[k] != LKC_JITTER_FRAME && r.result[k] != LKC_JITTER_INSERT;
    CHECK(quiet <= 3, "%d ticks without audio while drifting", quiet);
    CHECK(st.late <= 2, "%llu late packets", (unsigned long long)st.late);
    run_free(&r);
    free(pk);
    lkc_jitter_free(jb);
}

static void drift_fast_sender(void)
{
    drift(1.01, true);
}

static void drift_slow_sender(void)
{
    drift(0.99, false);
}

static int loud_but_every_40th(uint16_t seq)
{
    return seq % 40 == 0 ? 90 : 20; /* -90 dBov (a pause) or -20 dBov (speech) */
}

static int always_loud(uint16_t seq)
{
    (void)seq;
    return 20;
}

/* A fast sender's surplus is dropped in quiet frames when there are some, and, when
 * the audio is never quiet, still dropped, only later. */
static void drift_drops_quiet_frames(void)
{
    for (int pass = 0; pass < 2; pass++) {
        level_of = pass == 0 ? loud_but_every_40th : always_loud;
        lkc_jitter_t *jb = new_jb(0);
        int n = (int)(60 * 50 * 1.01) + 50;
        spkt_t *pk = stream(n, 0, 0, 960, 20 * MS / 1.01);
        run_t r = simulate(jb, pk, n, 5 * MS, 20 * MS, 3000);
        lkc_jitter_stats_t st;
        lkc_jitter_get_stats(jb, &st);
        /* which packets were never played */
        bool *played = calloc((size_t)n, 1);
        uint16_t last = 0;
        for (int k = 0; k < r.n; k++)
            if (r.result[k] == LKC_JITTER_FRAME)
                played[r.seq[k]] = true, last = r.seq[k];
        int skipped = 0, loud_skipped = 0;
        for (uint16_t q = 1; q < last; q++)
            if (!played[q])
                skipped++, loud_skipped += level_of(q) < 50;
        fprintf(stderr, "   %s: drops %llu (%d loud), max buffered %u ms\n", pass ? "always loud" : "quiet every 40th",
                (unsigned long long)st.drift_drops, loud_skipped, r.max_buffered_ms);
        CHECK_EQ_INT(skipped, (int)st.drift_drops);
        if (pass == 0) {
            CHECK(st.drift_drops >= 25, "only %llu drops for 30 frames of drift", (unsigned long long)st.drift_drops);
            CHECK_EQ_INT(loud_skipped, 0);
        } else {
            CHECK(st.drift_drops >= 15, "only %llu drops for 30 frames of drift", (unsigned long long)st.drift_drops);
        }
        CHECK(r.max_buffered_ms <= 120, "buffer grew to %u ms", r.max_buffered_ms);
        free(played);
        run_free(&r);
        free(pk);
        lkc_jitter_free(jb);
    }
    level_of = NULL;
}

/* 20 s calm (about 1 ms jitter), 10 s rough (0..60 ms), then 40 s calm again. */
static void target_follows_jitter(void)
{
    lkc_jitter_t *jb = new_jb(0);
    int n = 70 * 50;
    spkt_t *pk = stream(n, 0, 0, 960, 20 * MS);
    for (int i = 0; i < n; i++) {
        bool rough = i >= 20 * 50 && i < 30 * 50;
        pk[i].arrival_us += (int64_t)(uniform() * (rough ? 60 : 1.5) * MS);
    }
    run_t r = simulate(jb, pk, n, 5 * MS, 20 * MS, n);
    uint32_t calm = r.target_ms[20 * 50 - 1];
    uint32_t rough_2s = r.target_ms[22 * 50];
    uint32_t rough_end = r.target_ms[30 * 50];
    uint32_t after_1s = r.target_ms[31 * 50];
    uint32_t after_40s = r.target_ms[n - 1];
    fprintf(stderr, "   target: calm %u, 2 s rough %u, end rough %u, calm+1 s %u, calm+40 s %u ms\n", calm,
            rough_2s, rough_end, after_1s, after_40s);
    CHECK(calm <= 30, "calm target %u ms", calm);
    CHECK(rough_2s >= 70, "jitter of 0..60 ms: target only %u ms after 2 s", rough_2s);
    CHECK(after_1s >= rough_end * 8 / 10, "target fell from %u to %u ms in 1 s of calm", rough_end, after_1s);
    CHECK(after_40s <= 40, "target still %u ms after 40 s of calm", after_40s);
    /* The buffer followed: deeper while rough, shallow again at the end. */
    CHECK(r.buffered_ms[29 * 50] >= 60, "buffered only %u ms in rough weather", r.buffered_ms[29 * 50]);
    CHECK(r.buffered_ms[n - 1] <= 60, "buffered still %u ms at the end", r.buffered_ms[n - 1]);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    fprintf(stderr, "   late %llu lost %llu concealed %llu inserts %llu drops %llu\n", (unsigned long long)st.late,
            (unsigned long long)st.lost, (unsigned long long)st.concealed, (unsigned long long)st.drift_inserts,
            (unsigned long long)st.drift_drops);
    CHECK(st.late <= 20, "%llu of 500 rough packets late", (unsigned long long)st.late);
    run_free(&r);
    free(pk);
    lkc_jitter_free(jb);
}

static void lan_target_stays_low(void)
{
    lkc_jitter_t *jb = new_jb(0);
    int n = 60 * 50;
    spkt_t *pk = stream(n, 0, 0, 960, 20 * MS);
    for (int i = 0; i < n; i++)
        pk[i].arrival_us += (int64_t)(uniform() * 1.0 * MS);
    run_t r = simulate(jb, pk, n, 7 * MS, 20 * MS, n);
    CHECK(r.max_target_ms <= 60, "LAN target reached %u ms", r.max_target_ms);
    CHECK(r.max_buffered_ms <= 60, "LAN buffer reached %u ms", r.max_buffered_ms);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK(st.late == 0 && st.lost == 0, "late %llu lost %llu on a LAN", (unsigned long long)st.late,
          (unsigned long long)st.lost);
    CHECK(st.jitter_ms < 1.0, "jitter estimate %.2f ms", st.jitter_ms);
    run_free(&r);
    free(pk);
    lkc_jitter_free(jb);
}

static void capacity_overflow_drops_oldest(void)
{
    lkc_jitter_t *jb = new_jb(8);
    spkt_t *pk = stream(12, 500, 0, 960, 20 * MS);
    for (int i = 0; i < 12; i++)
        push(jb, &pk[i]);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK_EQ_INT(st.overflow_drops, 4);
    lkc_jitter_frame_t f;
    CHECK_EQ_INT(lkc_jitter_pop(jb, 240 * MS, &f), LKC_JITTER_FRAME);
    CHECK_EQ_INT(f.seq, 504);
    CHECK_EQ_INT(lkc_jitter_pop(jb, 260 * MS, &f), LKC_JITTER_FRAME);
    CHECK(f.seq > 504, "second frame seq %u", f.seq);
    free(pk);
    lkc_jitter_free(jb);
}

static void frame_size_learned(void)
{
    lkc_jitter_t *jb = new_jb(0);
    spkt_t *pk = stream(200, 0, 0, 480, 10 * MS); /* 10 ms frames */
    run_t r = simulate(jb, pk, 200, 3 * MS, 10 * MS, 200);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK_EQ_INT(st.frame_ms, 10);
    CHECK(frames_in_order(&r) >= 195, "played %d of 200", frames_in_order(&r));
    CHECK_EQ_INT(r.count[LKC_JITTER_LOST], 0);
    lkc_jitter_frame_t f;
    lkc_jitter_pop(jb, 2000 * MS, &f);
    CHECK_EQ_INT(f.duration, 480);
    run_free(&r);
    free(pk);
    lkc_jitter_free(jb);
}

static void restart_resyncs(void)
{
    lkc_jitter_t *jb = new_jb(0);
    spkt_t pk[100];
    for (int i = 0; i < 100; i++) {
        bool second = i >= 50; /* the sender restarts with new random seq and ts */
        pk[i] = (spkt_t){i * 20 * MS, (uint16_t)(second ? 30000 + i : 100 + i),
                         second ? 0x12345678u + 960u * (uint32_t)i : 960u * (uint32_t)i};
    }
    run_t r = simulate(jb, pk, 100, 5 * MS, 20 * MS, 100);
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK_EQ_INT(st.resyncs, 1);
    CHECK_EQ_INT(st.discarded, 1); /* the first packet of the new stream waits for confirmation */
    CHECK(r.count[LKC_JITTER_LOST] == 0, "%d LOST around a restart", r.count[LKC_JITTER_LOST]);
    CHECK_EQ_INT(r.seq[99], 30098);
    /* A timestamp jump alone (same sequence) also resyncs. */
    uint8_t pl[4] = {1, 2, 3, 4};
    CHECK_OK(lkc_jitter_push(jb, 30100, 0x12345678u + 960u * 100 + 48000u * 30, 2000 * MS, pl, 4, false, -1));
    lkc_jitter_get_stats(jb, &st);
    CHECK_EQ_INT(st.resyncs, 2);
    run_free(&r);
    lkc_jitter_free(jb);
}

static void bad_arguments(void)
{
    lkc_jitter_config_t c = {.min_delay_ms = 300, .max_delay_ms = 200};
    CHECK(lkc_jitter_new(&c) == NULL, "min > max accepted");
    CHECK_EQ_INT(lkc_jitter_config_check(&c), LKC_ERR_INVALID_ARG);
    c = (lkc_jitter_config_t){.capacity = 4};
    CHECK(lkc_jitter_new(&c) == NULL, "capacity 4 accepted");
    c = (lkc_jitter_config_t){.clock_rate = 1};
    CHECK(lkc_jitter_new(&c) == NULL, "clock rate 1 accepted");
    CHECK_OK(lkc_jitter_config_check(NULL));
    lkc_jitter_t *jb = lkc_jitter_new(NULL);
    CHECK(jb != NULL, "defaults refused");
    uint8_t big[LKC_JITTER_MAX_PAYLOAD + 1] = {0};
    CHECK_EQ_INT(lkc_jitter_push(jb, 1, 1, 0, big, sizeof big, false, -1), LKC_ERR_TOO_LARGE);
    CHECK_EQ_INT(lkc_jitter_push(jb, 1, 1, 0, big, 0, false, -1), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_jitter_push(jb, 1, 1, 0, NULL, 5, false, -1), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_jitter_push(NULL, 1, 1, 0, big, 5, false, -1), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_jitter_push(jb, 1, 1, 0, big, LKC_JITTER_MAX_PAYLOAD, false, -1)); /* past the preallocation */
    lkc_jitter_frame_t f;
    CHECK_EQ_INT(lkc_jitter_pop(jb, 0, NULL), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_jitter_pop(jb, 0, &f), LKC_JITTER_NOT_READY);
    CHECK_EQ_INT(lkc_jitter_pop(jb, 100 * MS, &f), LKC_JITTER_FRAME); /* waited past the target */
    CHECK_EQ_INT(f.len, LKC_JITTER_MAX_PAYLOAD);
    lkc_jitter_reset(jb);
    CHECK_EQ_INT(lkc_jitter_pop(jb, 120 * MS, &f), LKC_JITTER_NOT_READY);
    lkc_jitter_free(jb);
    lkc_jitter_free(NULL);
}

/* Random garbage in any order never breaks the invariants. */
static void chaos(void)
{
    lkc_jitter_t *jb = new_jb(16);
    uint8_t pl[32] = {0};
    int64_t now = 0;
    for (int i = 0; i < 200000; i++) {
        now += (int64_t)(uniform() * 15 * MS);
        uint16_t seq = (uint16_t)(uniform() < 0.9 ? i / 2 + (int)(uniform() * 40) : uniform() * 65536);
        uint32_t ts = uniform() < 0.95 ? (uint32_t)seq * 960u : (uint32_t)(uniform() * 4294967296.0);
        CHECK_OK(lkc_jitter_push(jb, seq, ts, now, pl, 1 + (size_t)(uniform() * 31), false, -1));
        if (uniform() < 0.6) {
            lkc_jitter_frame_t f;
            int res = lkc_jitter_pop(jb, now, &f);
            CHECK(res >= 0 && res <= LKC_JITTER_NOT_READY, "pop %d", res);
            CHECK(res != LKC_JITTER_FRAME || (f.payload && f.len >= 1 && f.len <= 32), "frame length %zu", f.len);
        }
    }
    lkc_jitter_stats_t st;
    lkc_jitter_get_stats(jb, &st);
    CHECK(st.buffered_ms < 60000, "buffered %u ms", st.buffered_ms);
    lkc_jitter_free(jb);
}

int main(void)
{
    RUN(in_order);
    RUN(reorder_within_target);
    RUN(loss_gives_lost_with_fec_hint);
    RUN(duplicates_dropped);
    RUN(late_packet_dropped);
    RUN(sequence_wrap);
    RUN(dtx_gap_no_lost_storm);
    RUN(drift_fast_sender);
    RUN(drift_slow_sender);
    RUN(drift_drops_quiet_frames);
    RUN(target_follows_jitter);
    RUN(lan_target_stays_low);
    RUN(capacity_overflow_drops_oldest);
    RUN(frame_size_learned);
    RUN(restart_resyncs);
    RUN(bad_arguments);
    RUN(chaos);
    return 0;
}
