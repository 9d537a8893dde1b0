/* STUB: replaced by the data streams work (see stream_topics.h). */
#include "room/stream_topics.h"

void lkc__stream_topics_free(struct lkc__stream_topics *t)
{
    (void)t;
}
