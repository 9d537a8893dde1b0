/* Data packets on the engine thread: the send queue (packets wait for the publisher's
 * channels, and while SCTP's buffer is full), reliable sequence numbers (1, 2, ... per
 * session), the replay buffer (a reliable packet is kept after it was sent until the
 * server has acknowledged it, and sent again after a reconnect), and the receive path
 * with de-duplication per sender. Received packets are reported through events.h. */
#ifndef LKC_ROOM_DATA_H
#define LKC_ROOM_DATA_H

#include "livekit_rtc.pb-c.h"
#include "room/data_packet.h"

typedef struct lkc_data lkc_data_t;

typedef struct lkc__data_ports {
    /* Sends an encoded DataPacket on the publisher channel of `kind`: LKC_OK,
     * LKC_ERR_STATE (not open yet: keep it), LKC_ERR_CLOSED (the channel is gone: a reliable
     * packet is kept for the reconnected one), LKC_ERR_WOULD_BLOCK (SCTP full), or another
     * error (the packet is dropped with a warning). */
    int (*send)(void *user, lkc_data_kind_t kind, const uint8_t *buf, size_t len);
    /* A received packet that is not a user packet (RPC, stream, transcription, ...), after
     * de-duplication; `sender` is its sender's identity ("" when the server sent it). */
    void (*packet_in)(void *user, const Livekit__DataPacket *dp, const char *sender, lkc_data_kind_t kind);
    /* Whether a stream chunk of this stream id (`len` bytes, not NUL-terminated) is
     * wanted; false: it is dropped before it is decoded (its sequence still counts for
     * de-duplication). NULL: every chunk is decoded. */
    bool (*wants_chunk)(void *user, const char *stream_id, size_t len);
    void *user;
} lkc__data_ports_t;

lkc_data_t *lkc__data_new(lkc_room_t *room, const lkc__data_ports_t *ports);
/* Frees what is still queued (un-counting it from the room's queue). NULL is ignored. */
void lkc__data_free(lkc_data_t *d);
/* Takes `o` (from LKC__CMD_SEND_DATA) into the queue and sends what it can. */
void lkc__data_send(lkc_data_t *d, lkc__outgoing_t *o);
/* Sends queued packets while the channels accept them. */
void lkc__data_flush(lkc_data_t *d);
/* The channels take packets again after refusing one. */
void lkc__data_sendable(lkc_data_t *d);
/* A DataPacket that arrived on a channel of `kind`. */
void lkc__data_receive(lkc_data_t *d, const uint8_t *buf, size_t len, lkc_data_kind_t kind);
/* SCTP says the server acknowledged everything sent so far: the replay buffer empties. */
void lkc__data_acked_all(lkc_data_t *d);
/* A resume: the server has every packet up to `last_seq` (ReconnectResponse); the rest of
 * the replay buffer goes out again first, with the same sequence numbers, once the
 * channels are open (the server drops numbers it already has). */
void lkc__data_resume(lkc_data_t *d, uint32_t last_seq);
/* A full reconnect: a new session on the server, so sequence numbers start again at 1;
 * the packets not known to be delivered go out again first. */
void lkc__data_restart(lkc_data_t *d);
/* Reliable packets not known to be delivered: the number of the first and how many
 * (0, 0 when none). */
void lkc__data_undelivered(const lkc_data_t *d, uint64_t *first, uint64_t *count);
/* The last reliable sequence seen per sender, as SyncState lists it (borrowed sids): up
 * to `max` entries. */
size_t lkc__data_receive_states(const lkc_data_t *d, Livekit__DataChannelReceiveState *out, size_t max);
/* Counters, for tests and logs. */
uint32_t lkc__data_next_seq(const lkc_data_t *d);
unsigned lkc__data_queued(const lkc_data_t *d);
unsigned lkc__data_unacked(const lkc_data_t *d);

#endif
