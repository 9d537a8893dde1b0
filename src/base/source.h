/* GSource helpers shared by the parts that keep timers on a context. */
#ifndef LKC_BASE_SOURCE_H
#define LKC_BASE_SOURCE_H

#include <glib.h>

/* Destroys (detaches) and releases the source `*src` points to, and clears the pointer.
 * Nothing happens when it is NULL. On the thread of the source's context. */
void lkc_source_clear(GSource **src);

#endif
