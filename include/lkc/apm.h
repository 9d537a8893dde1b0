/* lkc: audio processing for a microphone that hears a speaker: echo cancellation (AEC),
 * noise suppression (NS), automatic gain control (AGC) and a high-pass filter (HPF).
 *
 * The application passes what the speaker plays (the far end, "render") and what the
 * microphone records (the near end, "capture"); capture is cleaned in place. The engine
 * is speexdsp's echo canceller and preprocessor (docs/apm-choice.md says why, with the
 * measurements), with lkc's own far-end alignment, delay estimator and high-pass filter.
 * It is independent of rooms: feed the cleaned capture to lkc_audio_source_capture().
 *
 * Frames: capture is processed in units of 10 ms (lkc_apm_frame_size(); at a rate that
 * is not a multiple of 100 Hz, such as 22050, the unit is 20 ms). Render takes any
 * size.
 *
 * Stereo: each capture channel is cleaned on its own against the far end mixed to mono
 * (exact when both speakers play the same voice, as in a call; two different signals on
 * two speakers are cancelled only as far as their mono mix explains the echo).
 *
 * Threads: lkc_apm_process_render() may be called from one thread (the speaker's) while
 * lkc_apm_process_capture() is called from another (the microphone's): they share only
 * a short, lock-protected far-end history. Calls of the same kind must not overlap in
 * time (they are serialised if they do, but the result is then in no useful order).
 * set_stream_delay_ms and get_stats may be called from any thread at any time. No call
 * blocks beyond those short locks; none allocates after create.
 *
 * Lifetime: lkc_apm_destroy() must not run while another thread is inside a call on the
 * same object (unlike sources and streams, nothing here waits, so stop the audio
 * threads, then destroy).
 */
#ifndef LKC_APM_H
#define LKC_APM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lkc_apm lkc_apm_t;

/** Stream delay value meaning "not known: estimate it" (the default). */
#define LKC_APM_DELAY_ESTIMATE (-1)

/** Options. Fill with lkc_apm_options_init() first, then change fields. */
typedef struct lkc_apm_options {
    uint32_t struct_size;     /**< set by lkc_apm_options_init(); 0 is refused */
    int sample_rate;          /**< 8000..48000, a multiple of 50 Hz; default 48000 */
    int channels;             /**< capture channels, 1 or 2; default 1 */
    int render_channels;      /**< far-end channels, 1 or 2; 0 (default): as `channels` */
    bool echo_cancellation;   /**< default true */
    bool noise_suppression;   /**< default true */
    bool auto_gain;           /**< default true */
    bool high_pass;           /**< 80 Hz high-pass on capture; default true */
    /** Milliseconds from passing a far-end sample to lkc_apm_process_render() until its
     *  echo reaches lkc_apm_process_capture() (speaker buffer + acoustic path + mic
     *  buffer), 0..500; or LKC_APM_DELAY_ESTIMATE (default): estimated from the signals,
     *  found after about a second of far-end speech. */
    int stream_delay_ms;
    /** Length of the room's echo (its impulse response) the canceller models beyond the
     *  delay, 20..300 ms; default 100. Longer costs CPU and converges slower. */
    int echo_tail_ms;
    /** Noise attenuation in dB, -60..-1; default -25. */
    int noise_suppress_db;
} lkc_apm_options_t;

/** Fills the defaults. Any thread. */
LKC_API void lkc_apm_options_init(lkc_apm_options_t *o);

/** Creates a processor. `opts` NULL = defaults. LKC_ERR_INVALID_ARG for a value out of
 *  range or a struct_size of 0; LKC_ERR_NO_MEMORY. `*out` is the caller's until
 *  lkc_apm_destroy(). Any thread. */
LKC_API lkc_err_t lkc_apm_create(const lkc_apm_options_t *opts, lkc_apm_t **out);

/** Frees the processor. No other call on it may be in progress or start afterwards.
 *  NULL is ignored. Any thread. */
LKC_API void lkc_apm_destroy(lkc_apm_t *apm);

/** Samples per channel of one processing unit: sample_rate / 100 (10 ms), or
 *  sample_rate / 50 (20 ms) when the rate is not a multiple of 100 Hz. 0 for NULL. */
LKC_API size_t lkc_apm_frame_size(const lkc_apm_t *apm);

/** Cleans `frames` samples per channel of interleaved capture PCM in place. `frames`
 *  must be a multiple of lkc_apm_frame_size() (one unit or several, processed in turn);
 *  any other count is LKC_ERR_INVALID_ARG and `pcm` is left as it was. The microphone's
 *  thread (see Threads above). */
LKC_API lkc_err_t lkc_apm_process_capture(lkc_apm_t *apm, int16_t *pcm, size_t frames);

/** Gives `frames` samples per channel of interleaved far-end PCM (render_channels),
 *  what the speaker plays, as close as possible to when it is handed to the sound
 *  device. Any size, but at the pace of playout: the far end is aligned by when it
 *  arrives, so a block handed over long before it plays (more than about 40 ms ahead of
 *  the rest, e.g. a whole second queued at once) makes the alignment jump (counted in
 *  the stats' realigns); feed it from the sound device's callback or writer thread, in
 *  its period. `pcm` is only read. The speaker's thread (see Threads above). */
LKC_API lkc_err_t lkc_apm_process_render(lkc_apm_t *apm, const int16_t *pcm, size_t frames);

/** Sets the stream delay (0..500 ms) or LKC_APM_DELAY_ESTIMATE; takes effect at the
 *  next capture unit. LKC_ERR_INVALID_ARG out of range. Any thread. */
LKC_API lkc_err_t lkc_apm_set_stream_delay_ms(lkc_apm_t *apm, int delay_ms);

typedef struct lkc_apm_stats {
    uint64_t capture_frames;  /**< capture units processed */
    uint64_t render_samples;  /**< far-end samples per channel received */
    /** Echo return loss enhancement in dB: energy into the processing / energy out (of
     *  the first channel) while the far end plays, in blocks of 200 ms of far-end sound;
     *  the median of the last 10 blocks. 0 until the first block. Near-end speech in
     *  more than half of them lowers it: a figure, not a test. */
    double erle_db;
    /** The delay in use, in ms: the one set, or the estimate (-1 while none yet). */
    int delay_ms;
    /** Times the far-end alignment was reset because render and capture drifted apart
     *  (clock drift, a stalled speaker thread) by more than 40 ms. */
    uint64_t realigns;
} lkc_apm_stats_t;

/** Copies out the counters. Any thread. */
LKC_API lkc_err_t lkc_apm_get_stats(lkc_apm_t *apm, lkc_apm_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif
