/* Opus encoder/decoder wrappers over libopus. */
#include "media/opus_codec.h"

#include <opus.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/log.h"
#include "lkc/error.h"

struct lkc_opus_encoder {
    OpusEncoder *enc;
    int channels;
};

struct lkc_opus_decoder {
    OpusDecoder *dec;
    int channels;
};

static int from_opus(int err)
{
    switch (err) {
    case OPUS_BAD_ARG: return LKC_ERR_INVALID_ARG;
    case OPUS_BUFFER_TOO_SMALL: return LKC_ERR_TOO_LARGE;
    case OPUS_INVALID_PACKET: return LKC_ERR_PROTOCOL;
    case OPUS_ALLOC_FAIL: return LKC_ERR_NO_MEMORY;
    case OPUS_UNIMPLEMENTED: return LKC_ERR_UNSUPPORTED;
    default: return LKC_ERR_INTERNAL;
    }
}

static int from_opus_ok(int err)
{
    return err == OPUS_OK ? LKC_OK : from_opus(err);
}

void lkc_opus_enc_config_default(lkc_opus_enc_config_t *cfg, int channels)
{
    if (!cfg)
        return;
    int stereo = channels == 2;
    *cfg = (lkc_opus_enc_config_t){
        .channels = stereo ? 2 : 1,
        .app = stereo ? LKC_OPUS_APP_AUDIO : LKC_OPUS_APP_VOIP,
        .bitrate = stereo ? 64000 : 32000,
        .dtx = true,
        .fec = true,
        .expected_loss_pct = 10,
        .complexity = 9,
    };
}

static int config_ok(const lkc_opus_enc_config_t *c)
{
    return (c->channels == 1 || c->channels == 2) &&
           (c->app == LKC_OPUS_APP_VOIP || c->app == LKC_OPUS_APP_AUDIO) &&
           c->bitrate >= 6000 && c->bitrate <= 510000 && c->expected_loss_pct >= 0 &&
           c->expected_loss_pct <= 100 && c->complexity >= 0 && c->complexity <= 10;
}

int lkc_opus_encoder_create(lkc_opus_encoder_t **out, const lkc_opus_enc_config_t *cfg)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    lkc_opus_enc_config_t defaults;
    if (!cfg) {
        lkc_opus_enc_config_default(&defaults, 1);
        cfg = &defaults;
    }
    if (!config_ok(cfg))
        return LKC_ERR_INVALID_ARG;

    lkc_opus_encoder_t *e = calloc(1, sizeof *e);
    if (!e)
        return LKC_ERR_NO_MEMORY;
    int err = OPUS_OK;
    int app = cfg->app == LKC_OPUS_APP_AUDIO ? OPUS_APPLICATION_AUDIO : OPUS_APPLICATION_VOIP;
    e->enc = opus_encoder_create(LKC_OPUS_RATE, cfg->channels, app, &err);
    e->channels = cfg->channels;
    if (!e->enc) {
        free(e);
        return from_opus(err);
    }
    /* The setters only fail on out-of-range values, which config_ok excluded. */
    if ((err = opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(cfg->bitrate))) != OPUS_OK ||
        (err = opus_encoder_ctl(e->enc, OPUS_SET_DTX(cfg->dtx ? 1 : 0))) != OPUS_OK ||
        (err = opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(cfg->fec ? 1 : 0))) != OPUS_OK ||
        (err = opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(cfg->expected_loss_pct))) !=
            OPUS_OK ||
        (err = opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(cfg->complexity))) != OPUS_OK) {
        LKC_LOGE("media", "opus encoder setup: %s", opus_strerror(err));
        lkc_opus_encoder_free(e);
        return from_opus(err);
    }
    *out = e;
    return LKC_OK;
}

void lkc_opus_encoder_free(lkc_opus_encoder_t *e)
{
    if (!e)
        return;
    opus_encoder_destroy(e->enc);
    free(e);
}

int lkc_opus_encode(lkc_opus_encoder_t *e, const int16_t *pcm, uint8_t *out, size_t cap,
                    size_t *len, bool *dtx)
{
    if (len)
        *len = 0;
    if (dtx)
        *dtx = false;
    if (!e || !pcm || !out || !len || cap == 0)
        return LKC_ERR_INVALID_ARG;
    opus_int32 room = cap > INT32_MAX ? INT32_MAX : (opus_int32)cap;
    opus_int32 n = opus_encode(e->enc, pcm, LKC_OPUS_FRAME_SAMPLES, out, room);
    if (n < 0)
        return from_opus(n);
    *len = (size_t)n;
    /* libopus documents a packet of 2 bytes or less as "need not be transmitted". */
    if (dtx)
        *dtx = n <= 2;
    return LKC_OK;
}

int lkc_opus_encoder_set_bitrate(lkc_opus_encoder_t *e, int bitrate)
{
    if (!e || bitrate < 6000 || bitrate > 510000)
        return LKC_ERR_INVALID_ARG;
    return from_opus_ok(opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(bitrate)));
}

int lkc_opus_encoder_set_expected_loss(lkc_opus_encoder_t *e, int pct)
{
    if (!e || pct < 0 || pct > 100)
        return LKC_ERR_INVALID_ARG;
    return from_opus_ok(opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(pct)));
}

int lkc_opus_encoder_channels(const lkc_opus_encoder_t *e)
{
    return e ? e->channels : 0;
}

int lkc_opus_decoder_create(lkc_opus_decoder_t **out, int channels)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    if (channels != 1 && channels != 2)
        return LKC_ERR_INVALID_ARG;
    lkc_opus_decoder_t *d = calloc(1, sizeof *d);
    if (!d)
        return LKC_ERR_NO_MEMORY;
    int err = OPUS_OK;
    d->dec = opus_decoder_create(LKC_OPUS_RATE, channels, &err);
    d->channels = channels;
    if (!d->dec) {
        free(d);
        return from_opus(err);
    }
    *out = d;
    return LKC_OK;
}

void lkc_opus_decoder_free(lkc_opus_decoder_t *d)
{
    if (!d)
        return;
    opus_decoder_destroy(d->dec);
    free(d);
}

int lkc_opus_decode(lkc_opus_decoder_t *d, const uint8_t *pkt, size_t len, int16_t *pcm,
                    size_t max_samples)
{
    if (!d || !pkt || len == 0 || len > INT32_MAX || !pcm || max_samples == 0)
        return LKC_ERR_INVALID_ARG;
    int frame = max_samples > LKC_OPUS_MAX_FRAME_SAMPLES ? LKC_OPUS_MAX_FRAME_SAMPLES
                                                         : (int)max_samples;
    int n = opus_decode(d->dec, pkt, (opus_int32)len, pcm, frame, 0);
    if (n < 0) {
        LKC_LOGT("media", "opus decode of %zu bytes: %s", len, opus_strerror(n));
        return from_opus(n);
    }
    return n;
}

static int concealed_size_ok(size_t samples)
{
    return samples > 0 && samples <= LKC_OPUS_MAX_FRAME_SAMPLES && samples % 120 == 0;
}

int lkc_opus_decode_plc(lkc_opus_decoder_t *d, int16_t *pcm, size_t samples)
{
    if (!d || !pcm || !concealed_size_ok(samples))
        return LKC_ERR_INVALID_ARG;
    int n = opus_decode(d->dec, NULL, 0, pcm, (int)samples, 0);
    return n < 0 ? from_opus(n) : n;
}

int lkc_opus_decode_fec(lkc_opus_decoder_t *d, const uint8_t *next_pkt, size_t len,
                        int16_t *pcm, size_t samples)
{
    if (!d || !next_pkt || len == 0 || len > INT32_MAX || !pcm || !concealed_size_ok(samples))
        return LKC_ERR_INVALID_ARG;
    int n = opus_decode(d->dec, next_pkt, (opus_int32)len, pcm, (int)samples, 1);
    return n < 0 ? from_opus(n) : n;
}

void lkc_opus_decoder_reset(lkc_opus_decoder_t *d)
{
    if (d)
        opus_decoder_ctl(d->dec, OPUS_RESET_STATE);
}

int lkc_opus_decoder_channels(const lkc_opus_decoder_t *d)
{
    return d ? d->channels : 0;
}

int lkc_opus_packet_samples(const uint8_t *pkt, size_t len)
{
    if (!pkt || len == 0 || len > INT32_MAX)
        return LKC_ERR_INVALID_ARG;
    int n = opus_packet_get_nb_samples(pkt, (opus_int32)len, LKC_OPUS_RATE);
    /* libopus answers 0 for a code-3 packet that declares zero frames: malformed too. */
    if (n == 0)
        return LKC_ERR_PROTOCOL;
    return n < 0 ? from_opus(n) : n;
}
