/* The receive pipeline of one subscribed remote audio track, on the engine thread: RTP
 * into the adaptive jitter buffer, playout on the media clock, Opus decode with loss
 * concealment (in-band FEC when the next packet is there, else PLC), silence through DTX
 * pauses, and the receiver statistics behind our RTCP receiver reports. One per track,
 * whatever number of streams read it. */
#ifndef LKC_ROOM_AUDIO_RECEIVER_H
#define LKC_ROOM_AUDIO_RECEIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "lkc/audio.h"
#include "rtc/rtcp.h"

typedef struct lkc_receiver lkc_receiver_t;

/* Decoded audio: 48 kHz, `channels` (1 or 2) interleaved. */
typedef void (*lkc_receiver_deliver_fn)(void *user, const int16_t *pcm, size_t samples, int channels);

/* `level_ext`: the negotiated RFC 6464 extension id (0: none); the levels let the jitter
 * buffer shrink in quiet frames. */
lkc_receiver_t *lkc_receiver_new(const char *track_sid, const char *mid, uint32_t ssrc, bool stereo,
                                 int level_ext);
void lkc_receiver_free(lkc_receiver_t *r);
const char *lkc_receiver_track_sid(const lkc_receiver_t *r);
const char *lkc_receiver_mid(const lkc_receiver_t *r);
uint32_t lkc_receiver_ssrc(const lkc_receiver_t *r);

/* A decrypted RTP packet of this track. */
void lkc_receiver_push(lkc_receiver_t *r, const uint8_t *pkt, size_t len, int64_t now_us);
/* Plays out every frame due by `now_us`. */
void lkc_receiver_tick(lkc_receiver_t *r, int64_t now_us, lkc_receiver_deliver_fn deliver, void *user);
/* When the next frame is due (INT64_MAX before the first packet). */
int64_t lkc_receiver_next_due(const lkc_receiver_t *r);
/* The sender's RTCP SR (for LSR/DLSR in our reports). */
void lkc_receiver_on_sr(lkc_receiver_t *r, uint64_t ntp, int64_t now_us);
/* A report block for our receiver report; false before the first packet. */
bool lkc_receiver_report(lkc_receiver_t *r, int64_t now_us, lkc_rtcp_report_block_t *out);
/* The packet and playout counters of a stream's statistics. */
void lkc_receiver_stats(const lkc_receiver_t *r, lkc_audio_stream_stats_t *out);

#endif
