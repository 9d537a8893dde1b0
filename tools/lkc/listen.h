/* Hearing one remote audio track: a thread that creates an AudioStream (48 kHz mono),
 * reads it until it ends, and once a second reports the level and dominant frequency
 * of that second. The PCM can also be handed on (to the recorder's mix).
 *
 * Streams are made from a thread of our own, never from a room handler (the library
 * forbids lkc_audio_stream_create there), and end by themselves when the track goes
 * away or the room closes; cli_listener_stop() is only the bounded fallback. */
#ifndef LKC_CLI_LISTEN_H
#define LKC_CLI_LISTEN_H

#include <stdbool.h>
#include <stdint.h>

#include "lkc/lkc.h"

#define CLI_LISTEN_RATE 48000

typedef struct cli_listener cli_listener_t;

typedef struct cli_listen_opts {
    lkc_room_t *room;
    const char *participant;   /* identity, copied */
    const char *track_sid;     /* copied */
    /* Once a second, from the listener's thread. */
    void (*on_report)(void *user, const char *participant, const char *track_sid, double rms_dbfs,
                      double freq_hz);
    /* Every chunk read (optional): `cursor` is this listener's own slot for the mixer. */
    void (*on_pcm)(void *user, int64_t *cursor, const int16_t *pcm, size_t n);
    /* The stream could not be made or failed. */
    void (*on_error)(void *user, lkc_err_t err, const char *message);
    void *user;
} cli_listen_opts_t;

/* Starts the thread. NULL when out of memory or threads. */
cli_listener_t *cli_listener_start(const cli_listen_opts_t *o);

const char *cli_listener_track_sid(const cli_listener_t *l);
const char *cli_listener_participant(const cli_listener_t *l);

/* Whether the stream has ended (or never started). Any thread. */
bool cli_listener_done(cli_listener_t *l);

/* The stream's counters; LKC_ERR_STATE when there is no live stream. Any thread. */
lkc_err_t cli_listener_stats(cli_listener_t *l, lkc_audio_stream_stats_t *out);

/* Tells the thread to end, joins it (bounded: reads wait at most 200 ms) and frees. */
void cli_listener_stop(cli_listener_t *l);

#endif
