/* The room's registry of stream handlers per topic (text and byte), kept across
 * sessions. Any thread (its own lock). */
#ifndef LKC_ROOM_STREAM_TOPICS_H
#define LKC_ROOM_STREAM_TOPICS_H

#include "room/room_core.h"

/* Frees the registry (room destroy). NULL is ignored. */
void lkc__stream_topics_free(struct lkc__stream_topics *t);

#endif
