/* A microphone: a device thread reading 10 ms periods, cleaning them through the apm
 * (when given) and pushing them into an AudioSource without waiting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device_core.h"
#include "lkc/devices.h"

struct lkc_microphone {
    lkc_dev_core_t core;           /* first: the core's callbacks cast back */
    lkc_microphone_options_t o;
    lkc_audio_source_t *src;
    int16_t *buf;                  /* one period, interleaved */
    bool caught_up;                /* the backlog of the start was read and dropped */
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A capture stream hands over what was recorded since it started, and a sound server
 * may hold more of it than PortAudio can see: read at the device's pace, that backlog
 * would stay in the path for good (latency for the call, and an echo delay that can
 * pass the 500 ms the canceller looks back). So after a start, periods that arrive
 * without waiting (already recorded) are dropped, until a read has to wait for the
 * device: from then on every period is fresh. At most 2 s are dropped. */
static PaError catch_up(lkc_microphone_t *mic)
{
    lkc_dev_core_t *core = &mic->core;
    unsigned long frames = (unsigned long)core->frames_per_period;
    int max_periods = 200 * (int)core->rate / (int)(frames * 100);
    PaError e = paNoError;
    for (int i = 0; i < max_periods && !atomic_load(&core->stop); i++) {
        int64_t t0 = now_us();
        e = Pa_ReadStream(core->pa, mic->buf, frames);
        if (e != paNoError && e != paInputOverflowed)
            return e;
        if (now_us() - t0 > 2000) /* waited for the device: this period is fresh */
            break;
    }
    mic->caught_up = true;
    return paNoError;
}

/* Audio waiting beyond this many periods is stale (the thread started late, or was held
 * up) and is dropped: every period of backlog is latency added to the conversation and
 * to the echo path the canceller must find (it looks at most 500 ms back). */
#define MAX_BACKLOG_PERIODS 4

static PaError drop_backlog(lkc_microphone_t *mic)
{
    lkc_dev_core_t *core = &mic->core;
    signed long avail = Pa_GetStreamReadAvailable(core->pa);
    unsigned long frames = (unsigned long)core->frames_per_period;
    if (avail < 0)
        return (PaError)avail;
    PaError e = paNoError;
    while (avail > (signed long)(MAX_BACKLOG_PERIODS * frames) && (e == paNoError || e == paInputOverflowed)) {
        e = Pa_ReadStream(core->pa, mic->buf, frames); /* there: does not wait */
        avail -= (signed long)frames;
    }
    return e;
}

static lkc_err_t period(lkc_dev_core_t *core, char *message, size_t len)
{
    lkc_microphone_t *mic = (lkc_microphone_t *)core;
    PaError e = mic->caught_up ? paNoError : catch_up(mic);
    if (e == paNoError)
        e = drop_backlog(mic);
    if (e == paNoError || e == paInputOverflowed)
        e = Pa_ReadStream(core->pa, mic->buf, (unsigned long)core->frames_per_period);
    /* an overflow lost some input (the thread was late): the period read is still good */
    if (e != paNoError && e != paInputOverflowed) {
        snprintf(message, len, "the microphone \"%s\" stopped: %s (was it unplugged, or did the sound server stop?)",
                 core->name, Pa_GetErrorText(e));
        return LKC_ERR_IO;
    }
    if (!lkc_dev_core_use_begin(core))
        return LKC_OK; /* stopping (perhaps long after a stuck read): the source may be gone */
    if (mic->o.apm)
        lkc_apm_process_capture(mic->o.apm, mic->buf, core->frames_per_period);
    lkc_dev_core_meter(core, mic->buf, core->frames_per_period);
    /* real time: never waits; audio behind the media clock is dropped and counted */
    lkc_audio_source_capture(mic->src, mic->buf, core->frames_per_period, 0);
    lkc_dev_core_use_end(core);
    return LKC_OK;
}

static void report(lkc_dev_core_t *core, lkc_err_t err, const char *message)
{
    lkc_microphone_t *mic = (lkc_microphone_t *)core;
    if (mic->o.on_error)
        mic->o.on_error(mic, err, message, mic->o.user);
}

static void free_owner(lkc_dev_core_t *core)
{
    lkc_microphone_t *mic = (lkc_microphone_t *)core;
    free(mic->buf);
    free(mic);
}

void lkc_microphone_options_init(lkc_microphone_options_t *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->sample_rate = 48000;
    o->channels = 1;
}

lkc_err_t lkc_microphone_open(const lkc_microphone_options_t *opts, lkc_audio_source_t *src,
                              lkc_microphone_t **out)
{
    if (!out || !src)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    lkc_microphone_options_t o;
    lkc_microphone_options_init(&o);
    if (opts) {
        if (opts->struct_size == 0)
            return LKC_ERR_INVALID_ARG;
        memcpy(&o, opts, opts->struct_size < sizeof o ? opts->struct_size : sizeof o);
    }
    if (o.sample_rate < 8000 || o.sample_rate > 48000 || o.sample_rate % 50 || o.channels < 1 || o.channels > 2)
        return LKC_ERR_INVALID_ARG;
    /* the apm's unit (10 ms, or 20 ms at rates like 22050) is the period */
    size_t frames = o.apm ? lkc_apm_frame_size(o.apm) : (size_t)(o.sample_rate % 100 ? o.sample_rate / 50
                                                                                      : o.sample_rate / 100);
    lkc_microphone_t *mic = calloc(1, sizeof *mic);
    if (!mic)
        return LKC_ERR_NO_MEMORY;
    mic->buf = calloc(frames * (size_t)o.channels, sizeof(int16_t));
    if (!mic->buf) {
        free(mic);
        return LKC_ERR_NO_MEMORY;
    }
    mic->o = o;
    mic->o.device = NULL; /* not kept: the caller's string */
    mic->src = src;
    lkc_err_t err = lkc_dev_core_open(&mic->core, true, o.device, o.sample_rate, o.channels, frames);
    if (err != LKC_OK) {
        free(mic->buf);
        free(mic);
        return err;
    }
    mic->core.period = period;
    mic->core.report = report;
    mic->core.free_owner = free_owner;
    *out = mic;
    return LKC_OK;
}

lkc_err_t lkc_microphone_start(lkc_microphone_t *mic)
{
    if (!mic)
        return LKC_ERR_INVALID_ARG;
    if (!lkc_microphone_is_running(mic))
        mic->caught_up = false; /* no thread runs: only this one touches it */
    return lkc_dev_core_start(&mic->core);
}

void lkc_microphone_stop(lkc_microphone_t *mic)
{
    if (mic)
        lkc_dev_core_stop(&mic->core);
}

bool lkc_microphone_is_running(lkc_microphone_t *mic)
{
    return mic && atomic_load(&mic->core.running);
}

double lkc_microphone_level_dbfs(lkc_microphone_t *mic)
{
    return mic ? lkc_dev_core_level(&mic->core) : -120;
}

lkc_err_t lkc_microphone_get_name(lkc_microphone_t *mic, char *buf, size_t len)
{
    if (!mic || !buf || !len)
        return LKC_ERR_INVALID_ARG;
    snprintf(buf, len, "%s", mic->core.name);
    return LKC_OK;
}

void lkc_microphone_destroy(lkc_microphone_t *mic)
{
    if (mic)
        lkc_dev_core_destroy(&mic->core);
}
