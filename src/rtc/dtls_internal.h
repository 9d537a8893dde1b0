/* What dtls.c (the association: state machine, handshake, records, timers) and dtls_ssl.c
 * (the OpenSSL objects: configuration, the BIOs, key export) share. Included by those two
 * files only. */
#ifndef LKC_RTC_DTLS_INTERNAL_H
#define LKC_RTC_DTLS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <openssl/ssl.h>

#include "rtc/dtls.h"

#define LOG_MOD "rtc.dtls"

#define DEFAULT_RETRANSMIT_MS 400u
#define MAX_RETRANSMIT_US 3000000u

struct lkc_dtls {
    GMainContext *ctx;
    lkc_dtls_role_t role;
    lkc_dtls_state_t state;
    void (*send)(void *user, const uint8_t *datagram, size_t len);
    void (*on_connected)(void *user, const lkc_srtp_keys_t *keys);
    void (*on_data)(void *user, const uint8_t *buf, size_t len);
    void (*on_failed)(void *user, const char *reason);
    void (*on_closed)(void *user);
    void *user;

    SSL_CTX *ssl_ctx;
    SSL *ssl;
    BIO *rbio;             /* owned by ssl */
    BIO_METHOD *wmethod;   /* outlives ssl's write BIO */
    char local_fp[LKC_CERT_FP_SIZE];
    char *fp_algo;         /* expected peer fingerprint; NULL until known */
    char *fp_value;
    unsigned handshake_timeout_ms;
    unsigned retransmit_ms;
    int64_t started_ms;

    bool handshake_done;   /* OpenSSL finished; CONNECTED once the fingerprint matched */
    GQueue out;            /* GBytes: datagrams written by OpenSSL, sent by flush() */
    bool flushing;
    GQueue early;          /* GBytes: application data awaiting the fingerprint check */
    size_t early_bytes;

    GSource *retransmit_timer;
    GSource *deadline_timer;
    GSource *verify_idle;

    int depth;             /* entry points on the stack; free waits for 0 */
    bool doomed;           /* lkc_dtls_free was called */
};

/* dtls_ssl.c */
/* Builds d->ssl_ctx, d->ssl and its BIOs for d->role, and d->local_fp. Logs what failed;
 * LKC_ERR_INVALID_ARG when cfg->srtp_profiles names no profile OpenSSL knows. */
int lkc_dtls_setup_ssl(lkc_dtls_t *d, const lkc_dtls_config_t *cfg);
/* The SRTP keys of a finished handshake, or an error with *why set. */
int lkc_dtls_export_keys(lkc_dtls_t *d, lkc_srtp_keys_t *keys, const char **why);
/* Hands one datagram to OpenSSL's read BIO, leaving out encrypted records too short to
 * hold the AEAD nonce and tag: OpenSSL 3.0.19 drops such a record but the next read then
 * fails with no reason, so one forged 30-byte datagram would end the association.
 * LKC_ERR_NO_MEMORY when the BIO cannot take it. */
int lkc_dtls_feed(lkc_dtls_t *d, const uint8_t *buf, size_t len);
/* The most recent OpenSSL reason, for failure messages. Clears the error queue. */
const char *lkc_dtls_ssl_reason(void);

#endif
