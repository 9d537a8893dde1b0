/* The pre-connect audio buffer (lkc/agent.h): a ring of the last max_ms of PCM, sent
 * once as a byte stream in the form livekit-agents reads (voice/room_io/_pre_connect_audio.py:
 * raw PCM unless the MIME type says Opus; attributes trackId, sampleRate, channels). */
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lkc/agent.h"
#include "lkc/stream.h"

struct lkc_preconnect_buffer {
    pthread_mutex_t lock;
    int rate, channels;
    size_t cap;      /* frames */
    size_t start, n; /* ring: first frame, frames held */
    int16_t *pcm;
};

lkc_err_t lkc_preconnect_buffer_create(int sample_rate, int channels, int max_ms, lkc_preconnect_buffer_t **out)
{
    if (!out || sample_rate < 8000 || sample_rate > 48000 || channels < 1 || channels > 2 || max_ms < 100 ||
        max_ms > 60000)
        return LKC_ERR_INVALID_ARG;
    lkc_preconnect_buffer_t *b = g_new0(lkc_preconnect_buffer_t, 1);
    pthread_mutex_init(&b->lock, NULL);
    b->rate = sample_rate;
    b->channels = channels;
    b->cap = (size_t)sample_rate * (size_t)max_ms / 1000;
    b->pcm = g_new0(int16_t, b->cap * (size_t)channels);
    *out = b;
    return LKC_OK;
}

lkc_err_t lkc_preconnect_buffer_push(lkc_preconnect_buffer_t *b, const int16_t *pcm, size_t frames)
{
    if (!b || (!pcm && frames))
        return LKC_ERR_INVALID_ARG;
    size_t ch = (size_t)b->channels;
    pthread_mutex_lock(&b->lock);
    if (frames > b->cap) { /* only the newest cap frames can stay */
        pcm += (frames - b->cap) * ch;
        frames = b->cap;
    }
    for (size_t i = 0; i < frames; i++) {
        size_t at = (b->start + b->n) % b->cap;
        memcpy(&b->pcm[at * ch], &pcm[i * ch], ch * sizeof(int16_t));
        if (b->n < b->cap)
            b->n++;
        else
            b->start = (b->start + 1) % b->cap; /* full: the oldest frame goes */
    }
    pthread_mutex_unlock(&b->lock);
    return LKC_OK;
}

int lkc_preconnect_buffer_ms(lkc_preconnect_buffer_t *b)
{
    if (!b)
        return 0;
    pthread_mutex_lock(&b->lock);
    int ms = (int)(b->n * 1000 / (size_t)b->rate);
    pthread_mutex_unlock(&b->lock);
    return ms;
}

lkc_err_t lkc_preconnect_buffer_send(lkc_preconnect_buffer_t *b, lkc_room_t *room, const char *agent_identity,
                                     const char *track_sid, int timeout_ms)
{
    if (!b || !room || !agent_identity || !*agent_identity || !track_sid || !*track_sid)
        return LKC_ERR_INVALID_ARG;
    size_t ch = (size_t)b->channels;
    pthread_mutex_lock(&b->lock);
    size_t n = b->n;
    int16_t *flat = g_new(int16_t, (n ? n : 1) * ch);
    for (size_t i = 0; i < n; i++)
        memcpy(&flat[i * ch], &b->pcm[((b->start + i) % b->cap) * ch], ch * sizeof(int16_t));
    pthread_mutex_unlock(&b->lock);
    if (n == 0) {
        g_free(flat);
        return LKC_ERR_STATE;
    }
    /* s16le on the wire: swap on a big-endian host */
    if (G_BYTE_ORDER == G_BIG_ENDIAN)
        for (size_t i = 0; i < n * ch; i++)
            flat[i] = (int16_t)GUINT16_SWAP_LE_BE((uint16_t)flat[i]);
    char rate[16], chans[8];
    snprintf(rate, sizeof rate, "%d", b->rate);
    snprintf(chans, sizeof chans, "%d", b->channels);
    const lkc_kv_t attrs[] = {{"trackId", track_sid}, {"sampleRate", rate}, {"channels", chans}};
    lkc_stream_options_t o;
    lkc_stream_options_init(&o);
    o.topic = LKC_AGENT_TOPIC_PRECONNECT_AUDIO;
    o.name = "preconnect-buffer";
    o.mime_type = "audio/pcm";
    o.attributes = attrs;
    o.n_attributes = 3;
    o.destination_identities = &agent_identity;
    o.n_destinations = 1;
    o.timeout_ms = timeout_ms;
    lkc_err_t rc = lkc_stream_send_bytes(room, flat, n * ch * sizeof(int16_t), &o, NULL);
    g_free(flat);
    if (rc == LKC_OK) {
        pthread_mutex_lock(&b->lock);
        b->start = b->n = 0;
        pthread_mutex_unlock(&b->lock);
    }
    return rc;
}

void lkc_preconnect_buffer_destroy(lkc_preconnect_buffer_t *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->lock);
    g_free(b->pcm);
    g_free(b);
}
