/* Condition variables on the monotonic clock (a wall-clock jump must not stretch or cut
 * a bounded wait) and deadlines for them. */
#ifndef LKC_BASE_SYNC_H
#define LKC_BASE_SYNC_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* pthread_cond_init with CLOCK_MONOTONIC. */
void lkc_cond_init_monotonic(pthread_cond_t *cv);

/* The CLOCK_MONOTONIC time `ms` from now (ms <= 0: now), for pthread_cond_timedwait on a
 * monotonic condition variable. */
void lkc_deadline_after(struct timespec *ts, int64_t ms);

#endif
