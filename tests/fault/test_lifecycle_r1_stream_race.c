/* R1, the seed bug: an official SDK's AudioStream started its worker before a step that
 * could fail when the track vanished mid-setup, and left an orphan that crashed later.
 * Here the official Python SDK publishes and unpublishes tracks over and over while lkc
 * creates streams for them: 500 creations race the unpublish. Each creation either
 * fails cleanly (the track is gone) or gives a stream that ends (LKC_EOS); nothing is
 * left running: thread and fd counts return to the baseline, and no callback of a stream
 * runs after its destroy. */
#include <stdatomic.h>

#include "events.h"
#include "interop.h"
#include "peer.h"

static atomic_int late_calls;

typedef struct {
    atomic_bool destroyed;
} stream_probe_t;

static void on_frame(lkc_audio_stream_t *s, const int16_t *pcm, size_t n, void *user)
{
    stream_probe_t *p = user;
    if (atomic_load(&p->destroyed))
        atomic_fetch_add(&late_calls, 1);
}

static void on_end(lkc_audio_stream_t *s, void *user)
{
    on_frame(s, NULL, 0, user);
}

static void stream_creation_races_unpublish_500_times(void)
{
    char *room = lkc_test_room_name("stream-race");
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *r = lkc_test_join(room, "lkc-racer", ev, NULL);
    lkc_test_peer_t *py = lkc_test_peer_start(room, "py-flapper", NULL);
    CHECK(lkc_test_events_wait(ev, "participant_connected", "py-flapper", 1, 15000), "no peer");
    g_usleep(200000); /* settle the join's own work out of the baseline */
    int base_threads = lkc_test_thread_count(), base_fds = lkc_test_fd_count();

    /* Each round: the peer publishes a track and unpublishes it after a random 0..80 ms;
     * as soon as lkc sees the track it creates 5 streams for it (random gaps), racing
     * the unpublish. 100 rounds, 500 creations. */
    const int rounds = 100, per_track = 5;
    int created = 0, refused = 0, ended = 0, attempts = 0;
    stream_probe_t *probes = g_new0(stream_probe_t, rounds * per_track);
    int seen = 0, missed = 0;
    for (int k = 1; k <= rounds; k++) {
        lkc_test_peer_cmd(py, "{\"cmd\":\"publish_brief\",\"hold_ms\":%u}", g_random_int() % 80);
        CHECK(lkc_test_peer_wait(py, "flapped", NULL, NULL, k, 30000), "round %d: the peer did not publish", k);
        /* published and unpublished between two of the server's updates, lkc never sees
         * it; a round that creates against the last (gone) sid is still a race */
        if (!lkc_test_events_wait(ev, "track_published", "py-flapper", seen + 1, 5000))
            missed++;
        seen = lkc_test_events_count(ev, "track_published", "py-flapper");
        GPtrArray *pubs = lkc_test_events_list(ev, "track_published");
        char *sid = pubs->len ? g_strdup(((lkc_test_event_t *)g_ptr_array_index(pubs, pubs->len - 1))->b) : NULL;
        g_ptr_array_unref(pubs);
        CHECK(sid, "no track was ever seen");
        lkc_audio_stream_t *streams[5] = {0};
        stream_probe_t *sp[5] = {0};
        for (int i = 0; i < per_track; i++, attempts++) {
            lkc_audio_stream_options_t so;
            lkc_audio_stream_options_init(&so);
            if (i % 2) { /* half of them the push variant */
                so.on_frame = on_frame;
                so.on_end = on_end;
                so.user = sp[i] = &probes[attempts];
            }
            int rc = lkc_audio_stream_create(r, sid, &so, &streams[i]);
            if (rc == LKC_OK) {
                created++;
            } else {
                CHECK(rc == LKC_ERR_NOT_FOUND, "stream creation failed with %s", lkc_err_str(rc));
                CHECK(streams[i] == NULL, "a failed creation returned a stream");
                refused++;
            }
            g_usleep(g_random_int() % 15000);
        }
        /* every stream that was made ends once its track is unpublished */
        for (int i = 0; i < per_track; i++) {
            if (!streams[i])
                continue;
            lkc_audio_stream_stats_t st;
            for (int w = 0; w < 1000; w++) {
                if (i % 2 == 0) {
                    int16_t buf[480];
                    int n = lkc_audio_stream_read(streams[i], buf, 480, 20);
                    if (n == LKC_EOS)
                        break;
                } else {
                    CHECK_OK(lkc_audio_stream_get_stats(streams[i], &st));
                    if (st.ended)
                        break;
                    g_usleep(20000);
                }
            }
            CHECK_OK(lkc_audio_stream_get_stats(streams[i], &st));
            CHECK(st.ended, "a stream of unpublished track %s did not end", sid);
            ended++;
            /* a callback may still be running (the end is visible in the stats a moment
             * before on_end returns); destroy waits for it, and nothing may come after */
            lkc_audio_stream_destroy(streams[i]);
            if (sp[i])
                atomic_store(&sp[i]->destroyed, true);
        }
        g_free(sid);
        lkc_test_check_baseline(base_threads, base_fds, "a stream race");
    }
    fprintf(stderr, "%d creations: %d streams made (all ended), %d refused because the track was gone; "
                    "%d of %d publications too brief for lkc to see\n", attempts, created, refused, missed, rounds);
    CHECK_EQ_INT(attempts, 500);
    CHECK(created > 0 && refused > 0, "the race never went both ways");
    CHECK_EQ_INT(ended, created);
    CHECK_EQ_INT(atomic_load(&late_calls), 0);
    lkc_test_peer_stop(py);
    lkc_room_destroy(r);
    lkc_test_events_free(ev);
    g_free(probes);
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    RUN(stream_creation_races_unpublish_500_times);
    return 0;
}
