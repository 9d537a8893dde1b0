/* The process-wide DTLS identity: one ECDSA P-256 key and a self-signed X.509
 * certificate, made lazily on first use and shared by every DTLS association (as
 * browsers do). WebRTC authenticates it by its fingerprint in the SDP, not by a CA. */
#ifndef LKC_RTC_CERT_H
#define LKC_RTC_CERT_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* "AB:CD:..." text of a sha-256 digest (32 bytes) plus the NUL. */
#define LKC_CERT_FP_SIZE 96
/* The same for the longest digest we check (sha-512, 64 bytes). */
#define LKC_CERT_FP_MAX 192

/* New references to the current certificate and key (made on first call), and its
 * sha-256 fingerprint when `fp` is not NULL (LKC_CERT_FP_SIZE bytes). The caller owns
 * the references (X509_free, EVP_PKEY_free); they stay valid after lkc_cert_release.
 * Any thread. Returns 0 or LKC_ERR_NO_MEMORY / LKC_ERR_INTERNAL. */
int lkc_cert_acquire(X509 **cert, EVP_PKEY **key, char *fp);

/* Copies the current certificate's sha-256 fingerprint, upper-case "AB:CD:..." form,
 * into `out` (LKC_CERT_FP_SIZE bytes), making the certificate if needed. Any thread. */
int lkc_cert_fingerprint(char *out);

/* Drops the process's reference (library shutdown). The next acquire makes a new
 * certificate. Any thread; objects that acquired references keep them. */
void lkc_cert_release(void);

/* The fingerprint of any certificate with the SDP algorithm name `algo`
 * ("sha-1", "sha-224", "sha-256", "sha-384", "sha-512"; case-insensitive), upper-case
 * hex pairs joined by ':', into `out` of `cap` bytes (LKC_CERT_FP_MAX suffices).
 * Returns 0, LKC_ERR_UNSUPPORTED for any other algorithm (md5 included: too weak),
 * LKC_ERR_INVALID_ARG or LKC_ERR_TOO_LARGE. Any thread. */
int lkc_cert_digest(X509 *cert, const char *algo, char *out, size_t cap);

/* Whether `cert` has the fingerprint `expected` (hex case and surrounding blanks do
 * not matter) under `algo`. Returns 0 on a match, LKC_ERR_PROTOCOL on a mismatch (logged
 * with both values: fingerprints are public), LKC_ERR_UNSUPPORTED for an algorithm
 * lkc_cert_digest does not take, LKC_ERR_INVALID_ARG. Any thread. */
int lkc_cert_check_fingerprint(X509 *cert, const char *algo, const char *expected);

#endif
