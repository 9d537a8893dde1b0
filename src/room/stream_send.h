/* What the sending calls share (stream_send.c, stream_writer.c): options, the recipients'
 * v2 abilities, and queuing a stream's packets in the room's data queue with
 * backpressure. Any thread. */
#ifndef LKC_ROOM_STREAM_SEND_H
#define LKC_ROOM_STREAM_SEND_H

#include "lkc/stream.h"
#include "room/room_core.h"

/* Copies `in` (NULL: the defaults) over the defaults and checks it. */
lkc_err_t lkc__stream_opts(const lkc_stream_options_t *in, lkc_stream_options_t *out);
/* A fresh stream id (a random UUID). */
void lkc__stream_new_id(char out[LKC_STREAM_ID_LEN]);
/* Whether every recipient (the destinations, or every remote participant for a
 * broadcast; an empty room counts as yes) speaks data streams v2, and accepts deflate. */
void lkc__stream_recipients(lkc_room_t *room, const char *const *dest, size_t n, bool *v2, bool *deflate);
/* Queues the packets (lkc__outgoing_t*, taken: the array is unreferenced) in order, all
 * or none: waits up to `timeout_ms` for room for all of them together. `force` (trailers)
 * counts them even when the queue is full rather than fail. The caller has entered the
 * room. LKC_ERR_TOO_LARGE when a packet exceeds the channel's message size. */
lkc_err_t lkc__stream_post(lkc_room_t *room, GPtrArray *pkts, int timeout_ms, bool force);
/* A stream longer than lkc's data queue is queued in parts of about this many bytes (a
 * multiple of the chunk size), so that lkc never holds much more than the queue. */
#define LKC__STREAM_PART_BYTES (64u * LKC_STREAM_CHUNK_SIZE)
/* A part after the first failed: the stream is cut. Its recipients are told (when the
 * session still takes packets: a trailer with a reason) rather than left to time out. */
void lkc__stream_cut(lkc_room_t *room, const char *id, const lkc_stream_options_t *o, lkc_err_t why);
/* lkc_stream_send_text/bytes with `name` as the default byte stream name. */
lkc_err_t lkc__stream_send_oneshot(lkc_room_t *room, bool text, const void *data, size_t len,
                                   const lkc_stream_options_t *opts, const char *name, char *id_out);

#endif
