/* R9 for lkc_audio_stream_read: threads blocked in read (no audio) while another thread
 * destroys the stream. Each read returns LKC_ERR_CLOSED within 1 s, the memory lives
 * until the last reader has left (ASan: no use after free of the ring's mutex; LSan at
 * exit: no leak), the thread count is back at its baseline.
 *
 * Two settings, 1000 iterations each:
 * - a stream no room feeds (lkc__audio_stream_new, what create builds before it registers
 *   it): the readers hold the last references, so the last reader to leave frees it —
 *   the case where a destroy that freed at once would pull the mutex from under them;
 * - real streams (lkc_audio_stream_create) of a remote track on the test server: a
 *   second lkc room publishes a source it never captures into, so the track exists and
 *   is subscribed but no audio ever comes, and readers stay blocked until the destroy.
 *   One pair of rooms for all 1000 streams (a join per iteration would be most of the
 *   time). The engine keeps a destroyed stream until the track delivers audio (here:
 *   never; see the report), so the ring is the smallest allowed (20 ms). */
#include <pthread.h>
#include <stdatomic.h>

#include "events.h"
#include "interop.h"
#include "room/audio_internal.h"

#define READERS 4
#define ITERATIONS 1000
#define PROMPT_US (1000 * 1000)

typedef struct {
    lkc_audio_stream_t *s;
    int timeout_ms;
    int rc;
    gint64 returned_us;
    atomic_int *returned;
} reader_t;

static void *reader_thread(void *arg)
{
    reader_t *r = arg;
    int16_t buf[960 * 2];
    r->rc = lkc_audio_stream_read(r->s, buf, 960, r->timeout_ms);
    r->returned_us = g_get_monotonic_time();
    atomic_fetch_add(r->returned, 1);
    return NULL;
}

typedef struct {
    gint64 slowest, total;
    int n;
} timing_t;

/* READERS threads block in read on `s`; the caller's thread destroys it; all return
 * LKC_ERR_CLOSED promptly. */
static void destroy_under_readers(lkc_audio_stream_t *s, int it, timing_t *tm)
{
    atomic_int returned = 0;
    reader_t r[READERS];
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++) {
        r[i] = (reader_t){.s = s, .timeout_ms = i % 2 ? 10000 : -1, .rc = 1, .returned = &returned};
        CHECK(pthread_create(&th[i], NULL, reader_thread, &r[i]) == 0, "pthread_create");
    }
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (lkc_pcm_ring_waiters(s->ring) < READERS) {
        CHECK(atomic_load(&returned) == 0, "iteration %d: a read returned before the destroy", it);
        CHECK(g_get_monotonic_time() < deadline, "iteration %d: only %d of %d reads waiting after 5 s", it,
              lkc_pcm_ring_waiters(s->ring), READERS);
        g_usleep(50);
    }
    gint64 t0 = g_get_monotonic_time();
    lkc_audio_stream_destroy(s);
    deadline = t0 + 5 * G_USEC_PER_SEC;
    while (atomic_load(&returned) < READERS) {
        CHECK(g_get_monotonic_time() < deadline, "iteration %d: %d of %d reads still blocked 5 s after the destroy",
              it, READERS - atomic_load(&returned), READERS);
        g_usleep(100);
    }
    for (int i = 0; i < READERS; i++) {
        pthread_join(th[i], NULL);
        CHECK(r[i].rc == LKC_ERR_CLOSED, "iteration %d reader %d: read returned %s, expected LKC_ERR_CLOSED", it, i,
              lkc_err_str(r[i].rc));
        gint64 took = r[i].returned_us - t0;
        CHECK(took < PROMPT_US, "iteration %d reader %d: returned %lld us after the destroy", it, i,
              (long long)took);
        tm->slowest = MAX(tm->slowest, took);
        tm->total += took;
        tm->n++;
    }
}

static void report(const char *what, const timing_t *tm, gint64 t_start)
{
    fprintf(stderr, "%s: %d (+ 1 warm-up) iterations x %d readers in %.1f s: all LKC_ERR_CLOSED, mean %lld us, slowest %lld us "
            "after the destroy\n", what, ITERATIONS, READERS, (double)(g_get_monotonic_time() - t_start) / 1e6,
            (long long)(tm->total / tm->n), (long long)tm->slowest);
}

static void readers_hold_the_last_references(void)
{
    int base_threads = 0, base_fds = 0;
    timing_t tm = {0};
    gint64 t_start = g_get_monotonic_time();
    for (int it = 0; it <= ITERATIONS; it++) {
        if (it == 1) { /* after a warm-up round: TSan starts a thread of its own with the first */
            g_usleep(100000);
            base_threads = lkc_test_thread_count();
            base_fds = lkc_test_fd_count();
        }
        lkc_audio_stream_options_t o;
        lkc_audio_stream_options_init(&o);
        o.channels = 1 + it % 2;
        o.sample_rate = it % 3 ? 48000 : 16000;
        lkc_audio_stream_t *s = NULL;
        CHECK_OK(lkc__audio_stream_new(&o, "TR_standalone", &s));
        destroy_under_readers(s, it, &tm);
    }
    lkc_test_check_baseline(base_threads, base_fds, "1000 destroys under blocked reads (no room)");
    report("no room", &tm, t_start);
}

static void real_streams_of_a_silent_track(void)
{
    char *room = lkc_test_room_name("r9-read");
    lkc_test_events_t *ev_pub = lkc_test_events_new(), *ev_sub = lkc_test_events_new();
    lkc_room_t *pub = lkc_test_join(room, "r9-silent", ev_pub, NULL);
    lkc_audio_source_t *src = NULL;
    CHECK_OK(lkc_audio_source_create(48000, 1, 100, &src)); /* never captured into */
    lkc_audio_publish_options_t po;
    lkc_audio_publish_options_init(&po, src);
    lkc_track_t *track = NULL;
    CHECK_OK(lkc_room_publish_audio(pub, src, &po, &track));
    lkc_room_t *sub = lkc_test_join(room, "r9-reader", ev_sub, NULL);
    CHECK(lkc_test_events_wait(ev_sub, "track_subscribed", "r9-silent", 1, 15000), "the silent track was not "
          "subscribed");
    GPtrArray *l = lkc_test_events_list(ev_sub, "track_subscribed");
    char sid[64];
    g_strlcpy(sid, ((lkc_test_event_t *)g_ptr_array_index(l, 0))->b, sizeof sid);
    g_ptr_array_unref(l);

    lkc_audio_stream_options_t o;
    lkc_audio_stream_options_init(&o);
    o.capacity_ms = 20;
    /* warm-up: the first stream of a track sets up what stays (the baseline excludes it) */
    lkc_audio_stream_t *s = NULL;
    CHECK_OK(lkc_audio_stream_create(sub, sid, &o, &s));
    lkc_audio_stream_destroy(s);
    g_usleep(200000);
    int base_threads = lkc_test_thread_count(), base_fds = lkc_test_fd_count();
    timing_t tm = {0};
    gint64 t_start = g_get_monotonic_time();
    for (int it = 0; it < ITERATIONS; it++) {
        s = NULL;
        CHECK_OK(lkc_audio_stream_create(sub, sid, &o, &s));
        destroy_under_readers(s, it, &tm);
    }
    lkc_test_check_baseline(base_threads, base_fds, "1000 destroys under blocked reads (real streams)");
    report("real streams", &tm, t_start);
    lkc_room_destroy(sub);
    lkc_room_destroy(pub);
    lkc_track_release(track); /* the handle outlives the room; it holds the source */
    lkc_audio_source_destroy(src);
    lkc_test_events_free(ev_sub);
    lkc_test_events_free(ev_pub);
    g_free(room);
}

int main(void)
{
    RUN(readers_hold_the_last_references);
    RUN(real_streams_of_a_silent_track);
    return 0;
}
