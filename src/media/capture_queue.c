/* The capture queue: a sample ring under a mutex, popped in 20 ms frames.
 *
 * Invariant: `head` always sits on a frame boundary of the stream (pops and drops take
 * whole frames, clear empties everything), so `count % frame` is the partial frame. */
#include "media/capture_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/sync.h"
#include "lkc/error.h"

struct lkc_capture_queue {
    pthread_mutex_t lock;
    pthread_cond_t room;    /* pushers wait here for space */
    pthread_cond_t drained; /* wait_empty waits here for out_pos to advance */
    int rate, channels;
    bool realtime, closed;
    bool splitting;  /* a push larger than the capacity is going in piece by piece */
    size_t frame;    /* samples per channel per frame */
    size_t capacity; /* samples per channel, a multiple of frame */
    size_t head;     /* ring index of the oldest sample (per channel) */
    size_t count;    /* samples per channel queued */
    uint64_t out_pos; /* samples per channel that ever left: popped, dropped, cleared */
    int room_waiters, drain_waiters;
    void (*listener)(void *user);
    void *listener_user;
    lkc_capture_queue_stats_t stats;
    int16_t *ring;   /* capacity * channels */
};

int lkc_capture_queue_create(lkc_capture_queue_t **out, int sample_rate, int channels,
                             int queue_ms)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    if (sample_rate < 8000 || sample_rate > 48000 || sample_rate % 50 || channels < 1 ||
        channels > 2 || queue_ms < 0 || queue_ms > LKC_CAPTURE_QUEUE_MAX_MS)
        return LKC_ERR_INVALID_ARG;

    lkc_capture_queue_t *q = calloc(1, sizeof *q);
    if (!q)
        return LKC_ERR_NO_MEMORY;
    q->rate = sample_rate;
    q->channels = channels;
    q->realtime = queue_ms == 0;
    q->frame = (size_t)sample_rate / 50;
    /* Whole frames, so flush can always pad; real time keeps two frames plus a partial. */
    size_t frames = q->realtime ? 3 : ((size_t)queue_ms + 19) / 20;
    q->capacity = frames * q->frame;
    q->ring = malloc(q->capacity * (size_t)channels * sizeof *q->ring);
    if (!q->ring) {
        free(q);
        return LKC_ERR_NO_MEMORY;
    }
    pthread_mutex_init(&q->lock, NULL);
    lkc_cond_init_monotonic(&q->room);
    lkc_cond_init_monotonic(&q->drained);
    *out = q;
    return LKC_OK;
}

void lkc_capture_queue_free(lkc_capture_queue_t *q)
{
    if (!q)
        return;
    pthread_cond_destroy(&q->room);
    pthread_cond_destroy(&q->drained);
    pthread_mutex_destroy(&q->lock);
    free(q->ring);
    free(q);
}

size_t lkc_capture_queue_frame_samples(const lkc_capture_queue_t *q)
{
    return q ? q->frame : 0;
}

/* One wait on `cv`; false once the deadline (NULL = none) has passed. */
static bool wait_on(pthread_cond_t *cv, pthread_mutex_t *m, const struct timespec *deadline)
{
    if (!deadline) {
        pthread_cond_wait(cv, m);
        return true;
    }
    return pthread_cond_timedwait(cv, m, deadline) != ETIMEDOUT;
}

static void ring_put(lkc_capture_queue_t *q, const int16_t *src, size_t n)
{
    size_t ch = (size_t)q->channels;
    size_t tail = (q->head + q->count) % q->capacity;
    size_t first = q->capacity - tail < n ? q->capacity - tail : n;
    memcpy(q->ring + tail * ch, src, first * ch * sizeof *src);
    memcpy(q->ring, src + first * ch, (n - first) * ch * sizeof *src);
    q->count += n;
}

static void ring_take(lkc_capture_queue_t *q, int16_t *dst, size_t n)
{
    size_t ch = (size_t)q->channels;
    size_t first = q->capacity - q->head < n ? q->capacity - q->head : n;
    memcpy(dst, q->ring + q->head * ch, first * ch * sizeof *dst);
    memcpy(dst + first * ch, q->ring, (n - first) * ch * sizeof *dst);
}

/* Forgets the n oldest queued samples (they left the queue without being popped). */
static void ring_skip(lkc_capture_queue_t *q, size_t n)
{
    q->head = (q->head + n) % q->capacity;
    q->count -= n;
    q->out_pos += n;
}

static void wake_all(lkc_capture_queue_t *q)
{
    if (q->room_waiters)
        pthread_cond_broadcast(&q->room);
    if (q->drain_waiters)
        pthread_cond_broadcast(&q->drained);
}

static void count_pushed(lkc_capture_queue_t *q, size_t n)
{
    q->stats.samples_pushed += n;
    q->stats.frames_pushed += (q->count % q->frame + n) / q->frame;
}

#define REALTIME_FRAMES 2

/* Tells the listener when the first complete frame appears. */
static void announce(lkc_capture_queue_t *q, size_t complete_before)
{
    if (q->listener && complete_before == 0 && q->count >= q->frame)
        q->listener(q->listener_user);
}

/* Real time: keep at most REALTIME_FRAMES complete frames, dropping the oldest whole
 * frames of the stream (queued first, then from the front of the new block). */
static void push_realtime(lkc_capture_queue_t *q, const int16_t *pcm, size_t n)
{
    count_pushed(q, n);
    size_t complete = (q->count + n) / q->frame;
    size_t drop = complete > REALTIME_FRAMES ? (complete - REALTIME_FRAMES) * q->frame : 0;
    size_t from_queue = drop < q->count ? drop : q->count;
    ring_skip(q, from_queue);
    size_t from_block = drop - from_queue;
    q->out_pos += from_block;
    q->stats.frames_dropped += drop / q->frame;
    ring_put(q, pcm + from_block * (size_t)q->channels, n - from_block);
    if (drop)
        wake_all(q); /* drops count as leaving, for wait_empty */
}

/* A push's one deadline: timeout_ms 0 = do not wait, < 0 = no limit. */
typedef struct {
    bool wait;
    const struct timespec *at; /* NULL: no limit */
    struct timespec ts;
} deadline_t;

static void deadline_init(deadline_t *d, int timeout_ms)
{
    d->wait = timeout_ms != 0;
    d->at = NULL;
    if (timeout_ms > 0) {
        lkc_deadline_after(&d->ts, timeout_ms);
        d->at = &d->ts;
    }
}

/* Waits, until the deadline, for `need` samples to fit while no split push other than
 * the caller's own (`mine`) holds the queue. True when that is so; false once closed
 * or out of time. */
static bool wait_room(lkc_capture_queue_t *q, size_t need, deadline_t *d, bool mine)
{
    while (!q->closed && ((q->splitting && !mine) || q->count + need > q->capacity) && d->wait) {
        q->room_waiters++;
        d->wait = wait_on(&q->room, &q->lock, d->at);
        q->room_waiters--;
    }
    return !q->closed && !(q->splitting && !mine) && q->count + need <= q->capacity;
}

/* Appends n samples that fit, counting them and telling the listener. */
static void put_piece(lkc_capture_queue_t *q, const int16_t *pcm, size_t n)
{
    size_t complete_before = q->count / q->frame;
    count_pushed(q, n);
    ring_put(q, pcm, n);
    announce(q, complete_before);
}

/* Buffered, samples > capacity: in pieces as room appears, all within the one deadline;
 * other pushes wait until it is done, so the block stays contiguous. */
static int push_split(lkc_capture_queue_t *q, const int16_t *pcm, size_t samples, deadline_t *d)
{
    if (!wait_room(q, 1, d, false)) {
        if (q->closed)
            return LKC_ERR_CLOSED;
        q->stats.would_block++;
        return LKC_ERR_WOULD_BLOCK; /* nothing taken */
    }
    q->splitting = true;
    size_t done = 0, ch = (size_t)q->channels;
    int rc = LKC_OK;
    while (done < samples) {
        size_t n = q->capacity - q->count;
        if (n > samples - done)
            n = samples - done;
        put_piece(q, pcm + done * ch, n);
        done += n;
        if (done < samples && !wait_room(q, 1, d, true)) {
            if (q->closed) {
                rc = LKC_ERR_CLOSED;
            } else {
                q->stats.would_block++;
                rc = LKC_ERR_TIMEOUT; /* the first `done` samples stay queued */
            }
            break;
        }
    }
    q->splitting = false;
    if (q->room_waiters)
        pthread_cond_broadcast(&q->room); /* pushes held back by the split */
    return rc;
}

int lkc_capture_queue_push(lkc_capture_queue_t *q, const int16_t *pcm, size_t samples,
                           int timeout_ms)
{
    /* The size bound keeps count + samples and byte counts far from overflow. */
    if (!q || (!pcm && samples) || samples > SIZE_MAX / 16)
        return LKC_ERR_INVALID_ARG;
    deadline_t d;
    deadline_init(&d, timeout_ms);
    pthread_mutex_lock(&q->lock);
    int rc = LKC_OK;
    if (q->closed) {
        rc = LKC_ERR_CLOSED;
    } else if (samples == 0) {
        /* nothing to do */
    } else if (q->realtime) {
        size_t complete_before = q->count / q->frame;
        push_realtime(q, pcm, samples);
        announce(q, complete_before);
    } else if (samples > q->capacity) {
        rc = push_split(q, pcm, samples, &d);
    } else if (wait_room(q, samples, &d, false)) {
        put_piece(q, pcm, samples);
    } else if (q->closed) {
        rc = LKC_ERR_CLOSED;
    } else {
        q->stats.would_block++;
        rc = LKC_ERR_WOULD_BLOCK;
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int lkc_capture_queue_pop_frame(lkc_capture_queue_t *q, int16_t *out)
{
    if (!q || !out)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&q->lock);
    int got = q->count >= q->frame;
    if (got) {
        ring_take(q, out, q->frame);
        ring_skip(q, q->frame);
        q->stats.frames_popped++;
        wake_all(q);
    }
    pthread_mutex_unlock(&q->lock);
    return got;
}

size_t lkc_capture_queue_frames_ready(lkc_capture_queue_t *q)
{
    if (!q)
        return 0;
    pthread_mutex_lock(&q->lock);
    size_t n = q->count / q->frame;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void lkc_capture_queue_set_listener(lkc_capture_queue_t *q, void (*fn)(void *user), void *user)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->listener = fn;
    q->listener_user = fn ? user : NULL;
    pthread_mutex_unlock(&q->lock);
}

int lkc_capture_queue_flush(lkc_capture_queue_t *q)
{
    if (!q)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&q->lock);
    int rc = 0;
    size_t partial = q->count % q->frame;
    if (q->closed) {
        rc = LKC_ERR_CLOSED;
    } else if (partial) {
        /* head and capacity both sit on frame boundaries, so the pad ends on one at or
         * before the ring's end: it always fits and never wraps. */
        size_t ch = (size_t)q->channels, pad = q->frame - partial;
        size_t tail = (q->head + q->count) % q->capacity;
        memset(q->ring + tail * ch, 0, pad * ch * sizeof *q->ring);
        size_t complete_before = q->count / q->frame;
        q->count += pad;
        q->stats.frames_padded++;
        q->stats.frames_pushed++;
        announce(q, complete_before);
        rc = 1;
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void lkc_capture_queue_clear(lkc_capture_queue_t *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stats.samples_cleared += q->count;
    ring_skip(q, q->count);
    q->head = 0;
    wake_all(q);
    pthread_mutex_unlock(&q->lock);
}

int lkc_capture_queue_queued_ms(lkc_capture_queue_t *q)
{
    if (!q)
        return 0;
    pthread_mutex_lock(&q->lock);
    int ms = (int)((uint64_t)q->count * 1000 / (uint64_t)q->rate);
    pthread_mutex_unlock(&q->lock);
    return ms;
}

int lkc_capture_queue_wait_empty(lkc_capture_queue_t *q, int timeout_ms)
{
    if (!q)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&q->lock);
    uint64_t target = q->out_pos + q->count;
    struct timespec ts;
    if (timeout_ms > 0)
        lkc_deadline_after(&ts, timeout_ms);
    bool in_time = timeout_ms != 0;
    while (!q->closed && q->out_pos < target && in_time) {
        q->drain_waiters++;
        in_time = wait_on(&q->drained, &q->lock, timeout_ms > 0 ? &ts : NULL);
        q->drain_waiters--;
    }
    int rc = q->out_pos >= target ? LKC_OK : q->closed ? LKC_ERR_CLOSED : LKC_ERR_TIMEOUT;
    pthread_mutex_unlock(&q->lock);
    return rc;
}

void lkc_capture_queue_close(lkc_capture_queue_t *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_cond_broadcast(&q->room);
    pthread_cond_broadcast(&q->drained);
    pthread_mutex_unlock(&q->lock);
}

int lkc_capture_queue_waiters(lkc_capture_queue_t *q)
{
    if (!q)
        return 0;
    pthread_mutex_lock(&q->lock);
    int n = q->room_waiters + q->drain_waiters;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void lkc_capture_queue_stats(lkc_capture_queue_t *q, lkc_capture_queue_stats_t *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    *out = q->stats;
    pthread_mutex_unlock(&q->lock);
}
