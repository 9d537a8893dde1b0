/* When to try reconnecting again: a bounded number of attempts, the first at once, then
 * exponential backoff with full jitter (a random delay up to the cap, so many clients
 * that lost the same server do not come back in step). Pure code. */
#ifndef LKC_ROOM_RECONNECT_POLICY_H
#define LKC_ROOM_RECONNECT_POLICY_H

#include <stdint.h>

typedef struct lkc__reconnect_policy {
    int attempts;     /* 0: never */
    int base_ms;      /* the cap of attempt 2; doubles per attempt */
    int max_ms;       /* the largest cap */
} lkc__reconnect_policy_t;

/* The wait before attempt `n` (1-based) given a uniform random 32-bit value: 0 for the
 * first, else random % (min(max_ms, base_ms * 2^(n-2)) + 1). -1 when n > attempts. */
int lkc__reconnect_delay_ms(const lkc__reconnect_policy_t *p, int n, uint32_t random);

/* The longest the whole episode can wait between attempts (the sum of the caps), for
 * documentation and tests. */
int64_t lkc__reconnect_total_cap_ms(const lkc__reconnect_policy_t *p);

#endif
