/* The AudioStream's playout ring: the engine writes decoded PCM, reader threads pull it.
 *
 * Interleaved int16 at a fixed rate (8000..48000) and channel count (1|2). The writer
 * never blocks: when readers fall behind, the OLDEST samples are overwritten (counted),
 * so what a late reader gets is recent audio, and latency is bounded by the capacity.
 *
 * Threads: exactly one writer (the engine thread: write, end, clear); any number of
 * readers (read, available, waiters, stats), each read taking distinct samples; close
 * from any thread. One mutex and a condvar; a write wakes readers only when one is
 * waiting. create/free by the owner; free only after every reader has returned (close
 * or end the ring and wait for them to leave, e.g. by reference counting). */
#ifndef LKC_MEDIA_PCM_RING_H
#define LKC_MEDIA_PCM_RING_H

#include <stddef.h>
#include <stdint.h>

#define LKC_PCM_RING_MAX_MS 60000

/* read() flag: wait until max_samples are available (or the end) instead of returning
 * whatever is there. For readers that need fixed-size buffers. */
#define LKC_PCM_RING_READ_FULL 1u

typedef struct lkc_pcm_ring lkc_pcm_ring_t;

typedef struct lkc_pcm_ring_stats {
    uint64_t samples_written; /* per channel */
    uint64_t samples_read;    /* per channel */
    uint64_t samples_dropped; /* per channel: overwritten before any reader took them */
    uint64_t overflows;       /* writes that had to drop */
    uint64_t samples_cleared; /* per channel, by clear */
    /* Reads that found less than they wait for (any sample; a full buffer with
     * READ_FULL) after the first write and before the end. Counted once per read call,
     * whether its wait then succeeds or times out. A reader clocked by a device sees
     * its starved ticks; a reader that blocks by design sees every read that waited. */
    uint64_t underruns;
} lkc_pcm_ring_stats_t;

/* LKC_ERR_INVALID_ARG for rate/channels out of range or capacity_ms outside
 * 1..LKC_PCM_RING_MAX_MS; LKC_ERR_NO_MEMORY. All memory is allocated here. The caller
 * owns *out (lkc_pcm_ring_free). */
int lkc_pcm_ring_create(lkc_pcm_ring_t **out, int sample_rate, int channels, int capacity_ms);
/* Frees the ring; no thread may be inside or enter its functions any more. */
void lkc_pcm_ring_free(lkc_pcm_ring_t *r);

/* Writer: copies pcm[samples * channels] in, dropping the oldest samples (the start
 * of pcm itself if it alone exceeds the capacity) to make room. Never blocks.
 * LKC_ERR_CLOSED after end (nothing taken), LKC_ERR_INVALID_ARG. */
int lkc_pcm_ring_write(lkc_pcm_ring_t *r, const int16_t *pcm, size_t samples);

/* Writer: marks the end of the stream and wakes all readers. They get what is left,
 * then LKC_EOS. Idempotent. */
void lkc_pcm_ring_end(lkc_pcm_ring_t *r);

/* Any thread: the owner lets go (the stream was destroyed). Every read waiting now or
 * later returns LKC_ERR_CLOSED at once (unread audio is abandoned), and writes are
 * refused (LKC_ERR_CLOSED). Idempotent; independent of end. */
void lkc_pcm_ring_close(lkc_pcm_ring_t *r);

/* Writer: drops everything unread (a jitter-buffer reset; with end: stop at once). */
void lkc_pcm_ring_clear(lkc_pcm_ring_t *r);

/* Reader: copies up to max_samples per channel into out[max_samples * channels] and
 * returns how many (> 0). Without flags it returns as soon as anything is available;
 * with LKC_PCM_RING_READ_FULL it waits for max_samples (a partial read only at the
 * end of the stream; max_samples above the capacity is LKC_ERR_INVALID_ARG).
 * Waits up to timeout_ms (0 = poll, < 0 = until data or end), then LKC_ERR_TIMEOUT
 * taking nothing. LKC_EOS once ended and drained. LKC_ERR_CLOSED after close (also for a
 * read waiting when close happens). */
int lkc_pcm_ring_read(lkc_pcm_ring_t *r, int16_t *out, size_t max_samples, int timeout_ms,
                      unsigned flags);

/* Samples per channel readable now. Any thread. */
size_t lkc_pcm_ring_available(lkc_pcm_ring_t *r);

/* Readers waiting inside read right now (tests make "blocked" certain with it). */
int lkc_pcm_ring_waiters(lkc_pcm_ring_t *r);

void lkc_pcm_ring_stats(lkc_pcm_ring_t *r, lkc_pcm_ring_stats_t *out);

#endif
