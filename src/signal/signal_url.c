#include "signal/signal_url.h"

#include <glib.h>
#include <string.h>

#include "lkc/error.h"

/* ws/wss and http/https name the same server; only the security differs. */
static bool scheme_is_secure(const char *scheme, bool *known)
{
    *known = true;
    if (g_ascii_strcasecmp(scheme, "wss") == 0 || g_ascii_strcasecmp(scheme, "https") == 0)
        return true;
    if (g_ascii_strcasecmp(scheme, "ws") == 0 || g_ascii_strcasecmp(scheme, "http") == 0)
        return false;
    *known = false;
    return false;
}

int lkc_signal_url_check(const char *url, char *why, size_t why_len)
{
    if (!url || !*url) {
        g_strlcpy(why, "no URL", why_len);
        return LKC_ERR_INVALID_ARG;
    }
    GError *err = NULL;
    GUri *u = g_uri_parse(url, G_URI_FLAGS_NONE, &err);
    if (!u) {
        g_strlcpy(why, err ? err->message : "malformed URL", why_len);
        g_clear_error(&err);
        return LKC_ERR_INVALID_ARG;
    }
    bool known;
    scheme_is_secure(g_uri_get_scheme(u), &known);
    int rc = 0;
    if (!known) {
        g_snprintf(why, why_len, "unsupported scheme \"%s\" (use ws://, wss://, http:// or https://)",
                   g_uri_get_scheme(u));
        rc = LKC_ERR_INVALID_ARG;
    } else if (!g_uri_get_host(u) || !*g_uri_get_host(u)) {
        g_strlcpy(why, "the URL has no host", why_len);
        rc = LKC_ERR_INVALID_ARG;
    } else if (g_uri_get_query(u) || g_uri_get_fragment(u)) {
        g_strlcpy(why, "the URL must not carry a query or fragment", why_len);
        rc = LKC_ERR_INVALID_ARG;
    }
    g_uri_unref(u);
    return rc;
}

static char *build(const char *url, const lkc_signal_params_t *p, bool websocket, const char *suffix)
{
    char why[128];
    if (lkc_signal_url_check(url, why, sizeof why) != 0)
        return NULL;
    GUri *u = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    bool known;
    bool secure = scheme_is_secure(g_uri_get_scheme(u), &known);
    const char *scheme = websocket ? (secure ? "wss" : "ws") : (secure ? "https" : "http");

    GString *path = g_string_new(g_uri_get_path(u));
    while (path->len > 0 && path->str[path->len - 1] == '/')
        g_string_truncate(path, path->len - 1);
    g_string_append(path, suffix);

    GString *q = g_string_new(NULL);
    g_string_append_printf(q, "protocol=%d&sdk=cpp&version=%s&os=linux&auto_subscribe=%d&adaptive_stream=0",
                           p->protocol, LKC_VERSION_STRING, p->auto_subscribe ? 1 : 0);
    if (p->client_protocol > 0)
        g_string_append_printf(q, "&client_protocol=%d", p->client_protocol);
    if (p->capabilities && *p->capabilities)
        g_string_append_printf(q, "&capabilities=%s", p->capabilities); /* names: [A-Z_,] only */
    if (p->reconnect) {
        char *sid = g_uri_escape_string(p->sid ? p->sid : "", NULL, FALSE);
        g_string_append_printf(q, "&reconnect=1&sid=%s&reconnect_reason=%d", sid, p->reconnect_reason);
        g_free(sid);
    }
    GUri *out = g_uri_build(G_URI_FLAGS_ENCODED_QUERY, scheme, NULL, g_uri_get_host(u), g_uri_get_port(u),
                            path->str, q->str, NULL);
    char *text = g_uri_to_string(out);
    g_uri_unref(out);
    g_uri_unref(u);
    g_string_free(path, TRUE);
    g_string_free(q, TRUE);
    return text;
}

char *lkc_signal_url_rtc(const char *url, const lkc_signal_params_t *p)
{
    return build(url, p, true, "/rtc");
}

char *lkc_signal_url_validate(const char *url, const lkc_signal_params_t *p)
{
    return build(url, p, false, "/rtc/validate");
}
