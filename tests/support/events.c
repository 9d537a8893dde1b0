#include "events.h"

#include "base/sync.h"
#include "interop.h"

#include <pthread.h>
#include <string.h>

struct lkc_test_events {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    GPtrArray *list; /* of lkc_test_event_t* */
    void (*on_record)(lkc_test_events_t *, const lkc_test_event_t *, lkc_room_t *, void *);
    void *on_record_user;
};

static void event_free(gpointer p)
{
    lkc_test_event_t *e = p;
    g_free(e->a);
    g_free(e->b);
    if (e->payload)
        g_bytes_unref(e->payload);
    g_free(e);
}

lkc_test_events_t *lkc_test_events_new(void)
{
    lkc_test_events_t *ev = g_new0(lkc_test_events_t, 1);
    pthread_mutex_init(&ev->lock, NULL);
    lkc_cond_init_monotonic(&ev->cond);
    ev->list = g_ptr_array_new_with_free_func(event_free);
    return ev;
}

void lkc_test_events_free(lkc_test_events_t *ev)
{
    if (!ev)
        return;
    g_ptr_array_unref(ev->list);
    pthread_mutex_destroy(&ev->lock);
    pthread_cond_destroy(&ev->cond);
    g_free(ev);
}

void lkc_test_events_on_record(lkc_test_events_t *ev,
                               void (*fn)(lkc_test_events_t *, const lkc_test_event_t *, lkc_room_t *, void *),
                               void *user)
{
    ev->on_record = fn;
    ev->on_record_user = user;
}

static void record(lkc_room_t *room, lkc_test_events_t *ev, const char *type, const char *a, const char *b,
                   const void *payload, size_t len, int kind)
{
    lkc_test_event_t *e = g_new0(lkc_test_event_t, 1);
    g_strlcpy(e->type, type, sizeof e->type);
    e->a = g_strdup(a ? a : "");
    e->b = g_strdup(b ? b : "");
    if (payload)
        e->payload = g_bytes_new(payload, len);
    e->kind = kind;
    e->t_us = g_get_monotonic_time();
    pthread_mutex_lock(&ev->lock);
    g_ptr_array_add(ev->list, e);
    pthread_cond_broadcast(&ev->cond);
    pthread_mutex_unlock(&ev->lock);
    if (ev->on_record)
        ev->on_record(ev, e, room, ev->on_record_user);
}

static void h_state(lkc_room_t *r, lkc_state_t s, lkc_failure_t f, void *u)
{
    record(r, u, "state", lkc_state_str(s), lkc_failure_str(f), NULL, 0, (int)f);
}
static void h_connected(lkc_room_t *r, const lkc_room_info_t *info, const lkc_participant_info_t *me, void *u)
{
    record(r, u, "connected", me ? me->identity : "", info ? info->name : "", NULL, 0, 0);
}
static void h_disconnected(lkc_room_t *r, lkc_failure_t f, void *u)
{
    record(r, u, "disconnected", lkc_failure_str(f), "", NULL, 0, (int)f);
}
static void h_room_updated(lkc_room_t *r, const lkc_room_info_t *info, void *u)
{
    record(r, u, "room_updated", info->name, info->sid, NULL, 0, 0);
}
static void h_pc(lkc_room_t *r, const lkc_participant_info_t *p, void *u)
{
    record(r, u, "participant_connected", p->identity, p->sid, NULL, 0, (int)p->kind);
}
static void h_pu(lkc_room_t *r, const lkc_participant_info_t *p, void *u)
{
    record(r, u, "participant_updated", p->identity, p->sid, NULL, 0, 0);
}
static void h_pd(lkc_room_t *r, const lkc_participant_info_t *p, void *u)
{
    record(r, u, "participant_disconnected", p->identity, p->sid, NULL, 0, 0);
}
static void h_data(lkc_room_t *r, const lkc_data_packet_t *d, void *u)
{
    record(r, u, "data", d->sender_identity, d->topic, d->payload, d->len, (int)d->kind);
}
#define TRACK_HANDLER(fn, name)                                                                    \
    static void fn(lkc_room_t *r, const lkc_participant_info_t *p, const lkc_track_info_t *t, void *u) \
    {                                                                                              \
        record(r, u, name, p->identity, t->sid, NULL, 0, (int)t->kind);                            \
    }
TRACK_HANDLER(h_tp, "track_published")
TRACK_HANDLER(h_tup, "track_unpublished")
TRACK_HANDLER(h_ts, "track_subscribed")
TRACK_HANDLER(h_tus, "track_unsubscribed")
TRACK_HANDLER(h_tm, "track_muted")
TRACK_HANDLER(h_tum, "track_unmuted")
static void h_speakers(lkc_room_t *r, const lkc_speaker_t *s, size_t n, void *u)
{
    for (size_t i = 0; i < n; i++)
        record(r, u, s[i].active ? "speaker_active" : "speaker_inactive", s[i].sid, "", NULL, 0, 0);
}

/* a = the kind ("resume"/"full"); reconnecting: b = the cause; reconnected: value = ms */
static void h_reconnecting(lkc_room_t *r, lkc_reconnect_kind_t kind, lkc_failure_t cause, void *u)
{
    record(r, u, "reconnecting", lkc_reconnect_kind_str(kind), lkc_failure_str(cause), NULL, 0, 0);
}
static void h_reconnected(lkc_room_t *r, lkc_reconnect_kind_t kind, int64_t ms, void *u)
{
    record(r, u, "reconnected", lkc_reconnect_kind_str(kind), "", NULL, 0, (int)ms);
}

/* attributes_changed: a = identity, b = the changed keys joined by ","; payload = the
 * whole map as "k=v\n" lines (NUL-terminated) */
static void h_attrs(lkc_room_t *r, const lkc_participant_info_t *p, const char *const *changed, size_t n, void *u)
{
    GString *keys = g_string_new(NULL), *map = g_string_new(NULL);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(keys, "%s%s", i ? "," : "", changed[i]);
    for (size_t i = 0; i < p->n_attributes; i++)
        g_string_append_printf(map, "%s=%s\n", p->attributes[i].key, p->attributes[i].value);
    record(r, u, "attributes_changed", p->identity, keys->str, map->str, map->len + 1, 0); /* with its NUL */
    g_string_free(keys, TRUE);
    g_string_free(map, TRUE);
}
static void h_metadata(lkc_room_t *r, const lkc_participant_info_t *p, const char *old, void *u)
{
    record(r, u, "metadata_changed", p->identity, p->metadata, NULL, 0, 0);
}
static void h_name(lkc_room_t *r, const lkc_participant_info_t *p, const char *old, void *u)
{
    record(r, u, "name_changed", p->identity, p->name, NULL, 0, 0);
}
static void h_perms(lkc_room_t *r, const lkc_participant_info_t *p, const lkc_permissions_t *old, void *u)
{
    record(r, u, "permissions_changed", p->identity, "", NULL, 0, 0);
}
static void h_quality(lkc_room_t *r, const lkc_participant_info_t *p, lkc_connection_quality_t q, float score, void *u)
{
    record(r, u, "connection_quality", p->identity, lkc_connection_quality_str(q), NULL, 0, (int)q);
}
static void h_room_meta(lkc_room_t *r, const char *metadata, const char *old, void *u)
{
    record(r, u, "room_metadata_changed", metadata, old, NULL, 0, 0);
}
static void h_sub_failed(lkc_room_t *r, const lkc_participant_info_t *p, const char *track_sid, const char *error,
                         void *u)
{
    record(r, u, "subscription_failed", p ? p->identity : "", track_sid, error, strlen(error), 0);
}
/* transcription: a = identity, b = segment id, payload = text, kind = final */
static void h_transcription(lkc_room_t *r, const lkc_transcription_t *t, void *u)
{
    record(r, u, "transcription", t->identity, t->segment_id, t->text, strlen(t->text), t->final);
}
static void h_agent_state(lkc_room_t *r, const lkc_participant_info_t *p, lkc_agent_state_t st, void *u)
{
    record(r, u, "agent_state", p->identity, lkc_agent_state_str(st), NULL, 0, (int)st);
}

void lkc_test_events_install(lkc_test_events_t *ev, lkc_room_options_t *o)
{
    lkc_room_handlers_t *h = &o->handlers;
    h->on_state_changed = h_state;
    h->on_connected = h_connected;
    h->on_disconnected = h_disconnected;
    h->on_room_updated = h_room_updated;
    h->on_participant_connected = h_pc;
    h->on_participant_updated = h_pu;
    h->on_participant_disconnected = h_pd;
    h->on_data_received = h_data;
    h->on_track_published = h_tp;
    h->on_track_unpublished = h_tup;
    h->on_track_subscribed = h_ts;
    h->on_track_unsubscribed = h_tus;
    h->on_track_muted = h_tm;
    h->on_track_unmuted = h_tum;
    h->on_speakers_changed = h_speakers;
    h->on_reconnecting = h_reconnecting;
    h->on_reconnected = h_reconnected;
    h->on_participant_attributes_changed = h_attrs;
    h->on_participant_metadata_changed = h_metadata;
    h->on_participant_name_changed = h_name;
    h->on_participant_permissions_changed = h_perms;
    h->on_connection_quality_changed = h_quality;
    h->on_room_metadata_changed = h_room_meta;
    h->on_track_subscription_failed = h_sub_failed;
    h->on_transcription = h_transcription;
    h->on_agent_state_changed = h_agent_state;
    o->user = ev;
}

static int count_locked(lkc_test_events_t *ev, const char *type, const char *a)
{
    int n = 0;
    for (guint i = 0; i < ev->list->len; i++) {
        const lkc_test_event_t *e = g_ptr_array_index(ev->list, i);
        if (strcmp(e->type, type) == 0 && (!a || strcmp(e->a, a) == 0))
            n++;
    }
    return n;
}

int lkc_test_events_count(lkc_test_events_t *ev, const char *type, const char *a)
{
    pthread_mutex_lock(&ev->lock);
    int n = count_locked(ev, type, a);
    pthread_mutex_unlock(&ev->lock);
    return n;
}

bool lkc_test_events_wait(lkc_test_events_t *ev, const char *type, const char *a, int count, int timeout_ms)
{
    struct timespec deadline;
    lkc_deadline_after(&deadline, timeout_ms);
    pthread_mutex_lock(&ev->lock);
    bool ok;
    while (!(ok = count_locked(ev, type, a) >= count) &&
           pthread_cond_timedwait(&ev->cond, &ev->lock, &deadline) == 0)
        ;
    pthread_mutex_unlock(&ev->lock);
    return ok;
}

GPtrArray *lkc_test_events_list(lkc_test_events_t *ev, const char *type)
{
    GPtrArray *out = g_ptr_array_new();
    pthread_mutex_lock(&ev->lock);
    for (guint i = 0; i < ev->list->len; i++) {
        lkc_test_event_t *e = g_ptr_array_index(ev->list, i);
        if (!type || strcmp(e->type, type) == 0)
            g_ptr_array_add(out, e);
    }
    pthread_mutex_unlock(&ev->lock);
    return out;
}

lkc_room_t *lkc_test_join(const char *room, const char *identity, lkc_test_events_t *ev,
                          const lkc_room_options_t *base)
{
    return lkc_test_join_at(lkc_test_env()->url, room, identity, ev, base);
}

lkc_room_t *lkc_test_join_at(const char *url, const char *room, const char *identity, lkc_test_events_t *ev,
                             const lkc_room_options_t *base)
{
    lkc_room_options_t o;
    if (base)
        o = *base;
    else
        lkc_room_options_init(&o);
    lkc_test_events_install(ev, &o);
    lkc_room_t *r = NULL;
    CHECK_OK(lkc_room_create(&o, &r));
    char *tok = lkc_test_token(room, identity, NULL, NULL);
    CHECK_OK(lkc_room_connect(r, url, tok));
    lkc_free(tok);
    lkc_err_t rc = lkc_room_wait_connected(r, 15000);
    char msg[256];
    lkc_room_failure_message(r, msg, sizeof msg);
    CHECK(rc == LKC_OK, "%s did not connect: %s (%s: %s)", identity, lkc_err_str(rc),
          lkc_failure_str(lkc_room_failure_reason(r)), msg);
    return r;
}
