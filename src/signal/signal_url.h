/* The URLs of a LiveKit server: checking what the user gave, and building the
 * signal (/rtc) and validate (/rtc/validate) URLs from it. Pure functions. */
#ifndef LKC_SIGNAL_URL_H
#define LKC_SIGNAL_URL_H

#include <stdbool.h>
#include <stddef.h>

/* Parameters of the /rtc query string that lkc sends. */
typedef struct lkc_signal_params {
    int protocol;          /* LiveKit signal protocol version */
    bool auto_subscribe;
    bool reconnect;        /* resume an existing session */
    const char *sid;       /* with reconnect: our participant sid */
    int reconnect_reason;
    int client_protocol;   /* client-to-client features (0 = omitted) */
    const char *capabilities; /* comma-separated ClientInfo.Capability names, or NULL */
} lkc_signal_params_t;

/* Checks that `url` is ws://, wss://, http:// or https:// with a host. Returns 0 or
 * LKC_ERR_INVALID_ARG (and a reason in `why`). Any thread. */
int lkc_signal_url_check(const char *url, char *why, size_t why_len);

/* Builds "<ws|wss>://host[:port][/path]/rtc?protocol=..&..." (g_free the result), or
 * NULL if `url` does not pass lkc_signal_url_check(). The token is NOT put in the URL
 * (it travels in the Authorization header). */
char *lkc_signal_url_rtc(const char *url, const lkc_signal_params_t *p);

/* The same, as "<http|https>://.../rtc/validate?..." for a readable join error. */
char *lkc_signal_url_validate(const char *url, const lkc_signal_params_t *p);

#endif
