/* DTLS 1.2 over OpenSSL 3.0 for WebRTC: the association's state machine. Entry points
 * that survive a free from inside a callback, the handshake driven by datagrams in and a
 * retransmission timer from DTLSv1_get_timeout, the fingerprint as the real check (data
 * that comes before it is held back), records both ways, close_notify. How the OpenSSL
 * objects are configured and wired (the BIOs, the key export) is in dtls_ssl.c. */
#include "rtc/dtls.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/clock.h"
#include "base/log.h"
#include "lkc/error.h"
#include "rtc/dtls_internal.h"

#define DEFAULT_HANDSHAKE_TIMEOUT_MS 30000u
/* Application data that arrives after the handshake but before the fingerprint is
 * known is held back (it is not yet authenticated); beyond this it is dropped and the
 * peer's SCTP retransmits it. */
#define EARLY_MAX_DATAGRAMS 64u
#define EARLY_MAX_BYTES (256u * 1024)
#define MAX_FP_ALGO_LEN 32
#define MAX_FP_LEN 256

/* ------------------------------------------------------------------ helpers */

static void source_clear(GSource **s)
{
    if (*s) {
        g_source_destroy(*s);
        g_source_unref(*s);
        *s = NULL;
    }
}

static GSource *attach_timeout(lkc_dtls_t *d, guint ms, GSourceFunc fn)
{
    GSource *s = g_timeout_source_new(ms);
    g_source_set_callback(s, fn, d, NULL);
    g_source_attach(s, d->ctx);
    return s;
}

static void queue_clear(GQueue *q)
{
    GBytes *b;
    while ((b = g_queue_pop_head(q)))
        g_bytes_unref(b);
}

static void stop_sources(lkc_dtls_t *d)
{
    source_clear(&d->retransmit_timer);
    source_clear(&d->deadline_timer);
    source_clear(&d->verify_idle);
}

static bool running(const lkc_dtls_t *d)
{
    return !d->doomed && (d->state == LKC_DTLS_CONNECTING || d->state == LKC_DTLS_CONNECTED);
}

static void destroy(lkc_dtls_t *d)
{
    stop_sources(d);
    queue_clear(&d->out);
    queue_clear(&d->early);
    SSL_free(d->ssl); /* frees both BIOs */
    SSL_CTX_free(d->ssl_ctx);
    BIO_meth_free(d->wmethod);
    g_free(d->fp_algo);
    g_free(d->fp_value);
    if (d->ctx)
        g_main_context_unref(d->ctx);
    free(d);
}

/* Every entry point (API call or source) brackets its work with enter/leave so that
 * a free from inside a callback only releases memory once nothing of ours is on the
 * stack any more. */
static void enter(lkc_dtls_t *d)
{
    d->depth++;
}

static void leave(lkc_dtls_t *d)
{
    if (--d->depth == 0 && d->doomed)
        destroy(d);
}

/* Sends what OpenSSL wrote, one datagram per BIO write, outside any OpenSSL call so
 * that send() may call back into us. A nested call leaves the work to the outer one. */
static void flush(lkc_dtls_t *d)
{
    if (d->flushing)
        return;
    d->flushing = true;
    GBytes *b;
    while (!d->doomed && (b = g_queue_pop_head(&d->out))) {
        size_t n;
        const uint8_t *p = g_bytes_get_data(b, &n);
        d->send(d->user, p, n);
        g_bytes_unref(b);
    }
    d->flushing = false;
}

static void fail(lkc_dtls_t *d, const char *reason)
{
    if (d->state == LKC_DTLS_FAILED || d->state == LKC_DTLS_CLOSED)
        return;
    d->state = LKC_DTLS_FAILED;
    stop_sources(d);
    queue_clear(&d->early);
    d->early_bytes = 0;
    LKC_LOGW(LOG_MOD, "%s failed: %s", d->role == LKC_DTLS_CLIENT ? "client" : "server", reason);
    if (!d->doomed && d->on_failed)
        d->on_failed(d->user, reason);
}

static void fail_ssl(lkc_dtls_t *d, const char *what)
{
    char reason[160];
    snprintf(reason, sizeof reason, "%s: %s", what, lkc_dtls_ssl_reason());
    fail(d, reason);
}

/* ------------------------------------------------------------------ timers */

static gboolean on_retransmit_timer(gpointer user);

static void arm_retransmit(lkc_dtls_t *d)
{
    source_clear(&d->retransmit_timer);
    struct timeval tv;
    if (!running(d) || DTLSv1_get_timeout(d->ssl, &tv) != 1)
        return;
    guint ms = (guint)tv.tv_sec * 1000u + (guint)(tv.tv_usec + 999) / 1000u;
    d->retransmit_timer = attach_timeout(d, ms, on_retransmit_timer);
}

static gboolean on_retransmit_timer(gpointer user)
{
    lkc_dtls_t *d = user;
    enter(d);
    source_clear(&d->retransmit_timer);
    if (running(d)) {
        ERR_clear_error();
        if (DTLSv1_handle_timeout(d->ssl) < 0) {
            flush(d);
            fail_ssl(d, "handshake retransmission gave up");
        } else {
            LKC_LOGT(LOG_MOD, "retransmission timer fired");
            flush(d);
            arm_retransmit(d);
        }
    }
    leave(d);
    return G_SOURCE_REMOVE;
}

static gboolean on_deadline(gpointer user)
{
    lkc_dtls_t *d = user;
    enter(d);
    source_clear(&d->deadline_timer);
    if (running(d) && d->state != LKC_DTLS_CONNECTED) {
        char reason[128];
        snprintf(reason, sizeof reason, "handshake timed out after %u ms%s", d->handshake_timeout_ms,
                 d->handshake_done ? " (no remote fingerprint)" : "");
        fail(d, reason);
    }
    leave(d);
    return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ the handshake */

static void deliver(lkc_dtls_t *d, const uint8_t *buf, size_t len)
{
    if (d->state == LKC_DTLS_CONNECTED) {
        if (d->on_data)
            d->on_data(d->user, buf, len);
        return;
    }
    if (g_queue_get_length(&d->early) >= EARLY_MAX_DATAGRAMS || d->early_bytes + len > EARLY_MAX_BYTES) {
        LKC_LOGD(LOG_MOD, "dropping %zu bytes of early data (fingerprint not yet known)", len);
        return;
    }
    g_queue_push_tail(&d->early, g_bytes_new(buf, len));
    d->early_bytes += len;
}

/* Handshake done and fingerprint known: check it, then hand out keys and any data
 * that arrived early. */
static void verify_peer(lkc_dtls_t *d)
{
    X509 *peer = SSL_get0_peer_certificate(d->ssl);
    if (!peer) {
        fail(d, "peer presented no certificate");
        return;
    }
    int rc = lkc_cert_check_fingerprint(peer, d->fp_algo, d->fp_value);
    if (rc != LKC_OK) {
        char reason[96];
        snprintf(reason, sizeof reason, "unsupported fingerprint algorithm \"%.32s\"", d->fp_algo);
        fail(d, rc == LKC_ERR_UNSUPPORTED ? reason : "peer certificate fingerprint mismatch");
        return;
    }
    lkc_srtp_keys_t keys;
    const char *why = NULL;
    if (lkc_dtls_export_keys(d, &keys, &why) != LKC_OK) {
        fail(d, why);
        return;
    }
    d->state = LKC_DTLS_CONNECTED;
    source_clear(&d->deadline_timer);
    LKC_LOGI(LOG_MOD, "connected as %s in %lld ms: %s, %s", d->role == LKC_DTLS_CLIENT ? "client" : "server",
             (long long)(lkc_mono_ms() - d->started_ms), SSL_get_cipher_name(d->ssl),
             lkc_srtp_profile_name(keys.profile));
    if (d->on_connected)
        d->on_connected(d->user, &keys);
    OPENSSL_cleanse(&keys, sizeof keys);

    GBytes *b;
    while (running(d) && (b = g_queue_pop_head(&d->early))) {
        size_t n;
        const uint8_t *p = g_bytes_get_data(b, &n);
        d->early_bytes -= n;
        if (d->on_data)
            d->on_data(d->user, p, n);
        g_bytes_unref(b);
    }
}

static void peer_closed(lkc_dtls_t *d)
{
    if (d->state != LKC_DTLS_CONNECTED) {
        fail(d, "peer closed the association before it was verified");
        return;
    }
    d->state = LKC_DTLS_CLOSED;
    stop_sources(d);
    LKC_LOGI(LOG_MOD, "peer sent close_notify");
    ERR_clear_error();
    SSL_shutdown(d->ssl); /* answer with our close_notify, best effort */
    ERR_clear_error();
    flush(d);
    if (!d->doomed && d->on_closed)
        d->on_closed(d->user);
}

static void read_records(lkc_dtls_t *d)
{
    uint8_t buf[LKC_DTLS_MAX_WRITE];
    while (running(d)) {
        ERR_clear_error();
        int n = SSL_read(d->ssl, buf, sizeof buf);
        if (n > 0) {
            deliver(d, buf, (size_t)n);
            continue;
        }
        int e = SSL_get_error(d->ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return;
        flush(d); /* an alert may be waiting */
        if (e == SSL_ERROR_ZERO_RETURN)
            peer_closed(d);
        else if (running(d))
            fail_ssl(d, "DTLS read failed");
        return;
    }
}

/* Advances the handshake, then reads whatever records are buffered. */
static void drive(lkc_dtls_t *d)
{
    if (!d->handshake_done) {
        ERR_clear_error();
        int r = SSL_do_handshake(d->ssl);
        int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(d->ssl, r);
        flush(d);
        if (!running(d))
            return;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            arm_retransmit(d);
            return;
        }
        if (r != 1) {
            fail_ssl(d, "DTLS handshake failed");
            return;
        }
        d->handshake_done = true;
        LKC_LOGD(LOG_MOD, "handshake done after %lld ms (%s)", (long long)(lkc_mono_ms() - d->started_ms),
                 d->fp_value ? "checking fingerprint" : "awaiting remote fingerprint");
        if (d->fp_value)
            verify_peer(d);
    }
    read_records(d);
    if (running(d)) {
        flush(d);
        arm_retransmit(d);
    }
}

static gboolean on_verify_idle(gpointer user)
{
    lkc_dtls_t *d = user;
    enter(d);
    source_clear(&d->verify_idle);
    if (running(d) && d->state == LKC_DTLS_CONNECTING && d->handshake_done && d->fp_value)
        verify_peer(d);
    leave(d);
    return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ API */

static int check_fingerprint_args(const char *algo, const char *fp)
{
    if (!algo || !fp || !algo[0] || !fp[0] || strlen(algo) > MAX_FP_ALGO_LEN || strlen(fp) > MAX_FP_LEN)
        return LKC_ERR_INVALID_ARG;
    return LKC_OK;
}

int lkc_dtls_new(const lkc_dtls_config_t *cfg, lkc_dtls_t **out)
{
    if (!cfg || !out || !cfg->ctx || !cfg->send ||
        (cfg->role != LKC_DTLS_CLIENT && cfg->role != LKC_DTLS_SERVER))
        return LKC_ERR_INVALID_ARG;
    if ((cfg->remote_fp_algo || cfg->remote_fp) && check_fingerprint_args(cfg->remote_fp_algo, cfg->remote_fp) != 0)
        return LKC_ERR_INVALID_ARG;

    lkc_dtls_t *d = calloc(1, sizeof *d);
    if (!d)
        return LKC_ERR_NO_MEMORY;
    d->role = cfg->role;
    d->state = LKC_DTLS_NEW;
    d->send = cfg->send;
    d->on_connected = cfg->on_connected;
    d->on_data = cfg->on_data;
    d->on_failed = cfg->on_failed;
    d->on_closed = cfg->on_closed;
    d->user = cfg->user;
    d->handshake_timeout_ms = cfg->handshake_timeout_ms ? cfg->handshake_timeout_ms : DEFAULT_HANDSHAKE_TIMEOUT_MS;
    d->retransmit_ms = cfg->retransmit_ms ? cfg->retransmit_ms : DEFAULT_RETRANSMIT_MS;
    if (d->retransmit_ms > MAX_RETRANSMIT_US / 1000)
        d->retransmit_ms = MAX_RETRANSMIT_US / 1000;
    g_queue_init(&d->out);
    g_queue_init(&d->early);

    int rc = lkc_dtls_setup_ssl(d, cfg);
    if (rc != LKC_OK) {
        destroy(d);
        return rc;
    }
    if (cfg->remote_fp) {
        d->fp_algo = g_strstrip(g_strdup(cfg->remote_fp_algo));
        d->fp_value = g_strstrip(g_strdup(cfg->remote_fp));
    }
    d->ctx = g_main_context_ref(cfg->ctx); /* last: nothing can fail after it */
    *out = d;
    return LKC_OK;
}

int lkc_dtls_set_remote_fingerprint(lkc_dtls_t *d, const char *algo, const char *fp)
{
    if (!d || check_fingerprint_args(algo, fp) != LKC_OK)
        return LKC_ERR_INVALID_ARG;
    if (d->doomed || (d->state != LKC_DTLS_NEW && d->state != LKC_DTLS_CONNECTING))
        return LKC_ERR_STATE;
    g_free(d->fp_algo);
    g_free(d->fp_value);
    d->fp_algo = g_strstrip(g_strdup(algo));
    d->fp_value = g_strstrip(g_strdup(fp));
    /* Deferred, so that on_connected/on_failed never run inside this call. */
    if (d->handshake_done && !d->verify_idle) {
        d->verify_idle = g_idle_source_new();
        g_source_set_callback(d->verify_idle, on_verify_idle, d, NULL);
        g_source_attach(d->verify_idle, d->ctx);
    }
    return LKC_OK;
}

int lkc_dtls_start(lkc_dtls_t *d)
{
    if (!d)
        return LKC_ERR_INVALID_ARG;
    if (d->doomed || d->state != LKC_DTLS_NEW)
        return LKC_ERR_STATE;
    enter(d);
    d->state = LKC_DTLS_CONNECTING;
    d->started_ms = lkc_mono_ms();
    d->deadline_timer = attach_timeout(d, d->handshake_timeout_ms, on_deadline);
    LKC_LOGD(LOG_MOD, "starting as %s", d->role == LKC_DTLS_CLIENT ? "client" : "server");
    if (d->role == LKC_DTLS_CLIENT)
        drive(d); /* the ClientHello */
    leave(d);
    return LKC_OK;
}

int lkc_dtls_input(lkc_dtls_t *d, const uint8_t *buf, size_t len)
{
    if (!d || !buf || len == 0 || len > 65535)
        return LKC_ERR_INVALID_ARG;
    if (buf[0] < 20 || buf[0] > 63) {
        LKC_LOGD(LOG_MOD, "ignoring a non-DTLS datagram (first byte %u)", buf[0]);
        return LKC_ERR_INVALID_ARG;
    }
    if (d->state == LKC_DTLS_NEW && d->role == LKC_DTLS_SERVER && !d->doomed)
        lkc_dtls_start(d);
    if (!running(d))
        return LKC_ERR_STATE;
    int rc = lkc_dtls_feed(d, buf, len);
    if (rc != LKC_OK)
        return rc;
    enter(d);
    drive(d);
    leave(d);
    return LKC_OK;
}

int lkc_dtls_write(lkc_dtls_t *d, const uint8_t *buf, size_t len)
{
    if (!d || !buf || len == 0)
        return LKC_ERR_INVALID_ARG;
    if (len > LKC_DTLS_MAX_WRITE)
        return LKC_ERR_TOO_LARGE;
    if (d->doomed || d->state != LKC_DTLS_CONNECTED)
        return LKC_ERR_STATE;
    enter(d);
    int rc = LKC_OK;
    ERR_clear_error();
    int n = SSL_write(d->ssl, buf, (int)len);
    if (n != (int)len) {
        int e = SSL_get_error(d->ssl, n);
        rc = LKC_ERR_IO;
        flush(d);
        if (e == SSL_ERROR_SSL || e == SSL_ERROR_SYSCALL)
            fail_ssl(d, "DTLS write failed");
        else
            LKC_LOGW(LOG_MOD, "DTLS write of %zu bytes failed (%d): %s", len, e, lkc_dtls_ssl_reason());
    } else {
        flush(d);
    }
    leave(d);
    return rc;
}

int lkc_dtls_close(lkc_dtls_t *d)
{
    if (!d)
        return LKC_ERR_INVALID_ARG;
    if (d->doomed || d->state == LKC_DTLS_FAILED || d->state == LKC_DTLS_CLOSED)
        return LKC_OK;
    enter(d);
    bool notify = d->handshake_done;
    d->state = LKC_DTLS_CLOSED;
    stop_sources(d);
    queue_clear(&d->early);
    d->early_bytes = 0;
    if (notify) {
        ERR_clear_error();
        SSL_shutdown(d->ssl);
        ERR_clear_error();
        flush(d);
    }
    LKC_LOGD(LOG_MOD, "closed%s", notify ? " (close_notify sent)" : "");
    leave(d);
    return LKC_OK;
}

void lkc_dtls_free(lkc_dtls_t *d)
{
    if (!d || d->doomed)
        return;
    d->doomed = true;
    stop_sources(d);
    if (d->depth == 0)
        destroy(d);
}

lkc_dtls_state_t lkc_dtls_get_state(const lkc_dtls_t *d)
{
    return d ? d->state : LKC_DTLS_FAILED;
}

lkc_dtls_role_t lkc_dtls_get_role(const lkc_dtls_t *d)
{
    return d ? d->role : LKC_DTLS_CLIENT;
}

const char *lkc_dtls_state_str(lkc_dtls_state_t state)
{
    switch (state) {
    case LKC_DTLS_NEW: return "new";
    case LKC_DTLS_CONNECTING: return "connecting";
    case LKC_DTLS_CONNECTED: return "connected";
    case LKC_DTLS_FAILED: return "failed";
    case LKC_DTLS_CLOSED: return "closed";
    }
    return "unknown";
}

const char *lkc_dtls_local_fingerprint(const lkc_dtls_t *d)
{
    return d ? d->local_fp : "";
}
