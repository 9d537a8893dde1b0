/* apm: the public API's contract: bad arguments are errors, every rate lkc's sources
 * take works (10 ms units, 20 ms where 10 ms is not whole), stereo, gain control,
 * and render and capture on two threads at once (TSan checks the locking). */
#include <math.h>
#include <pthread.h>
#include <time.h>

#include "lkc/apm.h"
#include "test.h"
#include "test_apm_scenario.h"

static void bad_arguments(void)
{
    lkc_apm_t *a = NULL;
    lkc_apm_options_t o;
    CHECK_EQ_INT(lkc_apm_create(NULL, NULL), LKC_ERR_INVALID_ARG);
    memset(&o, 0, sizeof o); /* not initialised: struct_size 0 */
    CHECK_EQ_INT(lkc_apm_create(&o, &a), LKC_ERR_INVALID_ARG);
    CHECK(a == NULL, "out set on failure");
    static const struct {
        int rate, ch, rch, delay, tail, ns;
    } bad[] = {
        {7999, 1, 0, -1, 100, -25},  {48001, 1, 0, -1, 100, -25}, {44125, 1, 0, -1, 100, -25},
        {48000, 0, 0, -1, 100, -25}, {48000, 3, 0, -1, 100, -25}, {48000, 1, 3, -1, 100, -25},
        {48000, 1, 0, -2, 100, -25}, {48000, 1, 0, 501, 100, -25}, {48000, 1, 0, -1, 19, -25},
        {48000, 1, 0, -1, 301, -25}, {48000, 1, 0, -1, 100, 0},   {48000, 1, 0, -1, 100, -61},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lkc_apm_options_init(&o);
        o.sample_rate = bad[i].rate;
        o.channels = bad[i].ch;
        o.render_channels = bad[i].rch;
        o.stream_delay_ms = bad[i].delay;
        o.echo_tail_ms = bad[i].tail;
        o.noise_suppress_db = bad[i].ns;
        CHECK(lkc_apm_create(&o, &a) == LKC_ERR_INVALID_ARG, "case %zu accepted", i);
    }
    CHECK_OK(lkc_apm_create(NULL, &a)); /* defaults: 48 kHz mono, everything on */
    CHECK_EQ_INT(lkc_apm_frame_size(a), 480);
    int16_t pcm[960] = {0};
    CHECK_EQ_INT(lkc_apm_process_capture(NULL, pcm, 480), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_apm_process_capture(a, NULL, 480), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_apm_process_capture(a, pcm, 0), LKC_ERR_INVALID_ARG);
    pcm[0] = 1234;
    CHECK_EQ_INT(lkc_apm_process_capture(a, pcm, 479), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(pcm[0], 1234); /* left as it was */
    CHECK_OK(lkc_apm_process_capture(a, pcm, 960)); /* two units */
    CHECK_EQ_INT(lkc_apm_process_render(NULL, pcm, 10), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_apm_process_render(a, NULL, 10), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_apm_process_render(a, NULL, 0));
    CHECK_OK(lkc_apm_process_render(a, pcm, 7)); /* render takes any size */
    CHECK_EQ_INT(lkc_apm_set_stream_delay_ms(a, 501), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_apm_set_stream_delay_ms(a, -5), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_apm_set_stream_delay_ms(NULL, 10), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_apm_set_stream_delay_ms(a, 80));
    CHECK_OK(lkc_apm_process_capture(a, pcm, 480));
    lkc_apm_stats_t st;
    CHECK_EQ_INT(lkc_apm_get_stats(a, NULL), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_apm_get_stats(NULL, &st), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_apm_get_stats(a, &st));
    CHECK_EQ_INT(st.capture_frames, 3);
    CHECK_EQ_INT(st.render_samples, 7);
    CHECK_EQ_INT(st.delay_ms, 80);
    CHECK_EQ_INT(lkc_apm_frame_size(NULL), 0);
    lkc_apm_destroy(a);
    lkc_apm_destroy(NULL);
    lkc_apm_options_init(NULL);
}

/* An older caller's smaller struct: the fields it does not know keep their defaults. */
static void older_struct_size(void)
{
    lkc_apm_options_t o;
    lkc_apm_options_init(&o);
    o.sample_rate = 16000;
    o.struct_size = (uint32_t)offsetof(lkc_apm_options_t, echo_tail_ms);
    o.echo_tail_ms = 9999; /* beyond the caller's struct: not read */
    lkc_apm_t *a = NULL;
    CHECK_OK(lkc_apm_create(&o, &a));
    CHECK_EQ_INT(lkc_apm_frame_size(a), 160);
    lkc_apm_destroy(a);
}

/* Every kind of rate: each processes speech without error and keeps it audible. */
static void rates(void)
{
    static const int rate[] = {8000, 11000, 16000, 22050, 24000, 32000, 44100, 48000};
    for (size_t k = 0; k < sizeof rate / sizeof rate[0]; k++) {
        int r = rate[k];
        size_t unit = r % 100 ? (size_t)r / 50 : (size_t)r / 100, n = (size_t)r; /* 1 s */
        lkc_apm_t *a = NULL;
        CHECK_OK(lkc_apm_create(&(lkc_apm_options_t){.struct_size = sizeof(lkc_apm_options_t),
                                                      .sample_rate = r, .channels = 1,
                                                      .echo_cancellation = true, .noise_suppression = true,
                                                      .auto_gain = false, .high_pass = true,
                                                      .stream_delay_ms = -1, .echo_tail_ms = 60,
                                                      .noise_suppress_db = -25},
                                &a));
        CHECK_EQ_INT(lkc_apm_frame_size(a), unit);
        double *d = malloc(n * sizeof *d);
        int16_t *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), zero[960] = {0};
        CHECK(d && x && y, "out of memory");
        sig_speech(d, n, r, 3, -26);
        for (size_t i = 0; i < n; i++)
            x[i] = y[i] = sig_to_s16(d[i]);
        for (size_t f = 0; f + unit <= n; f += unit) {
            CHECK_OK(lkc_apm_process_render(a, zero, unit));
            CHECK_OK(lkc_apm_process_capture(a, y + f, unit));
        }
        double change = sig_db(sig_energy_s16(y, n / 2, n), sig_energy_s16(x, n / 2, n));
        fprintf(stderr, "   %d Hz: unit %zu, speech level change %+.1f dB (NS + AEC, silent far end)\n", r, unit,
                change);
        CHECK(change > -4 && change < 2, "speech changed %.1f dB at %d Hz", change, r);
        free(d);
        free(x);
        free(y);
        lkc_apm_destroy(a);
    }
}

/* Stereo capture against a mono far end: the echo is cancelled in both channels. */
static void stereo(void)
{
    apm_echo_scn_t s;
    CHECK(apm_echo_scn_make(&s, 16000, 100) == 0, "out of memory");
    lkc_apm_options_t o;
    lkc_apm_options_init(&o);
    o.sample_rate = 16000;
    o.channels = 2;
    o.render_channels = 1;
    o.noise_suppression = o.auto_gain = false;
    o.stream_delay_ms = 100;
    lkc_apm_t *a = NULL;
    CHECK_OK(lkc_apm_create(&o, &a));
    int16_t *st = malloc(s.n * 2 * sizeof *st);
    CHECK(st != NULL, "out of memory");
    for (size_t i = 0; i < s.n; i++) {
        st[2 * i] = s.mic[i];
        st[2 * i + 1] = (int16_t)(s.mic[i] / 2); /* the right mic hears it 6 dB lower */
    }
    for (size_t f = 0; f + 160 <= s.n; f += 160) {
        CHECK_OK(lkc_apm_process_render(a, s.far + f, 160));
        CHECK_OK(lkc_apm_process_capture(a, st + 2 * f, 160));
    }
    double el = 0, er = 0, il = 0, ir = 0;
    for (size_t i = 2 * 16000; i < 4 * 16000; i++) {
        il += (double)s.mic[i] * s.mic[i];
        ir += (double)(s.mic[i] / 2) * (s.mic[i] / 2);
        el += (double)st[2 * i] * st[2 * i];
        er += (double)st[2 * i + 1] * st[2 * i + 1];
    }
    fprintf(stderr, "   stereo ERLE: left %.1f dB, right %.1f dB\n", sig_db(il, el), sig_db(ir, er));
    CHECK(sig_db(il, el) >= 20 && sig_db(ir, er) >= 20, "stereo ERLE %.1f / %.1f", sig_db(il, el), sig_db(ir, er));
    free(st);
    lkc_apm_destroy(a);
    apm_echo_scn_free(&s);
}

/* AGC raises quiet speech (and the high-pass alone leaves speech alone). */
static void gain(void)
{
    int r = 16000;
    size_t n = (size_t)r * 4;
    double *d = malloc(n * sizeof *d);
    int16_t *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    CHECK(d && x && y, "out of memory");
    sig_speech(d, n, r, 4, -42);
    for (size_t i = 0; i < n; i++)
        x[i] = y[i] = sig_to_s16(d[i]);
    lkc_apm_options_t o;
    lkc_apm_options_init(&o);
    o.sample_rate = r;
    o.echo_cancellation = o.noise_suppression = false;
    lkc_apm_t *a = NULL;
    CHECK_OK(lkc_apm_create(&o, &a));
    CHECK_OK(lkc_apm_process_capture(a, y, n));
    double up = sig_db(sig_energy_s16(y, n / 2, n), sig_energy_s16(x, n / 2, n));
    lkc_apm_destroy(a);
    fprintf(stderr, "   AGC: -42 dBFS speech raised %+.1f dB over 2-4 s\n", up);
    CHECK(up >= 6, "AGC raised quiet speech only %.1f dB", up);
    free(d);
    free(x);
    free(y);
}

/* Render on one thread, capture on another, stats and delay changes from a third. */
typedef struct th {
    lkc_apm_t *a;
    const int16_t *pcm;
    size_t n, unit;
    int err;
} th_t;

static void *render_thread(void *p)
{
    th_t *t = p;
    for (size_t f = 0; f + t->unit <= t->n && !t->err; f += t->unit)
        t->err = lkc_apm_process_render(t->a, t->pcm + f, t->unit);
    return NULL;
}

static void *capture_thread(void *p)
{
    th_t *t = p;
    int16_t buf[480];
    for (size_t f = 0; f + t->unit <= t->n && !t->err; f += t->unit) {
        memcpy(buf, t->pcm + f, t->unit * sizeof *buf);
        t->err = lkc_apm_process_capture(t->a, buf, t->unit);
    }
    return NULL;
}

static void two_threads(void)
{
    apm_echo_scn_t s;
    CHECK(apm_echo_scn_make(&s, 16000, 60) == 0, "out of memory");
    lkc_apm_t *a = NULL;
    lkc_apm_options_t o;
    lkc_apm_options_init(&o);
    o.sample_rate = 16000;
    CHECK_OK(lkc_apm_create(&o, &a));
    size_t n = 3 * 16000;
    th_t r = {a, s.far, n, 160, 0}, c = {a, s.mic, n, 160, 0};
    pthread_t tr, tc;
    CHECK(pthread_create(&tr, NULL, render_thread, &r) == 0, "thread");
    CHECK(pthread_create(&tc, NULL, capture_thread, &c) == 0, "thread");
    lkc_apm_stats_t st;
    for (int i = 0; i < 50; i++) {
        CHECK_OK(lkc_apm_get_stats(a, &st));
        CHECK_OK(lkc_apm_set_stream_delay_ms(a, i % 2 ? 60 : LKC_APM_DELAY_ESTIMATE));
    }
    pthread_join(tr, NULL);
    pthread_join(tc, NULL);
    CHECK_OK(r.err);
    CHECK_OK(c.err);
    CHECK_OK(lkc_apm_get_stats(a, &st));
    CHECK_EQ_INT(st.capture_frames, n / 160);
    CHECK_EQ_INT(st.render_samples, n);
    fprintf(stderr, "   two threads: %llu units, %llu realigns\n", (unsigned long long)st.capture_frames,
            (unsigned long long)st.realigns);
    lkc_apm_destroy(a);
    apm_echo_scn_free(&s);
}

/* The way a device uses it: a speaker thread and a microphone thread, each paced by its
 * own 10 ms clock from the same start (so one may run a frame ahead of the other, as
 * real sound cards do), echo on the microphone: the echo still goes. */
typedef struct paced {
    lkc_apm_t *a;
    int16_t *pcm;
    size_t n;
    struct timespec t0;
    bool capture;
    int err;
} paced_t;

static void *paced_thread(void *p)
{
    paced_t *t = p;
    struct timespec due = t->t0;
    for (size_t f = 0; f + 160 <= t->n && !t->err; f += 160) {
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) != 0) {
        }
        t->err = t->capture ? lkc_apm_process_capture(t->a, t->pcm + f, 160)
                            : lkc_apm_process_render(t->a, t->pcm + f, 160);
        due.tv_nsec += 10 * 1000 * 1000;
        if (due.tv_nsec >= 1000000000) {
            due.tv_nsec -= 1000000000;
            due.tv_sec++;
        }
    }
    return NULL;
}

static void paced_threads(void)
{
    apm_echo_scn_t s;
    CHECK(apm_echo_scn_make(&s, 16000, 100) == 0, "out of memory");
    size_t n = 3 * 16000; /* 3 s in real time */
    int16_t *out = malloc(n * sizeof *out);
    CHECK(out != NULL, "out of memory");
    memcpy(out, s.mic, n * sizeof *out);
    lkc_apm_options_t o;
    lkc_apm_options_init(&o);
    o.sample_rate = 16000;
    o.noise_suppression = o.auto_gain = false;
    o.stream_delay_ms = 100;
    lkc_apm_t *a = NULL;
    CHECK_OK(lkc_apm_create(&o, &a));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    t0.tv_nsec += 50 * 1000 * 1000; /* both start on the same tick, after the threads exist */
    if (t0.tv_nsec >= 1000000000) {
        t0.tv_nsec -= 1000000000;
        t0.tv_sec++;
    }
    paced_t r = {a, s.far, n, t0, false, 0}, c = {a, out, n, t0, true, 0};
    pthread_t tr, tc;
    CHECK(pthread_create(&tc, NULL, paced_thread, &c) == 0, "thread");
    CHECK(pthread_create(&tr, NULL, paced_thread, &r) == 0, "thread");
    pthread_join(tr, NULL);
    pthread_join(tc, NULL);
    CHECK_OK(r.err);
    CHECK_OK(c.err);
    lkc_apm_stats_t st;
    CHECK_OK(lkc_apm_get_stats(a, &st));
    double erle = sig_db(sig_energy_s16(s.mic, 2 * 16000, n), sig_energy_s16(out, 2 * 16000, n));
    fprintf(stderr, "   paced threads, echo at 100 ms: ERLE %.1f dB over 2-3 s, %llu realigns\n", erle,
            (unsigned long long)st.realigns);
    /* A machine loaded enough to hold one thread up by more than 40 ms makes the far end
     * realign (a step the filter must re-learn, as with a real stalled speaker): then
     * only sanity is checked, the figure is printed. */
    if (st.realigns == 0)
        CHECK(erle >= 15, "ERLE %.1f dB with two paced threads", erle);
    else
        CHECK(erle > 0, "ERLE %.1f dB with two paced threads after %llu realigns", erle,
              (unsigned long long)st.realigns);
    lkc_apm_destroy(a);
    free(out);
    apm_echo_scn_free(&s);
}

int main(void)
{
    RUN(bad_arguments);
    RUN(older_struct_size);
    RUN(rates);
    RUN(stereo);
    RUN(gain);
    RUN(two_threads);
    RUN(paced_threads);
    return 0;
}
