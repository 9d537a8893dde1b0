/* Measurements of int16 PCM: level (RMS and peak, in dBFS) and the dominant frequency
 * of a block. For tests and the CLI's level meter, not for the per-frame hot path
 * (the frequency estimate allocates). Pure functions: any thread, nothing kept.
 *
 * PCM is interleaved: `frames` samples per channel, `channels` 1..8. `channel` picks one
 * channel (0-based) or LKC_AUDIO_ALL_CHANNELS to measure all samples together. */
#ifndef LKC_MEDIA_AUDIO_ANALYSIS_H
#define LKC_MEDIA_AUDIO_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#define LKC_AUDIO_ALL_CHANNELS (-1)
/* The level reported for digital silence (and for empty or invalid input): a finite
 * floor below anything int16 can express (1 LSB RMS is about -90 dBFS), so meters and
 * comparisons need no special case for -infinity. */
#define LKC_AUDIO_DBFS_FLOOR (-120.0)

/* RMS level in dBFS, relative to 32768: a full-scale sine reads about -3.01 dBFS, a
 * full-scale square 0 dBFS. */
double lkc_audio_rms_dbfs(const int16_t *pcm, size_t frames, int channels, int channel);

/* Peak absolute sample in dBFS (relative to 32768). */
double lkc_audio_peak_dbfs(const int16_t *pcm, size_t frames, int channels, int channel);

/* The frequency (Hz) of the strongest spectral peak between DC and Nyquist, from a
 * Hann-windowed FFT (zero-padded to a power of two, at most 2^17 points; longer input
 * uses its first 2^17 frames) refined by parabolic interpolation of log magnitudes.
 * A pure tone over 1 s is located within a fraction of a hertz.
 * Returns 0 and sets *hz; LKC_ERR_INVALID_ARG for NULL pointers, frames < 16, a bad
 * channel or sample_rate outside 1..384000; LKC_ERR_NOT_FOUND for silence;
 * LKC_ERR_NO_MEMORY. */
int lkc_audio_dominant_hz(const int16_t *pcm, size_t frames, int channels, int channel,
                          int sample_rate, double *hz);

#endif
