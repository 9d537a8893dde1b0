/* Our audio publications on the engine thread: AddTrackRequest, TrackPublishedResponse,
 * refusals, mute, removal, and the senders (each bound once to its publisher m-line).
 * The media clock (media.c) runs the senders. */
#ifndef LKC_ROOM_LOCAL_TRACKS_H
#define LKC_ROOM_LOCAL_TRACKS_H

#include "livekit_rtc.pb-c.h"
#include "room/audio_internal.h"
#include "room/media_clock.h"
#include "rtc/peer.h"

typedef struct lkc__local_tracks lkc__local_tracks_t;

typedef struct lkc__local_tracks_ports {
    int (*send_signal)(void *user, const Livekit__SignalRequest *req);
    void *user;
} lkc__local_tracks_ports_t;

lkc__local_tracks_t *lkc__local_tracks_new(lkc_media_clock_t *clock, const lkc__local_tracks_ports_t *ports);
/* Fails publishes still waiting (LKC_ERR_CLOSED), stops the senders, releases all. */
void lkc__local_tracks_free(lkc__local_tracks_t *lt);

/* LKC__CMD_PUBLISH_AUDIO: asks the server (AddTrackRequest). Takes a reference. */
void lkc__local_tracks_add(lkc__local_tracks_t *lt, lkc_track_t *t);
/* The server published it: a sender on a new m-line of `publisher`, renegotiated. */
void lkc__local_tracks_on_published(lkc__local_tracks_t *lt, const Livekit__TrackPublishedResponse *r,
                                    lkc_peer_t *publisher, const char *local_sid);
/* The server refused a request (an AddTrack refused ends that publish). */
void lkc__local_tracks_on_request_response(lkc__local_tracks_t *lt, const Livekit__RequestResponse *r);
/* A full reconnect: every track is asked for again on the new session (the same source
 * and handle; a new sender and sid come with the server's answer). */
void lkc__local_tracks_republish(lkc__local_tracks_t *lt);
/* LKC__CMD_UNPUBLISH_AUDIO: the m-line goes inactive (the server then unpublishes). */
void lkc__local_tracks_remove(lkc__local_tracks_t *lt, lkc_track_t *t, lkc_peer_t *publisher);
/* The server unpublished one of ours. */
void lkc__local_tracks_on_unpublished(lkc__local_tracks_t *lt, const char *track_sid, lkc_peer_t *publisher);
/* LKC__CMD_MUTE: MuteTrackRequest with the track's flag. */
void lkc__local_tracks_send_mute(lkc__local_tracks_t *lt, lkc_track_t *t);

/* What we publish, as SyncState lists it (borrowed strings, valid until the next change):
 * fills up to `max` entries of `out`, each pointing to its `infos` entry. */
size_t lkc__local_tracks_published(lkc__local_tracks_t *lt, Livekit__TrackPublishedResponse *out,
                                   Livekit__TrackInfo *infos, size_t max);

/* The media clock: runs the senders; returns the earliest next due time. */
int64_t lkc__local_tracks_run(lkc__local_tracks_t *lt, int64_t now_us);
void lkc__local_tracks_send_reports(lkc__local_tracks_t *lt, int64_t now_us);

#endif
