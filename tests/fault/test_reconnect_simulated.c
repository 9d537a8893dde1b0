/* Reconnection driven by the server itself (SimulateScenario, which livekit-server acts
 * out in Room.onSimulateScenario): a node failure drops our participant without a word;
 * lkc tries to resume, the server no longer knows us (leave RECONNECT), lkc reconnects
 * fully: the session never ends, the Python peer hears lkc's tone again on the
 * republished track, lkc hears the peer again on its old AudioStream, and every numbered
 * reliable message lkc sent around the fault reaches the peer. A server-side ICE restart
 * is answered without any reconnection. */
#include <math.h>

#include "audio_check.h"
#include "events.h"
#include "interop.h"
#include "peer.h"
#include "room/test_hooks.h"

typedef struct {
    lkc_audio_source_t *src;
    atomic_bool stop;
} feeder_t;

static void *feed(void *p)
{
    feeder_t *f = p;
    int16_t pcm[480];
    size_t phase = 0;
    while (!atomic_load(&f->stop)) {
        for (size_t i = 0; i < 480; i++, phase++)
            pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 660 * (double)phase / 48000));
        lkc_audio_source_capture(f->src, pcm, 480, 1000);
    }
    return NULL;
}

static void send_numbered(lkc_room_t *r, int from, int to)
{
    lkc_data_options_t o;
    lkc_data_options_init(&o);
    o.topic = "seq";
    o.timeout_ms = -1;
    for (int i = from; i <= to; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "lkc-%d", i);
        CHECK_OK(lkc_room_publish_data(r, msg, (size_t)n, &o));
    }
}

static void node_failure_then_full_reconnect(void)
{
    char *room = lkc_test_room_name("rc-sim");
    lkc_test_peer_t *py = lkc_test_peer_start(room, "py-peer", NULL);
    lkc_test_peer_cmd(py, "{\"cmd\":\"tone\",\"freq\":440,\"dbfs\":-10}");
    CHECK(lkc_test_peer_wait(py, "published", NULL, NULL, 1, 15000), "the peer did not publish");

    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *r = lkc_test_join(room, "lkc-rc", ev, NULL);
    CHECK(lkc_test_events_wait(ev, "track_subscribed", "py-peer", 1, 15000), "no track_subscribed for the tone");
    GPtrArray *subs = lkc_test_events_list(ev, "track_subscribed");
    char *sid = g_strdup(((lkc_test_event_t *)g_ptr_array_index(subs, 0))->b);
    g_ptr_array_unref(subs);
    lkc_audio_stream_options_t so;
    lkc_audio_stream_options_init(&so);
    lkc_audio_stream_t *st = NULL;
    CHECK_OK(lkc_audio_stream_create(r, sid, &so, &st));

    feeder_t f = {0};
    CHECK_OK(lkc_audio_source_create(48000, 1, 100, &f.src)); /* buffered: capture is paced by the media clock */
    lkc_audio_publish_options_t po;
    lkc_audio_publish_options_init(&po, f.src);
    po.dtx = false;
    lkc_track_t *t = NULL;
    CHECK_OK(lkc_room_publish_audio(r, f.src, &po, &t));
    pthread_t th;
    pthread_create(&th, NULL, feed, &f);

    lkc_test_heard_t h;
    CHECK(lkc_test_listen(st, 48000, 1, 0.5, 10000, &h) && fabs(h.freq_hz[0] - 440) <= 5,
          "before the fault lkc heard %.1f Hz", h.freq_hz[0]);
    send_numbered(r, 1, 20);

    /* the fault */
    CHECK_OK(lkc__room_simulate(r, LKC__SIMULATE_NODE_FAILURE));
    CHECK(lkc_test_events_wait(ev, "reconnecting", NULL, 1, 10000), "no reconnecting event");
    send_numbered(r, 21, 40); /* while away: kept, sent after the reconnect */
    CHECK(lkc_test_events_wait(ev, "reconnected", "full", 1, 20000), "no full reconnect");
    GPtrArray *rc = lkc_test_events_list(ev, "reconnected");
    fprintf(stderr, "reconnected (full) after %d ms\n", ((lkc_test_event_t *)g_ptr_array_index(rc, 0))->kind);
    g_ptr_array_unref(rc);
    CHECK_EQ_INT(lkc_room_state(r), LKC_STATE_CONNECTED);
    CHECK_EQ_INT(lkc_test_events_count(ev, "disconnected", NULL), 0);
    send_numbered(r, 41, 60);

    /* audio both ways again, on the same stream and the same source */
    CHECK(lkc_test_listen(st, 48000, 1, 0.5, 10000, &h) && fabs(h.freq_hz[0] - 440) <= 5,
          "after the reconnect lkc heard %.1f Hz on its old stream", h.freq_hz[0]);
    lkc_test_peer_cmd(py, "{\"cmd\":\"listen\",\"identity\":\"lkc-rc\",\"seconds\":1.0}");
    JsonObject *a = lkc_test_peer_wait(py, "audio", "identity", "lkc-rc", 1, 20000);
    CHECK(a && fabs(json_object_get_double_member(a, "peak_hz") - 660) <= 5,
          "after the reconnect the peer heard %.1f Hz from lkc", a ? json_object_get_double_member(a, "peak_hz") : 0);

    /* every numbered message arrived (a full reconnect can repeat one the server had, never lose one) */
    for (int i = 1; i <= 60; i++) {
        char want[32];
        snprintf(want, sizeof want, "lkc-%d", i);
        CHECK(lkc_test_peer_wait(py, "data", "payload", want, 1, 15000), "the peer never got %s", want);
    }

    /* a server-side ICE restart: answered, no reconnection */
    int before = lkc_test_events_count(ev, "reconnecting", NULL);
    CHECK_OK(lkc__room_simulate(r, LKC__SIMULATE_ICE_RESTART));
    CHECK(lkc_test_listen(st, 48000, 1, 0.5, 10000, &h) && fabs(h.freq_hz[0] - 440) <= 5,
          "after an ICE restart lkc heard %.1f Hz", h.freq_hz[0]);
    CHECK_EQ_INT(lkc_test_events_count(ev, "reconnecting", NULL), before);

    atomic_store(&f.stop, true);
    pthread_join(th, NULL);
    lkc_audio_stream_destroy(st);
    lkc_room_destroy(r);
    lkc_track_release(t);
    lkc_audio_source_destroy(f.src);
    lkc_test_peer_stop(py);
    lkc_test_events_free(ev);
    g_free(sid);
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    RUN(node_failure_then_full_reconnect);
    return 0;
}
