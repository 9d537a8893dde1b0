/* A second-order Butterworth high-pass (a biquad) for the capture stream: removes DC,
 * handling noise and rumble below speech before they reach the echo canceller (they
 * are loud, carry no speech, and slow the canceller's adaptation).
 *
 * One object per channel; owned by one thread (the capture thread). No allocation. */
#ifndef LKC_APM_HPF_H
#define LKC_APM_HPF_H

#include <stddef.h>
#include <stdint.h>

typedef struct lkc_hpf {
    float b0, b1, b2, a1, a2; /* normalised coefficients (a0 = 1) */
    float z1, z2;             /* transposed direct form II state */
} lkc_hpf_t;

/* Sets the coefficients for cut-off `fc` Hz at `rate` and clears the state.
 * Returns 0, or LKC_ERR_INVALID_ARG unless 0 < fc < rate / 2. */
int lkc_hpf_init(lkc_hpf_t *f, int rate, double fc);

/* Filters n samples in place, reading every `stride`-th sample (interleaved channels:
 * pass pcm + channel and the channel count). Saturates to int16. */
void lkc_hpf_run(lkc_hpf_t *f, int16_t *pcm, size_t n, size_t stride);

#endif
