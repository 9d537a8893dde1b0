/* R7: every AudioStream ends — read returns LKC_EOS, the push variant gets on_end — on
 * unsubscribe, unpublish, participant leave, room close and room destroy. One case
 * each, with a pull and a push stream on the track every time. */
#include <stdatomic.h>

#include "events.h"
#include "interop.h"
#include "peer.h"

typedef struct {
    atomic_int frames;
    atomic_int ends;
} push_probe_t;

static void on_frame(lkc_audio_stream_t *s, const int16_t *pcm, size_t n, void *user)
{
    atomic_fetch_add(&((push_probe_t *)user)->frames, 1);
}

static void on_end(lkc_audio_stream_t *s, void *user)
{
    atomic_fetch_add(&((push_probe_t *)user)->ends, 1);
}

typedef struct {
    char *room_name;
    lkc_room_t *room;
    lkc_test_events_t *ev;
    lkc_test_peer_t *py;
    char sid[64];
    lkc_audio_stream_t *pull, *push;
    push_probe_t probe;
} scene_t;

static void setup(scene_t *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->room_name = lkc_test_room_name("streams-end");
    sc->ev = lkc_test_events_new();
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    lkc_test_events_install(sc->ev, &o);
    CHECK_OK(lkc_room_create(&o, &sc->room));
    char *tok = lkc_test_token(sc->room_name, "lkc-listener", NULL, NULL);
    CHECK_OK(lkc_room_connect(sc->room, lkc_test_env()->url, tok));
    lkc_free(tok);
    CHECK_OK(lkc_room_wait_connected(sc->room, 15000));
    sc->py = lkc_test_peer_start(sc->room_name, "py-talker", NULL);
    lkc_test_peer_cmd(sc->py, "{\"cmd\":\"tone\",\"freq\":440}");
    CHECK(lkc_test_events_wait(sc->ev, "track_subscribed", "py-talker", 1, 15000), "no subscription");
    GPtrArray *l = lkc_test_events_list(sc->ev, "track_subscribed");
    g_strlcpy(sc->sid, ((lkc_test_event_t *)g_ptr_array_index(l, 0))->b, sizeof sc->sid);
    g_ptr_array_unref(l);
    lkc_audio_stream_options_t so;
    lkc_audio_stream_options_init(&so);
    CHECK_OK(lkc_audio_stream_create(sc->room, sc->sid, &so, &sc->pull));
    so.on_frame = on_frame;
    so.on_end = on_end;
    so.user = &sc->probe;
    CHECK_OK(lkc_audio_stream_create(sc->room, sc->sid, &so, &sc->push));
    /* audio flows into both before the end is provoked */
    int16_t buf[480];
    int n = 0;
    for (int i = 0; i < 100 && n <= 0; i++)
        n = lkc_audio_stream_read(sc->pull, buf, 480, 100);
    CHECK(n > 0, "no audio before the end (%s)", lkc_err_str(n));
    for (int i = 0; i < 200 && atomic_load(&sc->probe.frames) == 0; i++)
        g_usleep(10000);
    CHECK(atomic_load(&sc->probe.frames) > 0, "the push stream got no frame");
}

static void expect_end(scene_t *sc, const char *cause)
{
    int16_t buf[480];
    int n = 0;
    gint64 deadline = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;
    while ((n = lkc_audio_stream_read(sc->pull, buf, 480, 200)) != LKC_EOS) {
        CHECK(n > 0 || n == LKC_ERR_TIMEOUT, "%s: read returned %s", cause, lkc_err_str(n));
        CHECK(g_get_monotonic_time() < deadline, "%s: the pull stream did not end", cause);
    }
    CHECK_EQ_INT(lkc_audio_stream_read(sc->pull, buf, 480, 0), LKC_EOS); /* and stays ended */
    for (int i = 0; i < 500 && atomic_load(&sc->probe.ends) == 0; i++)
        g_usleep(10000);
    CHECK(atomic_load(&sc->probe.ends) == 1, "%s: on_end ran %d times", cause, atomic_load(&sc->probe.ends));
    lkc_audio_stream_stats_t st;
    CHECK_OK(lkc_audio_stream_get_stats(sc->push, &st));
    CHECK(st.ended, "%s: stats do not say ended", cause);
    fprintf(stderr, "%s: both streams ended\n", cause);
}

static void teardown(scene_t *sc)
{
    lkc_audio_stream_destroy(sc->pull);
    lkc_audio_stream_destroy(sc->push);
    lkc_room_destroy(sc->room);
    lkc_test_peer_stop(sc->py);
    lkc_test_events_free(sc->ev);
    g_free(sc->room_name);
}

static void r7_on_unsubscribe(void)
{
    scene_t sc;
    setup(&sc);
    CHECK_OK(lkc_room_set_subscribed(sc.room, sc.sid, false));
    expect_end(&sc, "unsubscribe");
    CHECK(lkc_test_events_wait(sc.ev, "track_unsubscribed", "py-talker", 1, 5000), "no track_unsubscribed");
    teardown(&sc);
}

static void r7_on_unpublish(void)
{
    scene_t sc;
    setup(&sc);
    lkc_test_peer_cmd(sc.py, "{\"cmd\":\"unpublish\"}");
    expect_end(&sc, "unpublish");
    teardown(&sc);
}

static void r7_on_participant_leave(void)
{
    scene_t sc;
    setup(&sc);
    lkc_test_peer_stop(sc.py);
    sc.py = NULL;
    expect_end(&sc, "participant leave");
    teardown(&sc);
}

static void r7_on_room_close(void)
{
    scene_t sc;
    setup(&sc);
    CHECK_OK(lkc_room_close(sc.room));
    expect_end(&sc, "room close");
    teardown(&sc);
}

static void r7_on_room_destroy(void)
{
    scene_t sc;
    setup(&sc);
    lkc_room_destroy(sc.room);
    sc.room = NULL;
    /* the streams outlive the room: they read out and end */
    expect_end(&sc, "room destroy");
    teardown(&sc);
}

int main(void)
{
    lkc_test_env();
    RUN(r7_on_unsubscribe);
    RUN(r7_on_unpublish);
    RUN(r7_on_participant_leave);
    RUN(r7_on_room_close);
    RUN(r7_on_room_destroy);
    return 0;
}
