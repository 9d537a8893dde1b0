/* Clocks: monotonic for intervals and timeouts, wall clock for protocol timestamps. */
#ifndef LKC_BASE_CLOCK_H
#define LKC_BASE_CLOCK_H

#include <stdint.h>

int64_t lkc_mono_us(void);   /* CLOCK_MONOTONIC, microseconds */
int64_t lkc_mono_ms(void);
int64_t lkc_unix_ms(void);   /* CLOCK_REALTIME, milliseconds since the epoch */

#endif
