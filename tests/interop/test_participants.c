/* Participants through the real server with the official Python SDK as the other side:
 * lkc sets its attributes, metadata and name (the Python peer and the server's
 * ListParticipants see them), the Python peer sets its own (lkc reports the changed
 * keys, the whole map, the new metadata and name), an `lk.agent.state` attribute
 * becomes agent_state events, a token without canUpdateOwnMetadata gets LKC_ERR_DENIED,
 * the server's connection quality updates arrive for both, the participant kind comes
 * with participant_connected, and lkc shows up as an active speaker when it talks (its
 * audio-level header extension). */
#include <math.h>

#include "events.h"
#include "interop.h"
#include "peer.h"
#include "twirp.h"

static lkc_room_t *join_with_grant(const char *room, const char *identity, lkc_test_events_t *ev, bool may_update)
{
    const lkc_test_env_t *e = lkc_test_env();
    lkc_token_options_t t;
    lkc_token_options_init(&t);
    t.api_key = e->key;
    t.api_secret = e->secret;
    t.identity = identity;
    t.grant.room = room;
    t.grant.can_update_own_metadata = may_update;
    t.ttl_seconds = 600;
    char *tok = NULL;
    CHECK_OK(lkc_token_mint(&t, &tok));
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    lkc_test_events_install(ev, &o);
    lkc_room_t *r = NULL;
    CHECK_OK(lkc_room_create(&o, &r));
    CHECK_OK(lkc_room_connect(r, e->url, tok));
    lkc_free(tok);
    CHECK_OK(lkc_room_wait_connected(r, 15000));
    return r;
}

static const char *member(JsonObject *o, const char *key)
{
    return o && json_object_has_member(o, key) ? json_object_get_string_member(o, key) : NULL;
}

/* The last attributes_changed event of `identity` recorded by lkc, or NULL. */
static const lkc_test_event_t *last_event(lkc_test_events_t *ev, const char *type, const char *identity)
{
    GPtrArray *l = lkc_test_events_list(ev, type);
    const lkc_test_event_t *found = NULL;
    for (guint i = 0; i < l->len; i++) {
        const lkc_test_event_t *e = g_ptr_array_index(l, i);
        if (strcmp(e->a, identity) == 0)
            found = e;
    }
    g_ptr_array_unref(l);
    return found;
}

static void lkc_sets_its_own(lkc_room_t *r, lkc_test_peer_t *py, lkc_test_events_t *ev, const char *room)
{
    lkc_kv_t attrs[] = {{"color", "blue"}, {"mood", "calm"}};
    CHECK_OK(lkc_room_set_attributes(r, attrs, 2));
    CHECK_OK(lkc_room_set_metadata(r, "{\"seat\":7}"));
    CHECK_OK(lkc_room_set_name(r, "Lkc Device"));
    JsonObject *a = lkc_test_peer_wait(py, "participant_attributes_changed", "identity", "lkc-part", 1, 10000);
    CHECK(a != NULL, "the Python peer did not see lkc's attributes change");
    JsonObject *map = json_object_get_object_member(a, "attributes");
    CHECK(map && member(map, "color") && strcmp(member(map, "color"), "blue") == 0,
          "the Python peer sees color=%s", map ? member(map, "color") : "(none)");
    CHECK(lkc_test_peer_wait(py, "participant_metadata_changed", "identity", "lkc-part", 1, 10000),
          "the Python peer did not see lkc's metadata change");
    JsonObject *n = lkc_test_peer_wait(py, "participant_name_changed", "identity", "lkc-part", 1, 10000);
    CHECK(n && strcmp(member(n, "name"), "Lkc Device") == 0, "the Python peer did not see lkc's new name");
    /* an empty value deletes a key */
    lkc_kv_t del[] = {{"mood", ""}};
    CHECK_OK(lkc_room_set_attributes(r, del, 1));
    CHECK(lkc_test_peer_wait(py, "participant_attributes_changed", "identity", "lkc-part", 2, 10000),
          "the Python peer did not see the deletion");
    /* the server's own list */
    GPtrArray *ps = lkc_test_list_participants(room);
    JsonObject *me = lkc_test_find_participant(ps, "lkc-part");
    CHECK(me != NULL, "lkc-part is not in the server's list");
    CHECK(strcmp(member(me, "metadata"), "{\"seat\":7}") == 0, "server metadata \"%s\"", member(me, "metadata"));
    CHECK(strcmp(member(me, "name"), "Lkc Device") == 0, "server name \"%s\"", member(me, "name"));
    JsonObject *sa = json_object_has_member(me, "attributes") ? json_object_get_object_member(me, "attributes") : NULL;
    CHECK(sa && member(sa, "color") && strcmp(member(sa, "color"), "blue") == 0 && !member(sa, "mood"),
          "the server's attributes of lkc-part are not {color: blue}");
    g_ptr_array_unref(ps);
    /* lkc reported its own changes too */
    CHECK(lkc_test_events_wait(ev, "attributes_changed", "lkc-part", 2, 5000), "no local attributes_changed");
    CHECK(lkc_test_events_wait(ev, "name_changed", "lkc-part", 1, 5000), "no local name_changed");
    printf("lkc set its attributes, metadata and name; Python and the server see them\n");
}

static void python_sets_its_own(lkc_test_peer_t *py, lkc_test_events_t *ev)
{
    lkc_test_peer_cmd(py, "{\"cmd\":\"set_attributes\",\"attributes\":{\"lang\":\"fr\",\"lk.agent.state\":\"listening\"}}");
    CHECK(lkc_test_events_wait(ev, "attributes_changed", "py-part", 1, 10000), "lkc saw no attributes_changed");
    const lkc_test_event_t *e = last_event(ev, "attributes_changed", "py-part");
    CHECK(strstr(e->b, "lang") && strstr(e->b, "lk.agent.state"), "changed keys \"%s\"", e->b);
    CHECK(lkc_test_events_wait(ev, "agent_state", "py-part", 1, 5000), "no agent_state event");
    CHECK_STR(last_event(ev, "agent_state", "py-part")->b, "listening");
    lkc_test_peer_cmd(py, "{\"cmd\":\"set_attributes\",\"attributes\":{\"lk.agent.state\":\"thinking\"}}");
    CHECK(lkc_test_events_wait(ev, "agent_state", "py-part", 2, 10000), "no second agent_state event");
    CHECK_STR(last_event(ev, "agent_state", "py-part")->b, "thinking");
    e = last_event(ev, "attributes_changed", "py-part");
    CHECK_STR(e->b, "lk.agent.state");
    const char *map = g_bytes_get_data(e->payload, NULL);
    CHECK(strstr(map, "lang=fr\n") && strstr(map, "lk.agent.state=thinking\n"), "the whole map: %s", map);
    lkc_test_peer_cmd(py, "{\"cmd\":\"set_metadata\",\"metadata\":\"py-meta\"}");
    CHECK(lkc_test_events_wait(ev, "metadata_changed", "py-part", 1, 10000), "no metadata_changed");
    CHECK_STR(last_event(ev, "metadata_changed", "py-part")->b, "py-meta");
    lkc_test_peer_cmd(py, "{\"cmd\":\"set_name\",\"name\":\"Py Name\"}");
    CHECK(lkc_test_events_wait(ev, "name_changed", "py-part", 1, 10000), "no name_changed");
    CHECK_STR(last_event(ev, "name_changed", "py-part")->b, "Py Name");
    printf("the Python peer's attributes, agent state, metadata and name reached lkc with the changed keys\n");
}

static void denied_without_grant(const char *room)
{
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *r = join_with_grant(room, "lkc-nogrant", ev, false);
    lkc_kv_t attrs[] = {{"x", "1"}};
    lkc_err_t rc = lkc_room_set_attributes(r, attrs, 1);
    CHECK(rc == LKC_ERR_DENIED, "set_attributes without the grant gave %s", lkc_err_str(rc));
    rc = lkc_room_set_metadata(r, "nope");
    CHECK(rc == LKC_ERR_DENIED, "set_metadata without the grant gave %s", lkc_err_str(rc));
    lkc_room_destroy(r);
    lkc_test_events_free(ev);
    printf("without canUpdateOwnMetadata: LKC_ERR_DENIED\n");
}

static void speaker_and_quality(lkc_room_t *r, lkc_test_events_t *ev, lkc_test_peer_t *py)
{
    /* the server rates the connections of participants that publish */
    lkc_test_peer_cmd(py, "{\"cmd\":\"tone\",\"freq\":300,\"dbfs\":-20}");
    /* lkc talks: the server hears its audio level and names it an active speaker */
    lkc_audio_source_t *src = NULL;
    CHECK_OK(lkc_audio_source_create(48000, 1, 200, &src));
    lkc_audio_publish_options_t po;
    lkc_audio_publish_options_init(&po, src);
    po.dtx = false;
    lkc_track_t *t = NULL;
    CHECK_OK(lkc_room_publish_audio(r, src, &po, &t));
    lkc_participant_info_t *me = NULL;
    CHECK_OK(lkc_room_get_local_participant(r, &me));
    int16_t pcm[480];
    bool heard = false;
    for (int k = 0; k < 800 && !heard; k++) { /* up to 8 s of a loud tone, 10 ms at a time */
        for (int i = 0; i < 480; i++)
            pcm[i] = (int16_t)(12000 * sin(2 * M_PI * 440 * (k * 480 + i) / 48000.0));
        lkc_audio_source_capture(src, pcm, 480, 1000);
        heard = lkc_test_events_count(ev, "speaker_active", me->sid) > 0;
    }
    CHECK(heard, "lkc never showed up as an active speaker while it sent a loud tone");
    lkc_participant_info_free(me);
    printf("lkc is an active speaker while it talks\n");
    CHECK(lkc_test_events_wait(ev, "connection_quality", "lkc-part", 1, 15000), "no connection quality for lkc");
    CHECK(lkc_test_events_wait(ev, "connection_quality", "py-part", 1, 15000), "no connection quality for py");
    printf("connection quality: lkc %s, py %s\n", last_event(ev, "connection_quality", "lkc-part")->b,
           last_event(ev, "connection_quality", "py-part")->b);
    lkc_track_release(t);
    lkc_audio_source_destroy(src);
}

static void participants(void)
{
    char *room = lkc_test_room_name("part");
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *r = join_with_grant(room, "lkc-part", ev, true);
    const char *args[] = {"--kind", "agent", NULL};
    lkc_test_peer_t *py = lkc_test_peer_start(room, "py-part", args);
    CHECK(lkc_test_events_wait(ev, "participant_connected", "py-part", 1, 15000), "lkc did not see the peer");
    GPtrArray *pcs = lkc_test_events_list(ev, "participant_connected");
    CHECK_EQ_INT(((const lkc_test_event_t *)g_ptr_array_index(pcs, 0))->kind, LKC_KIND_AGENT);
    g_ptr_array_unref(pcs);

    lkc_sets_its_own(r, py, ev, room);
    python_sets_its_own(py, ev);
    denied_without_grant(room);
    speaker_and_quality(r, ev, py);

    lkc_test_peer_stop(py);
    lkc_room_destroy(r);
    lkc_test_events_free(ev);
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    RUN(participants);
    return 0;
}
