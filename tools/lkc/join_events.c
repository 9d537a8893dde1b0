/* `lkc join`: the room's handlers (they run on the room's engine thread) turn what
 * happens into events, keep the live view's model, and start one listener per
 * subscribed audio track. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "join.h"
#include "output.h"
#include "view.h"

static void track_event(const char *ev, const lkc_participant_info_t *p, const lkc_track_info_t *t)
{
    out_begin(ev);
    out_str("participant", p->identity);
    out_str("track_sid", t->sid);
    out_end();
}

/* Remembers the owner of a track (see join_session_t.owners). */
static void remember_owner(join_session_t *s, const char *sid, const char *identity)
{
    if (!*identity)
        return;
    pthread_mutex_lock(&s->lock);
    size_t i = 0;
    while (i < s->n_owners && strcmp(s->owners[i].sid, sid) != 0)
        i++;
    if (i == s->n_owners && s->n_owners < sizeof s->owners / sizeof s->owners[0])
        s->n_owners++;
    else if (i == s->n_owners) /* full: reuse the oldest slot */
        i = 0;
    snprintf(s->owners[i].sid, sizeof s->owners[i].sid, "%s", sid);
    snprintf(s->owners[i].identity, sizeof s->owners[i].identity, "%s", identity);
    pthread_mutex_unlock(&s->lock);
}

/* The identity of the participant `p` of track `sid`, also when the library left it out. */
static const char *owner(join_session_t *s, const lkc_participant_info_t *p, const char *sid, char *buf,
                         size_t len)
{
    if (*p->identity)
        return p->identity;
    snprintf(buf, len, "%s", "");
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_owners; i++)
        if (strcmp(s->owners[i].sid, sid) == 0)
            snprintf(buf, len, "%s", s->owners[i].identity);
    pthread_mutex_unlock(&s->lock);
    return buf;
}

static void on_state_changed(lkc_room_t *room, lkc_state_t state, lkc_failure_t reason, void *user)
{
    join_session_t *s = user;
    (void)s;
    view_state(lkc_state_str(state));
}

static void on_reconnecting(lkc_room_t *room, lkc_reconnect_kind_t kind, lkc_failure_t cause, void *user)
{
    out_begin("reconnecting");
    out_str("kind", lkc_reconnect_kind_str(kind));
    out_str("cause", lkc_failure_str(cause));
    out_end();
    char line[128];
    snprintf(line, sizeof line, "connection lost (%s): reconnecting (%s)", lkc_failure_str(cause),
             lkc_reconnect_kind_str(kind));
    view_log(line);
}

static void on_reconnected(lkc_room_t *room, lkc_reconnect_kind_t kind, int64_t ms, void *user)
{
    out_begin("reconnected");
    out_str("kind", lkc_reconnect_kind_str(kind));
    out_int("ms", ms);
    out_end();
    char line[128];
    snprintf(line, sizeof line, "reconnected (%s) after %lld ms", lkc_reconnect_kind_str(kind), (long long)ms);
    view_log(line);
}

static void on_connected(lkc_room_t *room, const lkc_room_info_t *info, const lkc_participant_info_t *local,
                         void *user)
{
    out_begin("connected");
    out_str("room", info->name);
    out_str("room_sid", info->sid);
    out_str("identity", local ? local->identity : "");
    out_str("sid", local ? local->sid : "");
    out_end();
}

static void on_participant_connected(lkc_room_t *room, const lkc_participant_info_t *p, void *user)
{
    out_begin("participant_connected");
    out_str("identity", p->identity);
    out_str("sid", p->sid);
    out_str("name", p->name);
    out_str("kind", lkc_participant_kind_str(p->kind));
    if (p->metadata && *p->metadata)
        out_str("metadata", p->metadata);
    if (p->n_attributes)
        out_map("attributes", p->attributes, p->n_attributes);
    out_end();
    view_participant(p->identity, p->name, true);
    view_participant_kind(p->identity, lkc_participant_kind_str(p->kind));
}

static void on_participant_disconnected(lkc_room_t *room, const lkc_participant_info_t *p, void *user)
{
    out_begin("participant_disconnected");
    out_str("identity", p->identity);
    out_end();
    view_participant(p->identity, NULL, false);
}

static void on_track_published(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                               void *user)
{
    out_begin("track_published");
    out_str("participant", p->identity);
    out_str("track_sid", t->sid);
    out_str("kind", lkc_track_kind_str(t->kind));
    out_str("source", lkc_track_source_str(t->source));
    out_end();
    remember_owner(user, t->sid, p->identity);
    view_track(p->identity, t->sid, lkc_track_kind_str(t->kind), true);
    view_track_flags(t->sid, t->muted, t->subscribed);
}

static void on_track_unpublished(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                                 void *user)
{
    track_event("track_unpublished", p, t);
    view_track(p->identity, t->sid, NULL, false);
}

/* --- hearing ------------------------------------------------------------------------ */

static void on_audio_report(void *user, const char *participant, const char *track_sid, double rms_dbfs,
                            double freq_hz)
{
    out_begin("audio");
    out_str("participant", participant);
    out_str("track_sid", track_sid);
    out_double("rms_dbfs", rms_dbfs);
    out_double("freq_hz", freq_hz);
    out_end();
    view_audio(track_sid, rms_dbfs, freq_hz);
}

static void on_listen_pcm(void *user, int64_t *cursor, const int16_t *pcm, size_t n)
{
    join_session_t *s = user;
    cli_recorder_add(s->rec, cursor, pcm, n);
}

static void on_listen_error(void *user, lkc_err_t err, const char *message)
{
    cli_event_error(err, "%s", message);
}

static void on_track_subscribed(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                                void *user)
{
    join_session_t *s = user;
    remember_owner(s, t->sid, p->identity);
    out_begin("track_subscribed");
    out_str("participant", p->identity);
    out_str("track_sid", t->sid);
    out_str("kind", lkc_track_kind_str(t->kind));
    out_end();
    view_track(p->identity, t->sid, lkc_track_kind_str(t->kind), true);
    view_track_flags(t->sid, -1, 1);
    if (t->kind != LKC_TRACK_AUDIO)
        return;
    cli_listen_opts_t lo = {
        .room = room, .participant = p->identity, .track_sid = t->sid, .on_report = on_audio_report,
        .on_pcm = s->rec ? on_listen_pcm : NULL, .on_error = on_listen_error, .user = s,
    };
    pthread_mutex_lock(&s->lock);
    bool full = s->n_listeners == sizeof s->listeners / sizeof s->listeners[0];
    if (!s->stopping && !full) {
        cli_listener_t *l = cli_listener_start(&lo);
        if (l)
            s->listeners[s->n_listeners++] = l;
        else
            full = true;
    }
    pthread_mutex_unlock(&s->lock);
    if (full)
        cli_event_error(LKC_ERR_NO_MEMORY, "cannot listen to track %s of %s: too many tracks", t->sid,
                        p->identity);
}

static void on_track_unsubscribed(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                                  void *user)
{
    /* The stream ends by itself (R7); join_reap_listeners() frees its listener. */
    char who[128];
    out_begin("track_unsubscribed");
    out_str("participant", owner(user, p, t->sid, who, sizeof who));
    out_str("track_sid", t->sid);
    out_end();
    view_track_flags(t->sid, -1, 0);
}

static void on_track_muted(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                           void *user)
{
    track_event("track_muted", p, t);
    view_track_flags(t->sid, 1, -1);
}

static void on_track_unmuted(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                             void *user)
{
    track_event("track_unmuted", p, t);
    view_track_flags(t->sid, 0, -1);
}

static void on_data_received(lkc_room_t *room, const lkc_data_packet_t *d, void *user)
{
    out_begin("data");
    out_str("from", d->sender_identity);
    out_str("topic", d->topic);
    out_bool("reliable", d->kind == LKC_DATA_RELIABLE);
    out_payload("payload", d->payload, d->len);
    out_end();
    /* The view shows text messages; anything else is counted as binary. */
    char text[100];
    size_t n = d->len < sizeof text - 1 ? d->len : sizeof text - 1;
    memcpy(text, d->payload, n);
    text[n] = '\0';
    bool printable = memchr(d->payload, 0, d->len) == NULL && strlen(text) == n;
    view_data(true, d->sender_identity, printable ? text : NULL);
}

void join_set_handlers(lkc_room_options_t *ro, join_session_t *s)
{
    ro->user = s;
    ro->handlers.on_state_changed = on_state_changed;
    ro->handlers.on_connected = on_connected;
    ro->handlers.on_participant_connected = on_participant_connected;
    ro->handlers.on_participant_disconnected = on_participant_disconnected;
    ro->handlers.on_track_published = on_track_published;
    ro->handlers.on_track_unpublished = on_track_unpublished;
    ro->handlers.on_track_subscribed = on_track_subscribed;
    ro->handlers.on_track_unsubscribed = on_track_unsubscribed;
    ro->handlers.on_track_muted = on_track_muted;
    ro->handlers.on_track_unmuted = on_track_unmuted;
    ro->handlers.on_data_received = on_data_received;
    ro->handlers.on_reconnecting = on_reconnecting;
    ro->handlers.on_reconnected = on_reconnected;
    join_set_participant_handlers(ro);
}

void join_reap_listeners(join_session_t *s)
{
    for (;;) {
        cli_listener_t *done = NULL;
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < s->n_listeners && !done; i++)
            if (cli_listener_done(s->listeners[i])) {
                done = s->listeners[i];
                s->listeners[i] = s->listeners[--s->n_listeners];
            }
        pthread_mutex_unlock(&s->lock);
        if (!done)
            return;
        cli_listener_stop(done); /* its thread has returned already: a quick join */
    }
}

void join_stop_listeners(join_session_t *s)
{
    cli_listener_t *all[sizeof s->listeners / sizeof s->listeners[0]];
    pthread_mutex_lock(&s->lock);
    s->stopping = true; /* no new listeners from now on */
    size_t n = s->n_listeners;
    memcpy(all, s->listeners, n * sizeof all[0]);
    s->n_listeners = 0;
    pthread_mutex_unlock(&s->lock);
    /* Outside the lock: a stop waits for a read, and a handler may want the lock. */
    for (size_t i = 0; i < n; i++)
        cli_listener_stop(all[i]);
}
