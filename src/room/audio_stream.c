/* AudioStream: decoded audio of one remote track for the application, pulled from a
 * ring (lkc_audio_stream_read) or pushed to on_frame. The engine side (remote_tracks.c)
 * decides which streams a track feeds and when they end; this file converts and hands
 * over, and registers a new stream with the session (LKC__CMD_ADD_STREAM). */
#include <string.h>

#include "base/log.h"
#include "room/audio_internal.h"
#include "room/engine.h"

#define REGISTER_WAIT_MS 5000

#define MOD "room.audio"

void lkc_audio_stream_options_init(lkc_audio_stream_options_t *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->sample_rate = 48000;
    o->channels = 1;
    o->frame_ms = 10;
    o->capacity_ms = 500;
}

lkc_audio_stream_t *lkc__audio_stream_ref(lkc_audio_stream_t *s)
{
    g_atomic_int_inc(&s->refs);
    return s;
}

void lkc__audio_stream_unref(lkc_audio_stream_t *s)
{
    if (!s || !g_atomic_int_dec_and_test(&s->refs))
        return;
    lkc_pcm_ring_free(s->ring);
    lkc_resample_free(s->resample);
    g_free(s->push_buf);
    pthread_mutex_destroy(&s->cb_lock);
    pthread_mutex_destroy(&s->stats_lock);
    g_free(s);
}

static int check_options(const lkc_audio_stream_options_t *o)
{
    if (o->struct_size == 0 || o->struct_size > sizeof *o || o->sample_rate < 8000 || o->sample_rate > 48000 || o->sample_rate % 50 != 0 ||
        (o->channels != 1 && o->channels != 2) || o->frame_ms < 10 || o->frame_ms > 100 || o->frame_ms % 10 != 0 ||
        o->capacity_ms < 20 || o->capacity_ms > LKC_PCM_RING_MAX_MS)
        return LKC_ERR_INVALID_ARG;
    return LKC_OK;
}

lkc_err_t lkc__audio_stream_new(const lkc_audio_stream_options_t *opts, const char *track_sid,
                               lkc_audio_stream_t **out)
{
    if (!track_sid || !*track_sid || !out || strlen(track_sid) >= 64)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    lkc_audio_stream_options_t o;
    lkc_audio_stream_options_init(&o);
    if (opts) {
        if (opts->struct_size == 0 || opts->struct_size > sizeof o)
            return LKC_ERR_INVALID_ARG; /* not filled by lkc_audio_stream_options_init() */
        memcpy(&o, opts, opts->struct_size); /* fields an older caller lacks keep their defaults */
    }
    if (check_options(&o) != LKC_OK)
        return LKC_ERR_INVALID_ARG;
    lkc_audio_stream_t *s = g_new0(lkc_audio_stream_t, 1);
    s->refs = 1;
    s->opts = o;
    g_strlcpy(s->track_sid, track_sid, sizeof s->track_sid);
    /* recursive: destroying the stream from inside its own on_frame must not deadlock */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->cb_lock, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_mutex_init(&s->stats_lock, NULL);
    int rc = o.on_frame ? LKC_OK : lkc_pcm_ring_create(&s->ring, o.sample_rate, o.channels, o.capacity_ms);
    if (rc == LKC_OK && o.on_frame)
        s->push_buf = g_new0(int16_t, (size_t)o.sample_rate * (size_t)o.frame_ms / 1000 * (size_t)o.channels);
    if (rc == LKC_OK)
        rc = lkc_resample_create(&s->resample, LKC_OPUS_RATE, 2, o.sample_rate, o.channels,
                                 LKC_RESAMPLE_QUALITY_DEFAULT);
    if (rc != LKC_OK) {
        lkc__audio_stream_unref(s);
        return rc;
    }
    *out = s;
    return LKC_OK;
}

static void stream_cmd_free(gpointer p)
{
    lkc__stream_cmd_t *c = p;
    if (c->stream)
        lkc__audio_stream_unref(c->stream);
    g_free(c);
}

/* The session checks the track against the model and, in one step on its thread, makes
 * the stream live (R1). */
static int register_stream(lkc_room_t *room, lkc_audio_stream_t *st)
{
    if (!lkc__room_enter(room))
        return LKC_ERR_CLOSED;
    lkc__stream_cmd_t *c = g_new0(lkc__stream_cmd_t, 1);
    c->stream = lkc__audio_stream_ref(st);
    int rc = lkc__engine_call(room, LKC__CMD_ADD_STREAM, c, stream_cmd_free, NULL, NULL, REGISTER_WAIT_MS);
    lkc__room_leave(room);
    return rc;
}

lkc_err_t lkc_audio_stream_create(lkc_room_t *room, const char *track_sid, const lkc_audio_stream_options_t *opts,
                                  lkc_audio_stream_t **out)
{
    if (!room || !track_sid || !*track_sid || !out || strlen(track_sid) >= 64)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    if (lkc__room_on_engine_thread(room))
        return LKC_ERR_STATE;
    /* R1: every fallible step first; the stream becomes live only when the engine has
     * registered it against an existing track, in one step on its own thread */
    lkc_audio_stream_t *s;
    int rc = lkc__audio_stream_new(opts, track_sid, &s);
    if (rc == LKC_OK) {
        rc = register_stream(room, s); /* takes its own reference on success */
        if (rc != LKC_OK)
            lkc__audio_stream_unref(s);
    }
    if (rc == LKC_OK)
        *out = s;
    return rc;
}

int lkc_audio_stream_read(lkc_audio_stream_t *s, int16_t *pcm, size_t max_samples_per_channel, int timeout_ms)
{
    if (!s || !pcm || max_samples_per_channel == 0)
        return LKC_ERR_INVALID_ARG;
    /* R9: the reference keeps the ring (and the mutex a waiting read sleeps on) alive
     * until this read has left; destroy closes the ring, which wakes it with
     * LKC_ERR_CLOSED */
    lkc__audio_stream_ref(s);
    int rc;
    if (atomic_load(&s->detached))
        rc = LKC_ERR_CLOSED;
    else if (!s->ring)
        rc = LKC_ERR_STATE; /* a push stream */
    else
        rc = lkc_pcm_ring_read(s->ring, pcm, max_samples_per_channel, timeout_ms, 0);
    lkc__audio_stream_unref(s);
    return rc;
}

lkc_err_t lkc_audio_stream_get_stats(lkc_audio_stream_t *s, lkc_audio_stream_stats_t *out)
{
    if (!s || !out)
        return LKC_ERR_INVALID_ARG;
    lkc__audio_stream_ref(s);
    pthread_mutex_lock(&s->stats_lock);
    *out = s->stats;
    pthread_mutex_unlock(&s->stats_lock);
    out->samples_dropped = atomic_load(&s->samples_dropped);
    if (s->ring) {
        lkc_pcm_ring_stats_t rs;
        lkc_pcm_ring_stats(s->ring, &rs);
        out->samples_dropped += rs.samples_dropped;
    }
    out->ended = atomic_load(&s->ended);
    lkc__audio_stream_unref(s);
    return LKC_OK;
}

void lkc_audio_stream_destroy(lkc_audio_stream_t *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->cb_lock); /* waits for a callback running on another thread */
    bool again = atomic_exchange(&s->detached, true); /* after this, no on_frame/on_end starts */
    pthread_mutex_unlock(&s->cb_lock);
    if (again)
        return; /* a second destroy while calls still hold it must not drop a reference */
    if (s->ring)
        lkc_pcm_ring_close(s->ring); /* waiting reads return LKC_ERR_CLOSED (R9) */
    /* frees now, or when the last read, get_stats or the engine (at its next pass) lets go */
    lkc__audio_stream_unref(s);
}

/* --- engine side ------------------------------------------------------------------ */

static void call_on_frame(lkc_audio_stream_t *s, const int16_t *pcm, size_t n)
{
    pthread_mutex_lock(&s->cb_lock);
    if (!atomic_load(&s->detached))
        s->opts.on_frame(s, pcm, n, s->opts.user);
    pthread_mutex_unlock(&s->cb_lock);
}

void lkc__audio_stream_deliver(lkc_audio_stream_t *s, const int16_t *pcm, size_t samples, int channels)
{
    if (atomic_load(&s->detached) || atomic_load(&s->ended))
        return;
    /* the resampler takes stereo in: widen mono first (cheap, and keeps one converter
     * per stream whatever the track sends) */
    int16_t wide[LKC_OPUS_MAX_FRAME_SAMPLES * 2];
    const int16_t *in = pcm;
    if (samples > LKC_OPUS_MAX_FRAME_SAMPLES)
        samples = LKC_OPUS_MAX_FRAME_SAMPLES;
    if (channels == 1) {
        for (size_t i = 0; i < samples; i++)
            wide[2 * i] = wide[2 * i + 1] = pcm[i];
        in = wide;
    }
    int16_t out[LKC_OPUS_MAX_FRAME_SAMPLES * 2];
    size_t done = 0;
    while (done < samples) {
        size_t used = 0, made = 0;
        if (lkc_resample_process(s->resample, in + done * 2, samples - done, &used, out,
                                 LKC_OPUS_MAX_FRAME_SAMPLES, &made) != LKC_OK)
            return;
        done += used;
        if (made && s->ring) {
            lkc_pcm_ring_write(s->ring, out, made);
        } else if (made) {
            /* push: hand over exact frame_ms blocks */
            size_t frame = (size_t)s->opts.sample_rate * (size_t)s->opts.frame_ms / 1000;
            size_t ch = (size_t)s->opts.channels, at = 0;
            while (at < made) {
                size_t take = MIN(frame - s->push_fill, made - at);
                memcpy(s->push_buf + s->push_fill * ch, out + at * ch, take * ch * sizeof(int16_t));
                s->push_fill += take;
                at += take;
                if (s->push_fill == frame) {
                    call_on_frame(s, s->push_buf, frame);
                    s->push_fill = 0;
                }
            }
        }
        if (used == 0 && made == 0)
            break;
    }
}

void lkc__audio_stream_end(lkc_audio_stream_t *s)
{
    if (atomic_exchange(&s->ended, true))
        return;
    if (s->ring)
        lkc_pcm_ring_end(s->ring);
    if (s->opts.on_end) {
        pthread_mutex_lock(&s->cb_lock);
        if (!atomic_load(&s->detached))
            s->opts.on_end(s, s->opts.user);
        pthread_mutex_unlock(&s->cb_lock);
    }
}
