/* bench_join: join time and the connect timeline.
 *
 *   bench_join [--count 20] [--prefix join]
 *
 * Joins count+1 times, one after the other, each time with a fresh room handle into a
 * fresh room (the server creates it). The first join of the process is reported apart
 * ("cold": it pays for lkc's one-time setup such as the DTLS certificate). Each join is
 * timed from lkc_room_connect() to lkc_room_wait_connected() returning: lkc's CONNECTED
 * means the signal is joined, both peer connections are up (ICE + DTLS) and the data
 * channels are open, i.e. the participant can publish. lkc_room_get_timeline() gives the
 * phases. Then the room is destroyed (timed too) before the next join.
 *
 * Output (JSON lines): {"ev":"join","i":..,"cold":..,"ms":..,"destroy_ms":..,"timeline":{..}}
 */
#include "bench_common.h"

static void print_join(int i, bool cold, double ms, double destroy_ms, const lkc_timeline_t *t)
{
    bench_emit("join",
               "\"i\":%d,\"cold\":%s,\"ms\":%.3f,\"destroy_ms\":%.3f,\"timeline\":{"
               "\"signal_open\":%lld,\"join_received\":%lld,\"subscriber_ice\":%lld,\"subscriber_dtls\":%lld,"
               "\"subscriber_channels\":%lld,\"publisher_ice\":%lld,\"publisher_dtls\":%lld,"
               "\"publisher_channels\":%lld,\"connected\":%lld}",
               i, cold ? "true" : "false", ms, destroy_ms, (long long)t->signal_open_ms,
               (long long)t->join_received_ms, (long long)t->subscriber_ice_ms, (long long)t->subscriber_dtls_ms,
               (long long)t->subscriber_channels_ms, (long long)t->publisher_ice_ms, (long long)t->publisher_dtls_ms,
               (long long)t->publisher_channels_ms, (long long)t->connected_ms);
}

int main(int argc, char **argv)
{
    int count = bench_arg_int(argc, argv, "--count", 20);
    const char *prefix = bench_arg_str(argc, argv, "--prefix", "join");
    char room_name[128], identity[64];
    snprintf(identity, sizeof identity, "lkc-join-%d", (int)getpid());

    for (int i = 0; i <= count; i++) {
        snprintf(room_name, sizeof room_name, "%s-lkc-%d-%d", prefix, (int)getpid(), i);
        lkc_room_t *room = NULL;
        if (lkc_room_create(NULL, &room) != LKC_OK)
            bench_die("lkc_room_create failed");
        int64_t t0 = bench_now_ns();
        bench_connect_start(room, room_name, identity);
        bench_wait_connected(room, identity, 20000);
        int64_t t1 = bench_now_ns();
        lkc_timeline_t tl;
        memset(&tl, 0xff, sizeof tl); /* -1 everywhere if the call fails */
        lkc_room_get_timeline(room, &tl);
        int64_t t2 = bench_now_ns();
        lkc_room_destroy(room);
        int64_t t3 = bench_now_ns();
        print_join(i, i == 0, bench_ms(t1 - t0), bench_ms(t3 - t2), &tl);
    }
    return 0;
}
