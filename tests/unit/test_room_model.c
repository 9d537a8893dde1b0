/* room/model: JoinResponse / ParticipantUpdate / RoomUpdate into the room model, and the
 * participant and track events from the differences (through events.c to the room's
 * handlers). No engine thread: the model is driven directly, and the handlers record
 * every event as one line of text so a test can check the exact sequence. */
#include <glib.h>
#include <stdarg.h>

#include "lkc/lkc.h"
#include "livekit_models.pb-c.h"
#include "livekit_rtc.pb-c.h"
#include "room/model.h"
#include "test.h"

/* --- recording the events ------------------------------------------------------- */

static GPtrArray *events; /* of g_strdup'd lines */

static void record(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void record(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(events, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* A participant in an event is complete: its strings are there, and a remote is in the
 * list the getters copy out (handlers may call getters: nothing is locked around them). */
static void check_participant(lkc_room_t *room, const lkc_participant_info_t *p, bool listed)
{
    CHECK(p && p->sid && p->identity && p->name && p->metadata, "incomplete participant in an event");
    CHECK(p->n_attributes == 0 || p->attributes, "attributes missing");
    CHECK(p->n_tracks == 0 || p->tracks, "tracks missing");
    if (p->is_local)
        return;
    lkc_participant_list_t *l = NULL;
    CHECK_OK(lkc_room_get_participants(room, &l));
    bool found = false;
    for (size_t i = 0; i < l->n; i++)
        found = found || strcmp(l->items[i].sid, p->sid) == 0;
    lkc_participant_list_free(l);
    CHECK(found == listed, "%s is %slisted by lkc_room_get_participants during its event", p->identity,
          found ? "" : "not ");
}

static void on_participant_connected(lkc_room_t *room, const lkc_participant_info_t *p, void *user)
{
    (void)user;
    check_participant(room, p, true);
    record("connected %s", p->identity);
}

static void on_participant_updated(lkc_room_t *room, const lkc_participant_info_t *p, void *user)
{
    (void)user;
    check_participant(room, p, true);
    record("updated %s%s name=%s meta=%s state=%d", p->identity, p->is_local ? "(local)" : "", p->name,
           p->metadata, (int)p->state);
}

static void on_participant_disconnected(lkc_room_t *room, const lkc_participant_info_t *p, void *user)
{
    (void)user;
    check_participant(room, p, false);
    record("disconnected %s", p->identity);
}

static void on_track(const char *what, lkc_room_t *room, const lkc_participant_info_t *p,
                     const lkc_track_info_t *t, bool listed)
{
    check_participant(room, p, listed);
    CHECK(t && t->sid && t->name && t->mime_type, "incomplete track in an event");
    record("%s %s %s", what, p->identity, t->sid);
}

static void on_track_published(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                               void *user)
{
    (void)user;
    on_track("published", room, p, t, true);
}

static void on_track_unpublished(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                                 void *user)
{
    (void)user;
    /* a participant leaving unpublishes its tracks after it left the list */
    lkc_participant_list_t *l = NULL;
    CHECK_OK(lkc_room_get_participants(room, &l));
    bool listed = false;
    for (size_t i = 0; i < l->n; i++)
        listed = listed || strcmp(l->items[i].sid, p->sid) == 0;
    lkc_participant_list_free(l);
    on_track("unpublished", room, p, t, listed);
}

static void on_track_muted(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                           void *user)
{
    (void)user;
    CHECK(t->muted, "track_muted with a track that is not muted");
    on_track("muted", room, p, t, true);
}

static void on_track_unmuted(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                             void *user)
{
    (void)user;
    CHECK(!t->muted, "track_unmuted with a muted track");
    on_track("unmuted", room, p, t, true);
}

static void on_room_updated(lkc_room_t *room, const lkc_room_info_t *info, void *user)
{
    (void)room;
    (void)user;
    record("room %s sid=%s meta=%s n=%u pub=%u", info->name, info->sid, info->metadata, info->num_participants,
           info->num_publishers);
}

/* The model never reports these: they come from other parts of the session. */
static void on_unexpected(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t, void *user)
{
    (void)room;
    (void)user;
    record("UNEXPECTED subscribed/unsubscribed %s %s", p->identity, t->sid);
}

/* Checks the events recorded since the last call, then forgets them. */
static void expect_events(const char *where, const char *const *want)
{
    size_t n = 0;
    while (want[n])
        n++;
    bool same = n == events->len;
    for (size_t i = 0; same && i < n; i++)
        same = strcmp(want[i], g_ptr_array_index(events, i)) == 0;
    if (!same) {
        fprintf(stderr, "%s: events differ\n  expected:\n", where);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "    %s\n", want[i]);
        fprintf(stderr, "  got:\n");
        for (guint i = 0; i < events->len; i++)
            fprintf(stderr, "    %s\n", (const char *)g_ptr_array_index(events, i));
    }
    CHECK(same, "%s: %zu event(s) expected, %u recorded (see above)", where, n, events->len);
    g_ptr_array_set_size(events, 0);
}
#define EXPECT(where, ...) expect_events(where, (const char *const[]){__VA_ARGS__, NULL})
#define EXPECT_NONE(where) expect_events(where, (const char *const[]){NULL})

static lkc_room_t *new_room(void)
{
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.handlers.on_participant_connected = on_participant_connected;
    o.handlers.on_participant_updated = on_participant_updated;
    o.handlers.on_participant_disconnected = on_participant_disconnected;
    o.handlers.on_track_published = on_track_published;
    o.handlers.on_track_unpublished = on_track_unpublished;
    o.handlers.on_track_muted = on_track_muted;
    o.handlers.on_track_unmuted = on_track_unmuted;
    o.handlers.on_track_subscribed = on_unexpected;
    o.handlers.on_track_unsubscribed = on_unexpected;
    o.handlers.on_room_updated = on_room_updated;
    lkc_room_t *room = NULL;
    CHECK_OK(lkc_room_create(&o, &room));
    CHECK(room != NULL, "no room");
    return room;
}

/* --- building the server's messages --------------------------------------------- */

static Livekit__ParticipantInfo *pi_new(const char *sid, const char *identity, const char *name, const char *meta,
                                        Livekit__ParticipantInfo__State state, uint32_t version)
{
    Livekit__ParticipantInfo *p = g_new(Livekit__ParticipantInfo, 1);
    *p = (Livekit__ParticipantInfo)LIVEKIT__PARTICIPANT_INFO__INIT;
    p->sid = (char *)sid;
    p->identity = (char *)identity;
    p->name = (char *)name;
    p->metadata = (char *)meta;
    p->state = state;
    p->version = version;
    return p;
}

static void pi_track(Livekit__ParticipantInfo *p, const char *sid, Livekit__TrackType type,
                     Livekit__TrackSource source, const char *name, const char *mime, bool muted)
{
    Livekit__TrackInfo *t = g_new(Livekit__TrackInfo, 1);
    *t = (Livekit__TrackInfo)LIVEKIT__TRACK_INFO__INIT;
    t->sid = (char *)sid;
    t->type = type;
    t->source = source;
    t->name = (char *)name;
    t->mime_type = (char *)mime;
    t->muted = muted;
    t->stereo = type == LIVEKIT__TRACK_TYPE__AUDIO && muted; /* any recognisable value */
    p->tracks = g_renew(Livekit__TrackInfo *, p->tracks, p->n_tracks + 1);
    p->tracks[p->n_tracks++] = t;
}

static void pi_attr(Livekit__ParticipantInfo *p, const char *key, const char *value)
{
    Livekit__ParticipantInfo__AttributesEntry *e = g_new(Livekit__ParticipantInfo__AttributesEntry, 1);
    *e = (Livekit__ParticipantInfo__AttributesEntry)LIVEKIT__PARTICIPANT_INFO__ATTRIBUTES_ENTRY__INIT;
    e->key = (char *)key;
    e->value = (char *)value;
    p->attributes = g_renew(Livekit__ParticipantInfo__AttributesEntry *, p->attributes, p->n_attributes + 1);
    p->attributes[p->n_attributes++] = e;
}

static void pi_free(Livekit__ParticipantInfo *p)
{
    for (size_t i = 0; i < p->n_tracks; i++)
        g_free(p->tracks[i]);
    g_free(p->tracks);
    for (size_t i = 0; i < p->n_attributes; i++)
        g_free(p->attributes[i]);
    g_free(p->attributes);
    g_free(p);
}

/* One ParticipantUpdate with a single participant; frees it. */
static void update1(lkc_model_t *m, Livekit__ParticipantInfo *p)
{
    lkc__model_update(m, &p, 1);
    pi_free(p);
}

#define JOINED LIVEKIT__PARTICIPANT_INFO__STATE__JOINED
#define ACTIVE LIVEKIT__PARTICIPANT_INFO__STATE__ACTIVE
#define GONE LIVEKIT__PARTICIPANT_INFO__STATE__DISCONNECTED
#define AUDIO LIVEKIT__TRACK_TYPE__AUDIO
#define VIDEO LIVEKIT__TRACK_TYPE__VIDEO
#define MIC LIVEKIT__TRACK_SOURCE__MICROPHONE
#define CAMERA LIVEKIT__TRACK_SOURCE__CAMERA

/* alice at `version`: TR_a1 (microphone, muted as given) and, when `with_video`, TR_a2 */
static Livekit__ParticipantInfo *alice(uint32_t version, Livekit__ParticipantInfo__State state, bool a1_muted,
                                      bool with_video)
{
    Livekit__ParticipantInfo *p = pi_new("PA_alice", "alice", "Alice", "", state, version);
    pi_track(p, "TR_a1", AUDIO, MIC, "mic", "audio/opus", a1_muted);
    if (with_video)
        pi_track(p, "TR_a2", VIDEO, CAMERA, "cam", "video/VP8", false);
    return p;
}

static Livekit__ParticipantInfo *bob(uint32_t version, const char *meta, const char *role, bool with_track)
{
    Livekit__ParticipantInfo *p = pi_new("PA_bob", "bob", "Bob", meta, ACTIVE, version);
    pi_attr(p, "role", role);
    pi_attr(p, "team", "blue");
    if (with_track)
        pi_track(p, "TR_b1", AUDIO, MIC, "bob-mic", "audio/opus", false);
    return p;
}

/* --- lookups into the copies ------------------------------------------------------ */

static const lkc_participant_info_t *listed(const lkc_participant_list_t *l, const char *identity)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].identity, identity) == 0)
            return &l->items[i];
    return NULL;
}

static const lkc_track_info_t *track_of(const lkc_participant_info_t *p, const char *sid)
{
    for (size_t i = 0; p && i < p->n_tracks; i++)
        if (strcmp(p->tracks[i].sid, sid) == 0)
            return &p->tracks[i];
    return NULL;
}

static void check_order(lkc_room_t *room, const char *const *identities)
{
    lkc_participant_list_t *l = NULL;
    CHECK_OK(lkc_room_get_participants(room, &l));
    size_t n = 0;
    while (identities[n])
        n++;
    CHECK_EQ_INT(l->n, n);
    for (size_t i = 0; i < n; i++)
        CHECK_STR(l->items[i].identity, identities[i]);
    lkc_participant_list_free(l);
}
#define CHECK_ORDER(room, ...) check_order(room, (const char *const[]){__VA_ARGS__, NULL})

/* --- the tests -------------------------------------------------------------------- */

static void getters_before_join(void)
{
    lkc_room_t *room = new_room();
    lkc_model_t *m = lkc__model_new(room);
    lkc_room_info_t *info = (lkc_room_info_t *)1;
    lkc_participant_info_t *local = (lkc_participant_info_t *)1;
    lkc_participant_list_t *list = (lkc_participant_list_t *)1;
    CHECK_EQ_INT(lkc_room_get_info(room, &info), LKC_ERR_STATE);
    CHECK(info == NULL, "get_info left its output set");
    CHECK_EQ_INT(lkc_room_get_local_participant(room, &local), LKC_ERR_STATE);
    CHECK(local == NULL, "get_local_participant left its output set");
    CHECK_EQ_INT(lkc_room_get_participants(room, &list), LKC_ERR_STATE);
    CHECK(list == NULL, "get_participants left its output set");
    CHECK(lkc__model_local(m) == NULL, "a local participant before the join");
    CHECK(lkc__model_find_sid(m, "PA_x") == NULL, "a participant before the join");
    /* an announce before the join (nothing known yet) reports nothing */
    lkc__model_announce(m);
    EXPECT_NONE("announce before join");
    lkc__model_free(m);
    lkc_room_destroy(room);
}

static void join_announce_and_diffs(void)
{
    lkc_room_t *room = new_room();
    lkc_model_t *m = lkc__model_new(room);

    /* JoinResponse: the room, ourselves, alice (two tracks) and bob (attributes) */
    Livekit__Room r = LIVEKIT__ROOM__INIT;
    r.sid = "RM_1";
    r.name = "room1";
    r.metadata = "m0";
    r.num_participants = 3;
    r.num_publishers = 1;
    Livekit__ParticipantInfo *me = pi_new("PA_me", "me", "Me", "my-meta", JOINED, 1);
    Livekit__ParticipantInfo *others[2] = {alice(1, JOINED, false, true), bob(1, "", "listener", false)};
    Livekit__JoinResponse j = LIVEKIT__JOIN_RESPONSE__INIT;
    j.room = &r;
    j.participant = me;
    j.other_participants = others;
    j.n_other_participants = 2;
    lkc__model_join(m, &j);
    pi_free(me);
    pi_free(others[0]);
    pi_free(others[1]);
    EXPECT_NONE("join");

    /* the getters copy out what the join brought */
    lkc_room_info_t *info = NULL;
    CHECK_OK(lkc_room_get_info(room, &info));
    CHECK_STR(info->name, "room1");
    CHECK_STR(info->sid, "RM_1");
    CHECK_STR(info->metadata, "m0");
    CHECK_EQ_INT(info->num_participants, 3);
    CHECK_EQ_INT(info->num_publishers, 1);
    lkc_room_info_free(info);

    lkc_participant_info_t *local = NULL;
    CHECK_OK(lkc_room_get_local_participant(room, &local));
    CHECK_STR(local->sid, "PA_me");
    CHECK_STR(local->identity, "me");
    CHECK_STR(local->name, "Me");
    CHECK_STR(local->metadata, "my-meta");
    CHECK(local->is_local, "the local participant is not is_local");
    CHECK_EQ_INT(local->n_tracks, 0);
    lkc_participant_info_free(local);
    CHECK(lkc__model_local(m) && strcmp(lkc__model_local(m)->sid, "PA_me") == 0, "model_local");

    lkc_participant_list_t *l = NULL;
    CHECK_OK(lkc_room_get_participants(room, &l));
    CHECK_EQ_INT(l->n, 2);
    const lkc_participant_info_t *pa = &l->items[0], *pb = &l->items[1];
    CHECK_STR(pa->sid, "PA_alice");
    CHECK_STR(pa->identity, "alice");
    CHECK_STR(pa->name, "Alice");
    CHECK_STR(pa->metadata, "");
    CHECK_EQ_INT(pa->state, LKC_PARTICIPANT_JOINED);
    CHECK_EQ_INT(pa->kind, LKC_KIND_STANDARD);
    CHECK(!pa->is_local, "a remote is is_local");
    CHECK_EQ_INT(pa->n_tracks, 2);
    CHECK_STR(pa->tracks[0].sid, "TR_a1");
    CHECK_STR(pa->tracks[0].name, "mic");
    CHECK_STR(pa->tracks[0].mime_type, "audio/opus");
    CHECK_EQ_INT(pa->tracks[0].kind, LKC_TRACK_AUDIO);
    CHECK_EQ_INT(pa->tracks[0].source, LKC_SOURCE_MICROPHONE);
    CHECK(!pa->tracks[0].muted && !pa->tracks[0].subscribed, "TR_a1 flags");
    CHECK_STR(pa->tracks[1].sid, "TR_a2");
    CHECK_EQ_INT(pa->tracks[1].kind, LKC_TRACK_VIDEO);
    CHECK_EQ_INT(pa->tracks[1].source, LKC_SOURCE_CAMERA);
    CHECK_STR(pa->tracks[1].mime_type, "video/VP8");
    CHECK_STR(pb->identity, "bob");
    CHECK_EQ_INT(pb->state, LKC_PARTICIPANT_ACTIVE);
    CHECK_EQ_INT(pb->n_attributes, 2);
    CHECK_STR(pb->attributes[0].key, "role");
    CHECK_STR(pb->attributes[0].value, "listener");
    CHECK_STR(pb->attributes[1].key, "team");
    CHECK_STR(pb->attributes[1].value, "blue");
    CHECK_EQ_INT(pb->n_tracks, 0);
    lkc_participant_list_free(l);

    /* internal lookups */
    CHECK(lkc__model_find_sid(m, "PA_bob") && strcmp(lkc__model_find_sid(m, "PA_bob")->identity, "bob") == 0,
          "find_sid bob");
    CHECK(lkc__model_find_sid(m, "PA_me") && lkc__model_find_sid(m, "PA_me")->is_local, "find_sid me");
    CHECK(lkc__model_find_identity(m, "alice") != NULL, "find_identity alice");
    CHECK(lkc__model_find_identity(m, "me") == NULL, "find_identity finds remotes only");
    const lkc_track_info_t *ft = NULL;
    const lkc_participant_info_t *fp = lkc__model_find_track(m, "TR_a2", &ft);
    CHECK(fp && ft && strcmp(fp->identity, "alice") == 0 && strcmp(ft->sid, "TR_a2") == 0, "find_track TR_a2");
    CHECK(lkc__model_find_track(m, "TR_none", &ft) == NULL, "find_track of an unknown sid");

    /* changes before the room is announced are taken in silently */
    update1(m, pi_new("PA_carol", "carol", "Carol", "", ACTIVE, 1));
    update1(m, alice(2, JOINED, true, true)); /* TR_a1 muted */
    {
        Livekit__Room r2 = LIVEKIT__ROOM__INIT;
        r2.sid = "RM_1";
        r2.name = "room1";
        r2.metadata = "m0";
        r2.num_participants = 4;
        r2.num_publishers = 1;
        lkc__model_room_update(m, &r2);
    }
    EXPECT_NONE("updates before announce");
    CHECK_ORDER(room, "alice", "bob", "carol");

    /* announce: everyone already there, in join order, each followed by its tracks */
    lkc__model_announce(m);
    EXPECT("announce", "connected alice", "published alice TR_a1", "published alice TR_a2", "connected bob",
           "connected carol");
    lkc__model_announce(m);
    EXPECT_NONE("second announce");

    /* a new participant with a track */
    {
        Livekit__ParticipantInfo *d = pi_new("PA_dave", "dave", "Dave", "", JOINED, 1);
        pi_track(d, "TR_d1", AUDIO, MIC, "dave-mic", "audio/opus", false);
        update1(m, d);
    }
    EXPECT("new participant", "connected dave", "published dave TR_d1");

    /* a track added */
    update1(m, bob(2, "", "listener", true));
    EXPECT("track added", "published bob TR_b1");

    /* muted (before announce) -> unmuted -> muted */
    update1(m, alice(3, JOINED, false, true));
    EXPECT("unmute", "unmuted alice TR_a1");
    update1(m, alice(4, JOINED, true, true));
    EXPECT("mute", "muted alice TR_a1");

    /* a track removed */
    update1(m, alice(5, JOINED, true, false));
    EXPECT("track removed", "unpublished alice TR_a2");

    /* metadata, state and attribute changes */
    update1(m, bob(3, "hello", "listener", true));
    EXPECT("metadata", "updated bob name=Bob meta=hello state=2");
    update1(m, alice(6, ACTIVE, true, false));
    EXPECT("state", "updated alice name=Alice meta= state=2");
    update1(m, bob(4, "hello", "speaker", true));
    EXPECT("attributes", "updated bob name=Bob meta=hello state=2");
    /* the same content again (same version): nothing to report */
    update1(m, bob(4, "hello", "speaker", true));
    EXPECT_NONE("no change");

    /* a stale update (older version than what we have) is ignored, events and model */
    update1(m, alice(2, JOINED, false, true));
    EXPECT_NONE("stale update");
    l = NULL;
    CHECK_OK(lkc_room_get_participants(room, &l));
    pa = listed(l, "alice");
    CHECK(pa != NULL, "alice missing");
    CHECK_EQ_INT(pa->n_tracks, 1);
    CHECK(track_of(pa, "TR_a1") && track_of(pa, "TR_a1")->muted, "a stale update unmuted TR_a1");
    CHECK_EQ_INT(pa->state, LKC_PARTICIPANT_ACTIVE);
    pb = listed(l, "bob");
    CHECK(pb && pb->n_attributes == 2 && strcmp(pb->attributes[0].value, "speaker") == 0, "bob's attributes");
    CHECK_STR(pb->metadata, "hello");
    lkc_participant_list_free(l);

    /* one ParticipantUpdate with two participants: events in message order; a leaving
     * participant unpublishes its tracks, then disconnects */
    {
        Livekit__ParticipantInfo *ps[2] = {pi_new("PA_carol", "carol", "Carol", "c-meta", ACTIVE, 2),
                                           pi_new("PA_dave", "dave", "Dave", "", GONE, 2)};
        lkc__model_update(m, ps, 2);
        pi_free(ps[0]);
        pi_free(ps[1]);
    }
    EXPECT("batch with a departure", "updated carol name=Carol meta=c-meta state=2", "unpublished dave TR_d1",
           "disconnected dave");
    CHECK_ORDER(room, "alice", "bob", "carol");
    CHECK(lkc__model_find_sid(m, "PA_dave") == NULL, "dave still in the model");
    CHECK(lkc__model_find_track(m, "TR_d1", NULL) == NULL, "dave's track still in the model");

    /* DISCONNECTED for someone unknown, or gone already: nothing */
    update1(m, pi_new("PA_nobody", "nobody", "", "", GONE, 1));
    update1(m, pi_new("PA_dave", "dave", "Dave", "", GONE, 3));
    EXPECT_NONE("departures of unknown participants");

    /* dave comes back: a new session of his, with a new sid and versions from 1 */
    update1(m, pi_new("PA_dave2", "dave", "Dave", "", ACTIVE, 1));
    EXPECT("rejoin", "connected dave");
    CHECK_ORDER(room, "alice", "bob", "carol", "dave");
    CHECK(lkc__model_find_identity(m, "dave") == lkc__model_find_sid(m, "PA_dave2"), "dave's new sid");

    /* ourselves: a change is an update (is_local), no change is nothing */
    update1(m, pi_new("PA_me", "me", "Me", "my-meta", JOINED, 2));
    EXPECT_NONE("local without change");
    update1(m, pi_new("PA_me", "me", "Me too", "my-meta", JOINED, 3));
    EXPECT("local name", "updated me(local) name=Me too meta=my-meta state=1");
    local = NULL;
    CHECK_OK(lkc_room_get_local_participant(room, &local));
    CHECK_STR(local->name, "Me too");
    CHECK(local->is_local, "local is_local after an update");
    lkc_participant_info_free(local);
    CHECK_ORDER(room, "alice", "bob", "carol", "dave"); /* we are never among the remotes */

    /* `subscribed` is ours, not the server's: it survives the server's updates */
    lkc__model_set_subscribed(m, "TR_b1", true);
    lkc__model_set_subscribed(m, "TR_unknown", true); /* ignored */
    update1(m, bob(5, "hello", "speaker", true));
    EXPECT_NONE("update with the same content");
    l = NULL;
    CHECK_OK(lkc_room_get_participants(room, &l));
    pb = listed(l, "bob");
    CHECK(track_of(pb, "TR_b1") && track_of(pb, "TR_b1")->subscribed, "TR_b1 lost `subscribed` in an update");
    CHECK(!track_of(listed(l, "alice"), "TR_a1")->subscribed, "TR_a1 subscribed without being asked");
    lkc_participant_list_free(l);
    lkc__model_set_subscribed(m, "TR_b1", false);
    l = NULL;
    CHECK_OK(lkc_room_get_participants(room, &l));
    CHECK(!track_of(listed(l, "bob"), "TR_b1")->subscribed, "TR_b1 still subscribed");
    lkc_participant_list_free(l);

    /* RoomUpdate */
    {
        Livekit__Room r3 = LIVEKIT__ROOM__INIT;
        r3.sid = "RM_1";
        r3.name = "room1";
        r3.metadata = "m1";
        r3.num_participants = 5;
        r3.num_publishers = 2;
        lkc__model_room_update(m, &r3);
    }
    EXPECT("room update", "room room1 sid=RM_1 meta=m1 n=5 pub=2");
    info = NULL;
    CHECK_OK(lkc_room_get_info(room, &info));
    CHECK_STR(info->metadata, "m1");
    CHECK_EQ_INT(info->num_participants, 5);
    CHECK_EQ_INT(info->num_publishers, 2);
    lkc_room_info_free(info);

    /* once destroy was requested no handler runs */
    atomic_store(&room->handlers_off, true);
    update1(m, pi_new("PA_erin", "erin", "Erin", "", ACTIVE, 1));
    update1(m, pi_new("PA_dave2", "dave", "Dave", "", GONE, 2));
    EXPECT_NONE("handlers off");
    atomic_store(&room->handlers_off, false);

    lkc__model_free(m);
    /* the room keeps the last model readable after the session */
    CHECK_ORDER(room, "alice", "bob", "carol", "erin");
    lkc_room_destroy(room);
}

/* Strings the server leaves out (NULL in a hand-built message) become "". */
static void missing_strings(void)
{
    lkc_room_t *room = new_room();
    lkc_model_t *m = lkc__model_new(room);
    Livekit__JoinResponse j = LIVEKIT__JOIN_RESPONSE__INIT; /* no room, no participant */
    lkc__model_join(m, &j);
    lkc_room_info_t *info = NULL;
    CHECK_OK(lkc_room_get_info(room, &info));
    CHECK_STR(info->name, "");
    CHECK_STR(info->sid, "");
    CHECK_STR(info->metadata, "");
    lkc_room_info_free(info);
    lkc_participant_info_t *local = (lkc_participant_info_t *)1;
    CHECK_EQ_INT(lkc_room_get_local_participant(room, &local), LKC_ERR_STATE);
    lkc__model_announce(m);
    EXPECT_NONE("empty join");

    Livekit__ParticipantInfo *p = pi_new("PA_x", NULL, NULL, NULL, ACTIVE, 0);
    pi_track(p, "TR_x", AUDIO, MIC, NULL, NULL, false);
    lkc__model_update(m, &p, 1);
    EXPECT("participant without strings", "connected ", "published  TR_x");
    lkc_participant_list_t *l = NULL;
    CHECK_OK(lkc_room_get_participants(room, &l));
    CHECK_EQ_INT(l->n, 1);
    CHECK_STR(l->items[0].identity, "");
    CHECK_STR(l->items[0].name, "");
    CHECK_STR(l->items[0].metadata, "");
    CHECK_STR(l->items[0].tracks[0].name, "");
    CHECK_STR(l->items[0].tracks[0].mime_type, "");
    lkc_participant_list_free(l);
    pi_free(p);
    lkc__model_free(m);
    lkc_room_destroy(room);
}

/* The getters copy the model out from any thread while the engine thread changes it
 * (run under TSan: every access to the shared model must be under room->lock). */
typedef struct {
    lkc_room_t *room;
    atomic_bool stop;
    unsigned copies;
} reader_t;

static gpointer reader_main(gpointer arg)
{
    reader_t *r = arg;
    while (!atomic_load(&r->stop)) {
        lkc_participant_list_t *l = NULL;
        if (lkc_room_get_participants(r->room, &l) == LKC_OK) {
            for (size_t i = 0; i < l->n; i++) {
                const lkc_participant_info_t *p = &l->items[i];
                CHECK(p->sid && p->identity && p->name && p->metadata, "incomplete copy");
                for (size_t k = 0; k < p->n_tracks; k++)
                    CHECK(p->tracks[k].sid && p->tracks[k].mime_type, "incomplete track copy");
                for (size_t k = 0; k < p->n_attributes; k++)
                    CHECK(p->attributes[k].key && p->attributes[k].value, "incomplete attribute copy");
            }
            lkc_participant_list_free(l);
        }
        lkc_room_info_t *info = NULL;
        if (lkc_room_get_info(r->room, &info) == LKC_OK) {
            CHECK(info->name && info->sid && info->metadata, "incomplete room copy");
            lkc_room_info_free(info);
        }
        lkc_participant_info_t *local = NULL;
        if (lkc_room_get_local_participant(r->room, &local) == LKC_OK) {
            CHECK(local->is_local, "local copy not is_local");
            lkc_participant_info_free(local);
        }
        r->copies++;
    }
    return NULL;
}

static void getters_from_another_thread(void)
{
    lkc_room_t *room = new_room();
    lkc_model_t *m = lkc__model_new(room);
    reader_t r = {.room = room};
    GThread *t = g_thread_new("reader", reader_main, &r);

    Livekit__Room rm = LIVEKIT__ROOM__INIT;
    rm.sid = "RM_2";
    rm.name = "room2";
    Livekit__ParticipantInfo *me = pi_new("PA_me", "me", "Me", "", JOINED, 1);
    Livekit__ParticipantInfo *others[1] = {alice(1, JOINED, false, true)};
    Livekit__JoinResponse j = LIVEKIT__JOIN_RESPONSE__INIT;
    j.room = &rm;
    j.participant = me;
    j.other_participants = others;
    j.n_other_participants = 1;
    lkc__model_join(m, &j);
    pi_free(me);
    pi_free(others[0]);
    lkc__model_announce(m);
    for (uint32_t v = 2; v < 400; v++) {
        update1(m, alice(v, v % 3 ? ACTIVE : JOINED, v % 2, v % 5 != 0));
        update1(m, bob(v, v % 2 ? "odd" : "even", "r", v % 4 == 0));
        lkc__model_set_subscribed(m, "TR_a1", v % 2);
        if (v % 7 == 0)
            update1(m, pi_new("PA_bob", "bob", "Bob", "", GONE, v));
        char meta[16];
        g_snprintf(meta, sizeof meta, "m%u", v);
        update1(m, pi_new("PA_me", "me", "Me", meta, JOINED, v));
        rm.metadata = meta;
        rm.num_participants = v;
        lkc__model_room_update(m, &rm);
        rm.metadata = "";
        g_ptr_array_set_size(events, 0);
    }
    atomic_store(&r.stop, true);
    g_thread_join(t);
    CHECK(r.copies > 0, "the reader never ran");
    lkc__model_free(m);
    lkc_room_destroy(room);
}

/* A stale update of ourselves (older version than the one we have) is ignored, as for
 * remote participants (and as the official SDKs do in Participant.updateInfo). */
static void stale_local_update_ignored(void)
{
    lkc_room_t *room = new_room();
    lkc_model_t *m = lkc__model_new(room);
    Livekit__Room rm = LIVEKIT__ROOM__INIT;
    rm.name = "room3";
    Livekit__ParticipantInfo *me = pi_new("PA_me", "me", "Me", "", JOINED, 1);
    Livekit__JoinResponse j = LIVEKIT__JOIN_RESPONSE__INIT;
    j.room = &rm;
    j.participant = me;
    lkc__model_join(m, &j);
    pi_free(me);
    lkc__model_announce(m);
    update1(m, pi_new("PA_me", "me", "Me", "v3-meta", JOINED, 3));
    EXPECT("local update", "updated me(local) name=Me meta=v3-meta state=1");
    update1(m, pi_new("PA_me", "me", "Me", "v2-meta", JOINED, 2)); /* late, older */
    lkc_participant_info_t *local = NULL;
    CHECK_OK(lkc_room_get_local_participant(room, &local));
    char *meta = g_strdup(local->metadata);
    lkc_participant_info_free(local);
    /* an older ParticipantInfo of ourselves (v2 after v3) is ignored, as for remotes */
    bool ok = strcmp(meta, "v3-meta") == 0;
    CHECK(ok, "a stale local participant update was applied: metadata=%s, %u event(s)", meta, events->len);
    g_free(meta);
    EXPECT_NONE("stale local update");
    lkc__model_free(m);
    lkc_room_destroy(room);
}

/* A participant that comes back under the same identity with a new sid (its own full
 * reconnect) replaces the old one at once: the old one's tracks go and it leaves, then the
 * new one joins, even though the server says nothing of the old one yet. */
static void same_identity_new_sid_replaces(void)
{
    lkc_room_t *room = new_room();
    lkc_model_t *m = lkc__model_new(room);
    Livekit__Room rm = LIVEKIT__ROOM__INIT;
    rm.name = "room4";
    Livekit__ParticipantInfo *me = pi_new("PA_me", "me", "Me", "", JOINED, 1);
    Livekit__JoinResponse j = LIVEKIT__JOIN_RESPONSE__INIT;
    j.room = &rm;
    j.participant = me;
    lkc__model_join(m, &j);
    pi_free(me);
    lkc__model_announce(m);
    update1(m, alice(1, ACTIVE, false, false));
    EXPECT("alice", "connected alice", "published alice TR_a1");
    Livekit__ParticipantInfo *again = pi_new("PA_alice2", "alice", "Alice", "", ACTIVE, 1);
    pi_track(again, "TR_a9", AUDIO, MIC, "mic", "audio/opus", false);
    update1(m, again);
    EXPECT("alice again", "unpublished alice TR_a1", "disconnected alice", "connected alice", "published alice TR_a9");
    lkc_participant_list_t *l = NULL;
    CHECK_OK(lkc_room_get_participants(room, &l));
    CHECK_EQ_INT((int)l->n, 1);
    CHECK_STR(l->items[0].sid, "PA_alice2");
    lkc_participant_list_free(l);
    update1(m, pi_new("PA_alice", "alice", "Alice", "", GONE, 2)); /* the server's late word on the old one */
    EXPECT_NONE("the old one's late leave");
    lkc__model_free(m);
    lkc_room_destroy(room);
}

int main(void)
{
    events = g_ptr_array_new_with_free_func(g_free);
    RUN(same_identity_new_sid_replaces);
    RUN(getters_before_join);
    RUN(join_announce_and_diffs);
    RUN(missing_strings);
    RUN(getters_from_another_thread);
    RUN(stale_local_update_ignored); /* last: fails on a known bug, see the test */
    g_ptr_array_unref(events);
    return 0;
}
