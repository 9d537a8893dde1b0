/* lkc_apm: the public audio processing object (include/lkc/apm.h).
 *
 * Capture chain per channel, per unit: high-pass (hpf.c) -> speexdsp echo canceller
 * (MDF adaptive filter) against the far end read from the history (far_ring.c) at the
 * stream delay -> speexdsp preprocessor (noise suppression, residual echo suppression
 * fed by the echo canceller's state, AGC). The measurements behind this choice are in
 * docs/apm-choice.md.
 *
 * Locking: `lock` guards the far-end history, the delay setting and the stats; it is
 * held only to copy a unit in or out, never while processing. `cap_lock` serialises
 * capture calls (the speex states belong to the capture side). Render takes only
 * `lock`, so a speaker thread never waits for a capture's processing.
 */
#include "lkc/apm.h"

#include <math.h>
#include <pthread.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include <stdlib.h>
#include <string.h>

#include "apm/delay_est.h"
#include "apm/far_ring.h"
#include "apm/hpf.h"

#define MAX_DELAY_MS 500
/* The far end is read this much earlier than the delay says, so that an echo arriving
 * a little early (render/capture jitter, an estimate a few ms late) is still inside the
 * filter: the filter covers [delay - margin, delay - margin + echo_tail_ms). */
#define LAG_MARGIN_MS 20
/* Render and capture may drift this far apart (held over a window of captures, not a
 * burst's swing: far_ring.h) before the far end is realigned. */
#define REALIGN_SLACK_MS 40
/* The delay estimator is fed the far end this many units back from lag 0 (it holds the
 * microphone back as much): render handed over in bursts leaves the newest units not yet
 * there when capture runs ahead of it in a burst's trough (delay_est.h). 100 ms covers a
 * sound server's periods of up to 50 ms on both sides; the estimate comes 100 ms later. */
#define EST_LOOKBACK_MS 100
#define HPF_HZ 80.0
#define AGC_LEVEL 16000.f
/* ERLE statistics count units whose far end is above about -50 dBFS RMS, in blocks of
 * 20 such units (energy in / energy out per block, so loud units weigh as in any ERLE);
 * the figure is the median of the last 10 blocks (about 2 s of far-end sound), so that
 * near-end speech (double talk) in fewer than half of them does not move it */
#define FAR_ACTIVE_RMS 100.0
#define ERLE_BLOCK_UNITS 20
#define ERLE_BLOCKS 10

typedef struct apm_chan {
    lkc_hpf_t hpf;
    SpeexEchoState *ec;
    SpeexPreprocessState *pp;
} apm_chan_t;

struct lkc_apm {
    lkc_apm_options_t o;
    size_t unit;
    int render_channels;

    pthread_mutex_t lock; /* ring, delay_set, stats */
    lkc_far_ring_t ring;
    int delay_set;
    lkc_apm_stats_t stats;

    pthread_mutex_t cap_lock; /* everything below: the capture side's */
    apm_chan_t ch[2];
    lkc_delay_est_t *est;
    long lag_in_use; /* samples; -1 before the first unit */
    int16_t *in, *out, *far, *far0;
    double blk_in, blk_out; /* energies of the far-active units of this ERLE block */
    unsigned blk_units;
    bool blk_done; /* a block completed in this unit: its figure goes to the ring */

    /* under `lock`: the last ERLE_BLOCKS block figures (dB), for the median */
    float erle_ring[ERLE_BLOCKS];
    size_t erle_n, erle_pos;
};

void lkc_apm_options_init(lkc_apm_options_t *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->sample_rate = 48000;
    o->channels = 1;
    o->render_channels = 0;
    o->echo_cancellation = true;
    o->noise_suppression = true;
    o->auto_gain = true;
    o->high_pass = true;
    o->stream_delay_ms = LKC_APM_DELAY_ESTIMATE;
    o->echo_tail_ms = 100;
    o->noise_suppress_db = -25;
}

/* Copies the caller's options over the defaults, as far as its struct_size reaches. */
static lkc_err_t take_options(const lkc_apm_options_t *in, lkc_apm_options_t *o)
{
    lkc_apm_options_init(o);
    if (!in)
        return LKC_OK;
    if (in->struct_size == 0)
        return LKC_ERR_INVALID_ARG;
    size_t n = in->struct_size < sizeof *o ? in->struct_size : sizeof *o;
    memcpy(o, in, n);
    o->struct_size = sizeof *o;
    return LKC_OK;
}

static bool delay_ok(int d)
{
    return d == LKC_APM_DELAY_ESTIMATE || (d >= 0 && d <= MAX_DELAY_MS);
}

static lkc_err_t check(const lkc_apm_options_t *o)
{
    if (o->sample_rate < 8000 || o->sample_rate > 48000 || o->sample_rate % 50)
        return LKC_ERR_INVALID_ARG;
    if (o->channels != 1 && o->channels != 2)
        return LKC_ERR_INVALID_ARG;
    if (o->render_channels != 0 && o->render_channels != 1 && o->render_channels != 2)
        return LKC_ERR_INVALID_ARG;
    if (!delay_ok(o->stream_delay_ms))
        return LKC_ERR_INVALID_ARG;
    if (o->echo_tail_ms < 20 || o->echo_tail_ms > 300)
        return LKC_ERR_INVALID_ARG;
    if (o->noise_suppress_db < -60 || o->noise_suppress_db > -1)
        return LKC_ERR_INVALID_ARG;
    return LKC_OK;
}

static lkc_err_t chan_init(lkc_apm_t *a, apm_chan_t *c)
{
    const lkc_apm_options_t *o = &a->o;
    int rate = o->sample_rate;
    if (o->high_pass && lkc_hpf_init(&c->hpf, rate, HPF_HZ) != LKC_OK)
        return LKC_ERR_INTERNAL;
    if (o->echo_cancellation) {
        int taps = (int)((long)rate * o->echo_tail_ms / 1000);
        c->ec = speex_echo_state_init((int)a->unit, taps);
        if (!c->ec)
            return LKC_ERR_NO_MEMORY;
        speex_echo_ctl(c->ec, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
    }
    if (!(o->echo_cancellation || o->noise_suppression || o->auto_gain))
        return LKC_OK;
    c->pp = speex_preprocess_state_init((int)a->unit, rate);
    if (!c->pp)
        return LKC_ERR_NO_MEMORY;
    /* (the VAD is off by default; setting it at all prints a warning from speexdsp) */
    int off = 0, on = 1;
    speex_preprocess_ctl(c->pp, SPEEX_PREPROCESS_SET_DEREVERB, &off);
    /* The preprocessor applies its residual echo suppression only through its denoiser:
     * with AEC on and NS off, the denoiser runs with a 1 dB noise floor (measured: the
     * noise is then left as it was, the residual echo goes down ~20 dB). */
    bool denoise = o->noise_suppression || o->echo_cancellation;
    int nsdb = o->noise_suppression ? o->noise_suppress_db : -1;
    speex_preprocess_ctl(c->pp, SPEEX_PREPROCESS_SET_DENOISE, denoise ? &on : &off);
    speex_preprocess_ctl(c->pp, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &nsdb);
    if (o->echo_cancellation && speex_preprocess_ctl(c->pp, SPEEX_PREPROCESS_SET_ECHO_STATE, c->ec) != 0)
        return LKC_ERR_INTERNAL;
    int agc = o->auto_gain ? 1 : 0;
    /* AGC exists only in a floating-point speexdsp (Debian's is) */
    if (speex_preprocess_ctl(c->pp, SPEEX_PREPROCESS_SET_AGC, &agc) != 0 && agc)
        return LKC_ERR_UNSUPPORTED;
    if (agc) {
        /* speex's loudness target (not an RMS). Its default, 8000, brought our test
         * speech at -26 dBFS down 4 dB, and 7 dB during double talk; 16000 leaves it
         * within about 1 dB, and still raises -42 dBFS speech by 12 dB in 2 s */
        float level = AGC_LEVEL;
        speex_preprocess_ctl(c->pp, SPEEX_PREPROCESS_SET_AGC_LEVEL, &level);
    }
    return LKC_OK;
}

static unsigned est_lookback(const lkc_apm_t *a)
{
    size_t ms_per_unit = a->unit * 1000 / (size_t)a->o.sample_rate;
    return (unsigned)((EST_LOOKBACK_MS + ms_per_unit - 1) / ms_per_unit);
}

lkc_err_t lkc_apm_create(const lkc_apm_options_t *opts, lkc_apm_t **out)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    lkc_apm_options_t o;
    lkc_err_t err = take_options(opts, &o);
    if (err == LKC_OK)
        err = check(&o);
    if (err != LKC_OK)
        return err;
    lkc_apm_t *a = calloc(1, sizeof *a);
    if (!a)
        return LKC_ERR_NO_MEMORY;
    a->o = o;
    a->unit = (size_t)(o.sample_rate % 100 == 0 ? o.sample_rate / 100 : o.sample_rate / 50);
    a->render_channels = o.render_channels ? o.render_channels : o.channels;
    a->delay_set = o.stream_delay_ms;
    a->lag_in_use = -1;
    a->stats.delay_ms = o.stream_delay_ms;
    pthread_mutex_init(&a->lock, NULL);
    pthread_mutex_init(&a->cap_lock, NULL);
    size_t rate = (size_t)o.sample_rate;
    size_t cap = rate * (MAX_DELAY_MS + 2 * REALIGN_SLACK_MS + 100) / 1000 + 4 * a->unit;
    err = lkc_far_ring_init(&a->ring, cap, a->unit, rate * REALIGN_SLACK_MS / 1000);
    if (err == LKC_OK) {
        a->in = calloc(a->unit, sizeof *a->in);
        a->out = calloc(a->unit, sizeof *a->out);
        a->far = calloc(a->unit, sizeof *a->far);
        a->far0 = calloc(a->unit, sizeof *a->far0);
        if (!a->in || !a->out || !a->far || !a->far0)
            err = LKC_ERR_NO_MEMORY;
    }
    if (err == LKC_OK && o.echo_cancellation) {
        a->est = lkc_delay_est_create(o.sample_rate, a->unit, MAX_DELAY_MS, est_lookback(a));
        if (!a->est)
            err = LKC_ERR_NO_MEMORY;
    }
    for (int c = 0; err == LKC_OK && c < o.channels; c++)
        err = chan_init(a, &a->ch[c]);
    if (err != LKC_OK) {
        lkc_apm_destroy(a);
        return err;
    }
    *out = a;
    return LKC_OK;
}

void lkc_apm_destroy(lkc_apm_t *a)
{
    if (!a)
        return;
    for (int c = 0; c < 2; c++) {
        if (a->ch[c].pp)
            speex_preprocess_state_destroy(a->ch[c].pp);
        if (a->ch[c].ec)
            speex_echo_state_destroy(a->ch[c].ec);
    }
    lkc_delay_est_free(a->est);
    lkc_far_ring_free(&a->ring);
    free(a->in);
    free(a->out);
    free(a->far);
    free(a->far0);
    pthread_mutex_destroy(&a->lock);
    pthread_mutex_destroy(&a->cap_lock);
    free(a);
}

size_t lkc_apm_frame_size(const lkc_apm_t *a)
{
    return a ? a->unit : 0;
}

lkc_err_t lkc_apm_process_render(lkc_apm_t *a, const int16_t *pcm, size_t frames)
{
    if (!a || (!pcm && frames))
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&a->lock);
    lkc_far_ring_push(&a->ring, pcm, frames, a->render_channels);
    a->stats.render_samples += frames;
    pthread_mutex_unlock(&a->lock);
    return LKC_OK;
}

lkc_err_t lkc_apm_set_stream_delay_ms(lkc_apm_t *a, int delay_ms)
{
    if (!a || !delay_ok(delay_ms))
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&a->lock);
    a->delay_set = delay_ms;
    pthread_mutex_unlock(&a->lock);
    return LKC_OK;
}

static int cmp_float(const void *x, const void *y)
{
    float p = *(const float *)x, q = *(const float *)y;
    return p < q ? -1 : p > q;
}

lkc_err_t lkc_apm_get_stats(lkc_apm_t *a, lkc_apm_stats_t *out)
{
    if (!a || !out)
        return LKC_ERR_INVALID_ARG;
    float v[ERLE_BLOCKS];
    pthread_mutex_lock(&a->lock);
    *out = a->stats;
    size_t n = a->erle_n;
    memcpy(v, a->erle_ring, n * sizeof *v);
    pthread_mutex_unlock(&a->lock);
    qsort(v, n, sizeof *v, cmp_float);
    out->erle_db = n ? v[n / 2] : 0;
    return LKC_OK;
}

static double energy(const int16_t *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    return e;
}

/* Takes this unit's far end out of the history (under the lock): the unit for the
 * estimator (est_lookback units before lag 0), and the canceller's reference at the
 * delay in use. Returns whether the delay is being estimated (then far0 was filled). */
static bool take_far(lkc_apm_t *a)
{
    int rate = a->o.sample_rate;
    pthread_mutex_lock(&a->lock);
    if (lkc_far_ring_advance(&a->ring))
        a->stats.realigns++;
    int delay = a->delay_set;
    bool estimating = delay == LKC_APM_DELAY_ESTIMATE;
    if (estimating)
        delay = lkc_delay_est_get(a->est);
    long lag = delay < 0 ? 0 : (long)rate * (delay > LAG_MARGIN_MS ? delay - LAG_MARGIN_MS : 0) / 1000;
    /* a move within the margin is absorbed by the filter: keep the alignment (and what
     * the filter has learnt); a larger one starts the canceller over at the new lag */
    long half_margin = (long)rate * LAG_MARGIN_MS / 2000;
    bool moved = a->lag_in_use < 0 || labs(lag - a->lag_in_use) > half_margin;
    if (!moved)
        lag = a->lag_in_use;
    if (estimating)
        lkc_far_ring_read(&a->ring, est_lookback(a) * a->unit, a->far0, a->unit);
    lkc_far_ring_read(&a->ring, (size_t)lag, a->far, a->unit);
    a->stats.delay_ms = delay;
    pthread_mutex_unlock(&a->lock);
    if (moved && a->lag_in_use >= 0)
        for (int c = 0; c < a->o.channels; c++)
            speex_echo_state_reset(a->ch[c].ec);
    a->lag_in_use = lag;
    return estimating;
}

static void process_unit(lkc_apm_t *a, int16_t *pcm)
{
    const int nch = a->o.channels;
    const size_t n = a->unit;
    bool estimating = false;
    if (a->o.high_pass)
        for (int c = 0; c < nch; c++)
            lkc_hpf_run(&a->ch[c].hpf, pcm + c, n, (size_t)nch);
    if (a->o.echo_cancellation)
        estimating = take_far(a);
    double far_e = a->o.echo_cancellation ? energy(a->far, n) : 0;
    bool far_active = far_e > FAR_ACTIVE_RMS * FAR_ACTIVE_RMS * (double)n;
    for (int c = 0; c < nch; c++) {
        apm_chan_t *ch = &a->ch[c];
        for (size_t i = 0; i < n; i++)
            a->in[i] = pcm[i * (size_t)nch + (size_t)c];
        if (c == 0 && estimating)
            lkc_delay_est_feed(a->est, a->far0, a->in);
        double e_in = c == 0 && far_active ? energy(a->in, n) : 0;
        int16_t *cur = a->in;
        if (ch->ec) {
            speex_echo_cancellation(ch->ec, a->in, a->far, a->out);
            cur = a->out;
        }
        if (ch->pp)
            speex_preprocess_run(ch->pp, cur);
        if (c == 0 && far_active) {
            a->blk_in += e_in;
            a->blk_out += energy(cur, n);
            a->blk_done = ++a->blk_units == ERLE_BLOCK_UNITS;
        }
        for (size_t i = 0; i < n; i++)
            pcm[i * (size_t)nch + (size_t)c] = cur[i];
    }
    pthread_mutex_lock(&a->lock);
    a->stats.capture_frames++;
    if (a->blk_done) {
        double in = a->blk_in > 1.0 ? a->blk_in : 1.0, out = a->blk_out > 1.0 ? a->blk_out : 1.0;
        a->erle_ring[a->erle_pos] = (float)(10.0 * log10(in / out));
        a->erle_pos = (a->erle_pos + 1) % ERLE_BLOCKS;
        if (a->erle_n < ERLE_BLOCKS)
            a->erle_n++;
    }
    pthread_mutex_unlock(&a->lock);
    if (a->blk_done) {
        a->blk_in = a->blk_out = 0;
        a->blk_units = 0;
        a->blk_done = false;
    }
}

lkc_err_t lkc_apm_process_capture(lkc_apm_t *a, int16_t *pcm, size_t frames)
{
    if (!a || !pcm || frames == 0 || frames % a->unit)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&a->cap_lock);
    for (size_t f = 0; f < frames; f += a->unit)
        process_unit(a, pcm + f * (size_t)a->o.channels);
    pthread_mutex_unlock(&a->cap_lock);
    return LKC_OK;
}
