/* RPC between lkc and the official Python SDK (livekit 1.2.0) through the real server,
 * both ways: success, an application error with code, message and data, an unknown
 * method (1400), a response timeout (1502), an absent callee (1401), payloads at and
 * over the v1 limit (which one applies depends on the peer's client_protocol, printed),
 * a large response, 100 concurrent calls, answers from another thread, a second answer
 * (LKC_ERR_NOT_FOUND), the blocking call refused inside a handler and the async one used
 * there instead, a call by the server (RoomService.PerformRpc through Twirp), and a call
 * in flight when the callee leaves (1503). Python 1.2.0 advertises client_protocol 2, so
 * everything runs v2 (text streams) except a v1 phase in which the test makes lkc believe
 * the peer advertises 0 (v1 requests and responses to the real SDK, 1402 and 1504 at the
 * limit) and the server's calls (always v1). */
#include <pthread.h>

#include "events.h"
#include "room/room_core.h"
#include "interop.h"
#include "peer.h"
#include "twirp.h"

#define LKC_ID "lkc-rpc"
#define PY_ID "py-rpc"

/* --- what lkc's handlers saw (engine thread writes, test thread reads) ---------------- */

static struct {
    pthread_mutex_t lock;
    int invoked;
    char caller[128];
    char request_id[64];
    uint32_t timeout_ms;
    size_t payload_len;
    lkc_err_t second_answer;    /* "twice": the second lkc_rpc_respond */
    lkc_err_t nested_blocking;  /* "nested": lkc_rpc_call inside a handler */
    lkc_rpc_invocation_t never; /* "never": not answered */
} seen = {.lock = PTHREAD_MUTEX_INITIALIZER, .second_answer = 1, .nested_blocking = 1};

static void note(const lkc_rpc_request_t *req)
{
    pthread_mutex_lock(&seen.lock);
    seen.invoked++;
    g_strlcpy(seen.caller, req->caller_identity, sizeof seen.caller);
    g_strlcpy(seen.request_id, req->request_id, sizeof seen.request_id);
    seen.timeout_ms = req->response_timeout_ms;
    seen.payload_len = req->payload_len;
    pthread_mutex_unlock(&seen.lock);
}

static void h_echo(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)user;
    note(req);
    CHECK_OK(lkc_rpc_respond(room, inv, req->payload));
}

static void h_fail(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)user;
    note(req);
    CHECK_OK(lkc_rpc_respond_error(room, inv, 4001, "lkc failed", "some data"));
}

static void h_twice(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)user;
    CHECK_OK(lkc_rpc_respond(room, inv, "first"));
    lkc_err_t rc = lkc_rpc_respond(room, inv, "second");
    pthread_mutex_lock(&seen.lock);
    seen.second_answer = rc;
    pthread_mutex_unlock(&seen.lock);
    note(req);
}

static void h_never(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)room;
    (void)user;
    pthread_mutex_lock(&seen.lock);
    seen.never = inv;
    pthread_mutex_unlock(&seen.lock);
    note(req);
}

static void h_whoami(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)user;
    note(req);
    CHECK_OK(lkc_rpc_respond(room, inv, req->caller_identity));
}

/* "later": answered 50 ms later from another thread */
typedef struct {
    lkc_room_t *room;
    lkc_rpc_invocation_t inv;
    char *payload;
} later_t;

static gpointer later_thread(gpointer p)
{
    later_t *l = p;
    g_usleep(50000);
    CHECK_OK(lkc_rpc_respond(l->room, l->inv, l->payload));
    g_free(l->payload);
    g_free(l);
    return NULL;
}

static void h_later(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)user;
    note(req);
    later_t *l = g_new0(later_t, 1);
    l->room = room;
    l->inv = inv;
    l->payload = g_strdup_printf("later:%s", req->payload);
    g_thread_unref(g_thread_new("later", later_thread, l));
}

/* "nested": the blocking call is refused here; the async one asks the caller's echo */
static void nested_done(lkc_room_t *room, const lkc_rpc_result_t *res, void *user)
{
    lkc_rpc_invocation_t *inv = user;
    if (res->error_code)
        lkc_rpc_respond_error(room, *inv, res->error_code, res->error_message, NULL);
    else
        lkc_rpc_respond(room, *inv, res->payload);
    g_free(inv);
}

static void h_nested(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)user;
    lkc_rpc_result_t *res = NULL;
    lkc_err_t rc = lkc_rpc_call(room, req->caller_identity, "echo", "x", NULL, &res);
    pthread_mutex_lock(&seen.lock);
    seen.nested_blocking = rc;
    pthread_mutex_unlock(&seen.lock);
    lkc_rpc_result_free(res);
    lkc_rpc_invocation_t *p = g_new(lkc_rpc_invocation_t, 1);
    *p = inv;
    char *payload = g_strdup_printf("nested:%s", req->payload);
    CHECK_OK(lkc_rpc_call_async(room, req->caller_identity, "echo", payload, NULL, nested_done, p));
    g_free(payload);
    note(req);
}

static void h_big(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)user;
    note(req);
    size_t n = (size_t)g_ascii_strtoull(req->payload, NULL, 10);
    char *s = g_malloc(n + 1);
    memset(s, 'L', n);
    s[n] = 0;
    CHECK_OK(lkc_rpc_respond(room, inv, s));
    g_free(s);
}

/* --- helpers ------------------------------------------------------------------------- */

static lkc_rpc_result_t *call(lkc_room_t *r, const char *to, const char *method, const char *payload,
                              int timeout_ms)
{
    lkc_rpc_options_t o;
    lkc_rpc_options_init(&o);
    if (timeout_ms > 0)
        o.response_timeout_ms = timeout_ms;
    lkc_rpc_result_t *res = NULL;
    CHECK_OK(lkc_rpc_call(r, to, method, payload, &o, &res));
    CHECK(res != NULL, "no result");
    return res;
}

static char *repeat(char c, size_t n)
{
    char *s = g_malloc(n + 1);
    memset(s, c, n);
    s[n] = 0;
    return s;
}

static JsonObject *py_call(lkc_test_peer_t *py, const char *tag, const char *method, const char *payload,
                           int size, int timeout_ms, int wait_ms)
{
    lkc_test_peer_cmd(py,
                      "{\"cmd\":\"perform_rpc\",\"to\":\"" LKC_ID "\",\"method\":\"%s\",\"payload\":\"%s\","
                      "\"size\":%d,\"timeout_ms\":%d,\"tag\":\"%s\"}",
                      method, payload, size, timeout_ms, tag);
    for (int waited = 0; waited < wait_ms; waited += 50) {
        JsonObject *o = lkc_test_peer_wait(py, "rpc_result", "tag", tag, 1, 0);
        if (!o)
            o = lkc_test_peer_wait(py, "rpc_error", "tag", tag, 1, 0);
        if (o)
            return o;
        g_usleep(50000);
    }
    CHECK(false, "the peer's call %s (%s) did not end within %d ms", tag, method, wait_ms);
    return NULL;
}

static int client_protocol_of(lkc_room_t *r, const char *identity)
{
    lkc_participant_list_t *list = NULL;
    CHECK_OK(lkc_room_get_participants(r, &list));
    int cp = -1;
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->items[i].identity, identity) == 0)
            cp = list->items[i].client_protocol;
    lkc_participant_list_free(list);
    return cp;
}

/* Python 1.2.0 advertises client_protocol 2, so lkc talks v2 to it. To run the v1 paths
 * against the real SDK (which still reads v1), the test sets the peer's client_protocol to
 * 0 in lkc's own model (the storage the RPC part reads): lkc then sends v1 requests and
 * v1 responses to it. Set again before each call, in case an update rewrote it. */
static void pretend_v1(lkc_room_t *r, const char *identity)
{
    pthread_mutex_lock(&r->lock);
    for (guint i = 0; r->remotes && i < r->remotes->len; i++) {
        lkc_participant_info_t *p = g_ptr_array_index(r->remotes, i);
        if (strcmp(p->identity, identity) == 0)
            p->client_protocol = 0;
    }
    pthread_mutex_unlock(&r->lock);
}

/* --- async many --------------------------------------------------------------------- */

static struct {
    pthread_mutex_t lock;
    int done;
    int ok;
    uint32_t last_code;
} many = {.lock = PTHREAD_MUTEX_INITIALIZER};

typedef struct {
    char expect[32];
} many_call_t;

static void many_done(lkc_room_t *room, const lkc_rpc_result_t *res, void *user)
{
    (void)room;
    many_call_t *m = user;
    pthread_mutex_lock(&many.lock);
    many.done++;
    many.last_code = res->error_code;
    if (res->error_code == 0 && strcmp(res->payload, m->expect) == 0)
        many.ok++;
    pthread_mutex_unlock(&many.lock);
    g_free(m);
}

/* Waits (polling) until `n` async calls are done; returns how many are. */
static int many_wait(int n, int timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        pthread_mutex_lock(&many.lock);
        int d = many.done;
        pthread_mutex_unlock(&many.lock);
        if (d >= n || g_get_monotonic_time() > end)
            return d;
        g_usleep(5000);
    }
}

int main(void)
{
    lkc_test_env();
    char *room = lkc_test_room_name("rpc");
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *r = lkc_test_join(room, LKC_ID, ev, NULL);
    CHECK_OK(lkc_rpc_register(r, "echo", h_echo, NULL));
    CHECK_EQ_INT(lkc_rpc_register(r, "echo", h_echo, NULL), LKC_ERR_STATE);
    CHECK_OK(lkc_rpc_register(r, "fail", h_fail, NULL));
    CHECK_OK(lkc_rpc_register(r, "twice", h_twice, NULL));
    CHECK_OK(lkc_rpc_register(r, "never", h_never, NULL));
    CHECK_OK(lkc_rpc_register(r, "later", h_later, NULL));
    CHECK_OK(lkc_rpc_register(r, "nested", h_nested, NULL));
    CHECK_OK(lkc_rpc_register(r, "big", h_big, NULL));
    CHECK_OK(lkc_rpc_register(r, "whoami", h_whoami, NULL));
    CHECK_OK(lkc_rpc_register(r, "gone", h_echo, NULL));
    CHECK_OK(lkc_rpc_unregister(r, "gone"));

    lkc_test_peer_t *py = lkc_test_peer_start(room, PY_ID, NULL);
    CHECK(lkc_test_peer_wait(py, "rpc_ready", NULL, NULL, 1, 10000), "the peer did not register its methods");
    CHECK(lkc_test_events_wait(ev, "participant_connected", PY_ID, 1, 15000), "lkc did not see the peer");

    /* what each side advertises: lkc's model and the server's view */
    int py_cp = client_protocol_of(r, PY_ID);
    GPtrArray *ps = lkc_test_list_participants(room);
    JsonObject *pyo = lkc_test_find_participant(ps, PY_ID), *lko = lkc_test_find_participant(ps, LKC_ID);
    /* the server's Twirp JSON uses the proto field names */
    long long py_srv = pyo && json_object_has_member(pyo, "client_protocol")
                           ? json_object_get_int_member(pyo, "client_protocol") : 0;
    long long lkc_srv = lko && json_object_has_member(lko, "client_protocol")
                            ? json_object_get_int_member(lko, "client_protocol") : 0;
    fprintf(stderr, "client_protocol: python %d in lkc's model, %lld on the server; lkc %lld on the server\n",
            py_cp, py_srv, lkc_srv);
    g_ptr_array_unref(ps);
    CHECK(py_cp >= 0, "python is not in lkc's model");
    CHECK_EQ_INT(py_srv, py_cp);
    CHECK_EQ_INT(lkc_srv, 2);
    bool py_v2 = py_cp >= 1;

    /* ---- lkc -> python ---- */
    lkc_rpc_result_t *res = call(r, PY_ID, "echo", "hello", 0);
    CHECK_EQ_INT(res->error_code, 0);
    CHECK_STR(res->payload, "hello");
    fprintf(stderr, "lkc -> python echo: %lld ms (%s)\n", (long long)res->round_trip_ms, py_v2 ? "v2" : "v1");
    lkc_rpc_result_free(res);
    JsonObject *inv = lkc_test_peer_wait(py, "rpc_invoked", "method", "echo", 1, 5000);
    CHECK(inv, "python saw no invocation");
    CHECK_STR(json_object_get_string_member(inv, "caller"), LKC_ID);
    CHECK_EQ_INT(json_object_get_int_member(inv, "response_timeout_ms"), 15000);

    res = call(r, PY_ID, "whoami", "", 0);
    CHECK_STR(res->payload, LKC_ID);
    lkc_rpc_result_free(res);

    res = call(r, PY_ID, "fail", "{\"code\":4002,\"message\":\"bad thing\",\"data\":\"xyz\"}", 0);
    CHECK_EQ_INT(res->error_code, 4002);
    CHECK_STR(res->error_message, "bad thing");
    CHECK_STR(res->error_data, "xyz");
    CHECK(res->payload == NULL, "an error with a payload");
    lkc_rpc_result_free(res);

    res = call(r, PY_ID, "no_such_method", "", 0);
    CHECK_EQ_INT(res->error_code, LKC_RPC_UNSUPPORTED_METHOD);
    lkc_rpc_result_free(res);

    res = call(r, "nobody-here", "echo", "", 0);
    CHECK_EQ_INT(res->error_code, LKC_RPC_RECIPIENT_NOT_FOUND);
    CHECK(res->round_trip_ms < 100, "1401 took %lld ms", (long long)res->round_trip_ms);
    lkc_rpc_result_free(res);

    gint64 t0 = g_get_monotonic_time();
    res = call(r, PY_ID, "slow", "3", 1000);
    gint64 took = (g_get_monotonic_time() - t0) / 1000;
    CHECK_EQ_INT(res->error_code, LKC_RPC_RESPONSE_TIMEOUT);
    CHECK(took >= 950 && took < 2000, "the 1000 ms response timeout took %lld ms", (long long)took);
    lkc_rpc_result_free(res);
    inv = lkc_test_peer_wait(py, "rpc_invoked", "method", "slow", 1, 5000);
    CHECK(inv, "python saw no slow invocation");
    CHECK_EQ_INT(json_object_get_int_member(inv, "response_timeout_ms"), 8000); /* max(1000, 8000) */

    /* the v1 limit: at it, and one byte over */
    char *at = repeat('a', LKC_RPC_MAX_PAYLOAD), *over = repeat('o', LKC_RPC_MAX_PAYLOAD + 1);
    res = call(r, PY_ID, "echo", at, 0);
    CHECK_EQ_INT(res->error_code, 0);
    CHECK_EQ_INT(res->payload_len, LKC_RPC_MAX_PAYLOAD);
    lkc_rpc_result_free(res);
    res = call(r, PY_ID, "echo", over, 0);
    if (py_v2) {
        CHECK_EQ_INT(res->error_code, 0);
        CHECK_STR(res->payload, over);
    } else {
        CHECK_EQ_INT(res->error_code, LKC_RPC_REQUEST_PAYLOAD_TOO_LARGE);
    }
    lkc_rpc_result_free(res);
    if (py_v2) {
        char *huge = repeat('h', 200000);
        res = call(r, PY_ID, "echo", huge, 0);
        CHECK_EQ_INT(res->error_code, 0);
        CHECK_EQ_INT(res->payload_len, 200000);
        fprintf(stderr, "lkc -> python 200 kB echo (v2): %lld ms\n", (long long)res->round_trip_ms);
        lkc_rpc_result_free(res);
        g_free(huge);
    }
    /* a large response: python answers lkc (client_protocol 2) with a text stream */
    res = call(r, PY_ID, "big", "40000", 0);
    CHECK_EQ_INT(res->error_code, 0);
    CHECK_EQ_INT(res->payload_len, 40000);
    lkc_rpc_result_free(res);

    /* 100 concurrent calls */
    t0 = g_get_monotonic_time();
    for (int i = 0; i < 100; i++) {
        many_call_t *m = g_new0(many_call_t, 1);
        g_snprintf(m->expect, sizeof m->expect, "c%d", i);
        CHECK_OK(lkc_rpc_call_async(r, PY_ID, "echo", m->expect, NULL, many_done, m));
    }
    many_wait(100, 20000);
    pthread_mutex_lock(&many.lock);
    int done = many.done, ok = many.ok;
    pthread_mutex_unlock(&many.lock);
    CHECK(done == 100 && ok == 100, "100 concurrent calls: %d done, %d right", done, ok);
    fprintf(stderr, "lkc -> python: 100 concurrent calls in %lld ms\n",
            (long long)((g_get_monotonic_time() - t0) / 1000));

    /* ---- v1 both ways with the real SDK (see pretend_v1) ---- */
    pretend_v1(r, PY_ID);
    res = call(r, PY_ID, "echo", "v1 hello", 0);
    CHECK(res->error_code == 0, "v1 echo: %u %s", res->error_code, res->error_message);
    CHECK_STR(res->payload, "v1 hello");
    lkc_rpc_result_free(res);
    pretend_v1(r, PY_ID);
    res = call(r, PY_ID, "echo", at, 0); /* at the limit: a v1 packet */
    CHECK_EQ_INT(res->error_code, 0);
    CHECK_EQ_INT(res->payload_len, LKC_RPC_MAX_PAYLOAD);
    lkc_rpc_result_free(res);
    pretend_v1(r, PY_ID);
    t0 = g_get_monotonic_time();
    res = call(r, PY_ID, "echo", over, 0); /* over: refused before sending */
    CHECK_EQ_INT(res->error_code, LKC_RPC_REQUEST_PAYLOAD_TOO_LARGE);
    CHECK((g_get_monotonic_time() - t0) < 100000, "1402 was not at once");
    lkc_rpc_result_free(res);
    pretend_v1(r, PY_ID);
    res = call(r, PY_ID, "fail", "{\"code\":4003,\"message\":\"v1 bad\",\"data\":\"v1 data\"}", 0);
    CHECK_EQ_INT(res->error_code, 4003);
    CHECK_STR(res->error_message, "v1 bad");
    CHECK_STR(res->error_data, "v1 data");
    lkc_rpc_result_free(res);
    /* python calls lkc (still v2: lkc advertises 2); lkc answers in v1 packets */
    pretend_v1(r, PY_ID);
    JsonObject *v1o = py_call(py, "v1a", "echo", "", LKC_RPC_MAX_PAYLOAD, 0, 10000);
    CHECK_STR(json_object_get_string_member(v1o, "event"), "rpc_result");
    CHECK_EQ_INT(json_object_get_int_member(v1o, "payload_len"), LKC_RPC_MAX_PAYLOAD);
    pretend_v1(r, PY_ID);
    v1o = py_call(py, "v1b", "big", "15361", 0, 0, 10000); /* over the v1 limit: 1504 */
    CHECK_STR(json_object_get_string_member(v1o, "event"), "rpc_error");
    CHECK_EQ_INT(json_object_get_int_member(v1o, "code"), LKC_RPC_RESPONSE_PAYLOAD_TOO_LARGE);
    fprintf(stderr, "v1 both ways with the Python SDK: ok (1402 and 1504 at the limit)\n");
    /* back to what python advertises: the next participant update would do it too */
    pthread_mutex_lock(&r->lock);
    for (guint i = 0; r->remotes && i < r->remotes->len; i++) {
        lkc_participant_info_t *p = g_ptr_array_index(r->remotes, i);
        if (strcmp(p->identity, PY_ID) == 0)
            p->client_protocol = py_cp;
    }
    pthread_mutex_unlock(&r->lock);

    /* ---- python -> lkc ---- */
    JsonObject *o = py_call(py, "p1", "echo", "from python", 0, 0, 10000);
    CHECK_STR(json_object_get_string_member(o, "event"), "rpc_result");
    CHECK_STR(json_object_get_string_member(o, "payload"), "from python");
    pthread_mutex_lock(&seen.lock);
    fprintf(stderr, "python -> lkc echo: %.1f ms; lkc saw the caller \"%s\", timeout %u ms\n",
            json_object_get_double_member(o, "ms"), seen.caller, seen.timeout_ms);
    CHECK_STR(seen.caller, PY_ID);
    pthread_mutex_unlock(&seen.lock);

    o = py_call(py, "p2", "fail", "f", 0, 0, 10000);
    CHECK_STR(json_object_get_string_member(o, "event"), "rpc_error");
    CHECK_EQ_INT(json_object_get_int_member(o, "code"), 4001);
    CHECK_STR(json_object_get_string_member(o, "message"), "lkc failed");
    CHECK_STR(json_object_get_string_member(o, "data"), "some data");

    o = py_call(py, "p3", "gone", "g", 0, 0, 10000);
    CHECK_STR(json_object_get_string_member(o, "event"), "rpc_error");
    CHECK_EQ_INT(json_object_get_int_member(o, "code"), LKC_RPC_UNSUPPORTED_METHOD);

    o = py_call(py, "p4", "later", "abc", 0, 0, 10000);
    CHECK_STR(json_object_get_string_member(o, "payload"), "later:abc");

    o = py_call(py, "p5", "twice", "t", 0, 0, 10000);
    CHECK_STR(json_object_get_string_member(o, "payload"), "first");
    pthread_mutex_lock(&seen.lock);
    CHECK_EQ_INT(seen.second_answer, LKC_ERR_NOT_FOUND);
    pthread_mutex_unlock(&seen.lock);

    o = py_call(py, "p6", "nested", "n1", 0, 0, 10000);
    CHECK_STR(json_object_get_string_member(o, "event"), "rpc_result");
    CHECK_STR(json_object_get_string_member(o, "payload"), "nested:n1");
    pthread_mutex_lock(&seen.lock);
    CHECK_EQ_INT(seen.nested_blocking, LKC_ERR_STATE);
    pthread_mutex_unlock(&seen.lock);

    o = py_call(py, "p7", "whoami", "w", 0, 0, 10000);
    CHECK_STR(json_object_get_string_member(o, "payload"), PY_ID);

    /* at the v1 limit, over it, and far over it: lkc (client_protocol 2) gets v2 streams */
    o = py_call(py, "p8", "echo", "", LKC_RPC_MAX_PAYLOAD, 0, 10000);
    CHECK_EQ_INT(json_object_get_int_member(o, "payload_len"), LKC_RPC_MAX_PAYLOAD);
    o = py_call(py, "p9", "echo", "", LKC_RPC_MAX_PAYLOAD + 1, 0, 10000);
    CHECK_STR(json_object_get_string_member(o, "event"), "rpc_result");
    CHECK_EQ_INT(json_object_get_int_member(o, "payload_len"), LKC_RPC_MAX_PAYLOAD + 1);
    o = py_call(py, "p10", "echo", "", 200000, 0, 15000);
    CHECK_STR(json_object_get_string_member(o, "event"), "rpc_result");
    CHECK_EQ_INT(json_object_get_int_member(o, "payload_len"), 200000);
    o = py_call(py, "p11", "big", "30000", 0, 0, 10000);
    CHECK_EQ_INT(json_object_get_int_member(o, "payload_len"), 30000);

    /* a handler that never answers: the caller's response timeout */
    o = py_call(py, "p12", "never", "n", 0, 2000, 15000);
    CHECK_STR(json_object_get_string_member(o, "event"), "rpc_error");
    CHECK_EQ_INT(json_object_get_int_member(o, "code"), LKC_RPC_RESPONSE_TIMEOUT);
    pthread_mutex_lock(&seen.lock);
    lkc_rpc_invocation_t never = seen.never;
    uint32_t never_timeout = seen.timeout_ms;
    pthread_mutex_unlock(&seen.lock);
    fprintf(stderr, "python's 2000 ms call: lkc was told %u ms\n", never_timeout);
    if (never_timeout <= 10000) {
        g_usleep((gulong)never_timeout * 1000 + 300000);
        CHECK_EQ_INT(lkc_rpc_respond(r, never, "too late"), LKC_ERR_NOT_FOUND);
    }

    /* an empty payload (an empty text stream) */
    o = py_call(py, "p13", "echo", "", 0, 0, 10000);
    CHECK_STR(json_object_get_string_member(o, "event"), "rpc_result");
    CHECK_STR(json_object_get_string_member(o, "payload"), "");

    /* 100 concurrent calls from python */
    lkc_test_peer_cmd(py, "{\"cmd\":\"perform_many\",\"to\":\"" LKC_ID "\",\"method\":\"echo\",\"count\":100,"
                          "\"prefix\":\"q\",\"tag\":\"many\"}");
    o = lkc_test_peer_wait(py, "rpc_many", "tag", "many", 1, 30000);
    CHECK(o, "no rpc_many");
    CHECK_EQ_INT(json_object_get_int_member(o, "ok"), 100);
    fprintf(stderr, "python -> lkc: 100 concurrent calls in %.0f ms\n", json_object_get_double_member(o, "ms"));

    /* ---- the server calls lkc (RoomService.PerformRpc) ---- */
    pthread_mutex_lock(&seen.lock);
    int before = seen.invoked;
    pthread_mutex_unlock(&seen.lock);
    char *body = g_strdup_printf("{\"room\":\"%s\",\"destination_identity\":\"" LKC_ID "\",\"method\":\"echo\","
                                 "\"payload\":\"from the server\",\"response_timeout_ms\":5000}",
                                 room);
    JsonObject *sr = lkc_test_twirp("PerformRpc", room, body, false);
    CHECK(sr && json_object_has_member(sr, "payload"), "PerformRpc answered without a payload");
    CHECK_STR(json_object_get_string_member(sr, "payload"), "from the server");
    json_object_unref(sr);
    g_free(body);
    pthread_mutex_lock(&seen.lock);
    CHECK_EQ_INT(seen.invoked, before + 1);
    CHECK_STR(seen.caller, seen.request_id); /* the server names the request id as the caller */
    pthread_mutex_unlock(&seen.lock);
    body = g_strdup_printf("{\"room\":\"%s\",\"destination_identity\":\"" LKC_ID "\",\"method\":\"fail\","
                           "\"payload\":\"\",\"response_timeout_ms\":5000}",
                           room);
    sr = lkc_test_twirp("PerformRpc", room, body, true);
    CHECK(sr == NULL, "PerformRpc of a failing method succeeded");
    g_free(body);

    /* ---- a call in flight when the callee leaves: 1503 ---- */
    pthread_mutex_lock(&many.lock);
    many.done = many.ok = 0;
    pthread_mutex_unlock(&many.lock);
    many_call_t *m = g_new0(many_call_t, 1);
    g_strlcpy(m->expect, "never", sizeof m->expect);
    CHECK_OK(lkc_rpc_call_async(r, PY_ID, "slow", "30", NULL, many_done, m));
    lkc_test_peer_wait(py, "rpc_invoked", "method", "slow", 2, 5000);
    lkc_test_peer_stop(py);
    CHECK(lkc_test_events_wait(ev, "participant_disconnected", PY_ID, 1, 15000), "lkc did not see the peer leave");
    many_wait(1, 5000);
    pthread_mutex_lock(&many.lock);
    CHECK_EQ_INT(many.done, 1);
    CHECK_EQ_INT(many.last_code, LKC_RPC_RECIPIENT_DISCONNECTED);
    pthread_mutex_unlock(&many.lock);
    res = call(r, PY_ID, "echo", "", 0);
    CHECK_EQ_INT(res->error_code, LKC_RPC_RECIPIENT_NOT_FOUND);
    lkc_rpc_result_free(res);

    g_free(at);
    g_free(over);
    lkc_room_destroy(r);
    lkc_test_events_free(ev);
    g_free(room);
    return 0;
}
