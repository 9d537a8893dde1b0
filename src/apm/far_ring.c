#include "apm/far_ring.h"

#include <stdlib.h>
#include <string.h>

#include "lkc/error.h"

int lkc_far_ring_init(lkc_far_ring_t *r, size_t cap, size_t unit, size_t slack)
{
    if (!r || unit == 0 || cap < 2 * unit)
        return LKC_ERR_INVALID_ARG;
    memset(r, 0, sizeof *r);
    r->buf = calloc(cap, sizeof *r->buf);
    if (!r->buf)
        return LKC_ERR_NO_MEMORY;
    r->cap = cap;
    r->unit = unit;
    r->slack = slack;
    return LKC_OK;
}

void lkc_far_ring_free(lkc_far_ring_t *r)
{
    if (r) {
        free(r->buf);
        r->buf = NULL;
    }
}

void lkc_far_ring_push(lkc_far_ring_t *r, const int16_t *pcm, size_t n, int channels)
{
    for (size_t i = 0; i < n; i++) {
        int v = channels == 2 ? (pcm[2 * i] + pcm[2 * i + 1]) / 2 : pcm[i];
        r->buf[(size_t)(r->written % (int64_t)r->cap)] = (int16_t)v;
        r->written++;
    }
}

/* Captures over which an offset between render and the cursor must persist before the
 * cursor moves: longer than a sound server's burst cycle (periods of up to ~100 ms),
 * short enough to follow a drifting clock or a speaker that resumed. */
#define WINDOW 32

static void window_reset(lkc_far_ring_t *r)
{
    r->lead_min = INT64_MAX;
    r->lead_max = INT64_MIN;
    r->window_n = 0;
    r->window_render = false;
}

bool lkc_far_ring_advance(lkc_far_ring_t *r)
{
    /* the newest complete unit of far end */
    int64_t target = r->written - (int64_t)r->unit;
    r->moved = 0;
    if (!r->started) {
        r->cursor = target;
        r->started = true;
        window_reset(r);
        r->written_seen = r->written;
        return false;
    }
    r->cursor += (int64_t)r->unit;
    /* How far render leads the cursor swings with every burst: render ahead by up to its
     * period after a playback write, the cursor ahead of render (reading far end not yet
     * handed over: silence) in a burst's trough. Moving on such a transient walks the
     * line up and down, and each move is a step the canceller re-learns and the delay
     * estimate loses. So the line moves only when the offset held over a whole window:
     *   forward, when render led by more than the slack at every capture of it (a faster
     *   speaker clock, far end queued long before it plays), by the least lead;
     *   back, when the cursor was more than the slack ahead at every capture while render
     *   was coming (a speaker that stalled and resumed, a slower speaker clock), by the
     *   least run ahead. While render is silent the cursor runs on reading silence: that
     *   is what plays. */
    int64_t lead = target - r->cursor;
    if (lead < r->lead_min)
        r->lead_min = lead;
    if (lead > r->lead_max)
        r->lead_max = lead;
    if (r->written != r->written_seen)
        r->window_render = true;
    r->written_seen = r->written;
    if (++r->window_n < WINDOW)
        return false;
    if (r->lead_min > (int64_t)r->slack)
        r->moved = r->lead_min;
    else if (r->window_render && r->lead_max < -(int64_t)r->slack)
        r->moved = r->lead_max;
    r->cursor += r->moved;
    window_reset(r);
    return r->moved != 0;
}

void lkc_far_ring_read(const lkc_far_ring_t *r, size_t lag, int16_t *out, size_t n)
{
    int64_t from = r->cursor - (int64_t)lag;
    int64_t oldest = r->written - (int64_t)r->cap;
    for (size_t i = 0; i < n; i++) {
        int64_t p = from + (int64_t)i;
        out[i] = (p < 0 || p < oldest || p >= r->written) ? 0 : r->buf[(size_t)(p % (int64_t)r->cap)];
    }
}
