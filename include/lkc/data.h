/* lkc: data packets between participants (LiveKit DataPacket / UserPacket). */
#ifndef LKC_DATA_H
#define LKC_DATA_H

#include <stddef.h>

#include "lkc/room.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of lkc_room_publish_data(). Fill with lkc_data_options_init() first. */
typedef struct lkc_data_options {
    uint32_t struct_size;                        /**< set by lkc_data_options_init(); 0 is refused */
    lkc_data_kind_t kind;                        /**< default reliable */
    const char *topic;                           /**< NULL or "" for none */
    const char *const *destination_identities;   /**< NULL = everyone else in the room */
    size_t n_destinations;
    /** How long lkc_room_publish_data() may wait for room when LKC_DATA_MAX_QUEUED bytes
     *  are already waiting to be sent: 0 (default) = do not wait, < 0 = without a bound
     *  (until there is room, the session ends, or the room is destroyed), > 0 = at most. */
    int timeout_ms;
} lkc_data_options_t;

/** Fills `o` with the defaults (and its struct_size). Any thread. */
LKC_API void lkc_data_options_init(lkc_data_options_t *o);

/** Bytes of packets lkc holds for sending beyond what SCTP buffers itself; above it
 *  lkc_room_publish_data() waits or refuses (backpressure, nothing is dropped). */
#define LKC_DATA_MAX_QUEUED (4u * 1024u * 1024u)

/** Sends `len` bytes to the room. The payload is copied; the call returns once the
 *  packet is queued for the transport. Reliable packets are delivered in order and
 *  none is dropped (also those sent before the data channel is open, or while the room is
 *  RECONNECTING: they wait for it, and a reliable packet is kept until the server has
 *  acknowledged it, so a reconnect sends again what the server did not get);
 *  lossy packets may be dropped when the channel is busy.
 *  Backpressure: when lkc already holds LKC_DATA_MAX_QUEUED bytes of unsent packets
 *  (the network is slower than the sender), the call waits up to `opts->timeout_ms` for
 *  room, then returns LKC_ERR_WOULD_BLOCK having taken nothing: send it again later.
 *  From a handler (the engine thread) it never waits.
 *  LKC_ERR_TOO_LARGE (nothing sent) when the packet would exceed the data channel's
 *  negotiated message size (lkc_room_max_data_payload()); LKC_ERR_STATE when the room
 *  is not connected (or the session ended while waiting); LKC_ERR_CLOSED when another
 *  thread destroys the room meanwhile. The size is checked before anything is copied.
 *  `opts` NULL = reliable, no topic, everyone, no wait. Any thread. */
LKC_API lkc_err_t lkc_room_publish_data(lkc_room_t *room, const void *payload, size_t len,
                                        const lkc_data_options_t *opts);

/** The largest payload lkc_room_publish_data() accepts with no topic and no
 *  destinations (topic and destination names take room from it). Any thread. */
LKC_API size_t lkc_room_max_data_payload(const lkc_room_t *room);

#ifdef __cplusplus
}
#endif
#endif
