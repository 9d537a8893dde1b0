/* What a microphone and a speaker share: one PortAudio stream (blocking I/O), the
 * device thread with its bounded stop, the level meter and the error report.
 *
 * Ownership: the core is reference counted (the application's handle, and the device
 * thread while it runs), so a thread stuck in a dead sound device can be left behind
 * detached by stop/destroy without freeing memory it still uses: whoever drops the last
 * reference frees it. */
#ifndef LKC_DEVICES_DEVICE_CORE_H
#define LKC_DEVICES_DEVICE_CORE_H

#include <portaudio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/error.h"

typedef struct lkc_dev_core lkc_dev_core_t;

/* One period of the device thread: moves frames_per_period frames; returns LKC_OK, or
 * an error (the device failed: message filled) that ends the thread. */
typedef lkc_err_t (*lkc_dev_period_fn)(lkc_dev_core_t *core, char *message, size_t len);

struct lkc_dev_core {
    bool input;
    int rate, channels;
    size_t frames_per_period;
    char name[128];
    PaStreamParameters params;
    PaStream *pa;                 /* [lock] NULL after a failure until the next start */
    lkc_dev_period_fn period;
    void (*report)(lkc_dev_core_t *core, lkc_err_t err, const char *message); /* on_error */
    void (*free_owner)(lkc_dev_core_t *core);  /* frees the object holding the core */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* Held by the device thread while it uses what the application owns (the source,
     * the streams, the apm), never across a device call: once stop has taken it after
     * setting `stop`, the thread touches none of them again, even if it was stuck in the
     * device and wakes up after stop gave up on it. */
    pthread_mutex_t use_lock;
    bool thread_live;             /* [lock] a thread was created and not yet joined/detached */
    bool thread_exited;           /* [lock] it has left its loop */
    bool stuck;                   /* [lock] a thread was left behind in the device */
    pthread_t thread;
    atomic_bool stop;             /* asks the thread to leave */
    atomic_bool running;
    atomic_int refs;

    /* level meter: sum of squares over the current 100 ms, and the last result */
    double meter_sum;
    size_t meter_n;
    atomic_int level_mb;          /* dBFS x 100 */
};

/* Fills the core and opens the PortAudio stream for `device` (see lkc_pa_find). The
 * caller then sets period/report/free_owner. */
lkc_err_t lkc_dev_core_open(lkc_dev_core_t *core, bool input, const char *device, int rate, int channels,
                            size_t frames_per_period);

/* Starts the stream and the thread. */
lkc_err_t lkc_dev_core_start(lkc_dev_core_t *core);

/* Stops the thread (bounded wait; a stuck thread is detached and keeps a reference). */
void lkc_dev_core_stop(lkc_dev_core_t *core);

/* Stops and drops the application's reference (frees when it is the last). */
void lkc_dev_core_destroy(lkc_dev_core_t *core);

/* Device thread: true with use_lock held when it may use the application's objects
 * (then lkc_dev_core_use_end); false when stopping (nothing held). */
bool lkc_dev_core_use_begin(lkc_dev_core_t *core);
void lkc_dev_core_use_end(lkc_dev_core_t *core);

/* Adds interleaved PCM to the meter (device thread). */
void lkc_dev_core_meter(lkc_dev_core_t *core, const int16_t *pcm, size_t frames);

double lkc_dev_core_level(lkc_dev_core_t *core);

#endif
