/* The fault-test tools check themselves against a private livekit-server: two lkc rooms
 * and the official Python SDK exchange numbered reliable messages (seqcheck.h) and all
 * arrive, each once, in order, while no fault is applied; dropping the signal TCP port
 * (netfault.h) makes a TCP connect to it time out, and it answers again once unblocked;
 * dropping the RTC UDP port stops lkc's subscriber byte counter; afterwards no rule of
 * ours is left. Nothing here is about reconnection (the faults are short). */
#include <string.h>
#include <unistd.h>

#include "events.h"
#include "interop.h"
#include "netfault.h"
#include "peer.h"
#include "private_server.h"
#include "seqcheck.h"

#define N_MSGS 30
#define RATE 50
#define TOPIC "seq"

static lkc_test_private_server_t *srv;
static char *room_name;
static lkc_test_events_t *ev_a, *ev_b;
static lkc_test_seq_receiver_t *rx_a, *rx_b;
static lkc_room_t *alice, *bob;
static lkc_test_peer_t *py;

static gint64 ms_now(void)
{
    return g_get_monotonic_time() / 1000;
}

static void sleep_until(gint64 t_ms)
{
    for (gint64 left; (left = t_ms - ms_now()) > 0;)
        g_usleep((gulong)left * 1000);
}

static void setup(void)
{
    srv = lkc_test_private_server_start("netfault-selfcheck", "");
    lkc_test_netfault_setup_for(srv);
    char name[40];
    snprintf(name, sizeof name, "LKC_T%d", (int)getpid());
    CHECK_STR(lkc_test_netfault_chain(), name);
    CHECK_EQ_INT(lkc_test_netfault_count_chains(name, NULL), 1);

    room_name = lkc_test_room_name("netfault");
    ev_a = lkc_test_events_new();
    ev_b = lkc_test_events_new();
    rx_a = lkc_test_seq_receiver_new(TOPIC);
    rx_b = lkc_test_seq_receiver_new(TOPIC);
    lkc_test_seq_receiver_attach(rx_a, ev_a);
    lkc_test_seq_receiver_attach(rx_b, ev_b);
    alice = lkc_test_join_at(srv->url, room_name, "alice", ev_a, NULL);
    bob = lkc_test_join_at(srv->url, room_name, "bob", ev_b, NULL);
    py = lkc_test_peer_start_at(srv->url, room_name, "py", NULL);
    CHECK(lkc_test_events_wait(ev_a, "participant_connected", "py", 1, 10000), "alice did not see py");
    CHECK(lkc_test_events_wait(ev_b, "participant_connected", "py", 1, 10000), "bob did not see py");
    CHECK(lkc_test_events_wait(ev_a, "participant_connected", "bob", 1, 10000), "alice did not see bob");
    lkc_test_peer_cmd(py, "{\"cmd\":\"participants\"}");
    JsonObject *ps = lkc_test_peer_wait(py, "participants", NULL, NULL, 1, 10000);
    CHECK(ps && json_array_get_length(json_object_get_array_member(ps, "participants")) == 2,
          "py does not list alice and bob");
}

/* (d) 30 numbered messages each way, lkc -> lkc and lkc <-> Python, no fault. */
static void numbered_delivery_without_faults(void)
{
    gint64 t0 = ms_now();
    lkc_test_seq_sender_t *sa = lkc_test_seq_sender_start(alice, "lkc-a", TOPIC, RATE, N_MSGS);
    lkc_test_seq_sender_t *sb = lkc_test_seq_sender_start(bob, "lkc-b", TOPIC, RATE, N_MSGS);
    lkc_test_peer_send_numbered(py, "py", TOPIC, RATE, N_MSGS);
    CHECK(lkc_test_seq_sender_wait_sent(sa, N_MSGS, 10000), "alice's sender stalled");
    CHECK(lkc_test_seq_sender_wait_sent(sb, N_MSGS, 10000), "bob's sender stalled");
    JsonObject *done = lkc_test_peer_wait_numbered(py, "py", false, 10000);
    CHECK_EQ_INT(json_object_get_int_member(done, "sent"), N_MSGS);
    CHECK_EQ_INT(json_object_get_int_member(done, "raised"), 0);
    lkc_test_seq_sender_stats_t st;
    lkc_test_seq_sender_get_stats(sa, &st);
    CHECK(st.sent == N_MSGS && st.refused == 0, "alice: %s", lkc_test_seq_sender_describe(sa));
    lkc_test_seq_sender_get_stats(sb, &st);
    CHECK(st.sent == N_MSGS && st.refused == 0, "bob: %s", lkc_test_seq_sender_describe(sb));

    struct {
        lkc_test_seq_receiver_t *rx;
        const char *to, *from, *prefix;
    } want[] = {{rx_b, "bob", "alice", "lkc-a"},
                {rx_a, "alice", "bob", "lkc-b"},
                {rx_a, "alice", "py", "py"},
                {rx_b, "bob", "py", "py"}};
    char msg[512];
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        bool all = lkc_test_seq_receiver_wait(want[i].rx, want[i].from, want[i].prefix, N_MSGS, 10000);
        bool ok = lkc_test_seq_receiver_check(want[i].rx, want[i].from, want[i].prefix, N_MSGS, NULL, msg, sizeof msg);
        fprintf(stderr, "%s: %s\n", want[i].to, msg);
        CHECK(all && ok, "%s: %s", want[i].to, msg);
    }
    const char *lkc_prefixes[][2] = {{"lkc-a", "alice"}, {"lkc-b", "bob"}};
    for (size_t i = 0; i < G_N_ELEMENTS(lkc_prefixes); i++) {
        JsonObject *rep = NULL;
        bool ok = false;
        /* the report is a snapshot: ask again until everything is there (bounded) */
        for (gint64 until = ms_now() + 10000; !ok && ms_now() < until;) {
            rep = lkc_test_peer_seq_report(py, lkc_prefixes[i][0], lkc_prefixes[i][1], N_MSGS, 5000);
            ok = json_object_get_int_member(rep, "distinct") >= N_MSGS;
            if (!ok)
                g_usleep(50 * 1000);
        }
        ok = lkc_test_peer_seq_ok(rep, N_MSGS, msg, sizeof msg);
        fprintf(stderr, "py: %s\n", msg);
        CHECK(ok, "%s", msg);
    }
    lkc_test_seq_sender_free(sa);
    lkc_test_seq_sender_free(sb);
    fprintf(stderr, "numbered delivery checked in %lld ms\n", (long long)(ms_now() - t0));
}

/* (a) the signal TCP port dropped for 2 s: a connect times out meanwhile, works after. */
static void signal_port_block(void)
{
    lkc_test_probe_t p = lkc_test_http_probe(srv->http_port, 2000);
    CHECK(p == LKC_TEST_PROBE_OK, "before the block, GET / on the signal port: %s", lkc_test_probe_str(p));
    long long dropped0 = lkc_test_netfault_dropped();
    gint64 t0 = ms_now();
    lkc_test_netfault_signal_block();
    p = lkc_test_tcp_probe(srv->http_port, 700);
    CHECK(p == LKC_TEST_PROBE_TIMEOUT, "while blocked, a TCP connect to the signal port: %s, expected a timeout",
          lkc_test_probe_str(p));
    p = lkc_test_http_probe(srv->http_port, 700);
    CHECK(p == LKC_TEST_PROBE_TIMEOUT, "while blocked, GET /: %s, expected a timeout", lkc_test_probe_str(p));
    CHECK(lkc_test_private_server_answers(1) == false, "the server answered while blocked");
    sleep_until(t0 + 2000); /* the fault lasts 2 s */
    lkc_test_netfault_signal_unblock();
    gint64 t1 = ms_now();
    p = lkc_test_http_probe(srv->http_port, 2000);
    CHECK(p == LKC_TEST_PROBE_OK, "after unblocking, GET / on the signal port: %s", lkc_test_probe_str(p));
    long long dropped = lkc_test_netfault_dropped() - dropped0;
    fprintf(stderr, "signal port blocked %lld ms, %lld packets dropped; answered %lld ms after unblocking\n",
            (long long)(t1 - t0), dropped, (long long)(ms_now() - t1));
    CHECK(dropped >= 2, "only %lld packets dropped while blocked (the probes' SYNs at least)", dropped);
    fprintf(stderr, "after the signal block: alice %s, bob %s\n", lkc_state_str(lkc_room_state(alice)),
            lkc_state_str(lkc_room_state(bob)));
}

static uint64_t sub_bytes(lkc_room_t *r)
{
    lkc_pc_stats_t s;
    CHECK_OK(lkc_room_get_pc_stats(r, LKC_PC_SUBSCRIBER, &s));
    return s.bytes_received;
}

/* Waits (polling the counter, bounded) until alice's subscriber bytes_received grows. */
static bool sub_bytes_grow(int timeout_ms)
{
    uint64_t b0 = sub_bytes(alice);
    for (gint64 until = ms_now() + timeout_ms; ms_now() < until; g_usleep(20 * 1000))
        if (sub_bytes(alice) > b0)
            return true;
    return false;
}

/* (b) the RTC UDP port dropped for 1.5 s: lkc's subscriber PC receives nothing. */
static void udp_port_block(void)
{
    lkc_test_peer_send_numbered(py, "py-b", TOPIC, RATE, 0); /* steady traffic to alice */
    CHECK(sub_bytes_grow(5000), "alice's subscriber PC receives nothing before the block");
    long long dropped0 = lkc_test_netfault_dropped();
    gint64 t0 = ms_now();
    lkc_test_netfault_udp_block();
    sleep_until(t0 + 300); /* what was in flight (in lkc's queues) is counted */
    uint64_t b1 = sub_bytes(alice);
    sleep_until(t0 + 1500);
    uint64_t b2 = sub_bytes(alice);
    lkc_test_netfault_udp_unblock();
    gint64 t1 = ms_now();
    long long dropped = lkc_test_netfault_dropped() - dropped0;
    fprintf(stderr, "UDP blocked %lld ms: %lld packets dropped, alice's subscriber bytes %llu -> %llu\n",
            (long long)(t1 - t0), dropped, (unsigned long long)b1, (unsigned long long)b2);
    CHECK(b2 == b1, "alice received %llu bytes on the subscriber PC while its UDP port was blocked",
          (unsigned long long)(b2 - b1));
    CHECK(dropped > 10, "only %lld packets dropped while the UDP port was blocked (py sends 50/s)", dropped);
    bool resumed = sub_bytes_grow(5000);
    fprintf(stderr, "subscriber bytes %s after unblocking (%lld ms)\n", resumed ? "grow again" : "do NOT grow",
            (long long)(ms_now() - t1));
    CHECK(resumed, "nothing received within 5 s of unblocking the UDP port");
    JsonObject *done = lkc_test_peer_wait_numbered(py, "py-b", true, 10000);
    long long sent = json_object_get_int_member(done, "sent");
    /* information only (reliable delivery across faults is for the fault tests) */
    char msg[512];
    lkc_test_seq_receiver_wait(rx_a, "py", "py-b", sent, 5000);
    lkc_test_seq_receiver_check(rx_a, "py", "py-b", sent, NULL, msg, sizeof msg);
    fprintf(stderr, "across the UDP block, alice: %s\n", msg);
}

/* The receiver's verdict on a hand-made arrival order, and the sender's refusals on a
 * room that is not connected (numbers are not skipped). */
static void seqcheck_itself(void)
{
    lkc_test_seq_receiver_t *rx = lkc_test_seq_receiver_new("t");
    const char *arrivals[] = {"x-1", "x-2", "x-4", "x-3", "x-4", "x-6", "x-9", "noise", "x-0", "-5"};
    for (size_t i = 0; i < G_N_ELEMENTS(arrivals); i++)
        lkc_test_seq_receiver_feed(rx, "s", "t", arrivals[i], strlen(arrivals[i]));
    lkc_test_seq_receiver_feed(rx, "s", "other-topic", "x-5", 3);
    lkc_test_seq_result_t r;
    char msg[512];
    CHECK(!lkc_test_seq_receiver_check(rx, "s", "x", 8, &r, msg, sizeof msg), "a broken sequence passed: %s", msg);
    fprintf(stderr, "hand-made: %s\n", msg);
    CHECK(r.received == 7 && r.distinct == 6 && r.missing == 3 && r.duplicates == 1 && r.out_of_order == 1 &&
              r.unexpected == 1 && r.contiguous == 4 && r.first == 1 && r.last == 9,
          "counts: %s", msg);
    CHECK(strstr(msg, "missing 3 (5, 7, 8)") && strstr(msg, "duplicates 1 (4)"), "%s", msg);
    CHECK(lkc_test_seq_receiver_check(rx, "s", "x", 2, NULL, NULL, 0) == false, "x above 2 arrived");
    CHECK(!lkc_test_seq_receiver_wait(rx, "s", "x", 5, 50), "1..5 did not all arrive");
    CHECK(lkc_test_seq_receiver_wait(rx, "s", "x", 4, 50), "1..4 did arrive");
    lkc_test_seq_receiver_free(rx);

    lkc_room_options_t o;
    lkc_room_options_init(&o);
    lkc_room_t *idle = NULL;
    CHECK_OK(lkc_room_create(&o, &idle));
    lkc_test_seq_sender_t *s = lkc_test_seq_sender_start(idle, "idle", TOPIC, 100, 0);
    gint64 t0 = ms_now();
    lkc_test_seq_sender_stats_t st = {0};
    while (st.refused < 5 && ms_now() - t0 < 5000) {
        g_usleep(10 * 1000);
        lkc_test_seq_sender_get_stats(s, &st);
    }
    lkc_test_seq_sender_stop(s);
    lkc_test_seq_sender_get_stats(s, &st);
    char *d = lkc_test_seq_sender_describe(s);
    fprintf(stderr, "%s\n", d);
    CHECK(st.sent == 0 && st.refused >= 5 && st.refused == st.calls && st.refused_by_code[-LKC_ERR_STATE] == st.refused &&
              st.most_refusals_of_one == st.refused && !st.running,
          "%s", d);
    CHECK(strstr(d, "#1 refused"), "%s", d);
    g_free(d);
    lkc_test_seq_sender_free(s);
    lkc_room_destroy(idle);
}

static void teardown(void)
{
    lkc_test_peer_stop(py);
    lkc_room_destroy(alice);
    lkc_room_destroy(bob);
    lkc_test_seq_receiver_free(rx_a);
    lkc_test_seq_receiver_free(rx_b);
    lkc_test_events_free(ev_a);
    lkc_test_events_free(ev_b);
}

/* SIGSTOP/SIGCONT and kill -9 + restart on the same ports (no room is connected). */
static void server_pause_and_restart(void)
{
    lkc_test_private_server_pause();
    lkc_test_probe_t p = lkc_test_http_probe(srv->http_port, 500);
    lkc_test_private_server_resume();
    CHECK(p == LKC_TEST_PROBE_TIMEOUT, "GET / on a paused server: %s", lkc_test_probe_str(p));
    CHECK(lkc_test_private_server_answers(2000), "the resumed server does not answer");

    int old_pid = srv->pid, http = srv->http_port;
    int down = lkc_test_private_server_restart_same_ports(300);
    fprintf(stderr, "server killed and back on port %d after %d ms (pid %d -> %d)\n", srv->http_port, down, old_pid,
            srv->pid);
    CHECK(srv->pid != old_pid && srv->http_port == http && down >= 300, "restart: pid %d -> %d, down %d ms",
          old_pid, srv->pid, down);
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *r = lkc_test_join_at(srv->url, room_name, "after-restart", ev, NULL);
    lkc_pc_stats_t st;
    CHECK_OK(lkc_room_get_pc_stats(r, LKC_PC_SUBSCRIBER, &st));
    char want[48];
    snprintf(want, sizeof want, "127.0.0.1:%d", srv->rtc_udp_port);
    CHECK(strcmp(st.transport, "udp") == 0 && strcmp(st.remote_address, want) == 0,
          "after the restart the subscriber PC uses %s %s, expected udp %s", st.transport, st.remote_address, want);
    lkc_room_destroy(r);
    lkc_test_events_free(ev);
}

/* (c) nothing of ours left in iptables. */
static void rules_removed(void)
{
    char chain[40];
    g_strlcpy(chain, lkc_test_netfault_chain(), sizeof chain);
    lkc_test_netfault_teardown();
    char *text = NULL;
    int ours = lkc_test_netfault_count_chains(chain, &text);
    int any = lkc_test_netfault_count_chains("LKC_T", NULL);
    char n_line[64], j_line[64];
    snprintf(n_line, sizeof n_line, "-N %s\n", chain);
    snprintf(j_line, sizeof j_line, "-j %s\n", chain);
    CHECK(!strstr(text, n_line) && !strstr(text, j_line), "%s is still in iptables (%d chains of that prefix):\n%s",
          chain, ours, text);
    if (any)
        fprintf(stderr, "note: %d LKC_T chain(s) of other tests running now\n", any);
    g_free(text);
    lkc_test_private_server_stop();
}

int main(void)
{
    lkc_test_env();
    gint64 t0 = ms_now();
    RUN(setup);
    RUN(numbered_delivery_without_faults);
    RUN(signal_port_block);
    RUN(udp_port_block);
    RUN(seqcheck_itself);
    RUN(teardown);
    RUN(server_pause_and_restart);
    RUN(rules_removed);
    g_free(room_name);
    fprintf(stderr, "total %lld ms\n", (long long)(ms_now() - t0));
    return 0;
}
