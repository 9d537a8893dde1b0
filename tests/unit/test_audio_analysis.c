/* media/audio_analysis: RMS/peak levels and dominant frequency of known signals. */
#include <math.h>

#include "lkc/error.h"
#include "media/audio_analysis.h"
#include "test.h"

/* amplitude is a fraction of full scale (32767). */
static int16_t *sine(int rate, int channels, size_t frames, const double *hz, double amplitude)
{
    int16_t *p = malloc(frames * (size_t)channels * sizeof *p);
    CHECK(p != NULL, "out of memory");
    for (size_t i = 0; i < frames; i++)
        for (int c = 0; c < channels; c++)
            p[i * (size_t)channels + (size_t)c] =
                (int16_t)lrint(amplitude * 32767.0 * sin(2.0 * M_PI * hz[c] * (double)i / rate));
    return p;
}

static void levels_of_sines(void)
{
    static const double amps_db[] = {0.0, -6.0, -20.0, -40.0};
    static const int rates[] = {8000, 16000, 48000};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        for (size_t a = 0; a < sizeof amps_db / sizeof amps_db[0]; a++) {
            double amp = pow(10.0, amps_db[a] / 20.0);
            double hz[1] = {440.0};
            int16_t *p = sine(rates[r], 1, (size_t)rates[r], hz, amp);
            double rms = lkc_audio_rms_dbfs(p, (size_t)rates[r], 1, 0);
            double want = amps_db[a] - 3.0103; /* sine RMS is peak / sqrt(2) */
            CHECK(fabs(rms - want) < 0.05, "rate %d amp %.0f dB: rms %.3f dBFS, expected %.3f",
                  rates[r], amps_db[a], rms, want);
            double peak = lkc_audio_peak_dbfs(p, (size_t)rates[r], 1, LKC_AUDIO_ALL_CHANNELS);
            CHECK(fabs(peak - amps_db[a]) < 0.05, "peak %.3f dBFS, expected %.3f", peak,
                  amps_db[a]);
            free(p);
        }
    }
}

static void levels_per_channel_and_silence(void)
{
    /* Left at -6 dB, right silent: per-channel levels differ, the mix is 3 dB lower. */
    size_t frames = 4800;
    int16_t *p = calloc(frames * 2, sizeof *p);
    CHECK(p != NULL, "out of memory");
    for (size_t i = 0; i < frames; i++)
        p[2 * i] = (int16_t)lrint(16384.0 * sin(2.0 * M_PI * 1000.0 * (double)i / 48000.0));
    double l = lkc_audio_rms_dbfs(p, frames, 2, 0);
    double r = lkc_audio_rms_dbfs(p, frames, 2, 1);
    double all = lkc_audio_rms_dbfs(p, frames, 2, LKC_AUDIO_ALL_CHANNELS);
    CHECK(fabs(l - (-6.0206 - 3.0103)) < 0.05, "left rms %.3f", l);
    CHECK(r == LKC_AUDIO_DBFS_FLOOR, "silent right channel rms %.3f, expected the floor", r);
    CHECK(fabs(all - (l - 3.0103)) < 0.05, "mixed rms %.3f, left %.3f", all, l);
    /* Bad input gets the floor, never a crash. */
    CHECK(lkc_audio_rms_dbfs(NULL, 10, 1, 0) == LKC_AUDIO_DBFS_FLOOR, "NULL pcm");
    CHECK(lkc_audio_rms_dbfs(p, 0, 1, 0) == LKC_AUDIO_DBFS_FLOOR, "zero frames");
    CHECK(lkc_audio_rms_dbfs(p, frames, 2, 2) == LKC_AUDIO_DBFS_FLOOR, "channel out of range");
    CHECK(lkc_audio_peak_dbfs(p, frames, 0, 0) == LKC_AUDIO_DBFS_FLOOR, "zero channels");
    free(p);
}

static void frequencies(void)
{
    static const int rates[] = {8000, 16000, 44100, 48000};
    static const double tones[] = {100.0, 440.0, 660.0, 1234.5, 3000.0};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        for (size_t t = 0; t < sizeof tones / sizeof tones[0]; t++) {
            double hz[1] = {tones[t]};
            int16_t *p = sine(rates[r], 1, (size_t)rates[r], hz, 0.3);
            double got = 0;
            CHECK_OK(lkc_audio_dominant_hz(p, (size_t)rates[r], 1, 0, rates[r], &got));
            /* Bins are 0.7-1 Hz wide here: this bound needs the interpolation. */
            CHECK(fabs(got - tones[t]) < 0.05, "rate %d: %.1f Hz tone measured as %.3f Hz",
                  rates[r], tones[t], got);
            free(p);
        }
    }
    /* Quiet tone (-60 dBFS) and a short block (100 ms) still land close. */
    double hz[1] = {440.0};
    int16_t *p = sine(16000, 1, 16000, hz, 0.001);
    double got = 0;
    CHECK_OK(lkc_audio_dominant_hz(p, 16000, 1, 0, 16000, &got));
    CHECK(fabs(got - 440.0) < 1.0, "-60 dBFS 440 Hz measured as %.3f", got);
    CHECK_OK(lkc_audio_dominant_hz(p, 1600, 1, 0, 16000, &got));
    CHECK(fabs(got - 440.0) < 5.0, "100 ms of 440 Hz measured as %.3f", got);
    free(p);
}

static void frequency_per_channel(void)
{
    double hz[2] = {440.0, 660.0};
    int16_t *p = sine(48000, 2, 48000, hz, 0.5);
    double l = 0, r = 0;
    CHECK_OK(lkc_audio_dominant_hz(p, 48000, 2, 0, 48000, &l));
    CHECK_OK(lkc_audio_dominant_hz(p, 48000, 2, 1, 48000, &r));
    CHECK(fabs(l - 440.0) < 0.05, "left measured as %.3f Hz", l);
    CHECK(fabs(r - 660.0) < 0.05, "right measured as %.3f Hz", r);

    int16_t silence[480] = {0};
    CHECK_EQ_INT(lkc_audio_dominant_hz(silence, 480, 1, 0, 48000, &l), LKC_ERR_NOT_FOUND);
    CHECK_EQ_INT(lkc_audio_dominant_hz(silence, 8, 1, 0, 48000, &l), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_audio_dominant_hz(p, 480, 2, 2, 48000, &l), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_audio_dominant_hz(p, 480, 2, 0, 0, &l), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_audio_dominant_hz(p, 480, 2, 0, 48000, NULL), LKC_ERR_INVALID_ARG);
    free(p);
}

int main(void)
{
    RUN(levels_of_sines);
    RUN(levels_per_channel_and_silence);
    RUN(frequencies);
    RUN(frequency_per_channel);
    return 0;
}
