#include "resample.h"

#include <speex/speex_resampler.h>
#include <stdlib.h>

struct cli_resampler {
    SpeexResamplerState *st;
    int channels;
    int in_rate, out_rate;
};

int cli_source_rate_for(int rate)
{
    return rate >= 8000 && rate <= 48000 && rate % 50 == 0 ? rate : 48000;
}

cli_resampler_t *cli_resampler_new(int in_rate, int out_rate, int channels)
{
    if (in_rate <= 0 || out_rate <= 0 || channels < 1 || channels > 8)
        return NULL;
    cli_resampler_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    int err = 0;
    /* quality 5: speexdsp's default trade-off, clean for speech and test tones */
    r->st = speex_resampler_init((spx_uint32_t)channels, (spx_uint32_t)in_rate, (spx_uint32_t)out_rate, 5, &err);
    if (!r->st) {
        free(r);
        return NULL;
    }
    speex_resampler_skip_zeros(r->st);
    r->channels = channels;
    r->in_rate = in_rate;
    r->out_rate = out_rate;
    return r;
}

void cli_resampler_free(cli_resampler_t *r)
{
    if (!r)
        return;
    speex_resampler_destroy(r->st);
    free(r);
}

size_t cli_resampler_max_out(const cli_resampler_t *r, size_t n_in)
{
    return r ? n_in * (size_t)r->out_rate / (size_t)r->in_rate + 16 : 0;
}

size_t cli_resampler_process(cli_resampler_t *r, const int16_t *in, size_t n_in, int16_t *out, size_t out_cap)
{
    if (!r || (!in && n_in) || !out)
        return 0;
    size_t done_in = 0, done_out = 0;
    while (done_in < n_in && done_out < out_cap) {
        spx_uint32_t in_len = (spx_uint32_t)(n_in - done_in), out_len = (spx_uint32_t)(out_cap - done_out);
        speex_resampler_process_interleaved_int(r->st, in + done_in * (size_t)r->channels, &in_len,
                                                out + done_out * (size_t)r->channels, &out_len);
        if (in_len == 0 && out_len == 0)
            break;
        done_in += in_len;
        done_out += out_len;
    }
    return done_out;
}
