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

bool lkc_far_ring_advance(lkc_far_ring_t *r)
{
    /* where the cursor belongs: on the newest complete unit of far end */
    int64_t target = r->written - (int64_t)r->unit;
    bool realigned = false;
    if (!r->started) {
        r->cursor = target;
        r->started = true;
    } else {
        r->cursor += (int64_t)r->unit;
        int64_t slack = (int64_t)r->slack;
        /* render ran ahead (a burst, or the speaker's clock is faster): skip forward.
         * Capture ran ahead while render still plays (the mic's clock is faster): step
         * back. Capture ahead because render stopped: leave it; what it reads is the
         * silence that is being played. */
        bool render_live = r->written != r->written_seen;
        if (target > r->cursor + slack || (render_live && target + slack < r->cursor)) {
            r->cursor = target;
            realigned = true;
        }
    }
    r->written_seen = r->written;
    return realigned;
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
