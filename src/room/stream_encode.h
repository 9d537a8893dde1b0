/* Outgoing data streams as packets: header, chunks and trailer encoded on the caller's
 * thread into lkc__outgoing_t (data_packet.h), reliable and not counted in any room, so
 * the engine only queues them. Also the shared pieces both directions need: the UTF-8
 * split and raw deflate (zlib, windowBits -15, as the official SDKs' "deflate-raw").
 * Any thread; nothing here keeps state. */
#ifndef LKC_ROOM_STREAM_ENCODE_H
#define LKC_ROOM_STREAM_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/stream.h"
#include "room/data_packet.h"

/* What a header says. Strings are borrowed (NULL = ""). */
typedef struct lkc__stream_head {
    const char *stream_id;
    const char *topic;
    const char *mime_type;          /* NULL: text/plain or application/octet-stream */
    const char *name;               /* byte streams only */
    const char *reply_to;           /* text streams only: reply_to_stream_id (NULL: none) */
    bool is_text;
    bool has_total_length;
    uint64_t total_length;          /* bytes before compression */
    const lkc_kv_t *attrs;
    size_t n_attrs;
    const char *const *dest;
    size_t n_dest;
    int64_t timestamp_ms;           /* 0: now */
    bool compressed;                /* compression = DEFLATE_RAW (content or chunks) */
    bool has_inline;                /* v2 single packet: the whole content in the header */
    const uint8_t *inline_content;
    size_t inline_len;
} lkc__stream_head_t;

/* The three packets. NULL only for an invalid argument (a NULL stream id). */
lkc__outgoing_t *lkc__stream_header_packet(const lkc__stream_head_t *h);
lkc__outgoing_t *lkc__stream_chunk_packet(const char *stream_id, uint64_t index, const uint8_t *data, size_t len,
                                          const char *const *dest, size_t n_dest);
lkc__outgoing_t *lkc__stream_trailer_packet(const char *stream_id, const char *reason, const lkc_kv_t *attrs,
                                            size_t n_attrs, const char *const *dest, size_t n_dest);

/* The length of the longest prefix of `p` (at most `max` bytes) that does not end inside
 * a UTF-8 sequence. Invalid UTF-8 is cut at `max` (never 0 for len > 0 and max >= 4). */
size_t lkc__utf8_prefix(const uint8_t *p, size_t len, size_t max);
/* How many bytes at the end of `p` are an incomplete (so far valid-looking) UTF-8
 * sequence that more bytes could complete: 0..3. */
size_t lkc__utf8_incomplete_tail(const uint8_t *p, size_t len);

/* Raw deflate of the whole input (g_malloc'd into *out). false when zlib fails. */
bool lkc__deflate_raw(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len);

/* The packets (lkc__outgoing_t*, free func lkc__outgoing_free) of one whole text stream:
 * - v2_inline, and the header packet with the content fits in 15000 bytes: one header
 *   with inline_content, deflated when `deflate` and deflating shrinks it;
 * - else, v2_inline and `deflate` and deflating shrinks it: a header with
 *   compression=DEFLATE_RAW, the deflated bytes in 15000-byte chunks, a trailer;
 * - else v1: header (total_length, text/plain), 15000-byte chunks cut on UTF-8
 *   boundaries, trailer.
 * stream_id must be non-NULL; `text` may be NULL when len is 0. Any thread. */
GPtrArray *lkc__stream_encode_text(const char *stream_id, const char *topic, const char *text, size_t len,
                                   const char *const *dest, size_t n_dest, const lkc_kv_t *attrs, size_t n_attrs,
                                   bool v2_inline, bool deflate);
/* The same for any stream described by `h` (its inline/compressed fields are set here;
 * total_length is set to `len`), content `data`. Byte streams are cut at 15000 bytes. */
GPtrArray *lkc__stream_encode_oneshot(const lkc__stream_head_t *h, const uint8_t *data, size_t len, bool v2_inline,
                                      bool deflate);

#endif
