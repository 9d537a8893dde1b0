/* The PortAudio host, shared by the device list, microphones and speakers: a
 * process-wide Pa_Initialize() and the calls PortAudio does not
 * make thread-safe (open, close, device queries) under one lock. */
#ifndef LKC_DEVICES_PA_HOST_H
#define LKC_DEVICES_PA_HOST_H

#include <portaudio.h>
#include <stdbool.h>

#include "lkc/error.h"

/* Makes sure PortAudio is initialised (once per process: see pa_host.c why it is never
 * terminated). LKC_ERR_UNSUPPORTED when PortAudio cannot start (no sound system). */
lkc_err_t lkc_pa_acquire(void);
/* Pairs with lkc_pa_acquire (kept so that a future re-scan can count users). */
void lkc_pa_release(void);

/* The host lock (held by the caller around Pa_OpenStream, Pa_CloseStream and device
 * queries: PortAudio's own tables are not protected). */
void lkc_pa_lock(void);
void lkc_pa_unlock(void);

/* Finds a device for `want` (NULL or "": the default input/output; an id "N"; an exact
 * name; else the first whose name contains it). Host lock held, PortAudio acquired.
 * paNoDevice when none matches. */
PaDeviceIndex lkc_pa_find(const char *want, bool input);

/* An lkc error for a PortAudio error (LKC_ERR_IO for device and host failures). */
lkc_err_t lkc_pa_err(PaError e);

#endif
