/* Level and frequency measurements of int16 PCM. */
#include "media/audio_analysis.h"

#include <math.h>
#include <stdlib.h>

#include "lkc/error.h"

#define MAX_FFT_LOG2 17

static int channel_ok(const int16_t *pcm, int channels, int channel)
{
    return pcm && channels >= 1 && channels <= 8 &&
           (channel == LKC_AUDIO_ALL_CHANNELS || (channel >= 0 && channel < channels));
}

/* Visits the samples of the chosen channel(s): first index and stride into pcm. */
static void channel_walk(size_t frames, int channels, int channel, size_t *first, size_t *step,
                         size_t *count)
{
    if (channel == LKC_AUDIO_ALL_CHANNELS) {
        *first = 0;
        *step = 1;
        *count = frames * (size_t)channels;
    } else {
        *first = (size_t)channel;
        *step = (size_t)channels;
        *count = frames;
    }
}

static double to_dbfs(double amplitude)
{
    if (amplitude <= 0.0)
        return LKC_AUDIO_DBFS_FLOOR;
    double db = 20.0 * log10(amplitude / 32768.0);
    return db < LKC_AUDIO_DBFS_FLOOR ? LKC_AUDIO_DBFS_FLOOR : db;
}

double lkc_audio_rms_dbfs(const int16_t *pcm, size_t frames, int channels, int channel)
{
    if (!channel_ok(pcm, channels, channel) || frames == 0)
        return LKC_AUDIO_DBFS_FLOOR;
    size_t first, step, count;
    channel_walk(frames, channels, channel, &first, &step, &count);
    double sum = 0.0;
    for (size_t i = 0, at = first; i < count; i++, at += step)
        sum += (double)pcm[at] * (double)pcm[at];
    return to_dbfs(sqrt(sum / (double)count));
}

double lkc_audio_peak_dbfs(const int16_t *pcm, size_t frames, int channels, int channel)
{
    if (!channel_ok(pcm, channels, channel) || frames == 0)
        return LKC_AUDIO_DBFS_FLOOR;
    size_t first, step, count;
    channel_walk(frames, channels, channel, &first, &step, &count);
    int peak = 0;
    for (size_t i = 0, at = first; i < count; i++, at += step) {
        int v = abs((int)pcm[at]);
        if (v > peak)
            peak = v;
    }
    return to_dbfs((double)peak);
}

/* In-place iterative radix-2 FFT of n = 2^k complex points (re, im). tw holds
 * cos/sin of -2*pi*j/n for j < n/2, interleaved. */
static void fft(double *re, double *im, size_t n, const double *tw)
{
    for (size_t i = 1, j = 0; i < n; i++) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j |= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (size_t len = 2; len <= n; len <<= 1) {
        size_t half = len / 2, tstep = n / len;
        for (size_t base = 0; base < n; base += len) {
            for (size_t k = 0; k < half; k++) {
                double wr = tw[2 * k * tstep], wi = tw[2 * k * tstep + 1];
                size_t a = base + k, b = a + half;
                double xr = re[b] * wr - im[b] * wi;
                double xi = re[b] * wi + im[b] * wr;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
            }
        }
    }
}

int lkc_audio_dominant_hz(const int16_t *pcm, size_t frames, int channels, int channel,
                          int sample_rate, double *hz)
{
    if (!channel_ok(pcm, channels, channel) || !hz || frames < 16 || sample_rate < 1 ||
        sample_rate > 384000)
        return LKC_ERR_INVALID_ARG;
    size_t n = 16;
    while (n < frames && n < ((size_t)1 << MAX_FFT_LOG2))
        n <<= 1;
    size_t used = frames < n ? frames : n;

    double *mem = malloc(sizeof(double) * (3 * n));
    if (!mem)
        return LKC_ERR_NO_MEMORY;
    double *re = mem, *im = mem + n, *tw = mem + 2 * n;
    for (size_t j = 0; j < n / 2; j++) {
        double a = -2.0 * M_PI * (double)j / (double)n;
        tw[2 * j] = cos(a);
        tw[2 * j + 1] = sin(a);
    }
    /* Hann over the real samples only; the zero padding just interpolates the spectrum,
     * which makes the peak's three-point fit more accurate. */
    for (size_t i = 0; i < n; i++) {
        double v = 0.0;
        if (i < used) {
            if (channel == LKC_AUDIO_ALL_CHANNELS) {
                for (int c = 0; c < channels; c++)
                    v += pcm[i * (size_t)channels + (size_t)c];
                v /= channels;
            } else {
                v = pcm[i * (size_t)channels + (size_t)channel];
            }
            v *= 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)(used - 1));
        }
        re[i] = v;
        im[i] = 0.0;
    }
    fft(re, im, n, tw);

    /* Magnitudes (squared) in place; skip DC and Nyquist so a peak has two neighbours. */
    size_t best = 0;
    double best_mag = 0.0;
    for (size_t k = 0; k <= n / 2; k++) {
        re[k] = re[k] * re[k] + im[k] * im[k];
        if (k >= 1 && k < n / 2 && re[k] > best_mag) {
            best_mag = re[k];
            best = k;
        }
    }
    int rc = LKC_ERR_NOT_FOUND;
    if (best && best_mag > 0.0) {
        double shift = 0.0;
        if (re[best - 1] > 0.0 && re[best + 1] > 0.0) {
            /* log|X|^2 = 2 log|X|: the factor cancels in the ratio. */
            double a = log(re[best - 1]), b = log(re[best]), c = log(re[best + 1]);
            double den = a - 2.0 * b + c;
            if (den < 0.0)
                shift = 0.5 * (a - c) / den;
        }
        *hz = ((double)best + shift) * (double)sample_rate / (double)n;
        rc = LKC_OK;
    }
    free(mem);
    return rc;
}
