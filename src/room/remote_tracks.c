#include "room/remote_tracks.h"

#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "room/audio_receiver.h"
#include "room/events.h"

#define MOD "room.audio"

typedef struct remote {
    lkc_receiver_t *rx;
    /* who and what, kept from the subscribed event for the unsubscribed one (by then
     * the track or its participant may be gone from the model) */
    char *participant_sid, *identity, *name, *track_name;
    lkc_track_source_t source;
    bool announced;          /* on_track_subscribed was emitted */
} remote_t;

struct lkc__remote_tracks {
    lkc_room_t *room;
    lkc_model_t *model;
    lkc_media_clock_t *clock;
    lkc__remote_tracks_ports_t ports;
    GPtrArray *remotes;      /* remote_t*, one per receiving m-line */
    GHashTable *streams;     /* track sid -> GPtrArray of lkc_audio_stream_t* (engine refs) */
    GHashTable *origins;     /* track sid -> origin_t*: whose track the streams read */
    int64_t carry_until_us;  /* after a full reconnect: streams of a vanished track wait */
    int64_t last_prune_us;
};

/* Whose track a group of streams reads, so that after a full reconnect (ours, or the
 * publisher's own: it rejoined with a new sid and a new track sid) the streams go on with
 * its successor. */
typedef struct origin {
    char *identity;
    char *name;
    lkc_track_source_t source;
    int64_t vanished_us;     /* when its track left the model (0: it is there) */
} origin_t;

static void origin_free(gpointer p)
{
    origin_t *o = p;
    g_free(o->identity);
    g_free(o->name);
    g_free(o);
}

#define CARRY_US (15 * G_USEC_PER_SEC)

#define PRUNE_US 1000000

/* Streams the application destroyed are let go here too, not only when audio comes: a
 * silent or unsubscribed track would otherwise keep them (ring, resampler) until it ends. */
static void prune_detached(lkc__remote_tracks_t *m)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, m->streams);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        GPtrArray *a = value;
        for (guint i = a->len; i-- > 0;) {
            lkc_audio_stream_t *st = g_ptr_array_index(a, i);
            if (atomic_load(&st->detached)) {
                g_ptr_array_remove_index(a, i);
                lkc__audio_stream_unref(st);
            }
        }
    }
}

/* --- streams ------------------------------------------------------------------- */

static void streams_free(gpointer p)
{
    GPtrArray *a = p;
    for (guint i = 0; i < a->len; i++) {
        lkc_audio_stream_t *st = g_ptr_array_index(a, i);
        lkc__audio_stream_end(st);
        lkc__audio_stream_unref(st);
    }
    g_ptr_array_free(a, TRUE);
}

/* R7: every stream of `track_sid` ends. */
static void end_streams(lkc__remote_tracks_t *m, const char *track_sid)
{
    g_hash_table_remove(m->origins, track_sid);
    g_hash_table_remove(m->streams, track_sid); /* streams_free ends each */
}

typedef struct {
    lkc__remote_tracks_t *m;
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
            lkc__audio_stream_unref(st);
            continue;
        }
        lkc__audio_stream_deliver(st, pcm, samples, channels);
        i++;
    }
}

static void refresh_stream_stats(lkc__remote_tracks_t *m, const remote_t *r)
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

int lkc__remote_tracks_add_stream(lkc__remote_tracks_t *m, lkc_audio_stream_t *st)
{
    const lkc_track_info_t *t = NULL;
    if (!lkc__model_find_track(m->model, st->track_sid, &t) || !t)
        return LKC_ERR_NOT_FOUND;
    if (t->kind != LKC_TRACK_AUDIO)
        return LKC_ERR_INVALID_ARG;
    GPtrArray *a = g_hash_table_lookup(m->streams, st->track_sid);
    if (!a) {
        a = g_ptr_array_new();
        g_hash_table_insert(m->streams, g_strdup(st->track_sid), a);
        const lkc_participant_info_t *p = lkc__model_find_track(m->model, st->track_sid, NULL);
        origin_t *o = g_new0(origin_t, 1);
        o->identity = g_strdup(p ? p->identity : "");
        o->name = g_strdup(t->name ? t->name : "");
        o->source = t->source;
        g_hash_table_insert(m->origins, g_strdup(st->track_sid), o);
    }
    g_ptr_array_add(a, st);
    return LKC_OK;
}

int lkc__remote_tracks_set_subscribed(lkc__remote_tracks_t *m, const char *track_sid, bool subscribe)
{
    if (!lkc__model_find_track(m->model, track_sid, NULL))
        return LKC_ERR_NOT_FOUND;
    char *sids[1] = {(char *)track_sid};
    Livekit__UpdateSubscription us = LIVEKIT__UPDATE_SUBSCRIPTION__INIT;
    us.track_sids = sids;
    us.n_track_sids = 1;
    us.subscribe = subscribe;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_SUBSCRIPTION;
    req.subscription = &us;
    return m->ports.send_signal(m->ports.user, &req);
}

/* --- receivers ------------------------------------------------------------------- */

/* track_subscribed / track_unsubscribed. Subscriptions made while the room is still
 * connecting (the server's first offer carries the tracks already there) are announced
 * after on_connected: lkc__remote_tracks_on_model_changed() runs then. */
static void announce(lkc__remote_tracks_t *m, remote_t *r, bool subscribed)
{
    lkc_model_t *model = m->model;
    const char *sid = lkc_receiver_track_sid(r->rx);
    lkc__model_set_subscribed(model, sid, subscribed);
    const lkc_track_info_t *t = NULL;
    const lkc_participant_info_t *p = lkc__model_find_track(model, sid, &t);
    if (subscribed && !r->announced && p && t && atomic_load(&m->room->state) == LKC_STATE_CONNECTED) {
        r->announced = true;
        g_free(r->participant_sid);
        r->participant_sid = g_strdup(p->sid);
        r->identity = g_strdup(p->identity);
        r->name = g_strdup(p->name);
        r->track_name = g_strdup(t->name);
        r->source = t->source;
        lkc__events_track(m->room, LKC__TRACK_SUBSCRIBED, p, t);
    } else if (!subscribed && r->announced) {
        lkc_track_info_t gone = {.sid = sid, .name = r->track_name, .mime_type = "audio/opus",
                                 .kind = LKC_TRACK_AUDIO, .source = r->source};
        lkc_participant_info_t who = {.sid = r->participant_sid, .identity = r->identity, .name = r->name,
                                      .metadata = ""};
        if (p && t)
            lkc__events_track(m->room, LKC__TRACK_UNSUBSCRIBED, p, t);
        else
            lkc__events_track(m->room, LKC__TRACK_UNSUBSCRIBED, &who, &gone);
    }
}

static void remote_end(lkc__remote_tracks_t *m, remote_t *r)
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

static remote_t *remote_by_mid(lkc__remote_tracks_t *m, const char *mid)
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

void lkc__remote_tracks_on_offer(lkc__remote_tracks_t *m, lkc_peer_t *sub, const Livekit__SessionDescription *sd)
{
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
            const lkc_participant_info_t *p = lkc__model_find_track(m->model, sid, NULL);
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

/* A track in the model from the same participant identity with the same name and source
 * that no stream group reads yet: where streams of a vanished track go on. */
static const char *successor(lkc__remote_tracks_t *m, const origin_t *o)
{
    const lkc_participant_info_t *p = lkc__model_find_identity(m->model, o->identity);
    for (size_t k = 0; p && k < p->n_tracks; k++) {
        const lkc_track_info_t *t = &p->tracks[k];
        if (t->kind == LKC_TRACK_AUDIO && t->source == o->source && strcmp(t->name, o->name) == 0 &&
            !g_hash_table_contains(m->streams, t->sid))
            return t->sid;
    }
    return NULL;
}

/* Streams whose track is gone: after a full reconnect of ours, or while the publisher is
 * in the room again under its identity (it rejoined: its new track may come a moment
 * later), they move to the track's successor or wait for it a while; otherwise (the
 * publisher left, or the wait is over) they end (R7). */
static void settle_vanished_streams(lkc__remote_tracks_t *m, int64_t now)
{
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, m->streams);
    GPtrArray *gone = g_ptr_array_new_with_free_func(g_free);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (!lkc__model_find_track(m->model, key, NULL))
            g_ptr_array_add(gone, g_strdup(key));
    for (guint i = 0; i < gone->len; i++) {
        const char *old_sid = g_ptr_array_index(gone, i);
        origin_t *o = g_hash_table_lookup(m->origins, old_sid);
        bool ours = now < m->carry_until_us, theirs = false;
        if (o) {
            if (!o->vanished_us)
                o->vanished_us = now;
            theirs = now < o->vanished_us + CARRY_US && lkc__model_find_identity(m->model, o->identity);
        }
        const char *next = o && (ours || theirs) ? successor(m, o) : NULL;
        if (next) {
            o->vanished_us = 0;
            gpointer old_key, streams, origin;
            g_hash_table_steal_extended(m->streams, old_sid, &old_key, &streams);
            g_free(old_key);
            g_hash_table_steal_extended(m->origins, old_sid, &old_key, &origin);
            g_free(old_key);
            GPtrArray *a = streams;
            for (guint k = 0; k < a->len; k++) {
                lkc_audio_stream_t *st = g_ptr_array_index(a, k);
                g_strlcpy(st->track_sid, next, sizeof st->track_sid);
            }
            g_hash_table_insert(m->streams, g_strdup(next), a);
            g_hash_table_insert(m->origins, g_strdup(next), origin);
            LKC_LOGI(MOD, "streams of %s go on with %s (its publisher rejoined)", old_sid, next);
        } else if (!ours && !theirs) {
            end_streams(m, old_sid);
        }
    }
    g_ptr_array_unref(gone);
}

void lkc__remote_tracks_reset(lkc__remote_tracks_t *m)
{
    for (guint i = m->remotes->len; i-- > 0;) {
        remote_t *r = g_ptr_array_index(m->remotes, i);
        announce(m, r, false);
        g_ptr_array_remove_index(m->remotes, i); /* the streams stay */
    }
    m->carry_until_us = lkc_mono_us() + CARRY_US;
}

void lkc__remote_tracks_on_model_changed(lkc__remote_tracks_t *m)
{
    lkc_model_t *model = m->model;
    /* receivers whose track just became known: announce them now */
    for (guint i = 0; i < m->remotes->len; i++) {
        remote_t *r = g_ptr_array_index(m->remotes, i);
        if (!r->announced && lkc__model_find_track(model, lkc_receiver_track_sid(r->rx), NULL))
            announce(m, r, true);
    }
    settle_vanished_streams(m, lkc_mono_us());
    for (guint i = m->remotes->len; i-- > 0;) {
        remote_t *r = g_ptr_array_index(m->remotes, i);
        if (r->announced && !lkc__model_find_track(model, lkc_receiver_track_sid(r->rx), NULL))
            remote_end(m, r);
    }
}

void lkc__remote_tracks_on_rtp(lkc__remote_tracks_t *m, const char *mid, uint8_t *pkt, size_t len)
{
    remote_t *r = remote_by_mid(m, mid);
    if (!r)
        return;
    lkc_receiver_push(r->rx, pkt, len, lkc_mono_us());
    lkc_media_clock_schedule(m->clock, lkc_receiver_next_due(r->rx)); /* a first packet starts playout */
}

void lkc__remote_tracks_on_rtcp(lkc__remote_tracks_t *m, uint8_t *pkt, size_t len)
{
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


int64_t lkc__remote_tracks_run(lkc__remote_tracks_t *m, int64_t now)
{
    int64_t next = LKC_MEDIA_CLOCK_NEVER;
    if (now - m->last_prune_us >= PRUNE_US) {
        m->last_prune_us = now;
        prune_detached(m);
        settle_vanished_streams(m, now); /* streams waiting for a successor */
        if (now >= m->carry_until_us)
            m->carry_until_us = 0;
    }
    for (guint i = 0; i < m->remotes->len; i++) {
        remote_t *r = g_ptr_array_index(m->remotes, i);
        deliver_ctx_t d = {m, lkc_receiver_track_sid(r->rx), r->rx};
        lkc_receiver_tick(r->rx, now, deliver, &d);
        refresh_stream_stats(m, r);
        next = MIN(next, lkc_receiver_next_due(r->rx));
    }
    return next;
}

size_t lkc__remote_tracks_report_blocks(lkc__remote_tracks_t *m, int64_t now, lkc_rtcp_report_block_t *rb, size_t max)
{
    size_t n = 0;
    for (guint i = 0; i < m->remotes->len && n < max; i++)
        if (lkc_receiver_report(((remote_t *)g_ptr_array_index(m->remotes, i))->rx, now, &rb[n]))
            n++;
    return n;
}

lkc__remote_tracks_t *lkc__remote_tracks_new(lkc_room_t *room, lkc_model_t *model, lkc_media_clock_t *clock,
                                             const lkc__remote_tracks_ports_t *ports)
{
    lkc__remote_tracks_t *m = g_new0(lkc__remote_tracks_t, 1);
    m->room = room;
    m->model = model;
    m->clock = clock;
    m->ports = *ports;
    m->remotes = g_ptr_array_new_with_free_func(remote_free);
    m->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, streams_free);
    m->origins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, origin_free);
    return m;
}

void lkc__remote_tracks_free(lkc__remote_tracks_t *m)
{
    if (!m)
        return;
    g_hash_table_destroy(m->streams); /* R7: every stream ends */
    g_hash_table_destroy(m->origins);
    g_ptr_array_unref(m->remotes);
    g_free(m);
}
