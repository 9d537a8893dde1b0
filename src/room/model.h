/* The room model: room info, ourselves, and the remote participants with their tracks,
 * built from JoinResponse / ParticipantUpdate / RoomUpdate. The engine thread writes
 * it (under room->lock, so the public getters can copy it out from any thread) and
 * emits the participant and track events from the differences.
 *
 * Events are held back until lkc__model_announce() (called when the room becomes
 * CONNECTED), which reports everyone already there; from then on changes are
 * reported as they come. */
#ifndef LKC_ROOM_MODEL_H
#define LKC_ROOM_MODEL_H

#include "livekit_rtc.pb-c.h"
#include "room/room_core.h"

typedef struct lkc_model lkc_model_t;

lkc_model_t *lkc__model_new(lkc_room_t *room);
/* Clears the room's model and frees the registry. NULL is ignored. */
void lkc__model_free(lkc_model_t *m);

void lkc__model_join(lkc_model_t *m, const Livekit__JoinResponse *j);
/* A full reconnect's JoinResponse: the model is rebuilt from it, and once announced the
 * differences are reported (who left while we were away, who came, what changed). */
void lkc__model_rejoin(lkc_model_t *m, const Livekit__JoinResponse *j);
void lkc__model_update(lkc_model_t *m, Livekit__ParticipantInfo *const *ps, size_t n);
void lkc__model_room_update(lkc_model_t *m, const Livekit__Room *r);
void lkc__model_announce(lkc_model_t *m);

/* Lookups (engine thread; results borrowed until the next model change). */
const lkc_participant_info_t *lkc__model_local(const lkc_model_t *m);
const lkc_participant_info_t *lkc__model_find_sid(const lkc_model_t *m, const char *sid);
const lkc_participant_info_t *lkc__model_find_identity(const lkc_model_t *m, const char *identity);
const lkc_participant_info_t *lkc__model_find_track(const lkc_model_t *m, const char *track_sid,
                                                   const lkc_track_info_t **track);

/* Records whether we receive a remote track (its `subscribed` flag). */
void lkc__model_set_subscribed(lkc_model_t *m, const char *track_sid, bool subscribed);

/* Deep copies and conversions (any thread; free with the public *_free functions). */
lkc_room_info_t *lkc__room_info_dup(const lkc_room_info_t *r);
lkc_participant_info_t *lkc__participant_dup(const lkc_participant_info_t *p);

#endif
