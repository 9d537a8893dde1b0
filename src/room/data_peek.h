/* A look into an encoded DataPacket without decoding it: which `value` it carries, and
 * for a stream chunk its stream id, plus the reliable `sequence` and `participant_sid`
 * that de-duplication needs. So that chunks of streams nobody reads (an agent's
 * broadcasts on lk.agent.session) are dropped without allocating. Pointers point into
 * the packet's bytes (not NUL-terminated). Any thread; no state. */
#ifndef LKC_ROOM_DATA_PEEK_H
#define LKC_ROOM_DATA_PEEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LKC__DATA_PEEK_STREAM_CHUNK 14 /* DataPacket.stream_chunk */

typedef struct lkc__data_peek {
    uint32_t value_field;      /* the field number of the last oneof `value` field seen (0: none) */
    uint32_t sequence;         /* field 16 (0 when absent) */
    const uint8_t *sid;        /* field 17, participant_sid */
    size_t sid_len;
    const uint8_t *stream_id;  /* value_field 14: the chunk's stream_id (field 1) */
    size_t stream_id_len;
} lkc__data_peek_t;

/* false when the bytes are not a well-formed protobuf message at the top level (or in
 * the chunk): the caller then decodes it the ordinary way, which reports it. */
bool lkc__data_peek(const uint8_t *buf, size_t len, lkc__data_peek_t *out);

#endif
