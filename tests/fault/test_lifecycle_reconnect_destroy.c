/* R4, R5, R6 and R9 while RECONNECTING: a room whose server dropped it (SimulateScenario
 * node failure: resume, refused, full reconnect) is destroyed at a random moment of its
 * recovery, over and over. Every destroy is bounded, no handler runs after it, a thread
 * blocked in wait_connected returns, and the process's thread and fd counts come back
 * to where they were. */
#include "interop.h"
#include "room/room_core.h"
#include "room/test_hooks.h"

#if defined(__SANITIZE_THREAD__)
#define ROUNDS 60 /* TSan runs this ~4x slower; ASan runs the full 200 */
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ROUNDS 60
#endif
#endif
#ifndef ROUNDS
#define ROUNDS 200
#endif

typedef struct {
    atomic_int calls;
    atomic_int late;
    atomic_bool destroyed;
    atomic_bool reconnecting;
} probe_t;

static void note(probe_t *p)
{
    atomic_fetch_add(&p->calls, 1);
    if (atomic_load(&p->destroyed))
        atomic_fetch_add(&p->late, 1);
}
static void h_state(lkc_room_t *r, lkc_state_t s, lkc_failure_t f, void *u) { note(u); }
static void h_reconnecting(lkc_room_t *r, lkc_reconnect_kind_t k, lkc_failure_t f, void *u)
{
    note(u);
    atomic_store(&((probe_t *)u)->reconnecting, true);
}
static void h_reconnected(lkc_room_t *r, lkc_reconnect_kind_t k, int64_t ms, void *u) { note(u); }
static void h_disconnected(lkc_room_t *r, lkc_failure_t f, void *u) { note(u); }

typedef struct {
    lkc_room_t *room;
    int rc;
    atomic_bool done;
} waiter_t;

static void *wait_connected(void *p)
{
    waiter_t *w = p;
    w->rc = lkc_room_wait_connected(w->room, -1); /* unbounded: only the destroy ends it */
    atomic_store(&w->done, true);
    return NULL;
}

static void one_round(const char *room_name, const char *token, int round)
{
    probe_t p = {0};
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.handlers.on_state_changed = h_state;
    o.handlers.on_reconnecting = h_reconnecting;
    o.handlers.on_reconnected = h_reconnected;
    o.handlers.on_disconnected = h_disconnected;
    o.user = &p;
    lkc_room_t *r = NULL;
    CHECK_OK(lkc_room_create(&o, &r));
    CHECK_OK(lkc_room_connect(r, lkc_test_env()->url, token));
    CHECK_OK(lkc_room_wait_connected(r, 15000));
    CHECK_OK(lkc__room_simulate(r, LKC__SIMULATE_NODE_FAILURE));
    /* a random moment of the recovery: before the loss is seen, while resuming, while
     * rejoining, or after */
    int delay_ms = g_random_int_range(0, 400);
    gint64 until = g_get_monotonic_time() + delay_ms * 1000;
    while (g_get_monotonic_time() < until)
        g_usleep(2000);
    waiter_t w = {r, 1, false};
    pthread_t th;
    bool waiting = lkc_room_state(r) == LKC_STATE_RECONNECTING;
    if (waiting) {
        pthread_create(&th, NULL, wait_connected, &w);
        /* destroy only once it is inside (a call that starts after destroy is the caller's bug) */
        for (int in = 0; !in;) {
            pthread_mutex_lock(&r->lock);
            /* inside, or already back (reconnected before it got in: it returns at once) */
            in = r->callers > 0 || atomic_load(&w.done);
            pthread_mutex_unlock(&r->lock);
            if (!in)
                g_usleep(500);
        }
    }
    gint64 t0 = g_get_monotonic_time();
    lkc_room_destroy(r);
    atomic_store(&p.destroyed, true);
    gint64 ms = (g_get_monotonic_time() - t0) / 1000;
    CHECK(ms < 2500, "round %d: destroy %d ms into the recovery took %lld ms", round, delay_ms, (long long)ms);
    if (waiting) {
        pthread_join(th, NULL);
        CHECK(w.rc == LKC_ERR_CLOSED || w.rc == LKC_OK, "round %d: wait_connected returned %d", round, w.rc);
    }
    CHECK_EQ_INT(atomic_load(&p.late), 0);
    (void)room_name;
}

static void destroy_while_reconnecting(void)
{
    char *room = lkc_test_room_name("rc-destroy");
    char *tok = lkc_test_token(room, "lkc-rd", NULL, NULL);
    one_round(room, tok, -1); /* warm-up: GLib's own threads start once */
    int threads = lkc_test_thread_count(), fds = lkc_test_fd_count();
    for (int i = 0; i < ROUNDS; i++)
        one_round(room, tok, i);
    lkc_test_check_baseline(threads, fds, "destroying rooms while they reconnect");
    fprintf(stderr, "%d rooms destroyed at random points of their recovery\n", ROUNDS);
    lkc_free(tok);
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    RUN(destroy_while_reconnecting);
    return 0;
}
