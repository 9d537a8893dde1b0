#include "audio_check.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>

#include "media/audio_analysis.h"

bool lkc_test_listen(lkc_audio_stream_t *s, int sample_rate, int channels, double seconds, int timeout_ms,
                     lkc_test_heard_t *out)
{
    size_t need = (size_t)(seconds * sample_rate), settle = (size_t)(0.3 * sample_rate), have = 0;
    int16_t *all = g_new0(int16_t, need * (size_t)channels);
    int16_t buf[960 * 2];
    bool onset = false;
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (have < need) {
        if (g_get_monotonic_time() > deadline) {
            fprintf(stderr, "listen: %s after %d ms (%zu of %zu samples)\n", onset ? "not enough audio" : "only silence",
                    timeout_ms, have, need);
            g_free(all);
            return false;
        }
        int n = lkc_audio_stream_read(s, buf, 480, 1000);
        if (n == LKC_ERR_TIMEOUT)
            continue;
        if (n < 0) {
            fprintf(stderr, "listen: read returned %s\n", lkc_err_str(n));
            g_free(all);
            return false;
        }
        size_t i = 0;
        if (!onset) {
            for (; i < (size_t)n * (size_t)channels && abs(buf[i]) < 300; i++)
                ;
            if (i == (size_t)n * (size_t)channels)
                continue;
            onset = true;
            i = 0;
        }
        for (size_t f = 0; f < (size_t)n; f++) {
            if (settle > 0) {
                settle--;
                continue;
            }
            if (have < need) {
                for (int c = 0; c < channels; c++)
                    all[have * (size_t)channels + (size_t)c] = buf[f * (size_t)channels + (size_t)c];
                have++;
            }
        }
    }
    out->channels = channels;
    for (int c = 0; c < channels; c++) {
        out->rms_dbfs[c] = lkc_audio_rms_dbfs(all, need, channels, c);
        if (lkc_audio_dominant_hz(all, need, channels, c, sample_rate, &out->freq_hz[c]) != 0)
            out->freq_hz[c] = 0;
    }
    g_free(all);
    return true;
}

void lkc_test_sine(int16_t *pcm, size_t frames, int channels, int sample_rate, double freq, double right_freq,
                   double dbfs, uint64_t *phase)
{
    double amp = 32767.0 * pow(10.0, dbfs / 20.0);
    for (size_t i = 0; i < frames; i++) {
        double t = (double)(*phase + i) / sample_rate;
        pcm[i * (size_t)channels] = (int16_t)lrint(amp * sin(2 * M_PI * freq * t));
        if (channels == 2)
            pcm[i * 2 + 1] = (int16_t)lrint(amp * sin(2 * M_PI * (right_freq > 0 ? right_freq : freq) * t));
    }
    *phase += frames;
}
