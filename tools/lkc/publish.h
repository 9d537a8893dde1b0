/* Publishing audio from the CLI: a sine tone or a sound file (anything libsndfile
 * reads, any rate and channel count), fed to an lkc AudioSource by a capture thread.
 * The thread captures 20 ms frames with a timeout, so the source's backpressure (its
 * queue is full until the media clock takes a frame) paces it; nothing here sleeps. */
#ifndef LKC_CLI_PUBLISH_H
#define LKC_CLI_PUBLISH_H

#include <stdbool.h>

#include "lkc/lkc.h"

typedef struct cli_pub cli_pub_t;

typedef struct cli_pub_opts {
    lkc_room_t *room;         /* connected; the track is published from the capture thread */
    double tone_hz;           /* > 0: a mono 48 kHz sine at about -12 dBFS */
    const char *file;         /* else: this sound file */
    bool loop;                /* the file: start again at its end */
    const char *track_name;   /* NULL: "tone" or the file's base name */
    bool dtx;                 /* Opus DTX (silence suppression); off suits tones and music */
    /* Called from the capture thread once the track is published (sid) or when
     * publishing or capturing fails (err != LKC_OK, message says what to do). */
    void (*on_published)(void *user, const char *track_sid);
    void (*on_error)(void *user, lkc_err_t err, const char *message);
    /* The file ended (without loop) and all of it was sent. */
    void (*on_finished)(void *user);
    void *user;
} cli_pub_opts_t;

/* Opens the file (or prepares the tone), creates the source and starts the capture
 * thread. On failure returns the error and writes a message for the user to `msg`. */
lkc_err_t cli_pub_start(const cli_pub_opts_t *o, cli_pub_t **out, char *msg, size_t msg_len);

/* Checks that `path` is a sound file cli_pub_start() can publish (LKC_OK), else
 * writes why not to `msg`. */
lkc_err_t cli_pub_check_file(const char *path, char *msg, size_t msg_len);

/* The source's counters (LKC_ERR_STATE before the source exists). Any thread. */
lkc_err_t cli_pub_stats(cli_pub_t *p, lkc_audio_source_stats_t *out);

/* The published track's sid, or "" before it is published. */
void cli_pub_track_sid(cli_pub_t *p, char *buf, size_t len);

/* Stops the thread (bounded: it waits at most ~100 ms per capture; a publish still
 * waiting for the server ends when the room closes, so close the room first) and frees
 * everything but the track, which belongs to the room until lkc_room_destroy(). */
void cli_pub_stop(cli_pub_t *p);

#endif
