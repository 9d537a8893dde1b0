/* lkc: audio. Publishing: an AudioSource (PCM from the application) becomes a local
 * track. Subscribing: an AudioStream gives the PCM of one remote audio track.
 *
 * Threads: lkc_audio_source_capture() and lkc_audio_stream_read() are called from the
 * application's threads (they copy, and wait only as long as their timeout); Opus,
 * RTP, the jitter buffer and resampling run on the room's engine thread, paced by a
 * media clock (20 ms frames), not by the caller.
 *
 * Lifetimes: sources and streams are independent of rooms: each lives until its own
 * *_destroy(), also after the room it was used with is destroyed. A stream ends (read
 * returns LKC_EOS, on_end is called) when its track is unsubscribed or unpublished, its
 * participant leaves, or the room closes or is destroyed (R7). A lkc_track_t (a local
 * publication) is the application's until lkc_room_unpublish() or lkc_track_release(),
 * independent of its room: after the room is destroyed its calls return LKC_ERR_CLOSED
 * and lkc_track_release() still frees it.
 *
 * Destroying while other threads wait (R9): lkc_audio_source_destroy() and
 * lkc_audio_stream_destroy() may be called while other threads are inside a call on the
 * same handle. Calls that wait (capture, wait_for_playout, read) return promptly with
 * LKC_ERR_CLOSED, and the object's memory stays valid until the last call in progress
 * has returned. A call that STARTS after destroy was called uses a freed handle, like
 * any use after free(): undefined behaviour that lkc cannot detect. So stop your threads
 * from calling again (a flag you set before destroy), destroy, then join them.
 */
#ifndef LKC_AUDIO_H
#define LKC_AUDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/room.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- publishing -------------------------------------------------------------------- */

typedef struct lkc_audio_source lkc_audio_source_t;
typedef struct lkc_track lkc_track_t;

/** Creates a source of PCM at `sample_rate` (8000..48000, a multiple of 50 Hz) with
 *  1 or 2 channels. `queue_ms` > 0 buffers that much audio (capture waits when it is
 *  full); 0 is real-time mode: capture never waits, and audio that falls behind the
 *  media clock is dropped (the oldest first) and counted. Any thread. */
LKC_API lkc_err_t lkc_audio_source_create(int sample_rate, int channels, int queue_ms, lkc_audio_source_t **out);

/** Copies `samples_per_channel` frames of interleaved int16 PCM into the queue (any
 *  size; re-framed to 20 ms inside). Frames captured before the track is published or
 *  connected wait in the queue (up to queue_ms). Waits at most `timeout_ms` in all (< 0:
 *  no bound, 0: not at all).
 *  Buffered (queue_ms > 0), a block that fits in queue_ms: when the queue is full it
 *  waits for room, then returns LKC_ERR_WOULD_BLOCK without taking any of it.
 *  A block longer than queue_ms goes in piece by piece as the track sends it, at the
 *  pace of real time (a 10 s clip into a 200 ms queue takes about 9.8 s: pass a timeout
 *  that long, or < 0). When the time is up first: LKC_ERR_WOULD_BLOCK if none of it got
 *  in, else LKC_ERR_TIMEOUT (the pieces already queued are sent, in order; the rest of
 *  the block is not taken). Other captures wait while such a block goes in, so it stays
 *  in one piece.
 *  Real time (queue_ms = 0): never waits, any size; audio beyond two 20 ms frames drops
 *  the oldest (counted in frames_dropped).
 *  LKC_ERR_CLOSED when the source is destroyed while the capture waits (see R9 above; a
 *  capture that starts after destroy is undefined). Application threads (several may
 *  call). */
LKC_API lkc_err_t lkc_audio_source_capture(lkc_audio_source_t *src, const int16_t *pcm, size_t samples_per_channel,
                                           int timeout_ms);

/** Drops everything queued (also releases waiting captures: there is room now). Any
 *  thread. */
LKC_API void lkc_audio_source_clear(lkc_audio_source_t *src);

/** Milliseconds of audio queued and not yet sent. Any thread. */
LKC_API int lkc_audio_source_queued_ms(lkc_audio_source_t *src);

/** Waits until everything captured so far has been sent (a trailing partial frame is
 *  padded with silence), up to `timeout_ms` (< 0: no limit): LKC_OK or LKC_ERR_TIMEOUT;
 *  LKC_ERR_CLOSED when the source is destroyed while it waits (R9). Any thread. */
LKC_API lkc_err_t lkc_audio_source_wait_for_playout(lkc_audio_source_t *src, int timeout_ms);

typedef struct lkc_audio_source_stats {
    uint64_t frames_captured;   /**< 20 ms frames queued */
    uint64_t frames_sent;       /**< encoded and sent (or suppressed by DTX) */
    uint64_t frames_dropped;    /**< real-time mode: late audio dropped */
    uint64_t would_block;       /**< captures refused (or, longer than the queue, cut
                                     short) because the queue stayed full */
} lkc_audio_source_stats_t;

/** Copies out the source's counters. Any thread. */
LKC_API lkc_err_t lkc_audio_source_get_stats(lkc_audio_source_t *src, lkc_audio_source_stats_t *out);

/** Releases the application's handle. Captures and wait_for_playout waiting on other
 *  threads return LKC_ERR_CLOSED at once, and the source is freed when the last of them
 *  has returned (or when a track still published from it lets go: that track stops
 *  getting audio). `src` must not be used again once this is called: a call that starts
 *  afterwards is undefined behaviour (R9 above). NULL is ignored; does not wait. Any
 *  thread. */
LKC_API void lkc_audio_source_destroy(lkc_audio_source_t *src);

/** Publish options. Fill with lkc_audio_publish_options_init() first. */
typedef struct lkc_audio_publish_options {
    uint32_t struct_size;          /**< set by lkc_audio_publish_options_init(); 0 is refused */
    const char *name;              /**< track name; NULL: "audio" */
    lkc_track_source_t source;     /**< default LKC_SOURCE_MICROPHONE */
    bool dtx;                      /**< discontinuous transmission; default true */
    bool stereo;                   /**< default: true when the source has 2 channels */
    int bitrate;                   /**< bits/s; 0: 32000 mono, 64000 stereo */
    bool muted;                    /**< start muted */
    /** Tell the room (LiveKit agents) that audio captured before an agent joined will
     *  come as a pre-connect buffer (lkc/agent.h); sets the track's TF_PRECONNECT_BUFFER. */
    bool preconnect_buffer;
} lkc_audio_publish_options_t;

/** Fills the defaults (needs the source for the stereo default; NULL: mono). Any
 *  thread; `src` is only read. */
LKC_API void lkc_audio_publish_options_init(lkc_audio_publish_options_t *o, const lkc_audio_source_t *src);

/** Publishes `src` as an Opus track: AddTrackRequest, waits (up to 10 s) for the server's
 *  TrackPublishedResponse, renegotiates the publisher connection and starts sending.
 *  `opts` NULL = defaults; `out` must not be NULL: `*out` names the publication, the
 *  application's until lkc_room_unpublish() or lkc_track_release(). The track keeps a
 *  reference to `src`. Note: DTX (on by default) treats a steady pure tone as background
 *  noise and may stop sending it after a moment; publish test tones with dtx = false.
 *  LKC_ERR_STATE when the room is not connected; LKC_ERR_DENIED when the token may not
 *  publish; LKC_ERR_CLOSED when the session ends or the room is destroyed meanwhile.
 *  Any thread except this room's handlers (LKC_ERR_STATE: it must wait for the server). */
LKC_API lkc_err_t lkc_room_publish_audio(lkc_room_t *room, lkc_audio_source_t *src,
                                         const lkc_audio_publish_options_t *opts, lkc_track_t **out);

/** Unpublishes `track` and releases the application's handle (do not use it again).
 *  LKC_ERR_INVALID_ARG when it is not this room's; LKC_ERR_NOT_FOUND when it was already
 *  taken off (e.g. the server unpublished it; release it with lkc_track_release()). Any
 *  thread. */
LKC_API lkc_err_t lkc_room_unpublish(lkc_room_t *room, lkc_track_t *track);

/** Releases the application's handle: unpublishes it if its room still has it, and frees
 *  it (do not use it again). For a track whose room was destroyed this is the only way
 *  to free it. NULL is ignored. Any thread. */
LKC_API void lkc_track_release(lkc_track_t *track);

/** Mutes (stops sending, tells the server: others see track_muted) and unmutes. While
 *  muted, captured audio is consumed at the media clock and dropped. LKC_ERR_CLOSED
 *  once the track's room is destroyed. Any thread. */
LKC_API lkc_err_t lkc_track_mute(lkc_track_t *track);
LKC_API lkc_err_t lkc_track_unmute(lkc_track_t *track);

/** Copies the track's sid (e.g. "TR_AM...") into `buf`. Any thread. */
LKC_API lkc_err_t lkc_track_get_sid(const lkc_track_t *track, char *buf, size_t len);

/* --- subscribing ------------------------------------------------------------------ */

/** Subscribes to (or unsubscribes from) a remote track. With auto_subscribe (the
 *  default) every track is subscribed when published. LKC_ERR_NOT_FOUND when the room
 *  has no track with that sid; LKC_ERR_STATE when not connected. Waits for the engine
 *  thread (bounded). Any thread. */
LKC_API lkc_err_t lkc_room_set_subscribed(lkc_room_t *room, const char *track_sid, bool subscribed);

typedef struct lkc_audio_stream lkc_audio_stream_t;

/** Stream options. Fill with lkc_audio_stream_options_init() first. */
typedef struct lkc_audio_stream_options {
    uint32_t struct_size; /**< set by lkc_audio_stream_options_init(); 0 is refused */
    int sample_rate;   /**< output rate, 8000..48000; default 48000 */
    int channels;      /**< 1 or 2; default 1 (a stereo track is mixed down) */
    int frame_ms;      /**< push variant: frame size handed to on_frame; default 10 */
    int capacity_ms;   /**< the read ring; when the reader falls this far behind, the oldest
                            audio is dropped (counted); default 500 */
    /** Push variant (optional): every frame_ms of audio, on the engine thread. The pull
     *  API (lkc_audio_stream_read) is not used then. */
    void (*on_frame)(lkc_audio_stream_t *stream, const int16_t *pcm, size_t samples_per_channel, void *user);
    /** Called once when the stream ends (on the engine thread, or in
     *  lkc_audio_stream_destroy when the room is gone). Optional. */
    void (*on_end)(lkc_audio_stream_t *stream, void *user);
    void *user;
} lkc_audio_stream_options_t;

/** Fills the defaults (48 kHz mono, 10 ms push frames, 500 ms ring). Any thread. */
LKC_API void lkc_audio_stream_options_init(lkc_audio_stream_options_t *o);

/** Creates a stream of the remote audio track `track_sid` (`opts` NULL = defaults). Audio
 *  flows once the track is subscribed (at once with auto_subscribe). R1: when the track does not
 *  exist, is not audio, is unpublished while the stream is being made, or the room is
 *  not connected, this returns an error and nothing of the stream stays live). Several
 *  streams may read one track. Any thread except this room's handlers. */
LKC_API lkc_err_t lkc_audio_stream_create(lkc_room_t *room, const char *track_sid,
                                          const lkc_audio_stream_options_t *opts, lkc_audio_stream_t **out);

/** Reads up to `max_samples_per_channel` frames of interleaved int16 PCM. Returns the
 *  number read (> 0), LKC_ERR_TIMEOUT when nothing came in `timeout_ms` (0: do not
 *  wait, < 0: no limit), LKC_EOS once the stream has ended and everything was read,
 *  LKC_ERR_CLOSED when the stream is destroyed while the read waits (R9 above; a read
 *  that starts after destroy is undefined), LKC_ERR_STATE for a push stream.
 *  Application threads (several may read: each gets different samples). */
LKC_API int lkc_audio_stream_read(lkc_audio_stream_t *stream, int16_t *pcm, size_t max_samples_per_channel,
                                  int timeout_ms);

typedef struct lkc_audio_stream_stats {
    uint64_t packets_received;
    uint64_t packets_lost;       /**< never arrived (concealed) */
    uint64_t packets_late;       /**< arrived after their playout time (dropped) */
    uint64_t frames_concealed;   /**< PLC or FEC frames */
    uint64_t underruns;          /**< reads that found too little audio while the track was live */
    uint64_t samples_dropped;    /**< overflow: the reader fell more than capacity_ms behind */
    int jitter_target_ms;        /**< the jitter buffer's current target delay */
    int buffered_ms;             /**< audio waiting in the jitter buffer */
    bool ended;
} lkc_audio_stream_stats_t;

/** Copies out the stream's counters (shared by the streams of one track, except
 *  samples_dropped, which is the stream's own). Any thread. */
LKC_API lkc_err_t lkc_audio_stream_get_stats(lkc_audio_stream_t *stream, lkc_audio_stream_stats_t *out);

/** Ends (if still live) and frees the stream. No on_frame/on_end runs after it returns.
 *  Reads waiting on other threads return LKC_ERR_CLOSED at once, and the memory is
 *  freed when the last of them has returned. `stream` must not be used again once this
 *  is called: a call that starts afterwards is undefined behaviour (R9 above). NULL is
 *  ignored. Any thread except the stream's own on_frame/on_end. */
LKC_API void lkc_audio_stream_destroy(lkc_audio_stream_t *stream);

/* --- measuring PCM (level meters, tests) ------------------------------------------ */

/** RMS level in dBFS of channel `channel` (0-based; -1: all channels together) of
 *  interleaved int16 PCM: a full-scale sine reads about -3 dBFS; silence -120. Pure;
 *  any thread. */
LKC_API double lkc_pcm_level_dbfs(const int16_t *pcm, size_t frames, int channels, int channel);

/** The dominant frequency in Hz of channel `channel` (a Hann-windowed FFT of up to 2^17
 *  frames, peak interpolated: a steady tone over 1 s comes out within a fraction of a
 *  hertz). LKC_ERR_NOT_FOUND for silence, LKC_ERR_INVALID_ARG for fewer than 16 frames
 *  or a bad channel or rate. Pure; any thread. */
LKC_API lkc_err_t lkc_pcm_dominant_hz(const int16_t *pcm, size_t frames, int channels, int channel,
                                      int sample_rate, double *hz);

#ifdef __cplusplus
}
#endif
#endif
