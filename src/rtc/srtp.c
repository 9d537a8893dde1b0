/* SRTP sessions over libsrtp2. */
#include "rtc/srtp.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "base/log.h"
#include "lkc/error.h"

#define LOG_MOD "rtc.srtp"

_Static_assert(LKC_SRTP_MAX_OVERHEAD >= SRTP_MAX_TRAILER_LEN + 4,
               "LKC_SRTP_MAX_OVERHEAD below libsrtp's documented need");
_Static_assert(LKC_SRTP_MAX_PACKET <= INT_MAX - LKC_SRTP_MAX_OVERHEAD, "lengths must fit an int");

struct lkc_srtp {
    srtp_t tx; /* ssrc_any_outbound, local key */
    srtp_t rx; /* ssrc_any_inbound, remote key */
    lkc_srtp_profile_t profile;
};

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static bool srtp_ready;

int lkc_srtp_profile_lengths(lkc_srtp_profile_t profile, size_t *key_len, size_t *salt_len)
{
    size_t k, s;
    switch (profile) {
    case LKC_SRTP_AES128_CM_SHA1_80: k = 16; s = 14; break;
    case LKC_SRTP_AEAD_AES_128_GCM: k = 16; s = 12; break;
    case LKC_SRTP_AEAD_AES_256_GCM: k = 32; s = 12; break;
    default: return LKC_ERR_UNSUPPORTED;
    }
    if (key_len)
        *key_len = k;
    if (salt_len)
        *salt_len = s;
    return LKC_OK;
}

const char *lkc_srtp_profile_name(lkc_srtp_profile_t profile)
{
    switch (profile) {
    case LKC_SRTP_AES128_CM_SHA1_80: return "SRTP_AES128_CM_SHA1_80";
    case LKC_SRTP_AEAD_AES_128_GCM: return "SRTP_AEAD_AES_128_GCM";
    case LKC_SRTP_AEAD_AES_256_GCM: return "SRTP_AEAD_AES_256_GCM";
    }
    return "unknown";
}

int lkc_srtp_global_init(void)
{
    int rc = LKC_OK;
    pthread_mutex_lock(&init_lock);
    if (!srtp_ready) {
        srtp_err_status_t st = srtp_init();
        if (st == srtp_err_status_ok) {
            srtp_ready = true;
        } else {
            LKC_LOGE(LOG_MOD, "srtp_init failed: %d", (int)st);
            rc = LKC_ERR_INTERNAL;
        }
    }
    pthread_mutex_unlock(&init_lock);
    return rc;
}

void lkc_srtp_global_shutdown(void)
{
    pthread_mutex_lock(&init_lock);
    if (srtp_ready) {
        srtp_shutdown();
        srtp_ready = false;
    }
    pthread_mutex_unlock(&init_lock);
}

static void set_crypto(lkc_srtp_profile_t profile, srtp_policy_t *p)
{
    switch (profile) {
    case LKC_SRTP_AES128_CM_SHA1_80:
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
        break;
    case LKC_SRTP_AEAD_AES_128_GCM:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
        break;
    case LKC_SRTP_AEAD_AES_256_GCM:
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
        break;
    }
}

static int create_session(lkc_srtp_profile_t profile, const uint8_t *master, size_t len,
                          bool outbound, srtp_t *out)
{
    uint8_t key[LKC_SRTP_MAX_MASTER_LEN];
    memcpy(key, master, len);
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    set_crypto(profile, &p);
    p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    p.key = key;
    p.window_size = 1024;
    p.allow_repeat_tx = 1; /* retransmissions reuse sequence numbers */
    srtp_err_status_t st = srtp_create(out, &p);
    OPENSSL_cleanse(key, sizeof key);
    if (st != srtp_err_status_ok) {
        LKC_LOGE(LOG_MOD, "srtp_create(%s) failed: %d", outbound ? "outbound" : "inbound", (int)st);
        *out = NULL;
        return st == srtp_err_status_alloc_fail ? LKC_ERR_NO_MEMORY : LKC_ERR_INTERNAL;
    }
    return LKC_OK;
}

int lkc_srtp_new(const lkc_srtp_keys_t *keys, lkc_srtp_t **out)
{
    if (!keys || !out)
        return LKC_ERR_INVALID_ARG;
    size_t klen, slen;
    if (lkc_srtp_profile_lengths(keys->profile, &klen, &slen) != LKC_OK) {
        LKC_LOGW(LOG_MOD, "unsupported SRTP profile 0x%04x", (unsigned)keys->profile);
        return LKC_ERR_UNSUPPORTED;
    }
    if (keys->master_len != klen + slen) {
        LKC_LOGW(LOG_MOD, "master key length %zu does not fit %s", keys->master_len,
                 lkc_srtp_profile_name(keys->profile));
        return LKC_ERR_INVALID_ARG;
    }
    int rc = lkc_srtp_global_init();
    if (rc != LKC_OK)
        return rc;

    lkc_srtp_t *s = calloc(1, sizeof *s);
    if (!s)
        return LKC_ERR_NO_MEMORY;
    s->profile = keys->profile;
    rc = create_session(keys->profile, keys->local, keys->master_len, true, &s->tx);
    if (rc == LKC_OK)
        rc = create_session(keys->profile, keys->remote, keys->master_len, false, &s->rx);
    if (rc != LKC_OK) {
        lkc_srtp_free(s);
        return rc;
    }
    *out = s;
    return LKC_OK;
}

void lkc_srtp_free(lkc_srtp_t *s)
{
    if (!s)
        return;
    /* srtp_dealloc wipes the session keys. */
    if (s->tx)
        srtp_dealloc(s->tx);
    if (s->rx)
        srtp_dealloc(s->rx);
    free(s);
}

/* RTP version 2 with its CSRC list and header extension inside `len` bytes. */
static bool rtp_header_fits(const uint8_t *b, size_t len)
{
    if (len < 12 || (b[0] >> 6) != 2)
        return false;
    size_t h = 12 + 4u * (b[0] & 0x0f);
    if (b[0] & 0x10) {
        if (h + 4 > len)
            return false;
        h += 4 + 4u * (((size_t)b[h + 2] << 8) | b[h + 3]);
    }
    return h <= len;
}

/* RTCP version 2 with at least the header and sender SSRC (8 bytes). */
static bool rtcp_header_fits(const uint8_t *b, size_t len)
{
    return len >= 8 && (b[0] >> 6) == 2;
}

static int protect(lkc_srtp_t *s, uint8_t *buf, size_t len, size_t cap, bool rtcp)
{
    if (!s || !buf)
        return LKC_ERR_INVALID_ARG;
    if (len > LKC_SRTP_MAX_PACKET || cap < len || cap - len < LKC_SRTP_MAX_OVERHEAD)
        return LKC_ERR_TOO_LARGE;
    if (rtcp ? !rtcp_header_fits(buf, len) : !rtp_header_fits(buf, len)) {
        LKC_LOGW(LOG_MOD, "not a valid %s packet (%zu bytes); not protected", rtcp ? "RTCP" : "RTP", len);
        return LKC_ERR_INVALID_ARG;
    }
    int n = (int)len;
    srtp_err_status_t st = rtcp ? srtp_protect_rtcp(s->tx, buf, &n) : srtp_protect(s->tx, buf, &n);
    if (st != srtp_err_status_ok) {
        LKC_LOGW(LOG_MOD, "srtp_protect%s failed: %d", rtcp ? "_rtcp" : "", (int)st);
        return st == srtp_err_status_bad_param ? LKC_ERR_INVALID_ARG : LKC_ERR_INTERNAL;
    }
    return n;
}

static int unprotect(lkc_srtp_t *s, uint8_t *buf, size_t len, bool rtcp)
{
    if (!s || !buf)
        return LKC_ERR_INVALID_ARG;
    if (len > LKC_SRTP_MAX_PACKET)
        return LKC_ERR_TOO_LARGE;
    /* Per-packet failures from the network are logged at debug level only: a flood
     * of bad packets must not flood the log. */
    if (rtcp ? !rtcp_header_fits(buf, len) : !rtp_header_fits(buf, len)) {
        LKC_LOGD(LOG_MOD, "dropping malformed S%s packet (%zu bytes)", rtcp ? "RTCP" : "RTP", len);
        return LKC_ERR_PROTOCOL;
    }
    int n = (int)len;
    srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp(s->rx, buf, &n) : srtp_unprotect(s->rx, buf, &n);
    if (st != srtp_err_status_ok) {
        const char *why = st == srtp_err_status_auth_fail     ? "authentication failed"
                          : st == srtp_err_status_replay_fail ? "replayed"
                          : st == srtp_err_status_replay_old  ? "too old"
                                                              : "malformed";
        LKC_LOGD(LOG_MOD, "dropping S%s packet (%zu bytes): %s (%d)", rtcp ? "RTCP" : "RTP", len, why,
                 (int)st);
        return LKC_ERR_PROTOCOL;
    }
    if (n < 0 || (size_t)n > len)
        return LKC_ERR_INTERNAL;
    return n;
}

int lkc_srtp_protect_rtp(lkc_srtp_t *s, uint8_t *buf, size_t len, size_t cap)
{
    return protect(s, buf, len, cap, false);
}

int lkc_srtp_protect_rtcp(lkc_srtp_t *s, uint8_t *buf, size_t len, size_t cap)
{
    return protect(s, buf, len, cap, true);
}

int lkc_srtp_unprotect_rtp(lkc_srtp_t *s, uint8_t *buf, size_t len)
{
    return unprotect(s, buf, len, false);
}

int lkc_srtp_unprotect_rtcp(lkc_srtp_t *s, uint8_t *buf, size_t len)
{
    return unprotect(s, buf, len, true);
}
