/* Shared helpers for the lkc benchmark programs (bench/bench_*.c).
 *
 * Header-only (static inline) because CMake builds each bench_<name>.c on its own.
 * Everything here uses the public API only. Times are CLOCK_MONOTONIC nanoseconds,
 * the same clock Python's time.monotonic_ns() reads, so figures from an lkc process
 * and a Python process on this machine can be compared directly.
 *
 * Output convention: one JSON object per line on stdout ("ev" names the record);
 * diagnostics go to stderr. bench/run.py parses stdout.
 */
#ifndef LKC_BENCH_COMMON_H
#define LKC_BENCH_COMMON_H

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <lkc/lkc.h>

#define BENCH_SR 48000            /* every benchmark runs 48 kHz mono */
#define BENCH_CHUNK (BENCH_SR / 100) /* the application's capture/read chunk: 10 ms */

static inline int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline double bench_ms(int64_t ns)
{
    return (double)ns / 1e6;
}

static inline void bench_sleep_until(int64_t t_ns)
{
    struct timespec ts = {.tv_sec = t_ns / 1000000000, .tv_nsec = t_ns % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

/* Real-time pacing for the capture threads: absolute 10 ms deadlines (no drift). When
 * the thread was held up for more than a period, the schedule restarts from now instead of
 * bursting the missed chunks into the SDK (that backlog would be the harness's latency,
 * not the SDK's); restarts are counted. */
typedef struct bench_pacer {
    int64_t next;
    int64_t period;
    unsigned long restarts;
} bench_pacer_t;

static inline void bench_pacer_init(bench_pacer_t *p, int64_t period_ns)
{
    p->period = period_ns;
    p->next = 0;
    p->restarts = 0;
}

static inline void bench_pacer_tick(bench_pacer_t *p)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (p->next == 0)
        p->next = now;
    p->next += p->period;
    if (now > p->next + p->period) {
        p->restarts++;
        p->next = now;
    }
    struct timespec d = {.tv_sec = p->next / 1000000000, .tv_nsec = p->next % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &d, NULL) == EINTR) {
    }
}

static inline void bench_sleep_ms(int ms)
{
    bench_sleep_until(bench_now_ns() + (int64_t)ms * 1000000);
}

/* CPU seconds (user + system) of the whole process so far: every thread. */
static inline double bench_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static inline void bench_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    printf("{\"ev\":\"error\"}\n");
    fflush(stdout);
    exit(1);
}

/* One JSON line on stdout: the caller passes the object's members (without braces). */
static inline void bench_emit(const char *ev, const char *fmt, ...)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    printf("{\"ev\":\"%s\"", ev);
    if (fmt && *fmt) {
        putchar(',');
        va_list ap;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
    }
    printf("}\n");
    fflush(stdout);
    pthread_mutex_unlock(&lock);
}

/* --- arguments --------------------------------------------------------------------- */

/* "--name value" lookup; NULL when absent. */
static inline const char *bench_arg(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

/* A flag without a value ("--tone"). */
static inline bool bench_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

static inline int bench_arg_int(int argc, char **argv, const char *name, int def)
{
    const char *v = bench_arg(argc, argv, name);
    return v ? atoi(v) : def;
}

static inline double bench_arg_double(int argc, char **argv, const char *name, double def)
{
    const char *v = bench_arg(argc, argv, name);
    return v ? atof(v) : def;
}

static inline const char *bench_arg_str(int argc, char **argv, const char *name, const char *def)
{
    const char *v = bench_arg(argc, argv, name);
    return v ? v : def;
}

/* --- server and tokens ------------------------------------------------------------- */

static inline const char *bench_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        bench_die("%s is not set (bench/run starts a server and sets it)", name);
    return v;
}

static inline char *bench_token(const char *room, const char *identity)
{
    lkc_token_options_t o;
    lkc_token_options_init(&o);
    o.api_key = bench_env("LIVEKIT_API_KEY");
    o.api_secret = bench_env("LIVEKIT_API_SECRET");
    o.identity = identity;
    o.grant.room = room;
    o.ttl_seconds = 3600;
    char *tok = NULL;
    lkc_err_t rc = lkc_token_mint(&o, &tok);
    if (rc != LKC_OK)
        bench_die("lkc_token_mint: %s", lkc_err_str(rc));
    return tok;
}

/* Starts a connect (does not wait). */
static inline void bench_connect_start(lkc_room_t *room, const char *room_name, const char *identity)
{
    char *tok = bench_token(room_name, identity);
    lkc_err_t rc = lkc_room_connect(room, bench_env("LIVEKIT_URL"), tok);
    lkc_free(tok);
    if (rc != LKC_OK)
        bench_die("lkc_room_connect(%s): %s", identity, lkc_err_str(rc));
}

static inline void bench_wait_connected(lkc_room_t *room, const char *identity, int timeout_ms)
{
    lkc_err_t rc = lkc_room_wait_connected(room, timeout_ms);
    if (rc != LKC_OK) {
        char msg[256] = "";
        lkc_room_failure_message(room, msg, sizeof msg);
        bench_die("%s did not connect: %s (%s: %s)", identity, lkc_err_str(rc),
                  lkc_failure_str(lkc_room_failure_reason(room)), msg);
    }
}

/* Creates a room with `opts` (NULL: defaults), connects it and waits. */
static inline lkc_room_t *bench_join(const lkc_room_options_t *opts, const char *room_name, const char *identity)
{
    lkc_room_t *room = NULL;
    lkc_err_t rc = lkc_room_create(opts, &room);
    if (rc != LKC_OK)
        bench_die("lkc_room_create: %s", lkc_err_str(rc));
    bench_connect_start(room, room_name, identity);
    bench_wait_connected(room, identity, 20000);
    return room;
}

/* Waits until `room` lists a remote participant `identity` with an audio track; copies
 * that track's sid. Returns false on timeout. */
static inline bool bench_find_audio_track(lkc_room_t *room, const char *identity, char *sid, size_t len,
                                          int timeout_ms)
{
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    while (bench_now_ns() < deadline) {
        lkc_participant_list_t *l = NULL;
        if (lkc_room_get_participants(room, &l) == LKC_OK) {
            for (size_t i = 0; i < l->n; i++) {
                const lkc_participant_info_t *p = &l->items[i];
                if (identity && strcmp(p->identity, identity) != 0)
                    continue;
                for (size_t k = 0; k < p->n_tracks; k++) {
                    if (p->tracks[k].kind == LKC_TRACK_AUDIO && p->tracks[k].sid && *p->tracks[k].sid) {
                        snprintf(sid, len, "%s", p->tracks[k].sid);
                        lkc_participant_list_free(l);
                        return true;
                    }
                }
            }
            lkc_participant_list_free(l);
        }
        bench_sleep_ms(5);
    }
    return false;
}

/* Waits until `room` lists a remote participant `identity` (NULL: anyone). */
static inline bool bench_wait_participant(lkc_room_t *room, const char *identity, int timeout_ms)
{
    int64_t deadline = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    while (bench_now_ns() < deadline) {
        lkc_participant_list_t *l = NULL;
        bool found = false;
        if (lkc_room_get_participants(room, &l) == LKC_OK) {
            for (size_t i = 0; i < l->n && !found; i++)
                found = !identity || strcmp(l->items[i].identity, identity) == 0;
            lkc_participant_list_free(l);
        }
        if (found)
            return true;
        bench_sleep_ms(5);
    }
    return false;
}

/* --- signals ------------------------------------------------------------------------- */

/* A sine tone generator (phase kept between calls). */
typedef struct bench_tone {
    double phase;
    double step;
    double amp;
} bench_tone_t;

static inline void bench_tone_init(bench_tone_t *t, double hz, double dbfs)
{
    t->phase = 0;
    t->step = 2.0 * M_PI * hz / BENCH_SR;
    t->amp = 32767.0 * pow(10.0, dbfs / 20.0);
}

static inline void bench_tone_fill(bench_tone_t *t, int16_t *pcm, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pcm[i] = (int16_t)lrint(t->amp * sin(t->phase));
        t->phase += t->step;
        if (t->phase > 2.0 * M_PI)
            t->phase -= 2.0 * M_PI;
    }
}

/* Index of the first sample with |x| >= threshold, or -1. */
static inline int bench_onset(const int16_t *pcm, size_t n, int threshold)
{
    for (size_t i = 0; i < n; i++)
        if (pcm[i] >= threshold || pcm[i] <= -threshold)
            return (int)i;
    return -1;
}

static inline void bench_loadavg(double *l1)
{
    *l1 = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", l1) != 1)
            *l1 = -1;
        fclose(f);
    }
}

#endif
