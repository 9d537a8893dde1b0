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

#endif
