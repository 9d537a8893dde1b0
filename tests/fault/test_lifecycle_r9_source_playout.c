/* R9 for lkc_audio_source_wait_for_playout: threads waiting for audio that nothing will
 * send (the source is not published) while another thread destroys the source. 1000
 * times: 4 waiters are certainly inside the wait (the queue's waiter count says so; no
 * sleeps), the main thread destroys, each returns LKC_ERR_CLOSED within 1 s, the last
 * to leave frees the source (ASan/LSan), the thread count is back at its baseline.
 * Half the iterations also have a capture blocked on the full queue at the same time:
 * both kinds of waiter on one source. */
#include <pthread.h>
#include <stdatomic.h>

#include "interop.h"
#include "room/audio_internal.h"

#define WAITERS 4
#define ITERATIONS 1000
#define PROMPT_US (1000 * 1000)

static int16_t pcm[4800 * 2];

typedef struct {
    lkc_audio_source_t *src;
    bool capture; /* a capture instead of a playout wait */
    int timeout_ms;
    int rc;
    gint64 returned_us;
    atomic_int *returned;
} caller_t;

static void *caller_thread(void *arg)
{
    caller_t *c = arg;
    c->rc = c->capture ? lkc_audio_source_capture(c->src, pcm, 4800, c->timeout_ms)
                       : lkc_audio_source_wait_for_playout(c->src, c->timeout_ms);
    c->returned_us = g_get_monotonic_time();
    atomic_fetch_add(c->returned, 1);
    return NULL;
}

static void blocked_playout_waits_return_closed_on_destroy(void)
{
    int base_threads = 0, base_fds = 0;
    gint64 slowest = 0, total = 0;
    int n_total = 0;
    for (int it = 0; it <= ITERATIONS; it++) {
        if (it == 1) { /* after a warm-up round: TSan starts a thread of its own with the first */
            g_usleep(100000);
            base_threads = lkc_test_thread_count();
            base_fds = lkc_test_fd_count();
        }
        lkc_audio_source_t *src = NULL;
        CHECK_OK(lkc_audio_source_create(48000, 1 + it % 2, 100, &src));
        /* 30 ms: a frame and a half; the playout wait pads the half and waits for both.
         * With a capture as well, fill the queue so that capture waits too. */
        bool with_capture = it % 2;
        CHECK_OK(lkc_audio_source_capture(src, pcm, with_capture ? 4800 : 1440, 0));
        int n = WAITERS + (with_capture ? 1 : 0);
        atomic_int returned = 0;
        caller_t c[WAITERS + 1];
        pthread_t th[WAITERS + 1];
        for (int i = 0; i < n; i++) {
            c[i] = (caller_t){.src = src, .capture = i == WAITERS, .timeout_ms = i % 2 ? 3000 : -1, .rc = 1,
                              .returned = &returned};
            CHECK(pthread_create(&th[i], NULL, caller_thread, &c[i]) == 0, "pthread_create");
        }
        gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
        while (lkc_capture_queue_waiters(src->queue) < n) {
            CHECK(g_get_monotonic_time() < deadline, "iteration %d: only %d of %d callers waiting after 5 s", it,
                  lkc_capture_queue_waiters(src->queue), n);
            g_usleep(50);
        }
        CHECK_EQ_INT(atomic_load(&returned), 0);
        gint64 t0 = g_get_monotonic_time();
        lkc_audio_source_destroy(src);
        deadline = t0 + 5 * G_USEC_PER_SEC;
        while (atomic_load(&returned) < n) {
            CHECK(g_get_monotonic_time() < deadline, "iteration %d: %d of %d callers still blocked 5 s after the "
                  "destroy", it, n - atomic_load(&returned), n);
            g_usleep(100);
        }
        for (int i = 0; i < n; i++) {
            pthread_join(th[i], NULL);
            CHECK(c[i].rc == LKC_ERR_CLOSED, "iteration %d: %s returned %s, expected LKC_ERR_CLOSED", it,
                  c[i].capture ? "capture" : "wait_for_playout", lkc_err_str(c[i].rc));
            gint64 took = c[i].returned_us - t0;
            CHECK(took < PROMPT_US, "iteration %d caller %d: returned %lld us after the destroy", it, i,
                  (long long)took);
            slowest = MAX(slowest, took);
            total += took;
            n_total++;
        }
    }
    lkc_test_check_baseline(base_threads, base_fds, "1000 destroys under waiting playouts");
    fprintf(stderr, "1 + %d iterations, %d callers: all LKC_ERR_CLOSED, mean %lld us, slowest %lld us after the "
            "destroy\n", ITERATIONS, n_total, (long long)(total / n_total), (long long)slowest);
}

int main(void)
{
    RUN(blocked_playout_waits_return_closed_on_destroy);
    return 0;
}
