/* The AudioSource's capture queue: application threads push PCM of any size, the
 * engine thread pops whole 20 ms frames on its media clock.
 *
 * Audio is interleaved int16 at the source's rate (8000..48000, a multiple of 50 so a
 * 20 ms frame is a whole number of samples) and channel count (1|2). Pushes append to
 * one sample stream; pops take it in 20 ms frames, so any push size (1 sample, 441,
 * 100 ms ...) is re-framed exactly: no sample lost, duplicated or reordered.
 *
 * Two modes, chosen by queue_ms at creation:
 * - queue_ms > 0, buffered: holds queue_ms of audio, rounded up to whole 20 ms frames.
 *   A push that fits the capacity is all or nothing: it waits (bounded) for room, then
 *   fails with LKC_ERR_WOULD_BLOCK taking nothing. A push larger than the capacity goes
 *   in piece by piece as the consumer makes room (see push below).
 * - queue_ms == 0, real time: holds at most two complete frames plus the partial frame
 *   re-framing needs. A push never waits; when it would leave more than two complete
 *   frames queued, the OLDEST complete frames (queued or in the pushed block) are dropped
 *   and counted, so the newest audio is what gets sent. The consumer takes each frame as
 *   it completes (the listener below tells it); the second frame of room absorbs a
 *   consumer held up for a moment. Drops show that producer and consumer lost pace.
 *
 * Threads: push, clear, queued_ms, wait_empty, flush, close, waiters and stats from any thread,
 * concurrently (one mutex, two condvars); pop_frame, frames_ready and set_listener from
 * the engine thread. create/free
 * by the owner; free only after every other thread has left the queue's functions. */
#ifndef LKC_MEDIA_CAPTURE_QUEUE_H
#define LKC_MEDIA_CAPTURE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#define LKC_CAPTURE_QUEUE_MAX_MS 60000

typedef struct lkc_capture_queue lkc_capture_queue_t;

typedef struct lkc_capture_queue_stats {
    uint64_t samples_pushed; /* per channel, accepted by push (later drops included) */
    uint64_t frames_pushed;  /* complete 20 ms frames formed by pushes and flushes */
    uint64_t frames_popped;
    uint64_t frames_dropped; /* real-time mode: oldest frames discarded to stay current */
    uint64_t frames_padded;  /* partial frames completed with silence by flush */
    uint64_t samples_cleared; /* per channel, discarded by clear */
    uint64_t would_block;    /* pushes refused because the queue stayed full */
} lkc_capture_queue_stats_t;

/* LKC_ERR_INVALID_ARG for a rate outside 8000..48000 or not a multiple of 50, channels
 * not 1|2, queue_ms outside 0..LKC_CAPTURE_QUEUE_MAX_MS; LKC_ERR_NO_MEMORY. All memory
 * is allocated here. The caller owns *out (lkc_capture_queue_free). */
int lkc_capture_queue_create(lkc_capture_queue_t **out, int sample_rate, int channels,
                             int queue_ms);
/* Frees the queue. No other thread may be inside or enter its functions: close it and
 * let blocked callers return first. */
void lkc_capture_queue_free(lkc_capture_queue_t *q);

/* Samples per channel in one 20 ms frame (sample_rate / 50). Any thread. */
size_t lkc_capture_queue_frame_samples(const lkc_capture_queue_t *q);

/* Copies pcm[samples * channels] into the queue, waiting at most timeout_ms in all
 * (0 = not at all, < 0 = until done or closed). Buffered mode, samples <= capacity: all
 * or nothing; waits for room, then returns LKC_ERR_WOULD_BLOCK having taken nothing.
 * Buffered mode, samples > capacity: taken in pieces, each as soon as there is room, all
 * within the one timeout (so a block longer than the timeout plus the capacity, at the
 * consumer's real-time pace, needs timeout_ms < 0 or long enough). When time runs out
 * before anything was taken: LKC_ERR_WOULD_BLOCK; after a part was taken, the pieces
 * already queued stay (a prefix of the block) and the rest is not taken:
 * LKC_ERR_TIMEOUT. Other pushes wait while such a block goes in, so it stays contiguous.
 * Real-time mode: never waits (see above), any size. LKC_ERR_CLOSED after close (also
 * for a push waiting when close happens). 0 samples is a no-op. Several threads may push
 * at once; who gets in first when room appears is not defined, and a block can be
 * overtaken by smaller ones. */
int lkc_capture_queue_push(lkc_capture_queue_t *q, const int16_t *pcm, size_t samples,
                           int timeout_ms);

/* Engine thread: copies the oldest complete frame into out[frame_samples * channels] and
 * returns 1, or returns 0 when no complete frame is queued; wakes pushers waiting for
 * room and wait_empty. Still drains what is queued after close. Never blocks on a wait. */
int lkc_capture_queue_pop_frame(lkc_capture_queue_t *q, int16_t *out);

/* Complete frames queued now. */
size_t lkc_capture_queue_frames_ready(lkc_capture_queue_t *q);

/* `fn(user)` is called (on the pushing thread, under the queue's lock: it must only wake
 * someone) each time a push or flush makes a complete frame available to a queue that had
 * none. NULL fn removes it; once set_listener returns, the old listener is never called
 * again. One listener at a time. */
void lkc_capture_queue_set_listener(lkc_capture_queue_t *q, void (*fn)(void *user), void *user);

/* Completes a trailing partial frame with silence so it can be popped (end of speech,
 * before wait_empty). Returns 1 when it padded, 0 when nothing was partial,
 * LKC_ERR_CLOSED after close. Never needs room: capacity is whole frames. */
int lkc_capture_queue_flush(lkc_capture_queue_t *q);

/* Drops everything queued, the partial frame included; wakes pushers and wait_empty. */
void lkc_capture_queue_clear(lkc_capture_queue_t *q);

/* Audio queued now, in ms (rounded down), the partial frame included. */
int lkc_capture_queue_queued_ms(lkc_capture_queue_t *q);

/* Waits until everything pushed before this call has left the queue (popped, or
 * dropped/cleared). A trailing partial frame never leaves by itself: flush first (that
 * is what wait_for_playout does). Returns 0, LKC_ERR_TIMEOUT after timeout_ms (< 0 =
 * no limit), or LKC_ERR_CLOSED when closed before that point was reached. */
int lkc_capture_queue_wait_empty(lkc_capture_queue_t *q, int timeout_ms);

/* Refuses later pushes and wakes every waiting push and wait_empty with LKC_ERR_CLOSED.
 * Idempotent. Queued frames can still be popped. */
void lkc_capture_queue_close(lkc_capture_queue_t *q);

/* Threads waiting inside push or wait_empty right now (tests make "blocked" certain
 * with it before they close). Any thread. */
int lkc_capture_queue_waiters(lkc_capture_queue_t *q);

void lkc_capture_queue_stats(lkc_capture_queue_t *q, lkc_capture_queue_stats_t *out);

#endif
