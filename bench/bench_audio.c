/* bench_audio: first audio and mouth-to-ear latency.
 *
 *   bench_audio first [--reps 10] [--threshold 1000]
 *       In one process, per repetition: B joins a fresh room, A joins, A starts a 440 Hz
 *       tone (real-time 10 ms captures) and publishes it. Timed from the publish call to
 *       the first decoded frame at B's reader that carries the tone (peak >= threshold).
 *       Rep 0 warms the process up (bench/run drops it).
 *   bench_audio pub --room R --identity I [--clicks 50 --interval-ms 500 --lead-ms 2000]
 *                   [--tone] [--wait-for IDENTITY]
 *       Publishes 48 kHz mono, captured in real time in 10 ms chunks (as a microphone
 *       delivers them): silence with a click (5 ms, 1 kHz, -6 dBFS) at the start of every
 *       interval after the lead-in; prints each click's capture time. --tone: a steady
 *       tone until stdin closes (the peer of the footprint benchmark).
 *   bench_audio sub --room R --identity I --from PUB [--clicks 50] [--threshold 3000]
 *       Reads the publisher's track (lkc_audio_stream_read, 10 ms reads) and prints the
 *       time each click's onset is read.
 *
 * Mouth-to-ear = onset read time - click capture time (both CLOCK_MONOTONIC); bench/run
 * pairs them. DTX is off (the signal is mostly silence).
 */
#include <stdatomic.h>

#include "bench_common.h"

/* --- a real-time capture thread ------------------------------------------------------ */

typedef struct feeder {
    lkc_audio_source_t *src;
    pthread_t thread;
    atomic_bool stop;
    bool tone;          /* steady tone, else clicks */
    int clicks, interval_chunks, lead_chunks;
    long total_chunks;  /* clicks mode: stop after this many */
    unsigned long would_block, errors;
    bench_pacer_t pacer;
    atomic_bool finished;
} feeder_t;

static void *feeder_main(void *arg)
{
    feeder_t *f = arg;
    int16_t pcm[BENCH_CHUNK];
    int16_t click[BENCH_CHUNK];
    memset(click, 0, sizeof click);
    bench_tone_t t;
    bench_tone_init(&t, 1000.0, -6.0);
    bench_tone_fill(&t, click, BENCH_SR / 200); /* 5 ms burst, then silence */
    bench_tone_init(&t, 440.0, -10.0);
    bench_pacer_init(&f->pacer, 10000000);
    for (long k = 0; !atomic_load(&f->stop); k++) {
        bool is_click = false;
        if (f->tone) {
            bench_tone_fill(&t, pcm, BENCH_CHUNK);
        } else {
            long i = k - f->lead_chunks;
            is_click = i >= 0 && i % f->interval_chunks == 0 && i / f->interval_chunks < f->clicks;
            if (is_click)
                memcpy(pcm, click, sizeof pcm);
            else
                memset(pcm, 0, sizeof pcm);
            if (k >= f->total_chunks)
                break;
        }
        int64_t tc = bench_now_ns();
        lkc_err_t rc = lkc_audio_source_capture(f->src, pcm, BENCH_CHUNK, 0);
        if (rc == LKC_ERR_WOULD_BLOCK)
            f->would_block++;
        else if (rc != LKC_OK)
            f->errors++;
        if (is_click && rc == LKC_OK)
            bench_emit("click", "\"t_ns\":%lld,\"k\":%ld", (long long)tc, k);
        bench_pacer_tick(&f->pacer);
    }
    atomic_store(&f->finished, true);
    return NULL;
}

static void feeder_start(feeder_t *f)
{
    atomic_store(&f->stop, false);
    atomic_store(&f->finished, false);
    if (pthread_create(&f->thread, NULL, feeder_main, f) != 0)
        bench_die("pthread_create");
}

static void feeder_stop(feeder_t *f)
{
    atomic_store(&f->stop, true);
    pthread_join(f->thread, NULL);
}

static int source_queue_ms; /* --queue-ms: 0 (default) is lkc's real-time mode */

static lkc_audio_source_t *make_source(void)
{
    lkc_audio_source_t *src = NULL;
    /* real-time mode by default: capture never waits; a microphone cannot wait either */
    lkc_err_t rc = lkc_audio_source_create(BENCH_SR, 1, source_queue_ms, &src);
    if (rc != LKC_OK)
        bench_die("lkc_audio_source_create: %s", lkc_err_str(rc));
    return src;
}

static lkc_track_t *publish(lkc_room_t *room, lkc_audio_source_t *src, bool dtx)
{
    lkc_audio_publish_options_t po;
    lkc_audio_publish_options_init(&po, src);
    po.name = "bench";
    po.dtx = dtx;
    lkc_track_t *track = NULL;
    lkc_err_t rc = lkc_room_publish_audio(room, src, &po, &track);
    if (rc != LKC_OK)
        bench_die("lkc_room_publish_audio: %s", lkc_err_str(rc));
    return track;
}

static lkc_audio_stream_t *open_stream(lkc_room_t *room, const char *sid)
{
    lkc_audio_stream_options_t so;
    lkc_audio_stream_options_init(&so);
    so.sample_rate = BENCH_SR;
    so.channels = 1;
    lkc_audio_stream_t *st = NULL;
    /* the track may be listed a moment before lkc can attach to it: retry briefly */
    lkc_err_t rc = LKC_ERR_NOT_FOUND;
    for (int i = 0; i < 200; i++) {
        rc = lkc_audio_stream_create(room, sid, &so, &st);
        if (rc == LKC_OK)
            return st;
        if (rc != LKC_ERR_NOT_FOUND && rc != LKC_ERR_STATE)
            break;
        bench_sleep_ms(10);
    }
    bench_die("lkc_audio_stream_create(%s): %s", sid, lkc_err_str(rc));
    return NULL;
}

/* --- first audio ---------------------------------------------------------------------- */

static void first_once(int rep, int threshold)
{
    char room_name[96], ida[48], idb[48], sid[64];
    int pid = (int)getpid();
    snprintf(room_name, sizeof room_name, "first-lkc-%d-%d", pid, rep);
    snprintf(ida, sizeof ida, "lkc-first-a-%d", pid);
    snprintf(idb, sizeof idb, "lkc-first-b-%d", pid);
    lkc_room_t *b = bench_join(NULL, room_name, idb);
    lkc_room_t *a = bench_join(NULL, room_name, ida);
    int64_t t_a = bench_now_ns();
    if (!bench_wait_participant(b, ida, 10000))
        bench_die("B never saw A");
    double seen_ms = bench_ms(bench_now_ns() - t_a);

    feeder_t f = {.src = make_source(), .tone = true};
    int64_t t0 = bench_now_ns();
    feeder_start(&f);
    lkc_track_t *track = publish(a, f.src, true);
    int64_t t_pub = bench_now_ns();
    /* B: the track appears (auto-subscribe), then read until the tone is there */
    if (!bench_find_audio_track(b, ida, sid, sizeof sid, 10000))
        bench_die("B never saw A's track");
    int64_t t_seen = bench_now_ns();
    lkc_audio_stream_t *st = open_stream(b, sid);
    int64_t t_stream = bench_now_ns();
    int16_t pcm[BENCH_CHUNK * 2];
    int64_t t_first = -1, t_audible = -1, t_packet = -1;
    int64_t deadline = bench_now_ns() + 15LL * 1000000000;
    while (t_audible < 0 && bench_now_ns() < deadline) {
        int n = lkc_audio_stream_read(st, pcm, BENCH_CHUNK * 2, 2);
        if (t_packet < 0) { /* when the first RTP packet of the track reached B */
            lkc_audio_stream_stats_t ss;
            if (lkc_audio_stream_get_stats(st, &ss) == LKC_OK && ss.packets_received > 0)
                t_packet = bench_now_ns();
        }
        if (n == LKC_ERR_TIMEOUT)
            continue;
        if (n < 0)
            break;
        int64_t t = bench_now_ns();
        if (t_first < 0)
            t_first = t;
        if (bench_onset(pcm, (size_t)n, threshold) >= 0)
            t_audible = t;
    }
    if (t_audible > 0)
        bench_emit("first",
                   "\"rep\":%d,\"ms\":%.3f,\"publish_ms\":%.3f,\"track_seen_ms\":%.3f,\"stream_ms\":%.3f,"
                   "\"first_frame_ms\":%.3f,\"first_packet_ms\":%.3f,\"b_saw_a_after_join_ms\":%.1f",
                   rep, bench_ms(t_audible - t0), bench_ms(t_pub - t0), bench_ms(t_seen - t0),
                   bench_ms(t_stream - t0), bench_ms(t_first - t0), t_packet > 0 ? bench_ms(t_packet - t0) : -1.0, seen_ms);
    else
        bench_emit("first_fail", "\"rep\":%d", rep);
    feeder_stop(&f);
    lkc_audio_stream_destroy(st);
    lkc_room_destroy(a);
    lkc_track_release(track);
    lkc_room_destroy(b);
    lkc_audio_source_destroy(f.src);
}

static int cmd_first(int argc, char **argv)
{
    int reps = bench_arg_int(argc, argv, "--reps", 10);
    int threshold = bench_arg_int(argc, argv, "--threshold", 1000);
    for (int rep = 0; rep <= reps; rep++)
        first_once(rep, threshold);
    return 0;
}

/* --- publisher ----------------------------------------------------------------------- */

static bool stdin_closed_wait(void)
{
    char buf[256];
    while (fgets(buf, sizeof buf, stdin)) {
    }
    return true;
}

static int cmd_pub(int argc, char **argv)
{
    const char *room_name = bench_arg(argc, argv, "--room");
    const char *identity = bench_arg(argc, argv, "--identity");
    if (!room_name || !identity)
        bench_die("pub needs --room and --identity");
    feeder_t f = {
        .tone = bench_flag(argc, argv, "--tone"),
        .clicks = bench_arg_int(argc, argv, "--clicks", 50),
        .interval_chunks = bench_arg_int(argc, argv, "--interval-ms", 500) / 10,
        .lead_chunks = bench_arg_int(argc, argv, "--lead-ms", 2000) / 10,
    };
    f.total_chunks = f.lead_chunks + (long)f.interval_chunks * f.clicks + 50;
    lkc_room_t *room = bench_join(NULL, room_name, identity);
    bench_emit("ready", "\"pid\":%d", (int)getpid());
    const char *wait_for = bench_arg(argc, argv, "--wait-for");
    if (wait_for && *wait_for)
        bench_wait_participant(room, wait_for, 20000);
    f.src = make_source();
    int64_t t0 = bench_now_ns();
    feeder_start(&f);
    lkc_track_t *track = publish(room, f.src, false);
    bench_emit("published", "\"t_ns\":%lld,\"publish_ms\":%.3f", (long long)t0, bench_ms(bench_now_ns() - t0));
    if (f.tone) {
        stdin_closed_wait();
        feeder_stop(&f);
    } else {
        while (!atomic_load(&f.finished))
            bench_sleep_ms(20);
        pthread_join(f.thread, NULL);
        lkc_audio_source_wait_for_playout(f.src, 2000);
        bench_sleep_ms(500);
    }
    lkc_audio_source_stats_t ss = {0};
    lkc_audio_source_get_stats(f.src, &ss);
    bench_emit("source_stats",
               "\"captured\":%llu,\"sent\":%llu,\"dropped\":%llu,\"would_block\":%llu,\"capture_errors\":%lu,"
               "\"pacer_restarts\":%lu",
               (unsigned long long)ss.frames_captured, (unsigned long long)ss.frames_sent,
               (unsigned long long)ss.frames_dropped, (unsigned long long)ss.would_block, f.errors,
               f.pacer.restarts);
    lkc_room_destroy(room);
    lkc_track_release(track);
    lkc_audio_source_destroy(f.src);
    bench_emit("done", NULL);
    return 0;
}

/* --- subscriber ---------------------------------------------------------------------- */

static void emit_stream_stats(lkc_audio_stream_t *st)
{
    lkc_audio_stream_stats_t s;
    if (lkc_audio_stream_get_stats(st, &s) != LKC_OK)
        return;
    bench_emit("stream_stats",
               "\"received\":%llu,\"lost\":%llu,\"late\":%llu,\"concealed\":%llu,\"underruns\":%llu,"
               "\"dropped_samples\":%llu,\"jitter_target_ms\":%d,\"buffered_ms\":%d",
               (unsigned long long)s.packets_received, (unsigned long long)s.packets_lost,
               (unsigned long long)s.packets_late, (unsigned long long)s.frames_concealed,
               (unsigned long long)s.underruns, (unsigned long long)s.samples_dropped, s.jitter_target_ms,
               s.buffered_ms);
}

static int cmd_sub(int argc, char **argv)
{
    const char *room_name = bench_arg(argc, argv, "--room");
    const char *identity = bench_arg(argc, argv, "--identity");
    const char *from = bench_arg(argc, argv, "--from");
    int clicks = bench_arg_int(argc, argv, "--clicks", 50);
    int threshold = bench_arg_int(argc, argv, "--threshold", 3000);
    double timeout_s = bench_arg_double(argc, argv, "--timeout", 120);
    if (!room_name || !identity)
        bench_die("sub needs --room and --identity");
    lkc_room_t *room = bench_join(NULL, room_name, identity);
    bench_emit("ready", "\"pid\":%d", (int)getpid());
    char sid[64];
    if (!bench_find_audio_track(room, from, sid, sizeof sid, 30000))
        bench_die("no audio track from %s", from ? from : "anyone");
    lkc_audio_stream_t *st = open_stream(room, sid);
    bench_emit("subscribed", "\"t_ns\":%lld", (long long)bench_now_ns());
    int16_t pcm[BENCH_CHUNK];
    int onsets = 0;
    bool first = true;
    int64_t refractory_until = 0;
    int64_t deadline = bench_now_ns() + (int64_t)(timeout_s * 1e9);
    while (onsets < clicks && bench_now_ns() < deadline) {
        int n = lkc_audio_stream_read(st, pcm, BENCH_CHUNK, 100);
        if (n == LKC_ERR_TIMEOUT)
            continue;
        if (n < 0)
            break;
        int64_t t = bench_now_ns();
        if (first) {
            bench_emit("first_frame", "\"t_ns\":%lld", (long long)t);
            first = false;
        }
        if (t < refractory_until)
            continue;
        int k = bench_onset(pcm, (size_t)n, threshold);
        if (k >= 0) {
            bench_emit("onset", "\"t_ns\":%lld,\"sample\":%d,\"n\":%d", (long long)t, k, n);
            onsets++;
            refractory_until = t + 200000000;
        }
    }
    emit_stream_stats(st);
    lkc_audio_stream_destroy(st);
    lkc_room_destroy(room);
    bench_emit("done", "\"onsets\":%d", onsets);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        bench_die("usage: bench_audio first|pub|sub [options]");
    /* options come after the mode */
    source_queue_ms = bench_arg_int(argc, argv, "--queue-ms", 0);
    if (strcmp(argv[1], "first") == 0)
        return cmd_first(argc - 1, argv + 1);
    if (strcmp(argv[1], "pub") == 0)
        return cmd_pub(argc - 1, argv + 1);
    if (strcmp(argv[1], "sub") == 0)
        return cmd_sub(argc - 1, argv + 1);
    bench_die("unknown mode %s", argv[1]);
    return 2;
}
