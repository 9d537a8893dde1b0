/* Level and dominant frequency of mono PCM. The CLI's own small analysis (the
 * library's is internal): what `lkc join` reports per track and what `lkc demo`
 * checks. Pure functions, any thread. */
#ifndef LKC_CLI_ANALYSIS_H
#define LKC_CLI_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

/* RMS level in dBFS (0 = full-scale square wave); -100 for silence or n == 0, so
 * the value always fits in JSON. */
double cli_rms_dbfs(const int16_t *pcm, size_t n);

/* The dominant frequency in Hz of the last samples of `pcm` (up to 32768 of them:
 * a Hann-windowed FFT with the peak interpolated between bins, so a steady tone
 * comes out within about 1 Hz). 0 when there is too little audio or only silence. */
double cli_dominant_hz(const int16_t *pcm, size_t n, int sample_rate);

#endif
