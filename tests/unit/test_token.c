/* token/: JWT minting against the worked vector of the protocol notes, escaping, and
 * argument checks. (The official verifier accepts lkc's tokens: tests/interop.) */
#include <time.h>

#include "base/base64.h"
#include "lkc/lkc.h"
#include "test.h"

static void fixed_vector(void)
{
    lkc_token_options_t o;
    lkc_token_options_init(&o);
    o.api_key = "devkey";
    o.api_secret = "secret";
    o.identity = "c-client";
    o.name = "C client";
    o.now = 1767225600;
    o.ttl_seconds = 21600;
    o.grant.room = "test-room";
    char *tok = NULL;
    CHECK_OK(lkc_token_mint(&o, &tok));
    CHECK_STR(tok,
              "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
              "eyJpc3MiOiJkZXZrZXkiLCJzdWIiOiJjLWNsaWVudCIsIm5iZiI6MTc2NzIyNTYwMCwiZXhwIjoxNzY3MjQ3MjAwLCJuYW1lIjoiQyBjbGllbnQiLCJ2aWRlbyI6eyJyb29tSm9pbiI6dHJ1ZSwicm9vbSI6InRlc3Qtcm9vbSIsImNhblB1Ymxpc2giOnRydWUsImNhblN1YnNjcmliZSI6dHJ1ZSwiY2FuUHVibGlzaERhdGEiOnRydWV9fQ."
              "aa8DDLDPuZnSDEcd8qFSz8T96JxV6M-cewWgdCpsV2k");
    lkc_free(tok);
}

static char *payload_of(const char *tok)
{
    const char *a = strchr(tok, '.');
    const char *b = a ? strchr(a + 1, '.') : NULL;
    CHECK(a && b, "token has no three segments: %s", tok);
    char *seg = strndup(a + 1, (size_t)(b - a - 1));
    size_t n = 0;
    unsigned char *raw = lkc_base64url_decode(seg, &n);
    free(seg);
    CHECK(raw != NULL, "payload is not base64url");
    CHECK(strlen((char *)raw) == n, "payload has an embedded NUL");
    return (char *)raw;
}

static void escaping_attributes_and_admin(void)
{
    lkc_token_options_t o;
    lkc_token_options_init(&o);
    o.api_key = "k";
    o.api_secret = "s";
    o.identity = "a\"b\\c";
    o.metadata = "{\"role\":\"test\"}";
    lkc_kv_t attrs[] = {{"lang", "c"}, {"emoji", "\xc3\xa9t\xc3\xa9"}};
    o.attributes = attrs;
    o.n_attributes = 2;
    o.grant.room = "r1";
    o.grant.room_admin = true;
    o.grant.room_list = true;
    o.now = 1000;
    char *tok = NULL;
    CHECK_OK(lkc_token_mint(&o, &tok));
    char *p = payload_of(tok);
    CHECK(strstr(p, "\"sub\":\"a\\\"b\\\\c\""), "identity not escaped: %s", p);
    CHECK(strstr(p, "\"metadata\":\"{\\\"role\\\":\\\"test\\\"}\""), "metadata not escaped: %s", p);
    CHECK(strstr(p, "\"attributes\":{\"lang\":\"c\",\"emoji\":\"\xc3\xa9t\xc3\xa9\"}"), "attributes: %s", p);
    CHECK(strstr(p, "\"roomAdmin\":true") && strstr(p, "\"roomList\":true"), "admin grants: %s", p);
    CHECK(strstr(p, "\"exp\":22600"), "default ttl is 6 h: %s", p);
    free(p);
    lkc_free(tok);
}

static void bad_arguments(void)
{
    lkc_token_options_t o;
    lkc_token_options_init(&o);
    char *tok = (char *)"untouched";
    CHECK_EQ_INT(lkc_token_mint(&o, &tok), LKC_ERR_INVALID_ARG); /* no key/secret */
    o.api_key = "k";
    o.api_secret = "s";
    CHECK_EQ_INT(lkc_token_mint(&o, &tok), LKC_ERR_INVALID_ARG); /* join without identity/room */
    o.identity = "i";
    CHECK_EQ_INT(lkc_token_mint(&o, &tok), LKC_ERR_INVALID_ARG); /* join without room */
    CHECK_EQ_INT(lkc_token_mint(NULL, &tok), LKC_ERR_INVALID_ARG);
    o.grant.room = "r";
    CHECK_EQ_INT(lkc_token_mint(&o, NULL), LKC_ERR_INVALID_ARG);
    o.grant.room_join = false; /* a server-API-only token needs no identity */
    o.identity = NULL;
    o.grant.room_list = true;
    CHECK_OK(lkc_token_mint(&o, &tok));
    lkc_free(tok);
}

/* (c): ttl_seconds = INT64_MAX used to overflow now + ttl and mint an already expired
 * token with LKC_OK. A ttl that would put exp past the year 9999 (or overflow) is
 * refused; the largest one that fits is still minted, exactly. */
static void ttl_overflow_refused(void)
{
    lkc_token_options_t o;
    lkc_token_options_init(&o);
    o.api_key = "k";
    o.api_secret = "s";
    o.identity = "i";
    o.grant.room = "r";
    char *tok = NULL;
    const int64_t max_exp = INT64_C(253402300799); /* 9999-12-31T23:59:59Z */
    o.ttl_seconds = INT64_MAX;
    CHECK_EQ_INT(lkc_token_mint(&o, &tok), LKC_ERR_INVALID_ARG);
    CHECK(tok == NULL, "a refused mint returned a token");
    o.now = 1767225600;
    CHECK_EQ_INT(lkc_token_mint(&o, &tok), LKC_ERR_INVALID_ARG);
    o.ttl_seconds = INT64_MAX - o.now + 1; /* now + ttl = INT64_MIN after wrapping */
    CHECK_EQ_INT(lkc_token_mint(&o, &tok), LKC_ERR_INVALID_ARG);
    o.ttl_seconds = max_exp - o.now + 1;
    CHECK_EQ_INT(lkc_token_mint(&o, &tok), LKC_ERR_INVALID_ARG);
    o.ttl_seconds = -1;
    CHECK_EQ_INT(lkc_token_mint(&o, &tok), LKC_ERR_INVALID_ARG);
    o.ttl_seconds = INT64_MIN;
    CHECK_EQ_INT(lkc_token_mint(&o, &tok), LKC_ERR_INVALID_ARG);
    o.now = INT64_MAX; /* a clock past the limit: nothing can be minted */
    o.ttl_seconds = 1;
    CHECK_EQ_INT(lkc_token_mint(&o, &tok), LKC_ERR_INVALID_ARG);

    o.now = 1767225600;
    o.ttl_seconds = max_exp - o.now; /* the last second that fits */
    CHECK_OK(lkc_token_mint(&o, &tok));
    char *p = payload_of(tok);
    CHECK(strstr(p, "\"exp\":253402300799"), "exp at the limit: %s", p);
    CHECK(strstr(p, "\"nbf\":1767225600"), "nbf: %s", p);
    free(p);
    lkc_free(tok);

    /* the current time with a long but sane ttl (100 years) still works */
    o.now = 0;
    o.ttl_seconds = INT64_C(100) * 365 * 24 * 3600;
    CHECK_OK(lkc_token_mint(&o, &tok));
    p = payload_of(tok);
    const char *e = strstr(p, "\"exp\":");
    CHECK(e, "no exp: %s", p);
    long long exp = atoll(e + 6);
    long long now = (long long)time(NULL);
    CHECK(exp > now + o.ttl_seconds - 60 && exp <= now + o.ttl_seconds + 60, "exp %lld, now %lld", exp, now);
    free(p);
    lkc_free(tok);
}

int main(void)
{
    RUN(fixed_vector);
    RUN(escaping_attributes_and_admin);
    RUN(bad_arguments);
    RUN(ttl_overflow_refused);
    return 0;
}
