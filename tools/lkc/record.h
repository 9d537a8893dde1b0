/* `--record FILE.wav`: everything heard, mixed into one mono 48 kHz file (libsndfile).
 *
 * The mix is a timeline in samples since the recording started. Each listener adds its
 * chunks at its own cursor, which follows the wall clock (re-synchronised when it
 * drifts by more than 100 ms, e.g. after a gap in a track); cli_recorder_tick() writes
 * the part of the timeline that no listener can still reach (older than 500 ms), with
 * silence where nobody spoke. Any thread may add; one thread ticks. */
#ifndef LKC_CLI_RECORD_H
#define LKC_CLI_RECORD_H

#include <stddef.h>
#include <stdint.h>

typedef struct cli_recorder cli_recorder_t;

/* Creates FILE (WAV, 16-bit, mono, `rate` Hz). NULL with a message in `msg`. */
cli_recorder_t *cli_recorder_open(const char *path, int rate, char *msg, size_t msg_len);

/* Mixes `n` samples in at `*cursor` (-1: a new listener, placed at "now"). */
void cli_recorder_add(cli_recorder_t *r, int64_t *cursor, const int16_t *pcm, size_t n);

/* Writes out what is settled. Call a few times a second. */
void cli_recorder_tick(cli_recorder_t *r);

/* Seconds written so far. */
double cli_recorder_seconds(cli_recorder_t *r);

/* Writes the rest (up to now), closes the file and frees. */
void cli_recorder_close(cli_recorder_t *r);

#endif
