/* R3: every way the server ends a session goes through the one teardown path and is
 * reported with its own reason: a duplicate identity, removal through the server API,
 * and the room being deleted. */
#include "events.h"
#include "interop.h"
#include "twirp.h"

typedef struct {
    lkc_room_t *room;
    lkc_test_events_t *ev;
} client_t;

static client_t join(const char *room, const char *identity)
{
    client_t c = {.ev = lkc_test_events_new()};
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    lkc_test_events_install(c.ev, &o);
    CHECK_OK(lkc_room_create(&o, &c.room));
    char *tok = lkc_test_token(room, identity, NULL, NULL);
    CHECK_OK(lkc_room_connect(c.room, lkc_test_env()->url, tok));
    lkc_free(tok);
    CHECK_OK(lkc_room_wait_connected(c.room, 15000));
    return c;
}

static void expect_ended(client_t *c, lkc_failure_t want)
{
    CHECK(lkc_test_events_wait(c->ev, "disconnected", NULL, 1, 15000), "the session did not end");
    CHECK(lkc_room_failure_reason(c->room) == want, "ended with %s, expected %s",
          lkc_failure_str(lkc_room_failure_reason(c->room)), lkc_failure_str(want));
    CHECK_EQ_INT(lkc_room_state(c->room), LKC_STATE_DISCONNECTED);
    /* state events: ... connected, then disconnected with the reason, exactly once */
    CHECK_EQ_INT(lkc_test_events_count(c->ev, "disconnected", NULL), 1);
}

static void free_client(client_t *c)
{
    lkc_room_destroy(c->room);
    lkc_test_events_free(c->ev);
}

static void r3_duplicate_identity(void)
{
    char *room = lkc_test_room_name("dup");
    client_t a = join(room, "same-identity");
    client_t b = join(room, "same-identity");
    expect_ended(&a, LKC_FAILURE_DUPLICATE_IDENTITY);
    CHECK_EQ_INT(lkc_room_state(b.room), LKC_STATE_CONNECTED);
    free_client(&a);
    free_client(&b);
    g_free(room);
}

static void r3_participant_removed(void)
{
    char *room = lkc_test_room_name("removed");
    client_t a = join(room, "to-remove");
    lkc_test_remove_participant(room, "to-remove");
    expect_ended(&a, LKC_FAILURE_PARTICIPANT_REMOVED);
    free_client(&a);
    g_free(room);
}

static void r3_room_deleted(void)
{
    char *room = lkc_test_room_name("deleted");
    client_t a = join(room, "in-deleted-room");
    char *body = g_strdup_printf("{\"room\":\"%s\"}", room);
    JsonObject *r = lkc_test_twirp("DeleteRoom", room, body, false);
    if (r)
        json_object_unref(r);
    g_free(body);
    expect_ended(&a, LKC_FAILURE_ROOM_DELETED);
    free_client(&a);
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    RUN(r3_duplicate_identity);
    RUN(r3_participant_removed);
    RUN(r3_room_deleted);
    return 0;
}
