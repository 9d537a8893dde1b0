/* Estimates the echo delay (far end -> its echo in the capture) when the application
 * cannot say it: the lag at which the capture's energy envelope best follows the far
 * end's.
 *
 * Envelopes are taken in blocks of a fifth of a capture unit (2 ms at 10 ms units),
 * high-passed (their slow mean removed, so onsets count and steady levels do not), and
 * cross-correlated at every lag up to the maximum with exponentially forgetting sums
 * (about 2 s). An estimate is published when the best lag's normalised correlation is
 * high and clearly above every lag outside its neighbourhood, three checks in a row
 * (speech's syllable rhythm gives secondary peaks a few hundred ms away). Cost: one
 * multiply-add per lag per block (about 0.1 MFLOP/s at the default range).
 *
 * Owned by the capture thread. Fixed memory. */
#ifndef LKC_APM_DELAY_EST_H
#define LKC_APM_DELAY_EST_H

#include <stddef.h>
#include <stdint.h>

typedef struct lkc_delay_est lkc_delay_est_t;

/* unit: samples per capture unit (>= 5), rate in Hz, max_ms: longest delay
 * considered; lookback: capture units by which the far end fed is older than the
 * microphone's unit (see feed). NULL when out of memory or invalid. */
lkc_delay_est_t *lkc_delay_est_create(int rate, size_t unit, int max_ms, unsigned lookback);
void lkc_delay_est_free(lkc_delay_est_t *e);

/* One capture unit: `far` is the far end `lookback` units before lag 0 (lag 0: what was
 * handed to render as the microphone recorded `near`), `unit` samples each, mono. The
 * microphone's envelope is held back `lookback` units inside, so lags from 0 up are
 * still measured, the estimate coming that much later. Why: when a sound server hands
 * render and capture over in bursts, the far end at lag 0 may not have been handed
 * over yet when the microphone's unit is processed (it reads as silence, and an
 * estimator fed lag 0 then finds no delay); a few units back it has. */
void lkc_delay_est_feed(lkc_delay_est_t *e, const int16_t *far, const int16_t *near);

/* The current estimate in ms, or -1 while there is none. */
int lkc_delay_est_get(const lkc_delay_est_t *e);

#endif
