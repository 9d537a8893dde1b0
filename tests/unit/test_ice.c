/* rtc/ice: two agents in one process on one GMainContext (controlling A, controlled B),
 * gathering on 127.0.0.1 only, trickling candidates to each other through the callbacks (as
 * RTCIceCandidateInit JSON, the way they travel over signalling). Timings go to stderr. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "lkc/error.h"
#include "rtc/candidate.h"
#include "rtc/ice.h"
#include "test.h"

#define MAX_CANDS 32

typedef struct peer {
    const char *name;
    lkc_ice_t *ice;
    struct peer *other;
    bool hold;                 /* keep candidates instead of trickling them at once */
    char cands[MAX_CANDS][LKC_CANDIDATE_ATTR_MAX + 1];
    int n_cands;
    int64_t t_gather, t_first_cand, t_done, t_connected, t_lost;
    bool gathered;
    int n_done;
    lkc_ice_state_t state;
    int n_states;
    int n_recv, n_after_free, n_selected;
    char last[64];
    bool free_on_connected;    /* frees its own agent from inside on_state */
    bool freed;
} peer_t;

static const char *const local_only[] = {"127.0.0.1"};

/* Gives the attribute to the other agent the way signalling would carry it: JSON. */
static void deliver(peer_t *to, const char *attr)
{
    lkc_candidate_init_t init = {.candidate = (char *)attr, .sdp_mid = "0", .sdp_mline_index = 0};
    char *json = NULL;
    CHECK_OK(lkc_candidate_init_encode(&init, &json));
    lkc_candidate_init_t got;
    CHECK_OK(lkc_candidate_init_decode(json, strlen(json), &got));
    free(json);
    CHECK_OK(lkc_ice_add_remote_candidate(to->ice, got.candidate));
    lkc_candidate_init_clear(&got);
}

static void on_cand(void *user, const char *attr)
{
    peer_t *p = user;
    CHECK(!p->freed, "%s: candidate callback after free", p->name);
    if (!p->t_first_cand)
        p->t_first_cand = lkc_mono_us();
    lkc_candidate_t c;
    CHECK(lkc_candidate_parse(attr, &c) == LKC_OK, "%s: our own candidate does not parse: %s",
          p->name, attr);
    CHECK(p->n_cands < MAX_CANDS, "%s: too many candidates", p->name);
    snprintf(p->cands[p->n_cands++], sizeof p->cands[0], "%s", attr);
    if (!p->hold && p->other && p->other->ice)
        deliver(p->other, attr);
}

static void on_done(void *user)
{
    peer_t *p = user;
    CHECK(!p->freed, "%s: gathering-done callback after free", p->name);
    p->gathered = true;
    p->n_done++;
    p->t_done = lkc_mono_us();
    if (!p->hold && p->other && p->other->ice)
        CHECK_OK(lkc_ice_set_remote_gathering_done(p->other->ice));
}

static void on_state(void *user, lkc_ice_state_t s)
{
    peer_t *p = user;
    CHECK(!p->freed, "%s: state callback after free", p->name);
    p->n_states++;
    CHECK(s != p->state, "%s: state %s reported twice", p->name, lkc_ice_state_str(s));
    p->state = s;
    if (s == LKC_ICE_CONNECTED && !p->t_connected)
        p->t_connected = lkc_mono_us();
    if ((s == LKC_ICE_FAILED || s == LKC_ICE_DISCONNECTED) && !p->t_lost)
        p->t_lost = lkc_mono_us();
    if (s == LKC_ICE_CONNECTED && p->free_on_connected) {
        lkc_ice_free(p->ice);
        p->ice = NULL;
        p->freed = true;
    }
}

static void on_recv(void *user, const uint8_t *buf, size_t len)
{
    peer_t *p = user;
    if (p->freed)
        p->n_after_free++;
    p->n_recv++;
    snprintf(p->last, sizeof p->last, "%.*s", (int)len, (const char *)buf);
}

static void on_selected(void *user)
{
    peer_t *p = user;
    CHECK(!p->freed, "%s: selected-pair callback after free", p->name);
    p->n_selected++;
}

static lkc_ice_t *make(GMainContext *ctx, peer_t *p, bool controlling, lkc_ice_transport_policy_t pol)
{
    lkc_ice_config_t cfg = {
        .ctx = ctx, .controlling = controlling, .policy = pol,
        .local_addresses = local_only, .n_local_addresses = 1,
        .user = p, .on_local_candidate = on_cand, .on_gathering_done = on_done,
        .on_state = on_state, .on_recv = on_recv, .on_selected_pair = on_selected,
    };
    CHECK_OK(lkc_ice_new(&cfg, &p->ice));
    return p->ice;
}

static void swap_credentials(peer_t *a, peer_t *b)
{
    char ua[40], pa[70], ub[40], pb[70];
    CHECK_OK(lkc_ice_get_local_credentials(a->ice, ua, sizeof ua, pa, sizeof pa));
    CHECK_OK(lkc_ice_get_local_credentials(b->ice, ub, sizeof ub, pb, sizeof pb));
    CHECK(strlen(ua) >= 4 && strlen(pa) >= 22, "short credentials %s/%zu", ua, strlen(pa));
    CHECK_OK(lkc_ice_set_remote_credentials(a->ice, ub, pb));
    CHECK_OK(lkc_ice_set_remote_credentials(b->ice, ua, pa));
}

/* ------------------------------------------------------------------------- loop helpers */

static gboolean set_flag(gpointer data)
{
    *(bool *)data = true;
    return G_SOURCE_REMOVE;
}

/* Iterates ctx until cond(arg) holds or timeout_ms passes. */
static bool run_until(GMainContext *ctx, bool (*cond)(void *), void *arg, unsigned timeout_ms)
{
    bool expired = false;
    GSource *t = g_timeout_source_new(timeout_ms);
    g_source_set_callback(t, set_flag, &expired, NULL);
    g_source_attach(t, ctx);
    while (!cond(arg) && !expired)
        g_main_context_iteration(ctx, TRUE);
    g_source_destroy(t);
    g_source_unref(t);
    return cond(arg);
}

static bool both_connected(void *arg)
{
    peer_t *p = arg;
    return p[0].state == LKC_ICE_CONNECTED && p[1].state == LKC_ICE_CONNECTED;
}
static bool both_gathered(void *arg)
{
    peer_t *p = arg;
    return p[0].gathered && p[1].gathered;
}
static bool got_recv(void *arg)
{
    peer_t *p = arg;
    return p[0].n_recv > 0 && p[1].n_recv > 0;
}
static bool lost(void *arg)
{
    return ((peer_t *)arg)->t_lost != 0;
}
static bool gathered(void *arg)
{
    return ((peer_t *)arg)->gathered;
}
static bool has_cand(void *arg)
{
    return ((peer_t *)arg)->n_cands > 0;
}
static bool freed(void *arg)
{
    return ((peer_t *)arg)->freed;
}
static bool never(void *arg)
{
    return false;
}

/* Live (not destroyed) sources on ctx: source ids are per context and increase, so probing
 * every id below a fresh one finds whatever is still attached. */
static int live_sources(GMainContext *ctx)
{
    while (g_main_context_iteration(ctx, FALSE)) {
    }
    GSource *probe = g_idle_source_new();
    guint max = g_source_attach(probe, ctx);
    g_source_destroy(probe);
    g_source_unref(probe);
    int n = 0;
    for (guint id = 1; id < max; id++)
        if (g_main_context_find_source_by_id(ctx, id))
            n++;
    return n;
}

static double ms_since(int64_t t0, int64_t t1)
{
    return (double)(t1 - t0) / 1000.0;
}

/* Creds, gather and trickle (or hold candidates for the caller), until both are CONNECTED. */
static void connect_pair(GMainContext *ctx, peer_t p[2], lkc_ice_transport_policy_t pol, const char *what)
{
    p[0].name = "A";
    p[1].name = "B";
    p[0].other = &p[1];
    p[1].other = &p[0];
    make(ctx, &p[0], true, pol);
    make(ctx, &p[1], false, pol);
    swap_credentials(&p[0], &p[1]);
    int64_t t0 = lkc_mono_us();
    p[0].t_gather = p[1].t_gather = t0;
    CHECK_OK(lkc_ice_gather(p[0].ice));
    CHECK_OK(lkc_ice_gather(p[1].ice));
    CHECK(run_until(ctx, both_connected, p, 10000), "%s: not connected in 10 s: A %s, B %s", what,
          lkc_ice_state_str(p[0].state), lkc_ice_state_str(p[1].state));
    CHECK(run_until(ctx, both_gathered, p, 10000), "%s: gathering never done", what);
    fprintf(stderr, "  %s: first host candidate %.2f ms, gathering done %.2f ms, connected "
                    "A %.1f ms B %.1f ms, candidates A %d B %d\n",
            what, ms_since(t0, p[0].t_first_cand), ms_since(t0, p[0].t_done),
            ms_since(t0, p[0].t_connected), ms_since(t0, p[1].t_connected), p[0].n_cands,
            p[1].n_cands);
}

/* Sends a datagram each way and checks content and counters. */
static void exchange(GMainContext *ctx, peer_t p[2], const char *transport)
{
    p[0].n_recv = p[1].n_recv = 0;
    lkc_ice_stats_t s0, s1, a0, a1;
    CHECK_OK(lkc_ice_get_stats(p[0].ice, &s0));
    CHECK_OK(lkc_ice_get_stats(p[1].ice, &s1));
    CHECK_EQ_INT(lkc_ice_send(p[0].ice, (const uint8_t *)"ping", 4), 4);
    CHECK_EQ_INT(lkc_ice_send(p[1].ice, (const uint8_t *)"pong!", 5), 5);
    CHECK(run_until(ctx, got_recv, p, 5000), "datagrams lost: A got %d, B got %d", p[0].n_recv,
          p[1].n_recv);
    CHECK_STR(p[1].last, "ping");
    CHECK_STR(p[0].last, "pong!");
    CHECK_OK(lkc_ice_get_stats(p[0].ice, &a0));
    CHECK_OK(lkc_ice_get_stats(p[1].ice, &a1));
    CHECK_EQ_INT(a0.packets_sent - s0.packets_sent, 1);
    CHECK_EQ_INT(a0.bytes_sent - s0.bytes_sent, 4);
    CHECK_EQ_INT(a1.packets_received - s1.packets_received, 1);
    CHECK_EQ_INT(a1.bytes_received - s1.bytes_received, 4);
    CHECK_EQ_INT(a0.bytes_received - s0.bytes_received, 5);
    CHECK_STR(a0.state_str, "connected");
    CHECK(a0.has_selected_pair && a1.has_selected_pair, "no selected pair in stats");
    CHECK_STR(a0.transport, transport);
    CHECK_STR(a1.transport, transport);
    CHECK_STR(a0.local_type, "host");
    CHECK(strncmp(a0.local_addr, "127.0.0.1:", 10) == 0, "A local %s", a0.local_addr);
    CHECK(strncmp(a0.remote_addr, "127.0.0.1:", 10) == 0, "A remote %s", a0.remote_addr);
}

static void free_pair(GMainContext *ctx, peer_t p[2])
{
    for (int i = 0; i < 2; i++) {
        lkc_ice_free(p[i].ice);
        p[i].ice = NULL;
        p[i].freed = true;
    }
    int n = live_sources(ctx);
    CHECK(n == 0, "%d sources left on the context after freeing both agents", n);
}

/* ------------------------------------------------------------------------------ the tests */

static void connect_udp(void)
{
    GMainContext *ctx = g_main_context_new();
    peer_t p[2] = {0};
    connect_pair(ctx, p, LKC_ICE_POLICY_ALL, "udp (policy all)");
    CHECK_EQ_INT(p[0].n_done, 1);
    CHECK(p[0].n_selected >= 1 && p[1].n_selected >= 1, "no selected-pair callback: A %d B %d",
          p[0].n_selected, p[1].n_selected);
    exchange(ctx, p, "udp");
    /* more traffic, and the counters follow */
    for (int i = 0; i < 50; i++)
        CHECK_EQ_INT(lkc_ice_send(p[0].ice, (const uint8_t *)"0123456789", 10), 10);
    lkc_ice_stats_t st;
    CHECK_OK(lkc_ice_get_stats(p[0].ice, &st));
    CHECK_EQ_INT(st.packets_sent, 51);
    CHECK_EQ_INT(st.bytes_sent, 504);
    free_pair(ctx, p);
    g_main_context_unref(ctx);
}

static void connect_tcp_only(void)
{
    GMainContext *ctx = g_main_context_new();
    peer_t p[2] = {0};
    connect_pair(ctx, p, LKC_ICE_POLICY_TCP_ONLY, "tcp only");
    for (int i = 0; i < p[0].n_cands; i++)
        CHECK(strstr(p[0].cands[i], " tcp ") && strstr(p[0].cands[i], "tcptype"),
              "TCP-only agent offered %s", p[0].cands[i]);
    exchange(ctx, p, "tcp");
    free_pair(ctx, p);
    g_main_context_unref(ctx);
}

static void candidates_before_credentials(void)
{
    GMainContext *ctx = g_main_context_new();
    peer_t p[2] = {{.name = "A", .hold = true}, {.name = "B", .hold = true}};
    p[0].other = &p[1];
    p[1].other = &p[0];
    make(ctx, &p[0], true, LKC_ICE_POLICY_UDP_ONLY);
    make(ctx, &p[1], false, LKC_ICE_POLICY_UDP_ONLY);
    CHECK_OK(lkc_ice_gather(p[0].ice));
    CHECK_OK(lkc_ice_gather(p[1].ice));
    CHECK(run_until(ctx, both_gathered, p, 5000), "gathering not done");
    CHECK(p[0].n_cands > 0 && p[1].n_cands > 0, "no candidates");
    /* all candidates first, then the credentials */
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < p[i].n_cands; j++)
            deliver(p[i].other, p[i].cands[j]);
    CHECK_OK(lkc_ice_set_remote_gathering_done(p[0].ice));
    CHECK_OK(lkc_ice_set_remote_gathering_done(p[1].ice));
    run_until(ctx, never, NULL, 100);
    CHECK(p[0].state == LKC_ICE_NEW && p[1].state == LKC_ICE_NEW,
          "checks started without credentials: A %s B %s", lkc_ice_state_str(p[0].state),
          lkc_ice_state_str(p[1].state));
    int64_t t0 = lkc_mono_us();
    swap_credentials(&p[0], &p[1]);
    CHECK(run_until(ctx, both_connected, p, 10000), "queued candidates: not connected (A %s B %s)",
          lkc_ice_state_str(p[0].state), lkc_ice_state_str(p[1].state));
    fprintf(stderr, "  queued: connected %.1f ms after the credentials\n",
            ms_since(t0, p[0].t_connected));
    exchange(ctx, p, "udp");
    free_pair(ctx, p);
    g_main_context_unref(ctx);
}

static void peer_gone(lkc_ice_transport_policy_t pol, const char *what, unsigned bound_ms)
{
    GMainContext *ctx = g_main_context_new();
    peer_t p[2] = {0};
    connect_pair(ctx, p, pol, what);
    exchange(ctx, p, pol == LKC_ICE_POLICY_TCP_ONLY ? "tcp" : "udp");
    int64_t t0 = lkc_mono_us();
    lkc_ice_free(p[1].ice);
    p[1].ice = NULL;
    p[1].freed = true;
    CHECK(run_until(ctx, lost, &p[0], bound_ms), "%s: peer gone, A still %s after %u ms", what,
          lkc_ice_state_str(p[0].state), bound_ms);
    fprintf(stderr, "  %s: vanished peer detected after %.1f ms (A %s)\n", what,
            ms_since(t0, p[0].t_lost), lkc_ice_state_str(p[0].state));
    int rc = lkc_ice_send(p[0].ice, (const uint8_t *)"x", 1);
    CHECK(rc < 0 || p[0].state == LKC_ICE_DISCONNECTED, "send after consent loss gave %d", rc);
    free_pair(ctx, p);
    g_main_context_unref(ctx);
}

static void peer_gone_udp(void)
{
    peer_gone(LKC_ICE_POLICY_UDP_ONLY, "udp peer gone", 25000);
}

static void peer_gone_tcp(void)
{
    peer_gone(LKC_ICE_POLICY_TCP_ONLY, "tcp peer gone", 25000);
}

static void restart(void)
{
    GMainContext *ctx = g_main_context_new();
    peer_t p[2] = {0};
    connect_pair(ctx, p, LKC_ICE_POLICY_UDP_ONLY, "before restart");
    char u0[40], w0[70], u1[40], w1[70];
    CHECK_OK(lkc_ice_get_local_credentials(p[0].ice, u0, sizeof u0, w0, sizeof w0));
    CHECK_OK(lkc_ice_restart(p[0].ice));
    CHECK_OK(lkc_ice_get_local_credentials(p[0].ice, u1, sizeof u1, w1, sizeof w1));
    CHECK(strcmp(u0, u1) != 0 && strcmp(w0, w1) != 0, "restart kept the credentials %s", u1);
    CHECK_EQ_INT(p[0].state, LKC_ICE_CHECKING);
    /* the old path still carries data during the restart */
    CHECK_EQ_INT(lkc_ice_send(p[0].ice, (const uint8_t *)"mid", 3), 3);
    /* the peer restarts too (new remote ufrag), both re-trickle */
    CHECK_OK(lkc_ice_restart(p[1].ice));
    int old0 = p[0].n_cands, old1 = p[1].n_cands;
    p[0].gathered = p[1].gathered = false;
    p[0].t_connected = p[1].t_connected = 0;
    int64_t t0 = lkc_mono_us();
    swap_credentials(&p[0], &p[1]);
    CHECK_OK(lkc_ice_gather(p[0].ice));
    CHECK_OK(lkc_ice_gather(p[1].ice));
    CHECK(p[0].n_cands == 2 * old0 && p[1].n_cands == 2 * old1,
          "candidates not reported again after restart: A %d->%d", old0, p[0].n_cands);
    CHECK(run_until(ctx, both_connected, p, 10000), "not connected after restart: A %s B %s",
          lkc_ice_state_str(p[0].state), lkc_ice_state_str(p[1].state));
    CHECK(run_until(ctx, both_gathered, p, 5000), "no gathering-done after restart");
    fprintf(stderr, "  restart: connected again after %.1f ms\n", ms_since(t0, p[0].t_connected));
    exchange(ctx, p, "udp");
    free_pair(ctx, p);
    g_main_context_unref(ctx);
}

/* ICE servers that never answer (a bound UDP port nobody reads; TCP to it is refused) must
 * neither delay host candidates nor hold gathering-done past the configured timeout, and
 * freeing while libnice still retransmits to them must leave nothing behind. */
static void silent_servers(const char *what, const char *const *urls, size_t n_urls,
                           lkc_ice_transport_policy_t pol, bool expect_host)
{
    lkc_ice_server_t srv = {.urls = urls, .n_urls = n_urls, .username = "u", .credential = "p"};
    GMainContext *ctx = g_main_context_new();
    peer_t p = {.name = "S", .hold = true};
    lkc_ice_config_t cfg = {
        .ctx = ctx, .controlling = true, .policy = pol, .servers = &srv, .n_servers = 1,
        .local_addresses = local_only, .n_local_addresses = 1, .gather_timeout_ms = 300,
        .user = &p, .on_local_candidate = on_cand, .on_gathering_done = on_done,
        .on_state = on_state, .on_recv = on_recv,
    };
    CHECK_OK(lkc_ice_new(&cfg, &p.ice));
    int64_t t0 = lkc_mono_us();
    CHECK_OK(lkc_ice_gather(p.ice));
    if (expect_host) {
        CHECK(run_until(ctx, has_cand, &p, 1000), "%s: no host candidate", what);
        double first = ms_since(t0, p.t_first_cand);
        CHECK(first < 100, "%s: host candidate took %.1f ms", what, first);
    }
    CHECK(!p.gathered, "%s: gathering done before the servers could answer", what);
    CHECK(run_until(ctx, gathered, &p, 3000), "%s: gathering-done never came", what);
    double done = ms_since(t0, p.t_done);
    fprintf(stderr, "  %s: %d candidates, first %.2f ms, gathering done (timeout 300) %.0f ms\n",
            what, p.n_cands, p.n_cands ? ms_since(t0, p.t_first_cand) : 0.0, done);
    CHECK(done >= 250 && done < 1500, "%s: gathering done after %.0f ms", what, done);
    CHECK_EQ_INT(p.n_done, 1);
    if (!expect_host)
        CHECK(p.n_cands == 0, "%s: reported %s", what, p.cands[0]);
    /* libnice is still retransmitting to the servers: free now */
    lkc_ice_free(p.ice);
    p.freed = true;
    int n = live_sources(ctx);
    CHECK(n == 0, "%s: %d sources left after freeing during discovery", what, n);
    g_main_context_unref(ctx);
}

static void silent_ice_servers(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0, "socket");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind");
    socklen_t sl = sizeof sa;
    CHECK(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0, "getsockname");
    unsigned port = ntohs(sa.sin_port);
    char stun_ip[64], stun_name[64], turn_udp[64], turn_tcp[64];
    snprintf(stun_ip, sizeof stun_ip, "stun:127.0.0.1:%u", port);
    snprintf(stun_name, sizeof stun_name, "stun:localhost:%u", port);
    snprintf(turn_udp, sizeof turn_udp, "turn:127.0.0.1:%u?transport=udp", port);
    snprintf(turn_tcp, sizeof turn_tcp, "turn:127.0.0.1:%u?transport=tcp", port);

    const char *stun[] = {stun_ip, "stun:[::1]:3478", "turns:turn.invalid:443?transport=tcp",
                          "bogus:x", "stuns:[::1]"};
    silent_servers("silent STUN (IP)", stun, 5, LKC_ICE_POLICY_UDP_ONLY, true);
    /* resolved by libnice with GResolver on our context; "localhost" needs no DNS */
    const char *named[] = {stun_name};
    silent_servers("silent STUN (name)", named, 1, LKC_ICE_POLICY_UDP_ONLY, true);
    const char *turn[] = {turn_udp, turn_tcp};
    silent_servers("silent TURN udp+tcp", turn, 2, LKC_ICE_POLICY_ALL, true);
    silent_servers("silent TURN, relay only", turn, 2, LKC_ICE_POLICY_RELAY_ONLY, false);
    close(fd);
}

static bool a_checking(void *arg)
{
    return ((peer_t *)arg)->state == LKC_ICE_CHECKING;
}

static void free_during_checks(void)
{
    GMainContext *ctx = g_main_context_new();
    peer_t p[2] = {{.name = "A"}, {.name = "B"}};
    p[0].other = &p[1];
    p[1].other = &p[0];
    make(ctx, &p[0], true, LKC_ICE_POLICY_ALL);
    make(ctx, &p[1], false, LKC_ICE_POLICY_ALL);
    swap_credentials(&p[0], &p[1]);
    CHECK_OK(lkc_ice_gather(p[0].ice));
    CHECK_OK(lkc_ice_gather(p[1].ice));
    /* checks are paced every 20 ms: CHECKING lasts a few ticks */
    CHECK(run_until(ctx, a_checking, &p[0], 5000), "A never started checks (%s)",
          lkc_ice_state_str(p[0].state));
    CHECK(p[0].state == LKC_ICE_CHECKING, "A is %s", lkc_ice_state_str(p[0].state));
    free_pair(ctx, p);
    g_main_context_unref(ctx);
}

static void free_from_callback(void)
{
    GMainContext *ctx = g_main_context_new();
    peer_t p[2] = {0};
    p[1].free_on_connected = true;
    p[0].name = "A";
    p[1].name = "B";
    p[0].other = &p[1];
    p[1].other = &p[0];
    make(ctx, &p[0], true, LKC_ICE_POLICY_UDP_ONLY);
    make(ctx, &p[1], false, LKC_ICE_POLICY_UDP_ONLY);
    swap_credentials(&p[0], &p[1]);
    CHECK_OK(lkc_ice_gather(p[0].ice));
    CHECK_OK(lkc_ice_gather(p[1].ice));
    CHECK(run_until(ctx, freed, &p[1], 10000), "B never connected (so never freed itself)");
    /* A may still send to B's old socket; nothing may reach B's callbacks */
    if (p[0].state == LKC_ICE_CONNECTED)
        lkc_ice_send(p[0].ice, (const uint8_t *)"late", 4);
    run_until(ctx, never, NULL, 100);
    CHECK_EQ_INT(p[1].n_after_free, 0);
    lkc_ice_free(p[0].ice);
    p[0].ice = NULL;
    p[0].freed = true;
    int n = live_sources(ctx);
    CHECK(n == 0, "%d sources left after a free from inside a callback", n);
    g_main_context_unref(ctx);
}

static void bad_inputs(void)
{
    GMainContext *ctx = g_main_context_new();
    lkc_ice_t *ice = NULL;
    lkc_ice_config_t cfg = {.ctx = NULL};
    CHECK_EQ_INT(lkc_ice_new(&cfg, &ice), LKC_ERR_INVALID_ARG);
    CHECK(ice == NULL, "agent returned on failure");
    const char *bad_addr[] = {"not-an-ip"};
    cfg = (lkc_ice_config_t){.ctx = ctx, .local_addresses = bad_addr, .n_local_addresses = 1};
    CHECK_EQ_INT(lkc_ice_new(&cfg, &ice), LKC_ERR_INVALID_ARG);
    cfg = (lkc_ice_config_t){.ctx = ctx, .policy = (lkc_ice_transport_policy_t)42};
    CHECK_EQ_INT(lkc_ice_new(&cfg, &ice), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_ice_new(NULL, &ice), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(live_sources(ctx), 0);

    peer_t p = {.name = "X", .hold = true};
    make(ctx, &p, false, LKC_ICE_POLICY_UDP_ONLY);
    CHECK_EQ_INT(lkc_ice_add_remote_candidate(p.ice, "candidate:1 1 udp"), LKC_ERR_PROTOCOL);
    CHECK_EQ_INT(lkc_ice_add_remote_candidate(p.ice, "garbage"), LKC_ERR_PROTOCOL);
    CHECK_OK(lkc_ice_add_remote_candidate(p.ice, "candidate:1 1 udp 2122260223 "
                                                 "4b1c2d3e-aaaa-bbbb-cccc-0123456789ab.local "
                                                 "54321 typ host"));
    CHECK_OK(lkc_ice_add_remote_candidate(p.ice, "candidate:1 2 udp 1 127.0.0.1 5 typ host"));
    CHECK_EQ_INT(lkc_ice_add_remote_candidate(p.ice, "candidate:1 1 udp 1 example.com 5 typ host"),
                 LKC_ERR_UNSUPPORTED);
    CHECK_EQ_INT(lkc_ice_set_remote_credentials(p.ice, "", "x"), LKC_ERR_PROTOCOL);
    CHECK_EQ_INT(lkc_ice_set_remote_credentials(p.ice, "a:b", "0123456789012345678901"),
                 LKC_ERR_PROTOCOL);
    CHECK_OK(lkc_ice_set_remote_credentials(p.ice, "abcd", "0123456789012345678901"));
    CHECK_OK(lkc_ice_set_remote_credentials(p.ice, "abcd", "0123456789012345678901"));
    CHECK_EQ_INT(lkc_ice_set_remote_credentials(p.ice, "efgh", "0123456789012345678901"),
                 LKC_ERR_STATE);
    CHECK_EQ_INT(lkc_ice_send(p.ice, (const uint8_t *)"x", 1), LKC_ERR_STATE);
    static uint8_t big[70000];
    CHECK_EQ_INT(lkc_ice_send(p.ice, big, sizeof big), LKC_ERR_TOO_LARGE);
    CHECK_EQ_INT(lkc_ice_send(p.ice, big, 0), LKC_ERR_INVALID_ARG);
    char u[4], w[70];
    CHECK_EQ_INT(lkc_ice_get_local_credentials(p.ice, u, sizeof u, w, sizeof w), LKC_ERR_TOO_LARGE);
    /* the queue of early candidates is bounded */
    int rc = 0, i;
    for (i = 0; i < 100 && rc == 0; i++) {
        char c[96];
        snprintf(c, sizeof c, "candidate:%d 1 udp 1 127.0.0.1 %d typ host", i, 10000 + i);
        rc = lkc_ice_add_remote_candidate(p.ice, c);
    }
    CHECK(rc == LKC_ERR_WOULD_BLOCK && i > 10, "queue bound: rc %d after %d", rc, i);
    lkc_ice_stats_t st;
    CHECK_OK(lkc_ice_get_stats(p.ice, &st));
    CHECK_STR(st.state_str, "new");
    CHECK(!st.has_selected_pair, "selected pair before any check");
    lkc_ice_free(p.ice); /* never gathered */
    lkc_ice_free(NULL);
    CHECK_EQ_INT(live_sources(ctx), 0);
    g_main_context_unref(ctx);
}

int main(void)
{
    RUN(bad_inputs);
    RUN(connect_udp);
    RUN(connect_tcp_only);
    RUN(candidates_before_credentials);
    RUN(restart);
    RUN(silent_ice_servers);
    RUN(free_during_checks);
    RUN(free_from_callback);
    RUN(peer_gone_tcp);
    RUN(peer_gone_udp);
    return 0;
}
