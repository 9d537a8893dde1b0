/* Every event the application sees leaves through this file, on the engine thread, in
 * the order the session calls these. That order, per session:
 *   state CONNECTING
 *   state CONNECTED, connected, then participant_connected (+ track_published) for
 *     everyone already there, then track_subscribed for what the first offer carried
 *   then, as they happen: participant_*, track_published/unpublished/muted/unmuted
 *     (model diffs), track_subscribed/unsubscribed (subscriber offers, model changes),
 *     (a participant's update: participant_updated, then name / metadata / attributes /
 *     permissions changed, then agent_state_changed), data_received, speakers_changed,
 *     connection_quality_changed, room_updated then room_metadata_changed,
 *     track_subscription_failed, transcription
 *   on a loss: state RECONNECTING, reconnecting (again with kind full if a resume fails);
 *     participant and track events of the rejoin; state CONNECTED, reconnected
 *   state DISCONNECTED, disconnected (the last of the session)
 * No handler runs once destroy was called (handlers_off). */
#ifndef LKC_ROOM_EVENTS_H
#define LKC_ROOM_EVENTS_H

#include "room/room_core.h"

/* Sets the state (and the failure and its message when DISCONNECTED), wakes waiters, and
 * reports on_state_changed. */
void lkc__events_state(lkc_room_t *room, lkc_state_t state, lkc_failure_t reason, const char *message);
void lkc__events_connected(lkc_room_t *room);
void lkc__events_disconnected(lkc_room_t *room, lkc_failure_t reason);
void lkc__events_room_updated(lkc_room_t *room, const lkc_room_info_t *info);

void lkc__events_participant_connected(lkc_room_t *room, const lkc_participant_info_t *p);
void lkc__events_participant_updated(lkc_room_t *room, const lkc_participant_info_t *p);
void lkc__events_participant_disconnected(lkc_room_t *room, const lkc_participant_info_t *p);

typedef enum {
    LKC__TRACK_PUBLISHED,
    LKC__TRACK_UNPUBLISHED,
    LKC__TRACK_MUTED,
    LKC__TRACK_UNMUTED,
    LKC__TRACK_SUBSCRIBED,
    LKC__TRACK_UNSUBSCRIBED,
} lkc__track_event_t;
void lkc__events_track(lkc_room_t *room, lkc__track_event_t what, const lkc_participant_info_t *p,
                       const lkc_track_info_t *t);

void lkc__events_data(lkc_room_t *room, const lkc_data_packet_t *packet);
/* The state becomes RECONNECTING (the first time of an episode), then on_reconnecting. */
void lkc__events_reconnecting(lkc_room_t *room, lkc_reconnect_kind_t kind, lkc_failure_t cause);
/* The state becomes CONNECTED, then on_reconnected. */
void lkc__events_reconnected(lkc_room_t *room, lkc_reconnect_kind_t kind, int64_t ms);
void lkc__events_speakers(lkc_room_t *room, const lkc_speaker_t *speakers, size_t n);
void lkc__events_attributes_changed(lkc_room_t *room, const lkc_participant_info_t *p, const char *const *changed,
                                    size_t n);
void lkc__events_metadata_changed(lkc_room_t *room, const lkc_participant_info_t *p, const char *old);
void lkc__events_name_changed(lkc_room_t *room, const lkc_participant_info_t *p, const char *old);
void lkc__events_permissions_changed(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_permissions_t *old);
void lkc__events_connection_quality(lkc_room_t *room, const lkc_participant_info_t *p, lkc_connection_quality_t q,
                                    float score);
void lkc__events_room_metadata_changed(lkc_room_t *room, const char *metadata, const char *old);
void lkc__events_subscription_failed(lkc_room_t *room, const lkc_participant_info_t *p, const char *track_sid,
                                     const char *error);
void lkc__events_transcription(lkc_room_t *room, const lkc_transcription_t *t);
void lkc__events_agent_state(lkc_room_t *room, const lkc_participant_info_t *agent, lkc_agent_state_t state);

#endif
