/* One outgoing data packet (LiveKit DataPacket with a UserPacket) as lkc holds it from
 * lkc_room_publish_data() until SCTP takes it, and its wire encoding. Any thread. */
#ifndef LKC_ROOM_DATA_PACKET_H
#define LKC_ROOM_DATA_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "room/room_core.h"

/* tag + a 5-byte varint: what a reliable sequence number adds to an encoded packet */
#define LKC__DATA_SEQUENCE_FIELD_MAX 6

typedef struct lkc__outgoing {
    lkc_room_t *room;       /* set while the packet counts in room->data_queued */
    size_t cost;
    uint64_t num;           /* reliable: 1, 2, ... in the order lkc took them (data.c) */
    uint32_t seq;           /* reliable: the sequence number it was sent with (0: not yet) */
    lkc_data_kind_t kind;
    uint8_t *payload;
    size_t len;
    char *topic;
    char **destinations;
    size_t n_destinations;
} lkc__outgoing_t;

/* The encoded size of a packet of `len` payload bytes with this topic and these
 * destinations, without a sequence number. Reads no payload byte. */
size_t lkc__data_packed_size(size_t len, const char *topic, const char *const *destinations, size_t n);

/* Encodes `o` with reliable sequence `seq` (0 = none) into a g_malloc'd buffer. */
uint8_t *lkc__data_pack(const lkc__outgoing_t *o, uint32_t seq, size_t *out_len);

/* Frees a packet; when it still counts in its room's queue, un-counts it and wakes the
 * senders waiting for room. NULL is ignored. */
void lkc__outgoing_free(gpointer o);

#endif
