/* AudioSource: the public face of the capture queue. The engine's sender holds a
 * reference while a track publishes from it, and every public call holds one while it
 * is inside (R9: destroy closes, the last reference frees; see audio_internal.h). */
#include "room/audio_internal.h"

lkc_err_t lkc_audio_source_create(int sample_rate, int channels, int queue_ms, lkc_audio_source_t **out)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    if (sample_rate < 8000 || sample_rate > 48000 || sample_rate % 50 != 0 || (channels != 1 && channels != 2) ||
        queue_ms < 0 || queue_ms > LKC_CAPTURE_QUEUE_MAX_MS)
        return LKC_ERR_INVALID_ARG;
    lkc_audio_source_t *src = g_new0(lkc_audio_source_t, 1);
    int rc = lkc_capture_queue_create(&src->queue, sample_rate, channels, queue_ms);
    if (rc != LKC_OK) {
        g_free(src);
        return rc;
    }
    src->refs = 1;
    atomic_init(&src->destroyed, false);
    src->sample_rate = sample_rate;
    src->channels = channels;
    src->queue_ms = queue_ms;
    atomic_init(&src->frames_sent, 0);
    *out = src;
    return LKC_OK;
}

lkc_audio_source_t *lkc__audio_source_ref(lkc_audio_source_t *src)
{
    g_atomic_int_inc(&src->refs);
    return src;
}

void lkc__audio_source_unref(lkc_audio_source_t *src)
{
    if (src && g_atomic_int_dec_and_test(&src->refs)) {
        lkc_capture_queue_free(src->queue);
        g_free(src);
    }
}

/* R9: a call in progress keeps the source alive; a destroyed source is closed. */
static bool enter(lkc_audio_source_t *src)
{
    lkc__audio_source_ref(src);
    return !atomic_load(&src->destroyed);
}

lkc_err_t lkc_audio_source_capture(lkc_audio_source_t *src, const int16_t *pcm, size_t samples_per_channel,
                                   int timeout_ms)
{
    if (!src || (!pcm && samples_per_channel))
        return LKC_ERR_INVALID_ARG;
    /* a capture waiting for room when destroy runs is woken by the queue's close with
     * LKC_ERR_CLOSED and leaves before the memory goes */
    int rc = enter(src) ? lkc_capture_queue_push(src->queue, pcm, samples_per_channel, timeout_ms)
                        : LKC_ERR_CLOSED;
    lkc__audio_source_unref(src);
    return rc;
}

void lkc_audio_source_clear(lkc_audio_source_t *src)
{
    if (!src)
        return;
    enter(src);
    lkc_capture_queue_clear(src->queue);
    lkc__audio_source_unref(src);
}

int lkc_audio_source_queued_ms(lkc_audio_source_t *src)
{
    if (!src)
        return 0;
    enter(src);
    int ms = lkc_capture_queue_queued_ms(src->queue);
    lkc__audio_source_unref(src);
    return ms;
}

lkc_err_t lkc_audio_source_wait_for_playout(lkc_audio_source_t *src, int timeout_ms)
{
    if (!src)
        return LKC_ERR_INVALID_ARG;
    int rc = LKC_ERR_CLOSED;
    if (enter(src)) {
        lkc_capture_queue_flush(src->queue); /* a trailing partial frame goes out padded */
        rc = lkc_capture_queue_wait_empty(src->queue, timeout_ms);
    }
    lkc__audio_source_unref(src);
    return rc;
}

lkc_err_t lkc_audio_source_get_stats(lkc_audio_source_t *src, lkc_audio_source_stats_t *out)
{
    if (!src || !out)
        return LKC_ERR_INVALID_ARG;
    enter(src);
    lkc_capture_queue_stats_t qs;
    lkc_capture_queue_stats(src->queue, &qs);
    out->frames_captured = qs.frames_pushed;
    out->frames_sent = atomic_load(&src->frames_sent);
    out->frames_dropped = qs.frames_dropped;
    out->would_block = qs.would_block;
    lkc__audio_source_unref(src);
    return LKC_OK;
}

void lkc_audio_source_destroy(lkc_audio_source_t *src)
{
    if (!src || atomic_exchange(&src->destroyed, true))
        return; /* a second destroy while calls still hold it must not drop a reference */
    lkc_capture_queue_close(src->queue); /* wakes waiting captures and playout waits: LKC_ERR_CLOSED */
    lkc__audio_source_unref(src); /* frees now, or when the last call or track lets go */
}
