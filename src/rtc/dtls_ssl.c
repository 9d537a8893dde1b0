/* The OpenSSL side of a DTLS association: the SSL_CTX and SSL (DTLS 1.2 only, ECDSA-first
 * cipher suites, groups, the DTLS-SRTP profiles, the process certificate, any peer
 * certificate accepted here because the fingerprint is the check), the BIOs (a memory BIO
 * in; out, a write BIO that keeps each write as one datagram, MTU 1200), the retransmission
 * backoff OpenSSL asks for, and the RFC 5764 SRTP key export. */
#include "rtc/dtls.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/bytes.h"
#include "base/log.h"
#include "lkc/error.h"
#include "rtc/dtls_internal.h"

#define DEFAULT_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
/* ECDSA first: that is what our own and pion's certificates are. The RSA suites only
 * matter as a client facing a peer with an RSA certificate. */
#define CIPHERS                                                                             \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                          \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"                            \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
#define GROUPS "X25519:P-256:P-384"
#define LINK_MTU 1200 /* leaves room for IP, UDP and TURN headers on any path */

/* The most recent OpenSSL reason, for failure messages. Clears the error queue. */
const char *lkc_dtls_ssl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r ? r : "no reason given";
}

/* ------------------------------------------------------------------ records in */

#define RECORD_HEADER_LEN 13 /* type, version (2), epoch (2), sequence (6), length (2) */
#define AEAD_TAG_LEN 16
#define GCM_EXPLICIT_NONCE_LEN 8

/* The shortest encrypted record the current suite can produce: an empty plaintext. */
static size_t min_encrypted_len(const lkc_dtls_t *d)
{
    const SSL_CIPHER *c = SSL_get_current_cipher(d->ssl);
    if (c && SSL_CIPHER_get_cipher_nid(c) == NID_chacha20_poly1305)
        return AEAD_TAG_LEN;
    return AEAD_TAG_LEN + GCM_EXPLICIT_NONCE_LEN; /* the GCM suites, and before one is chosen */
}

int lkc_dtls_feed(lkc_dtls_t *d, const uint8_t *buf, size_t len)
{
    size_t min_len = min_encrypted_len(d);
    size_t off = 0;
    while (off < len) {
        size_t n = len - off; /* a partial header or record goes in whole: OpenSSL drops it */
        if (n >= RECORD_HEADER_LEN) {
            uint16_t epoch = lkc_rd16(buf + off + 3);
            size_t body = lkc_rd16(buf + off + 11);
            if (RECORD_HEADER_LEN + body <= n) {
                n = RECORD_HEADER_LEN + body;
                if (epoch != 0 && body > 0 && body < min_len) {
                    LKC_LOGD(LOG_MOD, "dropping an encrypted record of %zu bytes (type %u)", body,
                             buf[off]);
                    off += n;
                    continue;
                }
            }
        }
        if (BIO_write(d->rbio, buf + off, (int)n) != (int)n) {
            ERR_clear_error();
            return LKC_ERR_NO_MEMORY;
        }
        off += n;
    }
    return LKC_OK;
}

/* ------------------------------------------------------------------ what OpenSSL calls */

static int wbio_write(BIO *b, const char *data, int len)
{
    lkc_dtls_t *d = BIO_get_data(b);
    if (!d || len <= 0)
        return len <= 0 ? 0 : -1;
    g_queue_push_tail(&d->out, g_bytes_new(data, (gsize)len));
    return len;
}

static long wbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return LINK_MTU;
    default:
        return 0; /* pending counts, peer addresses, MTU overhead: nothing to say */
    }
}

static int wbio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* Self-signed is the WebRTC norm: accept any chain here, check the fingerprint once
 * the handshake is done (before any key is used). */
static int verify_accept_any(int preverify_ok, X509_STORE_CTX *store)
{
    return 1;
}

/* Retransmission backoff: our first interval, doubling, capped. */
static unsigned int next_timeout_us(SSL *ssl, unsigned int prev_us)
{
    const lkc_dtls_t *d = SSL_get_app_data(ssl);
    unsigned int first = (d ? d->retransmit_ms : DEFAULT_RETRANSMIT_MS) * 1000u;
    if (prev_us == 0)
        return first;
    unsigned int cap = first > MAX_RETRANSMIT_US ? first : MAX_RETRANSMIT_US;
    return prev_us >= cap / 2 ? cap : prev_us * 2;
}

/* ------------------------------------------------------------------ setup */

int lkc_dtls_setup_ssl(lkc_dtls_t *d, const lkc_dtls_config_t *cfg)
{
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    int rc = lkc_cert_acquire(&cert, &key, d->local_fp);
    if (rc != LKC_OK)
        return rc;

    const char *what = NULL;
    int err = LKC_ERR_INTERNAL;
    d->ssl_ctx = SSL_CTX_new(DTLS_method());
    if (!d->ssl_ctx)
        what = "SSL_CTX_new";
    else if (SSL_CTX_set_min_proto_version(d->ssl_ctx, DTLS1_2_VERSION) != 1 ||
             SSL_CTX_set_max_proto_version(d->ssl_ctx, DTLS1_2_VERSION) != 1)
        what = "DTLS 1.2";
    else if (SSL_CTX_use_certificate(d->ssl_ctx, cert) != 1 || SSL_CTX_use_PrivateKey(d->ssl_ctx, key) != 1)
        what = "certificate";
    else if (SSL_CTX_set_cipher_list(d->ssl_ctx, CIPHERS) != 1)
        what = "cipher list";
    else if (SSL_CTX_set1_groups_list(d->ssl_ctx, GROUPS) != 1)
        what = "groups";
    /* Unlike nearly every other OpenSSL call this one returns 0 on success. */
    else if (SSL_CTX_set_tlsext_use_srtp(d->ssl_ctx, cfg->srtp_profiles ? cfg->srtp_profiles
                                                                        : DEFAULT_SRTP_PROFILES) != 0) {
        what = "SRTP profiles";
        err = LKC_ERR_INVALID_ARG; /* the caller's list names no profile OpenSSL knows */
    }
    X509_free(cert); /* the SSL_CTX holds its own references */
    EVP_PKEY_free(key);
    if (what)
        goto fail;

    SSL_CTX_set_verify(d->ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_accept_any);
    SSL_CTX_set_options(d->ssl_ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(d->ssl_ctx, SSL_SESS_CACHE_OFF);

    int idx = BIO_get_new_index();
    d->wmethod = idx > 0 ? BIO_meth_new(idx | BIO_TYPE_SOURCE_SINK, "lkc-dtls-datagram") : NULL;
    if (!d->wmethod || BIO_meth_set_write(d->wmethod, wbio_write) != 1 ||
        BIO_meth_set_ctrl(d->wmethod, wbio_ctrl) != 1 || BIO_meth_set_create(d->wmethod, wbio_create) != 1) {
        what = "BIO method";
        goto fail;
    }
    d->ssl = SSL_new(d->ssl_ctx);
    BIO *rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(d->wmethod);
    if (!d->ssl || !rbio || !wbio) {
        BIO_free(rbio);
        BIO_free(wbio);
        what = "SSL_new";
        goto fail;
    }
    BIO_set_mem_eof_return(rbio, -1); /* empty means "want read", not EOF */
    BIO_set_data(wbio, d);
    SSL_set_bio(d->ssl, rbio, wbio);
    d->rbio = rbio;
    SSL_set_app_data(d->ssl, d);
    DTLS_set_link_mtu(d->ssl, LINK_MTU);
    DTLS_set_timer_cb(d->ssl, next_timeout_us);
    if (d->role == LKC_DTLS_CLIENT)
        SSL_set_connect_state(d->ssl);
    else
        SSL_set_accept_state(d->ssl);
    return LKC_OK;

fail:
    LKC_LOGE(LOG_MOD, "setting up DTLS failed at %s: %s", what, lkc_dtls_ssl_reason());
    return err;
}

/* ------------------------------------------------------------------ key export */

/* Exports the RFC 5764 keying material: client key | server key | client salt |
 * server salt; "local" is the half for our role. */
int lkc_dtls_export_keys(lkc_dtls_t *d, lkc_srtp_keys_t *keys, const char **why)
{
    const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
    if (!p) {
        *why = "no SRTP profile negotiated";
        return LKC_ERR_PROTOCOL;
    }
    size_t kl, sl;
    if (lkc_srtp_profile_lengths((lkc_srtp_profile_t)p->id, &kl, &sl) != LKC_OK) {
        *why = "unsupported SRTP profile negotiated";
        return LKC_ERR_UNSUPPORTED;
    }
    uint8_t km[2 * LKC_SRTP_MAX_MASTER_LEN];
    static const char label[] = "EXTRACTOR-dtls_srtp";
    if (SSL_export_keying_material(d->ssl, km, 2 * (kl + sl), label, sizeof label - 1, NULL, 0, 0) != 1) {
        ERR_clear_error();
        *why = "exporting the SRTP keys failed";
        return LKC_ERR_INTERNAL;
    }
    const uint8_t *ck = km, *sk = km + kl, *cs = km + 2 * kl, *ss = km + 2 * kl + sl;
    bool client = d->role == LKC_DTLS_CLIENT;
    keys->profile = (lkc_srtp_profile_t)p->id;
    keys->master_len = kl + sl;
    memcpy(keys->local, client ? ck : sk, kl);
    memcpy(keys->local + kl, client ? cs : ss, sl);
    memcpy(keys->remote, client ? sk : ck, kl);
    memcpy(keys->remote + kl, client ? ss : cs, sl);
    OPENSSL_cleanse(km, sizeof km);
    return LKC_OK;
}
