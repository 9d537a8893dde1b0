/* The measurement scenarios of the audio processing (test_apm*.c bounds, bench_apm.c
 * figures), on the signals of test_apm_signals.h, through the public lkc_apm API.
 *
 * Echo scenario (8 s): the far end talks all along (-20 dBFS); the speaker's sound
 * reaches the microphone through a room echo path (delay_ms, then a 40 ms impulse
 * response, -6 dB), over a -65 dBFS noise floor; a near-end talker (-26 dBFS, as loud as
 * the echo) speaks from 4 s to 6 s (double talk).
 *   erle_db       mic energy / output energy over 2-4 s (far end only, after 2 s to
 *                 converge)
 *   dt_db         output energy / the near-end talker's own energy over 4-6 s (0 dB:
 *                 the near end kept its level; the residual echo adds a little)
 *   erle_after_db as erle_db over 6.5-8 s: the canceller did not diverge in double talk
 * Noise scenario (4 s): white (-40 dBFS) or babble (6 talkers, -35 dBFS) alone;
 *   reduction_db  input energy / output energy over 2-4 s.
 * Frames: render 10 ms, then capture the same 10 ms, as a device loop would.
 */
#ifndef LKC_TEST_APM_SCENARIO_H
#define LKC_TEST_APM_SCENARIO_H

#include <time.h>

#include <lkc/apm.h>

#include "test_apm_signals.h"

typedef struct apm_echo_scn {
    int rate;
    size_t n;
    int16_t *far, *mic;
    double *near;
} apm_echo_scn_t;

typedef struct apm_echo_res {
    double erle_db, dt_db, erle_after_db;
    double us_per_frame; /* CPU (thread time) of render + capture per 10 ms */
    lkc_apm_stats_t stats;
} apm_echo_res_t;

static inline void apm_echo_scn_free(apm_echo_scn_t *s)
{
    free(s->far);
    free(s->mic);
    free(s->near);
    memset(s, 0, sizeof *s);
}

static inline int apm_echo_scn_make(apm_echo_scn_t *s, int rate, int delay_ms)
{
    memset(s, 0, sizeof *s);
    s->rate = rate;
    s->n = (size_t)rate * 8;
    size_t n = s->n, hl = 0;
    double *far = malloc(n * sizeof *far), *echo = malloc(n * sizeof *echo), *t = malloc(n * sizeof *t),
           *fl = malloc(n * sizeof *fl);
    double *h = sig_echo_path(rate, delay_ms, 40, -6, 5, &hl);
    s->near = calloc(n, sizeof *s->near);
    s->far = malloc(n * sizeof *s->far);
    s->mic = malloc(n * sizeof *s->mic);
    int ok = far && echo && t && fl && h && s->near && s->far && s->mic;
    if (ok) {
        /* talker 10's first 4 s have no long pause (the far end of a call, talking
         * from the start), said twice; talker 9's first 2 s are the near end's double
         * talk */
        sig_speech(far, n / 2, rate, 10, -20);
        memcpy(far + n / 2, far, n / 2 * sizeof *far); /* the same 4 s again */
        sig_speech(t, n, rate, 9, -26);
        for (size_t i = 4 * (size_t)rate; i < 6 * (size_t)rate; i++)
            s->near[i] = t[i - 4 * (size_t)rate];
        ok = sig_convolve(far, n, h, hl, echo) == 0;
        sig_white(fl, n, 9, -65);
        for (size_t i = 0; i < n; i++) {
            s->far[i] = sig_to_s16(far[i]);
            s->mic[i] = sig_to_s16(echo[i] + s->near[i] + fl[i]);
        }
    }
    free(far);
    free(echo);
    free(t);
    free(fl);
    free(h);
    if (!ok)
        apm_echo_scn_free(s);
    return ok ? 0 : -1;
}

static inline double apm_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs the scenario through a processor made from `o` (mono). out: the processed mic
 * (n samples, may be NULL). Returns 0 or an lkc error. */
static inline int apm_echo_run(const apm_echo_scn_t *s, const lkc_apm_options_t *o, apm_echo_res_t *r,
                               int16_t *out_keep)
{
    lkc_apm_t *apm = NULL;
    int err = lkc_apm_create(o, &apm);
    if (err)
        return err;
    int16_t *out = malloc(s->n * sizeof *out);
    if (!out) {
        lkc_apm_destroy(apm);
        return LKC_ERR_NO_MEMORY;
    }
    memcpy(out, s->mic, s->n * sizeof *out);
    size_t fs = lkc_apm_frame_size(apm), rate = (size_t)s->rate;
    double c0 = apm_cpu_s();
    for (size_t f = 0; f + fs <= s->n && !err; f += fs) {
        err = lkc_apm_process_render(apm, s->far + f, fs);
        if (!err)
            err = lkc_apm_process_capture(apm, out + f, fs);
    }
    double c1 = apm_cpu_s();
    if (!err) {
        r->us_per_frame = (c1 - c0) / ((double)s->n / (double)rate * 100.0) * 1e6;
        r->erle_db = sig_db(sig_energy_s16(s->mic, 2 * rate, 4 * rate), sig_energy_s16(out, 2 * rate, 4 * rate));
        r->dt_db = sig_db(sig_energy_s16(out, 4 * rate, 6 * rate), sig_energy(s->near, 4 * rate, 6 * rate));
        r->erle_after_db = sig_db(sig_energy_s16(s->mic, rate * 13 / 2, 8 * rate),
                                  sig_energy_s16(out, rate * 13 / 2, 8 * rate));
        err = lkc_apm_get_stats(apm, &r->stats);
    }
    if (out_keep)
        memcpy(out_keep, out, s->n * sizeof *out);
    free(out);
    lkc_apm_destroy(apm);
    return err;
}

/* Noise alone (babble: 0 white, 1 babble) through `o`; *reduction_db as above. */
static inline int apm_noise_make(int16_t *x, size_t n, int rate, int babble)
{
    double *d = malloc(n * sizeof *d);
    if (!d)
        return -1;
    int rc = 0;
    if (babble)
        rc = sig_babble(d, n, rate, 6, 20, -35);
    else
        sig_white(d, n, 4, -40);
    for (size_t i = 0; i < n; i++)
        x[i] = sig_to_s16(d[i]);
    free(d);
    return rc;
}

static inline int apm_noise_run(int rate, int babble, const lkc_apm_options_t *o, double *reduction_db)
{
    size_t n = (size_t)rate * 4;
    int16_t *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
    lkc_apm_t *apm = NULL;
    int err = in && out ? apm_noise_make(in, n, rate, babble) : -1;
    if (err) {
        free(in);
        free(out);
        return LKC_ERR_NO_MEMORY;
    }
    memcpy(out, in, n * sizeof *out);
    err = lkc_apm_create(o, &apm);
    size_t fs = apm ? lkc_apm_frame_size(apm) : 0;
    for (size_t f = 0; !err && f + fs <= n; f += fs)
        err = lkc_apm_process_capture(apm, out + f, fs);
    if (!err)
        *reduction_db = sig_db(sig_energy_s16(in, 2 * (size_t)rate, 4 * (size_t)rate),
                               sig_energy_s16(out, 2 * (size_t)rate, 4 * (size_t)rate));
    lkc_apm_destroy(apm);
    free(in);
    free(out);
    return err;
}

#endif
