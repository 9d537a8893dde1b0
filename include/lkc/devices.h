/* lkc: sound devices. Lists the machine's inputs and outputs, feeds a microphone into an
 * lkc_audio_source_t and plays lkc_audio_stream_t(s) on a speaker, optionally through an
 * lkc_apm_t (echo cancellation wants to hear exactly what the speaker plays).
 *
 * An optional part: these functions live in liblkc_devices (link it next to liblkc), so
 * liblkc itself never depends on a sound system. The engine is PortAudio (ALSA, and
 * PulseAudio/PipeWire through ALSA's "pulse" and "default" devices).
 *
 * Threads: each microphone and each speaker runs one thread of its own while started
 * (10 ms device periods). Callbacks (on_error) run on that thread; they must not call
 * stop/destroy of the same device (set a flag and do it from another thread).
 * Everything else may be called from any application thread.
 *
 * Devices that disappear: when the device or the sound server goes away (unplugged,
 * the server restarts or is killed), the device thread reports it once through on_error
 * (LKC_ERR_IO) and stops by itself; the device is then stopped (lkc_*_is_running() is
 * false) and may be started again or destroyed. The room, the source and the streams
 * are not touched.
 *
 * Lifetimes and R9: stop and destroy may be called while the device thread is blocked in
 * the sound device (a sound server that hangs): they ask it to leave, wait a bounded time
 * (1 s) for it, and never hang on a dead device. A thread still stuck in the sound system
 * after that is left behind detached, holding only its own memory; from the moment stop
 * or destroy returns it never touches the source, the streams or the apm again (it
 * checks under a lock when it wakes), so they may be destroyed at once. Start refuses
 * (LKC_ERR_STATE) while such a thread is still stuck. Functions waiting on other threads do
 * not exist here: nothing returns LKC_ERR_CLOSED except calls made on a destroyed
 * source/stream by the application itself. The source and streams given to a device
 * must outlive it (or be removed from it) and the apm must outlive both devices.
 */
#ifndef LKC_DEVICES_H
#define LKC_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/apm.h"
#include "lkc/audio.h"
#include "lkc/error.h"
#include "lkc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- listing ---------------------------------------------------------------------- */

typedef struct lkc_device_info {
    char name[128];           /**< the device's name, e.g. "pulse" or "HDA Intel PCH: ALC257 Analog (hw:0,0)" */
    char id[16];              /**< a short stable id for this listing ("3"); names are what users type */
    char host_api[32];        /**< "ALSA", "JACK", ... */
    int input_channels;       /**< 0 for an output only device */
    int output_channels;      /**< 0 for an input only device */
    int default_rate;         /**< the device's preferred rate in Hz */
    bool is_default_input;
    bool is_default_output;
} lkc_device_info_t;

typedef struct lkc_device_list {
    size_t n;
    lkc_device_info_t *items;
} lkc_device_list_t;

/** Lists every input and output device. `*out` is the caller's (lkc_device_list_free).
 *  LKC_ERR_UNSUPPORTED when the sound system cannot be initialised (no ALSA at all);
 *  an empty list is LKC_OK. Any thread; takes up to a few hundred ms (the sound system
 *  probes its devices). */
LKC_API lkc_err_t lkc_devices_list(lkc_device_list_t **out);
LKC_API void lkc_device_list_free(lkc_device_list_t *list);

/* --- microphone: a capture thread feeding an AudioSource ------------------------------ */

typedef struct lkc_microphone lkc_microphone_t;

typedef struct lkc_microphone_options {
    uint32_t struct_size;    /**< set by lkc_microphone_options_init(); 0 is refused */
    /** NULL or "": the default input. Else a device name (exact, or else the first
     *  input whose name contains it) or an id from lkc_devices_list(). */
    const char *device;
    int sample_rate;         /**< Hz, 8000..48000; default 48000 (must be the source's rate) */
    int channels;            /**< 1 or 2; default 1 (must be the source's channel count) */
    /** Optional: capture goes through lkc_apm_process_capture() before the source (the
     *  apm's rate and channels must match). The speaker should feed the same apm. */
    lkc_apm_t *apm;
    /** Called once on the device thread when the device fails or disappears (then the
     *  microphone stops by itself). Optional. */
    void (*on_error)(lkc_microphone_t *mic, lkc_err_t err, const char *message, void *user);
    void *user;
} lkc_microphone_options_t;

/** Fills the defaults (default device, 48 kHz mono, no apm). Any thread. */
LKC_API void lkc_microphone_options_init(lkc_microphone_options_t *o);

/** Opens the input device for `src` (not started: lkc_microphone_start). The source
 *  should be real time (queue_ms 0): the microphone pushes 10 ms frames with
 *  timeout 0. LKC_ERR_NOT_FOUND when no input matches `device`; LKC_ERR_INVALID_ARG for
 *  bad options; LKC_ERR_IO when the device refuses the format; LKC_ERR_UNSUPPORTED when
 *  there is no sound system. `*out` is the caller's until lkc_microphone_destroy(). Any
 *  thread. */
LKC_API lkc_err_t lkc_microphone_open(const lkc_microphone_options_t *opts, lkc_audio_source_t *src,
                                      lkc_microphone_t **out);

/** Starts capturing (the thread). LKC_OK when already running. LKC_ERR_IO when the
 *  device cannot start (e.g. it disappeared since). Any thread. */
LKC_API lkc_err_t lkc_microphone_start(lkc_microphone_t *mic);

/** Stops capturing and joins the thread (bounded: see R9 above). Any thread except
 *  the microphone's own callbacks. */
LKC_API void lkc_microphone_stop(lkc_microphone_t *mic);

/** Whether the capture thread is running (false after a device error). Any thread. */
LKC_API bool lkc_microphone_is_running(lkc_microphone_t *mic);

/** The RMS level of the last 100 ms captured (after the apm), in dBFS; -120 when
 *  silent or stopped. Any thread. */
LKC_API double lkc_microphone_level_dbfs(lkc_microphone_t *mic);

/** Copies the device's name into `buf`. Any thread. */
LKC_API lkc_err_t lkc_microphone_get_name(lkc_microphone_t *mic, char *buf, size_t len);

/** Stops (as lkc_microphone_stop) and frees. The source is not touched. NULL is
 *  ignored. Any thread except the microphone's own callbacks. */
LKC_API void lkc_microphone_destroy(lkc_microphone_t *mic);

/* --- loudspeaker: a playback thread mixing AudioStreams (lkc_speaker_t is the room's
 * active speaker, hence the longer name) ---------------------------------- */

typedef struct lkc_loudspeaker lkc_loudspeaker_t;

typedef struct lkc_loudspeaker_options {
    uint32_t struct_size;    /**< set by lkc_loudspeaker_options_init(); 0 is refused */
    const char *device;      /**< as lkc_microphone_options_t.device, among outputs */
    int sample_rate;         /**< Hz, 8000..48000; default 48000 */
    int channels;            /**< 1 or 2; default 1 */
    /** Optional: what the speaker plays (the mix, after clipping) goes to
     *  lkc_apm_process_render(). The apm's render format must be this one. */
    lkc_apm_t *apm;
    /** Called once on the device thread when the device fails or disappears (then the
     *  speaker stops by itself). Optional. */
    void (*on_error)(lkc_loudspeaker_t *spk, lkc_err_t err, const char *message, void *user);
    void *user;
} lkc_loudspeaker_options_t;

/** Fills the defaults (default device, 48 kHz mono, no apm). Any thread. */
LKC_API void lkc_loudspeaker_options_init(lkc_loudspeaker_options_t *o);

/** Opens the output device (not started). Errors as lkc_microphone_open(). `*out` is
 *  the caller's until lkc_loudspeaker_destroy(). Any thread. */
LKC_API lkc_err_t lkc_loudspeaker_open(const lkc_loudspeaker_options_t *opts, lkc_loudspeaker_t **out);

/** Adds a pull stream to the mix. It must have been created with this speaker's
 *  sample_rate and channels (lkc_audio_stream_options_t). The playback thread reads it
 *  without waiting; a stream that ends (LKC_EOS) plays silence until it is removed.
 *  LKC_ERR_NO_MEMORY beyond 32 streams; LKC_ERR_INVALID_ARG when already added. Any
 *  thread. */
LKC_API lkc_err_t lkc_loudspeaker_add_stream(lkc_loudspeaker_t *spk, lkc_audio_stream_t *stream);

/** Removes a stream from the mix; when it returns the playback thread no longer uses
 *  it (the caller may destroy it). LKC_ERR_NOT_FOUND when it was not added. Any thread
 *  except the speaker's own callbacks. */
LKC_API lkc_err_t lkc_loudspeaker_remove_stream(lkc_loudspeaker_t *spk, lkc_audio_stream_t *stream);

/** Starts playing (the thread). LKC_OK when already running. LKC_ERR_IO when the
 *  device cannot start. Any thread. */
LKC_API lkc_err_t lkc_loudspeaker_start(lkc_loudspeaker_t *spk);

/** Stops playing and joins the thread (bounded: see R9 above). Any thread except the
 *  speaker's own callbacks. */
LKC_API void lkc_loudspeaker_stop(lkc_loudspeaker_t *spk);

/** Whether the playback thread is running (false after a device error). Any thread. */
LKC_API bool lkc_loudspeaker_is_running(lkc_loudspeaker_t *spk);

/** The RMS level of the last 100 ms played, in dBFS (-120: silence). Any thread. */
LKC_API double lkc_loudspeaker_level_dbfs(lkc_loudspeaker_t *spk);

/** Copies the device's name into `buf`. Any thread. */
LKC_API lkc_err_t lkc_loudspeaker_get_name(lkc_loudspeaker_t *spk, char *buf, size_t len);

/** Stops (as lkc_loudspeaker_stop) and frees. The streams are not touched (they are the
 *  caller's). NULL is ignored. Any thread except the speaker's own callbacks. */
LKC_API void lkc_loudspeaker_destroy(lkc_loudspeaker_t *spk);

#ifdef __cplusplus
}
#endif
#endif
