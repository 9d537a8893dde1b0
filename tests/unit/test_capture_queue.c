/* media/capture_queue: re-framing, backpressure, real-time drops, clear, wait_empty,
 * close, and concurrent producers against a paced consumer. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "base/clock.h"
#include "lkc/error.h"
#include "media/capture_queue.h"
#include "test.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls `flag` until it is set or 5 s pass; returns whether it was set. */
static bool wait_flag(atomic_int *flag)
{
    for (int i = 0; i < 5000 && !atomic_load(flag); i++)
        sleep_ms(1);
    return atomic_load(flag) != 0;
}

/* A ramp: sample k of channel c is (k * 2 + c) mod 30011, unique over long spans. */
static int16_t ramp(uint64_t k, int c)
{
    return (int16_t)((k * 2 + (uint64_t)c) % 30011);
}

static void fill_ramp(int16_t *p, uint64_t from, size_t n, int channels)
{
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < channels; c++)
            p[i * (size_t)channels + (size_t)c] = ramp(from + i, c);
}

static void check_ramp(const int16_t *p, uint64_t from, size_t n, int channels, const char *what)
{
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < channels; c++)
            CHECK(p[i * (size_t)channels + (size_t)c] == ramp(from + i, c),
                  "%s: sample %llu ch %d is %d, expected %d (stream position %llu)", what,
                  (unsigned long long)i, c, p[i * (size_t)channels + (size_t)c],
                  ramp(from + i, c), (unsigned long long)(from + i));
}

static int16_t big[48000 * 2 * 4];

static void odd_sizes_reframed_exactly(void)
{
    static const size_t sizes[] = {1, 441, 7, 960, 13, 2, 882, 1000, 3, 4410, 881, 883};
    lkc_capture_queue_t *q;
    CHECK_OK(lkc_capture_queue_create(&q, 44100, 2, 1000));
    size_t frame = lkc_capture_queue_frame_samples(q);
    CHECK_EQ_INT(frame, 882);
    int16_t out[882 * 2];
    uint64_t pushed = 0, popped = 0;
    for (int round = 0; round < 300; round++) {
        size_t n = sizes[(size_t)round % (sizeof sizes / sizeof sizes[0])];
        fill_ramp(big, pushed, n, 2);
        CHECK_OK(lkc_capture_queue_push(q, big, n, 0));
        pushed += n;
        /* Pop on some rounds only, so whole frames accumulate too. */
        while (round % 3 != 1 && lkc_capture_queue_pop_frame(q, out) == 1) {
            check_ramp(out, popped, frame, 2, "re-framed");
            popped += frame;
        }
    }
    while (lkc_capture_queue_pop_frame(q, out) == 1) {
        check_ramp(out, popped, frame, 2, "re-framed tail");
        popped += frame;
    }
    CHECK(pushed - popped < frame, "pushed %llu popped %llu: a whole frame left behind",
          (unsigned long long)pushed, (unsigned long long)popped);
    CHECK_EQ_INT(lkc_capture_queue_queued_ms(q), (pushed - popped) * 1000 / 44100);

    /* flush completes the partial frame with silence after the real samples. */
    size_t partial = (size_t)(pushed - popped);
    CHECK(partial > 0, "test expects a trailing partial frame");
    CHECK_EQ_INT(lkc_capture_queue_flush(q), 1);
    CHECK_EQ_INT(lkc_capture_queue_flush(q), 0);
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
    check_ramp(out, popped, partial, 2, "flushed frame");
    for (size_t i = partial * 2; i < frame * 2; i++)
        CHECK(out[i] == 0, "padding sample %zu is %d", i, out[i]);
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 0);

    lkc_capture_queue_stats_t st;
    lkc_capture_queue_stats(q, &st);
    CHECK_EQ_INT(st.samples_pushed, pushed);
    CHECK_EQ_INT(st.frames_popped, popped / frame + 1);
    CHECK_EQ_INT(st.frames_pushed, st.frames_popped);
    CHECK_EQ_INT(st.frames_padded, 1);
    CHECK_EQ_INT(st.frames_dropped, 0);
    lkc_capture_queue_free(q);
}

static void backpressure_takes_nothing(void)
{
    lkc_capture_queue_t *q;
    CHECK_OK(lkc_capture_queue_create(&q, 48000, 1, 100)); /* 5 frames */
    fill_ramp(big, 0, 4800, 1);
    CHECK_OK(lkc_capture_queue_push(q, big, 4000, 0));
    CHECK_EQ_INT(lkc_capture_queue_queued_ms(q), 83);
    /* 801 samples do not fit in the 800 left: refused whole, at once and after a wait. */
    int16_t other[1000];
    fill_ramp(other, 7777, 1000, 1);
    CHECK_EQ_INT(lkc_capture_queue_push(q, other, 801, 0), LKC_ERR_WOULD_BLOCK);
    int64_t t0 = lkc_mono_ms();
    CHECK_EQ_INT(lkc_capture_queue_push(q, other, 801, 150), LKC_ERR_WOULD_BLOCK);
    int64_t waited = lkc_mono_ms() - t0;
    CHECK(waited >= 140 && waited < 3000, "WOULD_BLOCK after %lld ms, timeout was 150",
          (long long)waited);
    /* (bigger than the whole queue: taken in pieces, see bigger_than_queue_in_pieces) */
    CHECK_EQ_INT(lkc_capture_queue_push(q, NULL, 10, 0), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_capture_queue_push(q, NULL, 0, 0));
    /* The rest fits exactly. */
    CHECK_OK(lkc_capture_queue_push(q, big + 4000, 800, 0));
    CHECK_EQ_INT(lkc_capture_queue_queued_ms(q), 100);

    int16_t out[960];
    for (int f = 0; f < 5; f++) {
        CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
        check_ramp(out, (uint64_t)f * 960, 960, 1, "after refused pushes");
    }
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 0);
    lkc_capture_queue_stats_t st;
    lkc_capture_queue_stats(q, &st);
    CHECK_EQ_INT(st.would_block, 2);
    CHECK_EQ_INT(st.samples_pushed, 4800);
    lkc_capture_queue_free(q);
}

/* The engine side: pops one frame per real 20 ms tick and checks the ramp. */
typedef struct {
    lkc_capture_queue_t *q;
    int channels;
    atomic_int stop;
    uint64_t popped; /* samples per channel */
    int ticks;
} consumer_t;

static void *paced_consumer(void *arg)
{
    consumer_t *c = arg;
    size_t frame = lkc_capture_queue_frame_samples(c->q);
    int16_t out[960 * 2];
    int64_t next = lkc_mono_us();
    while (!atomic_load(&c->stop)) {
        if (lkc_capture_queue_pop_frame(c->q, out) == 1) {
            check_ramp(out, c->popped, frame, c->channels, "paced consumer");
            c->popped += frame;
        }
        c->ticks++;
        next += 20000;
        int64_t now = lkc_mono_us();
        if (next > now)
            sleep_ms((int)((next - now) / 1000));
    }
    return NULL;
}

static void paced_consumer_unblocks_producer(void)
{
    lkc_capture_queue_t *q;
    CHECK_OK(lkc_capture_queue_create(&q, 16000, 2, 60)); /* 3 frames of 320 */
    consumer_t c = {.q = q, .channels = 2};
    pthread_t th;
    pthread_create(&th, NULL, paced_consumer, &c);
    /* 600 ms in 10 ms blocks through a 60 ms queue: the producer is paced by the pops. */
    int64_t t0 = lkc_mono_ms();
    int16_t block[160 * 2];
    for (uint64_t at = 0; at < 9600; at += 160) {
        fill_ramp(block, at, 160, 2);
        CHECK_OK(lkc_capture_queue_push(q, block, 160, 2000));
    }
    int64_t took = lkc_mono_ms() - t0;
    CHECK_OK(lkc_capture_queue_wait_empty(q, 5000));
    atomic_store(&c.stop, 1);
    pthread_join(th, NULL);
    CHECK_EQ_INT(c.popped, 9600);
    /* 600 ms of audio minus the 60 ms the queue absorbs, at one frame per 20 ms. */
    CHECK(took >= 450, "producer finished in %lld ms: it was not held back",
          (long long)took);
    lkc_capture_queue_stats_t st;
    lkc_capture_queue_stats(q, &st);
    CHECK_EQ_INT(st.would_block, 0);
    CHECK_EQ_INT(st.frames_popped, 30);
    lkc_capture_queue_free(q);
}

static void realtime_drops_oldest(void)
{
    lkc_capture_queue_t *q;
    CHECK_OK(lkc_capture_queue_create(&q, 8000, 1, 0)); /* frame = 160 */
    int16_t out[160];
    /* Three frames at once: the oldest goes, the two newest stay. */
    fill_ramp(big, 0, 480, 1);
    CHECK_OK(lkc_capture_queue_push(q, big, 480, 1000));
    CHECK_EQ_INT(lkc_capture_queue_queued_ms(q), 40);
    CHECK_EQ_INT(lkc_capture_queue_frames_ready(q), 2);
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
    check_ramp(out, 160, 160, 1, "second frame");
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
    check_ramp(out, 320, 160, 1, "newest frame");
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 0);

    /* 1.5 frames, then 2 more: 3.5 queued -> the oldest whole frame is dropped, the
     * next two and the half behind them stay, frame-aligned with the stream. */
    fill_ramp(big, 1000, 560, 1);
    CHECK_OK(lkc_capture_queue_push(q, big, 240, 0));
    CHECK_OK(lkc_capture_queue_push(q, big + 240, 320, 0));
    CHECK_EQ_INT(lkc_capture_queue_queued_ms(q), 50);
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
    check_ramp(out, 1160, 160, 1, "first kept frame");
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
    check_ramp(out, 1320, 160, 1, "second kept frame");
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 0);
    CHECK_EQ_INT(lkc_capture_queue_queued_ms(q), 10);

    /* A 4 s block never blocks; only the last two whole frames (+ partial) survive. */
    fill_ramp(big, 5000, 32000 + 80, 1);
    int64_t t0 = lkc_mono_ms();
    CHECK_OK(lkc_capture_queue_push(q, big, 32000 + 80, 5000));
    CHECK(lkc_mono_ms() - t0 < 2000, "real-time push waited");
    /* Queue had 80 (the half frame above) + 32080 = 32160 = 201 frames: 199 dropped. */
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
    check_ramp(out, 5000 + 32080 - 320, 160, 1, "next to last frame of the block");
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
    check_ramp(out, 5000 + 32080 - 160, 160, 1, "last frame of the block");
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 0);

    lkc_capture_queue_stats_t st;
    lkc_capture_queue_stats(q, &st);
    CHECK_EQ_INT(st.frames_dropped, 1 + 1 + 199);
    CHECK_EQ_INT(st.frames_popped, 6);
    CHECK_EQ_INT(st.would_block, 0);
    CHECK_EQ_INT(st.frames_pushed, 3 + 3 + 201);
    /* wait_empty counts dropped audio as gone: nothing is left but nothing partial. */
    CHECK_OK(lkc_capture_queue_wait_empty(q, 0));
    lkc_capture_queue_free(q);
}

static int listener_calls;

static void count_listener(void *user)
{
    CHECK(user == &listener_calls, "listener got the wrong user pointer");
    listener_calls++;
}

/* The listener hears of the first complete frame only (the consumer then pops until the
 * queue has none), of flushed frames, and nothing after it is removed. */
static void listener_on_first_frame(void)
{
    for (int queue_ms = 0; queue_ms <= 100; queue_ms += 100) {
        lkc_capture_queue_t *q;
        CHECK_OK(lkc_capture_queue_create(&q, 8000, 1, queue_ms));
        int16_t out[160];
        listener_calls = 0;
        lkc_capture_queue_set_listener(q, count_listener, &listener_calls);
        fill_ramp(big, 0, 400, 1);
        CHECK_OK(lkc_capture_queue_push(q, big, 100, 0)); /* partial: nothing to say */
        CHECK_EQ_INT(listener_calls, 0);
        CHECK_OK(lkc_capture_queue_push(q, big + 100, 100, 0)); /* the first frame completes */
        CHECK_EQ_INT(listener_calls, 1);
        CHECK_OK(lkc_capture_queue_push(q, big + 200, 160, 0)); /* a second one: already told */
        CHECK_EQ_INT(listener_calls, 1);
        CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
        CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
        CHECK_EQ_INT(lkc_capture_queue_frames_ready(q), 0);
        CHECK_EQ_INT(lkc_capture_queue_flush(q), 1); /* the 40-sample rest, padded */
        CHECK_EQ_INT(listener_calls, 2);
        CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
        lkc_capture_queue_set_listener(q, NULL, NULL);
        CHECK_OK(lkc_capture_queue_push(q, big, 320, 0));
        CHECK_EQ_INT(listener_calls, 2);
        lkc_capture_queue_free(q);
    }
}

typedef struct {
    lkc_capture_queue_t *q;
    const int16_t *pcm;
    size_t n;
    int timeout_ms;
    int rc;
    atomic_int done;
} pusher_t;

static void *push_thread(void *arg)
{
    pusher_t *p = arg;
    p->rc = lkc_capture_queue_push(p->q, p->pcm, p->n, p->timeout_ms);
    atomic_store(&p->done, 1);
    return NULL;
}

static void *wait_empty_thread(void *arg)
{
    pusher_t *p = arg;
    p->rc = lkc_capture_queue_wait_empty(p->q, p->timeout_ms);
    atomic_store(&p->done, 1);
    return NULL;
}

static void clear_and_wait_empty(void)
{
    lkc_capture_queue_t *q;
    CHECK_OK(lkc_capture_queue_create(&q, 48000, 1, 40));
    fill_ramp(big, 0, 2000, 1);
    CHECK_OK(lkc_capture_queue_push(q, big, 1920, 0));
    CHECK_EQ_INT(lkc_capture_queue_wait_empty(NULL, 0), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_capture_queue_wait_empty(q, 0), LKC_ERR_TIMEOUT);
    CHECK_EQ_INT(lkc_capture_queue_wait_empty(q, 30), LKC_ERR_TIMEOUT);

    /* A pusher blocked on a full queue is released by clear. */
    pusher_t p = {.q = q, .pcm = big, .n = 100, .timeout_ms = 5000};
    pthread_t th;
    pthread_create(&th, NULL, push_thread, &p);
    sleep_ms(30); /* not needed for correctness: lets the push reach its wait */
    lkc_capture_queue_clear(q);
    CHECK(wait_flag(&p.done), "pusher still blocked 5 s after clear");
    pthread_join(th, NULL);
    CHECK_OK(p.rc);
    CHECK_EQ_INT(lkc_capture_queue_queued_ms(q), 2); /* the 100 samples just pushed */
    int16_t out[960];
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 0);

    /* wait_empty sees a partial frame as not yet played: it needs a flush. */
    CHECK_EQ_INT(lkc_capture_queue_wait_empty(q, 20), LKC_ERR_TIMEOUT);
    CHECK_EQ_INT(lkc_capture_queue_flush(q), 1);
    pusher_t w = {.q = q, .timeout_ms = 5000};
    pthread_create(&th, NULL, wait_empty_thread, &w);
    sleep_ms(30);
    CHECK(!atomic_load(&w.done), "wait_empty returned with a frame still queued");
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
    check_ramp(out, 0, 100, 1, "frame after clear");
    CHECK(wait_flag(&w.done), "wait_empty not woken by the pop");
    pthread_join(th, NULL);
    CHECK_OK(w.rc);
    CHECK_OK(lkc_capture_queue_wait_empty(q, 0));

    /* clear also releases wait_empty (cleared audio is gone for good). */
    CHECK_OK(lkc_capture_queue_push(q, big, 960, 0));
    w = (pusher_t){.q = q, .timeout_ms = 5000};
    pthread_create(&th, NULL, wait_empty_thread, &w);
    sleep_ms(30);
    lkc_capture_queue_clear(q);
    CHECK(wait_flag(&w.done), "wait_empty not woken by clear");
    pthread_join(th, NULL);
    CHECK_OK(w.rc);
    lkc_capture_queue_stats_t st;
    lkc_capture_queue_stats(q, &st);
    CHECK_EQ_INT(st.samples_cleared, 1920 + 960);
    lkc_capture_queue_free(q);
}

static void close_wakes_everyone(void)
{
    lkc_capture_queue_t *q;
    CHECK_OK(lkc_capture_queue_create(&q, 48000, 1, 20));
    fill_ramp(big, 0, 960, 1);
    CHECK_OK(lkc_capture_queue_push(q, big, 960, 0));
    pusher_t p = {.q = q, .pcm = big, .n = 960, .timeout_ms = -1};
    pusher_t w = {.q = q, .timeout_ms = -1};
    pthread_t tp, tw;
    pthread_create(&tp, NULL, push_thread, &p);
    pthread_create(&tw, NULL, wait_empty_thread, &w);
    sleep_ms(30); /* not needed for correctness: lets both reach their waits */
    CHECK(!atomic_load(&p.done) && !atomic_load(&w.done), "a waiter returned early");
    lkc_capture_queue_close(q);
    CHECK(wait_flag(&p.done), "push (no timeout) not woken by close");
    CHECK(wait_flag(&w.done), "wait_empty (no timeout) not woken by close");
    pthread_join(tp, NULL);
    pthread_join(tw, NULL);
    CHECK_EQ_INT(p.rc, LKC_ERR_CLOSED);
    CHECK_EQ_INT(w.rc, LKC_ERR_CLOSED);
    lkc_capture_queue_close(q); /* idempotent */
    CHECK_EQ_INT(lkc_capture_queue_push(q, big, 10, 0), LKC_ERR_CLOSED);
    CHECK_EQ_INT(lkc_capture_queue_flush(q), LKC_ERR_CLOSED);
    CHECK_EQ_INT(lkc_capture_queue_wait_empty(q, 100), LKC_ERR_CLOSED);
    /* What was queued before close can still be drained. */
    int16_t out[960];
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
    check_ramp(out, 0, 960, 1, "drained after close");
    CHECK_OK(lkc_capture_queue_wait_empty(q, 0));
    lkc_capture_queue_free(q);
}

/* Several producers at once against a paced consumer: per-producer order intact, no
 * sample lost or duplicated. Sample value = producer * 8000 + its sample index % 8000. */
#define PRODUCERS 3
typedef struct {
    lkc_capture_queue_t *q;
    int id;
    size_t total;
} producer_t;

static void *producer(void *arg)
{
    producer_t *p = arg;
    int16_t block[700];
    size_t k = 0, sizes[] = {1, 77, 160, 333, 700, 12};
    for (int i = 0; k < p->total; i++) {
        size_t n = sizes[(size_t)i % 6];
        if (n > p->total - k)
            n = p->total - k;
        for (size_t j = 0; j < n; j++)
            block[j] = (int16_t)(p->id * 8000 + (int)((k + j) % 8000));
        int rc = lkc_capture_queue_push(p->q, block, n, 5000);
        CHECK(rc == 0, "producer %d push: %d", p->id, rc);
        k += n;
    }
    return NULL;
}

static void concurrent_producers(void)
{
    lkc_capture_queue_t *q;
    CHECK_OK(lkc_capture_queue_create(&q, 48000, 1, 100));
    pthread_t th[PRODUCERS];
    producer_t prod[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        prod[i] = (producer_t){.q = q, .id = i, .total = 20000};
        pthread_create(&th[i], NULL, producer, &prod[i]);
    }
    /* Consume as fast as frames come (no pacing), checking each producer's sequence. */
    size_t next[PRODUCERS] = {0}, got = 0, want = PRODUCERS * 20000;
    int16_t out[960];
    int64_t deadline = lkc_mono_ms() + 20000;
    while (got + 960 <= want && lkc_mono_ms() < deadline) {
        if (lkc_capture_queue_pop_frame(q, out) != 1) {
            sched_yield();
            continue;
        }
        for (int i = 0; i < 960; i++) {
            int id = out[i] / 8000;
            CHECK(id >= 0 && id < PRODUCERS, "sample %d is not from any producer", out[i]);
            CHECK(out[i] % 8000 == (int)(next[id] % 8000),
                  "producer %d: got index %d, expected %zu", id, out[i] % 8000, next[id] % 8000);
            next[id]++;
        }
        got += 960;
    }
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ_INT(got, want / 960 * 960);
    CHECK_EQ_INT(lkc_capture_queue_queued_ms(q), (want - got) * 1000 / 48000);
    lkc_capture_queue_free(q);
}

/* (e) A push larger than the whole queue goes in piece by piece as frames are popped:
 * - with a paced consumer (one frame per 20 ms) 500 ms go through a 100 ms queue, all
 *   within the call's one timeout; with a timeout shorter than that pace allows, the
 *   call returns at its deadline (LKC_ERR_TIMEOUT) with a prefix queued;
 * - the block stays contiguous: a small push from another thread waits until it is in;
 * - without a consumer: WOULD_BLOCK taking nothing when there is no room at all, and
 *   TIMEOUT with a whole prefix queued when the room runs out partway;
 * - close during a split push: LKC_ERR_CLOSED. */
static void bigger_than_queue_in_pieces(void)
{
    lkc_capture_queue_t *q;
    CHECK_OK(lkc_capture_queue_create(&q, 48000, 1, 100)); /* 4800 samples */
    consumer_t c = {.q = q, .channels = 1};
    pthread_t th;
    pthread_create(&th, NULL, paced_consumer, &c);
    fill_ramp(big, 0, 24000, 1);
    int64_t t0 = lkc_mono_ms();
    CHECK_OK(lkc_capture_queue_push(q, big, 24000, 5000)); /* 500 ms */
    int64_t took = lkc_mono_ms() - t0;
    CHECK(took >= 300 && took < 5000, "500 ms through a 100 ms queue took %lld ms", (long long)took);
    /* 1 s more with a 200 ms timeout: about 100 + 200 ms of it get in, then TIMEOUT at
     * the one deadline (not 200 ms after the last progress) */
    fill_ramp(big, 24000, 48000, 1);
    t0 = lkc_mono_ms();
    CHECK_EQ_INT(lkc_capture_queue_push(q, big, 48000, 200), LKC_ERR_TIMEOUT);
    took = lkc_mono_ms() - t0;
    CHECK(took >= 190 && took < 700, "the 200 ms deadline came after %lld ms", (long long)took);
    lkc_capture_queue_stats_t st;
    lkc_capture_queue_stats(q, &st);
    uint64_t prefix = st.samples_pushed - 24000;
    CHECK(prefix >= 4800 && prefix < 48000, "%llu samples of the 1 s block went in", (unsigned long long)prefix);
    CHECK_EQ_INT(prefix % 960, 0); /* room comes in whole frames: everything queued is whole frames */
    CHECK_OK(lkc_capture_queue_wait_empty(q, 5000));
    atomic_store(&c.stop, 1);
    pthread_join(th, NULL);
    CHECK_EQ_INT(c.popped, 24000 + prefix); /* in order: the consumer checked the ramp */
    lkc_capture_queue_stats(q, &st);
    CHECK_EQ_INT(st.would_block, 1);
    CHECK_EQ_INT(st.frames_pushed, 25 + prefix / 960);
    lkc_capture_queue_free(q);

    /* Contiguous: while a 200 ms block goes into a 40 ms queue, a 10 ms push from another
     * thread (marker samples -1) waits; it lands before or after the block, never inside. */
    CHECK_OK(lkc_capture_queue_create(&q, 48000, 1, 40));
    static int16_t marker[480], got[9600 + 480 + 960];
    for (int i = 0; i < 480; i++)
        marker[i] = -1;
    fill_ramp(big, 0, 9600, 1);
    pusher_t big_push = {.q = q, .pcm = big, .n = 9600, .timeout_ms = 5000};
    pusher_t small = {.q = q, .pcm = marker, .n = 480, .timeout_ms = 5000};
    pthread_t tb, ts;
    pthread_create(&tb, NULL, push_thread, &big_push);
    while (lkc_capture_queue_waiters(q) < 1) /* the block is in and waits for room */
        sched_yield();
    pthread_create(&ts, NULL, push_thread, &small);
    while (lkc_capture_queue_waiters(q) < 2) /* and so does the small push */
        sched_yield();
    size_t n = 0;
    int16_t out[960];
    int64_t deadline = lkc_mono_ms() + 10000;
    while (!(atomic_load(&big_push.done) && atomic_load(&small.done) && lkc_capture_queue_frames_ready(q) == 0)) {
        CHECK(lkc_mono_ms() < deadline, "the pushes did not finish");
        if (lkc_capture_queue_pop_frame(q, out) == 1) {
            memcpy(got + n, out, sizeof out);
            n += 960;
        } else {
            sched_yield();
        }
    }
    pthread_join(tb, NULL);
    pthread_join(ts, NULL);
    CHECK_OK(big_push.rc);
    CHECK_OK(small.rc);
    CHECK_EQ_INT(lkc_capture_queue_flush(q), 1); /* the marker's 480 are a partial frame at most */
    while (lkc_capture_queue_pop_frame(q, out) == 1) {
        memcpy(got + n, out, sizeof out);
        n += 960;
    }
    size_t at = 0;
    while (at < n && got[at] == -1)
        at++;
    CHECK(at == 0 || at == 480, "the small push went in %zu samples before the block", at);
    check_ramp(got + at, 0, 9600, 1, "the big block, contiguous");
    for (size_t i = at + 9600; at == 0 && i < at + 9600 + 480; i++)
        CHECK(got[i] == -1, "sample %zu after the block is %d, expected the marker", i, got[i]);
    lkc_capture_queue_free(q);

    /* No consumer. */
    CHECK_OK(lkc_capture_queue_create(&q, 48000, 1, 100));
    fill_ramp(big, 0, 14400, 1);
    CHECK_OK(lkc_capture_queue_push(q, big, 4000, 0));
    CHECK_EQ_INT(lkc_capture_queue_push(q, big + 4000, 9600, 0), LKC_ERR_TIMEOUT); /* 800 went in */
    CHECK_EQ_INT(lkc_capture_queue_queued_ms(q), 100);
    t0 = lkc_mono_ms();
    CHECK_EQ_INT(lkc_capture_queue_push(q, big, 9600, 150), LKC_ERR_WOULD_BLOCK); /* full: nothing */
    took = lkc_mono_ms() - t0;
    CHECK(took >= 140 && took < 3000, "WOULD_BLOCK after %lld ms, timeout was 150", (long long)took);
    for (int f = 0; f < 5; f++) {
        CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
        check_ramp(out, (uint64_t)f * 960, 960, 1, "prefix of the refused block");
    }
    t0 = lkc_mono_ms();
    CHECK_EQ_INT(lkc_capture_queue_push(q, big + 4800, 9600, 150), LKC_ERR_TIMEOUT); /* 4800 went in */
    took = lkc_mono_ms() - t0;
    CHECK(took >= 140 && took < 3000, "TIMEOUT after %lld ms, timeout was 150", (long long)took);
    for (int f = 5; f < 10; f++) {
        CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, out), 1);
        check_ramp(out, (uint64_t)f * 960, 960, 1, "queued prefix");
    }
    lkc_capture_queue_stats(q, &st);
    CHECK_EQ_INT(st.would_block, 3);
    CHECK_EQ_INT(st.samples_pushed, 4000 + 800 + 4800);

    /* close while a split push waits for room */
    CHECK_OK(lkc_capture_queue_push(q, big, 4800, 0));
    pusher_t p = {.q = q, .pcm = big, .n = 9600, .timeout_ms = -1};
    pthread_create(&th, NULL, push_thread, &p);
    while (lkc_capture_queue_waiters(q) < 1)
        sched_yield();
    lkc_capture_queue_close(q);
    pthread_join(th, NULL);
    CHECK_EQ_INT(p.rc, LKC_ERR_CLOSED);
    lkc_capture_queue_free(q);
}

static void bad_arguments(void)
{
    lkc_capture_queue_t *q = (lkc_capture_queue_t *)&q;
    CHECK_EQ_INT(lkc_capture_queue_create(&q, 11025, 1, 100), LKC_ERR_INVALID_ARG);
    CHECK(q == NULL, "failed create left *out set");
    CHECK_EQ_INT(lkc_capture_queue_create(&q, 7950, 1, 100), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_capture_queue_create(&q, 48050, 1, 100), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_capture_queue_create(&q, 48000, 3, 100), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_capture_queue_create(&q, 48000, 1, -1), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_capture_queue_create(&q, 48000, 1, LKC_CAPTURE_QUEUE_MAX_MS + 1),
                 LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_capture_queue_create(NULL, 48000, 1, 100), LKC_ERR_INVALID_ARG);
    /* 22050 Hz: 441-sample frames; a 10 ms queue still holds one whole frame. */
    CHECK_OK(lkc_capture_queue_create(&q, 22050, 1, 10));
    CHECK_EQ_INT(lkc_capture_queue_frame_samples(q), 441);
    CHECK_OK(lkc_capture_queue_push(q, big, 441, 0));
    CHECK_EQ_INT(lkc_capture_queue_push(q, big, 1, 0), LKC_ERR_WOULD_BLOCK);
    CHECK_EQ_INT(lkc_capture_queue_pop_frame(q, NULL), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_capture_queue_push(q, big, SIZE_MAX, 0), LKC_ERR_INVALID_ARG);
    lkc_capture_queue_free(q);
    lkc_capture_queue_free(NULL);
    lkc_capture_queue_close(NULL);
    lkc_capture_queue_clear(NULL);
    lkc_capture_queue_stats_t st;
    lkc_capture_queue_stats(NULL, &st);
    CHECK_EQ_INT(st.frames_pushed, 0);
}

int main(void)
{
    RUN(odd_sizes_reframed_exactly);
    RUN(backpressure_takes_nothing);
    RUN(paced_consumer_unblocks_producer);
    RUN(realtime_drops_oldest);
    RUN(listener_on_first_frame);
    RUN(clear_and_wait_empty);
    RUN(close_wakes_everyone);
    RUN(concurrent_producers);
    RUN(bigger_than_queue_in_pieces);
    RUN(bad_arguments);
    return 0;
}
