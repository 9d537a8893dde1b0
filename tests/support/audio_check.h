/* Measuring what an lkc AudioStream delivers, as a user would: wait for sound, skip the
 * first 300 ms (decoder and jitter-buffer start-up), then the dominant frequency and
 * the RMS level of each channel over `seconds`. */
#ifndef LKC_TEST_AUDIO_CHECK_H
#define LKC_TEST_AUDIO_CHECK_H

#include <stdbool.h>

#include "lkc/lkc.h"

typedef struct lkc_test_heard {
    double freq_hz[2];
    double rms_dbfs[2];
    int channels;
} lkc_test_heard_t;

/* False (with a message on stderr) when the stream ended, or stayed silent for
 * `timeout_ms`, before enough audio arrived. */
bool lkc_test_listen(lkc_audio_stream_t *s, int sample_rate, int channels, double seconds, int timeout_ms,
                     lkc_test_heard_t *out);

/* A sine of `freq` Hz at `dbfs` peak (interleaved; `right_freq` for channel 2), starting
 * at sample index `*phase` (advanced). */
void lkc_test_sine(int16_t *pcm, size_t frames, int channels, int sample_rate, double freq, double right_freq,
                   double dbfs, uint64_t *phase);

#endif
