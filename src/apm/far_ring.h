/* The far-end history: what the speaker played, mixed to mono, addressed by absolute
 * sample position (samples since the first render), and the capture side's cursor
 * into it.
 *
 * The render thread appends; the capture thread reads one unit per capture unit at the
 * cursor minus the echo delay. The cursor advances one unit per capture unit (capture
 * paces the reading, not render), and is put back in line with the newest render data
 * when the two drift apart by more than the threshold: sound cards' clocks differ, and
 * a speaker thread may stall. Positions not (yet) written read as silence: nothing was
 * played then.
 *
 * Not thread-safe by itself: lkc_apm holds its lock around every call. Fixed memory. */
#ifndef LKC_APM_FAR_RING_H
#define LKC_APM_FAR_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lkc_far_ring {
    int16_t *buf;
    size_t cap;           /* samples held */
    int64_t written;      /* absolute position after the newest sample */
    int64_t cursor;       /* position of the capture unit's lag-0 far-end start */
    int64_t written_seen; /* `written` at the previous advance */
    bool started;
    size_t unit;          /* samples per capture unit */
    size_t slack;         /* realign threshold in samples */
} lkc_far_ring_t;

/* cap: samples of history (>= the longest lag + a unit); unit: capture unit; slack:
 * how far render and capture may drift apart before the cursor is put back. Returns 0,
 * LKC_ERR_INVALID_ARG or LKC_ERR_NO_MEMORY. */
int lkc_far_ring_init(lkc_far_ring_t *r, size_t cap, size_t unit, size_t slack);
void lkc_far_ring_free(lkc_far_ring_t *r);

/* Appends n frames of interleaved PCM with `channels` (1 or 2), mixed to mono. */
void lkc_far_ring_push(lkc_far_ring_t *r, const int16_t *pcm, size_t n, int channels);

/* Moves the cursor to the next capture unit (the first call places it on the newest
 * unit). Returns true when it had to be realigned. */
bool lkc_far_ring_advance(lkc_far_ring_t *r);

/* Copies `n` samples starting `lag` samples before the cursor into out (silence where
 * nothing was played or the history no longer reaches). */
void lkc_far_ring_read(const lkc_far_ring_t *r, size_t lag, int16_t *out, size_t n);

#endif
