#include "analysis.h"

#include <math.h>
#include <stdlib.h>

#define MAX_FFT 32768
#define MIN_FFT 256
#define SILENCE_DBFS (-70.0)

double cli_rms_dbfs(const int16_t *pcm, size_t n)
{
    if (!pcm || n == 0)
        return -100.0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double x = pcm[i] / 32768.0;
        sum += x * x;
    }
    double rms = sqrt(sum / (double)n);
    /* dBFS relative to a full-scale sine would add 3 dB; we use the plain RMS so
     * that the numbers match the Python peer's, which tests compare against. */
    double db = rms > 1e-5 ? 20.0 * log10(rms) : -100.0;
    return db < -100.0 ? -100.0 : db;
}

/* In-place iterative radix-2 FFT of n complex values (re[], im[]); n a power of 2. */
static void fft(double *re, double *im, size_t n)
{
    for (size_t i = 1, j = 0; i < n; i++) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
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
        double ang = -2.0 * M_PI / (double)len;
        double wr = cos(ang), wi = sin(ang);
        for (size_t i = 0; i < n; i += len) {
            double cr = 1.0, ci = 0.0;
            for (size_t k = 0; k < len / 2; k++) {
                size_t a = i + k, b = i + k + len / 2;
                double xr = re[b] * cr - im[b] * ci;
                double xi = re[b] * ci + im[b] * cr;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
                double t = cr * wr - ci * wi;
                ci = cr * wi + ci * wr;
                cr = t;
            }
        }
    }
}

double cli_dominant_hz(const int16_t *pcm, size_t n, int sample_rate)
{
    if (!pcm || sample_rate <= 0 || n < MIN_FFT)
        return 0.0;
    size_t len = MIN_FFT;
    while (len * 2 <= n && len * 2 <= MAX_FFT)
        len *= 2;
    const int16_t *x = pcm + (n - len); /* the most recent audio */
    if (cli_rms_dbfs(x, len) < SILENCE_DBFS)
        return 0.0;
    double *re = calloc(len, sizeof *re), *im = calloc(len, sizeof *im);
    if (!re || !im) {
        free(re);
        free(im);
        return 0.0;
    }
    for (size_t i = 0; i < len; i++)
        re[i] = x[i] * (0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)(len - 1)));
    fft(re, im, len);
    /* Skip the lowest bins: DC offset and rumble are not "the frequency heard". */
    size_t lo = (size_t)(20.0 * (double)len / sample_rate) + 1, best = lo;
    double best_mag = -1;
    for (size_t k = lo; k < len / 2; k++) {
        double m = re[k] * re[k] + im[k] * im[k];
        if (m > best_mag) {
            best_mag = m;
            best = k;
        }
    }
    /* Parabolic interpolation on log magnitudes around the peak bin. */
    double offset = 0.0;
    if (best > lo && best + 1 < len / 2) {
        double a = log(re[best - 1] * re[best - 1] + im[best - 1] * im[best - 1] + 1e-12);
        double b = log(best_mag + 1e-12);
        double c = log(re[best + 1] * re[best + 1] + im[best + 1] * im[best + 1] + 1e-12);
        double d = a - 2 * b + c;
        if (d < 0)
            offset = 0.5 * (a - c) / d;
    }
    free(re);
    free(im);
    return ((double)best + offset) * sample_rate / (double)len;
}
