/* A speaker: a device thread that mixes the streams added to it, 10 ms a period, hands
 * the mix to the apm as the far end (exactly what is played) and writes it.
 *
 * Each stream has a small carry buffer: the room delivers audio in 20 ms pieces on its
 * own clock while the device takes 10 ms on another, so a stream starts (and restarts
 * after running dry) only once 20 ms are waiting; that cushion keeps the two clocks'
 * phase from cutting holes into the sound. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_core.h"
#include "lkc/devices.h"

#define MAX_STREAMS 32
#define CARRY_MS 120      /* the most audio kept per stream; more is dropped (oldest first) */
#define PREROLL_MS 20

typedef struct mix_input {
    lkc_audio_stream_t *stream;
    bool ended;
    bool playing;         /* past the pre-roll */
    size_t n;             /* frames in carry */
    int16_t *carry;
} mix_input_t;

struct lkc_loudspeaker {
    lkc_dev_core_t core;  /* first: the core's callbacks cast back */
    lkc_loudspeaker_options_t o;
    pthread_mutex_t lock; /* the inputs: held by the thread while it reads them */
    mix_input_t in[MAX_STREAMS];
    size_t n_in;          /* [lock] */
    size_t carry_frames;
    int32_t *acc;         /* one period, interleaved */
    int16_t *out;
    bool primed;          /* the device's buffer was filled with silence since the start */
};

/* A fresh output stream takes a buffer's worth of audio at once, then one period per
 * period. Fed through the apm, that burst would tell it the far end ran ahead of the
 * microphone by the whole buffer (its alignment would start off by that much, beyond
 * the echo's delay). So the buffer is filled with silence first, outside the apm:
 * from then on every period is handed to the apm as the device takes it. */
static PaError prime(lkc_loudspeaker_t *spk)
{
    size_t frames = spk->core.frames_per_period;
    memset(spk->out, 0, frames * (size_t)spk->core.channels * sizeof *spk->out);
    PaError e = paNoError;
    for (int i = 0; i < 50 && (e == paNoError || e == paOutputUnderflowed); i++) {
        signed long room = Pa_GetStreamWriteAvailable(spk->core.pa);
        if (room < 0)
            return (PaError)room;
        if ((size_t)room < frames)
            break;
        e = Pa_WriteStream(spk->core.pa, spk->out, (unsigned long)frames);
    }
    spk->primed = true;
    return e == paOutputUnderflowed ? paNoError : e;
}

/* Reads what the stream has (without waiting) into its carry. [lock] */
static void fill(lkc_loudspeaker_t *spk, mix_input_t *m)
{
    size_t ch = (size_t)spk->core.channels;
    while (!m->ended && m->n < spk->carry_frames) {
        int n = lkc_audio_stream_read(m->stream, m->carry + m->n * ch, spk->carry_frames - m->n, 0);
        if (n > 0)
            m->n += (size_t)n;
        else {
            if (n != LKC_ERR_TIMEOUT) /* LKC_EOS, or a stream gone bad: silence from now on */
                m->ended = true;
            break;
        }
    }
}

static void mix_into(lkc_loudspeaker_t *spk, mix_input_t *m, size_t frames)
{
    size_t ch = (size_t)spk->core.channels;
    if (!m->playing && m->n >= (size_t)(spk->core.rate * PREROLL_MS / 1000))
        m->playing = true;
    if (!m->playing && !m->ended)
        return;
    size_t take = m->n < frames ? m->n : frames;
    for (size_t i = 0; i < take * ch; i++)
        spk->acc[i] += m->carry[i];
    memmove(m->carry, m->carry + take * ch, (m->n - take) * ch * sizeof(int16_t));
    m->n -= take;
    if (take < frames)
        m->playing = false; /* ran dry: wait for the cushion again */
}

static lkc_err_t period(lkc_dev_core_t *core, char *message, size_t len)
{
    lkc_loudspeaker_t *spk = (lkc_loudspeaker_t *)core;
    size_t frames = core->frames_per_period, samples = frames * (size_t)core->channels;
    PaError e = spk->primed ? paNoError : prime(spk);
    if (e != paNoError) {
        snprintf(message, len, "the speaker \"%s\" stopped: %s (was it unplugged, or did the sound server stop?)",
                 core->name, Pa_GetErrorText(e));
        return LKC_ERR_IO;
    }
    memset(spk->acc, 0, samples * sizeof *spk->acc);
    if (!lkc_dev_core_use_begin(core))
        return LKC_OK; /* stopping: the streams and the apm may be gone */
    pthread_mutex_lock(&spk->lock);
    for (size_t k = 0; k < spk->n_in; k++) {
        fill(spk, &spk->in[k]);
        mix_into(spk, &spk->in[k], frames);
    }
    pthread_mutex_unlock(&spk->lock);
    for (size_t i = 0; i < samples; i++)
        spk->out[i] = (int16_t)(spk->acc[i] > 32767 ? 32767 : spk->acc[i] < -32768 ? -32768 : spk->acc[i]);
    if (spk->o.apm)
        lkc_apm_process_render(spk->o.apm, spk->out, frames);
    lkc_dev_core_use_end(core);
    lkc_dev_core_meter(core, spk->out, frames);
    e = Pa_WriteStream(core->pa, spk->out, (unsigned long)frames);
    /* an underflow is a gap already heard (the thread was late); go on */
    if (e != paNoError && e != paOutputUnderflowed) {
        snprintf(message, len, "the speaker \"%s\" stopped: %s (was it unplugged, or did the sound server stop?)",
                 core->name, Pa_GetErrorText(e));
        return LKC_ERR_IO;
    }
    return LKC_OK;
}

static void report(lkc_dev_core_t *core, lkc_err_t err, const char *message)
{
    lkc_loudspeaker_t *spk = (lkc_loudspeaker_t *)core;
    if (spk->o.on_error)
        spk->o.on_error(spk, err, message, spk->o.user);
}

static void free_owner(lkc_dev_core_t *core)
{
    lkc_loudspeaker_t *spk = (lkc_loudspeaker_t *)core;
    for (size_t k = 0; k < MAX_STREAMS; k++)
        free(spk->in[k].carry);
    pthread_mutex_destroy(&spk->lock);
    free(spk->acc);
    free(spk->out);
    free(spk);
}

void lkc_loudspeaker_options_init(lkc_loudspeaker_options_t *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->sample_rate = 48000;
    o->channels = 1;
}

lkc_err_t lkc_loudspeaker_open(const lkc_loudspeaker_options_t *opts, lkc_loudspeaker_t **out)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    lkc_loudspeaker_options_t o;
    lkc_loudspeaker_options_init(&o);
    if (opts) {
        if (opts->struct_size == 0)
            return LKC_ERR_INVALID_ARG;
        memcpy(&o, opts, opts->struct_size < sizeof o ? opts->struct_size : sizeof o);
    }
    if (o.sample_rate < 8000 || o.sample_rate > 48000 || o.sample_rate % 50 || o.channels < 1 || o.channels > 2)
        return LKC_ERR_INVALID_ARG;
    size_t frames = (size_t)(o.sample_rate % 100 ? o.sample_rate / 50 : o.sample_rate / 100);
    size_t ch = (size_t)o.channels;
    lkc_loudspeaker_t *spk = calloc(1, sizeof *spk);
    if (!spk)
        return LKC_ERR_NO_MEMORY;
    spk->o = o;
    spk->o.device = NULL; /* the caller's string */
    spk->carry_frames = (size_t)o.sample_rate * CARRY_MS / 1000;
    pthread_mutex_init(&spk->lock, NULL);
    bool ok = (spk->acc = calloc(frames * ch, sizeof *spk->acc)) && (spk->out = calloc(frames * ch, sizeof *spk->out));
    for (size_t k = 0; k < MAX_STREAMS && ok; k++)
        ok = (spk->in[k].carry = calloc(spk->carry_frames * ch, sizeof(int16_t))) != NULL;
    lkc_err_t err = ok ? lkc_dev_core_open(&spk->core, false, o.device, o.sample_rate, o.channels, frames)
                       : LKC_ERR_NO_MEMORY;
    spk->core.free_owner = free_owner;
    if (err != LKC_OK) {
        free_owner(&spk->core);
        return err;
    }
    spk->core.period = period;
    spk->core.report = report;
    *out = spk;
    return LKC_OK;
}

lkc_err_t lkc_loudspeaker_add_stream(lkc_loudspeaker_t *spk, lkc_audio_stream_t *stream)
{
    if (!spk || !stream)
        return LKC_ERR_INVALID_ARG;
    lkc_err_t err = LKC_OK;
    pthread_mutex_lock(&spk->lock);
    for (size_t k = 0; k < spk->n_in; k++)
        if (spk->in[k].stream == stream)
            err = LKC_ERR_INVALID_ARG;
    if (err == LKC_OK && spk->n_in == MAX_STREAMS)
        err = LKC_ERR_NO_MEMORY;
    if (err == LKC_OK) {
        mix_input_t *m = &spk->in[spk->n_in++];
        m->stream = stream;
        m->ended = m->playing = false;
        m->n = 0;
    }
    pthread_mutex_unlock(&spk->lock);
    return err;
}

lkc_err_t lkc_loudspeaker_remove_stream(lkc_loudspeaker_t *spk, lkc_audio_stream_t *stream)
{
    if (!spk || !stream)
        return LKC_ERR_INVALID_ARG;
    lkc_err_t err = LKC_ERR_NOT_FOUND;
    pthread_mutex_lock(&spk->lock);
    for (size_t k = 0; k < spk->n_in; k++) {
        if (spk->in[k].stream != stream)
            continue;
        /* swap with the last, carry buffers included (each slot owns one) */
        mix_input_t gone = spk->in[k];
        spk->in[k] = spk->in[spk->n_in - 1];
        spk->in[--spk->n_in] = gone;
        err = LKC_OK;
        break;
    }
    pthread_mutex_unlock(&spk->lock);
    return err;
}

lkc_err_t lkc_loudspeaker_start(lkc_loudspeaker_t *spk)
{
    if (!spk)
        return LKC_ERR_INVALID_ARG;
    if (!lkc_loudspeaker_is_running(spk))
        spk->primed = false; /* the thread is not running: only this thread touches it */
    return lkc_dev_core_start(&spk->core);
}

void lkc_loudspeaker_stop(lkc_loudspeaker_t *spk)
{
    if (spk)
        lkc_dev_core_stop(&spk->core);
}

bool lkc_loudspeaker_is_running(lkc_loudspeaker_t *spk)
{
    return spk && atomic_load(&spk->core.running);
}

double lkc_loudspeaker_level_dbfs(lkc_loudspeaker_t *spk)
{
    return spk ? lkc_dev_core_level(&spk->core) : -120;
}

lkc_err_t lkc_loudspeaker_get_name(lkc_loudspeaker_t *spk, char *buf, size_t len)
{
    if (!spk || !buf || !len)
        return LKC_ERR_INVALID_ARG;
    snprintf(buf, len, "%s", spk->core.name);
    return LKC_OK;
}

void lkc_loudspeaker_destroy(lkc_loudspeaker_t *spk)
{
    if (spk)
        lkc_dev_core_destroy(&spk->core);
}
