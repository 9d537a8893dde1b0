#include "room/media.h"

#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/rand.h"
#include "room/audio_receiver.h"
#include "room/audio_sender.h"
#include "room/media_clock.h"
#include "room/model.h"
#include "room/transport.h"
#include "rtc/srtp.h"

#define MOD "room.audio"
#define REPORT_US 1000000

typedef struct remote {
    lkc_receiver_t *rx;
    /* who and what, kept from the subscribed event for the unsubscribed one (by then
     * the track or its participant may be gone from the model) */
    char *participant_sid, *identity, *name, *track_name;
    lkc_track_source_t source;
    bool announced;          /* on_track_subscribed was emitted */
} remote_t;

struct lkc_media {
    lkc_session_t *s;
    lkc_room_t *room;
    GPtrArray *tracks;       /* lkc_track_t* (engine references), ours */
    GPtrArray *remotes;      /* remote_t*, one per receiving m-line */
    GHashTable *streams;     /* track sid -> GPtrArray of lkc_audio_stream_t* (engine refs) */
    lkc_media_clock_t *clock;
    int64_t last_report_us;
    uint32_t rr_ssrc;
    char cname[32];
};

/* --- streams ------------------------------------------------------------------- */

static void streams_free(gpointer p)
{
    GPtrArray *a = p;
    for (guint i = 0; i < a->len; i++) {
        lkc_audio_stream_t *st = g_ptr_array_index(a, i);
        lkc_audio_stream_end(st);
        lkc_audio_stream_unref(st);
    }
    g_ptr_array_free(a, TRUE);
}

/* R7: every stream of `track_sid` ends. */
static void end_streams(lkc_media_t *m, const char *track_sid)
{
    g_hash_table_remove(m->streams, track_sid); /* streams_free ends each */
}

typedef struct {
    lkc_media_t *m;
    const char *track_sid;
    const lkc_receiver_t *rx;
} deliver_ctx_t;

static void deliver(void *user, const int16_t *pcm, size_t samples, int channels)
{
    deliver_ctx_t *d = user;
    GPtrArray *a = g_hash_table_lookup(d->m->streams, d->track_sid);
    for (guint i = 0; a && i < a->len;) {
        lkc_audio_stream_t *st = g_ptr_array_index(a, i);
        if (atomic_load(&st->detached)) { /* the application let go */
            g_ptr_array_remove_index(a, i);
            lkc_audio_stream_unref(st);
            continue;
        }
        lkc_audio_stream_deliver(st, pcm, samples, channels);
        i++;
    }
}

static void refresh_stream_stats(lkc_media_t *m, const remote_t *r)
{
    GPtrArray *a = g_hash_table_lookup(m->streams, lkc_receiver_track_sid(r->rx));
    if (!a || a->len == 0)
        return;
    lkc_audio_stream_stats_t st = {0};
    lkc_receiver_stats(r->rx, &st);
    for (guint i = 0; i < a->len; i++) {
        lkc_audio_stream_t *s = g_ptr_array_index(a, i);
        pthread_mutex_lock(&s->stats_lock);
        s->stats = st;
        pthread_mutex_unlock(&s->stats_lock);
    }
}

typedef struct {
    lkc_audio_stream_t *stream;
} register_call_t;

static void register_free(gpointer p)
{
    register_call_t *c = p;
    if (c->stream)
        lkc_audio_stream_unref(c->stream);
    g_free(c);
}

static int register_on_engine(lkc_engine_t *e, void *data)
{
    register_call_t *c = data;
    lkc_session_t *s = lkc_engine_session(e);
    lkc_media_t *m = s ? lkc_session_media(s) : NULL;
    if (!m || lkc_room_state(m->room) != LKC_STATE_CONNECTED)
        return LKC_ERR_STATE;
    const lkc_track_info_t *t = NULL;
    if (!lkc_model_find_track(lkc_session_model(s), c->stream->track_sid, &t) || !t)
        return LKC_ERR_NOT_FOUND;
    if (t->kind != LKC_TRACK_AUDIO)
        return LKC_ERR_INVALID_ARG;
    GPtrArray *a = g_hash_table_lookup(m->streams, c->stream->track_sid);
    if (!a) {
        a = g_ptr_array_new();
        g_hash_table_insert(m->streams, g_strdup(c->stream->track_sid), a);
    }
    g_ptr_array_add(a, c->stream); /* the call's reference becomes the engine's */
    c->stream = NULL;
    return LKC_OK;
}

int lkc_media_register_stream(lkc_room_t *room, lkc_audio_stream_t *st)
{
    register_call_t *c = g_new0(register_call_t, 1);
    c->stream = lkc_audio_stream_ref(st);
    return lkc_room_call(room, register_on_engine, c, register_free, NULL, NULL, 5000);
}

/* --- receivers ------------------------------------------------------------------- */

/* track_subscribed / track_unsubscribed. Subscriptions made while the room is still
 * connecting (the server's first offer carries the tracks already there) are announced
 * after on_connected: lkc_media_on_model_changed() runs then. */
static void announce(lkc_media_t *m, remote_t *r, bool subscribed)
{
    lkc_model_t *model = lkc_session_model(m->s);
    const char *sid = lkc_receiver_track_sid(r->rx);
    lkc_model_set_subscribed(model, sid, subscribed);
    const lkc_track_info_t *t = NULL;
    const lkc_participant_info_t *p = lkc_model_find_track(model, sid, &t);
    if (subscribed && !r->announced && p && t && lkc_room_state(m->room) == LKC_STATE_CONNECTED) {
        r->announced = true;
        g_free(r->participant_sid);
        r->participant_sid = g_strdup(p->sid);
        r->identity = g_strdup(p->identity);
        r->name = g_strdup(p->name);
        r->track_name = g_strdup(t->name);
        r->source = t->source;
        LKC_EMIT(m->room, on_track_subscribed, p, t);
    } else if (!subscribed && r->announced) {
        lkc_track_info_t gone = {.sid = sid, .name = r->track_name, .mime_type = "audio/opus",
                                 .kind = LKC_TRACK_AUDIO, .source = r->source};
        lkc_participant_info_t who = {.sid = r->participant_sid, .identity = r->identity, .name = r->name,
                                      .metadata = ""};
        if (p && t)
            LKC_EMIT(m->room, on_track_unsubscribed, p, t);
        else
            LKC_EMIT(m->room, on_track_unsubscribed, &who, &gone);
    }
}

static void remote_end(lkc_media_t *m, remote_t *r)
{
    const char *sid = lkc_receiver_track_sid(r->rx);
    LKC_LOGD(MOD, "no longer receiving %s (mid %s)", sid, lkc_receiver_mid(r->rx));
    announce(m, r, false);
    end_streams(m, sid);
    g_ptr_array_remove(m->remotes, r);
}

static void remote_free(gpointer p)
{
    remote_t *r = p;
    lkc_receiver_free(r->rx);
    g_free(r->participant_sid);
    g_free(r->identity);
    g_free(r->name);
    g_free(r->track_name);
    g_free(r);
}

static remote_t *remote_by_mid(lkc_media_t *m, const char *mid)
{
    for (guint i = 0; mid && i < m->remotes->len; i++) {
        remote_t *r = g_ptr_array_index(m->remotes, i);
        if (strcmp(lkc_receiver_mid(r->rx), mid) == 0)
            return r;
    }
    return NULL;
}

static const char *map_lookup(const Livekit__SessionDescription *sd, const char *mid)
{
    for (size_t i = 0; sd && i < sd->n_mid_to_track_id; i++)
        if (sd->mid_to_track_id[i]->key && strcmp(sd->mid_to_track_id[i]->key, mid) == 0)
            return sd->mid_to_track_id[i]->value;
    return NULL;
}

void lkc_media_on_subscriber_offer(lkc_media_t *m, const Livekit__SessionDescription *sd)
{
    lkc_peer_t *sub = lkc_transport_subscriber(lkc_session_transport(m->s));
    GHashTable *live = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; i < lkc_peer_audio_count(sub); i++) {
        const lkc_peer_audio_t *a = lkc_peer_audio_at(sub, i);
        if (!a->active)
            continue;
        const char *sid = map_lookup(sd, a->mid);
        if (!sid)
            sid = a->track_id;
        if (!sid || !*sid)
            continue;
        remote_t *r = remote_by_mid(m, a->mid);
        if (r && (strcmp(lkc_receiver_track_sid(r->rx), sid) != 0 || lkc_receiver_ssrc(r->rx) != a->ssrc)) {
            remote_end(m, r); /* the m-line was reused for another track */
            r = NULL;
        }
        if (!r) {
            lkc_receiver_t *rx = lkc_receiver_new(sid, a->mid, a->ssrc, a->stereo, a->audio_level_ext);
            if (!rx)
                continue;
            r = g_new0(remote_t, 1);
            r->rx = rx;
            const lkc_participant_info_t *p = lkc_model_find_track(lkc_session_model(m->s), sid, NULL);
            r->participant_sid = p ? g_strdup(p->sid) : NULL;
            g_ptr_array_add(m->remotes, r);
            LKC_LOGD(MOD, "receiving %s on mid %s (ssrc %u%s)", sid, a->mid, a->ssrc, a->stereo ? ", stereo" : "");
            announce(m, r, true);
        }
        g_hash_table_add(live, (gpointer)lkc_receiver_mid(r->rx));
    }
    for (guint i = m->remotes->len; i-- > 0;) {
        remote_t *r = g_ptr_array_index(m->remotes, i);
        if (!g_hash_table_contains(live, lkc_receiver_mid(r->rx)))
            remote_end(m, r);
    }
    g_hash_table_destroy(live);
}

void lkc_media_on_model_changed(lkc_media_t *m)
{
    lkc_model_t *model = lkc_session_model(m->s);
    /* receivers whose track just became known: announce them now */
    for (guint i = 0; i < m->remotes->len; i++) {
        remote_t *r = g_ptr_array_index(m->remotes, i);
        if (!r->announced && lkc_model_find_track(model, lkc_receiver_track_sid(r->rx), NULL))
            announce(m, r, true);
    }
    /* tracks that are gone (unpublished, participant left): their streams end */
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, m->streams);
    GPtrArray *gone = g_ptr_array_new_with_free_func(g_free);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!lkc_model_find_track(model, key, NULL))
            g_ptr_array_add(gone, g_strdup(key));
    for (guint i = 0; i < gone->len; i++)
        end_streams(m, g_ptr_array_index(gone, i));
    g_ptr_array_unref(gone);
    for (guint i = m->remotes->len; i-- > 0;) {
        remote_t *r = g_ptr_array_index(m->remotes, i);
        if (r->announced && !lkc_model_find_track(model, lkc_receiver_track_sid(r->rx), NULL))
            remote_end(m, r);
    }
}

void lkc_media_on_rtp(lkc_media_t *m, const char *mid, uint8_t *pkt, size_t len)
{
    remote_t *r = remote_by_mid(m, mid);
    if (!r)
        return;
    lkc_receiver_push(r->rx, pkt, len, lkc_mono_us());
    lkc_media_clock_schedule(m->clock, lkc_receiver_next_due(r->rx)); /* a first packet starts playout */
}

void lkc_media_on_rtcp(lkc_media_t *m, bool subscriber, uint8_t *pkt, size_t len)
{
    if (!subscriber)
        return; /* receiver reports about our audio: nothing to act on yet */
    lkc_rtcp_item_t items[8];
    int n = lkc_rtcp_parse(pkt, len, items, G_N_ELEMENTS(items));
    for (int i = 0; i < n; i++) {
        if (items[i].kind != LKC_RTCP_ITEM_SR)
            continue;
        for (guint k = 0; k < m->remotes->len; k++) {
            remote_t *r = g_ptr_array_index(m->remotes, k);
            if (lkc_receiver_ssrc(r->rx) == items[i].ssrc)
                lkc_receiver_on_sr(r->rx, items[i].sender.ntp, lkc_mono_us());
        }
    }
}

/* --- publications ------------------------------------------------------------------ */

static lkc_track_t *track_by_cid(lkc_media_t *m, const char *cid)
{
    for (guint i = 0; cid && i < m->tracks->len; i++) {
        lkc_track_t *t = g_ptr_array_index(m->tracks, i);
        if (strcmp(t->cid, cid) == 0)
            return t;
    }
    return NULL;
}

void lkc_media_add_track(lkc_media_t *m, lkc_track_t *t)
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
    Livekit__AudioTrackFeature features[2];
    size_t nf = 0;
    if (t->stereo)
        features[nf++] = LIVEKIT__AUDIO_TRACK_FEATURE__TF_STEREO;
    if (!t->dtx)
        features[nf++] = LIVEKIT__AUDIO_TRACK_FEATURE__TF_NO_DTX;
    at.audio_features = features;
    at.n_audio_features = nf;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_ADD_TRACK;
    req.add_track = &at;
    g_ptr_array_add(m->tracks, lkc_track_ref(t));
    if (lkc_session_send(m->s, &req) != LKC_OK) {
        lkc_track_publish_done(t, LKC_ERR_STATE);
        g_ptr_array_remove(m->tracks, t);
        lkc_track_unref(t);
    }
}

void lkc_media_on_track_published(lkc_media_t *m, const Livekit__TrackPublishedResponse *r)
{
    lkc_track_t *t = track_by_cid(m, r->cid);
    if (!t || !r->track || !r->track->sid || t->sender)
        return;
    pthread_mutex_lock(&t->lock);
    g_strlcpy(t->sid, r->track->sid, sizeof t->sid);
    bool abandoned = t->abandoned;
    pthread_mutex_unlock(&t->lock);
    if (abandoned) { /* the caller stopped waiting: undo */
        lkc_media_remove_track(m, t);
        return;
    }
    lkc_peer_t *pub = lkc_transport_publisher(lkc_session_transport(m->s));
    uint32_t ssrc;
    do
        ssrc = lkc_random_u32();
    while (ssrc == 0);
    t->sender = lkc_sender_new(t, ssrc, m->clock);
    lkc_media_clock_poke(m->clock);
    const lkc_participant_info_t *me = lkc_model_local(lkc_session_model(m->s));
    int rc = t->sender ? lkc_peer_add_audio_sender(pub, me ? me->sid : "lkc", t->cid, ssrc, t->stereo, &t->mid)
                       : LKC_ERR_NO_MEMORY;
    if (rc == LKC_OK)
        rc = lkc_peer_negotiate(pub);
    LKC_LOGI(MOD, "published %s as %s (mid %s)", t->cid, t->sid, t->mid ? t->mid : "?");
    lkc_track_publish_done(t, rc);
}

void lkc_media_on_request_response(lkc_media_t *m, const Livekit__RequestResponse *r)
{
    if (r->request_case != LIVEKIT__REQUEST_RESPONSE__REQUEST_ADD_TRACK || !r->add_track ||
        r->reason == LIVEKIT__REQUEST_RESPONSE__REASON__OK)
        return;
    lkc_track_t *t = track_by_cid(m, r->add_track->cid);
    if (!t || t->sender)
        return;
    LKC_LOGW(MOD, "the server refused to publish %s: %s", t->cid, r->message ? r->message : "");
    lkc_track_publish_done(t, r->reason == LIVEKIT__REQUEST_RESPONSE__REASON__NOT_ALLOWED ? LKC_ERR_STATE
                                                                                           : LKC_ERR_PROTOCOL);
    g_ptr_array_remove(m->tracks, t);
    lkc_track_unref(t);
}

void lkc_media_remove_track(lkc_media_t *m, lkc_track_t *t)
{
    if (!g_ptr_array_find(m->tracks, t, NULL))
        return;
    if (t->mid) {
        lkc_peer_t *pub = lkc_transport_publisher(lkc_session_transport(m->s));
        lkc_peer_remove_audio_sender(pub, t->mid);
        lkc_peer_negotiate(pub); /* the server unpublishes the track it no longer receives */
    }
    lkc_sender_free(t->sender);
    t->sender = NULL;
    t->unpublished = true;
    g_ptr_array_remove(m->tracks, t);
    lkc_track_unref(t);
}

void lkc_media_on_track_unpublished(lkc_media_t *m, const char *track_sid)
{
    for (guint i = 0; track_sid && i < m->tracks->len; i++) {
        lkc_track_t *t = g_ptr_array_index(m->tracks, i);
        if (strcmp(t->sid, track_sid) == 0) {
            LKC_LOGW(MOD, "the server unpublished our track %s", track_sid);
            lkc_media_remove_track(m, t);
            return;
        }
    }
}

void lkc_media_send_mute(lkc_media_t *m, lkc_track_t *t)
{
    if (!t->sid[0])
        return;
    Livekit__MuteTrackRequest mr = LIVEKIT__MUTE_TRACK_REQUEST__INIT;
    mr.sid = t->sid;
    mr.muted = atomic_load(&t->muted);
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_MUTE;
    req.mute = &mr;
    lkc_session_send(m->s, &req);
}

/* --- the media clock ------------------------------------------------------------- */

static void send_reports(lkc_media_t *m, int64_t now)
{
    lkc_transport_t *tr = lkc_session_transport(m->s);
    for (guint i = 0; i < m->tracks->len; i++) {
        lkc_track_t *t = g_ptr_array_index(m->tracks, i);
        if (t->sender)
            lkc_sender_send_report(t->sender, lkc_transport_publisher(tr), now);
    }
    lkc_rtcp_report_block_t rb[16];
    size_t n = 0;
    for (guint i = 0; i < m->remotes->len && n < G_N_ELEMENTS(rb); i++)
        if (lkc_receiver_report(((remote_t *)g_ptr_array_index(m->remotes, i))->rx, now, &rb[n]))
            n++;
    if (n == 0)
        return;
    lkc_rtcp_compound_t c = {.ssrc = m->rr_ssrc, .rb = rb, .rb_count = n, .cname = m->cname};
    uint8_t buf[1024 + LKC_SRTP_MAX_OVERHEAD];
    int len = lkc_rtcp_build_compound(buf, sizeof buf - LKC_SRTP_MAX_OVERHEAD, &c);
    if (len > 0)
        lkc_peer_send_rtcp(lkc_transport_subscriber(tr), buf, (size_t)len, sizeof buf);
}

/* Runs what is due: senders with frames, receivers at their playout times, reports once
 * a second; returns the earliest time anything is due next. */
static int64_t on_clock(void *data, int64_t now)
{
    lkc_media_t *m = data;
    lkc_transport_t *tr = lkc_session_transport(m->s);
    /* The report cadence advances with or without a transport: a deadline left in the
     * past would make this high-priority source ready forever and starve the rest. */
    bool report = now - m->last_report_us >= REPORT_US;
    if (report)
        m->last_report_us = now;
    int64_t next = m->last_report_us + REPORT_US;
    if (!tr)
        return next;
    lkc_peer_t *pub = lkc_transport_publisher(tr);
    for (guint i = 0; i < m->tracks->len; i++) {
        lkc_track_t *t = g_ptr_array_index(m->tracks, i);
        if (t->sender) {
            int64_t due = lkc_sender_run(t->sender, pub, lkc_peer_audio_by_mid(pub, t->mid), now);
            next = MIN(next, due);
        }
    }
    for (guint i = 0; i < m->remotes->len; i++) {
        remote_t *r = g_ptr_array_index(m->remotes, i);
        deliver_ctx_t d = {m, lkc_receiver_track_sid(r->rx), r->rx};
        lkc_receiver_tick(r->rx, now, deliver, &d);
        refresh_stream_stats(m, r);
        next = MIN(next, lkc_receiver_next_due(r->rx));
    }
    if (report)
        send_reports(m, now);
    return next;
}

/* --- life ------------------------------------------------------------------------- */

lkc_media_t *lkc_media_new(lkc_session_t *s)
{
    lkc_media_t *m = g_new0(lkc_media_t, 1);
    m->s = s;
    m->room = lkc_session_room(s);
    m->tracks = g_ptr_array_new();
    m->remotes = g_ptr_array_new_with_free_func(remote_free);
    m->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, streams_free);
    do
        m->rr_ssrc = lkc_random_u32();
    while (m->rr_ssrc == 0);
    g_snprintf(m->cname, sizeof m->cname, "lkc-%08x", m->rr_ssrc);
    m->last_report_us = lkc_mono_us();
    m->clock = lkc_media_clock_new(lkc_session_context(s), on_clock, m);
    return m;
}

void lkc_media_free(lkc_media_t *m)
{
    if (!m)
        return;
    for (guint i = 0; i < m->tracks->len; i++) {
        lkc_track_t *t = g_ptr_array_index(m->tracks, i);
        lkc_track_publish_done(t, LKC_ERR_CLOSED); /* a publish still waiting fails */
        lkc_sender_free(t->sender); /* no more pokes of the clock */
        t->sender = NULL;
        t->unpublished = true;
        lkc_track_unref(t);
    }
    g_ptr_array_free(m->tracks, TRUE);
    lkc_media_clock_free(m->clock);
    g_hash_table_destroy(m->streams); /* R7: every stream ends */
    g_ptr_array_unref(m->remotes);
    g_free(m);
}
