/* The session's audio, on the engine thread: our publications (AddTrackRequest, the
 * publisher m-lines, the senders) and the remote tracks we receive (one receiver per
 * subscribed m-line of the subscriber connection, the streams reading each track), the
 * media clock that drives them, and RTCP. */
#ifndef LKC_ROOM_MEDIA_H
#define LKC_ROOM_MEDIA_H

#include "livekit_rtc.pb-c.h"
#include "room/audio_internal.h"
#include "room/session.h"

typedef struct lkc_media lkc_media_t;

lkc_media_t *lkc_media_new(lkc_session_t *s);
/* Ends every stream (R7), fails pending publishes, releases everything. */
void lkc_media_free(lkc_media_t *m);

/* Signal messages about our publications. */
void lkc_media_on_track_published(lkc_media_t *m, const Livekit__TrackPublishedResponse *r);
void lkc_media_on_request_response(lkc_media_t *m, const Livekit__RequestResponse *r);
void lkc_media_on_track_unpublished(lkc_media_t *m, const char *track_sid);

/* The subscriber connection answered an offer: its audio m-lines say what we receive. */
void lkc_media_on_subscriber_offer(lkc_media_t *m, const Livekit__SessionDescription *sd);
/* Participants or tracks changed: streams of tracks that are gone end. */
void lkc_media_on_model_changed(lkc_media_t *m);
void lkc_media_on_rtp(lkc_media_t *m, const char *mid, uint8_t *pkt, size_t len);
void lkc_media_on_rtcp(lkc_media_t *m, bool subscriber, uint8_t *pkt, size_t len);

/* Engine-side halves of the public calls. */
void lkc_media_add_track(lkc_media_t *m, lkc_track_t *t);
void lkc_media_remove_track(lkc_media_t *m, lkc_track_t *t);
void lkc_media_send_mute(lkc_media_t *m, lkc_track_t *t);
/* Registers a stream (any thread; waits for the engine): LKC_ERR_NOT_FOUND when the
 * track is not a remote audio track of the room now. */
int lkc_media_register_stream(lkc_room_t *room, lkc_audio_stream_t *s);

#endif
