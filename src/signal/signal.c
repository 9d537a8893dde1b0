/* The signal WebSocket. Every async libsoup operation holds a reference on the
 * lkc_signal_t so its completion can run after lkc_signal_free() without touching
 * freed memory; `freed` then silences every callback. */
#include "signal/signal.h"

#include <libsoup/soup.h>
#include <string.h>

#include "base/clock.h"
#include "base/linger.h"
#include "base/log.h"
#include "base/source.h"
#include "lkc/error.h"

#define MOD "signal"
#define MAX_INCOMING (8 * 1024 * 1024) /* the server allows 2 MiB; large rooms send big updates */
#define LIVENESS_TICK_MS 500

struct lkc_signal {
    int refs;
    bool freed;
    bool open;
    bool ended;           /* on_closed was called (or must no longer be) */
    bool closing;         /* we started the close */
    GMainContext *ctx;
    char *url;            /* user's URL, for validate */
    char *rtc_url;
    char *bearer;         /* "Bearer <token>" */
    lkc_signal_params_t params;
    int connect_timeout_ms;
    lkc_signal_callbacks_t cb;
    void *user;

    SoupSession *session;
    SoupMessage *upgrade;
    SoupWebsocketConnection *ws;
    GCancellable *cancel;
    GSource *connect_timer;
    GSource *ping_timer;
    GSource *liveness_timer;
    GSource *close_timer;

    int ping_interval_s;
    int ping_timeout_s;
    int64_t last_rx_ms;
    int64_t rtt_ms;
};

static lkc_signal_t *sig_ref(lkc_signal_t *s)
{
    s->refs++;
    return s;
}

static void release_connection(lkc_signal_t *s)
{
    lkc_source_clear(&s->connect_timer);
    lkc_source_clear(&s->ping_timer);
    lkc_source_clear(&s->liveness_timer);
    lkc_source_clear(&s->close_timer);
    if (s->cancel)
        g_cancellable_cancel(s->cancel);
    if (s->ws) {
        g_signal_handlers_disconnect_by_data(s->ws, s);
        if (soup_websocket_connection_get_state(s->ws) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(s->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
        /* The underlying stream closes when the last reference goes. */
        g_clear_object(&s->ws);
    }
    s->open = false;
}

static void sig_unref(lkc_signal_t *s)
{
    if (--s->refs > 0)
        return;
    release_connection(s);
    g_clear_object(&s->upgrade);
    if (s->session) {
        soup_session_abort(s->session);
        g_clear_object(&s->session);
    }
    g_clear_object(&s->cancel);
    g_free(s->url);
    g_free(s->rtc_url);
    if (s->bearer) {
        memset(s->bearer, 0, strlen(s->bearer)); /* the token */
        g_free(s->bearer);
    }
    lkc_linger_remove(s);
    g_main_context_unref(s->ctx);
    g_free(s);
}

static GSource *add_timer(lkc_signal_t *s, int ms, GSourceFunc fn)
{
    GSource *src = g_timeout_source_new((guint)ms);
    g_source_set_callback(src, fn, s, NULL);
    g_source_attach(src, s->ctx);
    return src;
}

/* The one way out: report once, then stay silent. */
static void end(lkc_signal_t *s, lkc_failure_t reason, const char *message)
{
    if (s->ended || s->freed)
        return;
    s->ended = true;
    release_connection(s);
    LKC_LOGD(MOD, "ended: %s %s", lkc_failure_str(reason), message ? message : "");
    if (s->cb.on_closed)
        s->cb.on_closed(s->user, reason, message ? message : "");
}

/* --- readable join errors: GET /rtc/validate returns the server's reason text ---- */

typedef struct {
    lkc_signal_t *s;
    lkc_failure_t reason;
    char fallback[160];
} validate_op_t;

static bool jwt_char(char c)
{
    return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.';
}

/* The server's error text can quote the token ("invalid token: eyJ..."): it must not
 * reach logs or the application's failure message. JWTs start with "eyJ" (base64url
 * of '{"'); replace each such run with "<token>". */
static void redact_tokens(char *text, size_t cap)
{
    GString *out = g_string_new(NULL);
    for (const char *p = text; *p;) {
        if (g_str_has_prefix(p, "eyJ")) {
            while (jwt_char(*p))
                p++;
            g_string_append(out, "<token>");
        } else {
            g_string_append_c(out, *p++);
        }
    }
    g_strlcpy(text, out->str, cap);
    g_string_free(out, TRUE);
}

static void on_validate_done(GObject *src, GAsyncResult *res, gpointer data)
{
    validate_op_t *op = data;
    lkc_signal_t *s = op->s;
    GBytes *body = soup_session_send_and_read_finish(SOUP_SESSION(src), res, NULL);
    if (!s->freed) {
        char text[200] = "";
        if (body) {
            gsize n = 0;
            const char *p = g_bytes_get_data(body, &n);
            size_t k = n < sizeof text - 1 ? n : sizeof text - 1;
            memcpy(text, p ? p : "", k);
            text[k] = '\0';
            g_strstrip(text);
            redact_tokens(text, sizeof text);
        }
        end(s, op->reason, text[0] ? text : op->fallback);
    }
    if (body)
        g_bytes_unref(body);
    g_free(op);
    sig_unref(s);
}

static void explain_http_failure(lkc_signal_t *s, guint status)
{
    lkc_failure_t reason = status == 401 || status == 403 ? LKC_FAILURE_UNAUTHORIZED
                           : status == 400               ? LKC_FAILURE_BAD_TOKEN
                           : status >= 500               ? LKC_FAILURE_SERVER_ERROR
                                                         : LKC_FAILURE_REJECTED;
    char *vurl = lkc_signal_url_validate(s->url, &s->params);
    validate_op_t *op = g_new0(validate_op_t, 1);
    op->s = sig_ref(s);
    op->reason = reason;
    g_snprintf(op->fallback, sizeof op->fallback, "HTTP %u %s", status, soup_status_get_phrase(status));
    SoupMessage *m = soup_message_new("GET", vurl);
    g_free(vurl);
    if (!m) {
        end(s, reason, op->fallback);
        g_free(op);
        sig_unref(s);
        return;
    }
    soup_message_headers_append(soup_message_get_request_headers(m), "Authorization", s->bearer);
    soup_session_send_and_read_async(s->session, m, G_PRIORITY_DEFAULT, s->cancel, on_validate_done, op);
    g_object_unref(m);
}

/* --- receiving ------------------------------------------------------------------ */

static void handle_pong(lkc_signal_t *s, const Livekit__Pong *p)
{
    int64_t now = lkc_unix_ms();
    if (p->last_ping_timestamp > 0 && now >= p->last_ping_timestamp)
        s->rtt_ms = now - p->last_ping_timestamp;
}

static void on_ws_message(SoupWebsocketConnection *ws, gint type, GBytes *msg, gpointer data)
{
    lkc_signal_t *s = data;
    if (s->freed || s->ended)
        return;
    s->last_rx_ms = lkc_mono_ms();
    if (type != SOUP_WEBSOCKET_DATA_BINARY) {
        LKC_LOGW(MOD, "ignoring a text frame from the server");
        return;
    }
    gsize n = 0;
    const uint8_t *p = g_bytes_get_data(msg, &n);
    Livekit__SignalResponse *r = livekit__signal_response__unpack(NULL, n, p);
    if (!r) {
        LKC_LOGW(MOD, "dropping a malformed SignalResponse (%zu bytes)", (size_t)n);
        return;
    }
    if (r->message_case == LIVEKIT__SIGNAL_RESPONSE__MESSAGE_PONG_RESP && r->pong_resp) {
        handle_pong(s, r->pong_resp);
    } else if (r->message_case != LIVEKIT__SIGNAL_RESPONSE__MESSAGE_PONG) {
        sig_ref(s);
        if (s->cb.on_response)
            s->cb.on_response(s->user, r);
        sig_unref(s);
    }
    livekit__signal_response__free_unpacked(r, NULL);
}

static void on_ws_closed(SoupWebsocketConnection *ws, gpointer data)
{
    lkc_signal_t *s = data;
    if (s->freed)
        return;
    gushort code = soup_websocket_connection_get_close_code(ws);
    const char *why = soup_websocket_connection_get_close_data(ws);
    LKC_LOGD(MOD, "websocket closed (code %u)", code);
    if (s->closing) {
        end(s, LKC_FAILURE_NONE, "");
    } else {
        char msg[160];
        g_snprintf(msg, sizeof msg, "the server closed the signal connection (code %u%s%s)", code,
                   why && *why ? ": " : "", why ? why : "");
        end(s, LKC_FAILURE_SIGNAL_CLOSED, msg);
    }
}

static void on_ws_error(SoupWebsocketConnection *ws, GError *err, gpointer data)
{
    (void)ws;
    lkc_signal_t *s = data;
    /* while closing, a reset from the server is the normal end, not news */
    if (s->closing || s->ended)
        LKC_LOGD(MOD, "websocket error while closing: %s", err ? err->message : "?");
    else
        LKC_LOGW(MOD, "websocket error: %s", err ? err->message : "?");
}

/* --- connecting ----------------------------------------------------------------- */

static lkc_failure_t classify(const GError *err)
{
    if (err->domain == G_TLS_ERROR)
        return LKC_FAILURE_TLS;
    if (err->domain == G_IO_ERROR && err->code == G_IO_ERROR_TIMED_OUT)
        return LKC_FAILURE_TIMEOUT;
    return LKC_FAILURE_UNREACHABLE;
}

static void on_ws_connected(GObject *src, GAsyncResult *res, gpointer data)
{
    lkc_signal_t *s = data;
    GError *err = NULL;
    SoupWebsocketConnection *ws = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &err);
    if (s->freed || s->ended) {
        if (ws)
            g_object_unref(ws);
        g_clear_error(&err);
        sig_unref(s);
        return;
    }
    lkc_source_clear(&s->connect_timer);
    if (!ws) {
        guint status = soup_message_get_status(s->upgrade);
        if (status >= 400) {
            explain_http_failure(s, status);
        } else {
            char msg[200];
            lkc_failure_t why = classify(err);
            g_snprintf(msg, sizeof msg, "%s: %s",
                       why == LKC_FAILURE_TLS ? "the server's TLS certificate was refused" : "cannot reach the server",
                       err ? err->message : "unknown error");
            end(s, why, msg);
        }
        g_clear_error(&err);
        sig_unref(s);
        return;
    }
    s->ws = ws;
    s->open = true;
    s->last_rx_ms = lkc_mono_ms();
    soup_websocket_connection_set_max_incoming_payload_size(ws, MAX_INCOMING);
    soup_websocket_connection_set_keepalive_interval(ws, 0);
    g_signal_connect(ws, "message", G_CALLBACK(on_ws_message), s);
    g_signal_connect(ws, "closed", G_CALLBACK(on_ws_closed), s);
    g_signal_connect(ws, "error", G_CALLBACK(on_ws_error), s);
    LKC_LOGD(MOD, "websocket open");
    if (s->cb.on_open)
        s->cb.on_open(s->user);
    sig_unref(s);
}

static gboolean on_connect_timeout(gpointer data)
{
    lkc_signal_t *s = data;
    g_source_unref(s->connect_timer);
    s->connect_timer = NULL;
    char msg[96];
    g_snprintf(msg, sizeof msg, "no answer from the server within %d ms", s->connect_timeout_ms);
    end(s, LKC_FAILURE_TIMEOUT, msg);
    return G_SOURCE_REMOVE;
}

int lkc_signal_new(const lkc_signal_config_t *cfg, lkc_signal_t **out)
{
    char why[160];
    if (!cfg || !cfg->ctx || !out || !cfg->token || !*cfg->token)
        return LKC_ERR_INVALID_ARG;
    if (lkc_signal_url_check(cfg->url, why, sizeof why) != 0) {
        LKC_LOGW(MOD, "bad URL: %s", why);
        return LKC_ERR_INVALID_ARG;
    }
    char *rtc_url = lkc_signal_url_rtc(cfg->url, &cfg->params);
    SoupMessage *probe = rtc_url ? soup_message_new("GET", rtc_url) : NULL;
    if (!probe) {
        g_free(rtc_url);
        return LKC_ERR_INVALID_ARG;
    }
    g_object_unref(probe);
    GTlsDatabase *db = NULL;
    if (cfg->ca_file && *cfg->ca_file) {
        /* GTlsFileDatabase wants an absolute path */
        char *abs = g_canonicalize_filename(cfg->ca_file, NULL);
        GError *err = NULL;
        db = g_tls_file_database_new(abs, &err);
        g_free(abs);
        if (!db) {
            LKC_LOGW(MOD, "cannot load CA file: %s", err ? err->message : "?");
            g_clear_error(&err);
            g_free(rtc_url);
            return LKC_ERR_INVALID_ARG;
        }
    }

    lkc_signal_t *s = g_new0(lkc_signal_t, 1);
    s->refs = 1;
    s->ctx = g_main_context_ref(cfg->ctx);
    s->url = g_strdup(cfg->url);
    s->rtc_url = rtc_url;
    s->bearer = g_strdup_printf("Bearer %s", cfg->token);
    s->params = cfg->params;
    s->params.sid = NULL; /* not kept: it is not owned */
    s->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
    s->cb = cfg->cb;
    s->user = cfg->user;
    s->cancel = g_cancellable_new();
    /* The session binds to the thread-default context (the engine's). */
    s->session = soup_session_new_with_options("timeout", 0, "idle-timeout", 0, NULL);
    /* permessage-deflate would make the server fragment its frames; don't offer it */
    soup_session_remove_feature_by_type(s->session, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
    if (db) {
        soup_session_set_tls_database(s->session, db);
        g_object_unref(db);
    }
    /* until the last completion has run (see the top) */
    lkc_linger_add(s->ctx, s, NULL);
    *out = s;
    return LKC_OK;
}

int lkc_signal_connect(lkc_signal_t *s)
{
    if (!s || s->upgrade || s->ended)
        return LKC_ERR_STATE;
    s->upgrade = soup_message_new("GET", s->rtc_url);
    if (!s->upgrade)
        return LKC_ERR_INVALID_ARG;
    soup_message_headers_append(soup_message_get_request_headers(s->upgrade), "Authorization", s->bearer);
    LKC_LOGD(MOD, "connecting to %s", s->rtc_url);
    s->connect_timer = add_timer(s, s->connect_timeout_ms, on_connect_timeout);
    soup_session_websocket_connect_async(s->session, s->upgrade, NULL, NULL, G_PRIORITY_DEFAULT, s->cancel,
                                         on_ws_connected, sig_ref(s));
    return LKC_OK;
}

int lkc_signal_send(lkc_signal_t *s, const Livekit__SignalRequest *req)
{
    if (!s || !s->open || !s->ws || s->ended)
        return LKC_ERR_STATE;
    size_t n = livekit__signal_request__get_packed_size(req);
    uint8_t stackbuf[1024];
    uint8_t *buf = n <= sizeof stackbuf ? stackbuf : g_malloc(n);
    livekit__signal_request__pack(req, buf);
    soup_websocket_connection_send_binary(s->ws, buf, n);
    if (buf != stackbuf)
        g_free(buf);
    return LKC_OK;
}

/* --- liveness ------------------------------------------------------------------- */

static gboolean on_ping_tick(gpointer data)
{
    lkc_signal_t *s = data;
    Livekit__Ping ping = LIVEKIT__PING__INIT;
    ping.timestamp = lkc_unix_ms();
    ping.rtt = s->rtt_ms;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_PING_REQ;
    req.ping_req = &ping;
    lkc_signal_send(s, &req);
    return G_SOURCE_CONTINUE;
}

static gboolean on_liveness_tick(gpointer data)
{
    lkc_signal_t *s = data;
    int64_t silent = lkc_mono_ms() - s->last_rx_ms;
    if (s->open && silent > (int64_t)s->ping_timeout_s * 1000) {
        char msg[96];
        g_snprintf(msg, sizeof msg, "no message from the server for %lld ms", (long long)silent);
        end(s, LKC_FAILURE_PING_TIMEOUT, msg);
        return G_SOURCE_CONTINUE; /* end() destroyed this source; returning is still safe */
    }
    return G_SOURCE_CONTINUE;
}

void lkc_signal_start_ping(lkc_signal_t *s, int interval_s, int timeout_s)
{
    if (!s || s->ended)
        return;
    s->ping_interval_s = interval_s > 0 ? interval_s : 5;
    s->ping_timeout_s = timeout_s > 0 ? timeout_s : 15;
    lkc_source_clear(&s->ping_timer);
    lkc_source_clear(&s->liveness_timer);
    s->last_rx_ms = lkc_mono_ms();
    on_ping_tick(s); /* a first RTT right away */
    s->ping_timer = add_timer(s, s->ping_interval_s * 1000, on_ping_tick);
    s->liveness_timer = add_timer(s, LIVENESS_TICK_MS, on_liveness_tick);
}
int64_t lkc_signal_silent_ms(const lkc_signal_t *s)
{
    return s && s->open ? lkc_mono_ms() - s->last_rx_ms : 0;
}

bool lkc_signal_is_open(const lkc_signal_t *s)
{
    return s && s->open && !s->ended;
}

/* --- closing -------------------------------------------------------------------- */

static gboolean on_close_timeout(gpointer data)
{
    lkc_signal_t *s = data;
    g_source_unref(s->close_timer);
    s->close_timer = NULL;
    end(s, LKC_FAILURE_NONE, "");
    return G_SOURCE_REMOVE;
}

void lkc_signal_close(lkc_signal_t *s, int bound_ms)
{
    if (!s || s->ended || s->closing)
        return;
    s->closing = true;
    lkc_source_clear(&s->ping_timer);
    lkc_source_clear(&s->liveness_timer);
    if (!s->ws || soup_websocket_connection_get_state(s->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
        end(s, LKC_FAILURE_NONE, "");
        return;
    }
    soup_websocket_connection_close(s->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    s->close_timer = add_timer(s, bound_ms > 0 ? bound_ms : 500, on_close_timeout);
}

void lkc_signal_free(lkc_signal_t *s)
{
    if (!s)
        return;
    s->freed = true;
    release_connection(s);
    sig_unref(s);
}
