#include "publish.h"

#include <math.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resample.h"

#define TONE_RATE 48000
#define TONE_DBFS (-12.0)
#define QUEUE_MS 200          /* a little slack for the capture thread's scheduling */
#define CAPTURE_TIMEOUT_MS 100

struct cli_pub {
    cli_pub_opts_t o;
    char name[128];
    SNDFILE *sf;              /* NULL for the tone */
    int file_rate, file_channels;
    int rate, channels;       /* what the source takes */
    cli_resampler_t *rs;      /* NULL when the file's rate is accepted as is */
    lkc_audio_source_t *src;
    lkc_track_t *track;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
    pthread_mutex_t lock;
    char sid[64];             /* [lock] */
    double phase;             /* tone: radians */
};

static void fail(cli_pub_t *p, lkc_err_t err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(cli_pub_t *p, lkc_err_t err, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->o.on_error)
        p->o.on_error(p->o.user, err, msg);
}

/* Fills `pcm` with the next 20 ms of the tone. */
static size_t next_tone(cli_pub_t *p, int16_t *pcm)
{
    const double amp = 32767.0 * pow(10.0, TONE_DBFS / 20.0);
    const double inc = 2.0 * M_PI * p->o.tone_hz / TONE_RATE;
    size_t n = TONE_RATE / 50;
    for (size_t i = 0; i < n; i++) {
        pcm[i] = (int16_t)lrint(amp * sin(p->phase));
        p->phase += inc;
        if (p->phase > 2.0 * M_PI) /* keep the phase small so sin() stays exact */
            p->phase -= 2.0 * M_PI;
    }
    return n;
}

/* Reads about 20 ms of the file into `out` (source channels and rate). Returns the
 * frames written, 0 at the end of the file. `raw` holds file frames, `mixed` them
 * after the channel mix-down. */
static size_t next_file(cli_pub_t *p, int16_t *raw, int16_t *mixed, int16_t *out, size_t out_cap)
{
    for (;;) {
        size_t want = (size_t)(p->file_rate / 50 > 0 ? p->file_rate / 50 : 1);
        sf_count_t got = sf_readf_short(p->sf, raw, (sf_count_t)want);
        if (got <= 0)
            return 0;
        /* One or two channels go as they are; more are averaged to mono. */
        const int16_t *src = raw;
        if (p->file_channels > 2) {
            for (sf_count_t i = 0; i < got; i++) {
                long sum = 0;
                for (int c = 0; c < p->file_channels; c++)
                    sum += raw[i * p->file_channels + c];
                mixed[i] = (int16_t)(sum / p->file_channels);
            }
            src = mixed;
        }
        if (!p->rs) {
            memcpy(out, src, (size_t)got * (size_t)p->channels * sizeof(int16_t));
            return (size_t)got;
        }
        size_t n = cli_resampler_process(p->rs, src, (size_t)got, out, out_cap);
        if (n > 0)
            return n;
        /* the resampler is still filling its history: read more */
    }
}

/* Captures `n` frames, waiting out backpressure. false when told to stop or on error. */
static bool capture(cli_pub_t *p, const int16_t *pcm, size_t n)
{
    while (!atomic_load(&p->stop)) {
        lkc_err_t err = lkc_audio_source_capture(p->src, pcm, n, CAPTURE_TIMEOUT_MS);
        if (err == LKC_OK)
            return true;
        if (err != LKC_ERR_WOULD_BLOCK) {
            fail(p, err, "audio capture failed: %s", lkc_err_str(err));
            return false;
        }
    }
    return false;
}

static void *run(void *arg)
{
    cli_pub_t *p = arg;
    lkc_audio_publish_options_t po;
    lkc_audio_publish_options_init(&po, p->src);
    po.name = p->name;
    /* DTX off unless asked: Opus's voice detector takes a steady tone for background
     * noise and stops sending it after about a second (measured: 3 packets/s). */
    po.dtx = p->o.dtx;
    lkc_err_t err = lkc_room_publish_audio(p->o.room, p->src, &po, &p->track);
    if (err != LKC_OK) {
        fail(p, err, "cannot publish the audio track: %s", lkc_err_str(err));
        return NULL;
    }
    char sid[64] = "";
    lkc_track_get_sid(p->track, sid, sizeof sid);
    pthread_mutex_lock(&p->lock);
    snprintf(p->sid, sizeof p->sid, "%s", sid);
    pthread_mutex_unlock(&p->lock);
    if (p->o.on_published)
        p->o.on_published(p->o.user, sid);

    size_t file_frame = (size_t)(p->file_rate > 0 ? p->file_rate / 50 + 1 : 1);
    size_t out_cap = p->rs ? cli_resampler_max_out(p->rs, file_frame) : file_frame;
    if (out_cap < TONE_RATE / 50)
        out_cap = TONE_RATE / 50;
    int16_t *raw = malloc(file_frame * (size_t)(p->file_channels > 0 ? p->file_channels : 1) * sizeof(int16_t));
    int16_t *mixed = malloc(file_frame * sizeof(int16_t));
    int16_t *out = malloc(out_cap * 2 * sizeof(int16_t));
    if (!raw || !mixed || !out) {
        fail(p, LKC_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    while (!atomic_load(&p->stop)) {
        size_t n = p->sf ? next_file(p, raw, mixed, out, out_cap) : next_tone(p, out);
        if (n == 0) {
            if (p->o.loop && sf_seek(p->sf, 0, SEEK_SET) == 0)
                continue;
            /* The end: let the queued audio go out before saying so. */
            while (!atomic_load(&p->stop) &&
                   lkc_audio_source_wait_for_playout(p->src, CAPTURE_TIMEOUT_MS) == LKC_ERR_TIMEOUT) {
            }
            if (!atomic_load(&p->stop) && p->o.on_finished)
                p->o.on_finished(p->o.user);
            break;
        }
        if (!capture(p, out, n))
            break;
    }
done:
    free(raw);
    free(mixed);
    free(out);
    return NULL;
}

static lkc_err_t open_file(cli_pub_t *p, char *msg, size_t msg_len)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    p->sf = sf_open(p->o.file, SFM_READ, &info);
    if (!p->sf) {
        snprintf(msg, msg_len, "cannot read \"%s\": %s (give a WAV, FLAC, Ogg or another file libsndfile reads)",
                 p->o.file, sf_strerror(NULL));
        return LKC_ERR_INVALID_ARG;
    }
    if (info.frames <= 0 || info.channels < 1 || info.samplerate < 1000 || info.samplerate > 384000) {
        snprintf(msg, msg_len, "\"%s\" has no usable audio (%lld frames, %d channels, %d Hz)", p->o.file,
                 (long long)info.frames, info.channels, info.samplerate);
        return LKC_ERR_INVALID_ARG;
    }
    p->file_rate = info.samplerate;
    p->file_channels = info.channels;
    p->channels = info.channels == 2 ? 2 : 1;
    p->rate = cli_source_rate_for(info.samplerate);
    if (p->rate != p->file_rate) {
        p->rs = cli_resampler_new(p->file_rate, p->rate, p->channels);
        if (!p->rs) {
            snprintf(msg, msg_len, "cannot convert \"%s\" from %d Hz", p->o.file, p->file_rate);
            return LKC_ERR_NO_MEMORY;
        }
    }
    return LKC_OK;
}

lkc_err_t cli_pub_start(const cli_pub_opts_t *o, cli_pub_t **out, char *msg, size_t msg_len)
{
    *out = NULL;
    if (!o->room || (o->tone_hz <= 0 && !o->file)) {
        snprintf(msg, msg_len, "nothing to publish");
        return LKC_ERR_INVALID_ARG;
    }
    if (o->tone_hz > 0 && o->tone_hz >= TONE_RATE / 2) {
        snprintf(msg, msg_len, "--publish-tone wants a frequency between 1 and %d Hz", TONE_RATE / 2 - 1);
        return LKC_ERR_INVALID_ARG;
    }
    cli_pub_t *p = calloc(1, sizeof *p);
    if (!p)
        return LKC_ERR_NO_MEMORY;
    p->o = *o;
    pthread_mutex_init(&p->lock, NULL);
    lkc_err_t err = LKC_OK;
    if (o->tone_hz > 0) {
        p->o.file = NULL;
        p->rate = TONE_RATE;
        p->channels = 1;
        snprintf(p->name, sizeof p->name, "%s", o->track_name ? o->track_name : "tone");
    } else {
        err = open_file(p, msg, msg_len);
        const char *base = strrchr(o->file, '/');
        snprintf(p->name, sizeof p->name, "%s", o->track_name ? o->track_name : base ? base + 1 : o->file);
    }
    if (err == LKC_OK) {
        err = lkc_audio_source_create(p->rate, p->channels, QUEUE_MS, &p->src);
        if (err != LKC_OK)
            snprintf(msg, msg_len, "cannot create an audio source (%d Hz, %d channel(s)): %s%s", p->rate,
                     p->channels, lkc_err_str(err),
                     err == LKC_ERR_UNSUPPORTED ? " (this build of lkc has no audio support)" : "");
    }
    if (err == LKC_OK) {
        if (pthread_create(&p->thread, NULL, run, p) != 0) {
            snprintf(msg, msg_len, "cannot start the capture thread");
            err = LKC_ERR_NO_MEMORY;
        } else {
            p->thread_started = true;
        }
    }
    if (err != LKC_OK) {
        cli_pub_stop(p);
        return err;
    }
    *out = p;
    return LKC_OK;
}

lkc_err_t cli_pub_check_file(const char *path, char *msg, size_t msg_len)
{
    cli_pub_t p;
    memset(&p, 0, sizeof p);
    p.o.file = path;
    lkc_err_t err = open_file(&p, msg, msg_len);
    if (p.sf)
        sf_close(p.sf);
    cli_resampler_free(p.rs);
    return err;
}

lkc_err_t cli_pub_stats(cli_pub_t *p, lkc_audio_source_stats_t *out)
{
    if (!p || !p->src)
        return LKC_ERR_STATE;
    return lkc_audio_source_get_stats(p->src, out);
}

void cli_pub_track_sid(cli_pub_t *p, char *buf, size_t len)
{
    pthread_mutex_lock(&p->lock);
    snprintf(buf, len, "%s", p->sid);
    pthread_mutex_unlock(&p->lock);
}

void cli_pub_stop(cli_pub_t *p)
{
    if (!p)
        return;
    atomic_store(&p->stop, true);
    if (p->thread_started)
        pthread_join(p->thread, NULL);
    lkc_track_release(p->track);
    lkc_audio_source_destroy(p->src);
    if (p->sf)
        sf_close(p->sf);
    cli_resampler_free(p->rs);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
