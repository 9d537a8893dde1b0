/* Local audio publications: the public calls (publish, unpublish, mute) and the track
 * handle they share with the engine. The engine side is media.c. */
#include <string.h>

#include "base/log.h"
#include "base/sync.h"
#include "base/rand.h"
#include "room/audio_internal.h"
#include "room/media.h"

#define MOD "room.audio"
#define PUBLISH_WAIT_MS 10000

void lkc_audio_publish_options_init(lkc_audio_publish_options_t *o, const lkc_audio_source_t *src)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->source = LKC_SOURCE_MICROPHONE;
    o->dtx = true;
    o->stereo = src && src->channels == 2;
}

lkc_track_t *lkc_track_ref(lkc_track_t *t)
{
    g_atomic_int_inc(&t->refs);
    return t;
}

void lkc_track_unref(lkc_track_t *t)
{
    if (!t || !g_atomic_int_dec_and_test(&t->refs))
        return;
    lkc_audio_source_unref(t->src);
    g_free(t->name);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    g_free(t);
}

void lkc_track_publish_done(lkc_track_t *t, int rc)
{
    pthread_mutex_lock(&t->lock);
    if (t->publish_rc == 1) {
        t->publish_rc = rc;
        pthread_cond_broadcast(&t->cond);
    }
    pthread_mutex_unlock(&t->lock);
}

/* --- posted to the engine --------------------------------------------------------- */

static lkc_media_t *media_of(lkc_engine_t *e)
{
    lkc_session_t *s = lkc_engine_session(e);
    return s ? lkc_session_media(s) : NULL;
}

static void add_on_engine(lkc_engine_t *e, void *data)
{
    lkc_media_t *m = media_of(e);
    if (m)
        lkc_media_add_track(m, data);
    else
        lkc_track_publish_done(data, LKC_ERR_STATE);
}

static void remove_on_engine(lkc_engine_t *e, void *data)
{
    lkc_media_t *m = media_of(e);
    if (m)
        lkc_media_remove_track(m, data);
}

static void mute_on_engine(lkc_engine_t *e, void *data)
{
    lkc_media_t *m = media_of(e);
    if (m)
        lkc_media_send_mute(m, data);
}

static void unref_data(gpointer p)
{
    lkc_track_unref(p);
}

/* --- the public calls ------------------------------------------------------------- */

lkc_err_t lkc_room_publish_audio(lkc_room_t *room, lkc_audio_source_t *src, const lkc_audio_publish_options_t *opts,
                                 lkc_track_t **out)
{
    if (!room || !src || !out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    lkc_audio_publish_options_t o;
    if (opts)
        o = *opts;
    else
        lkc_audio_publish_options_init(&o, src);
    if (o.bitrate < 0 || (o.bitrate > 0 && (o.bitrate < 6000 || o.bitrate > 510000)) ||
        (int)o.source < 0 || o.source > LKC_SOURCE_SCREEN_SHARE_AUDIO)
        return LKC_ERR_INVALID_ARG;
    if (lkc_room_on_engine_thread(room))
        return LKC_ERR_STATE; /* it must wait for the server, which this thread serves */
    if (lkc_room_state(room) != LKC_STATE_CONNECTED)
        return LKC_ERR_STATE;

    lkc_track_t *t = g_new0(lkc_track_t, 1);
    t->refs = 1;
    t->room = room;
    t->src = lkc_audio_source_ref(src);
    lkc_random_uuid(t->cid);
    t->name = g_strdup(o.name && *o.name ? o.name : "audio");
    t->source = o.source;
    t->dtx = o.dtx;
    t->stereo = o.stereo;
    t->bitrate = o.bitrate;
    atomic_init(&t->muted, o.muted);
    pthread_mutex_init(&t->lock, NULL);
    lkc_cond_init_monotonic(&t->cond);
    t->publish_rc = 1;

    int rc = lkc_room_post(room, add_on_engine, lkc_track_ref(t), unref_data);
    if (rc != LKC_OK) {
        lkc_track_unref(t);
        return rc;
    }
    struct timespec deadline;
    lkc_deadline_after(&deadline, PUBLISH_WAIT_MS);
    pthread_mutex_lock(&t->lock);
    while (t->publish_rc == 1 && pthread_cond_timedwait(&t->cond, &t->lock, &deadline) == 0)
        ;
    rc = t->publish_rc == 1 ? LKC_ERR_TIMEOUT : t->publish_rc;
    if (rc == LKC_ERR_TIMEOUT)
        t->abandoned = true; /* a late answer undoes the publication on the engine */
    pthread_mutex_unlock(&t->lock);
    if (rc != LKC_OK) {
        if (rc != LKC_ERR_TIMEOUT)
            lkc_room_post(room, remove_on_engine, lkc_track_ref(t), unref_data);
        lkc_track_unref(t);
        return rc;
    }
    pthread_mutex_lock(&room->lock);
    if (!room->tracks)
        room->tracks = g_ptr_array_new();
    g_ptr_array_add(room->tracks, t); /* the application's handle, released at destroy */
    pthread_mutex_unlock(&room->lock);
    *out = t;
    return LKC_OK;
}

lkc_err_t lkc_room_unpublish(lkc_room_t *room, lkc_track_t *t)
{
    if (!room || !t || t->room != room)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&room->lock);
    bool known = room->tracks && g_ptr_array_remove(room->tracks, t);
    pthread_mutex_unlock(&room->lock);
    if (!known)
        return LKC_ERR_NOT_FOUND;
    lkc_room_post(room, remove_on_engine, lkc_track_ref(t), unref_data); /* STATE: session gone, fine */
    lkc_track_unref(t);
    return LKC_OK;
}

static lkc_err_t set_muted(lkc_track_t *t, bool muted)
{
    if (!t)
        return LKC_ERR_INVALID_ARG;
    if (atomic_exchange(&t->muted, muted) == muted)
        return LKC_OK;
    return lkc_room_post(t->room, mute_on_engine, lkc_track_ref(t), unref_data);
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

/* --- subscriptions ------------------------------------------------------------------ */

typedef struct {
    char *sid;
    bool subscribe;
} sub_cmd_t;

static void sub_free(gpointer p)
{
    sub_cmd_t *c = p;
    g_free(c->sid);
    g_free(c);
}

static void subscribe_on_engine(lkc_engine_t *e, void *data)
{
    sub_cmd_t *c = data;
    lkc_session_t *s = lkc_engine_session(e);
    if (!s)
        return;
    char *sids[1] = {c->sid};
    Livekit__UpdateSubscription us = LIVEKIT__UPDATE_SUBSCRIPTION__INIT;
    us.track_sids = sids;
    us.n_track_sids = 1;
    us.subscribe = c->subscribe;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_SUBSCRIPTION;
    req.subscription = &us;
    lkc_session_send(s, &req);
}

lkc_err_t lkc_room_set_subscribed(lkc_room_t *room, const char *track_sid, bool subscribed)
{
    if (!room || !track_sid || !*track_sid)
        return LKC_ERR_INVALID_ARG;
    if (lkc_room_state(room) != LKC_STATE_CONNECTED)
        return LKC_ERR_STATE;
    sub_cmd_t *c = g_new0(sub_cmd_t, 1);
    c->sid = g_strdup(track_sid);
    c->subscribe = subscribed;
    return lkc_room_post(room, subscribe_on_engine, c, sub_free);
}
