/* The far-end history: what the speaker played, mixed to mono, addressed by absolute
 * sample position (samples since the first render), and the capture side's cursor
 * into it.
 *
 * The render thread appends; the capture thread reads one unit per capture unit at the
 * cursor minus the echo delay. The cursor advances one unit per capture unit (capture
 * paces the reading, not render), so it moves on a straight line in the far end's time.
 *
 * Bursts: a sound server under load hands render and capture over in bursts (render
 * early, a playback period at once; capture late, a recorded period at once), so how
 * far render leads the cursor swings by the burst sizes from one capture to the next.
 * Transient offsets must not move the line (each move is a step the echo canceller
 * re-learns and the delay estimate loses); it is moved only when render led it by more
 * than the slack, or it ran ahead of render by more than the slack while render was
 * coming, at every capture of a window (32 units). In a burst's trough the cursor may
 * be ahead of render: far end at lags shorter than that reads as silence, which is why
 * the delay estimator is fed the far end a few units back (delay_est.h).
 * While render is silent the cursor runs on and reads silence: nothing is being played.
 * Positions not (yet) written read as silence.
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
    int64_t lead_min;     /* least and most render led the cursor by in this window */
    int64_t lead_max;
    bool window_render;   /* render came in this window */
    unsigned window_n;    /* captures in this window */
    int64_t moved;        /* the last advance's move of the line, samples (+: forward) */
} lkc_far_ring_t;

/* cap: samples of history (>= the longest lag + a unit); unit: capture unit; slack:
 * how far render may stay ahead of the cursor before the cursor is moved forward. Returns 0,
 * LKC_ERR_INVALID_ARG or LKC_ERR_NO_MEMORY. */
int lkc_far_ring_init(lkc_far_ring_t *r, size_t cap, size_t unit, size_t slack);
void lkc_far_ring_free(lkc_far_ring_t *r);

/* Appends n frames of interleaved PCM with `channels` (1 or 2), mixed to mono. */
void lkc_far_ring_push(lkc_far_ring_t *r, const int16_t *pcm, size_t n, int channels);

/* Moves the cursor to the next capture unit (the first call places it on the newest
 * unit). Returns true when the line was moved (by r->moved samples). */
bool lkc_far_ring_advance(lkc_far_ring_t *r);

/* Copies `n` samples starting `lag` samples before the cursor into out (silence where
 * nothing was played or the history no longer reaches). */
void lkc_far_ring_read(const lkc_far_ring_t *r, size_t lag, int16_t *out, size_t n);

#endif
