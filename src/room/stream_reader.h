/* The reader of one incoming stream for one consumer (lkc_stream_reader_t): its info
 * (owned copies), its end (status and reason, set once), and in pull mode the unread
 * content that lkc_stream_read() takes from any thread. Reference counted: the engine
 * (streams.c) holds one until the stream ended; the application may take more.
 *
 * Room lifetime: `room` is used only while the reader has not ended (then the session,
 * and so the room, is alive: the session ends every reader before it finishes); a
 * blocked read enters the room (lkc__room_enter) so that a destroy waits for it. An
 * ended reader never touches its room, so it may outlive it. */
#ifndef LKC_ROOM_STREAM_READER_H
#define LKC_ROOM_STREAM_READER_H

#include <stdatomic.h>

#include "livekit_data_stream.pb-c.h"
#include "lkc/stream.h"
#include "room/room_core.h"

/* Memory that all pull readers of a room share (max_buffered_total). Reference counted,
 * so that readers outliving their room can still give their bytes back. */
typedef struct lkc__stream_budget {
    atomic_int refs;
    _Atomic uint64_t used;
    _Atomic uint64_t max;
} lkc__stream_budget_t;

lkc__stream_budget_t *lkc__stream_budget_new(uint64_t max);
lkc__stream_budget_t *lkc__stream_budget_ref(lkc__stream_budget_t *b);
void lkc__stream_budget_unref(lkc__stream_budget_t *b);

/* A reader for a stream whose header is `h` (from `sender`); `pull` keeps content for
 * read (only while someone besides the engine holds a reference). Engine thread. */
lkc_stream_reader_t *lkc__stream_reader_new(lkc_room_t *room, const Livekit__DataStream__Header *h,
                                            const char *sender, bool pull, lkc__stream_budget_t *budget,
                                            uint64_t max_buffered);
bool lkc__stream_reader_is_pull(const lkc_stream_reader_t *r);
/* Content arrived: counted; kept for read in pull mode. LKC_ERR_TOO_LARGE (and *why
 * set) when keeping it would pass a limit: the caller ends the stream. Engine thread. */
lkc_err_t lkc__stream_reader_append(lkc_stream_reader_t *r, const uint8_t *data, size_t len, const char **why);
/* The stream ended (once): `attrs` (the trailer's, may be NULL) merged into the info;
 * blocked readers wake. Engine thread. */
void lkc__stream_reader_finish(lkc_stream_reader_t *r, lkc_err_t status, const char *reason,
                               Livekit__DataStream__Trailer__AttributesEntry *const *attrs, size_t n_attrs);

#endif
