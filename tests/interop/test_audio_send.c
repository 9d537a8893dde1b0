/* lkc publishes tones from an AudioSource (16 kHz and 48 kHz mono, and 48 kHz stereo
 * with different tones left and right); the official Python SDK's AudioStream measures
 * the frequency and level. Mute and unmute are seen by the peer, and the server lists
 * lkc among the active speakers while it sends a loud tone. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "audio_check.h"
#include "events.h"
#include "interop.h"
#include "peer.h"
#include "twirp.h"

typedef struct {
    lkc_audio_source_t *src;
    int rate, channels;
    double left, right, dbfs;
    atomic_bool stop;
    pthread_t thread;
} feeder_t;

/* The application's capture thread: 20 ms frames, paced only by the source's
 * backpressure (capture waits while the queue is full). */
static void *feed(void *arg)
{
    feeder_t *f = arg;
    size_t frame = (size_t)f->rate / 50;
    int16_t *pcm = g_new0(int16_t, frame * (size_t)f->channels);
    uint64_t phase = 0;
    while (!atomic_load(&f->stop)) {
        lkc_test_sine(pcm, frame, f->channels, f->rate, f->left, f->right, f->dbfs, &phase);
        int rc = lkc_audio_source_capture(f->src, pcm, frame, 200);
        if (rc == LKC_ERR_CLOSED)
            break;
    }
    g_free(pcm);
    return NULL;
}

static void feeder_start(feeder_t *f, int rate, int channels, double left, double right, double dbfs)
{
    memset(f, 0, sizeof *f);
    f->rate = rate;
    f->channels = channels;
    f->left = left;
    f->right = right;
    f->dbfs = dbfs;
    CHECK_OK(lkc_audio_source_create(rate, channels, 200, &f->src));
    pthread_create(&f->thread, NULL, feed, f);
}

static void feeder_stop(feeder_t *f)
{
    atomic_store(&f->stop, true);
    pthread_join(f->thread, NULL);
    lkc_audio_source_destroy(f->src);
}

static JsonObject *listen(lkc_test_peer_t *py, const char *identity, int rate, int channels, int n)
{
    lkc_test_peer_cmd(py, "{\"cmd\":\"listen\",\"identity\":\"%s\",\"seconds\":1.0,\"sample_rate\":%d,"
                          "\"channels\":%d,\"timeout\":20}",
                      identity, rate, channels);
    JsonObject *a = lkc_test_peer_wait(py, "audio", "identity", identity, n, 30000);
    CHECK(a, "the Python peer heard nothing from %s (%d Hz, %d ch)", identity, rate, channels);
    return a;
}

static void check_channel(JsonObject *a, int ch, double freq, double dbfs, const char *what)
{
    JsonObject *c = json_array_get_object_element(json_object_get_array_member(a, "per_channel"), (guint)ch);
    double hz = json_object_get_double_member(c, "peak_hz"), lvl = json_object_get_double_member(c, "rms_dbfs");
    fprintf(stderr, "%s ch%d: the Python SDK heard %.1f Hz at %.1f dBFS\n", what, ch, hz, lvl);
    CHECK(fabs(hz - freq) <= 5.0, "%s: heard %.1f Hz, sent %.1f", what, hz, freq);
    CHECK(fabs(lvl - (dbfs - 3.01)) <= 3.0, "%s: level %.1f dBFS, sent %.1f dBFS RMS", what, lvl, dbfs - 3.01);
}

static void publish_at(int rate, int channels, double left, double right, int n)
{
    char *room = lkc_test_room_name("audio-tx");
    lkc_test_peer_t *py = lkc_test_peer_start(room, "py-ear", NULL);
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *r = lkc_test_join(room, "lkc-mouth", ev, NULL);
    feeder_t f;
    feeder_start(&f, rate, channels, left, right, -10);
    lkc_audio_publish_options_t po;
    lkc_audio_publish_options_init(&po, f.src);
    lkc_track_t *t = NULL;
    CHECK_OK(lkc_room_publish_audio(r, f.src, &po, &t));
    char sid[64];
    CHECK_OK(lkc_track_get_sid(t, sid, sizeof sid));
    CHECK(g_str_has_prefix(sid, "TR_"), "track sid %s", sid);
    JsonObject *a = listen(py, "lkc-mouth", 48000, channels, 1);
    char what[64];
    snprintf(what, sizeof what, "%d Hz %s source", rate, channels == 2 ? "stereo" : "mono");
    check_channel(a, 0, left, -10, what);
    if (channels == 2)
        check_channel(a, 1, right, -10, what);

    /* the server sees the track as we published it */
    GPtrArray *ps = lkc_test_list_participants(room);
    JsonObject *me = lkc_test_find_participant(ps, "lkc-mouth");
    CHECK(me, "the server does not list lkc-mouth");
    JsonArray *tracks = json_object_get_array_member(me, "tracks");
    CHECK(json_array_get_length(tracks) == 1, "the server lists %u tracks", json_array_get_length(tracks));
    JsonObject *tr = json_array_get_object_element(tracks, 0);
    CHECK_STR(json_object_get_string_member(tr, "sid"), sid);
    CHECK_STR(json_object_get_string_member(tr, "mime_type"), "audio/opus");
    CHECK_STR(json_object_get_string_member(tr, "source"), "MICROPHONE");
    g_ptr_array_unref(ps);

    CHECK_OK(lkc_room_unpublish(r, t));
    CHECK(lkc_test_peer_wait(py, "track_unsubscribed", "identity", "lkc-mouth", 1, 15000),
          "the peer did not see the track go after unpublish");
    feeder_stop(&f);
    lkc_room_destroy(r);
    lkc_test_peer_stop(py);
    lkc_test_events_free(ev);
    g_free(room);
    (void)n;
}

static void lkc_tone_heard_at_48k(void)
{
    publish_at(48000, 1, 660, 0, 1);
}

static void lkc_tone_heard_at_16k(void)
{
    publish_at(16000, 1, 660, 0, 1);
}

static void lkc_stereo_left_and_right(void)
{
    publish_at(48000, 2, 440, 880, 1);
}

static void mute_unmute_and_speaker(void)
{
    char *room = lkc_test_room_name("audio-mute");
    lkc_test_peer_t *py = lkc_test_peer_start(room, "py-ear", NULL);
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *r = lkc_test_join(room, "lkc-loud", ev, NULL);
    feeder_t f;
    feeder_start(&f, 48000, 1, 660, 0, -3);
    lkc_track_t *t = NULL;
    CHECK_OK(lkc_room_publish_audio(r, f.src, NULL, &t));
    listen(py, "lkc-loud", 48000, 1, 1);

    /* the server's speaker detection hears us (audio-level extension) */
    lkc_participant_info_t *me = NULL;
    CHECK_OK(lkc_room_get_local_participant(r, &me));
    CHECK(lkc_test_events_wait(ev, "speaker_active", me->sid, 1, 10000),
          "the server never listed lkc-loud (%s) as an active speaker", me->sid);

    CHECK_OK(lkc_track_mute(t));
    CHECK(lkc_test_peer_wait(py, "track_muted", "identity", "lkc-loud", 1, 10000), "the peer saw no track_muted");
    /* while muted, the peer hears silence: either its listen finds no sound at all, or
     * what it measures (after the tail of the tone) is silent */
    lkc_test_peer_cmd(py, "{\"cmd\":\"listen\",\"identity\":\"lkc-loud\",\"seconds\":0.5,\"timeout\":3}");
    JsonObject *quiet = NULL;
    for (int i = 0; i < 150 && !quiet; i++) {
        if (lkc_test_peer_wait(py, "error", "cmd", "listen", 1, 100))
            break;
        quiet = lkc_test_peer_wait(py, "audio", "identity", "lkc-loud", 2, 0);
    }
    if (quiet) {
        double lvl = json_object_get_double_member(quiet, "rms_dbfs");
        fprintf(stderr, "muted: the peer measured %.1f dBFS\n", lvl);
        CHECK(lvl < -50, "the peer heard %.1f dBFS from a muted track", lvl);
    }
    CHECK_OK(lkc_track_unmute(t));
    CHECK(lkc_test_peer_wait(py, "track_unmuted", "identity", "lkc-loud", 1, 10000), "the peer saw no track_unmuted");
    JsonObject *a = listen(py, "lkc-loud", 48000, 1, quiet ? 3 : 2);
    double hz = json_object_get_double_member(a, "peak_hz");
    CHECK(fabs(hz - 660) <= 5, "after unmute the peer heard %.1f Hz", hz);

    lkc_participant_info_free(me);
    feeder_stop(&f);
    lkc_room_destroy(r);
    /* the track handle outlives its room: its calls say so, and release frees it */
    CHECK_EQ_INT(lkc_track_mute(t), LKC_ERR_CLOSED);
    lkc_track_release(t);
    lkc_test_peer_stop(py);
    lkc_test_events_free(ev);
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    RUN(lkc_tone_heard_at_48k);
    RUN(lkc_tone_heard_at_16k);
    RUN(lkc_stereo_left_and_right);
    RUN(mute_unmute_and_speaker);
    return 0;
}
