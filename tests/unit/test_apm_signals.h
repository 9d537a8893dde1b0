/* Test signals for the audio processing measurements (tests/unit/test_apm*.c and
 * bench/bench_apm.c share them, so the unit test bounds and the bench figures come from
 * the same signals).
 *
 * Everything is made here, deterministically, at any sample rate: no recording, no
 * espeak-ng at test time (CI machines may lack it, and its output changes between
 * versions). The speech-like signal is a source-filter model: a glottal pulse train
 * with a wandering pitch through three formant resonators that move per syllable, plus
 * fricative noise bursts, in syllables of 80-300 ms with pauses between words. It has
 * what matters to an echo canceller and a noise suppressor: a speech-like spectrum,
 * harmonics, onsets, and pauses (speech is not stationary, white noise is).
 *
 * Header-only (static) because each test and bench program is built on its own.
 */
#ifndef LKC_TEST_APM_SIGNALS_H
#define LKC_TEST_APM_SIGNALS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

typedef struct sig_rng {
    uint64_t s;
} sig_rng_t;

static inline uint32_t sig_rand(sig_rng_t *r)
{
    /* xorshift64*: deterministic on every platform */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1DULL) >> 32);
}

/* uniform in [0, 1) */
static inline double sig_uniform(sig_rng_t *r)
{
    return (double)sig_rand(r) / 4294967296.0;
}

/* approximately normal (sum of 4 uniforms), unit variance */
static inline double sig_gauss(sig_rng_t *r)
{
    double s = 0;
    for (int i = 0; i < 4; i++)
        s += sig_uniform(r);
    return (s - 2.0) * 1.7320508;
}

/* A two-pole resonator (formant): centre f, bandwidth bw, unity gain at f. */
typedef struct sig_reson {
    double a1, a2, g, y1, y2;
} sig_reson_t;

static inline void sig_reson_set(sig_reson_t *f, double fc, double bw, int rate)
{
    double r = exp(-M_PI * bw / rate);
    f->a1 = 2 * r * cos(2 * M_PI * fc / rate);
    f->a2 = -r * r;
    f->g = 1 - r;
}

static inline double sig_reson_run(sig_reson_t *f, double x)
{
    double y = f->g * x + f->a1 * f->y1 + f->a2 * f->y2;
    f->y2 = f->y1;
    f->y1 = y;
    return y;
}

static inline double sig_rms(const double *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += x[i] * x[i];
    return n ? sqrt(e / (double)n) : 0;
}

/* Scales x so that its RMS over the ACTIVE parts (|x| above 1% of peak in 10 ms
 * blocks, as a speech level meter would) is `dbfs` (0 dBFS = full-scale int16 RMS of
 * 32768). */
static inline void sig_set_level(double *x, size_t n, int rate, double dbfs)
{
    size_t blk = (size_t)rate / 100;
    double e = 0, peak = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++)
        peak = fabs(x[i]) > peak ? fabs(x[i]) : peak;
    for (size_t b = 0; b + blk <= n; b += blk) {
        double be = 0;
        for (size_t i = b; i < b + blk; i++)
            be += x[i] * x[i];
        if (sqrt(be / (double)blk) > 0.01 * peak) {
            e += be;
            cnt += blk;
        }
    }
    double rms = cnt ? sqrt(e / (double)cnt) : 0;
    if (rms <= 0)
        return;
    double g = 32768.0 * pow(10, dbfs / 20) / rms;
    for (size_t i = 0; i < n; i++)
        x[i] *= g;
}

/* Speech-like signal of n samples for "talker" `seed` (different seeds: different
 * pitch range, rhythm and vowels), level -> sig_set_level(level_dbfs). */
static inline void sig_speech(double *x, size_t n, int rate, uint64_t seed, double level_dbfs)
{
    /* two generators: `r` draws the structure (syllables, vowels, pitch), `rn` the
     * per-sample noise, so that a talker says the same thing at every sample rate */
    sig_rng_t r = {seed * 0x9E3779B97F4A7C15ULL + 1}, rn = {seed * 0xBF58476D1CE4E5B9ULL + 5};
    static const double vowels[][3] = {
        {730, 1090, 2440}, {270, 2290, 3010}, {530, 1840, 2480}, {660, 1720, 2410},
        {570, 840, 2410},  {300, 870, 2240},  {440, 1020, 2240}, {490, 1350, 1690},
    };
    double f0_base = 95 + 120 * sig_uniform(&r); /* 95..215 Hz: low to high voices */
    sig_reson_t f1 = {0}, f2 = {0}, f3 = {0}, fr = {0};
    double phase = 0, glottal = 0;
    size_t i = 0;
    memset(x, 0, n * sizeof *x);
    while (i < n) {
        /* a word: 1-4 syllables, then a pause */
        int syl = 1 + (int)(sig_uniform(&r) * 4);
        for (int s = 0; s < syl && i < n; s++) {
            size_t len = (size_t)((0.08 + 0.22 * sig_uniform(&r)) * rate);
            const double *v = vowels[sig_rand(&r) % 8];
            sig_reson_set(&f1, v[0] * (0.9 + 0.2 * sig_uniform(&r)), 80, rate);
            sig_reson_set(&f2, v[1] * (0.9 + 0.2 * sig_uniform(&r)), 110, rate);
            sig_reson_set(&f3, v[2], 160, rate);
            sig_reson_set(&fr, 3500 + 2500 * sig_uniform(&r), 1500, rate);
            int fric = sig_uniform(&r) < 0.35; /* a fricative onset (s, f, sh) */
            size_t flen = fric ? (size_t)(0.04 * rate + 0.06 * rate * sig_uniform(&r)) : 0;
            double f0a = f0_base * (0.85 + 0.3 * sig_uniform(&r));
            double f0b = f0_base * (0.85 + 0.3 * sig_uniform(&r));
            for (size_t k = 0; k < flen + len && i < n; k++, i++) {
                double y = 0;
                if (k < flen) {
                    double env = sin(M_PI * (double)k / (double)flen);
                    y = 0.6 * env * sig_reson_run(&fr, sig_gauss(&rn)) * 8;
                } else {
                    size_t kk = k - flen;
                    double t = (double)kk / (double)len;
                    double f0 = f0a + (f0b - f0a) * t;
                    phase += f0 / rate;
                    /* glottal pulse: a decaying excitation once per period, plus breath */
                    if (phase >= 1) {
                        phase -= 1;
                        glottal = 1;
                    }
                    double ex = glottal + 0.02 * sig_gauss(&rn);
                    glottal *= 0.6;
                    double env = sin(M_PI * t);
                    env = env * env;
                    double vs = sig_reson_run(&f1, ex) + 0.5 * sig_reson_run(&f2, ex) + 0.25 * sig_reson_run(&f3, ex);
                    y = env * vs;
                }
                x[i] = y;
            }
        }
        i += (size_t)((0.1 + 0.3 * sig_uniform(&r)) * rate);
    }
    sig_set_level(x, n, rate, level_dbfs);
}

/* White noise, RMS at level_dbfs. */
static inline void sig_white(double *x, size_t n, uint64_t seed, double level_dbfs)
{
    sig_rng_t r = {seed * 0xD1B54A32D192ED03ULL + 7};
    double g = 32768.0 * pow(10, level_dbfs / 20);
    for (size_t i = 0; i < n; i++)
        x[i] = g * sig_gauss(&r);
}

/* Babble: `talkers` speech signals summed, the sum's RMS at level_dbfs. */
static inline int sig_babble(double *x, size_t n, int rate, int talkers, uint64_t seed, double level_dbfs)
{
    double *t = malloc(n * sizeof *t);
    if (!t)
        return -1;
    memset(x, 0, n * sizeof *x);
    for (int k = 0; k < talkers; k++) {
        sig_speech(t, n, rate, seed + 101 * (uint64_t)k, -30);
        for (size_t i = 0; i < n; i++)
            x[i] += t[i];
    }
    free(t);
    double rms = sig_rms(x, n);
    double g = rms > 0 ? 32768.0 * pow(10, level_dbfs / 20) / rms : 0;
    for (size_t i = 0; i < n; i++)
        x[i] *= g;
    return 0;
}

/* A room echo path: a pure delay of delay_ms, then an impulse response of tail_ms
 * (a direct peak, a few early reflections, an exponentially decaying diffuse tail),
 * scaled so that the echo is gain_db relative to the far end (energy). *len_out
 * receives the IR length in samples; free() the result. */
static inline double *sig_echo_path(int rate, int delay_ms, int tail_ms, double gain_db, uint64_t seed,
                                    size_t *len_out)
{
    size_t d = (size_t)rate * (size_t)delay_ms / 1000, t = (size_t)rate * (size_t)tail_ms / 1000;
    size_t len = d + t + 1;
    double *h = calloc(len, sizeof *h);
    if (!h)
        return NULL;
    sig_rng_t r = {seed * 0x94D049BB133111EBULL + 3};
    h[d] = 1.0;
    for (int k = 0; k < 5; k++) {
        size_t at = d + 1 + (size_t)(sig_uniform(&r) * (double)t * 0.3);
        h[at] += (sig_uniform(&r) - 0.5) * 0.9;
    }
    double tau = (double)t / 5.0; /* -43 dB at the end of the tail */
    /* the diffuse tail has one reflection per 1/4000 s at any rate (160 in 40 ms): a
     * denser one costs the test's convolution more and changes nothing for the
     * canceller, which must model the whole 40 ms either way */
    size_t step = (size_t)rate / 4000 ? (size_t)rate / 4000 : 1;
    for (size_t i = step; i <= t; i += step)
        h[d + i] += 0.5 * sig_gauss(&r) * exp(-(double)i / tau);
    double e = 0;
    for (size_t i = 0; i < len; i++)
        e += h[i] * h[i];
    double g = pow(10, gain_db / 20) / sqrt(e);
    for (size_t i = 0; i < len; i++)
        h[i] *= g;
    *len_out = len;
    return h;
}

/* y = x * h (causal FIR, zero initial state), n samples; only h's non-zero taps cost
 * (one pass over the signal per tap: a loop simple enough to stay quick in the
 * sanitizer builds the unit tests run in). */
static inline int sig_convolve(const double *x, size_t n, const double *h, size_t hl, double *y)
{
    memset(y, 0, n * sizeof *y);
    for (size_t k = 0; k < hl && k < n; k++) {
        double g = h[k];
        if (g == 0)
            continue;
        const double *xs = x;
        double *ys = y + k;
        for (size_t i = 0, m = n - k; i < m; i++)
            ys[i] += g * xs[i];
    }
    return 0;
}

static inline int16_t sig_to_s16(double v)
{
    if (v > 32767)
        return 32767;
    if (v < -32768)
        return -32768;
    return (int16_t)lrint(v);
}

/* Energy of int16 samples [from, to) and of doubles: for dB ratios. */
static inline double sig_energy_s16(const int16_t *x, size_t from, size_t to)
{
    double e = 0;
    for (size_t i = from; i < to; i++)
        e += (double)x[i] * x[i];
    return e;
}

static inline double sig_energy(const double *x, size_t from, size_t to)
{
    double e = 0;
    for (size_t i = from; i < to; i++)
        e += x[i] * x[i];
    return e;
}

static inline double sig_db(double num, double den)
{
    if (num <= 0)
        num = 1e-9;
    if (den <= 0)
        den = 1e-9;
    return 10 * log10(num / den);
}

#endif
