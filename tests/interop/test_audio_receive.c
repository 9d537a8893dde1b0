/* The official Python SDK publishes a 440 Hz sine; lkc AudioStreams (48 kHz mono, 16 kHz
 * mono, 48 kHz stereo) hear 440 Hz within 5 Hz and the level within 3 dB of what was
 * sent. Several streams read the one track at once. */
#include <math.h>

#include "audio_check.h"
#include "events.h"
#include "interop.h"
#include "peer.h"

static void check_heard(const char *what, lkc_audio_stream_t *s, int rate, int channels, double sent_dbfs)
{
    lkc_test_heard_t h;
    CHECK(lkc_test_listen(s, rate, channels, 1.0, 15000, &h), "%s: no usable audio", what);
    /* a sine's RMS is its peak minus 3.01 dB */
    for (int c = 0; c < channels; c++) {
        fprintf(stderr, "%s ch%d: %.1f Hz, %.1f dBFS\n", what, c, h.freq_hz[c], h.rms_dbfs[c]);
        CHECK(fabs(h.freq_hz[c] - 440.0) <= 5.0, "%s: heard %.1f Hz, sent 440 Hz", what, h.freq_hz[c]);
        CHECK(fabs(h.rms_dbfs[c] - (sent_dbfs - 3.01)) <= 3.0, "%s: level %.1f dBFS, sent %.1f dBFS RMS", what,
              h.rms_dbfs[c], sent_dbfs - 3.01);
    }
}

static void python_tone_heard_by_lkc(void)
{
    char *room = lkc_test_room_name("audio-rx");
    lkc_test_peer_t *py = lkc_test_peer_start(room, "py-tone", NULL);
    lkc_test_peer_cmd(py, "{\"cmd\":\"tone\",\"freq\":440,\"dbfs\":-10}");
    CHECK(lkc_test_peer_wait(py, "published", NULL, NULL, 1, 15000), "the peer did not publish");

    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *r = lkc_test_join(room, "lkc-ear", ev, NULL);
    CHECK(lkc_test_events_wait(ev, "track_subscribed", "py-tone", 1, 15000), "no track_subscribed for the tone");
    GPtrArray *subs = lkc_test_events_list(ev, "track_subscribed");
    const char *sid = ((lkc_test_event_t *)g_ptr_array_index(subs, 0))->b;

    lkc_audio_stream_options_t so;
    lkc_audio_stream_options_init(&so);
    lkc_audio_stream_t *s48 = NULL, *s16 = NULL, *st = NULL;
    CHECK_OK(lkc_audio_stream_create(r, sid, &so, &s48));
    so.sample_rate = 16000;
    CHECK_OK(lkc_audio_stream_create(r, sid, &so, &s16));
    so.sample_rate = 48000;
    so.channels = 2;
    CHECK_OK(lkc_audio_stream_create(r, sid, &so, &st));
    check_heard("48 kHz mono", s48, 48000, 1, -10);
    check_heard("16 kHz mono", s16, 16000, 1, -10);
    check_heard("48 kHz stereo", st, 48000, 2, -10);

    lkc_audio_stream_stats_t ss;
    CHECK_OK(lkc_audio_stream_get_stats(s48, &ss));
    fprintf(stderr, "stream stats: %llu packets, %llu lost, %llu late, %llu concealed, %llu underruns, "
                    "jitter target %d ms\n",
            (unsigned long long)ss.packets_received, (unsigned long long)ss.packets_lost,
            (unsigned long long)ss.packets_late, (unsigned long long)ss.frames_concealed,
            (unsigned long long)ss.underruns, ss.jitter_target_ms);
    CHECK(ss.packets_received > 50, "stats count %llu packets", (unsigned long long)ss.packets_received);
    CHECK(ss.jitter_target_ms <= 60, "jitter target %d ms on loopback", ss.jitter_target_ms);

    lkc_audio_stream_destroy(s48);
    lkc_audio_stream_destroy(s16);
    lkc_audio_stream_destroy(st);
    g_ptr_array_unref(subs);
    lkc_room_destroy(r);
    lkc_test_peer_stop(py);
    lkc_test_events_free(ev);
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    RUN(python_tone_heard_by_lkc);
    return 0;
}
