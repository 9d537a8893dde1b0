/* The session's dispatch of signal messages (src/room/session.c), on an engine without a
 * thread: every message kind the session handles, in and out of order, with missing
 * parts, and what the application sees (state, model, end reason). No network: the
 * signal is never connected; the join builds real peer connections that are never used. */
#include <glib.h>

#include "livekit_rtc.pb-c.h"
#include "room/engine.h"
#include "room/session.h"
#include "test.h"

typedef struct {
    int participants_connected;
    int speakers;
} seen_t;

static void on_pc(lkc_room_t *r, const lkc_participant_info_t *p, void *user)
{
    ((seen_t *)user)->participants_connected++;
}

static void on_speakers(lkc_room_t *r, const lkc_speaker_t *s, size_t n, void *user)
{
    ((seen_t *)user)->speakers++;
}

typedef struct {
    lkc_room_t *room;
    lkc_engine_t *engine;
    lkc_session_t *session;
    seen_t seen;
} fixture_t;

static void setup(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.user = &f->seen;
    o.handlers.on_participant_connected = on_pc;
    o.handlers.on_speakers_changed = on_speakers;
    CHECK_OK(lkc_room_create(&o, &f->room));
    f->engine = lkc__engine_new_detached(f->room, &lkc__session_client, "ws://127.0.0.1:9/", "token");
    f->session = lkc__engine_session(f->engine);
    CHECK(f->session, "the session was not created");
}

static void teardown(fixture_t *f)
{
    lkc__engine_free_detached(f->engine);
    lkc_room_destroy(f->room);
}

static void feed(fixture_t *f, Livekit__SignalResponse *r)
{
    /* through the wire format, as the signal delivers it */
    size_t n = livekit__signal_response__get_packed_size(r);
    uint8_t *buf = g_malloc(n ? n : 1);
    livekit__signal_response__pack(r, buf);
    Livekit__SignalResponse *back = livekit__signal_response__unpack(NULL, n, buf);
    CHECK(back, "a message did not survive its own encoding");
    lkc__session_on_signal(f->session, back);
    livekit__signal_response__free_unpacked(back, NULL);
    g_free(buf);
    for (int i = 0; i < 20 && g_main_context_iteration(NULL, FALSE); i++)
        ;
}

static Livekit__ParticipantInfo *participant(const char *sid, const char *identity, uint32_t version)
{
    Livekit__ParticipantInfo *p = g_new0(Livekit__ParticipantInfo, 1);
    livekit__participant_info__init(p);
    p->sid = g_strdup(sid);
    p->identity = g_strdup(identity);
    p->state = LIVEKIT__PARTICIPANT_INFO__STATE__ACTIVE;
    p->version = version;
    return p;
}

static void participant_free(Livekit__ParticipantInfo *p)
{
    g_free(p->sid);
    g_free(p->identity);
    g_free(p);
}

static void join(fixture_t *f)
{
    Livekit__Room room = LIVEKIT__ROOM__INIT;
    room.sid = "RM_test";
    room.name = "unit";
    Livekit__ParticipantInfo *me = participant("PA_me", "me", 1);
    Livekit__ParticipantInfo *other = participant("PA_other", "other", 1);
    Livekit__JoinResponse j = LIVEKIT__JOIN_RESPONSE__INIT;
    j.room = &room;
    j.participant = me;
    j.other_participants = &other;
    j.n_other_participants = 1;
    j.subscriber_primary = true;
    j.ping_interval = 5;
    j.ping_timeout = 15;
    Livekit__SignalResponse r = LIVEKIT__SIGNAL_RESPONSE__INIT;
    r.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_JOIN;
    r.join = &j;
    feed(f, &r);
    participant_free(me);
    participant_free(other);
}

static size_t remote_count(lkc_room_t *room)
{
    lkc_participant_list_t *l = NULL;
    if (lkc_room_get_participants(room, &l) != LKC_OK)
        return (size_t)-1;
    size_t n = l->n;
    lkc_participant_list_free(l);
    return n;
}

/* JOIN fills the model; UPDATE adds a participant; events wait for CONNECTED. */
static void test_join_and_update(void)
{
    fixture_t f;
    setup(&f);
    lkc_room_info_t *info = NULL;
    CHECK_EQ_INT(lkc_room_get_info(f.room, &info), LKC_ERR_STATE); /* nothing before the join */
    join(&f);
    CHECK_OK(lkc_room_get_info(f.room, &info));
    CHECK(strcmp(info->name, "unit") == 0 && strcmp(info->sid, "RM_test") == 0, "room info %s/%s", info->name,
          info->sid);
    lkc_room_info_free(info);
    CHECK_EQ_INT((int)remote_count(f.room), 1);

    Livekit__ParticipantInfo *p = participant("PA_new", "newcomer", 1);
    Livekit__ParticipantUpdate u = LIVEKIT__PARTICIPANT_UPDATE__INIT;
    u.participants = &p;
    u.n_participants = 1;
    Livekit__SignalResponse r = LIVEKIT__SIGNAL_RESPONSE__INIT;
    r.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE;
    r.update = &u;
    feed(&f, &r);
    participant_free(p);
    CHECK_EQ_INT((int)remote_count(f.room), 2);
    CHECK_EQ_INT(f.seen.participants_connected, 0); /* announced only once CONNECTED */

    /* speakers before CONNECTED: not reported */
    Livekit__SpeakerInfo sp = LIVEKIT__SPEAKER_INFO__INIT;
    sp.sid = "PA_other";
    sp.level = 0.5f;
    sp.active = true;
    Livekit__SpeakerInfo *sps = &sp;
    Livekit__SpeakersChanged sc = LIVEKIT__SPEAKERS_CHANGED__INIT;
    sc.speakers = &sps;
    sc.n_speakers = 1;
    r.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_SPEAKERS_CHANGED;
    r.speakers_changed = &sc;
    feed(&f, &r);
    CHECK_EQ_INT(f.seen.speakers, 0);

    /* a second join is ignored */
    join(&f);
    CHECK_EQ_INT((int)remote_count(f.room), 2);
    CHECK(!lkc__engine_ending(f.engine, NULL), "the session ended on ordinary messages");
    teardown(&f);
}

/* Every leave reason from the server ends the session with the matching failure. */
static void test_leave(void)
{
    fixture_t f;
    setup(&f);
    join(&f);
    Livekit__LeaveRequest l = LIVEKIT__LEAVE_REQUEST__INIT;
    l.reason = LIVEKIT__DISCONNECT_REASON__ROOM_DELETED;
    l.action = LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT;
    Livekit__SignalResponse r = LIVEKIT__SIGNAL_RESPONSE__INIT;
    r.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE;
    r.leave = &l;
    feed(&f, &r);
    lkc_failure_t why = LKC_FAILURE_NONE;
    CHECK(lkc__engine_ending(f.engine, &why), "a leave did not end the session");
    CHECK_EQ_INT(why, LKC_FAILURE_ROOM_DELETED);
    teardown(&f);
}

/* An offer the subscriber cannot answer ends the session as a protocol failure (the
 * signal is not open, so there is no verdict to wait for). */
static void test_bad_offer(void)
{
    fixture_t f;
    setup(&f);
    join(&f);
    Livekit__SessionDescription sd = LIVEKIT__SESSION_DESCRIPTION__INIT;
    sd.type = "offer";
    sd.sdp = "this is not SDP";
    sd.id = 1;
    Livekit__SignalResponse r = LIVEKIT__SIGNAL_RESPONSE__INIT;
    r.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_OFFER;
    r.offer = &sd;
    feed(&f, &r);
    lkc_failure_t why = LKC_FAILURE_NONE;
    CHECK(lkc__engine_ending(f.engine, &why), "a malformed offer did not end the session");
    CHECK_EQ_INT(why, LKC_FAILURE_PROTOCOL);
    teardown(&f);
}

/* Messages before the join, or whose part is missing, or about things we do not have:
 * ignored, nothing crashes, nothing ends. */
static void test_out_of_order_and_empty(void)
{
    fixture_t f;
    setup(&f);
    Livekit__SignalResponse r = LIVEKIT__SIGNAL_RESPONSE__INIT;
    int cases[] = {
        LIVEKIT__SIGNAL_RESPONSE__MESSAGE_OFFER,           LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ANSWER,
        LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRICKLE,         LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE,
        LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_PUBLISHED, LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_UNPUBLISHED,
        LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ROOM_UPDATE,     LIVEKIT__SIGNAL_RESPONSE__MESSAGE_SPEAKERS_CHANGED,
        LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        r.message_case = (Livekit__SignalResponse__MessageCase)cases[i];
        r.offer = NULL; /* every case's pointer shares the union: all NULL */
        lkc__session_on_signal(f.session, &r);
    }
    join(&f);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        r.message_case = (Livekit__SignalResponse__MessageCase)cases[i];
        r.offer = NULL;
        lkc__session_on_signal(f.session, &r);
    }
    /* a published-track answer for a track we never asked for */
    Livekit__TrackInfo ti = LIVEKIT__TRACK_INFO__INIT;
    ti.sid = "TR_x";
    Livekit__TrackPublishedResponse tp = LIVEKIT__TRACK_PUBLISHED_RESPONSE__INIT;
    tp.cid = "no-such-cid";
    tp.track = &ti;
    r.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_PUBLISHED;
    r.track_published = &tp;
    feed(&f, &r);
    /* a trickled candidate that is not JSON */
    Livekit__TrickleRequest tr = LIVEKIT__TRICKLE_REQUEST__INIT;
    tr.candidateinit = "{not json";
    r.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRICKLE;
    r.trickle = &tr;
    feed(&f, &r);
    /* a refresh token is kept, and an unknown message kind is ignored */
    r.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REFRESH_TOKEN;
    r.refresh_token = "new-token";
    feed(&f, &r);
    r.message_case = (Livekit__SignalResponse__MessageCase)999;
    lkc__session_on_signal(f.session, &r);
    CHECK(!lkc__engine_ending(f.engine, NULL), "the session ended on ignorable messages");
    teardown(&f);
}

int main(void)
{
    RUN(test_join_and_update);
    RUN(test_leave);
    RUN(test_bad_offer);
    RUN(test_out_of_order_and_empty);
    lkc_library_shutdown();
    return 0;
}
