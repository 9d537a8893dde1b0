/* Data streams on the engine thread (the engine half of include/lkc/stream.h): incoming
 * streams (header, chunks, trailer; v1 and v2 inline/compressed), their readers, their
 * end (R7), and lkc's own consumers (RPC v2, transcriptions) beside the app's topic
 * handlers, which the room keeps across sessions. Outgoing streams are encoded on the
 * caller's thread (stream_encode.h) and sent as ordinary reliable packets. */
#ifndef LKC_ROOM_STREAMS_H
#define LKC_ROOM_STREAMS_H

#include "livekit_models.pb-c.h"
#include "lkc/stream.h"
#include "room/room_core.h"

typedef struct lkc__streams lkc__streams_t;

typedef struct lkc__streams_ports {
    /* Whether the identity is (still) in the room. */
    bool (*present)(void *user, const char *identity);
    /* lkc's own consumers of a topic (RPC v2, transcriptions): NULL when none. They are
     * called like the app's handlers, before them. */
    const lkc_stream_handlers_t *(*internal)(void *user, const char *topic, bool text, void **handler_user);
    void *user;
} lkc__streams_ports_t;

lkc__streams_t *lkc__streams_new(lkc_room_t *room, GMainContext *ctx, const lkc__streams_ports_t *ports);
/* The session ends: every open reader ends (reason "the room was closed"). NULL ignored. */
void lkc__streams_free(lkc__streams_t *s);
/* A stream header, chunk or trailer from `sender`. */
void lkc__streams_on_packet(lkc__streams_t *s, const Livekit__DataPacket *dp, const char *sender);
/* Whether a chunk of this stream id is wanted (false: drop it without decoding). */
bool lkc__streams_wants_chunk(const lkc__streams_t *s, const char *stream_id, size_t len);
/* Participants came or went: streams from a sender who left end (abnormal end). */
void lkc__streams_on_model_changed(lkc__streams_t *s);
/* A full reconnect: incoming streams end with a reason saying so. */
void lkc__streams_on_restart(lkc__streams_t *s);

/* Process-wide counts of the forms of incoming streams that had a reader (tests, logs). */
typedef struct lkc__streams_counts {
    uint64_t v1;               /* plain chunks */
    uint64_t inline_plain;     /* v2: one header packet */
    uint64_t inline_deflated;  /* v2: one header packet, deflate-raw */
    uint64_t chunked_deflated; /* v2: deflate-raw chunks */
    uint64_t unhandled;        /* headers nobody reads (dropped) */
} lkc__streams_counts_t;
void lkc__streams_counts(lkc__streams_counts_t *out);

#endif
