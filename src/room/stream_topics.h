/* The room's registry for data streams, kept across sessions: the application's handlers
 * per topic (text and byte, separately), the limits on incoming streams, the memory
 * budget that all pull readers share, and the open writers (so that a room destroy can
 * detach them: a writer may outlive its room). Created on first use (room->stream_topics,
 * under room->lock), freed by room.c after every blocked caller has left.
 * Any thread (its own lock; never held while a handler runs). */
#ifndef LKC_ROOM_STREAM_TOPICS_H
#define LKC_ROOM_STREAM_TOPICS_H

#include "lkc/stream.h"
#include "room/room_core.h"
#include "room/stream_reader.h"

typedef struct lkc_stream_writer lkc_stream_writer_t;

/* Frees the registry (room destroy): open writers are detached (their calls return
 * LKC_ERR_CLOSED). NULL is ignored. */
void lkc__stream_topics_free(struct lkc__stream_topics *t);

lkc_err_t lkc__stream_topics_register(lkc_room_t *room, const char *topic, bool text,
                                      const lkc_stream_handlers_t *h, void *user);
lkc_err_t lkc__stream_topics_unregister(lkc_room_t *room, const char *topic, bool text);
/* Copies the handlers of `topic` into *h and *user: false when none. Never allocates
 * when the room has no registry. */
bool lkc__stream_topics_lookup(lkc_room_t *room, const char *topic, bool text, lkc_stream_handlers_t *h,
                               void **user);
/* The room's limits (the defaults when none were set). */
void lkc__stream_topics_limits(lkc_room_t *room, lkc_stream_limits_t *out);
lkc_err_t lkc__stream_topics_set_limits(lkc_room_t *room, const lkc_stream_limits_t *l);
/* The room's shared budget for buffered content (a new reference). */
lkc__stream_budget_t *lkc__stream_topics_budget(lkc_room_t *room);
/* Open writers. A writer's room pointer is read and cleared under one process-wide lock
 * (lkc__stream_writers_lock): the registry is freed under it, so a writer that finds its
 * room pointer set under the lock knows the room is still there. */
void lkc__stream_topics_add_writer(lkc_room_t *room, lkc_stream_writer_t *w);
void lkc__stream_writers_lock(void);
void lkc__stream_writers_unlock(void);
/* The lock held, `room` alive: the writer leaves the room's list. */
void lkc__stream_writers_forget(lkc_room_t *room, lkc_stream_writer_t *w);
/* stream_writer.c, the lock held: the room is going away; the writer forgets it. */
void lkc__stream_writer_detach(lkc_stream_writer_t *w);

#endif
