/* bench_load: N audio participants in one process (CPU per participant, and scale).
 *
 *   bench_load --n N [--warmup 5] [--windows 3] [--window-s 20] [--batch 10] [--queue-ms 0]
 *
 * N rooms join one LiveKit room with auto_subscribe off. Each publishes a 48 kHz mono
 * Opus track from a real-time source (one application thread captures 10 ms of tone for
 * every source every 10 ms) and subscribes to exactly one other track: participant i
 * takes participant (i+1) % N's track (lkc_room_set_subscribed + an AudioStream). One
 * reader thread drains every stream every 10 ms (lkc_audio_stream_read, timeout 0), as a
 * mixer would. With N = 1 the participant only publishes.
 *
 * After the warm-up, `windows` windows of `window-s` seconds each report the process's
 * CPU seconds (getrusage: every thread) and the readers' counters summed over all
 * streams (lkc_audio_stream_get_stats deltas) and the sources' (drops):
 *   {"ev":"window","n":..,"secs":..,"cpu_s":..,"recv":..,"lost":..,"late":..,
 *    "concealed":..,"underruns":..,"dropped_samples":..,"src_sent":..,"src_dropped":..,
 *    "src_would_block":..,"samples_read":..,"expected_samples":..,"loadavg":..}
 */
#include <stdatomic.h>

#include "bench_common.h"

typedef struct part {
    lkc_room_t *room;
    lkc_audio_source_t *src;
    lkc_track_t *track;
    lkc_audio_stream_t *stream;
    char identity[64];
    char sid[64];
} part_t;

static part_t *parts;
static int n_parts;
static atomic_bool stop_flag;
static atomic_ullong samples_read;
static atomic_ullong capture_fail;
static atomic_ulong pacer_restarts;

static void *capture_main(void *arg)
{
    (void)arg;
    int16_t pcm[BENCH_CHUNK];
    bench_tone_t t;
    bench_tone_init(&t, 440.0, -10.0);
    bench_pacer_t pacer;
    bench_pacer_init(&pacer, 10000000);
    while (!atomic_load(&stop_flag)) {
        bench_tone_fill(&t, pcm, BENCH_CHUNK); /* every participant says the same */
        for (int i = 0; i < n_parts; i++)
            if (parts[i].src && lkc_audio_source_capture(parts[i].src, pcm, BENCH_CHUNK, 0) != LKC_OK)
                atomic_fetch_add(&capture_fail, 1);
        bench_pacer_tick(&pacer);
        atomic_store(&pacer_restarts, pacer.restarts);
    }
    return NULL;
}

static void *read_main(void *arg)
{
    (void)arg;
    int16_t pcm[BENCH_CHUNK * 2];
    bench_pacer_t pacer;
    bench_pacer_init(&pacer, 10000000);
    while (!atomic_load(&stop_flag)) {
        unsigned long long got = 0;
        for (int i = 0; i < n_parts; i++) {
            if (!parts[i].stream)
                continue;
            for (;;) {
                int n = lkc_audio_stream_read(parts[i].stream, pcm, BENCH_CHUNK * 2, 0);
                if (n <= 0)
                    break;
                got += (unsigned long long)n;
            }
        }
        atomic_fetch_add(&samples_read, got);
        bench_pacer_tick(&pacer);
    }
    return NULL;
}

typedef struct totals {
    unsigned long long recv, lost, late, concealed, underruns, dropped_samples;
    unsigned long long src_sent, src_dropped, src_would_block;
} totals_t;

static void collect(totals_t *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < n_parts; i++) {
        if (parts[i].stream) {
            lkc_audio_stream_stats_t s;
            if (lkc_audio_stream_get_stats(parts[i].stream, &s) == LKC_OK) {
                t->recv += s.packets_received;
                t->lost += s.packets_lost;
                t->late += s.packets_late;
                t->concealed += s.frames_concealed;
                t->underruns += s.underruns;
                t->dropped_samples += s.samples_dropped;
            }
        }
        lkc_audio_source_stats_t ss;
        if (parts[i].src && lkc_audio_source_get_stats(parts[i].src, &ss) == LKC_OK) {
            t->src_sent += ss.frames_sent;
            t->src_dropped += ss.frames_dropped;
            t->src_would_block += ss.would_block;
        }
    }
}

static int count_threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    int n = -1;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    n_parts = bench_arg_int(argc, argv, "--n", 10);
    double warmup = bench_arg_double(argc, argv, "--warmup", 5);
    int windows = bench_arg_int(argc, argv, "--windows", 3);
    double window_s = bench_arg_double(argc, argv, "--window-s", 20);
    int batch = bench_arg_int(argc, argv, "--batch", 10);
    int queue_ms = bench_arg_int(argc, argv, "--queue-ms", 0);
    if (n_parts < 1 || batch < 1)
        bench_die("--n and --batch must be >= 1");
    int pid = (int)getpid();
    char room_name[64];
    snprintf(room_name, sizeof room_name, "load-lkc-%d", pid);
    parts = calloc((size_t)n_parts, sizeof *parts);
    int64_t t_setup = bench_now_ns();

    /* join, `batch` connects in flight at a time */
    lkc_room_options_t ro;
    lkc_room_options_init(&ro);
    ro.auto_subscribe = false;
    for (int s = 0; s < n_parts; s += batch) {
        int e = s + batch < n_parts ? s + batch : n_parts;
        for (int i = s; i < e; i++) {
            snprintf(parts[i].identity, sizeof parts[i].identity, "lkc-load-%d-%d", pid, i);
            if (lkc_room_create(&ro, &parts[i].room) != LKC_OK)
                bench_die("lkc_room_create");
            bench_connect_start(parts[i].room, room_name, parts[i].identity);
        }
        for (int i = s; i < e; i++)
            bench_wait_connected(parts[i].room, parts[i].identity, 60000);
    }
    double join_s = (double)(bench_now_ns() - t_setup) / 1e9;

    /* sources first (the capture thread feeds them from now on), then publish */
    for (int i = 0; i < n_parts; i++) {
        lkc_err_t rc = lkc_audio_source_create(BENCH_SR, 1, queue_ms, &parts[i].src);
        if (rc != LKC_OK)
            bench_die("lkc_audio_source_create: %s", lkc_err_str(rc));
    }
    pthread_t cap, rd;
    pthread_create(&cap, NULL, capture_main, NULL);
    for (int i = 0; i < n_parts; i++) {
        lkc_audio_publish_options_t po;
        lkc_audio_publish_options_init(&po, parts[i].src);
        po.dtx = false; /* a steady tone would be suppressed by DTX: keep a continuous stream */
        lkc_err_t rc = lkc_room_publish_audio(parts[i].room, parts[i].src, &po, &parts[i].track);
        if (rc != LKC_OK)
            bench_die("lkc_room_publish_audio(%d): %s", i, lkc_err_str(rc));
        if (lkc_track_get_sid(parts[i].track, parts[i].sid, sizeof parts[i].sid) != LKC_OK)
            bench_die("lkc_track_get_sid");
    }
    /* the ring of subscriptions */
    if (n_parts > 1) {
        lkc_audio_stream_options_t so;
        lkc_audio_stream_options_init(&so);
        so.sample_rate = BENCH_SR;
        so.channels = 1;
        for (int i = 0; i < n_parts; i++) {
            const char *sid = parts[(i + 1) % n_parts].sid;
            lkc_err_t rc = LKC_ERR_NOT_FOUND;
            for (int k = 0; k < 2000 && rc != LKC_OK; k++) { /* until room i knows the track */
                rc = lkc_room_set_subscribed(parts[i].room, sid, true);
                if (rc != LKC_OK && rc != LKC_ERR_NOT_FOUND && rc != LKC_ERR_STATE)
                    break;
                if (rc != LKC_OK)
                    bench_sleep_ms(10);
            }
            if (rc != LKC_OK)
                bench_die("lkc_room_set_subscribed(%d, %s): %s", i, sid, lkc_err_str(rc));
            rc = LKC_ERR_NOT_FOUND;
            for (int k = 0; k < 2000 && rc != LKC_OK; k++) {
                rc = lkc_audio_stream_create(parts[i].room, sid, &so, &parts[i].stream);
                if (rc != LKC_OK && rc != LKC_ERR_NOT_FOUND && rc != LKC_ERR_STATE)
                    break;
                if (rc != LKC_OK)
                    bench_sleep_ms(10);
            }
            if (rc != LKC_OK)
                bench_die("lkc_audio_stream_create(%d, %s): %s", i, sid, lkc_err_str(rc));
        }
    }
    pthread_create(&rd, NULL, read_main, NULL);
    bench_emit("ready", "\"n\":%d,\"setup_s\":%.3f,\"join_s\":%.3f,\"threads\":%d", n_parts,
               (double)(bench_now_ns() - t_setup) / 1e9, join_s, count_threads());

    bench_sleep_ms((int)(warmup * 1000));
    totals_t prev, cur;
    collect(&prev);
    double prev_cpu = bench_cpu_s();
    int64_t prev_t = bench_now_ns();
    unsigned long long prev_read = atomic_load(&samples_read);
    for (int w = 0; w < windows; w++) {
        bench_sleep_until(prev_t + (int64_t)(window_s * 1e9));
        collect(&cur);
        double cpu = bench_cpu_s();
        int64_t t = bench_now_ns();
        unsigned long long rdn = atomic_load(&samples_read);
        double secs = (double)(t - prev_t) / 1e9;
        double l1;
        bench_loadavg(&l1);
        int n_streams = n_parts > 1 ? n_parts : 0;
        bench_emit("window",
                   "\"w\":%d,\"n\":%d,\"secs\":%.3f,\"cpu_s\":%.3f,\"recv\":%llu,\"lost\":%llu,\"late\":%llu,"
                   "\"concealed\":%llu,\"underruns\":%llu,\"dropped_samples\":%llu,\"src_sent\":%llu,"
                   "\"src_dropped\":%llu,\"src_would_block\":%llu,\"samples_read\":%llu,\"expected_samples\":%.0f,"
                   "\"capture_fail\":%llu,\"pacer_restarts\":%lu,\"threads\":%d,\"loadavg\":%.2f",
                   w, n_parts, secs, cpu - prev_cpu, cur.recv - prev.recv, cur.lost - prev.lost, cur.late - prev.late,
                   cur.concealed - prev.concealed, cur.underruns - prev.underruns,
                   cur.dropped_samples - prev.dropped_samples, cur.src_sent - prev.src_sent,
                   cur.src_dropped - prev.src_dropped, cur.src_would_block - prev.src_would_block, rdn - prev_read,
                   secs * BENCH_SR * n_streams, (unsigned long long)atomic_load(&capture_fail), (unsigned long)atomic_load(&pacer_restarts),
                   count_threads(), l1);
        prev = cur;
        prev_cpu = cpu;
        prev_t = t;
        prev_read = rdn;
    }
    if (getenv("BENCH_DEBUG")) {
        for (int i = 0; i < n_parts; i++) {
            lkc_audio_stream_stats_t st;
            if (!parts[i].stream || lkc_audio_stream_get_stats(parts[i].stream, &st) != LKC_OK)
                continue;
            fprintf(stderr, "stream %d: recv %llu lost %llu late %llu concealed %llu underruns %llu jitter %d buf %d\n",
                    i, (unsigned long long)st.packets_received, (unsigned long long)st.packets_lost,
                    (unsigned long long)st.packets_late, (unsigned long long)st.frames_concealed,
                    (unsigned long long)st.underruns, st.jitter_target_ms, st.buffered_ms);
        }
    }
    atomic_store(&stop_flag, true);
    pthread_join(cap, NULL);
    pthread_join(rd, NULL);
    int64_t t_end = bench_now_ns();
    for (int i = 0; i < n_parts; i++) {
        lkc_room_destroy(parts[i].room);
        lkc_track_release(parts[i].track);
    }
    for (int i = 0; i < n_parts; i++) {
        lkc_audio_stream_destroy(parts[i].stream);
        lkc_audio_source_destroy(parts[i].src);
    }
    bench_emit("done", "\"teardown_s\":%.3f", (double)(bench_now_ns() - t_end) / 1e9);
    free(parts);
    return 0;
}
