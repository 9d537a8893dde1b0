/* R9 for lkc_rpc_call: threads blocked in a call (the callee never answers) while another
 * thread destroys or closes the caller's room. Each call returns LKC_ERR_CLOSED within
 * 1 s, an async call in flight has its `done` run exactly once (1503, "room
 * disconnected") before destroy returns, the room's memory outlives the callers (ASan),
 * and the thread and fd counts come back to their baseline.
 *
 * The callee is a second lkc room whose method "hang" never answers. Per iteration the
 * caller joins, CALLERS threads call and block, then:
 * - even iterations: wait until the callee saw every request (all calls taken and sent),
 *   then destroy (or, every fourth, close first and destroy after the callers left);
 * - odd iterations: destroy at once while the calls are still on their way in (queued for
 *   the engine, or not yet taken): each returns LKC_ERR_CLOSED or LKC_ERR_STATE. */
#include <pthread.h>
#include <stdatomic.h>

#include "events.h"
#include "interop.h"

#define CALLERS 4
#define ITERATIONS 20
#define PROMPT_US (1000 * 1000)
#define CALLEE "r9-callee"

static atomic_int hung; /* requests the callee got */

static void h_hang(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)room;
    (void)req;
    (void)inv;
    (void)user;
    atomic_fetch_add(&hung, 1);
}

typedef struct {
    lkc_room_t *room;
    atomic_int *started;
    atomic_int *returned;
    int rc;
    gint64 returned_us;
    lkc_rpc_result_t *res;
} caller_t;

static void *caller_thread(void *arg)
{
    caller_t *c = arg;
    lkc_rpc_options_t o;
    lkc_rpc_options_init(&o);
    o.response_timeout_ms = 60000;
    o.ack_timeout_ms = 60000;
    atomic_fetch_add(c->started, 1);
    c->rc = lkc_rpc_call(c->room, CALLEE, "hang", "zzz", &o, &c->res);
    c->returned_us = g_get_monotonic_time();
    atomic_fetch_add(c->returned, 1);
    return NULL;
}

typedef struct {
    atomic_int count;
    uint32_t code;
    char message[64];
} async_t;

static void async_done(lkc_room_t *room, const lkc_rpc_result_t *res, void *user)
{
    (void)room;
    async_t *a = user;
    a->code = res->error_code;
    g_strlcpy(a->message, res->error_message ? res->error_message : "", sizeof a->message);
    atomic_fetch_add(&a->count, 1);
}

static void iteration(const char *room_name, int it, gint64 *slowest)
{
    char identity[32];
    g_snprintf(identity, sizeof identity, "r9-caller-%d", it);
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *r = lkc_test_join(room_name, identity, ev, NULL);
    bool race = it % 2 == 1;
    bool close_first = it % 4 == 2;

    async_t a = {0};
    lkc_rpc_options_t o;
    lkc_rpc_options_init(&o);
    o.response_timeout_ms = 60000;
    int before = atomic_load(&hung);
    CHECK_OK(lkc_rpc_call_async(r, CALLEE, "hang", "async", &o, async_done, &a));

    atomic_int started = 0, returned = 0;
    caller_t c[CALLERS];
    pthread_t th[CALLERS];
    for (int i = 0; i < CALLERS; i++) {
        c[i] = (caller_t){.room = r, .started = &started, .returned = &returned, .rc = 1};
        CHECK(pthread_create(&th[i], NULL, caller_thread, &c[i]) == 0, "pthread_create");
    }
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (atomic_load(&started) < CALLERS)
        g_usleep(50);
    if (!race) {
        while (atomic_load(&hung) < before + CALLERS + 1) {
            CHECK(atomic_load(&returned) == 0, "iteration %d: a call returned before the destroy", it);
            CHECK(g_get_monotonic_time() < deadline, "iteration %d: the callee got %d of %d requests", it,
                  atomic_load(&hung) - before, CALLERS + 1);
            g_usleep(1000);
        }
        g_usleep(20000); /* the callers are past the engine's hand-off, waiting for the outcome */
    }
    gint64 t0 = g_get_monotonic_time();
    if (close_first) {
        CHECK_OK(lkc_room_close(r));
        CHECK_EQ_INT(atomic_load(&a.count), 1); /* the session's end ran it */
    } else {
        lkc_room_destroy(r);
        CHECK_EQ_INT(atomic_load(&a.count), 1); /* before destroy returned */
    }
    deadline = t0 + 5 * G_USEC_PER_SEC;
    while (atomic_load(&returned) < CALLERS) {
        CHECK(g_get_monotonic_time() < deadline, "iteration %d: %d of %d calls still blocked 5 s after the end", it,
              CALLERS - atomic_load(&returned), CALLERS);
        g_usleep(100);
    }
    for (int i = 0; i < CALLERS; i++) {
        pthread_join(th[i], NULL);
        bool ok = c[i].rc == LKC_ERR_CLOSED || (race && c[i].rc == LKC_ERR_STATE);
        CHECK(ok, "iteration %d caller %d: lkc_rpc_call returned %s%s", it, i, lkc_err_str(c[i].rc),
              c[i].res ? " with a result" : "");
        CHECK(c[i].res == NULL, "a result with an error");
        gint64 took = c[i].returned_us - t0;
        CHECK(took < PROMPT_US, "iteration %d caller %d: returned %lld us after the end", it, i, (long long)took);
        *slowest = MAX(*slowest, took);
    }
    if (close_first)
        lkc_room_destroy(r);
    CHECK_EQ_INT(atomic_load(&a.count), 1);
    CHECK_EQ_INT(a.code, LKC_RPC_RECIPIENT_DISCONNECTED);
    CHECK_STR(a.message, "room disconnected");
    lkc_test_events_free(ev);
}

int main(void)
{
    lkc_test_env();
    char *room = lkc_test_room_name("r9-rpc");
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *callee = lkc_test_join(room, CALLEE, ev, NULL);
    CHECK_OK(lkc_rpc_register(callee, "hang", h_hang, NULL));

    gint64 slowest = 0, t_start = g_get_monotonic_time();
    int base_threads = 0, base_fds = 0;
    for (int it = 0; it <= ITERATIONS; it++) {
        if (it == 1) { /* after a warm-up round */
            g_usleep(100000);
            base_threads = lkc_test_thread_count();
            base_fds = lkc_test_fd_count();
        }
        iteration(room, it, &slowest);
    }
    lkc_test_check_baseline(base_threads, base_fds, "rooms destroyed under blocked RPC calls");
    fprintf(stderr, "%d (+ 1 warm-up) iterations x %d blocked callers + 1 async call in %.1f s: all ended "
            "(LKC_ERR_CLOSED; async 1503), slowest %lld us after the destroy/close\n",
            ITERATIONS, CALLERS, (double)(g_get_monotonic_time() - t_start) / 1e6, (long long)slowest);
    lkc_room_destroy(callee);
    lkc_test_events_free(ev);
    g_free(room);
    return 0;
}
