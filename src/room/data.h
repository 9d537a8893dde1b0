/* Data packets on the engine thread: the send queue (packets wait for the publisher's
 * channels), reliable sequence numbers (1, 2, ... per session), and the receive path
 * with de-duplication per sender. */
#ifndef LKC_ROOM_DATA_H
#define LKC_ROOM_DATA_H

#include "room/room_internal.h"

typedef struct lkc_data lkc_data_t;

lkc_data_t *lkc_data_new(lkc_session_t *s);
void lkc_data_free(lkc_data_t *d);
/* Sends queued packets while the channels accept them. */
void lkc_data_flush(lkc_data_t *d);
/* The channels take packets again after refusing one (NULL d: nothing to do). */
void lkc_data_sendable(lkc_data_t *d);
/* A DataPacket that arrived on a channel of `kind`. */
void lkc_data_receive(lkc_data_t *d, const uint8_t *buf, size_t len, lkc_data_kind_t kind);

#endif
