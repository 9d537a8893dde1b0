/* bench_data: reliable data packet throughput between two participants through the server.
 *
 *   bench_data [--sizes 1024,15360] [--count 2000] [--runs 3] [--bytes-per-run 0]
 *
 * Two rooms in this process join one LiveKit room (A sends, B receives). For each size,
 * `runs` times: A sends `count` reliable packets of that size (no topic, to everyone) as
 * fast as lkc_room_publish_data() accepts them; B's on_data_received counts them. The
 * time runs from the first send to the last packet received. Each call may wait for room
 * (timeout_ms -1: lkc's backpressure); a retry on LKC_ERR_WOULD_BLOCK is counted.
 * --bytes-per-run N caps count to N/size (so big packets send fewer).
 *
 * Output: {"ev":"data","size":..,"count":..,"received":..,"secs":..,"msgs_per_s":..,
 *          "mb_per_s":..,"out_of_order":..,"would_block":..}
 */
#include <stdatomic.h>

#include "bench_common.h"

typedef struct rx {
    atomic_ulong received;
    atomic_ulong bytes;
    atomic_ulong out_of_order;
    atomic_llong last_ns;
    uint32_t expect; /* next sequence number (engine thread only) */
} rx_t;

static void on_data(lkc_room_t *room, const lkc_data_packet_t *pkt, void *user)
{
    (void)room;
    rx_t *rx = user;
    uint32_t seq = 0;
    if (pkt->len >= 4)
        memcpy(&seq, pkt->payload, 4);
    if (seq != rx->expect)
        atomic_fetch_add(&rx->out_of_order, 1);
    rx->expect = seq + 1;
    atomic_fetch_add(&rx->bytes, pkt->len);
    atomic_store(&rx->last_ns, bench_now_ns());
    atomic_fetch_add(&rx->received, 1);
}

int main(int argc, char **argv)
{
    const char *sizes_arg = bench_arg_str(argc, argv, "--sizes", "1024,15360");
    int count_arg = bench_arg_int(argc, argv, "--count", 2000);
    int runs = bench_arg_int(argc, argv, "--runs", 3);
    long bytes_per_run = (long)bench_arg_double(argc, argv, "--bytes-per-run", 0);
    char room_name[96], ida[48], idb[48];
    snprintf(room_name, sizeof room_name, "data-lkc-%d", (int)getpid());
    snprintf(ida, sizeof ida, "lkc-data-a-%d", (int)getpid());
    snprintf(idb, sizeof idb, "lkc-data-b-%d", (int)getpid());

    static rx_t rx;
    lkc_room_options_t ob;
    lkc_room_options_init(&ob);
    ob.handlers.on_data_received = on_data;
    ob.user = &rx;
    lkc_room_t *b = bench_join(&ob, room_name, idb);
    lkc_room_t *a = bench_join(NULL, room_name, ida);
    if (!bench_wait_participant(a, idb, 10000) || !bench_wait_participant(b, ida, 10000))
        bench_die("the two participants did not see each other");
    size_t max = lkc_room_max_data_payload(a);
    bench_emit("info", "\"max_data_payload\":%zu", max);

    char *sizes = strdup(sizes_arg);
    for (char *tok = strtok(sizes, ","); tok; tok = strtok(NULL, ",")) {
        size_t size = (size_t)atol(tok);
        if (size < 4 || size > max) {
            bench_emit("data_skip", "\"size\":%zu,\"max\":%zu", size, max);
            continue;
        }
        int count = count_arg;
        if (bytes_per_run > 0 && (long)size * count > bytes_per_run)
            count = (int)(bytes_per_run / (long)size);
        if (count < 10)
            count = 10;
        uint8_t *payload = malloc(size);
        for (size_t i = 0; i < size; i++)
            payload[i] = (uint8_t)(i * 31 + 7);
        for (int r = 0; r < runs; r++) {
            atomic_store(&rx.received, 0);
            atomic_store(&rx.bytes, 0);
            atomic_store(&rx.out_of_order, 0);
            /* rx.expect is written on the engine thread: set it from the first packet */
            uint32_t base = (uint32_t)(r + 1) * 1000000u + (uint32_t)size;
            rx.expect = base; /* written before any packet of this run is sent */
            unsigned long would_block = 0;
            int64_t t0 = bench_now_ns();
            for (int i = 0; i < count; i++) {
                uint32_t seq = base + (uint32_t)i;
                memcpy(payload, &seq, 4);
                lkc_err_t rc;
                lkc_data_options_t wait = {.struct_size = sizeof(lkc_data_options_t), .timeout_ms = -1};
                while ((rc = lkc_room_publish_data(a, payload, size, &wait)) == LKC_ERR_WOULD_BLOCK) {
                    would_block++;
                    bench_sleep_ms(1);
                }
                if (rc != LKC_OK)
                    bench_die("lkc_room_publish_data: %s", lkc_err_str(rc));
            }
            int64_t t_sent = bench_now_ns();
            int64_t deadline = t_sent + 60LL * 1000000000;
            unsigned long last = 0;
            int64_t last_progress = bench_now_ns();
            while (atomic_load(&rx.received) < (unsigned long)count && bench_now_ns() < deadline) {
                bench_sleep_ms(2);
                unsigned long now_rx = atomic_load(&rx.received);
                if (now_rx != last) {
                    last = now_rx;
                    last_progress = bench_now_ns();
                } else if (bench_now_ns() - last_progress > 5LL * 1000000000) {
                    break; /* nothing more for 5 s: packets were lost */
                }
            }
            unsigned long got = atomic_load(&rx.received);
            double secs = (double)(atomic_load(&rx.last_ns) - t0) / 1e9;
            if (got == 0)
                secs = -1;
            bench_emit("data",
                       "\"size\":%zu,\"count\":%d,\"received\":%lu,\"secs\":%.6f,\"send_secs\":%.6f,"
                       "\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f,\"out_of_order\":%lu,\"would_block\":%lu",
                       size, count, got, secs, (double)(t_sent - t0) / 1e9, secs > 0 ? got / secs : 0.0,
                       secs > 0 ? (double)atomic_load(&rx.bytes) / secs / 1e6 : 0.0,
                       (unsigned long)atomic_load(&rx.out_of_order), would_block);
            bench_sleep_ms(200);
        }
        free(payload);
    }
    free(sizes);
    lkc_room_destroy(a);
    lkc_room_destroy(b);
    return 0;
}
