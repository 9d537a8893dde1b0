#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "output.h"
#include "view.h"

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lkc: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

bool cli_credentials(const char **key, const char **secret)
{
    *key = getenv("LIVEKIT_API_KEY");
    *secret = getenv("LIVEKIT_API_SECRET");
    if (!*key || !**key || !*secret || !**secret) {
        cli_error("no API key: set LIVEKIT_API_KEY and LIVEKIT_API_SECRET "
                  "(for `lkc server`: LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret), or pass --token");
        return false;
    }
    return true;
}

long cli_parse_duration(const char *s)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    double mult = 1;
    if (*end == 'h')
        mult = 3600, end++;
    else if (*end == 'm')
        mult = 60, end++;
    else if (*end == 's')
        end++;
    if (*end)
        return -1;
    return (long)(v * mult);
}

char *cli_mint_join_token(const char *room, const char *identity, const char *name, const char *metadata,
                          const lkc_kv_t *attrs, size_t n_attrs, long ttl_seconds)
{
    const char *key, *secret;
    if (!cli_credentials(&key, &secret))
        return NULL;
    lkc_token_options_t o;
    lkc_token_options_init(&o);
    o.api_key = key;
    o.api_secret = secret;
    o.identity = identity;
    o.name = name;
    o.metadata = metadata;
    o.attributes = attrs;
    o.n_attributes = n_attrs;
    o.ttl_seconds = ttl_seconds > 0 ? ttl_seconds : 0;
    o.grant.room = room;
    o.grant.can_update_own_metadata = true; /* --set-attribute and --set-metadata need it */
    char *tok = NULL;
    lkc_err_t rc = lkc_token_mint(&o, &tok);
    if (rc != LKC_OK) {
        cli_error("cannot mint a token: %s (room and identity are required)", lkc_err_str(rc));
        return NULL;
    }
    return tok;
}

const char *cli_err_code(int err)
{
    switch (err) {
    case LKC_OK: return "ok";
    case LKC_ERR_INVALID_ARG: return "invalid_arg";
    case LKC_ERR_NO_MEMORY: return "no_memory";
    case LKC_ERR_STATE: return "state";
    case LKC_ERR_TIMEOUT: return "timeout";
    case LKC_ERR_WOULD_BLOCK: return "would_block";
    case LKC_ERR_TOO_LARGE: return "too_large";
    case LKC_ERR_NOT_FOUND: return "not_found";
    case LKC_ERR_CLOSED: return "closed";
    case LKC_ERR_IO: return "io";
    case LKC_ERR_PROTOCOL: return "protocol";
    case LKC_ERR_UNSUPPORTED: return "unsupported";
    case LKC_ERR_INTERNAL: return "internal";
    case LKC_EOS: return "eos";
    default: return "unknown";
    }
}

void cli_event_error(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    out_begin("error");
    out_str("code", cli_err_code(err));
    out_str("message", msg);
    out_end();
    /* Plain and live displays also say it on stderr, where errors are looked for. */
    if (!out_is_json() && !view_live())
        fprintf(stderr, "lkc: %s\n", msg);
    g_free(msg);
}
