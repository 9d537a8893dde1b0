/* lkc_audio_source_capture of any size, bug (e): a capture longer than the source's
 * queue used to be refused (LKC_ERR_INVALID_ARG) though the header says any size. Now,
 * buffered, it goes in piece by piece as the engine takes frames (here a thread that
 * pops the queue as the engine's sender would); real time, it never waits and keeps the
 * newest audio; without a consumer it is refused (nothing taken) or cut short (a prefix
 * taken) as documented. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "room/audio_internal.h"
#include "test.h"

static int16_t pcm[48000 * 2];

static int16_t ramp(size_t k, int c)
{
    return (int16_t)((k * 2 + (size_t)c) % 30011);
}

typedef struct {
    lkc_audio_source_t *src;
    int channels;
    atomic_int stop;
    size_t popped;
} engine_t;

/* Pops frames as soon as they complete (the sender paces, this need not) and checks
 * every sample is the next of the ramp. */
static void *engine(void *arg)
{
    engine_t *e = arg;
    int16_t out[960 * 2];
    size_t frame = lkc_capture_queue_frame_samples(e->src->queue);
    while (!atomic_load(&e->stop) || lkc_capture_queue_frames_ready(e->src->queue)) {
        if (lkc_capture_queue_pop_frame(e->src->queue, out) != 1) {
            sched_yield();
            continue;
        }
        for (size_t i = 0; i < frame; i++)
            for (int c = 0; c < e->channels; c++)
                CHECK(out[i * (size_t)e->channels + (size_t)c] == ramp(e->popped + i, c),
                      "sample %zu ch %d out of order", e->popped + i, c);
        e->popped += frame;
    }
    return NULL;
}

static void capture_longer_than_the_queue(void)
{
    for (int channels = 1; channels <= 2; channels++) {
        lkc_audio_source_t *src = NULL;
        CHECK_OK(lkc_audio_source_create(48000, channels, 40, &src)); /* 40 ms */
        for (size_t i = 0; i < 48000; i++)
            for (int c = 0; c < channels; c++)
                pcm[i * (size_t)channels + (size_t)c] = ramp(i, c);
        engine_t e = {.src = src, .channels = channels};
        pthread_t th;
        pthread_create(&th, NULL, engine, &e);
        CHECK_OK(lkc_audio_source_capture(src, pcm, 48000, 3000)); /* 1 s into 40 ms */
        CHECK_OK(lkc_audio_source_wait_for_playout(src, 5000));
        atomic_store(&e.stop, 1);
        pthread_join(th, NULL);
        CHECK_EQ_INT(e.popped, 48000);
        lkc_audio_source_stats_t st;
        CHECK_OK(lkc_audio_source_get_stats(src, &st));
        CHECK_EQ_INT(st.frames_captured, 50);
        CHECK_EQ_INT(st.would_block, 0);
        lkc_audio_source_destroy(src);
    }
}

static void real_time_any_size(void)
{
    lkc_audio_source_t *src = NULL;
    CHECK_OK(lkc_audio_source_create(48000, 1, 0, &src));
    CHECK_OK(lkc_audio_source_capture(src, pcm, 48000, 0)); /* 1 s at once: never waits */
    lkc_audio_source_stats_t st;
    CHECK_OK(lkc_audio_source_get_stats(src, &st));
    CHECK_EQ_INT(st.frames_captured, 50);
    CHECK_EQ_INT(st.frames_dropped, 48); /* the two newest frames stay */
    CHECK_EQ_INT(lkc_audio_source_queued_ms(src), 40);
    lkc_audio_source_destroy(src);
}

static void no_consumer_refused_or_cut_short(void)
{
    lkc_audio_source_t *src = NULL;
    CHECK_OK(lkc_audio_source_create(16000, 1, 20, &src)); /* 320 samples */
    CHECK_EQ_INT(lkc_audio_source_capture(src, pcm, 1600, 0), LKC_ERR_TIMEOUT); /* 20 of 100 ms taken */
    CHECK_EQ_INT(lkc_audio_source_queued_ms(src), 20);
    CHECK_EQ_INT(lkc_audio_source_capture(src, pcm, 1600, 50), LKC_ERR_WOULD_BLOCK); /* full: nothing */
    CHECK_EQ_INT(lkc_audio_source_capture(src, pcm, 160, 0), LKC_ERR_WOULD_BLOCK);
    lkc_audio_source_stats_t st;
    CHECK_OK(lkc_audio_source_get_stats(src, &st));
    CHECK_EQ_INT(st.would_block, 3);
    CHECK_EQ_INT(st.frames_captured, 1);
    lkc_audio_source_clear(src);
    CHECK_OK(lkc_audio_source_capture(src, pcm, 320, 0));
    CHECK_EQ_INT(lkc_audio_source_capture(src, NULL, 10, 0), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_audio_source_capture(NULL, pcm, 10, 0), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_audio_source_capture(src, NULL, 0, 0));
    lkc_audio_source_destroy(src);
    lkc_audio_source_destroy(NULL);
}

int main(void)
{
    RUN(capture_longer_than_the_queue);
    RUN(real_time_any_size);
    RUN(no_consumer_refused_or_cut_short);
    return 0;
}
