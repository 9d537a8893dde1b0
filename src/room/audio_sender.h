/* The send pipeline of one published audio track, on the engine thread: pace queued
 * PCM out on the media clock (20 ms frames), resample to 48 kHz, Opus-encode (DTX frames
 * are not sent), build RTP with the RFC 6464 audio-level extension, protect and send;
 * RTCP sender reports. */
#ifndef LKC_ROOM_AUDIO_SENDER_H
#define LKC_ROOM_AUDIO_SENDER_H

#include "room/audio_internal.h"
#include "rtc/peer.h"

/* Creates the pipeline for `t` (encoder, resampler, buffers). NULL on failure. */
lkc_sender_t *lkc_sender_new(lkc_track_t *t, uint32_t ssrc);
void lkc_sender_free(lkc_sender_t *s);
uint32_t lkc_sender_ssrc(const lkc_sender_t *s);

/* Sends every frame that is due by `now_us`. Nothing is taken from the source until
 * the m-line is negotiated and the connection is up: until then audio waits in the
 * queue (as much as the source's queue_ms holds). */
void lkc_sender_tick(lkc_sender_t *s, lkc_peer_t *peer, const lkc_peer_audio_t *neg, int64_t now_us);

/* Sends an RTCP sender report (with SDES CNAME) if at least one packet went out. */
void lkc_sender_send_report(lkc_sender_t *s, lkc_peer_t *peer, int64_t now_us);

#endif
