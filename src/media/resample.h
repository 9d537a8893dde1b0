/* Sample-rate and channel conversion of interleaved int16 PCM, over speexdsp.
 *
 * One object converts one stream from (in_rate, in_channels) to (out_rate,
 * out_channels): rates 8000..48000, channels 1|2. Mono->stereo duplicates the channel;
 * stereo->mono averages the two. Speex runs on min(in, out) channels (downmix before,
 * upmix after), and is not used at all when the rates match.
 *
 * Not thread-safe: one thread (normally the room's engine thread) owns each object.
 * No allocation after create. Buffers are preallocated for 100 ms blocks; longer
 * blocks are converted in 100 ms pieces inside one call. */
#ifndef LKC_MEDIA_RESAMPLE_H
#define LKC_MEDIA_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

/* Speex quality 0..10. 5 is speexdsp's own "desktop" setting: aliasing stays far below
 * what a listener or Opus notices, also for music. Measured here per 20 ms mono frame:
 * 16k->48k 14 us, 44.1k->48k 43 us (q3: 13/26 us, q10: 106/300 us), i.e. well under 1%
 * of a core per track; q10 costs ~7x for nothing audible, q3 (speex's "VoIP") saves
 * little on the common 16k/48k paths. */
#define LKC_RESAMPLE_QUALITY_DEFAULT 5

typedef struct lkc_resample lkc_resample_t;

/* Creates a converter. quality -1 means LKC_RESAMPLE_QUALITY_DEFAULT.
 * LKC_ERR_INVALID_ARG for rates/channels/quality out of range; LKC_ERR_NO_MEMORY.
 * The caller owns *out and frees it with lkc_resample_free. */
int lkc_resample_create(lkc_resample_t **out, int in_rate, int in_channels, int out_rate,
                        int out_channels, int quality);
void lkc_resample_free(lkc_resample_t *r);

/* Converts in[in_frames * in_channels] into out[out_cap_frames * out_channels].
 * *in_used gets the frames of input consumed, *out_made the frames written. Stops early
 * only when `out` is full: the caller passes the rest again. Any block size works;
 * lkc_resample_out_frames_max says how much room a block needs to be consumed whole.
 * in may be NULL when in_frames is 0. Returns 0 or LKC_ERR_INVALID_ARG. */
int lkc_resample_process(lkc_resample_t *r, const int16_t *in, size_t in_frames,
                         size_t *in_used, int16_t *out, size_t out_cap_frames,
                         size_t *out_made);

/* An upper bound of the output frames that in_frames of input can produce. */
size_t lkc_resample_out_frames_max(const lkc_resample_t *r, size_t in_frames);

/* The delay the filter adds, in output frames (0 when passthrough). Speex starts from
 * zeroed history, so the first output frames are this much silence; over a long run the
 * output count follows in_frames * out_rate / in_rate to within a frame. */
int lkc_resample_latency_frames(const lkc_resample_t *r);

/* Forgets filter history (e.g. after a gap or seek): the next block starts fresh.
 * speexdsp 1.2.1's reset_mem clears only the first channel's history, so a
 * two-channel converter is rebuilt instead: that allocates, so call this on events,
 * not per frame. LKC_ERR_NO_MEMORY keeps the old (partially reset) state working. */
int lkc_resample_reset(lkc_resample_t *r);

/* True when no speex resampler is involved (rates equal; channels may still differ). */
int lkc_resample_is_passthrough(const lkc_resample_t *r);

#endif
