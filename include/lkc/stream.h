/* lkc: data streams (LiveKit text and byte streams) to and from other participants.
 *
 * A stream is a header, chunks of up to 15000 bytes and a trailer, sent as reliable data
 * packets (so they share lkc_room_publish_data()'s ordering, replay after a reconnect and
 * backpressure). Peers that advertise data streams v2 get short streams as one packet
 * (inline) and, when they accept it, deflate-compressed content; lkc reads both forms.
 *
 * Receiving: register handlers per topic (before or after connecting; they stay across
 * reconnects until unregistered). Streams on a topic nobody handles are dropped cheaply.
 * Every stream that opened ends exactly once (R7): with its trailer, when its sender
 * leaves, when the room closes or is destroyed, or when no chunk came for a while.
 */
#ifndef LKC_STREAM_H
#define LKC_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/room.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The chunk size of outgoing streams (and the largest inline stream), as the official SDKs. */
#define LKC_STREAM_CHUNK_SIZE 15000

/** What a stream's header says (and, at its close, its trailer's attributes merged in). */
typedef struct lkc_stream_info {
    const char *id;
    const char *topic;
    const char *mime_type;
    const char *sender_identity;   /**< "" when the server sent it */
    const char *name;              /**< byte streams: the file name ("" if none); text: "" */
    bool is_text;
    int64_t timestamp_ms;
    bool has_total_length;
    uint64_t total_length;         /**< bytes, when has_total_length */
    const lkc_kv_t *attributes;
    size_t n_attributes;
} lkc_stream_info_t;

typedef struct lkc_stream_reader lkc_stream_reader_t;

/** Handlers of incoming streams on one topic. All run on the room's engine thread; the
 *  reader and info are valid until on_close returns. */
typedef struct lkc_stream_handlers {
    /** A stream opened (its header arrived). */
    void (*on_open)(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info, void *user);
    /** Content, in order (text: UTF-8, decompressed). NULL: the content is kept for
     *  the reader to pull instead. */
    void (*on_chunk)(lkc_room_t *room, lkc_stream_reader_t *reader, const uint8_t *data, size_t len, void *user);
    /** The stream ended: `status` LKC_OK with its trailer (`reason` ""), or an error with
     *  the reason (the sender left, aborted, the room closed, a timeout, a cap). `info`
     *  carries the trailer's attributes merged in. Called exactly once per opened stream. */
    void (*on_close)(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info,
                     lkc_err_t status, const char *reason, void *user);
} lkc_stream_handlers_t;

#ifdef __cplusplus
}
#endif
#endif
