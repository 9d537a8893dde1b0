/* apm: echo cancellation when render and capture arrive in bursts, as a loaded sound
 * server (PulseAudio) hands them over, instead of one 10 ms frame of each in turn.
 *
 * A wall clock in 10 ms ticks; frame i of the far end and of the microphone both belong
 * to tick i (the echo path, 94 ms as in cli.devices_aec, is in the signals). Render is
 * handed over early, at the first tick of its burst (a playback write fills the
 * device's buffer ahead of playout); capture late, at the last tick of its burst (a
 * recording is handed over once it is complete). At each tick the due render frames are
 * passed first, then the due capture frames. Patterns: fixed bursts (render frames x
 * capture frames per burst, with a phase offset) and seeded random bursts of 1-5 frames
 * on both sides. Each case: the delay estimated, ERLE (mic / output energy over 2-4 s)
 * >= 20 dB, as test_apm's bound for frames in step. */
#include <math.h>

#include "lkc/apm.h"
#include "test.h"
#include "test_apm_scenario.h"

#define ECHO_MS 94
#define MAX_BURST 5

/* delivery tick of every frame: bursts of `burst` frames (burst 0: random 1..5 from
 * `rng`), the burst phase shifted by `offset` frames; early: at the burst's first tick,
 * else at its last */
static void schedule(size_t *tick, size_t nf, int burst, int offset, bool early, sig_rng_t *rng)
{
    size_t i = 0;
    /* the first burst is cut short by the offset */
    size_t len = burst ? (size_t)(burst - offset % burst) : 1 + sig_rand(rng) % MAX_BURST;
    while (i < nf) {
        size_t end = i + len < nf ? i + len : nf;
        for (size_t k = i; k < end; k++)
            tick[k] = early ? i : end - 1;
        i = end;
        len = burst ? (size_t)burst : 1 + sig_rand(rng) % MAX_BURST;
    }
}

typedef struct burst_res {
    double erle_db;
    lkc_apm_stats_t stats;
    double found_s; /* when the delay was first estimated; -1: never */
} burst_res_t;

static void run_bursts(const apm_echo_scn_t *s, int rburst, int cburst, int offset, uint64_t seed, burst_res_t *r)
{
    lkc_apm_options_t o;
    lkc_apm_options_init(&o);
    o.sample_rate = s->rate;
    o.noise_suppression = false;
    o.auto_gain = false;
    o.stream_delay_ms = LKC_APM_DELAY_ESTIMATE;
    lkc_apm_t *apm = NULL;
    CHECK_OK(lkc_apm_create(&o, &apm));
    size_t fs = lkc_apm_frame_size(apm), rate = (size_t)s->rate;
    size_t nf = 4 * rate / fs; /* 4 s: the ERLE window is 2-4 s */
    size_t *rt = malloc(nf * sizeof *rt), *ct = malloc(nf * sizeof *ct);
    int16_t *out = malloc(nf * fs * sizeof *out);
    CHECK(rt && ct && out, "out of memory");
    memcpy(out, s->mic, nf * fs * sizeof *out);
    sig_rng_t rng = {seed * 0x9E3779B97F4A7C15ULL + 1};
    schedule(rt, nf, rburst, offset, true, &rng);
    schedule(ct, nf, cburst, offset, false, &rng);
    size_t ri = 0, ci = 0;
    r->found_s = -1;
    for (size_t t = 0; ci < nf; t++) {
        for (; ri < nf && rt[ri] == t; ri++)
            CHECK_OK(lkc_apm_process_render(apm, s->far + ri * fs, fs));
        for (; ci < nf && ct[ci] == t; ci++) {
            CHECK_OK(lkc_apm_process_capture(apm, out + ci * fs, fs));
            lkc_apm_stats_t st;
            CHECK_OK(lkc_apm_get_stats(apm, &st));
            if (r->found_s < 0 && st.delay_ms >= 0)
                r->found_s = (double)(ci + 1) * (double)fs / (double)rate;
        }
    }
    r->erle_db = sig_db(sig_energy_s16(s->mic, 2 * rate, 4 * rate), sig_energy_s16(out, 2 * rate, 4 * rate));
    CHECK_OK(lkc_apm_get_stats(apm, &r->stats));
    lkc_apm_destroy(apm);
    free(rt);
    free(ct);
    free(out);
}

static int failures;

static void one_case(const apm_echo_scn_t *s, int rburst, int cburst, int offset, uint64_t seed)
{
    burst_res_t r;
    run_bursts(s, rburst, cburst, offset, seed, &r);
    char what[64];
    if (rburst)
        snprintf(what, sizeof what, "render x%d / capture x%d, offset %d", rburst, cburst, offset);
    else
        snprintf(what, sizeof what, "random 1-%d both, seed %llu", MAX_BURST, (unsigned long long)seed);
    bool ok = r.erle_db >= 20 && r.stats.delay_ms >= 0;
    fprintf(stderr, "   %d Hz, %-36s: ERLE %5.1f dB, delay %d ms (found after %.2f s), realigns %llu%s\n", s->rate,
            what, r.erle_db, r.stats.delay_ms, r.found_s, (unsigned long long)r.stats.realigns,
            ok ? "" : "  <- FAILS");
    failures += !ok;
}

static void bursts(void)
{
    static const int pat[][3] = {
        {1, 1, 0}, /* in step: the reference */
        {3, 1, 0}, {1, 3, 1}, {2, 3, 1}, {5, 1, 0}, {1, 5, 3},
        /* more of the same family */
        {3, 3, 0}, {1, 3, 0}, {3, 1, 2}, {4, 2, 1},
    };
    int rates[] = {16000, 48000};
    for (int k = 0; k < 2; k++) {
        apm_echo_scn_t s;
        CHECK(apm_echo_scn_make(&s, rates[k], ECHO_MS) == 0, "out of memory");
        /* 48 kHz (what the devices run) on the reported patterns and one random run;
         * 16 kHz on all (cheaper) */
        size_t np = k == 0 ? sizeof pat / sizeof pat[0] : 6;
        for (size_t p = 0; p < np; p++)
            one_case(&s, pat[p][0], pat[p][1], pat[p][2], 0);
        for (uint64_t seed = 1; seed <= (k == 0 ? 4u : 1u); seed++)
            one_case(&s, 0, 0, 0, seed);
        apm_echo_scn_free(&s);
    }
    CHECK(failures == 0, "%d burst patterns without the echo cancelled (ERLE < 20 dB or no delay)", failures);
}

int main(void)
{
    RUN(bursts);
    return 0;
}
