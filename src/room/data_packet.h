/* One outgoing data packet as lkc holds it from the moment it is taken (publish_data, a
 * stream chunk, an RPC message) until SCTP takes it: the DataPacket encoded once without
 * its reliable sequence number, which data.c appends when it sends (and sends again after
 * a reconnect). Any thread. */
#ifndef LKC_ROOM_DATA_PACKET_H
#define LKC_ROOM_DATA_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "livekit_models.pb-c.h"
#include "room/room_core.h"

/* the tag of DataPacket.sequence (field 16: 2 bytes) + a uint32 varint (5 bytes): what a
 * reliable sequence number adds to an encoded packet, at most */
#define LKC__DATA_SEQUENCE_FIELD_MAX 7

typedef struct lkc__outgoing {
    lkc_room_t *room;       /* set while the packet counts in room->data_queued */
    size_t cost;
    uint64_t num;           /* reliable: 1, 2, ... in the order lkc took them (data.c) */
    uint32_t seq;           /* reliable: the sequence number it was sent with (0: not yet) */
    int64_t acked_us;       /* reliable: when SCTP acknowledged it (0: not yet; data.c) */
    lkc_data_kind_t kind;
    uint8_t *encoded;       /* the DataPacket without sequence */
    size_t len;
} lkc__outgoing_t;

/* The encoded size of a user packet of `len` payload bytes with this topic and these
 * destinations, without a sequence number. Reads no payload byte. */
size_t lkc__data_packed_size(size_t len, const char *topic, const char *const *destinations, size_t n);

/* A user packet (lkc_room_publish_data), encoded at once. Not counted in any room. */
lkc__outgoing_t *lkc__outgoing_user(lkc_data_kind_t kind, const void *payload, size_t len, const char *topic,
                                    const char *const *destinations, size_t n);

/* Any DataPacket (its `sequence` must be 0; its kind is taken from `kind`), encoded at
 * once. Not counted in any room. */
lkc__outgoing_t *lkc__outgoing_packet(lkc_data_kind_t kind, Livekit__DataPacket *dp);

/* The wire bytes of `o` with reliable sequence `seq` (0 = none), g_malloc'd. */
uint8_t *lkc__data_pack(const lkc__outgoing_t *o, uint32_t seq, size_t *out_len);

/* What a queued packet costs in the room's data queue beyond its bytes. */
#define LKC__DATA_PACKET_COST_OVERHEAD 64

/* Connected, or reconnecting (then packets wait in lkc's queue for the connection). */
bool lkc__data_live(lkc_room_t *room);
/* Waits until `cost` more bytes fit in the room's data queue (LKC_DATA_MAX_QUEUED; an
 * empty queue takes anything), and counts them in room->data_queued: `timeout_ms` < 0
 * without a bound, 0 not at all (always 0 on the engine thread, which drains the queue).
 * LKC_ERR_WOULD_BLOCK when they do not fit in time, LKC_ERR_STATE when the session ends,
 * LKC_ERR_CLOSED when the room is destroyed. The caller hands the bytes to packets
 * (o->room, o->cost) whose free un-counts them. Any thread (data_publish.c). */
lkc_err_t lkc__data_reserve(lkc_room_t *room, size_t cost, int timeout_ms);

/* Un-counts a packet from its room's queue (it stays allocated) and wakes the senders
 * waiting for room. Idempotent. */
void lkc__outgoing_release(lkc__outgoing_t *o);

/* Frees a packet; when it still counts in its room's queue, un-counts it and wakes the
 * senders waiting for room. NULL is ignored. */
void lkc__outgoing_free(gpointer o);

#endif
