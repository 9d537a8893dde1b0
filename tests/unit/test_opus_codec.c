/* media/opus_codec: encode/decode round trips, DTX, PLC and FEC. */
#include <math.h>

#include "base/clock.h"
#include "lkc/error.h"
#include "media/audio_analysis.h"
#include "media/opus_codec.h"
#include "test.h"

#define FRAMES 50 /* one second */
#define N (FRAMES * LKC_OPUS_FRAME_SAMPLES)
#define SKIP (5 * LKC_OPUS_FRAME_SAMPLES) /* codec start-up and lookahead */

static int16_t in_buf[N * 2], out_buf[N * 2];
static uint8_t packets[FRAMES][LKC_OPUS_MAX_PACKET];
static size_t packet_len[FRAMES];

static void fill_tone(int16_t *p, size_t frames, int channels, double hz_l, double hz_r, double amp)
{
    for (size_t i = 0; i < frames; i++)
        for (int c = 0; c < channels; c++)
            p[i * (size_t)channels + (size_t)c] = (int16_t)lrint(
                amp * 32767.0 * sin(2.0 * M_PI * (c ? hz_r : hz_l) * (double)i / 48000.0));
}

/* Encodes in_buf (FRAMES frames) into packets[]; returns how many were DTX frames. */
static int encode_all(lkc_opus_encoder_t *e, int channels)
{
    int dtx_frames = 0;
    for (int f = 0; f < FRAMES; f++) {
        bool dtx = true;
        CHECK_OK(lkc_opus_encode(e, in_buf + (size_t)f * LKC_OPUS_FRAME_SAMPLES * (size_t)channels,
                                 packets[f], sizeof packets[f], &packet_len[f], &dtx));
        CHECK(packet_len[f] > 0, "frame %d: empty packet", f);
        CHECK(dtx == (packet_len[f] <= 2), "frame %d: dtx flag %d for %zu bytes", f, dtx,
              packet_len[f]);
        dtx_frames += dtx;
    }
    return dtx_frames;
}

static void decode_all(lkc_opus_decoder_t *d, int channels)
{
    for (int f = 0; f < FRAMES; f++) {
        CHECK_EQ_INT(lkc_opus_packet_samples(packets[f], packet_len[f]), LKC_OPUS_FRAME_SAMPLES);
        int n = lkc_opus_decode(d, packets[f], packet_len[f],
                                out_buf + (size_t)f * LKC_OPUS_FRAME_SAMPLES * (size_t)channels,
                                LKC_OPUS_MAX_FRAME_SAMPLES);
        CHECK_EQ_INT(n, LKC_OPUS_FRAME_SAMPLES);
    }
}

static void check_channel(const int16_t *pcm, int channels, int ch, double hz, double level,
                          const char *what)
{
    const int16_t *s = pcm + SKIP * channels;
    double got = 0;
    CHECK_OK(lkc_audio_dominant_hz(s, N - SKIP, channels, ch, 48000, &got));
    CHECK(fabs(got - hz) < 2.0, "%s: %.0f Hz decoded as %.2f Hz", what, hz, got);
    double db = lkc_audio_rms_dbfs(s, N - SKIP, channels, ch);
    CHECK(fabs(db - level) < 1.0, "%s: level %.2f dBFS, sent %.2f", what, db, level);
}

static void mono_roundtrip(void)
{
    lkc_opus_encoder_t *e;
    lkc_opus_decoder_t *d;
    CHECK_OK(lkc_opus_encoder_create(&e, NULL));
    CHECK_EQ_INT(lkc_opus_encoder_channels(e), 1);
    CHECK_OK(lkc_opus_decoder_create(&d, 1));
    fill_tone(in_buf, N, 1, 660, 660, 0.3);
    int64_t t0 = lkc_mono_us();
    CHECK_EQ_INT(encode_all(e, 1), 0);
    int64_t t1 = lkc_mono_us();
    decode_all(d, 1);
    int64_t t2 = lkc_mono_us();
    fprintf(stderr, "   mono 32 kb/s: encode %.1f us/frame, decode %.1f us/frame\n",
            (double)(t1 - t0) / FRAMES, (double)(t2 - t1) / FRAMES);
    size_t bytes = 0;
    for (int f = 0; f < FRAMES; f++)
        bytes += packet_len[f];
    CHECK(bytes * 8 > 20000 && bytes * 8 < 45000, "%zu bits for 1 s at 32 kb/s", bytes * 8);
    check_channel(out_buf, 1, 0, 660, lkc_audio_rms_dbfs(in_buf, N, 1, 0), "mono");

    /* A stereo decoder fed mono packets duplicates the channel. */
    lkc_opus_decoder_t *d2;
    CHECK_OK(lkc_opus_decoder_create(&d2, 2));
    decode_all(d2, 2);
    check_channel(out_buf, 2, 1, 660, lkc_audio_rms_dbfs(in_buf, N, 1, 0), "mono->stereo right");
    lkc_opus_decoder_free(d2);
    lkc_opus_encoder_free(e);
    lkc_opus_decoder_free(d);
}

static void stereo_roundtrip(void)
{
    lkc_opus_enc_config_t cfg;
    lkc_opus_enc_config_default(&cfg, 2);
    CHECK(cfg.channels == 2 && cfg.bitrate == 64000 && cfg.app == LKC_OPUS_APP_AUDIO,
          "stereo defaults: %d ch %d b/s app %d", cfg.channels, cfg.bitrate, (int)cfg.app);
    lkc_opus_encoder_t *e;
    lkc_opus_decoder_t *d;
    CHECK_OK(lkc_opus_encoder_create(&e, &cfg));
    CHECK_OK(lkc_opus_decoder_create(&d, 2));
    CHECK_EQ_INT(lkc_opus_decoder_channels(d), 2);
    fill_tone(in_buf, N, 2, 440, 660, 0.3);
    int64_t t0 = lkc_mono_us();
    CHECK_EQ_INT(encode_all(e, 2), 0);
    int64_t t1 = lkc_mono_us();
    decode_all(d, 2);
    int64_t t2 = lkc_mono_us();
    fprintf(stderr, "   stereo 64 kb/s: encode %.1f us/frame, decode %.1f us/frame\n",
            (double)(t1 - t0) / FRAMES, (double)(t2 - t1) / FRAMES);
    double level = lkc_audio_rms_dbfs(in_buf, N, 2, 0);
    check_channel(out_buf, 2, 0, 440, level, "stereo left");
    check_channel(out_buf, 2, 1, 660, level, "stereo right");

    /* A mono decoder fed stereo packets mixes both tones into one channel. */
    lkc_opus_decoder_t *m;
    CHECK_OK(lkc_opus_decoder_create(&m, 1));
    decode_all(m, 1);
    double hz = 0;
    CHECK_OK(lkc_audio_dominant_hz(out_buf + SKIP, N - SKIP, 1, 0, 48000, &hz));
    CHECK(fabs(hz - 440) < 2.0 || fabs(hz - 660) < 2.0, "stereo->mono mix peaks at %.1f Hz", hz);
    lkc_opus_decoder_free(m);
    lkc_opus_encoder_free(e);
    lkc_opus_decoder_free(d);
}

static void dtx_on_silence(void)
{
    lkc_opus_enc_config_t cfg;
    lkc_opus_enc_config_default(&cfg, 1);
    lkc_opus_encoder_t *e, *no_dtx;
    CHECK_OK(lkc_opus_encoder_create(&e, &cfg));
    cfg.dtx = false;
    CHECK_OK(lkc_opus_encoder_create(&no_dtx, &cfg));
    memset(in_buf, 0, sizeof in_buf);
    encode_all(e, 1);
    /* libopus sends the first 200 ms normally, then a comfort-noise refresh every 400 ms:
     * from frame 10 on, at most 2 of 40 frames are real packets. */
    int first_dtx = -1, late_sent = 0;
    size_t sent = 0;
    for (int f = 0; f < FRAMES; f++) {
        if (packet_len[f] <= 2 && first_dtx < 0)
            first_dtx = f;
        if (packet_len[f] > 2) {
            sent += packet_len[f];
            late_sent += f >= 10;
        }
    }
    CHECK(first_dtx >= 0 && first_dtx <= 10, "first DTX frame of silence: %d", first_dtx);
    CHECK(late_sent <= 3, "%d of 40 silent frames after the first 200 ms were sent", late_sent);
    CHECK(sent < 400, "%zu bytes sent for 1 s of silence with DTX", sent);
    CHECK_EQ_INT(encode_all(no_dtx, 1), 0);

    /* Decoding a DTX stream: the receiver conceals the gaps with PLC, right length. */
    lkc_opus_decoder_t *d;
    CHECK_OK(lkc_opus_decoder_create(&d, 1));
    int16_t pcm[LKC_OPUS_FRAME_SAMPLES];
    CHECK_EQ_INT(lkc_opus_decode_plc(d, pcm, LKC_OPUS_FRAME_SAMPLES), LKC_OPUS_FRAME_SAMPLES);
    lkc_opus_decoder_free(d);
    lkc_opus_encoder_free(e);
    lkc_opus_encoder_free(no_dtx);
}

static double error_db(const int16_t *a, const int16_t *b, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return 10.0 * log10(sum / (double)n + 1e-9);
}

static void plc_and_fec(void)
{
    lkc_opus_enc_config_t cfg;
    lkc_opus_enc_config_default(&cfg, 1);
    cfg.expected_loss_pct = 20;
    lkc_opus_encoder_t *e;
    CHECK_OK(lkc_opus_encoder_create(&e, &cfg));
    fill_tone(in_buf, N, 1, 660, 660, 0.3);
    encode_all(e, 1);

    /* Reference: the clean decode. Then lose packet 20 and recover it three ways. */
    lkc_opus_decoder_t *d;
    CHECK_OK(lkc_opus_decoder_create(&d, 1));
    decode_all(d, 1);
    static int16_t ref[LKC_OPUS_FRAME_SAMPLES], plc[LKC_OPUS_FRAME_SAMPLES],
        fec[LKC_OPUS_FRAME_SAMPLES];
    memcpy(ref, out_buf + 20 * LKC_OPUS_FRAME_SAMPLES, sizeof ref);

    int16_t scratch[LKC_OPUS_MAX_FRAME_SAMPLES];
    lkc_opus_decoder_reset(d);
    for (int f = 0; f < 20; f++)
        CHECK_EQ_INT(lkc_opus_decode(d, packets[f], packet_len[f], scratch, LKC_OPUS_MAX_FRAME_SAMPLES),
                     LKC_OPUS_FRAME_SAMPLES);
    CHECK_EQ_INT(lkc_opus_decode_plc(d, plc, LKC_OPUS_FRAME_SAMPLES), LKC_OPUS_FRAME_SAMPLES);

    lkc_opus_decoder_reset(d);
    for (int f = 0; f < 20; f++)
        CHECK_EQ_INT(lkc_opus_decode(d, packets[f], packet_len[f], scratch, LKC_OPUS_MAX_FRAME_SAMPLES),
                     LKC_OPUS_FRAME_SAMPLES);
    CHECK_EQ_INT(lkc_opus_decode_fec(d, packets[21], packet_len[21], fec, LKC_OPUS_FRAME_SAMPLES),
                 LKC_OPUS_FRAME_SAMPLES);
    CHECK_EQ_INT(lkc_opus_decode(d, packets[21], packet_len[21], scratch, LKC_OPUS_MAX_FRAME_SAMPLES),
                 LKC_OPUS_FRAME_SAMPLES);

    double plc_err = error_db(ref, plc, LKC_OPUS_FRAME_SAMPLES);
    double fec_err = error_db(ref, fec, LKC_OPUS_FRAME_SAMPLES);
    double sig = error_db(ref, (int16_t[LKC_OPUS_FRAME_SAMPLES]){0}, LKC_OPUS_FRAME_SAMPLES);
    fprintf(stderr, "   lost frame: signal %.1f dB, PLC error %.1f dB, FEC error %.1f dB\n", sig,
            plc_err, fec_err);
    CHECK(fec_err < sig - 6.0, "FEC output is no better than silence: err %.1f, signal %.1f",
          fec_err, sig);
    CHECK(lkc_audio_rms_dbfs(plc, LKC_OPUS_FRAME_SAMPLES, 1, 0) > -30.0,
          "PLC of a steady tone is near silence: %.1f dBFS",
          lkc_audio_rms_dbfs(plc, LKC_OPUS_FRAME_SAMPLES, 1, 0));

    /* PLC and FEC durations: any multiple of 2.5 ms up to 120 ms. */
    CHECK_EQ_INT(lkc_opus_decode_plc(d, scratch, 480), 480);
    CHECK_EQ_INT(lkc_opus_decode_plc(d, scratch, 120), 120);
    CHECK_EQ_INT(lkc_opus_decode_plc(d, scratch, LKC_OPUS_MAX_FRAME_SAMPLES),
                 LKC_OPUS_MAX_FRAME_SAMPLES);
    CHECK_EQ_INT(lkc_opus_decode_fec(d, packets[30], packet_len[30], scratch, 1920), 1920);
    CHECK_EQ_INT(lkc_opus_decode_plc(d, scratch, 100), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_opus_decode_plc(d, scratch, 0), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_opus_decode_plc(d, scratch, LKC_OPUS_MAX_FRAME_SAMPLES + 120),
                 LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_opus_decode_fec(d, NULL, 10, scratch, 960), LKC_ERR_INVALID_ARG);
    lkc_opus_decoder_free(d);
    lkc_opus_encoder_free(e);
}

static void bad_input(void)
{
    lkc_opus_encoder_t *e = (lkc_opus_encoder_t *)&e;
    lkc_opus_enc_config_t cfg;
    lkc_opus_enc_config_default(&cfg, 1);
    cfg.channels = 3;
    CHECK_EQ_INT(lkc_opus_encoder_create(&e, &cfg), LKC_ERR_INVALID_ARG);
    CHECK(e == NULL, "failed create left *out set");
    lkc_opus_enc_config_default(&cfg, 1);
    cfg.bitrate = 1000;
    CHECK_EQ_INT(lkc_opus_encoder_create(&e, &cfg), LKC_ERR_INVALID_ARG);
    lkc_opus_enc_config_default(&cfg, 1);
    cfg.complexity = 11;
    CHECK_EQ_INT(lkc_opus_encoder_create(&e, &cfg), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_opus_encoder_create(NULL, NULL), LKC_ERR_INVALID_ARG);

    CHECK_OK(lkc_opus_encoder_create(&e, NULL));
    fill_tone(in_buf, LKC_OPUS_FRAME_SAMPLES, 1, 660, 660, 0.5);
    uint8_t pkt[LKC_OPUS_MAX_PACKET];
    size_t len = 99;
    CHECK_EQ_INT(lkc_opus_encode(e, NULL, pkt, sizeof pkt, &len, NULL), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(lkc_opus_encode(e, in_buf, pkt, 0, &len, NULL), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_opus_encoder_set_bitrate(e, 5000), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_opus_encoder_set_expected_loss(e, 101), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_opus_encoder_set_bitrate(e, 24000));
    CHECK_OK(lkc_opus_encoder_set_expected_loss(e, 0));
    CHECK_OK(lkc_opus_encode(e, in_buf, pkt, sizeof pkt, &len, NULL));

    lkc_opus_decoder_t *d = (lkc_opus_decoder_t *)&d;
    CHECK_EQ_INT(lkc_opus_decoder_create(&d, 0), LKC_ERR_INVALID_ARG);
    CHECK(d == NULL, "failed create left *out set");
    CHECK_OK(lkc_opus_decoder_create(&d, 1));
    int16_t pcm[LKC_OPUS_MAX_FRAME_SAMPLES];
    CHECK_EQ_INT(lkc_opus_decode(d, pkt, len, pcm, 480), LKC_ERR_TOO_LARGE);
    CHECK_EQ_INT(lkc_opus_decode(d, pkt, 0, pcm, 960), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_opus_decode(d, NULL, 5, pcm, 960), LKC_ERR_INVALID_ARG);
    /* Garbage from the network: an error, and the decoder keeps working. TOC 0xff with a
     * frame count byte of 0 is malformed (code 3 needs at least one frame). */
    uint8_t junk[] = {0xff, 0x00};
    CHECK_EQ_INT(lkc_opus_decode(d, junk, sizeof junk, pcm, 960), LKC_ERR_PROTOCOL);
    CHECK_EQ_INT(lkc_opus_packet_samples(junk, sizeof junk), LKC_ERR_PROTOCOL);
    CHECK_EQ_INT(lkc_opus_packet_samples(junk, 0), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_opus_decode(d, pkt, len, pcm, 960), 960);
    /* Every truncation and one-byte corruption of a valid packet: never a crash. */
    for (size_t cut = 1; cut < len; cut++) {
        int n = lkc_opus_decode(d, pkt, cut, pcm, LKC_OPUS_MAX_FRAME_SAMPLES);
        CHECK(n > 0 || n == LKC_ERR_PROTOCOL, "truncated to %zu: %d", cut, n);
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t bad[LKC_OPUS_MAX_PACKET];
        memcpy(bad, pkt, len);
        bad[i] ^= 0xa5;
        int n = lkc_opus_decode(d, bad, len, pcm, LKC_OPUS_MAX_FRAME_SAMPLES);
        CHECK(n > 0 || n == LKC_ERR_PROTOCOL, "byte %zu flipped: %d", i, n);
    }
    lkc_opus_decoder_free(d);
    lkc_opus_encoder_free(e);
    lkc_opus_decoder_free(NULL);
    lkc_opus_encoder_free(NULL);
}

int main(void)
{
    RUN(mono_roundtrip);
    RUN(stereo_roundtrip);
    RUN(dtx_on_silence);
    RUN(plc_and_fec);
    RUN(bad_input);
    return 0;
}
