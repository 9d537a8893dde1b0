/* The session's media clock and RTCP, on the engine thread: one clock (media_clock.c)
 * runs our senders (local_tracks.c) and the receivers (remote_tracks.c) when they are due,
 * and sends the RTCP reports once a second. */
#ifndef LKC_ROOM_MEDIA_H
#define LKC_ROOM_MEDIA_H

#include <glib.h>

#include "room/local_tracks.h"
#include "room/remote_tracks.h"

typedef struct lkc_media lkc_media_t;

/* The clock exists from the start; the two lists are attached once made (they need it). */
lkc_media_t *lkc__media_new(GMainContext *ctx);
lkc_media_clock_t *lkc__media_clock(lkc_media_t *m);
void lkc__media_attach(lkc_media_t *m, lkc__local_tracks_t *local, lkc__remote_tracks_t *remote);
/* The peers the reports go out on (NULL until the transport exists). */
void lkc__media_set_peers(lkc_media_t *m, lkc_peer_t *publisher, lkc_peer_t *subscriber);
/* Stops the clock. The lists must already be freed (their senders poke the clock). */
void lkc__media_free(lkc_media_t *m);

#endif
