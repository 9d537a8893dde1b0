/* bench_stream: data stream throughput between two participants through the server.
 *
 *   bench_stream [--mib 10] [--runs 3] [--mode send|writer] [--compress 0|1]
 *
 * Two rooms in this process join one LiveKit room (A sends, B receives). Each run, A
 * sends one byte stream of `mib` MiB of pseudo-random bytes on topic "bench":
 * lkc_stream_send_bytes (mode send; queued in parts, each waiting for room) or a writer
 * with 15000-byte writes (mode writer); B's push handler counts the bytes and checks an
 * FNV-1a hash of them. The time runs from the first call to B's on_close. compress 1 lets
 * lkc deflate (random bytes do not shrink: it then sends them plain, having tried).
 *
 * Output: {"ev":"stream","mode":..,"bytes":..,"received":..,"secs":..,"mb_per_s":..,
 *          "intact":true|false,"status":".."}
 */
#include <stdatomic.h>

#include "bench_common.h"
#include "lkc/stream.h"

typedef struct rx {
    atomic_ullong bytes;
    atomic_llong closed_ns;
    atomic_int closed;
    atomic_int status;
    uint64_t hash; /* engine thread only */
} rx_t;

static uint64_t fnv(uint64_t h, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ d[i]) * 1099511628211ull;
    return h;
}

static void on_open(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, void *user)
{
    ((rx_t *)user)->hash = 1469598103934665603ull;
}

static void on_chunk(lkc_room_t *room, lkc_stream_reader_t *r, const uint8_t *d, size_t n, void *user)
{
    rx_t *rx = user;
    rx->hash = fnv(rx->hash, d, n);
    atomic_fetch_add(&rx->bytes, n);
}

static void on_close(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, lkc_err_t st,
                     const char *reason, void *user)
{
    rx_t *rx = user;
    atomic_store(&rx->status, st);
    atomic_store(&rx->closed_ns, bench_now_ns());
    atomic_store(&rx->closed, 1);
}

int main(int argc, char **argv)
{
    double mib = bench_arg_double(argc, argv, "--mib", 10);
    int runs = bench_arg_int(argc, argv, "--runs", 3);
    const char *mode = bench_arg_str(argc, argv, "--mode", "send");
    bool compress = bench_arg_int(argc, argv, "--compress", 0) != 0;
    bool writer = strcmp(mode, "writer") == 0;
    char room_name[96], ida[48], idb[48];
    snprintf(room_name, sizeof room_name, "stream-lkc-%d", (int)getpid());
    snprintf(ida, sizeof ida, "lkc-stream-a-%d", (int)getpid());
    snprintf(idb, sizeof idb, "lkc-stream-b-%d", (int)getpid());

    static rx_t rx;
    static const lkc_stream_handlers_t h = {on_open, on_chunk, on_close};
    lkc_room_t *b = NULL;
    if (lkc_room_create(NULL, &b) != LKC_OK)
        bench_die("lkc_room_create");
    if (lkc_room_register_byte_stream_handler(b, "bench", &h, &rx) != LKC_OK)
        bench_die("register");
    bench_connect_start(b, room_name, idb);
    bench_wait_connected(b, idb, 20000);
    lkc_room_t *a = bench_join(NULL, room_name, ida);
    if (!bench_wait_participant(a, idb, 10000) || !bench_wait_participant(b, ida, 10000))
        bench_die("the two participants did not see each other");

    size_t total = (size_t)(mib * 1024 * 1024);
    uint8_t *data = malloc(total);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < total; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        data[i] = (uint8_t)x;
    }
    uint64_t want = fnv(1469598103934665603ull, data, total);
    lkc_stream_options_t o;
    lkc_stream_options_init(&o);
    o.topic = "bench";
    o.name = "bench.bin";
    o.compress = compress;
    for (int r = 0; r < runs; r++) {
        atomic_store(&rx.bytes, 0);
        atomic_store(&rx.closed, 0);
        int64_t t0 = bench_now_ns();
        lkc_err_t rc;
        if (writer) {
            lkc_stream_writer_t *w = NULL;
            o.has_total_length = true;
            o.total_length = total;
            if ((rc = lkc_stream_open_bytes(a, &o, &w)) != LKC_OK)
                bench_die("open: %s", lkc_err_str(rc));
            for (size_t off = 0; off < total; off += LKC_STREAM_CHUNK_SIZE)
                if ((rc = lkc_stream_write(w, data + off, (total - off < LKC_STREAM_CHUNK_SIZE ? total - off : LKC_STREAM_CHUNK_SIZE))) != LKC_OK)
                    bench_die("write: %s", lkc_err_str(rc));
            if ((rc = lkc_stream_close(w, NULL, 0)) != LKC_OK)
                bench_die("close: %s", lkc_err_str(rc));
        } else if ((rc = lkc_stream_send_bytes(a, data, total, &o, NULL)) != LKC_OK) {
            bench_die("send: %s", lkc_err_str(rc));
        }
        int64_t t_sent = bench_now_ns();
        int64_t deadline = t_sent + 120LL * 1000000000;
        while (!atomic_load(&rx.closed) && bench_now_ns() < deadline)
            bench_sleep_ms(2);
        bool closed = atomic_load(&rx.closed);
        double secs = closed ? (double)(atomic_load(&rx.closed_ns) - t0) / 1e9 : -1;
        unsigned long long got = atomic_load(&rx.bytes);
        bench_emit("stream",
                   "\"mode\":\"%s\",\"compress\":%s,\"bytes\":%zu,\"received\":%llu,\"secs\":%.6f,\"send_secs\":%.6f,"
                   "\"mb_per_s\":%.3f,\"intact\":%s,\"status\":\"%s\"",
                   mode, compress ? "true" : "false", total, got, secs, (double)(t_sent - t0) / 1e9,
                   secs > 0 ? got / secs / 1e6 : 0.0, closed && got == total && rx.hash == want ? "true" : "false",
                   closed ? lkc_err_str(atomic_load(&rx.status)) : "timeout");
        bench_sleep_ms(200);
    }
    free(data);
    lkc_room_destroy(a);
    lkc_room_destroy(b);
    return 0;
}
