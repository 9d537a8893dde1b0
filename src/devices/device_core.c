/* The device thread shared by microphones and speakers (device_core.h). */
#include "device_core.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pa_host.h"

#define STOP_WAIT_MS 1000  /* how long stop waits for a thread blocked in the device */
#define METER_MS 100
#define SILENT_MB (-12000)

static lkc_err_t open_stream(lkc_dev_core_t *core)
{
    lkc_pa_lock();
    PaError e = Pa_OpenStream(&core->pa, core->input ? &core->params : NULL, core->input ? NULL : &core->params,
                              core->rate, (unsigned long)core->frames_per_period, paClipOff, NULL, NULL);
    lkc_pa_unlock();
    if (e != paNoError)
        core->pa = NULL;
    return lkc_pa_err(e);
}

static void close_stream(lkc_dev_core_t *core)
{
    if (!core->pa)
        return;
    lkc_pa_lock();
    Pa_CloseStream(core->pa);
    lkc_pa_unlock();
    core->pa = NULL;
}

static lkc_err_t find_and_open(lkc_dev_core_t *core, bool input, const char *device);

lkc_err_t lkc_dev_core_open(lkc_dev_core_t *core, bool input, const char *device, int rate, int channels,
                            size_t frames_per_period)
{
    core->input = input;
    core->rate = rate;
    core->channels = channels;
    core->frames_per_period = frames_per_period;
    atomic_init(&core->refs, 1);
    atomic_init(&core->level_mb, SILENT_MB);
    pthread_mutex_init(&core->lock, NULL);
    pthread_mutex_init(&core->use_lock, NULL);
    pthread_cond_init(&core->cond, NULL);
    lkc_err_t err = lkc_pa_acquire();
    if (err == LKC_OK)
        err = find_and_open(core, input, device);
    if (err != LKC_OK) {
        pthread_cond_destroy(&core->cond);
        pthread_mutex_destroy(&core->use_lock);
        pthread_mutex_destroy(&core->lock);
    }
    return err;
}

/* lkc_dev_core_open's second half: PortAudio is acquired (released here on failure). */
static lkc_err_t find_and_open(lkc_dev_core_t *core, bool input, const char *device)
{
    lkc_pa_lock();
    PaDeviceIndex idx = lkc_pa_find(device, input);
    const PaDeviceInfo *d = idx == paNoDevice ? NULL : Pa_GetDeviceInfo(idx);
    if (d) {
        snprintf(core->name, sizeof core->name, "%s", d->name);
        core->params.device = idx;
        core->params.channelCount = core->channels;
        core->params.sampleFormat = paInt16;
        /* low latency (20 ms: two periods) keeps the echo path short, and the sound
         * server's deliveries small: the canceller's alignment suffers from audio that
         * comes in bursts of 30 ms or more (measured: see cli.devices_aec) */
        double lat = input ? d->defaultLowInputLatency : d->defaultLowOutputLatency;
        core->params.suggestedLatency = lat > 0.02 ? lat : 0.02;
    }
    lkc_pa_unlock();
    if (!d) {
        lkc_pa_release();
        return LKC_ERR_NOT_FOUND;
    }
    lkc_err_t err = open_stream(core);
    if (err != LKC_OK)
        lkc_pa_release();
    return err;
}

static void unref(lkc_dev_core_t *core)
{
    if (atomic_fetch_sub(&core->refs, 1) != 1)
        return;
    close_stream(core);
    lkc_pa_release();
    pthread_cond_destroy(&core->cond);
    pthread_mutex_destroy(&core->use_lock);
    pthread_mutex_destroy(&core->lock);
    core->free_owner(core);
}

static void *run(void *arg)
{
    lkc_dev_core_t *core = arg;
    char msg[256] = "";
    lkc_err_t err = LKC_OK;
    while (!atomic_load(&core->stop) && (err = core->period(core, msg, sizeof msg)) == LKC_OK) {
    }
    /* Abort, not stop: a dead device has nothing to drain, and a live one is left at once. */
    Pa_AbortStream(core->pa);
    if (err != LKC_OK) {
        /* the stream is broken (the server went away): a later start opens a new one */
        close_stream(core);
    }
    atomic_store(&core->running, false);
    atomic_store(&core->level_mb, SILENT_MB);
    if (err != LKC_OK && !atomic_load(&core->stop) && core->report)
        core->report(core, err, msg);
    pthread_mutex_lock(&core->lock);
    core->thread_exited = true;
    pthread_cond_broadcast(&core->cond);
    pthread_mutex_unlock(&core->lock);
    unref(core);
    return NULL;
}

/* Joins a finished thread, or waits for it (bounded) when asked to stop. [lock] */
static void reap(lkc_dev_core_t *core, bool wait)
{
    if (!core->thread_live)
        return;
    if (wait) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += STOP_WAIT_MS / 1000;
        until.tv_nsec += (long)(STOP_WAIT_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!core->thread_exited && pthread_cond_timedwait(&core->cond, &core->lock, &until) != ETIMEDOUT) {
        }
    }
    if (core->thread_exited) {
        pthread_join(core->thread, NULL);
        core->thread_live = false;
    } else if (wait) {
        /* stuck in the sound system: it keeps its own reference and frees what is left */
        pthread_detach(core->thread);
        core->thread_live = false;
        core->stuck = true;
    }
}

lkc_err_t lkc_dev_core_start(lkc_dev_core_t *core)
{
    pthread_mutex_lock(&core->lock);
    reap(core, false);
    lkc_err_t err = LKC_OK;
    if (core->thread_live) { /* running */
        pthread_mutex_unlock(&core->lock);
        return LKC_OK;
    }
    if (core->stuck && !core->thread_exited)
        err = LKC_ERR_STATE; /* the last thread is still inside the dead device */
    else if (!core->pa)
        err = open_stream(core);
    if (err == LKC_OK && Pa_StartStream(core->pa) != paNoError) {
        close_stream(core); /* most likely the server went away: reopen next time */
        err = LKC_ERR_IO;
    }
    if (err == LKC_OK) {
        atomic_store(&core->stop, false);
        atomic_store(&core->running, true);
        core->thread_exited = false;
        core->stuck = false;
        atomic_fetch_add(&core->refs, 1);
        if (pthread_create(&core->thread, NULL, run, core) != 0) {
            atomic_fetch_sub(&core->refs, 1);
            atomic_store(&core->running, false);
            Pa_AbortStream(core->pa);
            err = LKC_ERR_NO_MEMORY;
        } else {
            core->thread_live = true;
        }
    }
    pthread_mutex_unlock(&core->lock);
    return err;
}

void lkc_dev_core_stop(lkc_dev_core_t *core)
{
    atomic_store(&core->stop, true);
    /* waits out a period using the application's objects; later ones see `stop` */
    pthread_mutex_lock(&core->use_lock);
    pthread_mutex_unlock(&core->use_lock);
    pthread_mutex_lock(&core->lock);
    reap(core, true);
    pthread_mutex_unlock(&core->lock);
}

void lkc_dev_core_destroy(lkc_dev_core_t *core)
{
    lkc_dev_core_stop(core);
    unref(core);
}

bool lkc_dev_core_use_begin(lkc_dev_core_t *core)
{
    pthread_mutex_lock(&core->use_lock);
    if (!atomic_load(&core->stop))
        return true;
    pthread_mutex_unlock(&core->use_lock);
    return false;
}

void lkc_dev_core_use_end(lkc_dev_core_t *core)
{
    pthread_mutex_unlock(&core->use_lock);
}

void lkc_dev_core_meter(lkc_dev_core_t *core, const int16_t *pcm, size_t frames)
{
    size_t n = frames * (size_t)core->channels;
    for (size_t i = 0; i < n; i++)
        core->meter_sum += (double)pcm[i] * pcm[i];
    core->meter_n += n;
    if (core->meter_n >= (size_t)(core->rate * core->channels * METER_MS / 1000)) {
        double ms = core->meter_sum / (double)core->meter_n / (32768.0 * 32768.0);
        double db = ms > 1e-12 ? 10 * log10(ms) : -120;
        atomic_store(&core->level_mb, (int)(db * 100));
        core->meter_sum = 0;
        core->meter_n = 0;
    }
}

double lkc_dev_core_level(lkc_dev_core_t *core)
{
    return atomic_load(&core->level_mb) / 100.0;
}
