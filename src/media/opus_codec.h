/* Opus encoder and decoder at 48 kHz, 20 ms frames: the codec of every lkc audio track.
 *
 * Not thread-safe: each encoder/decoder belongs to one thread (the room's engine
 * thread). No allocation after create; encode/decode write into caller buffers. */
#ifndef LKC_MEDIA_OPUS_CODEC_H
#define LKC_MEDIA_OPUS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LKC_OPUS_RATE 48000
#define LKC_OPUS_FRAME_SAMPLES 960    /* per channel: 20 ms at 48 kHz */
#define LKC_OPUS_MAX_FRAME_SAMPLES 5760 /* per channel: 120 ms, the longest Opus packet */
#define LKC_OPUS_MAX_PACKET 1275      /* bytes: the largest single-frame Opus packet */

typedef enum lkc_opus_app {
    /* Mono default: speech tuning (high-pass, favours intelligibility at low bitrate);
     * a microphone track is overwhelmingly voice. */
    LKC_OPUS_APP_VOIP,
    /* Stereo default: an app that publishes stereo is sending music or program audio,
     * where VOIP's speech processing costs fidelity and stereo image. */
    LKC_OPUS_APP_AUDIO,
} lkc_opus_app_t;

typedef struct lkc_opus_enc_config {
    int channels;          /* 1 or 2 */
    lkc_opus_app_t app;
    int bitrate;           /* bits/s, 6000..510000 */
    bool dtx;              /* discontinuous transmission: near-silent frames are not sent */
    bool fec;              /* in-band FEC (LBRR): each packet carries a coarse copy of the last */
    int expected_loss_pct; /* 0..100: how much redundancy FEC spends */
    int complexity;        /* 0..10 */
} lkc_opus_enc_config_t;

/* Defaults: VOIP mono at 32 kb/s or AUDIO stereo at 64 kb/s, DTX on, FEC on at 10%
 * expected loss, complexity 9 (what libwebrtc uses on desktop, so lkc sounds like the
 * official SDKs). Cost measured here per 20 ms mono frame at 32 kb/s: complexity 9
 * ~250 us (1.2% of a core per track), 5 ~140 us, 0 ~55 us; decoding ~20 us. A process
 * publishing many tracks should lower it. channels outside 1..2 are treated as 1. */
void lkc_opus_enc_config_default(lkc_opus_enc_config_t *cfg, int channels);

typedef struct lkc_opus_encoder lkc_opus_encoder_t;

/* Creates an encoder; cfg NULL means mono defaults. LKC_ERR_INVALID_ARG for values out
 * of range, LKC_ERR_NO_MEMORY. The caller owns *out (lkc_opus_encoder_free). */
int lkc_opus_encoder_create(lkc_opus_encoder_t **out, const lkc_opus_enc_config_t *cfg);
void lkc_opus_encoder_free(lkc_opus_encoder_t *e);

/* Encodes exactly one 20 ms frame, pcm[LKC_OPUS_FRAME_SAMPLES * channels] interleaved,
 * into out[cap] (LKC_OPUS_MAX_PACKET is always enough). *len gets the packet size.
 * *dtx (may be NULL) is set when DTX suppressed the frame: libopus then returns a 1-2
 * byte packet that must NOT be sent (the receiver conceals the gap). Returns 0,
 * LKC_ERR_INVALID_ARG, or LKC_ERR_TOO_LARGE when cap is too small. */
int lkc_opus_encode(lkc_opus_encoder_t *e, const int16_t *pcm, uint8_t *out, size_t cap,
                    size_t *len, bool *dtx);

/* Live changes (e.g. from congestion feedback). LKC_ERR_INVALID_ARG when out of range. */
int lkc_opus_encoder_set_bitrate(lkc_opus_encoder_t *e, int bitrate);
int lkc_opus_encoder_set_expected_loss(lkc_opus_encoder_t *e, int pct);
int lkc_opus_encoder_channels(const lkc_opus_encoder_t *e);

typedef struct lkc_opus_decoder lkc_opus_decoder_t;

/* A decoder producing `channels` (1|2) at 48 kHz whatever the packets carry (libopus
 * downmixes or duplicates). LKC_ERR_INVALID_ARG, LKC_ERR_NO_MEMORY. */
int lkc_opus_decoder_create(lkc_opus_decoder_t **out, int channels);
void lkc_opus_decoder_free(lkc_opus_decoder_t *d);

/* Decodes one packet into pcm[max_samples * channels]; returns samples per channel
 * (> 0), or LKC_ERR_PROTOCOL for a corrupt packet (the decoder stays usable),
 * LKC_ERR_TOO_LARGE when max_samples is below the packet's duration,
 * LKC_ERR_INVALID_ARG. LKC_OPUS_MAX_FRAME_SAMPLES always suffices. */
int lkc_opus_decode(lkc_opus_decoder_t *d, const uint8_t *pkt, size_t len, int16_t *pcm,
                    size_t max_samples);

/* Packet loss concealment: synthesises `samples` per channel (a multiple of 2.5 ms =
 * 120 samples, at most LKC_OPUS_MAX_FRAME_SAMPLES) continuing the last decoded audio.
 * Returns `samples` or an error. */
int lkc_opus_decode_plc(lkc_opus_decoder_t *d, int16_t *pcm, size_t samples);

/* Recovers the LOST frame that preceded `next_pkt` from the FEC data in next_pkt, as
 * `samples` per channel (the lost frame's duration, a multiple of 120). Falls back to
 * concealment when next_pkt carries no FEC. next_pkt itself must still be decoded
 * afterwards with lkc_opus_decode. Returns `samples` or an error. */
int lkc_opus_decode_fec(lkc_opus_decoder_t *d, const uint8_t *next_pkt, size_t len,
                        int16_t *pcm, size_t samples);

/* Forgets decoder state (e.g. after a long gap or an SSRC change). */
void lkc_opus_decoder_reset(lkc_opus_decoder_t *d);
int lkc_opus_decoder_channels(const lkc_opus_decoder_t *d);

/* Samples per channel at 48 kHz in a packet (for PLC/FEC durations), or
 * LKC_ERR_PROTOCOL for a malformed packet, LKC_ERR_INVALID_ARG for NULL/empty.
 * Pure function. */
int lkc_opus_packet_samples(const uint8_t *pkt, size_t len);

#endif
