/* base64url without padding (JWT segments). Standard base64 comes from GLib. */
#ifndef LKC_BASE_BASE64_H
#define LKC_BASE_BASE64_H

#include <stddef.h>

/* Returns a NUL-terminated string (free with free()), or NULL when out of memory. */
char *lkc_base64url_encode(const void *data, size_t len);
/* Decodes base64url with or without padding. Returns a buffer (free with free()) and
 * its length in *out_len (the buffer is also NUL-terminated), or NULL on malformed input or out of memory. */
unsigned char *lkc_base64url_decode(const char *text, size_t *out_len);

#endif
