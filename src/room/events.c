/* The one place handlers are called from (see events.h for the order). */
#include "room/events.h"

#include "base/log.h"

#define MOD "room"

#define EMIT(room, name, ...)                                                           \
    do {                                                                                \
        if ((room)->opts.handlers.name && lkc__room_handlers_on(room))                  \
            (room)->opts.handlers.name((room), __VA_ARGS__, (room)->opts.user);         \
    } while (0)

void lkc__events_state(lkc_room_t *room, lkc_state_t state, lkc_failure_t reason, const char *message)
{
    pthread_mutex_lock(&room->lock);
    if (state == LKC_STATE_DISCONNECTED) {
        atomic_store(&room->failure, reason);
        g_strlcpy(room->failure_msg, message ? message : "", sizeof room->failure_msg);
    }
    atomic_store(&room->state, state);
    pthread_cond_broadcast(&room->cond);
    pthread_mutex_unlock(&room->lock);
    LKC_LOGD(MOD, "state %s%s%s", lkc_state_str(state), state == LKC_STATE_DISCONNECTED ? " " : "",
             state == LKC_STATE_DISCONNECTED ? lkc_failure_str(reason) : "");
    EMIT(room, on_state_changed, state, state == LKC_STATE_DISCONNECTED ? reason : LKC_FAILURE_NONE);
}

void lkc__events_connected(lkc_room_t *room)
{
    EMIT(room, on_connected, room->info, room->local);
}

void lkc__events_disconnected(lkc_room_t *room, lkc_failure_t reason)
{
    EMIT(room, on_disconnected, reason);
}

void lkc__events_room_updated(lkc_room_t *room, const lkc_room_info_t *info)
{
    EMIT(room, on_room_updated, info);
}

void lkc__events_participant_connected(lkc_room_t *room, const lkc_participant_info_t *p)
{
    EMIT(room, on_participant_connected, p);
}

void lkc__events_participant_updated(lkc_room_t *room, const lkc_participant_info_t *p)
{
    EMIT(room, on_participant_updated, p);
}

void lkc__events_participant_disconnected(lkc_room_t *room, const lkc_participant_info_t *p)
{
    EMIT(room, on_participant_disconnected, p);
}

void lkc__events_track(lkc_room_t *room, lkc__track_event_t what, const lkc_participant_info_t *p,
                       const lkc_track_info_t *t)
{
    switch (what) {
    case LKC__TRACK_PUBLISHED: EMIT(room, on_track_published, p, t); break;
    case LKC__TRACK_UNPUBLISHED: EMIT(room, on_track_unpublished, p, t); break;
    case LKC__TRACK_MUTED: EMIT(room, on_track_muted, p, t); break;
    case LKC__TRACK_UNMUTED: EMIT(room, on_track_unmuted, p, t); break;
    case LKC__TRACK_SUBSCRIBED: EMIT(room, on_track_subscribed, p, t); break;
    case LKC__TRACK_UNSUBSCRIBED: EMIT(room, on_track_unsubscribed, p, t); break;
    }
}

void lkc__events_data(lkc_room_t *room, const lkc_data_packet_t *packet)
{
    EMIT(room, on_data_received, packet);
}

void lkc__events_speakers(lkc_room_t *room, const lkc_speaker_t *speakers, size_t n)
{
    EMIT(room, on_speakers_changed, speakers, n);
}

void lkc__events_reconnecting(lkc_room_t *room, lkc_reconnect_kind_t kind, lkc_failure_t cause)
{
    if (atomic_load(&room->state) != LKC_STATE_RECONNECTING)
        lkc__events_state(room, LKC_STATE_RECONNECTING, LKC_FAILURE_NONE, NULL);
    EMIT(room, on_reconnecting, kind, cause);
}

void lkc__events_reconnected(lkc_room_t *room, lkc_reconnect_kind_t kind, int64_t ms)
{
    lkc__events_state(room, LKC_STATE_CONNECTED, LKC_FAILURE_NONE, NULL);
    EMIT(room, on_reconnected, kind, ms);
}

void lkc__events_attributes_changed(lkc_room_t *room, const lkc_participant_info_t *p, const char *const *changed,
                                    size_t n)
{
    EMIT(room, on_participant_attributes_changed, p, changed, n);
}

void lkc__events_metadata_changed(lkc_room_t *room, const lkc_participant_info_t *p, const char *old)
{
    EMIT(room, on_participant_metadata_changed, p, old);
}

void lkc__events_name_changed(lkc_room_t *room, const lkc_participant_info_t *p, const char *old)
{
    EMIT(room, on_participant_name_changed, p, old);
}

void lkc__events_permissions_changed(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_permissions_t *old)
{
    EMIT(room, on_participant_permissions_changed, p, old);
}

void lkc__events_connection_quality(lkc_room_t *room, const lkc_participant_info_t *p, lkc_connection_quality_t q,
                                    float score)
{
    EMIT(room, on_connection_quality_changed, p, q, score);
}

void lkc__events_room_metadata_changed(lkc_room_t *room, const char *metadata, const char *old)
{
    EMIT(room, on_room_metadata_changed, metadata, old);
}

void lkc__events_subscription_failed(lkc_room_t *room, const lkc_participant_info_t *p, const char *track_sid,
                                     const char *error)
{
    EMIT(room, on_track_subscription_failed, p, track_sid, error);
}

void lkc__events_transcription(lkc_room_t *room, const lkc_transcription_t *t)
{
    EMIT(room, on_transcription, t);
}

void lkc__events_agent_state(lkc_room_t *room, const lkc_participant_info_t *agent, lkc_agent_state_t state)
{
    EMIT(room, on_agent_state_changed, agent, state);
}
