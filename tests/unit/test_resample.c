/* media/resample: rate and channel conversion keeps frequency, level and sample counts. */
#include <math.h>

#include "lkc/error.h"
#include "media/audio_analysis.h"
#include "media/resample.h"
#include "test.h"

/* Odd block sizes, including 1 sample and one larger than the 100 ms internal chunk. */
static const size_t block_sizes[] = {441, 1, 7, 960, 333, 13, 5000, 2, 160, 1023, 89};
#define N_BLOCK_SIZES (sizeof block_sizes / sizeof block_sizes[0])

static int16_t *tone(int rate, int channels, size_t frames, double hz_left, double hz_right,
                     double amp)
{
    int16_t *p = malloc(frames * (size_t)channels * sizeof *p);
    CHECK(p != NULL, "out of memory");
    for (size_t i = 0; i < frames; i++)
        for (int c = 0; c < channels; c++)
            p[i * (size_t)channels + (size_t)c] = (int16_t)lrint(
                amp * 32767.0 * sin(2.0 * M_PI * (c ? hz_right : hz_left) * (double)i / rate));
    return p;
}

/* Converts `in` through `r` in odd-sized blocks; out_chunk limits the output room per
 * call (0 = what out_frames_max asks for) to exercise partial consumption. */
static int16_t *convert(lkc_resample_t *r, const int16_t *in, size_t in_frames, int in_ch,
                        int out_ch, size_t out_chunk, size_t *out_frames)
{
    size_t cap = lkc_resample_out_frames_max(r, in_frames) + 16;
    int16_t *out = malloc(cap * (size_t)out_ch * sizeof *out);
    CHECK(out != NULL, "out of memory");
    size_t at = 0, made = 0, k = 0;
    while (at < in_frames) {
        size_t n = block_sizes[k++ % N_BLOCK_SIZES];
        if (n > in_frames - at)
            n = in_frames - at;
        size_t done = 0;
        while (done < n) {
            size_t room = out_chunk ? out_chunk : lkc_resample_out_frames_max(r, n - done);
            CHECK(made + room <= cap, "output would overrun: made %zu room %zu cap %zu", made,
                  room, cap);
            size_t used = 0, gave = 0;
            CHECK_OK(lkc_resample_process(r, in + (at + done) * (size_t)in_ch, n - done, &used,
                                          out + made * (size_t)out_ch, room, &gave));
            CHECK(gave <= room, "wrote %zu frames into room for %zu", gave, room);
            if (!out_chunk)
                CHECK(used == n - done, "block of %zu not consumed whole with room %zu: took %zu",
                      n - done, room, used);
            CHECK(used > 0 || gave > 0, "no progress on a block of %zu", n - done);
            done += used;
            made += gave;
        }
        at += n;
    }
    *out_frames = made;
    return out;
}

static void check_count(const lkc_resample_t *r, size_t in_frames, int in_rate, int out_rate,
                        size_t out_frames)
{
    double want = (double)in_frames * out_rate / in_rate;
    CHECK(fabs((double)out_frames - want) <= 1.0,
          "%d->%d: %zu frames in gave %zu out, expected %.1f", in_rate, out_rate, in_frames,
          out_frames, want);
}

/* Frequency and level of channel `ch`, skipping the filter's start-up. */
static void check_tone(const int16_t *p, size_t frames, int channels, int ch, int rate,
                       double hz, double level_db, const char *what)
{
    size_t skip = (size_t)rate / 10;
    CHECK(frames > skip + (size_t)rate / 2, "%s: only %zu frames", what, frames);
    const int16_t *s = p + skip * (size_t)channels;
    double got = 0;
    CHECK_OK(lkc_audio_dominant_hz(s, frames - skip, channels, ch, rate, &got));
    CHECK(fabs(got - hz) < 2.0, "%s: %.1f Hz came out as %.2f Hz", what, hz, got);
    double db = lkc_audio_rms_dbfs(s, frames - skip, channels, ch);
    CHECK(fabs(db - level_db) < 0.5, "%s: level %.2f dBFS, expected %.2f", what, db, level_db);
}

static void roundtrip_48k_16k_48k(void)
{
    lkc_resample_t *down, *up;
    CHECK_OK(lkc_resample_create(&down, 48000, 1, 16000, 1, -1));
    CHECK_OK(lkc_resample_create(&up, 16000, 1, 48000, 1, -1));
    CHECK(!lkc_resample_is_passthrough(down), "48k->16k claims passthrough");
    CHECK(lkc_resample_latency_frames(down) > 0, "speex latency %d",
          lkc_resample_latency_frames(down));
    size_t n = 48000 + 12345;
    int16_t *in = tone(48000, 1, n, 440, 440, 0.5);
    double level = lkc_audio_rms_dbfs(in, n, 1, 0);
    size_t mid_n, out_n;
    int16_t *mid = convert(down, in, n, 1, 1, 0, &mid_n);
    check_count(down, n, 48000, 16000, mid_n);
    check_tone(mid, mid_n, 1, 0, 16000, 440, level, "48k->16k");
    int16_t *out = convert(up, mid, mid_n, 1, 1, 0, &out_n);
    check_count(up, mid_n, 16000, 48000, out_n);
    check_tone(out, out_n, 1, 0, 48000, 440, level, "48k->16k->48k");
    free(in);
    free(mid);
    free(out);
    lkc_resample_free(down);
    lkc_resample_free(up);
}

static void to_48k_from(int in_rate)
{
    lkc_resample_t *r;
    CHECK_OK(lkc_resample_create(&r, in_rate, 1, 48000, 1, -1));
    size_t n = (size_t)in_rate + 777;
    int16_t *in = tone(in_rate, 1, n, 440, 440, 0.25);
    size_t out_n;
    int16_t *out = convert(r, in, n, 1, 1, 0, &out_n);
    check_count(r, n, in_rate, 48000, out_n);
    char what[32];
    snprintf(what, sizeof what, "%d->48000", in_rate);
    check_tone(out, out_n, 1, 0, 48000, 440, lkc_audio_rms_dbfs(in, n, 1, 0), what);
    free(in);
    free(out);
    lkc_resample_free(r);
}

static void from_44k1_and_8k(void)
{
    to_48k_from(44100);
    to_48k_from(8000);
}

/* 20 ms frames of a rate that divides into 48 kHz frames give exactly 960 every time:
 * what the publishing path relies on to get whole Opus frames. */
static void whole_frames_per_20ms(void)
{
    static const int rates[] = {8000, 16000, 22050, 24000, 32000, 44100};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        lkc_resample_t *r;
        CHECK_OK(lkc_resample_create(&r, rates[i], 2, 48000, 2, -1));
        size_t frame = (size_t)rates[i] / 50;
        int16_t in[2 * 960] = {0}, out[2 * 1000];
        for (int f = 0; f < 100; f++) {
            size_t used, made;
            CHECK_OK(lkc_resample_process(r, in, frame, &used, out, 1000, &made));
            CHECK(used == frame && made == 960, "rate %d frame %d: took %zu of %zu, made %zu",
                  rates[i], f, used, frame, made);
        }
        lkc_resample_free(r);
    }
}

static void stereo_mono(void)
{
    /* stereo -> mono with a rate change: the average of equal channels is the channel. */
    lkc_resample_t *r;
    CHECK_OK(lkc_resample_create(&r, 48000, 2, 16000, 1, -1));
    size_t n = 48000, out_n;
    int16_t *in = tone(48000, 2, n, 440, 440, 0.5);
    int16_t *out = convert(r, in, n, 2, 1, 0, &out_n);
    check_count(r, n, 48000, 16000, out_n);
    check_tone(out, out_n, 1, 0, 16000, 440, lkc_audio_rms_dbfs(in, n, 2, 0), "stereo48k->mono16k");
    free(out);
    lkc_resample_free(r);

    /* Different channels: the mono mix holds both tones at half amplitude (-6 dB). */
    int16_t *lr = tone(48000, 2, n, 440, 660, 0.5);
    CHECK_OK(lkc_resample_create(&r, 48000, 2, 48000, 1, -1));
    CHECK(lkc_resample_is_passthrough(r), "equal rates should bypass speex");
    out = convert(r, lr, n, 2, 1, 0, &out_n);
    CHECK_EQ_INT(out_n, n);
    for (size_t i = 0; i < n; i++)
        CHECK(out[i] == (int16_t)(((int)lr[2 * i] + lr[2 * i + 1]) / 2),
              "mono[%zu] = %d is not the average of %d and %d", i, out[i], lr[2 * i],
              lr[2 * i + 1]);
    free(out);
    lkc_resample_free(r);
    free(lr);

    /* mono -> stereo, with and without a rate change: both channels identical. */
    int16_t *mono = tone(16000, 1, 16000, 440, 440, 0.5);
    double level = lkc_audio_rms_dbfs(mono, 16000, 1, 0);
    CHECK_OK(lkc_resample_create(&r, 16000, 1, 48000, 2, -1));
    out = convert(r, mono, 16000, 1, 2, 0, &out_n);
    check_count(r, 16000, 16000, 48000, out_n);
    for (size_t i = 0; i < out_n; i++)
        CHECK(out[2 * i] == out[2 * i + 1], "frame %zu: left %d right %d", i, out[2 * i],
              out[2 * i + 1]);
    check_tone(out, out_n, 2, 0, 48000, 440, level, "mono16k->stereo48k left");
    check_tone(out, out_n, 2, 1, 48000, 440, level, "mono16k->stereo48k right");
    free(out);
    lkc_resample_free(r);

    CHECK_OK(lkc_resample_create(&r, 16000, 1, 16000, 2, -1));
    out = convert(r, mono, 16000, 1, 2, 0, &out_n);
    CHECK_EQ_INT(out_n, 16000);
    for (size_t i = 0; i < out_n; i++)
        CHECK(out[2 * i] == mono[i] && out[2 * i + 1] == mono[i], "frame %zu differs", i);
    free(out);
    lkc_resample_free(r);
    free(mono);
    free(in);
}

/* Small output buffers: partial consumption continues exactly where it stopped, so
 * the result equals a conversion with ample room. Also reset = a fresh object. */
static void partial_output_and_reset(void)
{
    lkc_resample_t *a, *b;
    CHECK_OK(lkc_resample_create(&a, 44100, 2, 48000, 2, -1));
    CHECK_OK(lkc_resample_create(&b, 44100, 2, 48000, 2, -1));
    size_t n = 22050, na, nb;
    int16_t *in = tone(44100, 2, n, 440, 660, 0.5);
    int16_t *oa = convert(a, in, n, 2, 2, 0, &na);
    int16_t *ob = convert(b, in, n, 2, 2, 37, &nb);
    CHECK_EQ_INT(na, nb);
    CHECK(memcmp(oa, ob, na * 2 * sizeof *oa) == 0, "output differs with small out buffers");
    free(ob);

    CHECK_OK(lkc_resample_reset(b));
    ob = convert(b, in, n, 2, 2, 0, &nb);
    CHECK_EQ_INT(na, nb);
    CHECK(memcmp(oa, ob, na * 2 * sizeof *oa) == 0, "output after reset differs from fresh");
    free(oa);
    free(ob);
    free(in);
    lkc_resample_free(a);
    lkc_resample_free(b);

    /* The same for one channel (speex's own reset path). */
    CHECK_OK(lkc_resample_create(&a, 16000, 1, 48000, 1, -1));
    in = tone(16000, 1, 8000, 440, 440, 0.5);
    oa = convert(a, in, 8000, 1, 1, 0, &na);
    CHECK_OK(lkc_resample_reset(a));
    ob = convert(a, in, 8000, 1, 1, 0, &nb);
    CHECK_EQ_INT(na, nb);
    CHECK(memcmp(oa, ob, na * sizeof *oa) == 0, "mono output after reset differs from fresh");
    free(oa);
    free(ob);
    free(in);
    lkc_resample_free(a);
}

static void bad_arguments(void)
{
    lkc_resample_t *r = (lkc_resample_t *)&r;
    CHECK_EQ_INT(lkc_resample_create(&r, 7999, 1, 48000, 1, -1), LKC_ERR_INVALID_ARG);
    CHECK(r == NULL, "failed create left *out set");
    CHECK_EQ_INT(lkc_resample_create(&r, 48000, 1, 96000, 1, -1), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_resample_create(&r, 48000, 3, 48000, 1, -1), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_resample_create(&r, 48000, 1, 48000, 0, -1), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_resample_create(&r, 48000, 1, 16000, 1, 11), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_resample_create(NULL, 48000, 1, 16000, 1, 3), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_resample_create(&r, 48000, 1, 16000, 1, 0));
    int16_t buf[16] = {0};
    size_t used = 99, made = 99;
    CHECK_EQ_INT(lkc_resample_process(r, NULL, 5, &used, buf, 16, &made), LKC_ERR_INVALID_ARG);
    CHECK(used == 0 && made == 0, "counts not cleared on error");
    CHECK_EQ_INT(lkc_resample_process(r, buf, 5, &used, NULL, 16, &made), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_resample_process(NULL, buf, 5, &used, buf, 16, &made), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_resample_process(r, NULL, 0, &used, buf, 16, &made));
    CHECK_OK(lkc_resample_process(r, buf, 5, &used, buf, 0, &made));
    CHECK(used == 0 && made == 0, "no room: took %zu made %zu", used, made);
    lkc_resample_free(r);
    lkc_resample_free(NULL);
}

int main(void)
{
    RUN(roundtrip_48k_16k_48k);
    RUN(from_44k1_and_8k);
    RUN(whole_frames_per_20ms);
    RUN(stereo_mono);
    RUN(partial_output_and_reset);
    RUN(bad_arguments);
    return 0;
}
