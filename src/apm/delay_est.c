#include "apm/delay_est.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_EVERY 25   /* blocks between decisions (50 ms at 2 ms blocks) */
#define AGREE_NEEDED 3   /* consecutive agreeing decisions before publishing */
#define MIN_CORR 0.25    /* normalised correlation the peak must reach */
#define MIN_MARGIN 1.25  /* peak / best lag outside its neighbourhood */
#define FAR_ACTIVE 100.0 /* far-end block RMS (about -50 dBFS) that counts as sound */
#define MIN_FAR_MS 300.0 /* far-end sound heard before the first decision */

struct lkc_delay_est {
    size_t unit, block, nlag, pos;
    double block_ms;
    double far_mean, near_mean; /* slow envelope means (removed) */
    double p_far, p_near;       /* forgetting power sums */
    double forget, mean_rate;
    float *far_hist;            /* high-passed far envelope, ring of nlag */
    double *near_hold;          /* high-passed near envelope held back, ring of look + 1 */
    size_t look, hold_pos;      /* blocks held back */
    double *acc;                /* forgetting cross-correlation per lag */
    unsigned since_check, agree;
    uint64_t far_active; /* blocks of far-end sound so far */
    int candidate, estimate;
};

lkc_delay_est_t *lkc_delay_est_create(int rate, size_t unit, int max_ms, unsigned lookback)
{
    if (rate <= 0 || unit < 5 || max_ms <= 0 || lookback > 100)
        return NULL;
    lkc_delay_est_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->unit = unit;
    e->block = unit / 5;
    /* a unit that is not a multiple of 5 (441 at 44.1 kHz) leaves its last samples out
     * of the envelopes; a block still stands for a fifth of the unit's time */
    e->block_ms = 1000.0 * (double)unit / (5.0 * rate);
    e->nlag = (size_t)(max_ms / e->block_ms) + 1;
    e->far_hist = calloc(e->nlag, sizeof *e->far_hist);
    e->acc = calloc(e->nlag, sizeof *e->acc);
    e->look = 5 * (size_t)lookback;
    e->near_hold = calloc(e->look + 1, sizeof *e->near_hold);
    if (!e->far_hist || !e->acc || !e->near_hold) {
        lkc_delay_est_free(e);
        return NULL;
    }
    /* ~2 s memory for the correlation; ~20 ms for the envelope means, so that what is
     * correlated is the envelope's quick moves (onsets, syllable edges): a smoother
     * envelope correlates with itself over tens of ms and blurs the peak */
    e->forget = 1.0 - e->block_ms / 2000.0;
    e->mean_rate = e->block_ms / 20.0;
    e->candidate = e->estimate = -1;
    return e;
}

void lkc_delay_est_free(lkc_delay_est_t *e)
{
    if (!e)
        return;
    free(e->far_hist);
    free(e->acc);
    free(e->near_hold);
    free(e);
}

static double env(const int16_t *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s / (double)n);
}

static void decide(lkc_delay_est_t *e)
{
    size_t best = 0;
    for (size_t k = 1; k < e->nlag; k++)
        if (e->acc[k] > e->acc[best])
            best = k;
    /* the strongest lag more than 20 ms away from the peak */
    size_t near_lags = (size_t)(20.0 / e->block_ms) + 1;
    double second = 0;
    for (size_t k = 0; k < e->nlag; k++) {
        size_t d = k > best ? k - best : best - k;
        if (d > near_lags && e->acc[k] > second)
            second = e->acc[k];
    }
    double norm = sqrt(e->p_far * e->p_near);
    double corr = norm > 0 ? e->acc[best] / norm : 0;
    if (corr < MIN_CORR || e->acc[best] < MIN_MARGIN * second) {
        e->agree = 0;
        return;
    }
    int lag_ms = (int)lround((double)best * e->block_ms);
    if (e->candidate >= 0 && abs(lag_ms - e->candidate) <= 2 * (int)ceil(e->block_ms))
        e->agree++;
    else
        e->agree = 1;
    e->candidate = lag_ms;
    if (e->agree >= AGREE_NEEDED)
        e->estimate = lag_ms;
}

void lkc_delay_est_feed(lkc_delay_est_t *e, const int16_t *far, const int16_t *near)
{
    for (size_t b = 0; b < 5; b++) {
        double fe = env(far + b * e->block, e->block), ne = env(near + b * e->block, e->block);
        e->far_mean += (fe - e->far_mean) * e->mean_rate;
        e->near_mean += (ne - e->near_mean) * e->mean_rate;
        float fx = (float)(fe - e->far_mean);
        /* the near block `look` blocks back, the one the far block pairs with at lag 0 */
        e->near_hold[e->hold_pos] = ne - e->near_mean;
        e->hold_pos = (e->hold_pos + 1) % (e->look + 1);
        double nx = e->near_hold[e->hold_pos];
        if (fe > FAR_ACTIVE)
            e->far_active++;
        e->pos = (e->pos + 1) % e->nlag;
        e->far_hist[e->pos] = fx;
        e->p_far = e->p_far * e->forget + (double)fx * fx;
        e->p_near = e->p_near * e->forget + nx * nx;
        /* acc[k] pairs this near block with the far block k blocks ago */
        size_t p = e->pos;
        for (size_t k = 0; k < e->nlag; k++) {
            e->acc[k] = e->acc[k] * e->forget + nx * e->far_hist[p];
            p = p ? p - 1 : e->nlag - 1;
        }
        /* no decision on too little far-end sound: a few blocks of noise can correlate
         * well by chance */
        if (++e->since_check >= CHECK_EVERY && (double)e->far_active * e->block_ms >= MIN_FAR_MS) {
            e->since_check = 0;
            decide(e);
        }
    }
}

int lkc_delay_est_get(const lkc_delay_est_t *e)
{
    return e ? e->estimate : -1;
}
