#include "base/rand.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

void lkc_random_bytes(void *out, size_t n)
{
    if (RAND_bytes(out, (int)n) != 1) {
        /* RAND_bytes only fails when the OS entropy source is broken; fall back to
         * something non-constant rather than aborting (R8). */
        static unsigned long x = 0x9e3779b97f4a7c15ul;
        unsigned char *p = out;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            p[i] = (unsigned char)x;
        }
    }
}

uint32_t lkc_random_u32(void)
{
    uint32_t v;
    lkc_random_bytes(&v, sizeof v);
    return v;
}

void lkc_random_alnum(char *out, size_t n)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[64];
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done < sizeof r ? n - done : sizeof r;
        lkc_random_bytes(r, chunk);
        for (size_t i = 0; i < chunk; i++)
            out[done + i] = set[r[i] % (sizeof set - 1)];
        done += chunk;
    }
    out[n] = '\0';
}

void lkc_random_uuid(char out[37])
{
    unsigned char b[16];
    lkc_random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}
