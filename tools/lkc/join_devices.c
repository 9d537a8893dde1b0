/* The devices of `lkc join`: --mic publishes a microphone (through the audio processing
 * unless --no-aec/--no-ns/--no-agc), --speaker plays every remote audio track. One thread
 * of ours does the room side: it publishes the microphone once the room is connected,
 * keeps one stream per subscribed remote audio track in the speaker's mix (polling the
 * room's participants: the room handlers are join_events.c's, and streams may not be
 * made from a handler anyway), shows the input level, and restarts a device that failed
 * (a sound server that comes back) every 2 s. */
#include "join_devices.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "output.h"
#include "view.h"

#ifndef LKC_HAVE_DEVICES

int join_devices_start(join_session_t *s)
{
    if (s->o->mic || s->o->speaker)
        return cli_error("this lkc was built without sound devices: --mic and --speaker need "
                         "cmake -DLKC_DEVICES=ON (portaudio19-dev)");
    return 0;
}

void join_devices_stop(void)
{
}

#else
#include "lkc/devices.h"

#define RATE 48000
#define TICK_MS 100
#define SYNC_MS 250
#define LEVEL_MS 1000
#define RETRY_MS 2000
#define MAX_PLAYED 32

typedef struct played {
    char sid[64];
    lkc_audio_stream_t *stream;
} played_t;

static struct {
    join_session_t *s;
    lkc_apm_t *apm;
    lkc_audio_source_t *src;
    lkc_microphone_t *mic;
    lkc_loudspeaker_t *spk;
    lkc_track_t *track;
    char mic_name[128], spk_name[128];
    pthread_t thread;
    bool thread_live;
    atomic_bool stop;
    atomic_bool mic_failed, spk_failed; /* set by the device threads' on_error */
    played_t played[MAX_PLAYED];        /* the manager thread's only */
    size_t n_played;
} d;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void device_event(const char *ev, const char *kind, const char *name, const char *message)
{
    out_begin(ev);
    out_str("device", kind);
    out_str("name", name);
    if (message)
        out_str("message", message);
    out_end();
    char line[300];
    snprintf(line, sizeof line, "%s %s \"%s\"%s%s", kind, ev, name, message ? ": " : "", message ? message : "");
    view_log(line);
}

/* Device threads: report once (an "error" event) and let the manager restart it. */
static void on_mic_error(lkc_microphone_t *mic, lkc_err_t err, const char *message, void *user)
{
    cli_event_error(err, "%s", message);
    device_event("device_stopped", "microphone", d.mic_name, message);
    atomic_store(&d.mic_failed, true);
}

static void on_spk_error(lkc_loudspeaker_t *spk, lkc_err_t err, const char *message, void *user)
{
    cli_event_error(err, "%s", message);
    device_event("device_stopped", "speaker", d.spk_name, message);
    atomic_store(&d.spk_failed, true);
}

/* --- the speaker's streams ------------------------------------------------------------ */

static bool wanted(const lkc_participant_list_t *list, const char *sid)
{
    for (size_t i = 0; list && i < list->n; i++)
        for (size_t k = 0; k < list->items[i].n_tracks; k++) {
            const lkc_track_info_t *t = &list->items[i].tracks[k];
            if (t->kind == LKC_TRACK_AUDIO && t->subscribed && strcmp(t->sid, sid) == 0)
                return true;
        }
    return false;
}

static void drop_played(size_t i)
{
    lkc_loudspeaker_remove_stream(d.spk, d.played[i].stream);
    lkc_audio_stream_destroy(d.played[i].stream);
    d.played[i] = d.played[--d.n_played];
}

static bool is_played(const char *sid)
{
    for (size_t i = 0; i < d.n_played; i++)
        if (strcmp(d.played[i].sid, sid) == 0)
            return true;
    return false;
}

static void sync_speaker(void)
{
    lkc_participant_list_t *list = NULL;
    if (lkc_room_get_participants(d.s->room, &list) != LKC_OK)
        return;
    for (size_t i = 0; i < d.n_played;) { /* ended, or no longer subscribed */
        lkc_audio_stream_stats_t st;
        bool ended = lkc_audio_stream_get_stats(d.played[i].stream, &st) != LKC_OK || st.ended;
        if (ended || !wanted(list, d.played[i].sid))
            drop_played(i);
        else
            i++;
    }
    for (size_t i = 0; i < list->n; i++)
        for (size_t k = 0; k < list->items[i].n_tracks && d.n_played < MAX_PLAYED; k++) {
            const lkc_track_info_t *t = &list->items[i].tracks[k];
            if (t->kind != LKC_TRACK_AUDIO || !t->subscribed || is_played(t->sid))
                continue;
            lkc_audio_stream_options_t so;
            lkc_audio_stream_options_init(&so);
            so.sample_rate = RATE;
            so.channels = 1;
            so.capacity_ms = 300;
            lkc_audio_stream_t *stream = NULL;
            if (lkc_audio_stream_create(d.s->room, t->sid, &so, &stream) != LKC_OK)
                continue; /* e.g. unpublished meanwhile: the next round sees */
            if (lkc_loudspeaker_add_stream(d.spk, stream) != LKC_OK) {
                lkc_audio_stream_destroy(stream);
                continue;
            }
            played_t *p = &d.played[d.n_played++];
            snprintf(p->sid, sizeof p->sid, "%s", t->sid);
            p->stream = stream;
            out_begin("speaker_playing");
            out_str("participant", list->items[i].identity);
            out_str("track_sid", t->sid);
            out_end();
        }
    lkc_participant_list_free(list);
}

/* --- the manager thread --------------------------------------------------------------- */

static void publish_mic(void)
{
    lkc_audio_publish_options_t po;
    lkc_audio_publish_options_init(&po, d.src);
    po.name = "microphone";
    po.source = LKC_SOURCE_MICROPHONE;
    po.dtx = d.s->o->dtx;
    lkc_err_t err = lkc_room_publish_audio(d.s->room, d.src, &po, &d.track);
    if (err != LKC_OK) {
        cli_event_error(err, "cannot publish the microphone: %s", lkc_err_str(err));
        return;
    }
    char sid[64] = "";
    lkc_track_get_sid(d.track, sid, sizeof sid);
    out_begin("published");
    out_str("track_sid", sid);
    out_str("source", "microphone");
    out_str("device", d.mic_name);
    out_end();
    char text[300];
    snprintf(text, sizeof text, "microphone \"%s\" (%s)", d.mic_name, sid);
    view_local(text);
}

static void report_level(void)
{
    double level = lkc_microphone_level_dbfs(d.mic);
    out_begin("input_level");
    out_double("dbfs", round((level < -100 ? -100 : level) * 10) / 10);
    if (d.apm) {
        lkc_apm_stats_t st;
        if (lkc_apm_get_stats(d.apm, &st) == LKC_OK) {
            out_double("erle_db", round(st.erle_db * 10) / 10);
            out_int("delay_ms", st.delay_ms);
            out_int("realigns", (int64_t)st.realigns);
        }
    }
    out_end();
}

static void retry(const char *kind)
{
    bool mic = strcmp(kind, "microphone") == 0;
    lkc_err_t err = mic ? lkc_microphone_start(d.mic) : lkc_loudspeaker_start(d.spk);
    if (err != LKC_OK)
        return; /* still gone: said once already */
    atomic_store(mic ? &d.mic_failed : &d.spk_failed, false);
    device_event("device_restarted", kind, mic ? d.mic_name : d.spk_name, NULL);
}

static void *run(void *arg)
{
    while (!atomic_load(&d.stop) && lkc_room_wait_connected(d.s->room, 200) != LKC_OK) {
        if (lkc_room_state(d.s->room) == LKC_STATE_DISCONNECTED && lkc_room_failure_reason(d.s->room) != LKC_FAILURE_NONE)
            return NULL;
    }
    if (d.mic && !atomic_load(&d.stop))
        publish_mic();
    int64_t next_sync = 0, next_level = now_ms() + LEVEL_MS, next_retry = 0;
    while (!atomic_load(&d.stop)) {
        int64_t now = now_ms();
        if (d.spk && now >= next_sync) {
            sync_speaker();
            next_sync = now + SYNC_MS;
        }
        if (d.mic) {
            view_input_level(lkc_microphone_level_dbfs(d.mic));
            if (now >= next_level) {
                report_level();
                next_level += LEVEL_MS;
            }
        }
        if (now >= next_retry) {
            if (d.mic && atomic_load(&d.mic_failed))
                retry("microphone");
            if (d.spk && atomic_load(&d.spk_failed))
                retry("speaker");
            next_retry = now + RETRY_MS;
        }
        struct timespec slice = {0, TICK_MS * 1000000L};
        nanosleep(&slice, NULL);
    }
    return NULL;
}

/* --- start and stop ------------------------------------------------------------------- */

static int open_devices(const join_opts_t *o)
{
    lkc_err_t err = LKC_OK;
    if (o->mic && (!o->no_ns || !o->no_agc || (o->speaker && !o->no_aec))) {
        lkc_apm_options_t ao;
        lkc_apm_options_init(&ao);
        ao.sample_rate = RATE;
        ao.channels = 1;
        /* the far end is what our own speaker plays: without it there is no echo to cancel */
        ao.echo_cancellation = o->speaker && !o->no_aec;
        ao.noise_suppression = !o->no_ns;
        ao.auto_gain = !o->no_agc;
        if ((err = lkc_apm_create(&ao, &d.apm)) != LKC_OK)
            return cli_error("cannot create the audio processing: %s", lkc_err_str(err));
    }
    if (o->mic) {
        if ((err = lkc_audio_source_create(RATE, 1, 0, &d.src)) != LKC_OK)
            return cli_error("cannot create the microphone's source: %s", lkc_err_str(err));
        lkc_microphone_options_t mo;
        lkc_microphone_options_init(&mo);
        mo.device = o->mic_name;
        mo.sample_rate = RATE;
        mo.apm = d.apm;
        mo.on_error = on_mic_error;
        err = lkc_microphone_open(&mo, d.src, &d.mic);
        if (err != LKC_OK)
            return cli_error("cannot open the microphone%s%s%s: %s%s", o->mic_name ? " \"" : "",
                             o->mic_name ? o->mic_name : "", o->mic_name ? "\"" : "", lkc_err_str(err),
                             err == LKC_ERR_NOT_FOUND ? " (see `lkc devices`)" : "");
        lkc_microphone_get_name(d.mic, d.mic_name, sizeof d.mic_name);
    }
    if (o->speaker) {
        lkc_loudspeaker_options_t so;
        lkc_loudspeaker_options_init(&so);
        so.device = o->speaker_name;
        so.sample_rate = RATE;
        so.apm = o->mic && !o->no_aec ? d.apm : NULL;
        so.on_error = on_spk_error;
        err = lkc_loudspeaker_open(&so, &d.spk);
        if (err != LKC_OK)
            return cli_error("cannot open the speaker%s%s%s: %s%s", o->speaker_name ? " \"" : "",
                             o->speaker_name ? o->speaker_name : "", o->speaker_name ? "\"" : "",
                             lkc_err_str(err), err == LKC_ERR_NOT_FOUND ? " (see `lkc devices`)" : "");
        lkc_loudspeaker_get_name(d.spk, d.spk_name, sizeof d.spk_name);
    }
    /* the speaker first: the echo canceller's far end is then flowing when the first
     * microphone period comes */
    if (d.spk && (err = lkc_loudspeaker_start(d.spk)) != LKC_OK)
        return cli_error("cannot start the speaker \"%s\": %s", d.spk_name, lkc_err_str(err));
    if (d.mic && (err = lkc_microphone_start(d.mic)) != LKC_OK)
        return cli_error("cannot start the microphone \"%s\": %s", d.mic_name, lkc_err_str(err));
    return 0;
}

int join_devices_start(join_session_t *s)
{
    const join_opts_t *o = s->o;
    if (!o->mic && !o->speaker)
        return 0;
    d.s = s;
    if (open_devices(o) != 0) {
        join_devices_stop();
        return 1;
    }
    out_begin("devices");
    if (d.mic)
        out_str("microphone", d.mic_name);
    if (d.spk)
        out_str("speaker", d.spk_name);
    out_bool("aec", d.apm && d.spk && !o->no_aec);
    out_bool("ns", d.apm && !o->no_ns);
    out_bool("agc", d.apm && !o->no_agc);
    out_end();
    if (pthread_create(&d.thread, NULL, run, NULL) != 0) {
        join_devices_stop();
        return cli_error("cannot start a thread");
    }
    d.thread_live = true;
    return 0;
}

void join_devices_stop(void)
{
    atomic_store(&d.stop, true);
    if (d.thread_live)
        pthread_join(d.thread, NULL);
    d.thread_live = false;
    /* devices first: they use the source, the streams and the apm */
    lkc_microphone_destroy(d.mic);
    lkc_loudspeaker_destroy(d.spk);
    d.mic = NULL;
    d.spk = NULL;
    for (size_t i = 0; i < d.n_played; i++)
        lkc_audio_stream_destroy(d.played[i].stream);
    d.n_played = 0;
    lkc_track_release(d.track);
    d.track = NULL;
    lkc_audio_source_destroy(d.src);
    d.src = NULL;
    lkc_apm_destroy(d.apm);
    d.apm = NULL;
}
#endif
