/* R2, R4, R5, R6: lkc_room_destroy() is safe and bounded in every state, from any
 * thread and from inside a handler; afterwards no handler runs and no thread or fd of
 * the room is left. The races run 200 times in a loop (under ASan+LSan in make test). */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "interop.h"
#include "twirp.h"

typedef struct probe {
    lkc_room_t *room;
    atomic_int calls;
    atomic_int late;            /* handler calls after destroy returned */
    atomic_bool destroyed;      /* destroy returned (or was called from a handler) */
    atomic_bool destroy_in_connected;
    atomic_int disconnect_reason;
    atomic_bool disconnected;
} probe_t;

static void note(probe_t *p)
{
    atomic_fetch_add(&p->calls, 1);
    if (atomic_load(&p->destroyed))
        atomic_fetch_add(&p->late, 1);
}

static void h_state(lkc_room_t *r, lkc_state_t s, lkc_failure_t f, void *u) { note(u); }
static void h_connected(lkc_room_t *r, const lkc_room_info_t *i, const lkc_participant_info_t *me, void *u)
{
    probe_t *p = u;
    note(p);
    if (atomic_load(&p->destroy_in_connected)) {
        lkc_room_destroy(r); /* deferred: must not deadlock, nothing may run after */
        atomic_store(&p->destroyed, true);
    }
}
static void h_disconnected(lkc_room_t *r, lkc_failure_t f, void *u)
{
    probe_t *p = u;
    note(p);
    atomic_store(&p->disconnect_reason, (int)f);
    atomic_store(&p->disconnected, true);
}
static void h_participant(lkc_room_t *r, const lkc_participant_info_t *x, void *u) { note(u); }

static lkc_room_t *make_room(probe_t *p)
{
    memset(p, 0, sizeof *p);
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.handlers.on_state_changed = h_state;
    o.handlers.on_connected = h_connected;
    o.handlers.on_disconnected = h_disconnected;
    o.handlers.on_participant_connected = h_participant;
    o.handlers.on_participant_disconnected = h_participant;
    o.user = p;
    o.connect_timeout_ms = 5000;
    CHECK_OK(lkc_room_create(&o, &p->room));
    return p->room;
}

static void destroy_timed(probe_t *p, const char *state)
{
    gint64 t0 = g_get_monotonic_time();
    lkc_room_destroy(p->room);
    atomic_store(&p->destroyed, true);
    gint64 ms = (g_get_monotonic_time() - t0) / 1000;
    CHECK(ms < 2000, "destroy while %s took %lld ms (bound: 2 s)", state, (long long)ms);
}

static void check_quiet(probe_t *p, const char *what)
{
    CHECK_EQ_INT(atomic_load(&p->late), 0);
    (void)what;
}

static int base_threads, base_fds;

static void connect_room(probe_t *p, const char *room, const char *identity)
{
    char *tok = lkc_test_token(room, identity, NULL, NULL);
    CHECK_OK(lkc_room_connect(p->room, lkc_test_env()->url, tok));
    lkc_free(tok);
}

/* --- each state once ------------------------------------------------------------- */

static void r6_destroy_never_connected(void)
{
    probe_t p;
    make_room(&p);
    destroy_timed(&p, "never connected");
    CHECK_EQ_INT(atomic_load(&p.calls), 0);
    lkc_test_check_baseline(base_threads, base_fds, "destroy of a room never connected");
}

static void r5_destroy_while_connecting_to_dead_server(void)
{
    int lfd;
    int port = lkc_test_blackhole_open(&lfd);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d", port);
    probe_t p;
    make_room(&p);
    CHECK_OK(lkc_room_connect(p.room, url, "a.b.c"));
    /* the upgrade request is in flight once the server side accepted the connection */
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    CHECK(poll(&pfd, 1, 5000) == 1, "lkc never opened the TCP connection");
    int cfd = accept(lfd, NULL, NULL);
    CHECK(cfd >= 0, "accept");
    CHECK_EQ_INT(lkc_room_state(p.room), LKC_STATE_CONNECTING);
    destroy_timed(&p, "CONNECTING to a server that never answers");
    check_quiet(&p, "dead server");
    close(cfd);
    lkc_test_blackhole_close(lfd);
    lkc_test_check_baseline(base_threads, base_fds, "destroy while connecting to a dead server");
}

static void r4_close_while_connecting_to_dead_server(void)
{
    int lfd;
    int port = lkc_test_blackhole_open(&lfd);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d", port);
    probe_t p;
    make_room(&p);
    CHECK_OK(lkc_room_connect(p.room, url, "a.b.c"));
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    CHECK(poll(&pfd, 1, 5000) == 1, "lkc never opened the TCP connection");
    int cfd = accept(lfd, NULL, NULL);
    gint64 t0 = g_get_monotonic_time();
    CHECK_OK(lkc_room_close(p.room));
    gint64 ms = (g_get_monotonic_time() - t0) / 1000;
    CHECK(ms < 2000, "close while connecting took %lld ms", (long long)ms);
    CHECK_EQ_INT(lkc_room_state(p.room), LKC_STATE_DISCONNECTED);
    CHECK(atomic_load(&p.disconnected), "on_disconnected was not called by close");
    destroy_timed(&p, "closed");
    close(cfd);
    lkc_test_blackhole_close(lfd);
    lkc_test_check_baseline(base_threads, base_fds, "close while connecting to a dead server");
}

static void r6_destroy_while_connected(void)
{
    char *room = lkc_test_room_name("destroy-connected");
    probe_t p;
    make_room(&p);
    connect_room(&p, room, "lkc-d");
    CHECK_OK(lkc_room_wait_connected(p.room, 15000));
    destroy_timed(&p, "CONNECTED");
    check_quiet(&p, "connected");
    lkc_test_check_baseline(base_threads, base_fds, "destroy while connected");
    /* the leave reached the server: it no longer lists us */
    GPtrArray *l = lkc_test_list_participants(room);
    CHECK(lkc_test_find_participant(l, "lkc-d") == NULL, "the server still lists lkc-d after destroy");
    g_ptr_array_unref(l);
    g_free(room);
}

static void r3_destroy_after_server_removed_us(void)
{
    char *room = lkc_test_room_name("destroy-removed");
    probe_t p;
    make_room(&p);
    connect_room(&p, room, "lkc-r");
    CHECK_OK(lkc_room_wait_connected(p.room, 15000));
    lkc_test_remove_participant(room, "lkc-r");
    for (int i = 0; i < 500 && !atomic_load(&p.disconnected); i++)
        g_usleep(10000); /* bounded wait for the handler's flag */
    CHECK(atomic_load(&p.disconnected), "no on_disconnected after RemoveParticipant");
    CHECK_EQ_INT(atomic_load(&p.disconnect_reason), LKC_FAILURE_PARTICIPANT_REMOVED);
    CHECK_EQ_INT(lkc_room_failure_reason(p.room), LKC_FAILURE_PARTICIPANT_REMOVED);
    destroy_timed(&p, "removed by the server");
    check_quiet(&p, "removed");
    lkc_test_check_baseline(base_threads, base_fds, "destroy after RemoveParticipant");
    g_free(room);
}

static void r6_destroy_from_inside_a_handler(void)
{
    char *room = lkc_test_room_name("destroy-in-handler");
    probe_t p;
    make_room(&p);
    atomic_store(&p.destroy_in_connected, true);
    connect_room(&p, room, "lkc-h");
    /* the room frees itself; wait until its thread is gone */
    lkc_test_check_baseline(base_threads, base_fds, "destroy from inside on_connected");
    CHECK(atomic_load(&p.destroyed), "on_connected never ran");
    check_quiet(&p, "destroy in handler");
    g_free(room);
}

typedef struct {
    probe_t *p;
    int delay_us;
} destroyer_t;

static void *destroyer(void *arg)
{
    destroyer_t *d = arg;
    if (d->delay_us)
        g_usleep((gulong)d->delay_us);
    destroy_timed(d->p, "connecting (from another thread)");
    return NULL;
}

/* Probes outlive the loop: a room destroyed from inside its own handler finishes its
 * thread after the test moved on, and that thread may have just written to it. */
static probe_t probes[400];
static int next_probe;

static void race_once(const char *room, int variant, int delay_us)
{
    probe_t *pp = &probes[next_probe++ % G_N_ELEMENTS(probes)];
#define p (*pp)
    make_room(&p);
    if (variant == 3)
        atomic_store(&p.destroy_in_connected, true);
    connect_room(&p, room, "lkc-race");
    switch (variant) {
    case 0: /* destroy from another thread while the connect is in flight */
    {
        destroyer_t d = {&p, delay_us};
        pthread_t t;
        pthread_create(&t, NULL, destroyer, &d);
        pthread_join(t, NULL);
        break;
    }
    case 1: /* destroy right away, on this thread */
        destroy_timed(&p, "connecting");
        break;
    case 2: /* connected, then close, then destroy */
        CHECK_OK(lkc_room_wait_connected(p.room, 15000));
        CHECK_OK(lkc_room_close(p.room));
        destroy_timed(&p, "closed");
        break;
    case 3: /* destroy from inside on_connected */
        break;
    default: /* connected, destroy */
        CHECK_OK(lkc_room_wait_connected(p.room, 15000));
        destroy_timed(&p, "connected");
        break;
    }
    char what[96];
    snprintf(what, sizeof what, "race variant %d (delay %d us)", variant, delay_us);
    lkc_test_check_baseline(base_threads, base_fds, what);
    CHECK(atomic_load(&p.late) == 0, "%s: %d handler call(s) after destroy", what, atomic_load(&p.late));
#undef p
}

static void r5_destroy_from_another_thread_during_connect(void)
{
    char *room = lkc_test_room_name("destroy-race");
    race_once(room, 0, 0);
    race_once(room, 0, 5000);
    g_free(room);
}

/* Destroy at random moments of the connect (0..160 ms covers signal, join, ICE, DTLS,
 * data channels): whatever phase it hits, it is prompt and leaves nothing. */
static void r5_destroy_in_every_transport_phase(void)
{
    char *room = lkc_test_room_name("destroy-phase");
    int hits[5] = {0}; /* before join, join, ICE, DTLS/channels, connected */
    for (int i = 0; i < 60; i++) {
        probe_t *pp = &probes[next_probe++ % G_N_ELEMENTS(probes)];
        make_room(pp);
        connect_room(pp, room, "lkc-phase");
        g_usleep((gulong)(g_random_int() % 160000));
        lkc_timeline_t tl;
        CHECK_OK(lkc_room_get_timeline(pp->room, &tl));
        int phase = tl.connected_ms >= 0          ? 4
                    : tl.subscriber_dtls_ms >= 0 || tl.publisher_dtls_ms >= 0 ? 3
                    : tl.join_received_ms >= 0 && (tl.subscriber_ice_ms >= 0 || tl.publisher_ice_ms >= 0) ? 3
                    : tl.join_received_ms >= 0    ? 2
                                                  : 0;
        hits[phase]++;
        destroy_timed(pp, "in a transport phase");
        lkc_test_check_baseline(base_threads, base_fds, "destroy during the transport's connect");
        CHECK(atomic_load(&pp->late) == 0, "a handler ran after destroy");
    }
    fprintf(stderr, "destroy hit: before join %d, joined/ICE checking %d, ICE up or DTLS %d, connected %d\n",
            hits[0], hits[2], hits[3], hits[4]);
    CHECK(hits[2] + hits[3] > 0, "no destroy landed while ICE/DTLS were under way");
    g_free(room);
}

static void races_200_times(void)
{
    char *room = lkc_test_room_name("destroy-loop");
    for (int i = 0; i < 200; i++)
        race_once(room, i % 5, (int)(g_random_int() % 30000));
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    /* Warm up once: GLib/GIO start process-wide worker threads (and TLS/resolver
     * modules) on first use; they stay for the process and are the baseline. */
    char *room = lkc_test_room_name("warmup");
    probe_t p;
    make_room(&p);
    connect_room(&p, room, "warmup");
    CHECK_OK(lkc_room_wait_connected(p.room, 15000));
    lkc_room_destroy(p.room);
    g_free(room);
    g_usleep(100000);
    base_threads = lkc_test_thread_count();
    base_fds = lkc_test_fd_count();
    fprintf(stderr, "baseline: %d threads, %d fds\n", base_threads, base_fds);

    RUN(r6_destroy_never_connected);
    RUN(r5_destroy_while_connecting_to_dead_server);
    RUN(r4_close_while_connecting_to_dead_server);
    RUN(r6_destroy_while_connected);
    RUN(r3_destroy_after_server_removed_us);
    RUN(r6_destroy_from_inside_a_handler);
    RUN(r5_destroy_from_another_thread_during_connect);
    RUN(r5_destroy_in_every_transport_phase);
    RUN(races_200_times);
    return 0;
}
