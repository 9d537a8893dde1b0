/* The process-wide self-signed ECDSA P-256 certificate and fingerprint helpers. */
#include "rtc/cert.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <glib.h>
#include <openssl/err.h>

#include "base/log.h"
#include "base/rand.h"
#include "lkc/error.h"

#define LOG_MOD "rtc.cert"

/* Peers check the fingerprint, not the dates; a wide window only avoids tripping a
 * peer that does look at them while the process runs for a long time. */
#define CERT_BACKDATE_S (24L * 3600)
#define CERT_LIFETIME_S (365L * 24 * 3600)

static pthread_mutex_t cert_lock = PTHREAD_MUTEX_INITIALIZER;
static X509 *g_cert;
static EVP_PKEY *g_key;
static char g_fp[LKC_CERT_FP_SIZE];

static const EVP_MD *digest_by_name(const char *algo)
{
    if (!algo)
        return NULL;
    if (strcasecmp(algo, "sha-1") == 0)
        return EVP_sha1();
    if (strcasecmp(algo, "sha-224") == 0)
        return EVP_sha224();
    if (strcasecmp(algo, "sha-256") == 0)
        return EVP_sha256();
    if (strcasecmp(algo, "sha-384") == 0)
        return EVP_sha384();
    if (strcasecmp(algo, "sha-512") == 0)
        return EVP_sha512();
    return NULL;
}

int lkc_cert_digest(X509 *cert, const char *algo, char *out, size_t cap)
{
    if (!cert || !algo || !out || cap == 0)
        return LKC_ERR_INVALID_ARG;
    const EVP_MD *md = digest_by_name(algo);
    if (!md)
        return LKC_ERR_UNSUPPORTED;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(cert, md, d, &n) != 1 || n == 0)
        return LKC_ERR_INTERNAL;
    if (cap < (size_t)n * 3)
        return LKC_ERR_TOO_LARGE;
    static const char hex[] = "0123456789ABCDEF";
    for (unsigned int i = 0; i < n; i++) {
        out[3 * i] = hex[d[i] >> 4];
        out[3 * i + 1] = hex[d[i] & 15];
        out[3 * i + 2] = (i + 1 < n) ? ':' : '\0';
    }
    return LKC_OK;
}

int lkc_cert_check_fingerprint(X509 *cert, const char *algo, const char *expected)
{
    if (!expected)
        return LKC_ERR_INVALID_ARG;
    char got[LKC_CERT_FP_MAX];
    int rc = lkc_cert_digest(cert, algo, got, sizeof got);
    if (rc != LKC_OK)
        return rc;
    while (g_ascii_isspace(*expected))
        expected++;
    size_t n = strlen(got);
    if (g_ascii_strncasecmp(got, expected, n) == 0) {
        const char *rest = expected + n;
        while (g_ascii_isspace(*rest))
            rest++;
        if (*rest == '\0')
            return LKC_OK;
    }
    LKC_LOGW(LOG_MOD, "certificate %s fingerprint %s, expected %.200s", algo, got, expected);
    return LKC_ERR_PROTOCOL;
}

/* Makes a key and certificate; on failure leaves nothing allocated. */
static int make_cert(X509 **out_cert, EVP_PKEY **out_key)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (!key || !x)
        goto fail;

    /* A positive 63-bit serial: unique enough among our own certificates. */
    uint64_t serial;
    lkc_random_bytes(&serial, sizeof serial);
    serial &= INT64_MAX;
    char cn[17];
    lkc_random_alnum(cn, 16);

    X509_NAME *name = X509_get_subject_name(x);
    if (X509_set_version(x, 2) != 1 ||
        ASN1_INTEGER_set_int64(X509_get_serialNumber(x), (int64_t)serial) != 1 ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -CERT_BACKDATE_S) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), CERT_LIFETIME_S) ||
        X509_set_pubkey(x, key) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || X509_sign(x, key, EVP_sha256()) <= 0)
        goto fail;
    *out_cert = x;
    *out_key = key;
    return LKC_OK;

fail:
    {
        unsigned long e = ERR_peek_last_error();
        const char *why = e ? ERR_reason_error_string(e) : NULL;
        LKC_LOGE(LOG_MOD, "making the DTLS certificate failed: %s", why ? why : "unknown");
    }
    ERR_clear_error();
    X509_free(x);
    EVP_PKEY_free(key);
    return LKC_ERR_INTERNAL;
}

/* Caller holds cert_lock. */
static int ensure_cert_locked(void)
{
    if (g_cert)
        return LKC_OK;
    X509 *x = NULL;
    EVP_PKEY *k = NULL;
    int rc = make_cert(&x, &k);
    if (rc != LKC_OK)
        return rc;
    rc = lkc_cert_digest(x, "sha-256", g_fp, sizeof g_fp);
    if (rc != LKC_OK) {
        X509_free(x);
        EVP_PKEY_free(k);
        return rc;
    }
    g_cert = x;
    g_key = k;
    LKC_LOGD(LOG_MOD, "made DTLS certificate, sha-256 %s", g_fp);
    return LKC_OK;
}

int lkc_cert_acquire(X509 **cert, EVP_PKEY **key, char *fp)
{
    if (!cert || !key)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&cert_lock);
    int rc = ensure_cert_locked();
    if (rc == LKC_OK) {
        if (X509_up_ref(g_cert) != 1) {
            rc = LKC_ERR_INTERNAL;
        } else if (EVP_PKEY_up_ref(g_key) != 1) {
            X509_free(g_cert);
            rc = LKC_ERR_INTERNAL;
        } else {
            *cert = g_cert;
            *key = g_key;
            if (fp)
                memcpy(fp, g_fp, sizeof g_fp);
        }
    }
    pthread_mutex_unlock(&cert_lock);
    return rc;
}

int lkc_cert_fingerprint(char *out)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&cert_lock);
    int rc = ensure_cert_locked();
    if (rc == LKC_OK)
        memcpy(out, g_fp, sizeof g_fp);
    pthread_mutex_unlock(&cert_lock);
    return rc;
}

void lkc_cert_release(void)
{
    pthread_mutex_lock(&cert_lock);
    X509_free(g_cert);
    EVP_PKEY_free(g_key);
    g_cert = NULL;
    g_key = NULL;
    g_fp[0] = '\0';
    pthread_mutex_unlock(&cert_lock);
}
