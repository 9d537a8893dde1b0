/* RPC across a full reconnect (the server's SimulateScenario NODE_FAILURE): calls in flight
 * from the room that reconnects end with LKC_RPC_SEND_FAILED and a message saying the
 * connection was re-established (a blocked lkc_rpc_call returns LKC_OK with that result,
 * an async call's done runs once); the methods registered before stay registered, so the
 * reconnected room answers again; a caller whose callee went through a full reconnect
 * sees its call end (1503: the callee's old session left) and can call it again. */
#include <pthread.h>
#include <stdatomic.h>

#include "events.h"
#include "interop.h"
#include "room/test_hooks.h"

static atomic_int hung;

static void h_hang(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)room;
    (void)req;
    (void)inv;
    (void)user;
    atomic_fetch_add(&hung, 1);
}

static void h_echo(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)user;
    lkc_rpc_respond(room, inv, req->payload);
}

typedef struct {
    atomic_int count;
    uint32_t code;
    char message[160];
} async_t;

static void async_done(lkc_room_t *room, const lkc_rpc_result_t *res, void *user)
{
    (void)room;
    async_t *a = user;
    a->code = res->error_code;
    g_strlcpy(a->message, res->error_message ? res->error_message : "", sizeof a->message);
    atomic_fetch_add(&a->count, 1);
}

typedef struct {
    lkc_room_t *room;
    const char *to;
    int rc;
    lkc_rpc_result_t *res;
    atomic_bool returned;
} blocked_t;

static void *blocked_call(void *p)
{
    blocked_t *b = p;
    lkc_rpc_options_t o;
    lkc_rpc_options_init(&o);
    o.response_timeout_ms = 60000;
    b->rc = lkc_rpc_call(b->room, b->to, "hang", "h", &o, &b->res);
    atomic_store(&b->returned, true);
    return NULL;
}

static bool wait_count(atomic_int *n, int want, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (atomic_load(n) < want && g_get_monotonic_time() < end)
        g_usleep(2000);
    return atomic_load(n) >= want;
}

static void echo_works(lkc_room_t *from, const char *to, const char *what)
{
    lkc_rpc_result_t *res = NULL;
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    for (;;) { /* the other side may not be in our model yet: 1401 until it is */
        CHECK_OK(lkc_rpc_call(from, to, "echo", what, NULL, &res));
        if (res->error_code != LKC_RPC_RECIPIENT_NOT_FOUND || g_get_monotonic_time() > end)
            break;
        lkc_rpc_result_free(res);
        g_usleep(50000);
    }
    CHECK(res->error_code == 0, "%s: %u %s", what, res->error_code, res->error_message);
    CHECK_STR(res->payload, what);
    lkc_rpc_result_free(res);
}

int main(void)
{
    lkc_test_env();
    char *room = lkc_test_room_name("rpc-rc");
    lkc_test_events_t *eva = lkc_test_events_new(), *evb = lkc_test_events_new();
    lkc_room_t *a = lkc_test_join(room, "rpc-rc-a", eva, NULL);
    lkc_room_t *b = lkc_test_join(room, "rpc-rc-b", evb, NULL);
    CHECK_OK(lkc_rpc_register(a, "echo", h_echo, NULL));
    CHECK_OK(lkc_rpc_register(b, "echo", h_echo, NULL));
    CHECK_OK(lkc_rpc_register(b, "hang", h_hang, NULL));
    CHECK(lkc_test_events_wait(eva, "participant_connected", "rpc-rc-b", 1, 15000), "a did not see b");
    echo_works(a, "rpc-rc-b", "before");

    /* the caller reconnects (full) with calls in flight */
    async_t as = {0};
    lkc_rpc_options_t o;
    lkc_rpc_options_init(&o);
    o.response_timeout_ms = 60000;
    CHECK_OK(lkc_rpc_call_async(a, "rpc-rc-b", "hang", "h", &o, async_done, &as));
    blocked_t bl = {.room = a, .to = "rpc-rc-b", .rc = 1};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, blocked_call, &bl) == 0, "pthread_create");
    CHECK(wait_count(&hung, 2, 10000), "b got %d of 2 requests", atomic_load(&hung));
    CHECK_OK(lkc__room_simulate(a, LKC__SIMULATE_NODE_FAILURE));
    CHECK(lkc_test_events_wait(eva, "reconnected", "full", 1, 20000), "a did not reconnect (full)");
    CHECK(wait_count(&as.count, 1, 5000), "the async call did not end");
    pthread_join(th, NULL);
    fprintf(stderr, "caller's full reconnect: async %u \"%s\"; blocked rc %s, %u \"%s\"\n", as.code, as.message,
            lkc_err_str(bl.rc), bl.res ? bl.res->error_code : 0, bl.res ? bl.res->error_message : "");
    CHECK_EQ_INT(as.code, LKC_RPC_SEND_FAILED);
    CHECK(strstr(as.message, "re-established") != NULL, "message: %s", as.message);
    CHECK_OK(bl.rc);
    CHECK_EQ_INT(bl.res->error_code, LKC_RPC_SEND_FAILED);
    lkc_rpc_result_free(bl.res);
    CHECK_EQ_INT(atomic_load(&as.count), 1);
    echo_works(a, "rpc-rc-b", "after a's reconnect");
    echo_works(b, "rpc-rc-a", "a answers after its reconnect"); /* a's methods stayed registered */

    /* the callee reconnects (full): its old session leaves, our call to it ends */
    async_t as2 = {0};
    CHECK_OK(lkc_rpc_call_async(a, "rpc-rc-b", "hang", "h", &o, async_done, &as2));
    CHECK(wait_count(&hung, 3, 10000), "b did not get the third request");
    CHECK_OK(lkc__room_simulate(b, LKC__SIMULATE_NODE_FAILURE));
    CHECK(lkc_test_events_wait(evb, "reconnected", "full", 1, 20000), "b did not reconnect (full)");
    bool ended = wait_count(&as2.count, 1, 20000);
    if (!ended) {
        GPtrArray *l = lkc_test_events_list(eva, NULL);
        for (guint i = 0; i < l->len; i++) {
            lkc_test_event_t *e = g_ptr_array_index(l, i);
            fprintf(stderr, "a: %s %s %s\n", e->type, e->a ? e->a : "", e->b ? e->b : "");
        }
        g_ptr_array_unref(l);
        lkc_participant_list_t *pl = NULL;
        lkc_room_get_participants(a, &pl);
        for (size_t i = 0; pl && i < pl->n; i++)
            fprintf(stderr, "a's model: %s %s\n", pl->items[i].identity, pl->items[i].sid);
        lkc_participant_list_free(pl);
        l = lkc_test_events_list(evb, NULL);
        for (guint i = 0; i < l->len; i++) {
            lkc_test_event_t *e = g_ptr_array_index(l, i);
            fprintf(stderr, "b: %s %s %s\n", e->type, e->a ? e->a : "", e->b ? e->b : "");
        }
        g_ptr_array_unref(l);
    }
    CHECK(ended, "the call to the reconnected callee did not end");
    fprintf(stderr, "callee's full reconnect: the caller's call ended with %u \"%s\"\n", as2.code, as2.message);
    CHECK(as2.code == LKC_RPC_RECIPIENT_DISCONNECTED || as2.code == LKC_RPC_RESPONSE_TIMEOUT ||
              as2.code == LKC_RPC_SEND_FAILED,
          "code %u", as2.code);
    echo_works(a, "rpc-rc-b", "b answers after its reconnect");

    lkc_room_destroy(a);
    lkc_room_destroy(b);
    lkc_test_events_free(eva);
    lkc_test_events_free(evb);
    g_free(room);
    return 0;
}
