#include "record.h"

#include <pthread.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING_SECONDS 4      /* the part of the timeline held in memory */
#define SETTLE_MS 500       /* listeners may still add this far back */
#define RESYNC_MS 100       /* a cursor this far from the wall clock jumps to it */

struct cli_recorder {
    pthread_mutex_t lock;
    SNDFILE *sf;
    int rate;
    int64_t start_ns;
    int32_t *ring;          /* [lock] sums at timeline positions modulo ring_len */
    size_t ring_len;
    int64_t written;        /* [lock] timeline samples already in the file */
    int16_t *out;           /* scratch for writing */
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The timeline position of "now". */
static int64_t now_pos(const cli_recorder_t *r)
{
    return (mono_ns() - r->start_ns) * r->rate / 1000000000;
}

cli_recorder_t *cli_recorder_open(const char *path, int rate, char *msg, size_t msg_len)
{
    cli_recorder_t *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(msg, msg_len, "out of memory");
        return NULL;
    }
    SF_INFO info = {.samplerate = rate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
    r->sf = sf_open(path, SFM_WRITE, &info);
    if (!r->sf) {
        snprintf(msg, msg_len, "cannot create \"%s\": %s (is the directory writable?)", path, sf_strerror(NULL));
        free(r);
        return NULL;
    }
    r->rate = rate;
    r->ring_len = (size_t)rate * RING_SECONDS;
    r->ring = calloc(r->ring_len, sizeof *r->ring);
    r->out = malloc(r->ring_len * sizeof *r->out);
    if (!r->ring || !r->out) {
        snprintf(msg, msg_len, "out of memory");
        sf_close(r->sf);
        free(r->ring);
        free(r->out);
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    r->start_ns = mono_ns();
    return r;
}

void cli_recorder_add(cli_recorder_t *r, int64_t *cursor, const int16_t *pcm, size_t n)
{
    if (!r || n == 0)
        return;
    int64_t here = now_pos(r) - (int64_t)n; /* where this chunk would start if it just arrived */
    int64_t resync = (int64_t)r->rate * RESYNC_MS / 1000;
    if (*cursor < 0 || *cursor < here - resync || *cursor > here + resync)
        *cursor = here;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < n; i++) {
        int64_t pos = *cursor + (int64_t)i;
        /* Only the window the ring holds: not yet written, not a lap ahead. */
        if (pos >= r->written && pos < r->written + (int64_t)r->ring_len)
            r->ring[pos % (int64_t)r->ring_len] += pcm[i];
    }
    pthread_mutex_unlock(&r->lock);
    *cursor += (int64_t)n;
}

/* Writes the timeline up to `until` (exclusive). Caller holds the lock. */
static void write_until(cli_recorder_t *r, int64_t until)
{
    while (r->written < until) {
        size_t n = 0;
        while (r->written + (int64_t)n < until && n < r->ring_len) {
            int32_t *slot = &r->ring[(r->written + (int64_t)n) % (int64_t)r->ring_len];
            int32_t v = *slot;
            r->out[n++] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
            *slot = 0;
        }
        sf_writef_short(r->sf, r->out, (sf_count_t)n);
        r->written += (int64_t)n;
    }
}

void cli_recorder_tick(cli_recorder_t *r)
{
    if (!r)
        return;
    int64_t settled = now_pos(r) - (int64_t)r->rate * SETTLE_MS / 1000;
    pthread_mutex_lock(&r->lock);
    write_until(r, settled);
    pthread_mutex_unlock(&r->lock);
}

double cli_recorder_seconds(cli_recorder_t *r)
{
    pthread_mutex_lock(&r->lock);
    double s = (double)r->written / r->rate;
    pthread_mutex_unlock(&r->lock);
    return s;
}

void cli_recorder_close(cli_recorder_t *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    write_until(r, now_pos(r));
    pthread_mutex_unlock(&r->lock);
    sf_close(r->sf);
    pthread_mutex_destroy(&r->lock);
    free(r->ring);
    free(r->out);
    free(r);
}
