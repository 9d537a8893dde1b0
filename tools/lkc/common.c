#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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
    char *tok = NULL;
    lkc_err_t rc = lkc_token_mint(&o, &tok);
    if (rc != LKC_OK) {
        cli_error("cannot mint a token: %s (room and identity are required)", lkc_err_str(rc));
        return NULL;
    }
    return tok;
}
