/* Audio in the room: what the public audio API (audio_source.c, publication.c,
 * audio_stream.c) and the engine-side pipelines (audio_sender.c, audio_receiver.c)
 * share.
 *
 * Ownership: sources, tracks and streams are reference counted (atomics) because an
 * application handle and the engine thread both hold them and either may let go first.
 * The engine-side state inside them is touched only on the engine thread. */
#ifndef LKC_ROOM_AUDIO_INTERNAL_H
#define LKC_ROOM_AUDIO_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "lkc/audio.h"
#include "media/capture_queue.h"
#include "media/jitter.h"
#include "media/opus_codec.h"
#include "media/pcm_ring.h"
#include "media/resample.h"
#include "rtc/rtcp.h"
#include "room/room_core.h"

/* --- sources -------------------------------------------------------------------- */

/* R9: a destroy never frees what a blocked caller still holds. Every public call takes
 * a reference for as long as it is inside (lkc__audio_source_ref/unref), so the memory
 * (and the queue's mutex a waiting capture sleeps on) lives until the last of them has
 * returned. Destroy is close-then-free: it marks the source destroyed, closes the queue
 * (every waiting capture and wait_for_playout wakes with LKC_ERR_CLOSED), and drops the
 * application's reference; whoever drops the last one frees. */
struct lkc_audio_source {
    gint refs;                 /* the application's handle, each track publishing from it,
                                  each public call in progress */
    atomic_bool destroyed;     /* lkc_audio_source_destroy was called */
    int sample_rate;
    int channels;
    int queue_ms;
    lkc_capture_queue_t *queue;
    atomic_uint_fast64_t frames_sent;
};

lkc_audio_source_t *lkc__audio_source_ref(lkc_audio_source_t *src);
void lkc__audio_source_unref(lkc_audio_source_t *src);

/* --- local publications ------------------------------------------------------------ */

typedef struct lkc_sender lkc_sender_t; /* audio_sender.c */

struct lkc_track {
    gint refs;                 /* the application's handle, the room's list, the engine's */
    lkc_room_t *room;          /* [lock] NULL once the room is destroyed */
    lkc_audio_source_t *src;
    char cid[40];
    char *name;
    lkc_track_source_t source;
    bool dtx;
    bool preconnect_buffer;
    bool stereo;
    int bitrate;
    atomic_bool muted;

    pthread_mutex_t lock;      /* guards sid and the publish outcome */
    pthread_cond_t cond;
    char sid[64];
    int publish_rc;            /* 1 while pending, then LKC_OK or an error */
    bool abandoned;            /* the publishing call gave up waiting */
    atomic_bool publish_taken; /* the engine took the publish command (it answers the wait) */

    bool released;             /* [lock] the application let go of its handle */

    /* engine thread only */
    lkc_sender_t *sender;
    const char *mid;           /* the publisher m-line, borrowed from the peer */
    bool unpublished;
};

/* track.c */
lkc_track_t *lkc__track_ref(lkc_track_t *t);
void lkc__track_unref(lkc_track_t *t);
/* Ends the publish wait with `rc` (engine thread, or a command's free). */
void lkc__track_publish_done(lkc_track_t *t, int rc);
/* Command data helpers: a reference as the command's data, released by its free. */
void lkc__track_unref_notify(gpointer t);
/* The free of LKC__CMD_PUBLISH_AUDIO: a publish that never ran fails at once. */
void lkc__track_publish_cmd_free(gpointer t);
/* Room destroy: the handle outlives the room (its calls then return LKC_ERR_CLOSED). */
void lkc__track_detach_room(lkc_track_t *t);

/* --- streams ------------------------------------------------------------------- */

/* R9, as for sources: read and get_stats hold a reference while inside; destroy marks
 * the stream detached, closes the ring (a waiting read returns LKC_ERR_CLOSED) and drops
 * the application's reference; the last reference frees (a reader, the engine or the
 * destroy itself). */
struct lkc_audio_stream {
    gint refs;                 /* the application's handle, the receiver's, each read or
                                  get_stats in progress */
    lkc_audio_stream_options_t opts;
    char track_sid[64];
    lkc_pcm_ring_t *ring;      /* pull variant */
    pthread_mutex_t cb_lock;   /* recursive; held while on_frame/on_end run: destroy waits */
    atomic_bool detached;      /* the application destroyed it */
    atomic_bool ended;
    /* engine thread only */
    lkc_resample_t *resample;  /* decoded (48 kHz, track channels) -> requested format */
    int16_t *push_buf;         /* push variant: collects frame_ms of audio */
    size_t push_fill;
    atomic_uint_fast64_t samples_dropped;
    /* a copy of the receiver's counters, refreshed every playout tick */
    pthread_mutex_t stats_lock;
    lkc_audio_stream_stats_t stats;
};

/* Allocates a stream of `track_sid` (options checked) that no room feeds yet: create
 * registers it with a room's engine; tests use it alone (destroy frees it as usual). */
lkc_err_t lkc__audio_stream_new(const lkc_audio_stream_options_t *opts, const char *track_sid,
                               lkc_audio_stream_t **out);
lkc_audio_stream_t *lkc__audio_stream_ref(lkc_audio_stream_t *s);
void lkc__audio_stream_unref(lkc_audio_stream_t *s);
/* Engine thread: hands decoded PCM (48 kHz, `channels`) to the stream. */
void lkc__audio_stream_deliver(lkc_audio_stream_t *s, const int16_t *pcm, size_t samples, int channels);
/* Engine thread: ends the stream (R7): read returns LKC_EOS after the rest, on_end runs. */
void lkc__audio_stream_end(lkc_audio_stream_t *s);

#endif
