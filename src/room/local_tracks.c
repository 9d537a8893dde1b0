#include "room/local_tracks.h"

#include <string.h>

#include "base/log.h"
#include "base/rand.h"
#include "room/audio_sender.h"

#define MOD "room.audio"

struct lkc__local_tracks {
    lkc__local_tracks_ports_t ports;
    lkc_media_clock_t *clock;
    GPtrArray *tracks; /* lkc_track_t* (engine references) */
};

lkc__local_tracks_t *lkc__local_tracks_new(lkc_media_clock_t *clock, const lkc__local_tracks_ports_t *ports)
{
    lkc__local_tracks_t *lt = g_new0(lkc__local_tracks_t, 1);
    lt->ports = *ports;
    lt->clock = clock;
    lt->tracks = g_ptr_array_new();
    return lt;
}

void lkc__local_tracks_free(lkc__local_tracks_t *lt)
{
    if (!lt)
        return;
    for (guint i = 0; i < lt->tracks->len; i++) {
        lkc_track_t *t = g_ptr_array_index(lt->tracks, i);
        lkc__track_publish_done(t, LKC_ERR_CLOSED); /* a publish still waiting fails */
        lkc__sender_free(t->sender);                 /* no more pokes of the clock */
        t->sender = NULL;
        t->unpublished = true;
        lkc__track_unref(t);
    }
    g_ptr_array_free(lt->tracks, TRUE);
    g_free(lt);
}

static lkc_track_t *track_by_cid(lkc__local_tracks_t *lt, const char *cid)
{
    for (guint i = 0; cid && i < lt->tracks->len; i++) {
        lkc_track_t *t = g_ptr_array_index(lt->tracks, i);
        if (strcmp(t->cid, cid) == 0)
            return t;
    }
    return NULL;
}

static int send_add_track(lkc__local_tracks_t *lt, lkc_track_t *t)
{
    Livekit__AddTrackRequest at = LIVEKIT__ADD_TRACK_REQUEST__INIT;
    at.cid = t->cid;
    at.name = t->name;
    at.type = LIVEKIT__TRACK_TYPE__AUDIO;
    at.source = (Livekit__TrackSource)t->source;
    at.muted = atomic_load(&t->muted);
    at.disable_dtx = !t->dtx;
    at.stereo = t->stereo;
    at.disable_red = true; /* we send plain Opus */
    Livekit__AudioTrackFeature features[3];
    size_t nf = 0;
    if (t->preconnect_buffer)
        features[nf++] = LIVEKIT__AUDIO_TRACK_FEATURE__TF_PRECONNECT_BUFFER;
    if (t->stereo)
        features[nf++] = LIVEKIT__AUDIO_TRACK_FEATURE__TF_STEREO;
    if (!t->dtx)
        features[nf++] = LIVEKIT__AUDIO_TRACK_FEATURE__TF_NO_DTX;
    at.audio_features = features;
    at.n_audio_features = nf;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_ADD_TRACK;
    req.add_track = &at;
    return lt->ports.send_signal(lt->ports.user, &req);
}

void lkc__local_tracks_add(lkc__local_tracks_t *lt, lkc_track_t *t)
{
    atomic_store(&t->publish_taken, true); /* from here on this part answers the wait */
    if (send_add_track(lt, t) != LKC_OK) {
        lkc__track_publish_done(t, LKC_ERR_STATE);
        return;
    }
    g_ptr_array_add(lt->tracks, lkc__track_ref(t));
}

static void remove_track(lkc__local_tracks_t *lt, lkc_track_t *t, lkc_peer_t *publisher)
{
    if (t->mid && publisher) {
        lkc_peer_remove_audio_sender(publisher, t->mid);
        lkc_peer_negotiate(publisher); /* the server unpublishes the track it no longer receives */
    }
    lkc__sender_free(t->sender);
    t->sender = NULL;
    t->unpublished = true;
    g_ptr_array_remove(lt->tracks, t);
    lkc__track_unref(t);
}

void lkc__local_tracks_on_published(lkc__local_tracks_t *lt, const Livekit__TrackPublishedResponse *r,
                                    lkc_peer_t *publisher, const char *local_sid)
{
    lkc_track_t *t = track_by_cid(lt, r->cid);
    if (!t || !r->track || !r->track->sid || t->sender || !publisher)
        return;
    pthread_mutex_lock(&t->lock);
    g_strlcpy(t->sid, r->track->sid, sizeof t->sid);
    bool abandoned = t->abandoned;
    pthread_mutex_unlock(&t->lock);
    if (abandoned) { /* the caller stopped waiting: undo */
        remove_track(lt, t, publisher);
        return;
    }
    uint32_t ssrc;
    do
        ssrc = lkc_random_u32();
    while (ssrc == 0);
    lkc__sender_config_t cfg = {
        .queue = t->src->queue, .sample_rate = t->src->sample_rate, .channels = t->src->channels,
        .stereo = t->stereo, .dtx = t->dtx, .bitrate = t->bitrate, .muted = &t->muted,
        .frames_sent = &t->src->frames_sent, .ssrc = ssrc, .clock = lt->clock,
    };
    t->sender = lkc__sender_new(&cfg);
    int rc = t->sender ? lkc_peer_add_audio_sender(publisher, local_sid ? local_sid : "lkc", t->cid, ssrc,
                                                   t->stereo, &t->mid)
                       : LKC_ERR_NO_MEMORY;
    if (rc == LKC_OK)
        lkc__sender_bind(t->sender, publisher, lkc_peer_audio_by_mid(publisher, t->mid)); /* once */
    if (rc == LKC_OK)
        rc = lkc_peer_negotiate(publisher);
    lkc_media_clock_poke(lt->clock);
    LKC_LOGI(MOD, "published %s as %s (mid %s)", t->cid, t->sid, t->mid ? t->mid : "?");
    lkc__track_publish_done(t, rc);
}

void lkc__local_tracks_on_request_response(lkc__local_tracks_t *lt, const Livekit__RequestResponse *r)
{
    if (r->request_case != LIVEKIT__REQUEST_RESPONSE__REQUEST_ADD_TRACK || !r->add_track ||
        r->reason == LIVEKIT__REQUEST_RESPONSE__REASON__OK)
        return;
    lkc_track_t *t = track_by_cid(lt, r->add_track->cid);
    if (!t || t->sender)
        return;
    LKC_LOGW(MOD, "the server refused to publish %s: %s", t->cid, r->message ? r->message : "");
    lkc__track_publish_done(t, r->reason == LIVEKIT__REQUEST_RESPONSE__REASON__NOT_ALLOWED ? LKC_ERR_DENIED
                                                                                            : LKC_ERR_PROTOCOL);
    g_ptr_array_remove(lt->tracks, t);
    lkc__track_unref(t);
}

void lkc__local_tracks_remove(lkc__local_tracks_t *lt, lkc_track_t *t, lkc_peer_t *publisher)
{
    if (g_ptr_array_find(lt->tracks, t, NULL))
        remove_track(lt, t, publisher);
}

void lkc__local_tracks_on_unpublished(lkc__local_tracks_t *lt, const char *track_sid, lkc_peer_t *publisher)
{
    for (guint i = 0; track_sid && i < lt->tracks->len; i++) {
        lkc_track_t *t = g_ptr_array_index(lt->tracks, i);
        if (strcmp(t->sid, track_sid) == 0) {
            LKC_LOGW(MOD, "the server unpublished our track %s", track_sid);
            remove_track(lt, t, publisher);
            return;
        }
    }
}

void lkc__local_tracks_send_mute(lkc__local_tracks_t *lt, lkc_track_t *t)
{
    if (!t->sid[0] || !g_ptr_array_find(lt->tracks, t, NULL))
        return;
    Livekit__MuteTrackRequest mr = LIVEKIT__MUTE_TRACK_REQUEST__INIT;
    mr.sid = t->sid;
    mr.muted = atomic_load(&t->muted);
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_MUTE;
    req.mute = &mr;
    lt->ports.send_signal(lt->ports.user, &req);
}

int64_t lkc__local_tracks_run(lkc__local_tracks_t *lt, int64_t now_us)
{
    int64_t next = LKC_MEDIA_CLOCK_NEVER;
    for (guint i = 0; i < lt->tracks->len; i++) {
        lkc_track_t *t = g_ptr_array_index(lt->tracks, i);
        if (t->sender)
            next = MIN(next, lkc__sender_run(t->sender, now_us));
    }
    return next;
}

void lkc__local_tracks_send_reports(lkc__local_tracks_t *lt, int64_t now_us)
{
    for (guint i = 0; i < lt->tracks->len; i++) {
        lkc_track_t *t = g_ptr_array_index(lt->tracks, i);
        if (t->sender)
            lkc__sender_send_report(t->sender, now_us);
    }
}

void lkc__local_tracks_republish(lkc__local_tracks_t *lt)
{
    for (guint i = 0; i < lt->tracks->len; i++) {
        lkc_track_t *t = g_ptr_array_index(lt->tracks, i);
        lkc__sender_free(t->sender); /* its connection is gone; a new one comes with the answer */
        t->sender = NULL;
        t->mid = NULL;
        if (send_add_track(lt, t) != LKC_OK)
            LKC_LOGW(MOD, "cannot ask to publish %s again", t->cid);
    }
}

size_t lkc__local_tracks_published(lkc__local_tracks_t *lt, Livekit__TrackPublishedResponse *out,
                                   Livekit__TrackInfo *infos, size_t max)
{
    size_t n = 0;
    for (guint i = 0; i < lt->tracks->len && n < max; i++) {
        lkc_track_t *t = g_ptr_array_index(lt->tracks, i);
        if (!t->sid[0] || !t->sender)
            continue;
        livekit__track_info__init(&infos[n]);
        infos[n].sid = t->sid;
        infos[n].type = LIVEKIT__TRACK_TYPE__AUDIO;
        infos[n].name = t->name;
        infos[n].source = (Livekit__TrackSource)t->source;
        infos[n].muted = atomic_load(&t->muted);
        infos[n].stereo = t->stereo;
        infos[n].disable_dtx = !t->dtx;
        livekit__track_published_response__init(&out[n]);
        out[n].cid = t->cid;
        out[n].track = &infos[n];
        n++;
    }
    return n;
}
