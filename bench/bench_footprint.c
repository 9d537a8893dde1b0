/* bench_footprint: one participant that stays in a room, for memory measurements.
 *
 *   bench_footprint --room R --identity I --mode idle|audio
 *
 * idle:  joined (both peer connections and data channels up), nothing published.
 * audio: also publishes a 48 kHz mono tone (real-time 10 ms captures, real-time source)
 *        and reads the first remote audio track (10 ms lkc_audio_stream_read calls).
 * Prints {"ev":"ready","pid":..} once joined (and, with audio, once the first remote
 * frame was read); bench/run then waits and reads /proc/PID/smaps_rollup. The process
 * leaves when stdin closes.
 */
#include <stdatomic.h>

#include "bench_common.h"

typedef struct {
    lkc_audio_source_t *src;
    lkc_audio_stream_t *stream;
    atomic_bool stop;
    atomic_ulong frames_read;
    unsigned long capture_errors;
    lkc_track_t *track;
} app_t;

static void *capture_main(void *arg)
{
    app_t *app = arg;
    int16_t pcm[BENCH_CHUNK];
    bench_tone_t t;
    bench_tone_init(&t, 440.0, -10.0);
    bench_pacer_t pacer;
    bench_pacer_init(&pacer, 10000000);
    while (!atomic_load(&app->stop)) {
        bench_tone_fill(&t, pcm, BENCH_CHUNK);
        if (lkc_audio_source_capture(app->src, pcm, BENCH_CHUNK, 0) != LKC_OK)
            app->capture_errors++;
        bench_pacer_tick(&pacer);
    }
    return NULL;
}

static void *read_main(void *arg)
{
    app_t *app = arg;
    int16_t pcm[BENCH_CHUNK];
    while (!atomic_load(&app->stop)) {
        int n = lkc_audio_stream_read(app->stream, pcm, BENCH_CHUNK, 100);
        if (n > 0)
            atomic_fetch_add(&app->frames_read, 1);
        else if (n != LKC_ERR_TIMEOUT)
            break;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *room_name = bench_arg(argc, argv, "--room");
    const char *identity = bench_arg(argc, argv, "--identity");
    const char *mode = bench_arg_str(argc, argv, "--mode", "audio");
    if (!room_name || !identity)
        bench_die("usage: bench_footprint --room R --identity I --mode idle|audio");
    bool audio = strcmp(mode, "audio") == 0;

    static app_t app;
    lkc_room_t *room = bench_join(NULL, room_name, identity);
    pthread_t cap, rd;
    if (audio) {
        lkc_err_t rc = lkc_audio_source_create(BENCH_SR, 1, 0, &app.src);
        if (rc != LKC_OK)
            bench_die("lkc_audio_source_create: %s", lkc_err_str(rc));
        pthread_create(&cap, NULL, capture_main, &app);
        lkc_audio_publish_options_t po;
        lkc_audio_publish_options_init(&po, app.src);
        po.dtx = false; /* a steady tone would be suppressed by DTX: keep a continuous stream */
        rc = lkc_room_publish_audio(room, app.src, &po, &app.track);
        if (rc != LKC_OK)
            bench_die("lkc_room_publish_audio: %s", lkc_err_str(rc));
        char sid[64];
        if (!bench_find_audio_track(room, NULL, sid, sizeof sid, 30000))
            bench_die("no remote audio track to subscribe to");
        lkc_audio_stream_options_t so;
        lkc_audio_stream_options_init(&so);
        rc = LKC_ERR_NOT_FOUND;
        for (int i = 0; i < 200 && rc != LKC_OK; i++) {
            rc = lkc_audio_stream_create(room, sid, &so, &app.stream);
            if (rc != LKC_OK && rc != LKC_ERR_NOT_FOUND && rc != LKC_ERR_STATE)
                break;
            if (rc != LKC_OK)
                bench_sleep_ms(10);
        }
        if (rc != LKC_OK)
            bench_die("lkc_audio_stream_create: %s", lkc_err_str(rc));
        pthread_create(&rd, NULL, read_main, &app);
        int64_t deadline = bench_now_ns() + 20LL * 1000000000;
        while (atomic_load(&app.frames_read) == 0 && bench_now_ns() < deadline)
            bench_sleep_ms(10);
        if (atomic_load(&app.frames_read) == 0)
            bench_die("no audio arrived");
    }
    bench_emit("ready", "\"pid\":%d", (int)getpid());

    char line[256];
    while (fgets(line, sizeof line, stdin)) {
    }
    if (audio) {
        lkc_audio_stream_stats_t s = {0};
        lkc_audio_stream_get_stats(app.stream, &s);
        bench_emit("stats", "\"frames_read\":%lu,\"received\":%llu,\"lost\":%llu,\"concealed\":%llu,"
                            "\"capture_errors\":%lu",
                   (unsigned long)atomic_load(&app.frames_read), (unsigned long long)s.packets_received,
                   (unsigned long long)s.packets_lost, (unsigned long long)s.frames_concealed, app.capture_errors);
        atomic_store(&app.stop, true);
        pthread_join(cap, NULL);
    }
    lkc_room_destroy(room); /* ends the stream: the reader sees LKC_EOS */
    lkc_track_release(app.track);
    if (audio) {
        pthread_join(rd, NULL);
        lkc_audio_stream_destroy(app.stream);
        lkc_audio_source_destroy(app.src);
    }
    return 0;
}
