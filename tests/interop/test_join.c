/* Two lkc participants and one official Python SDK participant join one room on the real
 * server; each sees the others with the identities, names and metadata of their tokens,
 * and the server's own participant list agrees. */
#include <glib.h>

#include "events.h"
#include "interop.h"
#include "peer.h"
#include "twirp.h"

typedef struct {
    lkc_room_t *room;
    lkc_test_events_t *ev;
} client_t;

static client_t join(const char *room_name, const char *identity, const char *name, const char *metadata)
{
    const lkc_test_env_t *env = lkc_test_env();
    client_t c = {.ev = lkc_test_events_new()};
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    lkc_test_events_install(c.ev, &o);
    CHECK_OK(lkc_room_create(&o, &c.room));
    char *tok = lkc_test_token(room_name, identity, name, metadata);
    CHECK_OK(lkc_room_connect(c.room, env->url, tok));
    lkc_free(tok);
    lkc_err_t rc = lkc_room_wait_connected(c.room, 15000);
    char msg[256];
    lkc_room_failure_message(c.room, msg, sizeof msg);
    CHECK(rc == LKC_OK, "%s did not connect: %s (%s: %s)", identity, lkc_err_str(rc),
          lkc_failure_str(lkc_room_failure_reason(c.room)), msg);
    return c;
}

static const lkc_participant_info_t *find(const lkc_participant_list_t *l, const char *identity)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].identity, identity) == 0)
            return &l->items[i];
    return NULL;
}

static void check_sees(client_t *c, const char *who, const char *identity, const char *name, const char *metadata)
{
    CHECK(lkc_test_events_wait(c->ev, "participant_connected", identity, 1, 15000),
          "%s never got participant_connected for %s", who, identity);
    lkc_participant_list_t *l = NULL;
    CHECK_OK(lkc_room_get_participants(c->room, &l));
    const lkc_participant_info_t *p = find(l, identity);
    CHECK(p != NULL, "%s: %s missing from lkc_room_get_participants (%zu listed)", who, identity, l->n);
    CHECK_STR(p->name, name);
    CHECK_STR(p->metadata, metadata);
    CHECK(g_str_has_prefix(p->sid, "PA_"), "sid %s", p->sid);
    CHECK(!p->is_local, "a remote participant marked local");
    lkc_participant_list_free(l);
}

static void three_participants(void)
{
    char *room = lkc_test_room_name("join");
    client_t a = join(room, "lkc-a", "Alice C", "{\"role\":\"a\"}");
    client_t b = join(room, "lkc-b", "Bob C", "meta-b");
    const char *peer_args[] = {"--name", "Py Peer", "--metadata", "meta-py", NULL};
    lkc_test_peer_t *py = lkc_test_peer_start(room, "py-peer", peer_args);

    /* lkc sees everyone, from the join and from later updates */
    check_sees(&a, "lkc-a", "lkc-b", "Bob C", "meta-b");
    check_sees(&a, "lkc-a", "py-peer", "Py Peer", "meta-py");
    check_sees(&b, "lkc-b", "lkc-a", "Alice C", "{\"role\":\"a\"}");
    check_sees(&b, "lkc-b", "py-peer", "Py Peer", "meta-py");

    /* our own view of ourselves and of the room */
    lkc_participant_info_t *me = NULL;
    CHECK_OK(lkc_room_get_local_participant(a.room, &me));
    CHECK_STR(me->identity, "lkc-a");
    CHECK_STR(me->name, "Alice C");
    CHECK(me->is_local, "local participant not marked local");
    lkc_room_info_t *info = NULL;
    CHECK_OK(lkc_room_get_info(a.room, &info));
    CHECK_STR(info->name, room);
    CHECK(g_str_has_prefix(info->sid, "RM_"), "room sid %s", info->sid);

    /* the official SDK sees the lkc participants with their token's name and metadata */
    lkc_test_peer_cmd(py, "{\"cmd\":\"participants\"}");
    JsonObject *ev = lkc_test_peer_wait(py, "participants", NULL, NULL, 1, 10000);
    CHECK(ev != NULL, "the peer did not list its participants");
    JsonArray *ps = json_object_get_array_member(ev, "participants");
    int found = 0;
    for (guint i = 0; i < json_array_get_length(ps); i++) {
        JsonObject *p = json_array_get_object_element(ps, i);
        const char *id = json_object_get_string_member(p, "identity");
        if (strcmp(id, "lkc-a") == 0) {
            CHECK_STR(json_object_get_string_member(p, "name"), "Alice C");
            CHECK_STR(json_object_get_string_member(p, "metadata"), "{\"role\":\"a\"}");
            CHECK_STR(json_object_get_string_member(p, "sid"), me->sid);
            found++;
        } else if (strcmp(id, "lkc-b") == 0) {
            CHECK_STR(json_object_get_string_member(p, "name"), "Bob C");
            found++;
        }
    }
    CHECK_EQ_INT(found, 2);

    /* and the server agrees */
    GPtrArray *server = lkc_test_list_participants(room);
    CHECK_EQ_INT(server->len, 3);
    JsonObject *sa = lkc_test_find_participant(server, "lkc-a");
    CHECK(sa != NULL, "the server does not list lkc-a");
    CHECK_STR(json_object_get_string_member(sa, "sid"), me->sid);
    CHECK_STR(json_object_get_string_member(sa, "name"), "Alice C");
    CHECK(lkc_test_find_participant(server, "lkc-b") && lkc_test_find_participant(server, "py-peer"),
          "the server's list lacks lkc-b or py-peer");
    g_ptr_array_unref(server);

    /* leaving is seen by the others */
    lkc_room_destroy(b.room);
    CHECK(lkc_test_events_wait(a.ev, "participant_disconnected", "lkc-b", 1, 15000),
          "lkc-a did not see lkc-b leave");
    CHECK(lkc_test_peer_wait(py, "participant_disconnected", "identity", "lkc-b", 1, 15000),
          "the Python peer did not see lkc-b leave");
    lkc_test_peer_stop(py);
    CHECK(lkc_test_events_wait(a.ev, "participant_disconnected", "py-peer", 1, 15000),
          "lkc-a did not see py-peer leave");
    lkc_room_destroy(a.room);

    lkc_participant_info_free(me);
    lkc_room_info_free(info);
    lkc_test_events_free(a.ev);
    lkc_test_events_free(b.ev);
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    RUN(three_participants);
    return 0;
}
