/* bench_apm: lkc's audio processing (lkc/apm.h) on the measurement signals of
 * tests/unit/test_apm_scenario.h at 48 kHz mono; bench/py_apm.py runs the same signals
 * through the Python SDK's AudioProcessingModule.
 *
 *   bench_apm [--delay MS] [--reps N]          one JSON line on stdout
 *   bench_apm --write-signals DIR [--delay MS] the signals as raw s16le 48 kHz mono files
 *                                              (far, mic, near, noise_white, noise_babble)
 *
 * Figures (see test_apm_scenario.h for the segments):
 *   erle_db, dt_db, erle_after_db  AEC + high-pass, the delay given
 *   erle_est_db, delay_est_ms      the same with the delay estimated
 *   noise_white_db, noise_babble_db  NS alone
 *   us_per_10ms  CPU (thread time) of render + capture per 10 ms with AEC + NS + AGC + HPF
 *                on the echo scenario, the median of --reps runs
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lkc/apm.h>

#include "../tests/unit/test_apm_scenario.h"

#define RATE 48000

static int write_file(const char *dir, const char *name, const int16_t *x, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.s16", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(x, sizeof *x, n, f) != n) {
        fprintf(stderr, "bench_apm: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

static int write_signals(const char *dir, const apm_echo_scn_t *s)
{
    size_t nn = (size_t)RATE * 4;
    int16_t *near = malloc(s->n * sizeof *near), *w = malloc(nn * sizeof *w), *b = malloc(nn * sizeof *b);
    if (!near || !w || !b || apm_noise_make(w, nn, RATE, 0) || apm_noise_make(b, nn, RATE, 1))
        return 1;
    for (size_t i = 0; i < s->n; i++)
        near[i] = sig_to_s16(s->near[i]);
    int rc = write_file(dir, "far", s->far, s->n) | write_file(dir, "mic", s->mic, s->n) |
             write_file(dir, "near", near, s->n) | write_file(dir, "noise_white", w, nn) |
             write_file(dir, "noise_babble", b, nn);
    free(near);
    free(w);
    free(b);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int delay = 120, reps = 3;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--delay") && i + 1 < argc)
            delay = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--write-signals") && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_apm [--delay MS] [--reps N] [--write-signals DIR]\n");
            return 2;
        }
    }
    if (delay < 0 || delay > 500 || reps < 1 || reps > 50) {
        fprintf(stderr, "bench_apm: --delay 0..500, --reps 1..50\n");
        return 2;
    }
    apm_echo_scn_t s;
    if (apm_echo_scn_make(&s, RATE, delay)) {
        fprintf(stderr, "bench_apm: out of memory\n");
        return 1;
    }
    if (dir) {
        int rc = write_signals(dir, &s);
        apm_echo_scn_free(&s);
        return rc;
    }
    lkc_apm_options_t aec, all, ns;
    lkc_apm_options_init(&all);
    all.stream_delay_ms = delay;
    aec = all;
    aec.noise_suppression = aec.auto_gain = false;
    ns = all;
    ns.echo_cancellation = ns.auto_gain = ns.high_pass = false;
    apm_echo_res_t given, est, full;
    double white = 0, babble = 0, us[50];
    int err = apm_echo_run(&s, &aec, &given, NULL);
    aec.stream_delay_ms = LKC_APM_DELAY_ESTIMATE;
    if (!err)
        err = apm_echo_run(&s, &aec, &est, NULL);
    for (int r = 0; r < reps && !err; r++) {
        err = apm_echo_run(&s, &all, &full, NULL);
        us[r] = full.us_per_frame;
    }
    if (!err)
        err = apm_noise_run(RATE, 0, &ns, &white);
    if (!err)
        err = apm_noise_run(RATE, 1, &ns, &babble);
    apm_echo_scn_free(&s);
    if (err) {
        fprintf(stderr, "bench_apm: %s\n", lkc_err_str(err));
        return 1;
    }
    qsort(us, (size_t)reps, sizeof *us, cmp_double);
    printf("{\"ev\":\"apm\",\"impl\":\"lkc (speexdsp)\",\"rate\":%d,\"delay_ms\":%d,\"erle_db\":%.1f,\"dt_db\":%.1f,"
           "\"erle_after_db\":%.1f,\"erle_est_db\":%.1f,\"delay_est_ms\":%d,\"noise_white_db\":%.1f,"
           "\"noise_babble_db\":%.1f,\"erle_all_db\":%.1f,\"dt_all_db\":%.1f,\"us_per_10ms\":%.1f}\n",
           RATE, delay, given.erle_db, given.dt_db, given.erle_after_db, est.erle_db, est.stats.delay_ms, white,
           babble, full.erle_db, full.dt_db, us[reps / 2]);
    return 0;
}
