/* The playout ring: overwrite-oldest sample ring under a mutex, readers wait on a condvar. */
#include "media/pcm_ring.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/sync.h"
#include "lkc/error.h"

struct lkc_pcm_ring {
    pthread_mutex_t lock;
    pthread_cond_t data; /* readers wait here for writes and the end */
    int channels;
    bool started, ended;
    bool closed;     /* the owner let go: readers get LKC_ERR_CLOSED */
    size_t capacity; /* samples per channel */
    size_t head;     /* ring index of the oldest unread sample */
    size_t count;    /* samples per channel unread */
    int waiters;
    lkc_pcm_ring_stats_t stats;
    int16_t *ring;   /* capacity * channels */
};

int lkc_pcm_ring_create(lkc_pcm_ring_t **out, int sample_rate, int channels, int capacity_ms)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    if (sample_rate < 8000 || sample_rate > 48000 || channels < 1 || channels > 2 ||
        capacity_ms < 1 || capacity_ms > LKC_PCM_RING_MAX_MS)
        return LKC_ERR_INVALID_ARG;
    lkc_pcm_ring_t *r = calloc(1, sizeof *r);
    if (!r)
        return LKC_ERR_NO_MEMORY;
    r->channels = channels;
    r->capacity = (size_t)sample_rate * (size_t)capacity_ms / 1000;
    if (r->capacity == 0)
        r->capacity = 1;
    r->ring = malloc(r->capacity * (size_t)channels * sizeof *r->ring);
    if (!r->ring) {
        free(r);
        return LKC_ERR_NO_MEMORY;
    }
    pthread_mutex_init(&r->lock, NULL);
    lkc_cond_init_monotonic(&r->data);
    *out = r;
    return LKC_OK;
}

void lkc_pcm_ring_free(lkc_pcm_ring_t *r)
{
    if (!r)
        return;
    pthread_cond_destroy(&r->data);
    pthread_mutex_destroy(&r->lock);
    free(r->ring);
    free(r);
}

/* Drops the n oldest unread samples. */
static void drop_oldest(lkc_pcm_ring_t *r, size_t n)
{
    r->head = (r->head + n) % r->capacity;
    r->count -= n;
}

int lkc_pcm_ring_write(lkc_pcm_ring_t *r, const int16_t *pcm, size_t samples)
{
    if (!r || (!pcm && samples) || samples > SIZE_MAX / 16)
        return LKC_ERR_INVALID_ARG;
    size_t ch = (size_t)r->channels;
    pthread_mutex_lock(&r->lock);
    if (r->ended || r->closed) {
        pthread_mutex_unlock(&r->lock);
        return LKC_ERR_CLOSED;
    }
    if (samples) {
        r->stats.samples_written += samples;
        r->started = true;
        /* Only the newest `capacity` samples of the block can survive. */
        size_t skip = samples > r->capacity ? samples - r->capacity : 0;
        size_t keep = samples - skip;
        size_t over = r->count + keep > r->capacity ? r->count + keep - r->capacity : 0;
        if (skip || over) {
            drop_oldest(r, over);
            r->stats.samples_dropped += skip + over;
            r->stats.overflows++;
        }
        const int16_t *src = pcm + skip * ch;
        size_t tail = (r->head + r->count) % r->capacity;
        size_t first = r->capacity - tail < keep ? r->capacity - tail : keep;
        memcpy(r->ring + tail * ch, src, first * ch * sizeof *src);
        memcpy(r->ring, src + first * ch, (keep - first) * ch * sizeof *src);
        r->count += keep;
        if (r->waiters)
            pthread_cond_broadcast(&r->data);
    }
    pthread_mutex_unlock(&r->lock);
    return LKC_OK;
}

void lkc_pcm_ring_end(lkc_pcm_ring_t *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->ended = true;
    pthread_cond_broadcast(&r->data);
    pthread_mutex_unlock(&r->lock);
}

void lkc_pcm_ring_close(lkc_pcm_ring_t *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->closed = true;
    pthread_cond_broadcast(&r->data);
    pthread_mutex_unlock(&r->lock);
}

void lkc_pcm_ring_clear(lkc_pcm_ring_t *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stats.samples_cleared += r->count;
    r->count = 0;
    r->head = 0;
    pthread_mutex_unlock(&r->lock);
}

int lkc_pcm_ring_read(lkc_pcm_ring_t *r, int16_t *out, size_t max_samples, int timeout_ms,
                      unsigned flags)
{
    if (!r || !out || max_samples == 0 || (flags & ~LKC_PCM_RING_READ_FULL))
        return LKC_ERR_INVALID_ARG;
    bool full = flags & LKC_PCM_RING_READ_FULL;
    if (full && max_samples > r->capacity)
        return LKC_ERR_INVALID_ARG;
    size_t need = full ? max_samples : 1;
    pthread_mutex_lock(&r->lock);
    if (r->closed) {
        pthread_mutex_unlock(&r->lock);
        return LKC_ERR_CLOSED;
    }
    if (r->count < need && r->started && !r->ended)
        r->stats.underruns++;
    struct timespec ts;
    if (timeout_ms > 0)
        lkc_deadline_after(&ts, timeout_ms);
    bool in_time = timeout_ms != 0;
    while (r->count < need && !r->ended && !r->closed && in_time) {
        r->waiters++;
        if (timeout_ms < 0)
            pthread_cond_wait(&r->data, &r->lock);
        else
            in_time = pthread_cond_timedwait(&r->data, &r->lock, &ts) != ETIMEDOUT;
        r->waiters--;
    }
    int rc;
    if (r->closed) {
        rc = LKC_ERR_CLOSED;
    } else if (r->count == 0) {
        rc = r->ended ? LKC_EOS : LKC_ERR_TIMEOUT;
    } else if (r->count < need && !r->ended) {
        rc = LKC_ERR_TIMEOUT; /* READ_FULL ran out of time: leave the partial data */
    } else {
        size_t ch = (size_t)r->channels;
        size_t n = r->count < max_samples ? r->count : max_samples;
        size_t first = r->capacity - r->head < n ? r->capacity - r->head : n;
        memcpy(out, r->ring + r->head * ch, first * ch * sizeof *out);
        memcpy(out + first * ch, r->ring, (n - first) * ch * sizeof *out);
        drop_oldest(r, n);
        r->stats.samples_read += n;
        rc = (int)n;
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

size_t lkc_pcm_ring_available(lkc_pcm_ring_t *r)
{
    if (!r)
        return 0;
    pthread_mutex_lock(&r->lock);
    size_t n = r->count;
    pthread_mutex_unlock(&r->lock);
    return n;
}

int lkc_pcm_ring_waiters(lkc_pcm_ring_t *r)
{
    if (!r)
        return 0;
    pthread_mutex_lock(&r->lock);
    int n = r->waiters;
    pthread_mutex_unlock(&r->lock);
    return n;
}

void lkc_pcm_ring_stats(lkc_pcm_ring_t *r, lkc_pcm_ring_stats_t *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    *out = r->stats;
    pthread_mutex_unlock(&r->lock);
}
