#include "listen.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#define CHUNK (CLI_LISTEN_RATE / 50)  /* read 20 ms at a time */
#define READ_TIMEOUT_MS 200
#define REPORT_MS 1000

struct cli_listener {
    cli_listen_opts_t o;
    char *participant, *track_sid;
    pthread_t thread;
    atomic_bool stop, done;
    pthread_mutex_t lock;
    lkc_audio_stream_t *stream;   /* [lock] while live */
    int16_t window[CLI_LISTEN_RATE]; /* the audio of the current second */
    size_t n_window;
    int64_t mix_cursor;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report(cli_listener_t *l)
{
    if (l->o.on_report) {
        double hz = 0, level = lkc_pcm_level_dbfs(l->window, l->n_window, 1, 0);
        if (level < -70 || lkc_pcm_dominant_hz(l->window, l->n_window, 1, 0, CLI_LISTEN_RATE, &hz) != LKC_OK)
            hz = 0; /* silence */
        l->o.on_report(l->o.user, l->participant, l->track_sid, level < -100 ? -100 : level, hz);
    }
    l->n_window = 0;
}

static void *run(void *arg)
{
    cli_listener_t *l = arg;
    lkc_audio_stream_options_t so;
    lkc_audio_stream_options_init(&so);
    so.sample_rate = CLI_LISTEN_RATE;
    so.channels = 1;
    lkc_audio_stream_t *stream = NULL;
    lkc_err_t err = lkc_audio_stream_create(l->o.room, l->track_sid, &so, &stream);
    /* Tracks already in the room at join are announced before the room reports
     * CONNECTED, and streams can only be made once it is: wait for that, then retry. */
    if (err == LKC_ERR_STATE && lkc_room_wait_connected(l->o.room, 15000) == LKC_OK && !atomic_load(&l->stop))
        err = lkc_audio_stream_create(l->o.room, l->track_sid, &so, &stream);
    if (err != LKC_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "cannot hear track %s of %s: %s%s", l->track_sid, l->participant,
                 lkc_err_str(err), err == LKC_ERR_UNSUPPORTED ? " (this build of lkc has no audio support)" : "");
        if (l->o.on_error && !atomic_load(&l->stop))
            l->o.on_error(l->o.user, err, msg);
        atomic_store(&l->done, true);
        return NULL;
    }
    pthread_mutex_lock(&l->lock);
    l->stream = stream;
    pthread_mutex_unlock(&l->lock);

    int16_t chunk[CHUNK];
    int64_t next_report = now_ms() + REPORT_MS;
    while (!atomic_load(&l->stop)) {
        int n = lkc_audio_stream_read(stream, chunk, CHUNK, READ_TIMEOUT_MS);
        if (n == LKC_EOS)
            break;
        if (n > 0) {
            size_t room = sizeof l->window / sizeof l->window[0] - l->n_window;
            size_t take = (size_t)n < room ? (size_t)n : room;
            memcpy(l->window + l->n_window, chunk, take * sizeof(int16_t));
            l->n_window += take;
            if (l->o.on_pcm)
                l->o.on_pcm(l->o.user, &l->mix_cursor, chunk, (size_t)n);
        } else if (n != LKC_ERR_TIMEOUT) {
            char msg[256];
            snprintf(msg, sizeof msg, "reading track %s of %s failed: %s", l->track_sid, l->participant,
                     lkc_err_str(n));
            if (l->o.on_error)
                l->o.on_error(l->o.user, (lkc_err_t)n, msg);
            break;
        }
        /* Wall-clock seconds, so a silent or stalled track still reports (as silence). */
        if (now_ms() >= next_report) {
            report(l);
            next_report += REPORT_MS;
        }
    }
    pthread_mutex_lock(&l->lock);
    l->stream = NULL;
    pthread_mutex_unlock(&l->lock);
    lkc_audio_stream_destroy(stream);
    atomic_store(&l->done, true);
    return NULL;
}

cli_listener_t *cli_listener_start(const cli_listen_opts_t *o)
{
    cli_listener_t *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->o = *o;
    l->participant = strdup(o->participant ? o->participant : "");
    l->track_sid = strdup(o->track_sid ? o->track_sid : "");
    l->mix_cursor = -1;
    pthread_mutex_init(&l->lock, NULL);
    if (!l->participant || !l->track_sid || pthread_create(&l->thread, NULL, run, l) != 0) {
        free(l->participant);
        free(l->track_sid);
        pthread_mutex_destroy(&l->lock);
        free(l);
        return NULL;
    }
    return l;
}

const char *cli_listener_track_sid(const cli_listener_t *l)
{
    return l->track_sid;
}

const char *cli_listener_participant(const cli_listener_t *l)
{
    return l->participant;
}

bool cli_listener_done(cli_listener_t *l)
{
    return atomic_load(&l->done);
}

lkc_err_t cli_listener_stats(cli_listener_t *l, lkc_audio_stream_stats_t *out)
{
    lkc_err_t err = LKC_ERR_STATE;
    pthread_mutex_lock(&l->lock);
    if (l->stream)
        err = lkc_audio_stream_get_stats(l->stream, out);
    pthread_mutex_unlock(&l->lock);
    return err;
}

void cli_listener_stop(cli_listener_t *l)
{
    if (!l)
        return;
    atomic_store(&l->stop, true);
    pthread_join(l->thread, NULL);
    free(l->participant);
    free(l->track_sid);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
