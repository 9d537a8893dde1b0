/* The send pipeline of one published audio track, on the engine thread: take 20 ms
 * frames from the source as they complete, no faster than one per 20 ms (a source that
 * holds more is paced out), resample to 48 kHz, Opus-encode (DTX frames are not sent),
 * build RTP with the RFC 6464 audio-level extension, protect and send; RTCP sender
 * reports. */
#ifndef LKC_ROOM_AUDIO_SENDER_H
#define LKC_ROOM_AUDIO_SENDER_H

#include "room/audio_internal.h"
#include "room/media_clock.h"
#include "rtc/peer.h"

/* Creates the pipeline for `t` (encoder, resampler, buffers). `clock` is poked (from the
 * capturing thread) when the source completes a frame it had none of. NULL on failure. */
lkc_sender_t *lkc_sender_new(lkc_track_t *t, uint32_t ssrc, lkc_media_clock_t *clock);
/* Stops the pokes first, so the clock may go once this returns. */
void lkc_sender_free(lkc_sender_t *s);
uint32_t lkc_sender_ssrc(const lkc_sender_t *s);

/* Sends the frames that are queued and due by `now_us`; returns when to run next
 * (LKC_MEDIA_CLOCK_NEVER: at the next poke). Nothing is taken from the source until the
 * m-line is negotiated and the connection is up: until then audio waits in the queue
 * (as much as the source's queue_ms holds) and the sender looks again every 20 ms. */
int64_t lkc_sender_run(lkc_sender_t *s, lkc_peer_t *peer, const lkc_peer_audio_t *neg, int64_t now_us);

/* Sends an RTCP sender report (with SDES CNAME) if at least one packet went out. */
void lkc_sender_send_report(lkc_sender_t *s, lkc_peer_t *peer, int64_t now_us);

#endif
