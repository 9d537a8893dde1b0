/* The send pipeline of one published audio track, on the engine thread: take 20 ms
 * frames from the source as they complete, no faster than one per 20 ms (a source that
 * holds more is paced out), resample to 48 kHz, Opus-encode (DTX frames are not sent),
 * build RTP with the RFC 6464 audio-level extension, protect and send; RTCP sender
 * reports. */
#ifndef LKC_ROOM_AUDIO_SENDER_H
#define LKC_ROOM_AUDIO_SENDER_H

#include <stdatomic.h>

#include "media/capture_queue.h"
#include "room/media_clock.h"
#include "rtc/peer.h"

typedef struct lkc_sender lkc_sender_t;

/* What the sender is built from (the track's settings and the source's queue). */
typedef struct lkc__sender_config {
    lkc_capture_queue_t *queue;       /* the source's frames */
    int sample_rate;                  /* the source's format */
    int channels;
    bool stereo;                      /* Opus stereo */
    bool dtx;
    int bitrate;                      /* 0: the codec's default */
    const atomic_bool *muted;         /* read every frame: consumed, not sent, while set */
    atomic_uint_fast64_t *frames_sent;/* counted here (the source's statistics) */
    uint32_t ssrc;
    lkc_media_clock_t *clock;         /* poked (from the capturing thread) when a frame completes */
} lkc__sender_config_t;

/* Creates the pipeline (encoder, resampler, buffers). NULL on failure. */
lkc_sender_t *lkc__sender_new(const lkc__sender_config_t *cfg);
/* Stops the pokes first, so the clock may go once this returns. */
void lkc__sender_free(lkc_sender_t *s);
/* Binds the sender to its m-line once it exists: `neg` is the peer's view of it, stable
 * for the peer's life (m-lines are never removed). */
void lkc__sender_bind(lkc_sender_t *s, lkc_peer_t *peer, const lkc_peer_audio_t *neg);

/* Sends the frames that are queued and due by `now_us`; returns when to run next
 * (LKC_MEDIA_CLOCK_NEVER: at the next poke). Nothing is taken from the source until the
 * m-line is negotiated and the connection is up: until then audio waits in the queue
 * (as much as the source's queue_ms holds) and the sender looks again every 20 ms. */
int64_t lkc__sender_run(lkc_sender_t *s, int64_t now_us);

/* Sends an RTCP sender report (with SDES CNAME) if at least one packet went out. */
void lkc__sender_send_report(lkc_sender_t *s, int64_t now_us);

#endif
