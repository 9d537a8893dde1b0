/* Randomness from OpenSSL's CSPRNG (ids, SSRCs, ICE credentials, nonces). */
#ifndef LKC_BASE_RAND_H
#define LKC_BASE_RAND_H

#include <stddef.h>
#include <stdint.h>

void lkc_random_bytes(void *out, size_t n);
uint32_t lkc_random_u32(void);
/* `n` characters from [A-Za-z0-9] plus a NUL; `out` must hold n + 1 bytes. */
void lkc_random_alnum(char *out, size_t n);
/* A random (version 4) UUID in its 36-character text form; `out` holds 37 bytes. */
void lkc_random_uuid(char out[37]);

#endif
