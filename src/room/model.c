#include "room/model.h"

#include <string.h>

#include "base/log.h"
#include "room/events.h"

#define MOD "room"

struct lkc_model {
    lkc_room_t *room;
    GHashTable *versions; /* sid -> ParticipantInfo.version (engine thread only) */
    uint32_t local_version; /* ours, likewise: an older update of ourselves is ignored */
    bool announced;
};

/* --- deep copies ------------------------------------------------------------------ */

static void track_clear(lkc_track_info_t *t)
{
    g_free((char *)t->sid);
    g_free((char *)t->name);
    g_free((char *)t->mime_type);
}

static void participant_clear(lkc_participant_info_t *p)
{
    g_free((char *)p->sid);
    g_free((char *)p->identity);
    g_free((char *)p->name);
    g_free((char *)p->metadata);
    for (size_t i = 0; i < p->n_attributes; i++) {
        g_free((char *)p->attributes[i].key);
        g_free((char *)p->attributes[i].value);
    }
    g_free((lkc_kv_t *)p->attributes);
    for (size_t i = 0; i < p->n_tracks; i++)
        track_clear((lkc_track_info_t *)&p->tracks[i]);
    g_free((lkc_track_info_t *)p->tracks);
    memset(p, 0, sizeof *p);
}

void lkc_participant_info_free(lkc_participant_info_t *p)
{
    if (!p)
        return;
    participant_clear(p);
    g_free(p);
}

void lkc_participant_list_free(lkc_participant_list_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        participant_clear(&list->items[i]);
    g_free(list->items);
    g_free(list);
}

void lkc_room_info_free(lkc_room_info_t *r)
{
    if (!r)
        return;
    g_free((char *)r->name);
    g_free((char *)r->sid);
    g_free((char *)r->metadata);
    g_free(r);
}

static void participant_copy_into(lkc_participant_info_t *dst, const lkc_participant_info_t *p)
{
    *dst = *p;
    dst->sid = g_strdup(p->sid);
    dst->identity = g_strdup(p->identity);
    dst->name = g_strdup(p->name);
    dst->metadata = g_strdup(p->metadata);
    lkc_kv_t *kv = g_new0(lkc_kv_t, p->n_attributes ? p->n_attributes : 1);
    for (size_t i = 0; i < p->n_attributes; i++) {
        kv[i].key = g_strdup(p->attributes[i].key);
        kv[i].value = g_strdup(p->attributes[i].value);
    }
    dst->attributes = kv;
    lkc_track_info_t *tr = g_new0(lkc_track_info_t, p->n_tracks ? p->n_tracks : 1);
    for (size_t i = 0; i < p->n_tracks; i++) {
        tr[i] = p->tracks[i];
        tr[i].sid = g_strdup(p->tracks[i].sid);
        tr[i].name = g_strdup(p->tracks[i].name);
        tr[i].mime_type = g_strdup(p->tracks[i].mime_type);
    }
    dst->tracks = tr;
}

lkc_participant_info_t *lkc__participant_dup(const lkc_participant_info_t *p)
{
    if (!p)
        return NULL;
    lkc_participant_info_t *d = g_new0(lkc_participant_info_t, 1);
    participant_copy_into(d, p);
    return d;
}

lkc_room_info_t *lkc__room_info_dup(const lkc_room_info_t *r)
{
    if (!r)
        return NULL;
    lkc_room_info_t *d = g_new0(lkc_room_info_t, 1);
    *d = *r;
    d->name = g_strdup(r->name);
    d->sid = g_strdup(r->sid);
    d->metadata = g_strdup(r->metadata);
    return d;
}

/* --- public getters (any thread) ------------------------------------------------- */

lkc_err_t lkc_room_get_info(lkc_room_t *room, lkc_room_info_t **out)
{
    if (!room || !out)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&room->lock);
    *out = lkc__room_info_dup(room->info);
    pthread_mutex_unlock(&room->lock);
    return *out ? LKC_OK : LKC_ERR_STATE;
}

lkc_err_t lkc_room_get_local_participant(lkc_room_t *room, lkc_participant_info_t **out)
{
    if (!room || !out)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&room->lock);
    *out = lkc__participant_dup(room->local);
    pthread_mutex_unlock(&room->lock);
    return *out ? LKC_OK : LKC_ERR_STATE;
}

lkc_err_t lkc_room_get_participants(lkc_room_t *room, lkc_participant_list_t **out)
{
    if (!room || !out)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&room->lock);
    if (!room->info) {
        pthread_mutex_unlock(&room->lock);
        *out = NULL;
        return LKC_ERR_STATE;
    }
    lkc_participant_list_t *l = g_new0(lkc_participant_list_t, 1);
    l->n = room->remotes ? room->remotes->len : 0;
    l->items = g_new0(lkc_participant_info_t, l->n ? l->n : 1);
    for (size_t i = 0; i < l->n; i++)
        participant_copy_into(&l->items[i], g_ptr_array_index(room->remotes, i));
    pthread_mutex_unlock(&room->lock);
    *out = l;
    return LKC_OK;
}

/* --- from the wire ---------------------------------------------------------------- */

static lkc_room_info_t *room_from_proto(const Livekit__Room *r)
{
    lkc_room_info_t *d = g_new0(lkc_room_info_t, 1);
    d->name = g_strdup(r && r->name ? r->name : "");
    d->sid = g_strdup(r && r->sid ? r->sid : "");
    d->metadata = g_strdup(r && r->metadata ? r->metadata : "");
    d->num_participants = r ? r->num_participants : 0;
    d->num_publishers = r ? r->num_publishers : 0;
    return d;
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

static lkc_participant_info_t *participant_from_proto(const Livekit__ParticipantInfo *p, bool is_local)
{
    lkc_participant_info_t *d = g_new0(lkc_participant_info_t, 1);
    d->sid = g_strdup(str_or_empty(p->sid));
    d->identity = g_strdup(str_or_empty(p->identity));
    d->name = g_strdup(str_or_empty(p->name));
    d->metadata = g_strdup(str_or_empty(p->metadata));
    d->kind = (lkc_participant_kind_t)p->kind;
    d->state = (lkc_participant_state_t)p->state;
    d->is_local = is_local;
    d->client_protocol = p->client_protocol;
    for (size_t i = 0; i < p->n_capabilities; i++)
        if (p->capabilities[i] > 0 && p->capabilities[i] < 32)
            d->capabilities |= 1u << p->capabilities[i];
    if (p->permission) {
        d->permissions.can_subscribe = p->permission->can_subscribe;
        d->permissions.can_publish = p->permission->can_publish;
        d->permissions.can_publish_data = p->permission->can_publish_data;
        d->permissions.can_update_metadata = p->permission->can_update_metadata;
        d->permissions.hidden = p->permission->hidden;
    }
    d->n_attributes = p->n_attributes;
    lkc_kv_t *kv = g_new0(lkc_kv_t, p->n_attributes ? p->n_attributes : 1);
    for (size_t i = 0; i < p->n_attributes; i++) {
        kv[i].key = g_strdup(str_or_empty(p->attributes[i]->key));
        kv[i].value = g_strdup(str_or_empty(p->attributes[i]->value));
    }
    d->attributes = kv;
    d->n_tracks = p->n_tracks;
    lkc_track_info_t *tr = g_new0(lkc_track_info_t, p->n_tracks ? p->n_tracks : 1);
    for (size_t i = 0; i < p->n_tracks; i++) {
        const Livekit__TrackInfo *t = p->tracks[i];
        tr[i].sid = g_strdup(str_or_empty(t->sid));
        tr[i].name = g_strdup(str_or_empty(t->name));
        tr[i].mime_type = g_strdup(str_or_empty(t->mime_type));
        tr[i].kind = (lkc_track_kind_t)t->type;
        tr[i].source = (lkc_track_source_t)t->source;
        tr[i].muted = t->muted;
        tr[i].stereo = t->stereo;
    }
    d->tracks = tr;
    return d;
}

/* --- the registry ------------------------------------------------------------------ */

lkc_model_t *lkc__model_new(lkc_room_t *room)
{
    lkc_model_t *m = g_new0(lkc_model_t, 1);
    m->room = room;
    m->versions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    pthread_mutex_lock(&room->lock);
    if (!room->remotes)
        room->remotes = g_ptr_array_new_with_free_func((GDestroyNotify)lkc_participant_info_free);
    pthread_mutex_unlock(&room->lock);
    return m;
}

void lkc__model_free(lkc_model_t *m)
{
    if (!m)
        return;
    /* The room keeps its last model readable after the session ends (who was there,
     * why we left) until the next connect replaces it. */
    g_hash_table_destroy(m->versions);
    g_free(m);
}

static int remote_index(const lkc_model_t *m, const char *sid)
{
    GPtrArray *a = m->room->remotes;
    for (guint i = 0; i < a->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(a, i);
        if (strcmp(p->sid, sid) == 0)
            return (int)i;
    }
    return -1;
}

const lkc_participant_info_t *lkc__model_local(const lkc_model_t *m)
{
    return m->room->local;
}

const lkc_participant_info_t *lkc__model_find_sid(const lkc_model_t *m, const char *sid)
{
    if (!sid)
        return NULL;
    if (m->room->local && strcmp(m->room->local->sid, sid) == 0)
        return m->room->local;
    int i = remote_index(m, sid);
    return i < 0 ? NULL : g_ptr_array_index(m->room->remotes, i);
}

const lkc_participant_info_t *lkc__model_find_identity(const lkc_model_t *m, const char *identity)
{
    GPtrArray *a = m->room->remotes;
    for (guint i = 0; identity && i < a->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(a, i);
        if (strcmp(p->identity, identity) == 0)
            return p;
    }
    return NULL;
}

const lkc_participant_info_t *lkc__model_find_track(const lkc_model_t *m, const char *track_sid,
                                                   const lkc_track_info_t **track)
{
    GPtrArray *a = m->room->remotes;
    for (guint i = 0; track_sid && i < a->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(a, i);
        for (size_t k = 0; k < p->n_tracks; k++) {
            if (strcmp(p->tracks[k].sid, track_sid) == 0) {
                if (track)
                    *track = &p->tracks[k];
                return p;
            }
        }
    }
    return NULL;
}

static const lkc_track_info_t *find_track_in(const lkc_participant_info_t *p, const char *sid)
{
    for (size_t k = 0; p && k < p->n_tracks; k++)
        if (strcmp(p->tracks[k].sid, sid) == 0)
            return &p->tracks[k];
    return NULL;
}

static bool attributes_equal(const lkc_participant_info_t *a, const lkc_participant_info_t *b)
{
    if (a->n_attributes != b->n_attributes)
        return false;
    for (size_t i = 0; i < a->n_attributes; i++) {
        bool found = false;
        for (size_t k = 0; k < b->n_attributes && !found; k++)
            found = strcmp(a->attributes[i].key, b->attributes[k].key) == 0 &&
                    strcmp(a->attributes[i].value, b->attributes[k].value) == 0;
        if (!found)
            return false;
    }
    return true;
}

static const char *attribute(const lkc_participant_info_t *p, const char *key)
{
    for (size_t i = 0; p && i < p->n_attributes; i++)
        if (strcmp(p->attributes[i].key, key) == 0)
            return p->attributes[i].value;
    return NULL;
}

#define AGENT_STATE_KEY "lk.agent.state"

/* The detailed participant events: name, metadata, attributes (with the changed keys),
 * permissions, and an agent's state; `old` NULL: a participant we just learnt of. */
static void emit_details(lkc_room_t *room, const lkc_participant_info_t *old, const lkc_participant_info_t *now)
{
    if (!old) {
        const char *st = attribute(now, AGENT_STATE_KEY);
        if (st)
            lkc__events_agent_state(room, now, lkc_agent_state_parse(st));
        return;
    }
    if (strcmp(old->name, now->name) != 0)
        lkc__events_name_changed(room, now, old->name);
    if (strcmp(old->metadata, now->metadata) != 0)
        lkc__events_metadata_changed(room, now, old->metadata);
    const char **changed = g_new0(const char *, now->n_attributes + old->n_attributes + 1);
    size_t n = 0;
    for (size_t i = 0; i < now->n_attributes; i++) {
        const char *before = attribute(old, now->attributes[i].key);
        if (!before || strcmp(before, now->attributes[i].value) != 0)
            changed[n++] = now->attributes[i].key;
    }
    for (size_t i = 0; i < old->n_attributes; i++)
        if (!attribute(now, old->attributes[i].key))
            changed[n++] = old->attributes[i].key; /* deleted */
    if (n)
        lkc__events_attributes_changed(room, now, changed, n);
    g_free(changed);
    if (memcmp(&old->permissions, &now->permissions, sizeof now->permissions) != 0)
        lkc__events_permissions_changed(room, now, &old->permissions);
    const char *st_old = attribute(old, AGENT_STATE_KEY), *st_now = attribute(now, AGENT_STATE_KEY);
    if ((st_old || st_now) && (!st_old || !st_now || strcmp(st_old, st_now) != 0))
        lkc__events_agent_state(room, now, lkc_agent_state_parse(st_now));
}

static bool details_differ(const lkc_participant_info_t *old, const lkc_participant_info_t *now)
{
    return strcmp(old->name, now->name) != 0 || strcmp(old->metadata, now->metadata) != 0 ||
           old->state != now->state || !attributes_equal(old, now) ||
           memcmp(&old->permissions, &now->permissions, sizeof now->permissions) != 0;
}

/* Events for what changed between `old` (NULL: new participant) and `now`. */
static void emit_changes(lkc_model_t *m, const lkc_participant_info_t *old, const lkc_participant_info_t *now)
{
    lkc_room_t *room = m->room;
    if (!m->announced)
        return;
    if (!old) {
        lkc__events_participant_connected(room, now);
        emit_details(room, NULL, now);
    } else if (details_differ(old, now)) {
        lkc__events_participant_updated(room, now);
        emit_details(room, old, now);
    }
    for (size_t k = 0; k < now->n_tracks; k++) {
        const lkc_track_info_t *t = &now->tracks[k];
        const lkc_track_info_t *before = find_track_in(old, t->sid);
        if (!before) {
            lkc__events_track(room, LKC__TRACK_PUBLISHED, now, t);
        } else if (before->muted != t->muted) {
            if (t->muted)
                lkc__events_track(room, LKC__TRACK_MUTED, now, t);
            else
                lkc__events_track(room, LKC__TRACK_UNMUTED, now, t);
        }
    }
    for (size_t k = 0; old && k < old->n_tracks; k++)
        if (!find_track_in(now, old->tracks[k].sid))
            lkc__events_track(room, LKC__TRACK_UNPUBLISHED, now, &old->tracks[k]);
}

/* Local-only track state survives the server's replacement of a participant. */
static void carry_local_state(lkc_participant_info_t *now, const lkc_participant_info_t *old)
{
    for (size_t k = 0; old && k < now->n_tracks; k++) {
        const lkc_track_info_t *before = find_track_in(old, now->tracks[k].sid);
        if (before)
            ((lkc_track_info_t *)now->tracks)[k].subscribed = before->subscribed;
    }
}

/* Takes remote participant `idx` out of the model, with its unpublish and leave events. */
static void remove_remote(lkc_model_t *m, int idx)
{
    lkc_room_t *room = m->room;
    if (idx < 0)
        return;
    pthread_mutex_lock(&room->lock);
    lkc_participant_info_t *gone = g_ptr_array_steal_index(room->remotes, (guint)idx);
    pthread_mutex_unlock(&room->lock);
    g_hash_table_remove(m->versions, gone->sid);
    if (m->announced) {
        for (size_t k = 0; k < gone->n_tracks; k++)
            lkc__events_track(room, LKC__TRACK_UNPUBLISHED, gone, &gone->tracks[k]);
        lkc__events_participant_disconnected(room, gone);
    }
    lkc_participant_info_free(gone);
}

static void apply_remote(lkc_model_t *m, const Livekit__ParticipantInfo *pi)
{
    lkc_room_t *room = m->room;
    const char *sid = str_or_empty(pi->sid);
    int idx = remote_index(m, sid);
    gpointer known = NULL;
    if (g_hash_table_lookup_extended(m->versions, sid, NULL, &known) && pi->version != 0 &&
        pi->version < GPOINTER_TO_UINT(known)) {
        LKC_LOGD(MOD, "ignoring an older update of %s (v%u)", sid, pi->version);
        return;
    }
    if (pi->state == LIVEKIT__PARTICIPANT_INFO__STATE__DISCONNECTED) {
        if (idx >= 0)
            remove_remote(m, idx);
        return;
    }
    if (idx < 0 && pi->identity && *pi->identity) {
        /* the same identity with a new sid: it rejoined (a full reconnect of its own, or a
         * second device taking over). The old session is gone even if the server has not
         * said so yet (it may take it tens of seconds): it leaves first, as in the JS SDK. */
        const lkc_participant_info_t *prev = lkc__model_find_identity(m, pi->identity);
        if (prev) {
            LKC_LOGD(MOD, "%s rejoined as %s: %s leaves", pi->identity, sid, prev->sid);
            remove_remote(m, remote_index(m, prev->sid));
        }
    }
    lkc_participant_info_t *now = participant_from_proto(pi, false);
    lkc_participant_info_t *old = idx >= 0 ? g_ptr_array_index(room->remotes, idx) : NULL;
    carry_local_state(now, old);
    pthread_mutex_lock(&room->lock);
    if (idx >= 0) {
        room->remotes->pdata[idx] = now; /* keep `old` alive for the diff */
    } else {
        g_ptr_array_add(room->remotes, now);
    }
    pthread_mutex_unlock(&room->lock);
    g_hash_table_insert(m->versions, g_strdup(sid), GUINT_TO_POINTER(pi->version));
    emit_changes(m, old, now);
    lkc_participant_info_free(old);
}

void lkc__model_join(lkc_model_t *m, const Livekit__JoinResponse *j)
{
    lkc_room_t *room = m->room;
    lkc_room_info_t *info = room_from_proto(j->room);
    lkc_participant_info_t *local = j->participant ? participant_from_proto(j->participant, true) : NULL;
    pthread_mutex_lock(&room->lock);
    lkc_room_info_free(room->info);
    room->info = info;
    lkc_participant_info_free(room->local);
    room->local = local;
    g_ptr_array_set_size(room->remotes, 0);
    pthread_mutex_unlock(&room->lock);
    atomic_fetch_add(&room->join_epoch, 1);
    g_hash_table_remove_all(m->versions);
    m->local_version = j->participant ? j->participant->version : 0;
    for (size_t i = 0; i < j->n_other_participants; i++)
        apply_remote(m, j->other_participants[i]);
}

static const lkc_participant_info_t *in_list(GPtrArray *a, const char *sid)
{
    for (guint i = 0; a && i < a->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(a, i);
        if (strcmp(p->sid, sid) == 0)
            return p;
    }
    return NULL;
}

void lkc__model_rejoin(lkc_model_t *m, const Livekit__JoinResponse *j)
{
    lkc_room_t *room = m->room;
    GPtrArray *before = g_ptr_array_new_with_free_func((GDestroyNotify)lkc_participant_info_free);
    pthread_mutex_lock(&room->lock);
    for (guint i = 0; room->remotes && i < room->remotes->len; i++)
        g_ptr_array_add(before, lkc__participant_dup(g_ptr_array_index(room->remotes, i)));
    pthread_mutex_unlock(&room->lock);
    bool announced = m->announced;
    m->announced = false; /* the join itself reports nothing: the differences do, below */
    lkc__model_join(m, j);
    m->announced = announced;
    if (announced) {
        for (guint i = 0; i < before->len; i++) {
            const lkc_participant_info_t *b = g_ptr_array_index(before, i);
            if (in_list(room->remotes, b->sid))
                continue;
            for (size_t k = 0; k < b->n_tracks; k++)
                lkc__events_track(room, LKC__TRACK_UNPUBLISHED, b, &b->tracks[k]);
            lkc__events_participant_disconnected(room, b);
        }
        for (guint i = 0; i < room->remotes->len; i++) {
            const lkc_participant_info_t *now = g_ptr_array_index(room->remotes, i);
            emit_changes(m, in_list(before, now->sid), now);
        }
    }
    g_ptr_array_unref(before);
}

void lkc__model_update(lkc_model_t *m, Livekit__ParticipantInfo *const *ps, size_t n)
{
    lkc_room_t *room = m->room;
    for (size_t i = 0; i < n; i++) {
        const Livekit__ParticipantInfo *pi = ps[i];
        if (room->local && pi->sid && strcmp(pi->sid, room->local->sid) == 0) {
            if (pi->version != 0 && pi->version < m->local_version) {
                LKC_LOGD(MOD, "ignoring an older update of ourselves (v%u)", pi->version);
                continue;
            }
            m->local_version = pi->version;
            lkc_participant_info_t *now = participant_from_proto(pi, true);
            pthread_mutex_lock(&room->lock);
            lkc_participant_info_t *old = room->local;
            room->local = now;
            pthread_mutex_unlock(&room->lock);
            if (m->announced && details_differ(old, now)) {
                lkc__events_participant_updated(room, now);
                emit_details(room, old, now);
            }
            lkc_participant_info_free(old);
            continue;
        }
        apply_remote(m, pi);
    }
}

void lkc__model_room_update(lkc_model_t *m, const Livekit__Room *r)
{
    lkc_room_t *room = m->room;
    lkc_room_info_t *info = room_from_proto(r);
    pthread_mutex_lock(&room->lock);
    lkc_room_info_t *old = room->info;
    room->info = info;
    pthread_mutex_unlock(&room->lock);
    if (m->announced) {
        lkc__events_room_updated(room, info);
        if (old && strcmp(old->metadata, info->metadata) != 0)
            lkc__events_room_metadata_changed(room, info->metadata, old->metadata);
    }
    lkc_room_info_free(old);
}

void lkc__model_announce(lkc_model_t *m)
{
    if (m->announced)
        return;
    m->announced = true;
    lkc_room_t *room = m->room;
    /* Handlers may call getters (which lock); iterate over a stable copy of the list. */
    GPtrArray *a = room->remotes;
    for (guint i = 0; i < a->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(a, i);
        lkc__events_participant_connected(room, p);
        emit_details(room, NULL, p);
        for (size_t k = 0; k < p->n_tracks; k++)
            lkc__events_track(room, LKC__TRACK_PUBLISHED, p, &p->tracks[k]);
        if (a != room->remotes || i >= a->len)
            break;
    }
}

void lkc__model_set_subscribed(lkc_model_t *m, const char *track_sid, bool subscribed)
{
    const lkc_track_info_t *t = NULL;
    if (!lkc__model_find_track(m, track_sid, &t) || !t)
        return;
    pthread_mutex_lock(&m->room->lock);
    ((lkc_track_info_t *)t)->subscribed = subscribed;
    pthread_mutex_unlock(&m->room->lock);
}
