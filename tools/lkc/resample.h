/* Rate conversion for `--publish-wav` (the library's sources accept 8000..48000 Hz in
 * steps of 50 Hz; its own resampler is internal): a thin wrapper over speexdsp's
 * resampler for interleaved int16 PCM, fed in any chunks. */
#ifndef LKC_CLI_RESAMPLE_H
#define LKC_CLI_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cli_resampler cli_resampler_t;

/* NULL on bad arguments or no memory. */
cli_resampler_t *cli_resampler_new(int in_rate, int out_rate, int channels);
void cli_resampler_free(cli_resampler_t *r);

/* An upper bound of the frames cli_resampler_process() writes for `n_in` input frames. */
size_t cli_resampler_max_out(const cli_resampler_t *r, size_t n_in);

/* Converts all `n_in` frames (as far as `out_cap` allows) and returns the frames written. */
size_t cli_resampler_process(cli_resampler_t *r, const int16_t *in, size_t n_in, int16_t *out, size_t out_cap);

/* The rate a source should use for a file at `rate`: `rate` itself when the library
 * accepts it (8000..48000, a multiple of 50), else 48000. */
int cli_source_rate_for(int rate);

#endif
