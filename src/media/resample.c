/* Rate and channel conversion over speexdsp's resampler. */
#include "media/resample.h"

#include <speex/speex_resampler.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "lkc/error.h"

struct lkc_resample {
    int in_rate, in_channels, out_rate, out_channels, quality;
    SpeexResamplerState *speex; /* NULL when the rates match */
    size_t chunk_frames;        /* input frames converted per step: 100 ms */
    int16_t *mono;              /* stereo->mono downmix of one chunk, else NULL */
};

static int rate_ok(int rate)
{
    return rate >= 8000 && rate <= 48000;
}

static int speex_channels(const lkc_resample_t *r)
{
    return r->in_channels < r->out_channels ? r->in_channels : r->out_channels;
}

static SpeexResamplerState *speex_new(const lkc_resample_t *r)
{
    int err = 0;
    SpeexResamplerState *st =
        speex_resampler_init((spx_uint32_t)speex_channels(r), (spx_uint32_t)r->in_rate,
                             (spx_uint32_t)r->out_rate, r->quality, &err);
    if (!st)
        LKC_LOGE("media", "speex resampler %d->%d: %s", r->in_rate, r->out_rate,
                 speex_resampler_strerror(err));
    return st;
}

int lkc_resample_create(lkc_resample_t **out, int in_rate, int in_channels, int out_rate,
                        int out_channels, int quality)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    if (quality == -1)
        quality = LKC_RESAMPLE_QUALITY_DEFAULT;
    if (!rate_ok(in_rate) || !rate_ok(out_rate) || in_channels < 1 || in_channels > 2 ||
        out_channels < 1 || out_channels > 2 || quality < 0 || quality > 10)
        return LKC_ERR_INVALID_ARG;

    lkc_resample_t *r = calloc(1, sizeof *r);
    if (!r)
        return LKC_ERR_NO_MEMORY;
    r->in_rate = in_rate;
    r->in_channels = in_channels;
    r->out_rate = out_rate;
    r->out_channels = out_channels;
    r->quality = quality;
    r->chunk_frames = (size_t)in_rate / 10;
    if (in_channels == 2 && out_channels == 1) {
        r->mono = malloc(r->chunk_frames * sizeof *r->mono);
        if (!r->mono)
            goto no_memory;
    }
    if (in_rate != out_rate && !(r->speex = speex_new(r)))
        goto no_memory;
    *out = r;
    return LKC_OK;

no_memory:
    lkc_resample_free(r);
    return LKC_ERR_NO_MEMORY;
}

void lkc_resample_free(lkc_resample_t *r)
{
    if (!r)
        return;
    if (r->speex)
        speex_resampler_destroy(r->speex);
    free(r->mono);
    free(r);
}

static void downmix(const int16_t *in, size_t frames, int16_t *mono)
{
    for (size_t i = 0; i < frames; i++)
        mono[i] = (int16_t)(((int32_t)in[2 * i] + (int32_t)in[2 * i + 1]) / 2);
}

/* Duplicates mono samples m[0..frames) into stereo pairs of out. Works in place
 * (m == out) because it walks backwards and sample i lands at 2i >= i. */
static void upmix(const int16_t *m, size_t frames, int16_t *out)
{
    for (size_t i = frames; i-- > 0;) {
        int16_t v = m[i];
        out[2 * i] = v;
        out[2 * i + 1] = v;
    }
}

int lkc_resample_process(lkc_resample_t *r, const int16_t *in, size_t in_frames,
                         size_t *in_used, int16_t *out, size_t out_cap_frames,
                         size_t *out_made)
{
    if (in_used)
        *in_used = 0;
    if (out_made)
        *out_made = 0;
    if (!r || !in_used || !out_made || (!in && in_frames) || (!out && out_cap_frames))
        return LKC_ERR_INVALID_ARG;

    size_t used = 0, made = 0;
    while (used < in_frames && made < out_cap_frames) {
        size_t chunk = in_frames - used;
        if (chunk > r->chunk_frames)
            chunk = r->chunk_frames;
        const int16_t *src = in + used * (size_t)r->in_channels;
        if (r->mono) {
            downmix(src, chunk, r->mono);
            src = r->mono;
        }
        int16_t *dst = out + made * (size_t)r->out_channels;
        size_t room = out_cap_frames - made;
        size_t took, gave;
        if (!r->speex) {
            took = gave = chunk < room ? chunk : room;
            if (r->in_channels == 1 && r->out_channels == 2)
                upmix(src, gave, dst);
            else
                memcpy(dst, src, gave * (size_t)r->out_channels * sizeof *dst);
        } else {
            spx_uint32_t ilen = (spx_uint32_t)chunk, olen = (spx_uint32_t)room;
            int err = speex_resampler_process_interleaved_int(r->speex, src, &ilen, dst, &olen);
            if (err != RESAMPLER_ERR_SUCCESS) {
                /* Per-frame path: TRACE only; the caller sees the error value. */
                LKC_LOGT("media", "speex resampler: %s", speex_resampler_strerror(err));
                return LKC_ERR_INTERNAL;
            }
            took = ilen;
            gave = olen;
            if (r->in_channels == 1 && r->out_channels == 2)
                upmix(dst, gave, dst); /* speex wrote mono into the front of dst */
        }
        used += took;
        made += gave;
        if (took == 0 && gave == 0)
            break; /* no progress: never loop forever on a surprise from speex */
    }
    *in_used = used;
    *out_made = made;
    return LKC_OK;
}

size_t lkc_resample_out_frames_max(const lkc_resample_t *r, size_t in_frames)
{
    if (!r)
        return 0;
    if (!r->speex)
        return in_frames;
    /* The exact count depends on the filter's phase: allow a frame either way. */
    return (size_t)(((uint64_t)in_frames * (uint64_t)r->out_rate + (uint64_t)r->in_rate - 1) /
                    (uint64_t)r->in_rate) + 2;
}

int lkc_resample_latency_frames(const lkc_resample_t *r)
{
    return r && r->speex ? speex_resampler_get_output_latency(r->speex) : 0;
}

int lkc_resample_reset(lkc_resample_t *r)
{
    if (!r)
        return LKC_ERR_INVALID_ARG;
    if (!r->speex)
        return LKC_OK;
    if (speex_channels(r) == 1) {
        speex_resampler_reset_mem(r->speex);
        return LKC_OK;
    }
    SpeexResamplerState *fresh = speex_new(r);
    if (!fresh) {
        speex_resampler_reset_mem(r->speex);
        return LKC_ERR_NO_MEMORY;
    }
    speex_resampler_destroy(r->speex);
    r->speex = fresh;
    return LKC_OK;
}

int lkc_resample_is_passthrough(const lkc_resample_t *r)
{
    return r && !r->speex;
}
