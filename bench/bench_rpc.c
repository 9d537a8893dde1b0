/* bench_rpc: RPC round trip between two participants through the server.
 *
 *   bench_rpc [--count 500] [--size 16] [--warmup 20] [--random]
 *
 * Two rooms in this process join one LiveKit room: B registers "echo" (answers at once,
 * in its handler), A makes `count` sequential blocking calls of B's echo with a `size`
 * byte payload ("ppp...", or with --random letters that do not compress) (after `warmup`
 * calls not counted). Each call is timed around
 * lkc_rpc_call() (request, ack and response through the server; v2 text streams, since
 * lkc advertises client_protocol 2).
 *
 * Output: {"ev":"rpc","count":..,"ok":..,"size":..,"median_ms":..,"p95_ms":..,
 *          "min_ms":..,"max_ms":..,"mean_ms":..}
 */
#include "bench_common.h"

static void echo(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)user;
    lkc_rpc_respond(room, inv, req->payload);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int count = bench_arg_int(argc, argv, "--count", 500);
    int size = bench_arg_int(argc, argv, "--size", 16);
    int warmup = bench_arg_int(argc, argv, "--warmup", 20);
    if (count < 1 || size < 0 || warmup < 0)
        bench_die("bad arguments");
    char room_name[96], ida[48], idb[48];
    snprintf(room_name, sizeof room_name, "rpc-lkc-%d", (int)getpid());
    snprintf(ida, sizeof ida, "lkc-rpc-a-%d", (int)getpid());
    snprintf(idb, sizeof idb, "lkc-rpc-b-%d", (int)getpid());

    lkc_room_t *b = bench_join(NULL, room_name, idb);
    lkc_err_t rc = lkc_rpc_register(b, "echo", echo, NULL);
    if (rc != LKC_OK)
        bench_die("lkc_rpc_register: %s", lkc_err_str(rc));
    lkc_room_t *a = bench_join(NULL, room_name, ida);
    if (!bench_wait_participant(a, idb, 10000) || !bench_wait_participant(b, ida, 10000))
        bench_die("the two participants did not see each other");

    char *payload = malloc((size_t)size + 1);
    memset(payload, 'p', (size_t)size);
    if (bench_flag(argc, argv, "--random")) {
        uint32_t x = 2463534242u; /* xorshift: fixed, so runs compare */
        for (int i = 0; i < size; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            payload[i] = (char)('A' + x % 58); /* A..z and a few signs: ASCII, little redundancy */
        }
    }
    payload[size] = 0;
    double *ms = calloc((size_t)count, sizeof *ms);
    int ok = 0, n = 0;
    for (int i = 0; i < warmup + count; i++) {
        lkc_rpc_result_t *res = NULL;
        int64_t t0 = bench_now_ns();
        rc = lkc_rpc_call(a, idb, "echo", payload, NULL, &res);
        int64_t t1 = bench_now_ns();
        if (rc != LKC_OK)
            bench_die("lkc_rpc_call: %s", lkc_err_str(rc));
        bool good = res->error_code == 0 && res->payload_len == (size_t)size;
        if (!good)
            fprintf(stderr, "call %d: %u %s\n", i, res->error_code, res->error_message ? res->error_message : "");
        lkc_rpc_result_free(res);
        if (i < warmup)
            continue;
        ok += good;
        ms[n++] = bench_ms(t1 - t0);
    }
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += ms[i];
    int k95 = (int)(0.95 * n + 0.5) - 1;
    k95 = k95 < 0 ? 0 : (k95 >= n ? n - 1 : k95);
    bench_emit("rpc",
               "\"count\":%d,\"ok\":%d,\"size\":%d,\"median_ms\":%.3f,\"p95_ms\":%.3f,\"min_ms\":%.3f,"
               "\"max_ms\":%.3f,\"mean_ms\":%.3f",
               n, ok, size, n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2, ms[k95], ms[0], ms[n - 1],
               sum / n);
    free(ms);
    free(payload);
    lkc_room_destroy(a);
    lkc_room_destroy(b);
    return 0;
}
