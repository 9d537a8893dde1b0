/* lkc: data packets between participants (LiveKit DataPacket / UserPacket). */
#ifndef LKC_DATA_H
#define LKC_DATA_H

#include <stddef.h>

#include "lkc/room.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lkc_data_options {
    lkc_data_kind_t kind;                        /**< default (0) reliable */
    const char *topic;                           /**< NULL or "" for none */
    const char *const *destination_identities;   /**< NULL = everyone else in the room */
    size_t n_destinations;
} lkc_data_options_t;

/** Sends `len` bytes to the room. The payload is copied; the call returns once the
 *  packet is handed to the transport (reliable packets are then delivered in order,
 *  also when sent before the data channel is open: they wait for it).
 *  LKC_ERR_TOO_LARGE (nothing sent) when the packet would exceed the data channel's
 *  negotiated message size (lkc_room_max_data_payload()); LKC_ERR_STATE when the room
 *  is not connected. `opts` NULL = reliable, no topic, everyone. Any thread. */
LKC_API lkc_err_t lkc_room_publish_data(lkc_room_t *room, const void *payload, size_t len,
                                        const lkc_data_options_t *opts);

/** The largest payload lkc_room_publish_data() accepts with no topic and no
 *  destinations (topic and destination names take room from it). Any thread. */
LKC_API size_t lkc_room_max_data_payload(const lkc_room_t *room);

#ifdef __cplusplus
}
#endif
#endif
