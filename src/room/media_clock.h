/* The room's media clock: one GSource on the engine context that runs the audio work at
 * the time it asks for next (microsecond deadlines, so packets leave within a millisecond
 * of their slot instead of on a coarse tick) or as soon as another thread pokes it (a
 * capture completed a frame). Nothing runs while nothing is due. */
#ifndef LKC_ROOM_MEDIA_CLOCK_H
#define LKC_ROOM_MEDIA_CLOCK_H

#include <glib.h>
#include <stdint.h>

#define LKC_MEDIA_CLOCK_NEVER INT64_MAX

typedef struct lkc_media_clock lkc_media_clock_t;

/* Returns when to run next (g_get_monotonic_time() microseconds), or
 * LKC_MEDIA_CLOCK_NEVER to wait for a poke or a schedule. */
typedef int64_t (*lkc_media_clock_fn)(void *user, int64_t now_us);

/* Attaches to `ctx` (engine thread). `run` is first called at once. */
lkc_media_clock_t *lkc_media_clock_new(GMainContext *ctx, lkc_media_clock_fn run, void *user);
/* Engine thread. No poke may be in progress or come later (unregister pokers first). */
void lkc_media_clock_free(lkc_media_clock_t *c);
/* Engine thread: run no later than `at_us`. */
void lkc_media_clock_schedule(lkc_media_clock_t *c, int64_t at_us);
/* Any thread: run as soon as the engine can. */
void lkc_media_clock_poke(lkc_media_clock_t *c);

#endif
