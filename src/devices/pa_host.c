/* The PortAudio host: one process-wide initialisation, counted, under one lock. */
#include "pa_host.h"

#include <alsa/asoundlib.h>
#include <jack/jack.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static bool host_up; /* [host_lock] */

/* PortAudio stays initialised for the life of the process once used: Pa_Terminate()
 * makes ALSA unload its plugins (pulse, the config hooks), which loses about 12 KB of
 * theirs each time (LeakSanitizer reports it), and a sound server's devices come and go
 * behind ALSA's "pulse"/"default" anyway. The cost: a raw ALSA card plugged in later is
 * listed by a new process only. */
static void alsa_silent(const char *file, int line, const char *function, int err, const char *fmt, ...)
{
}

static void jack_silent(const char *msg)
{
}

/* Pa_Initialize probes every ALSA device and JACK: on a machine without a card or a JACK
 * server that prints dozens of lines of errors that mean nothing to the user. They are
 * silenced for the probe only (both handlers are process-wide: the previous ones come
 * back right after), unless LKC_DEVICES_VERBOSE is set. */
static PaError initialise_quietly(void)
{
    const char *verbose = getenv("LKC_DEVICES_VERBOSE");
    if (verbose && *verbose)
        return Pa_Initialize();
    void (*jack_err)(const char *) = jack_error_callback, (*jack_inf)(const char *) = jack_info_callback;
    jack_set_error_function(jack_silent);
    jack_set_info_function(jack_silent);
    snd_lib_error_set_handler(alsa_silent);
    PaError e = Pa_Initialize();
    snd_lib_error_set_handler(NULL);
    jack_set_error_function(jack_err);
    jack_set_info_function(jack_inf);
    return e;
}

lkc_err_t lkc_pa_acquire(void)
{
    lkc_err_t err = LKC_OK;
    pthread_mutex_lock(&host_lock);
    if (!host_up) {
        if (initialise_quietly() == paNoError)
            host_up = true;
        else
            err = LKC_ERR_UNSUPPORTED;
    }
    pthread_mutex_unlock(&host_lock);
    return err;
}

void lkc_pa_release(void)
{
}

void lkc_pa_lock(void)
{
    pthread_mutex_lock(&host_lock);
}

void lkc_pa_unlock(void)
{
    pthread_mutex_unlock(&host_lock);
}

static bool usable(const PaDeviceInfo *d, bool input)
{
    return d && (input ? d->maxInputChannels : d->maxOutputChannels) > 0;
}

PaDeviceIndex lkc_pa_find(const char *want, bool input)
{
    if (!want || !*want) {
        PaDeviceIndex i = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
        return usable(Pa_GetDeviceInfo(i), input) ? i : paNoDevice;
    }
    int n = Pa_GetDeviceCount();
    char *end = NULL;
    long id = strtol(want, &end, 10);
    if (end != want && *end == '\0' && id >= 0 && id < n && usable(Pa_GetDeviceInfo((PaDeviceIndex)id), input))
        return (PaDeviceIndex)id;
    for (int i = 0; i < n; i++) { /* exact names first: "pulse" must not pick "pulse_monitor" */
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        if (usable(d, input) && strcmp(d->name, want) == 0)
            return i;
    }
    for (int i = 0; i < n; i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        if (usable(d, input) && strstr(d->name, want))
            return i;
    }
    return paNoDevice;
}

lkc_err_t lkc_pa_err(PaError e)
{
    switch (e) {
    case paNoError: return LKC_OK;
    case paInsufficientMemory: return LKC_ERR_NO_MEMORY;
    case paInvalidChannelCount:
    case paInvalidSampleRate:
    case paSampleFormatNotSupported:
    case paBadIODeviceCombination: return LKC_ERR_IO;
    case paNotInitialized: return LKC_ERR_UNSUPPORTED;
    default: return LKC_ERR_IO;
    }
}
