#include "twirp.h"

#include <libsoup/soup.h>
#include <string.h>

#include "interop.h"

static char *admin_token(const char *room)
{
    const lkc_test_env_t *env = lkc_test_env();
    lkc_token_options_t o;
    lkc_token_options_init(&o);
    o.api_key = env->key;
    o.api_secret = env->secret;
    o.identity = "lkc-test-admin";
    o.grant.room_join = false;
    o.grant.room = room;
    o.grant.room_admin = room != NULL;
    o.grant.room_list = true;
    o.grant.room_create = true;
    o.ttl_seconds = 600;
    char *tok = NULL;
    CHECK_OK(lkc_token_mint(&o, &tok));
    return tok;
}

JsonObject *lkc_test_twirp(const char *method, const char *room, const char *body_json, bool allow_error)
{
    const lkc_test_env_t *env = lkc_test_env();
    /* ws://host:port -> http://host:port */
    const char *rest = strstr(env->url, "://");
    bool tls = g_str_has_prefix(env->url, "wss") || g_str_has_prefix(env->url, "https");
    char *url = g_strdup_printf("%s://%s/twirp/livekit.RoomService/%s", tls ? "https" : "http",
                                rest ? rest + 3 : env->url, method);
    char *tok = admin_token(room);
    char *auth = g_strdup_printf("Bearer %s", tok);
    SoupSession *session = soup_session_new();
    SoupMessage *msg = soup_message_new("POST", url);
    CHECK(msg, "bad Twirp URL %s", url);
    soup_message_headers_append(soup_message_get_request_headers(msg), "Authorization", auth);
    GBytes *body = g_bytes_new(body_json, strlen(body_json));
    soup_message_set_request_body_from_bytes(msg, "application/json", body);
    g_bytes_unref(body);
    GError *err = NULL;
    GBytes *resp = soup_session_send_and_read(session, msg, NULL, &err);
    guint status = soup_message_get_status(msg);
    JsonObject *out = NULL;
    if (resp && status == 200) {
        JsonParser *parser = json_parser_new();
        gsize n;
        const char *data = g_bytes_get_data(resp, &n);
        if (json_parser_load_from_data(parser, data, (gssize)n, NULL) &&
            JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
            out = json_object_ref(json_node_get_object(json_parser_get_root(parser)));
        g_object_unref(parser);
    } else if (!allow_error) {
        gsize n = 0;
        const char *data = resp ? g_bytes_get_data(resp, &n) : "";
        CHECK(false, "Twirp %s failed: HTTP %u %.*s %s", method, status, (int)n, data, err ? err->message : "");
    }
    if (resp)
        g_bytes_unref(resp);
    g_clear_error(&err);
    g_object_unref(msg);
    g_object_unref(session);
    g_free(auth);
    lkc_free(tok);
    g_free(url);
    return out;
}

GPtrArray *lkc_test_list_participants(const char *room)
{
    char *body = g_strdup_printf("{\"room\":\"%s\"}", room);
    JsonObject *r = lkc_test_twirp("ListParticipants", room, body, false);
    g_free(body);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    JsonArray *a = r && json_object_has_member(r, "participants") ? json_object_get_array_member(r, "participants") : NULL;
    for (guint i = 0; a && i < json_array_get_length(a); i++)
        g_ptr_array_add(out, json_object_ref(json_array_get_object_element(a, i)));
    if (r)
        json_object_unref(r);
    return out;
}

JsonObject *lkc_test_find_participant(GPtrArray *list, const char *identity)
{
    for (guint i = 0; i < list->len; i++) {
        JsonObject *p = g_ptr_array_index(list, i);
        if (strcmp(json_object_get_string_member_with_default(p, "identity", ""), identity) == 0)
            return p;
    }
    return NULL;
}

void lkc_test_remove_participant(const char *room, const char *identity)
{
    char *body = g_strdup_printf("{\"room\":\"%s\",\"identity\":\"%s\"}", room, identity);
    JsonObject *r = lkc_test_twirp("RemoveParticipant", room, body, false);
    if (r)
        json_object_unref(r);
    g_free(body);
}

bool lkc_test_room_exists(const char *room)
{
    char *body = g_strdup_printf("{\"names\":[\"%s\"]}", room);
    JsonObject *r = lkc_test_twirp("ListRooms", NULL, body, false);
    g_free(body);
    bool found = false;
    JsonArray *a = r && json_object_has_member(r, "rooms") ? json_object_get_array_member(r, "rooms") : NULL;
    for (guint i = 0; a && i < json_array_get_length(a); i++)
        if (strcmp(json_object_get_string_member_with_default(json_array_get_object_element(a, i), "name", ""),
                   room) == 0)
            found = true;
    if (r)
        json_object_unref(r);
    return found;
}
