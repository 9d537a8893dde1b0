/* Local audio publications, the public calls: publish, unpublish, release, mute, sid.
 * They send typed commands to the session; the engine half is local_tracks.c. */
#include <string.h>

#include "base/log.h"
#include "base/rand.h"
#include "base/sync.h"
#include "room/audio_internal.h"
#include "room/engine.h"

#define MOD "room.audio"
#define PUBLISH_WAIT_MS 10000

void lkc_audio_publish_options_init(lkc_audio_publish_options_t *o, const lkc_audio_source_t *src)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->source = LKC_SOURCE_MICROPHONE;
    o->dtx = true;
    o->stereo = src && src->channels == 2;
}

static lkc_track_t *track_new(lkc_room_t *room, lkc_audio_source_t *src, const lkc_audio_publish_options_t *o)
{
    lkc_track_t *t = g_new0(lkc_track_t, 1);
    t->refs = 1; /* the application's */
    t->room = room;
    t->src = lkc__audio_source_ref(src);
    lkc_random_uuid(t->cid);
    t->name = g_strdup(o->name && *o->name ? o->name : "audio");
    t->source = o->source;
    t->dtx = o->dtx;
    t->preconnect_buffer = o->preconnect_buffer;
    t->stereo = o->stereo;
    t->bitrate = o->bitrate;
    atomic_init(&t->muted, o->muted);
    pthread_mutex_init(&t->lock, NULL);
    lkc_cond_init_monotonic(&t->cond);
    t->publish_rc = 1;
    return t;
}

/* Waits for the server's word on the publication (or the session's end). */
static int wait_published(lkc_track_t *t)
{
    struct timespec deadline;
    lkc_deadline_after(&deadline, PUBLISH_WAIT_MS);
    pthread_mutex_lock(&t->lock);
    while (t->publish_rc == 1 && pthread_cond_timedwait(&t->cond, &t->lock, &deadline) == 0)
        ;
    int rc = t->publish_rc == 1 ? LKC_ERR_TIMEOUT : t->publish_rc;
    if (rc == LKC_ERR_TIMEOUT)
        t->abandoned = true; /* a late answer undoes the publication on the engine */
    pthread_mutex_unlock(&t->lock);
    return rc;
}

lkc_err_t lkc_room_publish_audio(lkc_room_t *room, lkc_audio_source_t *src, const lkc_audio_publish_options_t *opts,
                                 lkc_track_t **out)
{
    if (!room || !src || !out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    lkc_audio_publish_options_t o;
    lkc_audio_publish_options_init(&o, src);
    if (opts) {
        if (opts->struct_size == 0 || opts->struct_size > sizeof o)
            return LKC_ERR_INVALID_ARG;
        memcpy(&o, opts, opts->struct_size);
    }
    if (o.bitrate < 0 || (o.bitrate > 0 && (o.bitrate < 6000 || o.bitrate > 510000)) || (int)o.source < 0 ||
        o.source > LKC_SOURCE_SCREEN_SHARE_AUDIO)
        return LKC_ERR_INVALID_ARG;
    if (lkc__room_on_engine_thread(room))
        return LKC_ERR_STATE; /* it must wait for the server, which this thread serves */
    if (lkc_room_state(room) != LKC_STATE_CONNECTED)
        return LKC_ERR_STATE;
    if (!lkc__room_enter(room))
        return LKC_ERR_CLOSED;
    lkc_track_t *t = track_new(room, src, &o);
    int rc = lkc__engine_post(room, LKC__CMD_PUBLISH_AUDIO, lkc__track_ref(t), lkc__track_publish_cmd_free);
    if (rc == LKC_OK)
        rc = wait_published(t);
    if (rc == LKC_OK) {
        pthread_mutex_lock(&room->lock);
        if (!room->tracks)
            room->tracks = g_ptr_array_new();
        g_ptr_array_add(room->tracks, lkc__track_ref(t)); /* the room's list, released at destroy */
        pthread_mutex_unlock(&room->lock);
        *out = t;
    } else {
        if (rc != LKC_ERR_TIMEOUT) /* a refusal, or the session ended: undo what was done */
            lkc__engine_post(room, LKC__CMD_UNPUBLISH_AUDIO, lkc__track_ref(t), lkc__track_unref_notify);
        lkc__track_unref(t);
    }
    lkc__room_leave(room);
    return rc;
}

/* Takes `t` off its room (list and engine). With t->lock held. LKC_ERR_NOT_FOUND when
 * it is not (or no longer) that room's. */
static lkc_err_t take_off(lkc_room_t *room, lkc_track_t *t)
{
    pthread_mutex_lock(&room->lock);
    bool known = room->tracks && g_ptr_array_remove(room->tracks, t);
    pthread_mutex_unlock(&room->lock);
    if (!known)
        return LKC_ERR_NOT_FOUND;
    lkc__engine_post(room, LKC__CMD_UNPUBLISH_AUDIO, lkc__track_ref(t), lkc__track_unref_notify); /* STATE: fine */
    lkc__track_unref(t); /* the list's */
    return LKC_OK;
}

lkc_err_t lkc_room_unpublish(lkc_room_t *room, lkc_track_t *t)
{
    if (!room || !t)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&t->lock);
    lkc_err_t rc = t->room != room ? LKC_ERR_INVALID_ARG : !lkc__room_enter(room) ? LKC_ERR_CLOSED : LKC_OK;
    if (rc == LKC_OK) {
        rc = take_off(room, t);
        lkc__room_leave(room);
    }
    if (rc == LKC_OK)
        t->released = true;
    pthread_mutex_unlock(&t->lock);
    if (rc == LKC_OK)
        lkc__track_unref(t); /* the application's */
    return rc;
}

void lkc_track_release(lkc_track_t *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    bool twice = t->released;
    t->released = true;
    lkc_room_t *room = t->room;
    if (!twice && room && lkc__room_enter(room)) {
        take_off(room, t);
        lkc__room_leave(room);
    }
    pthread_mutex_unlock(&t->lock);
    if (!twice)
        lkc__track_unref(t);
}

static lkc_err_t set_muted(lkc_track_t *t, bool muted)
{
    if (!t)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&t->lock);
    lkc_room_t *room = t->room;
    lkc_err_t rc = LKC_OK;
    if (!room || !lkc__room_enter(room)) {
        rc = LKC_ERR_CLOSED;
    } else {
        if (atomic_exchange(&t->muted, muted) != muted)
            rc = lkc__engine_post(room, LKC__CMD_MUTE, lkc__track_ref(t), lkc__track_unref_notify);
        lkc__room_leave(room);
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

lkc_err_t lkc_track_mute(lkc_track_t *t)
{
    return set_muted(t, true);
}

lkc_err_t lkc_track_unmute(lkc_track_t *t)
{
    return set_muted(t, false);
}

lkc_err_t lkc_track_get_sid(const lkc_track_t *t, char *buf, size_t len)
{
    if (!t || !buf || len == 0)
        return LKC_ERR_INVALID_ARG;
    lkc_track_t *mt = (lkc_track_t *)t;
    pthread_mutex_lock(&mt->lock);
    g_strlcpy(buf, mt->sid, len);
    pthread_mutex_unlock(&mt->lock);
    return LKC_OK;
}
