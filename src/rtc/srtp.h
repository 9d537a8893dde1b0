/* SRTP/SRTCP protection with libsrtp2 for one DTLS-SRTP association: an outbound
 * session under the local master key and an inbound one under the remote key.
 *
 * Threads: lkc_srtp_global_init/shutdown from any thread. A lkc_srtp_t is not locked:
 * use each one from one thread at a time (RTP and RTCP share the sessions). */
#ifndef LKC_RTC_SRTP_H
#define LKC_RTC_SRTP_H

#include <stddef.h>
#include <stdint.h>

/* DTLS-SRTP protection profiles by their IANA numbers (RFC 5764, RFC 7714). */
typedef enum lkc_srtp_profile {
    LKC_SRTP_AES128_CM_SHA1_80 = 0x0001,
    LKC_SRTP_AEAD_AES_128_GCM = 0x0007,
    LKC_SRTP_AEAD_AES_256_GCM = 0x0008,
} lkc_srtp_profile_t;

/* Longest master key plus salt of the profiles above (AES-256-GCM: 32 + 12). */
#define LKC_SRTP_MAX_MASTER_LEN 44

/* Room to leave after a packet for protect_rtp/protect_rtcp: libsrtp's documented
 * worst case (tag + MKI, + 4 for the SRTCP index). The packet actually grows by at
 * most 20 bytes: no MKI is used. */
#define LKC_SRTP_MAX_OVERHEAD 148

/* Largest packet accepted in either direction. */
#define LKC_SRTP_MAX_PACKET 65535

/* The keys one DTLS-SRTP handshake yields. `local` protects what we send, `remote`
 * what we receive; each is master key || master salt, `master_len` bytes. Secret:
 * wipe copies after use (OPENSSL_cleanse) and never log them. */
typedef struct lkc_srtp_keys {
    lkc_srtp_profile_t profile;
    size_t master_len;
    uint8_t local[LKC_SRTP_MAX_MASTER_LEN];
    uint8_t remote[LKC_SRTP_MAX_MASTER_LEN];
} lkc_srtp_keys_t;

typedef struct lkc_srtp lkc_srtp_t;

/* Key and salt lengths of a profile. Returns 0 or LKC_ERR_UNSUPPORTED. */
int lkc_srtp_profile_lengths(lkc_srtp_profile_t profile, size_t *key_len, size_t *salt_len);

/* The profile's RFC 5764 name, e.g. "SRTP_AEAD_AES_128_GCM"; "unknown" otherwise. */
const char *lkc_srtp_profile_name(lkc_srtp_profile_t profile);

/* srtp_init() once per process (idempotent, any thread). lkc_srtp_new calls it too. */
int lkc_srtp_global_init(void);

/* srtp_shutdown() at library exit, after every lkc_srtp_t is freed. Any thread. */
void lkc_srtp_global_shutdown(void);

/* Makes both sessions from `keys` (copied; the caller may wipe its copy). Replay
 * window 1024 inbound; outbound may repeat a sequence number (retransmissions).
 * Returns 0, LKC_ERR_INVALID_ARG (NULL, bad length), LKC_ERR_UNSUPPORTED (profile),
 * LKC_ERR_NO_MEMORY or LKC_ERR_INTERNAL; *out is set only on success. */
int lkc_srtp_new(const lkc_srtp_keys_t *keys, lkc_srtp_t **out);

/* Protect in place: `buf` holds a `len`-byte RTP (RTCP) packet in a buffer of `cap`
 * bytes, and cap - len must be at least LKC_SRTP_MAX_OVERHEAD. Returns the new length,
 * or LKC_ERR_INVALID_ARG (not a valid packet), LKC_ERR_TOO_LARGE (no room; buffer
 * untouched) or LKC_ERR_INTERNAL. */
int lkc_srtp_protect_rtp(lkc_srtp_t *s, uint8_t *buf, size_t len, size_t cap);
int lkc_srtp_protect_rtcp(lkc_srtp_t *s, uint8_t *buf, size_t len, size_t cap);

/* Unprotect in place a received SRTP (SRTCP) packet. Returns the new (shorter) length
 * or a negative error: LKC_ERR_PROTOCOL for short, malformed, unauthenticated or
 * replayed packets (the buffer content is then unspecified), LKC_ERR_INVALID_ARG for
 * NULL arguments, LKC_ERR_TOO_LARGE over LKC_SRTP_MAX_PACKET. */
int lkc_srtp_unprotect_rtp(lkc_srtp_t *s, uint8_t *buf, size_t len);
int lkc_srtp_unprotect_rtcp(lkc_srtp_t *s, uint8_t *buf, size_t len);

/* Frees both sessions and wipes their keys. NULL is fine. The owning thread. */
void lkc_srtp_free(lkc_srtp_t *s);

#endif
