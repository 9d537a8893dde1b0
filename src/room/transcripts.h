/* Transcriptions on the engine thread: the `lk.transcription` text streams agents send
 * (and the older Transcription packets) merged per segment id into
 * lkc_transcription_t events. A stream's chunks append to its segment (an agent's speech
 * arrives as deltas); a new stream for a known segment replaces its text (interim user
 * transcripts come as whole new streams); the segment is final when the stream's
 * `lk.transcription_final` attribute says "true" (header or trailer). */
#ifndef LKC_ROOM_TRANSCRIPTS_H
#define LKC_ROOM_TRANSCRIPTS_H

#include "livekit_models.pb-c.h"
#include "lkc/stream.h"
#include "room/room_core.h"

typedef struct lkc__transcripts lkc__transcripts_t;

typedef struct lkc__transcripts_ports {
    /* The identity of the participant (or ourselves) who owns a track, or NULL. */
    const char *(*track_owner)(void *user, const char *track_sid);
    void *user;
} lkc__transcripts_ports_t;

lkc__transcripts_t *lkc__transcripts_new(lkc_room_t *room, const lkc__transcripts_ports_t *ports);
void lkc__transcripts_free(lkc__transcripts_t *t);
/* The stream handlers for topic lk.transcription (their user pointer is the t). */
const lkc_stream_handlers_t *lkc__transcripts_stream_handlers(void);
/* A Transcription data packet. */
void lkc__transcripts_on_packet(lkc__transcripts_t *t, const Livekit__Transcription *tr, const char *sender);

#endif
