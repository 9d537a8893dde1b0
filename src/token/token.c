/* Access token minting: a JWT (HS256) with LiveKit's claims. The payload is built with
 * json-glib so every string is escaped correctly; the signature is HMAC-SHA256. */
#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base64.h"
#include "lkc/lkc.h"

#define DEFAULT_TTL_SECONDS (6 * 3600)
/* 9999-12-31T23:59:59Z: the latest `exp` a token may carry. Verifiers turn NumericDate
 * into a calendar time or a float (exact only to 2^53); far beyond this an `exp` wraps
 * or rounds into the past and the token is born expired. Also keeps now + ttl from
 * overflowing int64. */
#define MAX_EXP INT64_C(253402300799)

void lkc_token_options_init(lkc_token_options_t *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->grant.room_join = true;
    o->grant.can_publish = true;
    o->grant.can_subscribe = true;
    o->grant.can_publish_data = true;
}

static bool empty(const char *s)
{
    return !s || !*s;
}

static void add_bool_if(JsonBuilder *b, const char *key, bool v)
{
    if (v) {
        json_builder_set_member_name(b, key);
        json_builder_add_boolean_value(b, TRUE);
    }
}

static char *payload_json(const lkc_token_options_t *o, int64_t now, int64_t ttl)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "iss");
    json_builder_add_string_value(b, o->api_key);
    if (!empty(o->identity)) {
        json_builder_set_member_name(b, "sub");
        json_builder_add_string_value(b, o->identity);
    }
    json_builder_set_member_name(b, "nbf");
    json_builder_add_int_value(b, now);
    json_builder_set_member_name(b, "exp");
    json_builder_add_int_value(b, now + ttl);
    if (!empty(o->name)) {
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, o->name);
    }
    if (!empty(o->metadata)) {
        json_builder_set_member_name(b, "metadata");
        json_builder_add_string_value(b, o->metadata);
    }
    if (o->n_attributes > 0) {
        json_builder_set_member_name(b, "attributes");
        json_builder_begin_object(b);
        for (size_t i = 0; i < o->n_attributes; i++) {
            json_builder_set_member_name(b, o->attributes[i].key);
            json_builder_add_string_value(b, o->attributes[i].value ? o->attributes[i].value : "");
        }
        json_builder_end_object(b);
    }
    const lkc_video_grant_t *g = &o->grant;
    json_builder_set_member_name(b, "video");
    json_builder_begin_object(b);
    add_bool_if(b, "roomCreate", g->room_create);
    add_bool_if(b, "roomList", g->room_list);
    add_bool_if(b, "roomJoin", g->room_join);
    add_bool_if(b, "roomAdmin", g->room_admin);
    if (!empty(g->room)) {
        json_builder_set_member_name(b, "room");
        json_builder_add_string_value(b, g->room);
    }
    /* Absent publish/subscribe grants mean "allowed" to the server, so always
     * write them explicitly. */
    json_builder_set_member_name(b, "canPublish");
    json_builder_add_boolean_value(b, g->can_publish);
    json_builder_set_member_name(b, "canSubscribe");
    json_builder_add_boolean_value(b, g->can_subscribe);
    json_builder_set_member_name(b, "canPublishData");
    json_builder_add_boolean_value(b, g->can_publish_data);
    add_bool_if(b, "canUpdateOwnMetadata", g->can_update_own_metadata);
    add_bool_if(b, "hidden", g->hidden);
    json_builder_end_object(b);
    json_builder_end_object(b);

    JsonNode *root = json_builder_get_root(b);
    JsonGenerator *gen = json_generator_new();
    json_generator_set_root(gen, root);
    char *text = json_generator_to_data(gen, NULL);
    g_object_unref(gen);
    json_node_unref(root);
    g_object_unref(b);
    return text;
}

lkc_err_t lkc_token_mint(const lkc_token_options_t *opts, char **out_token)
{
    if (!opts || !out_token || opts->struct_size == 0 || opts->struct_size > sizeof(lkc_token_options_t))
        return LKC_ERR_INVALID_ARG; /* not filled by lkc_token_options_init() */
    lkc_token_options_t copy;
    lkc_token_options_init(&copy);
    memcpy(&copy, opts, opts->struct_size); /* fields an older caller lacks keep their defaults */
    const lkc_token_options_t *o = &copy;
    if (empty(o->api_key) || empty(o->api_secret))
        return LKC_ERR_INVALID_ARG;
    if (o->grant.room_join && (empty(o->identity) || empty(o->grant.room)))
        return LKC_ERR_INVALID_ARG;
    if (o->grant.room_admin && empty(o->grant.room))
        return LKC_ERR_INVALID_ARG;
    for (size_t i = 0; i < o->n_attributes; i++)
        if (!o->attributes || empty(o->attributes[i].key))
            return LKC_ERR_INVALID_ARG;
    *out_token = NULL;

    int64_t now = o->now > 0 ? o->now : (int64_t)time(NULL);
    int64_t ttl = o->ttl_seconds ? o->ttl_seconds : DEFAULT_TTL_SECONDS;
    /* checked without computing now + ttl, which could overflow */
    if (ttl < 0 || now > MAX_EXP || ttl > MAX_EXP - now)
        return LKC_ERR_INVALID_ARG;
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char *payload = payload_json(o, now, ttl);
    char *h64 = lkc_base64url_encode(header, strlen(header));
    char *p64 = payload ? lkc_base64url_encode(payload, strlen(payload)) : NULL;
    g_free(payload);
    char *signing = NULL, *s64 = NULL, *token = NULL;
    lkc_err_t rc = LKC_ERR_NO_MEMORY;
    if (!h64 || !p64)
        goto out;
    size_t signing_len = strlen(h64) + 1 + strlen(p64);
    signing = malloc(signing_len + 1);
    if (!signing)
        goto out;
    snprintf(signing, signing_len + 1, "%s.%s", h64, p64);

    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), o->api_secret, (int)strlen(o->api_secret), (const unsigned char *)signing,
              signing_len, mac, &mac_len)) {
        rc = LKC_ERR_INTERNAL;
        goto out;
    }
    s64 = lkc_base64url_encode(mac, mac_len);
    if (!s64)
        goto out;
    size_t token_len = signing_len + 1 + strlen(s64);
    token = malloc(token_len + 1);
    if (!token)
        goto out;
    snprintf(token, token_len + 1, "%s.%s", signing, s64);
    *out_token = token;
    rc = LKC_OK;
out:
    free(h64);
    free(p64);
    free(signing);
    free(s64);
    return rc;
}
