/* The remote audio we receive, on the engine thread: one receiver per active audio m-line
 * of the subscriber connection, the AudioStreams reading each track, track_subscribed /
 * track_unsubscribed, UpdateSubscription, and the end of streams (R7). The media clock
 * (media.c) runs the receivers. */
#ifndef LKC_ROOM_REMOTE_TRACKS_H
#define LKC_ROOM_REMOTE_TRACKS_H

#include "livekit_rtc.pb-c.h"
#include "room/audio_internal.h"
#include "room/media_clock.h"
#include "room/model.h"
#include "rtc/peer.h"
#include "rtc/rtcp.h"

typedef struct lkc__remote_tracks lkc__remote_tracks_t;

typedef struct lkc__remote_tracks_ports {
    int (*send_signal)(void *user, const Livekit__SignalRequest *req);
    void *user;
} lkc__remote_tracks_ports_t;

lkc__remote_tracks_t *lkc__remote_tracks_new(lkc_room_t *room, lkc_model_t *model, lkc_media_clock_t *clock,
                                             const lkc__remote_tracks_ports_t *ports);
/* Ends every stream (R7) and frees the receivers. NULL is ignored. */
void lkc__remote_tracks_free(lkc__remote_tracks_t *rt);

/* The subscriber PC answered `offer`: receivers follow its active audio m-lines. */
void lkc__remote_tracks_on_offer(lkc__remote_tracks_t *rt, lkc_peer_t *subscriber,
                                 const Livekit__SessionDescription *offer);
/* The model changed (or the room became CONNECTED): announce receivers whose track is now
 * known, end streams and receivers of tracks that are gone. */
void lkc__remote_tracks_on_model_changed(lkc__remote_tracks_t *rt);
void lkc__remote_tracks_on_rtp(lkc__remote_tracks_t *rt, const char *mid, uint8_t *pkt, size_t len);
/* An RTCP compound from the subscriber PC (sender reports of what we receive). */
void lkc__remote_tracks_on_rtcp(lkc__remote_tracks_t *rt, uint8_t *pkt, size_t len);

/* A full reconnect: the receivers of the old connection go (track_unsubscribed is
 * reported; the new session subscribes again); the streams stay, and for a while streams
 * of a track that vanished wait for it to come back or move to its successor (the same
 * participant identity, name and source: its publisher rejoined). */
void lkc__remote_tracks_reset(lkc__remote_tracks_t *rt);
/* LKC__CMD_ADD_STREAM: LKC_ERR_NOT_FOUND for an unknown track, LKC_ERR_INVALID_ARG for a
 * track that is not audio. On success the stream reference is the engine's. */
int lkc__remote_tracks_add_stream(lkc__remote_tracks_t *rt, lkc_audio_stream_t *st);
/* LKC__CMD_SET_SUBSCRIBED: LKC_ERR_NOT_FOUND for a track the room does not have. */
int lkc__remote_tracks_set_subscribed(lkc__remote_tracks_t *rt, const char *track_sid, bool subscribe);

/* The media clock: plays out what is due; returns the earliest next due time. */
int64_t lkc__remote_tracks_run(lkc__remote_tracks_t *rt, int64_t now_us);
/* Report blocks for our receiver report (at most `max`); returns how many. */
size_t lkc__remote_tracks_report_blocks(lkc__remote_tracks_t *rt, int64_t now_us, lkc_rtcp_report_block_t *rb,
                                        size_t max);

#endif
