/* room/rpc: the engine half of RPC with fake ports (what it sends is decoded back; who is
 * in the room and their client_protocol come from a table) on a context this test
 * iterates. Calls: v1 and v2 sends, ack/response, 1401/1402 before sending, ack and
 * response timeouts, a departed callee (1503), a full reconnect (1505), the session's
 * end, the bound on calls in flight. Requests: ack first, handler, answers (v1, v2, 1504,
 * errors), a second answer and a late one (LKC_ERR_NOT_FOUND), unknown method, bad
 * version, server-initiated requests, v2 request streams. */
#include <glib.h>

#include "livekit_models.pb-c.h"
#include "lkc/lkc.h"
#include "room/rpc.h"
#include "room/rpc_internal.h"
#include "test.h"

/* --- fake ports ---------------------------------------------------------------------- */

static GPtrArray *sent;        /* Livekit__DataPacket*, decoded */
static GHashTable *members;    /* identity -> client_protocol (GINT_TO_POINTER(cp + 1)) */

static void fake_send(void *user, lkc__outgoing_t *o)
{
    (void)user;
    Livekit__DataPacket *dp = livekit__data_packet__unpack(NULL, o->len, o->encoded);
    CHECK(dp != NULL, "rpc sent bytes that are not a DataPacket");
    g_ptr_array_add(sent, dp);
    lkc__outgoing_free(o);
}

static int fake_cp(void *user, const char *identity, bool *present)
{
    (void)user;
    gpointer v = identity ? g_hash_table_lookup(members, identity) : NULL;
    *present = v != NULL;
    return v ? GPOINTER_TO_INT(v) - 1 : 0;
}

static void member(const char *identity, int cp)
{
    g_hash_table_insert(members, g_strdup(identity), GINT_TO_POINTER(cp + 1));
}

static void free_packet(gpointer p)
{
    livekit__data_packet__free_unpacked(p, NULL);
}

static Livekit__DataPacket *pkt(guint i)
{
    CHECK(i < sent->len, "packet %u of %u sent", i, sent->len);
    return g_ptr_array_index(sent, i);
}

static GMainContext *ctx;
static lkc_room_t *room;

static lkc__rpc_t *new_rpc(void)
{
    g_ptr_array_set_size(sent, 0);
    g_hash_table_remove_all(members);
    lkc__rpc_ports_t ports = {.send = fake_send, .client_protocol = fake_cp, .user = NULL};
    return lkc__rpc_new(room, ctx, &ports);
}

static void spin(int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < end) {
        while (g_main_context_iteration(ctx, FALSE))
            ;
        g_usleep(1000);
    }
}

/* --- outcomes of calls -------------------------------------------------------------- */

typedef struct {
    int count;
    uint32_t code;
    char *payload;
    char *message;
} outcome_t;

static void done(lkc_room_t *r, const lkc_rpc_result_t *res, void *user)
{
    (void)r;
    outcome_t *o = user;
    o->count++;
    o->code = res->error_code;
    g_free(o->payload);
    g_free(o->message);
    o->payload = g_strdup(res->payload);
    o->message = g_strdup(res->error_message);
}

static void outcome_clear(outcome_t *o)
{
    g_free(o->payload);
    g_free(o->message);
    memset(o, 0, sizeof *o);
}

static lkc__rpc_call_t *call(const char *dest, const char *method, const char *payload, int resp_ms, int ack_ms,
                             outcome_t *o)
{
    lkc__rpc_call_t *c = g_new0(lkc__rpc_call_t, 1);
    c->dest = g_strdup(dest);
    c->method = g_strdup(method);
    c->payload = g_strdup(payload);
    c->payload_len = strlen(payload);
    c->response_timeout_ms = resp_ms;
    c->ack_timeout_ms = ack_ms;
    c->done = done;
    c->user = o;
    return c;
}

static int start(lkc__rpc_t *r, lkc__rpc_call_t *c)
{
    lkc__rpc_cmd_t cmd = {.op = LKC__RPC_OP_CALL, .call = c};
    int rc = lkc__rpc_call_command(r, &cmd);
    if (rc != LKC_OK)
        lkc__rpc_call_free(c);
    return rc;
}

static void deliver(lkc__rpc_t *r, Livekit__DataPacket *dp, const char *sender)
{
    uint8_t buf[65536];
    size_t n = livekit__data_packet__pack(dp, buf);
    Livekit__DataPacket *in = livekit__data_packet__unpack(NULL, n, buf);
    lkc__rpc_on_packet(r, in, sender);
    livekit__data_packet__free_unpacked(in, NULL);
}

static void deliver_ack(lkc__rpc_t *r, const char *id, const char *sender)
{
    Livekit__RpcAck a = LIVEKIT__RPC_ACK__INIT;
    a.request_id = (char *)id;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_RPC_ACK;
    dp.rpc_ack = &a;
    deliver(r, &dp, sender);
}

static void deliver_response(lkc__rpc_t *r, const char *id, const char *sender, const char *payload, uint32_t code)
{
    Livekit__RpcError e = LIVEKIT__RPC_ERROR__INIT;
    Livekit__RpcResponse res = LIVEKIT__RPC_RESPONSE__INIT;
    res.request_id = (char *)id;
    if (code) {
        e.code = code;
        e.message = (char *)"nope";
        e.data = (char *)"d";
        res.value_case = LIVEKIT__RPC_RESPONSE__VALUE_ERROR;
        res.error = &e;
    } else {
        res.value_case = LIVEKIT__RPC_RESPONSE__VALUE_PAYLOAD;
        res.payload = (char *)payload;
    }
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_RPC_RESPONSE;
    dp.rpc_response = &res;
    deliver(r, &dp, sender);
}

static void v1_call(void)
{
    lkc__rpc_t *r = new_rpc();
    member("bob", 0);
    outcome_t o = {0};
    CHECK_OK(start(r, call("bob", "echo", "hello", 5000, 5000, &o)));
    CHECK_EQ_INT(sent->len, 1);
    Livekit__DataPacket *q = pkt(0);
    CHECK_EQ_INT(q->value_case, LIVEKIT__DATA_PACKET__VALUE_RPC_REQUEST);
    CHECK_STR(q->destination_identities[0], "bob");
    CHECK_STR(q->rpc_request->method, "echo");
    CHECK_STR(q->rpc_request->payload, "hello");
    CHECK_EQ_INT(q->rpc_request->response_timeout_ms, 8000); /* max(5000, 8000) */
    CHECK_EQ_INT(strlen(q->rpc_request->id), 36);
    char *id = g_strdup(q->rpc_request->id);
    deliver_ack(r, id, "bob");
    deliver_response(r, id, "mallory", "forged", 0); /* not from the callee: ignored */
    CHECK_EQ_INT(o.count, 0);
    deliver_response(r, id, "bob", "HELLO", 0);
    CHECK_EQ_INT(o.count, 1);
    CHECK_EQ_INT(o.code, 0);
    CHECK_STR(o.payload, "HELLO");
    deliver_response(r, id, "bob", "again", 0); /* a second response: nobody waits */
    spin(20);
    CHECK_EQ_INT(o.count, 1);
    /* an error response */
    outcome_clear(&o);
    CHECK_OK(start(r, call("bob", "fail", "", 5000, 5000, &o)));
    deliver_response(r, pkt(1)->rpc_request->id, "bob", NULL, 4001);
    CHECK_EQ_INT(o.count, 1);
    CHECK_EQ_INT(o.code, 4001);
    CHECK_STR(o.message, "nope");
    outcome_clear(&o);
    g_free(id);
    lkc__rpc_free(r);
}

static void early_outcomes(void)
{
    lkc__rpc_t *r = new_rpc();
    member("old", 0);
    member("new", 1);
    outcome_t o = {0};
    CHECK_OK(start(r, call("ghost", "m", "", 5000, 5000, &o)));
    CHECK_EQ_INT(o.count, 0); /* never inside the call itself */
    spin(10);
    CHECK_EQ_INT(o.count, 1);
    CHECK_EQ_INT(o.code, LKC_RPC_RECIPIENT_NOT_FOUND);
    CHECK_EQ_INT(sent->len, 0);
    outcome_clear(&o);
    char *big = g_malloc(LKC_RPC_MAX_PAYLOAD + 2);
    memset(big, 'x', LKC_RPC_MAX_PAYLOAD + 1);
    big[LKC_RPC_MAX_PAYLOAD + 1] = 0;
    CHECK_OK(start(r, call("old", "m", big, 5000, 5000, &o)));
    spin(10);
    CHECK_EQ_INT(o.code, LKC_RPC_REQUEST_PAYLOAD_TOO_LARGE);
    CHECK_EQ_INT(sent->len, 0);
    outcome_clear(&o);
    big[LKC_RPC_MAX_PAYLOAD] = 0; /* at the limit: sent */
    CHECK_OK(start(r, call("old", "m", big, 5000, 5000, &o)));
    CHECK_EQ_INT(sent->len, 1);
    lkc__rpc_free(r); /* the session ends: 1503 */
    CHECK_EQ_INT(o.count, 1);
    CHECK_EQ_INT(o.code, LKC_RPC_RECIPIENT_DISCONNECTED);
    CHECK_STR(o.message, "room disconnected");
    outcome_clear(&o);
    g_free(big);
}

static void v2_call(void)
{
    lkc__rpc_t *r = new_rpc();
    member("new", 2);
    outcome_t o = {0};
    CHECK_OK(start(r, call("new", "echo", "hi there", 20000, 5000, &o)));
    CHECK(sent->len >= 1, "nothing sent");
    Livekit__DataPacket *h = pkt(0);
    CHECK_EQ_INT(h->value_case, LIVEKIT__DATA_PACKET__VALUE_STREAM_HEADER);
    CHECK_STR(h->stream_header->topic, "lk.rpc_request");
    CHECK_STR(h->destination_identities[0], "new");
    const char *id = NULL, *method = NULL, *timeout = NULL, *version = NULL;
    for (size_t i = 0; i < h->stream_header->n_attributes; i++) {
        const char *k = h->stream_header->attributes[i]->key, *v = h->stream_header->attributes[i]->value;
        if (!strcmp(k, "lk.rpc_request_id"))
            id = v;
        else if (!strcmp(k, "lk.rpc_request_method"))
            method = v;
        else if (!strcmp(k, "lk.rpc_request_response_timeout_ms"))
            timeout = v;
        else if (!strcmp(k, "lk.rpc_request_version"))
            version = v;
    }
    CHECK(id && strlen(id) == 36, "no request id attribute");
    CHECK_STR(method, "echo");
    CHECK_STR(timeout, "20000");
    CHECK_STR(version, "2");
    /* client_protocol 2: the content rides inline in the header */
    CHECK(h->stream_header->has_inline_content, "not inline for a v2 peer");
    CHECK_EQ_INT(h->stream_header->inline_content.len, 8);
    /* the answer as a text stream on lk.rpc_response */
    deliver_ack(r, id, "new");
    const lkc_stream_handlers_t *sh = lkc__rpc_stream_handlers();
    lkc_kv_t attrs[] = {{"lk.rpc_request_id", id}};
    lkc_stream_info_t info = {.id = "s1", .topic = "lk.rpc_response", .sender_identity = "new", .is_text = true,
                              .attributes = attrs, .n_attributes = 1};
    int reader;
    sh->on_open(room, (lkc_stream_reader_t *)&reader, &info, r);
    sh->on_chunk(room, (lkc_stream_reader_t *)&reader, (const uint8_t *)"HI ", 3, r);
    sh->on_chunk(room, (lkc_stream_reader_t *)&reader, (const uint8_t *)"THERE", 5, r);
    CHECK_EQ_INT(o.count, 0);
    sh->on_close(room, (lkc_stream_reader_t *)&reader, &info, LKC_OK, "", r);
    CHECK_EQ_INT(o.count, 1);
    CHECK_EQ_INT(o.code, 0);
    CHECK_STR(o.payload, "HI THERE");
    outcome_clear(&o);
    /* a response stream that breaks off: an application error */
    g_ptr_array_set_size(sent, 0);
    CHECK_OK(start(r, call("new", "echo", "x", 20000, 5000, &o)));
    const Livekit__DataStream__Header *h2 = pkt(0)->stream_header;
    for (size_t i = 0; i < h2->n_attributes; i++)
        if (!strcmp(h2->attributes[i]->key, "lk.rpc_request_id"))
            attrs[0].value = h2->attributes[i]->value;
    sh->on_open(room, (lkc_stream_reader_t *)&reader, &info, r);
    sh->on_close(room, (lkc_stream_reader_t *)&reader, &info, LKC_ERR_CLOSED, "sender left", r);
    CHECK_EQ_INT(o.count, 1);
    CHECK_EQ_INT(o.code, LKC_RPC_APPLICATION_ERROR);
    outcome_clear(&o);
    /* a big payload to a v2 peer is not limited */
    char *big = g_malloc(100001);
    memset(big, 'y', 100000);
    big[100000] = 0;
    g_ptr_array_set_size(sent, 0);
    CHECK_OK(start(r, call("new", "echo", big, 20000, 5000, &o)));
    CHECK(sent->len >= 3, "a 100 kB request in %u packets", sent->len);
    g_free(big);
    lkc__rpc_free(r);
    outcome_clear(&o);
}

static void timeouts(void)
{
    lkc__rpc_t *r = new_rpc();
    member("bob", 0);
    outcome_t o1 = {0}, o2 = {0};
    CHECK_OK(start(r, call("bob", "m", "", 500, 30, &o1)));  /* no ack: 1501 */
    CHECK_OK(start(r, call("bob", "m", "", 60, 500, &o2)));  /* acked, no response: 1502 */
    deliver_ack(r, pkt(1)->rpc_request->id, "bob");
    spin(120);
    CHECK_EQ_INT(o1.count, 1);
    CHECK_EQ_INT(o1.code, LKC_RPC_CONNECTION_TIMEOUT);
    CHECK_EQ_INT(o2.count, 1);
    CHECK_EQ_INT(o2.code, LKC_RPC_RESPONSE_TIMEOUT);
    CHECK_STR(o2.message, "Response timeout");
    outcome_clear(&o1);
    outcome_clear(&o2);
    lkc__rpc_free(r);
}

static void departures_and_restart(void)
{
    lkc__rpc_t *r = new_rpc();
    member("bob", 0);
    member("carol", 0);
    outcome_t ob = {0}, oc = {0};
    CHECK_OK(start(r, call("bob", "m", "", 5000, 5000, &ob)));
    CHECK_OK(start(r, call("carol", "m", "", 5000, 5000, &oc)));
    g_hash_table_remove(members, "bob");
    lkc__rpc_on_model_changed(r);
    CHECK_EQ_INT(ob.count, 1);
    CHECK_EQ_INT(ob.code, LKC_RPC_RECIPIENT_DISCONNECTED);
    CHECK_EQ_INT(oc.count, 0);
    lkc__rpc_on_restart(r);
    CHECK_EQ_INT(oc.count, 1);
    CHECK_EQ_INT(oc.code, LKC_RPC_SEND_FAILED);
    CHECK(strstr(oc.message, "re-established") != NULL, "message: %s", oc.message);
    outcome_clear(&ob);
    outcome_clear(&oc);
    lkc__rpc_free(r);
}

/* The callee's identity comes back with a new SID (it rejoined after a full reconnect; the
 * model may list the old session too for a while): the call to the old session ends. */
static void callee_rejoined(void)
{
    lkc__rpc_t *r = new_rpc();
    member("bob", 0);
    lkc_participant_info_t old = {.identity = "bob", .sid = "PA_old"}, now = {.identity = "bob", .sid = "PA_new"};
    GPtrArray *remotes = g_ptr_array_new(); /* borrowed entries: no free function */
    g_ptr_array_add(remotes, &old);
    pthread_mutex_lock(&room->lock);
    room->remotes = remotes;
    pthread_mutex_unlock(&room->lock);
    outcome_t o = {0};
    CHECK_OK(start(r, call("bob", "m", "", 5000, 5000, &o)));
    lkc__rpc_on_model_changed(r); /* nothing changed */
    CHECK_EQ_INT(o.count, 0);
    pthread_mutex_lock(&room->lock);
    g_ptr_array_add(remotes, &now); /* the old one still listed */
    pthread_mutex_unlock(&room->lock);
    lkc__rpc_on_model_changed(r);
    CHECK_EQ_INT(o.count, 1);
    CHECK_EQ_INT(o.code, LKC_RPC_RECIPIENT_DISCONNECTED);
    outcome_clear(&o);
    /* a call made now goes to the newest session and stays when the old one goes */
    CHECK_OK(start(r, call("bob", "m", "", 5000, 5000, &o)));
    pthread_mutex_lock(&room->lock);
    g_ptr_array_remove_index(remotes, 0);
    pthread_mutex_unlock(&room->lock);
    lkc__rpc_on_model_changed(r);
    CHECK_EQ_INT(o.count, 0);
    pthread_mutex_lock(&room->lock);
    room->remotes = NULL;
    pthread_mutex_unlock(&room->lock);
    g_ptr_array_unref(remotes);
    lkc__rpc_free(r);
    outcome_clear(&o);
}

static void bounded(void)
{
    lkc__rpc_t *r = new_rpc();
    member("bob", 0);
    outcome_t *o = g_new0(outcome_t, LKC__RPC_MAX_CALLS + 1);
    for (int i = 0; i < LKC__RPC_MAX_CALLS; i++)
        CHECK_OK(start(r, call("bob", "m", "", 5000, 5000, &o[i])));
    CHECK_EQ_INT(start(r, call("bob", "m", "", 5000, 5000, &o[LKC__RPC_MAX_CALLS])), LKC_ERR_WOULD_BLOCK);
    lkc__rpc_free(r);
    for (int i = 0; i <= LKC__RPC_MAX_CALLS; i++) {
        CHECK_EQ_INT(o[i].count, i < LKC__RPC_MAX_CALLS ? 1 : 0);
        outcome_clear(&o[i]);
    }
    g_free(o);
}

/* --- requests in -------------------------------------------------------------------- */

typedef struct {
    int calls;
    lkc_rpc_invocation_t inv;
    char *caller;
    char *payload;
    uint32_t timeout;
    bool answer_now;
    lkc__rpc_t *r;
} handled_t;

static int respond(lkc__rpc_t *r, lkc_rpc_invocation_t inv, const char *payload, uint32_t code, const char *msg)
{
    lkc__rpc_cmd_t cmd = {.op = LKC__RPC_OP_RESPOND, .inv = inv, .is_error = code != 0, .code = code,
                          .payload = (char *)payload, .message = (char *)msg};
    return lkc__rpc_call_command(r, &cmd);
}

static void handler(lkc_room_t *rm, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    (void)rm;
    handled_t *h = user;
    h->calls++;
    h->inv = inv;
    g_free(h->caller);
    g_free(h->payload);
    h->caller = g_strdup(req->caller_identity);
    h->payload = g_strdup(req->payload);
    h->timeout = req->response_timeout_ms;
    CHECK_EQ_INT(strlen(req->payload), req->payload_len);
    /* the ack went out before the handler ran */
    Livekit__DataPacket *last = pkt(sent->len - 1);
    CHECK_EQ_INT(last->value_case, LIVEKIT__DATA_PACKET__VALUE_RPC_ACK);
    CHECK_STR(last->rpc_ack->request_id, req->request_id);
    if (h->answer_now)
        CHECK_OK(respond(h->r, inv, req->payload, 0, NULL));
}

static void deliver_request(lkc__rpc_t *r, const char *sender, const char *id, const char *method,
                            const char *payload, uint32_t version, uint32_t timeout)
{
    Livekit__RpcRequest q = LIVEKIT__RPC_REQUEST__INIT;
    q.id = (char *)id;
    q.method = (char *)method;
    q.payload = (char *)payload;
    q.version = version;
    q.response_timeout_ms = timeout;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_RPC_REQUEST;
    dp.rpc_request = &q;
    deliver(r, &dp, sender);
}

static handled_t hd;

static void requests_v1(void)
{
    lkc__rpc_t *r = new_rpc();
    member("alice", 0);
    member("v2alice", 1);
    hd.r = r;
    deliver_request(r, "alice", "q1", "echo", "ping", 1, 10000);
    CHECK_EQ_INT(hd.calls, 1);
    CHECK_STR(hd.caller, "alice");
    CHECK_STR(hd.payload, "ping");
    CHECK_EQ_INT(hd.timeout, 10000);
    CHECK_OK(respond(r, hd.inv, "pong", 0, NULL));
    Livekit__DataPacket *res = pkt(sent->len - 1);
    CHECK_EQ_INT(res->value_case, LIVEKIT__DATA_PACKET__VALUE_RPC_RESPONSE);
    CHECK_STR(res->destination_identities[0], "alice");
    CHECK_STR(res->rpc_response->request_id, "q1");
    CHECK_STR(res->rpc_response->payload, "pong");
    /* a second answer: refused, nothing sent */
    guint n = sent->len;
    CHECK_EQ_INT(respond(r, hd.inv, "again", 0, NULL), LKC_ERR_NOT_FOUND);
    CHECK_EQ_INT(respond(r, 987654321, "never", 0, NULL), LKC_ERR_NOT_FOUND);
    CHECK_EQ_INT(sent->len, n);
    /* an error answer */
    deliver_request(r, "alice", "q2", "echo", "x", 1, 10000);
    CHECK_OK(respond(r, hd.inv, NULL, 4242, "custom"));
    res = pkt(sent->len - 1);
    CHECK_EQ_INT(res->rpc_response->error->code, 4242);
    CHECK_STR(res->rpc_response->error->message, "custom");
    /* answered inside the handler */
    hd.answer_now = true;
    deliver_request(r, "alice", "q3", "echo", "now", 1, 10000);
    hd.answer_now = false;
    CHECK_STR(pkt(sent->len - 1)->rpc_response->payload, "now");
    /* a response over 15360 bytes for a v1 caller: 1504 instead */
    deliver_request(r, "alice", "q4", "echo", "", 1, 10000);
    char *big = g_malloc(LKC_RPC_MAX_PAYLOAD + 2);
    memset(big, 'z', LKC_RPC_MAX_PAYLOAD + 1);
    big[LKC_RPC_MAX_PAYLOAD + 1] = 0;
    CHECK_OK(respond(r, hd.inv, big, 0, NULL));
    CHECK_EQ_INT(pkt(sent->len - 1)->rpc_response->error->code, LKC_RPC_RESPONSE_PAYLOAD_TOO_LARGE);
    /* ... and as a text stream for a v2 caller, whatever the size */
    deliver_request(r, "v2alice", "q5", "echo", "", 1, 10000);
    n = sent->len;
    CHECK_OK(respond(r, hd.inv, big, 0, NULL));
    CHECK(sent->len > n + 1, "a big v2 response in %u packets", sent->len - n);
    Livekit__DataPacket *h = pkt(n);
    CHECK_EQ_INT(h->value_case, LIVEKIT__DATA_PACKET__VALUE_STREAM_HEADER);
    CHECK_STR(h->stream_header->topic, "lk.rpc_response");
    CHECK_STR(h->stream_header->attributes[0]->key, "lk.rpc_request_id");
    CHECK_STR(h->stream_header->attributes[0]->value, "q5");
    g_free(big);
    lkc__rpc_free(r);
}

static void requests_refused(void)
{
    lkc__rpc_t *r = new_rpc();
    member("alice", 0);
    deliver_request(r, "alice", "u1", "nosuch", "", 1, 10000);
    CHECK_EQ_INT(sent->len, 2);
    CHECK_EQ_INT(pkt(0)->value_case, LIVEKIT__DATA_PACKET__VALUE_RPC_ACK);
    CHECK_EQ_INT(pkt(1)->rpc_response->error->code, LKC_RPC_UNSUPPORTED_METHOD);
    deliver_request(r, "alice", "u2", "echo", "", 7, 10000);
    CHECK_EQ_INT(pkt(3)->rpc_response->error->code, LKC_RPC_UNSUPPORTED_VERSION);
    deliver_request(r, "alice", "", "echo", "", 1, 10000); /* no id: nothing to answer */
    deliver_request(r, "", "u9", "echo", "", 1, 10000);    /* no sender: an answer would go to all */
    deliver_request(r, "alice", "u3", "", "", 1, 10000);   /* no method */
    CHECK_EQ_INT(sent->len, 6);
    CHECK_EQ_INT(pkt(5)->rpc_response->error->code, LKC_RPC_APPLICATION_ERROR);
    CHECK_EQ_INT(hd.calls, 5); /* unchanged since requests_v1 */
    lkc__rpc_free(r);
}

static void server_initiated_and_expiry(void)
{
    lkc__rpc_t *r = new_rpc();
    hd.r = r;
    /* RoomService.PerformRpc: the sender "identity" is the request id, not a participant */
    const char *id = "4a2f9c1e-0000-4000-8000-000000000001";
    deliver_request(r, id, id, "echo", "from server", 1, 9500);
    CHECK_STR(hd.caller, id);
    CHECK_STR(pkt(0)->destination_identities[0], id);
    CHECK_OK(respond(r, hd.inv, "to server", 0, NULL));
    Livekit__DataPacket *res = pkt(1);
    CHECK_EQ_INT(res->value_case, LIVEKIT__DATA_PACKET__VALUE_RPC_RESPONSE); /* v1, never a stream */
    CHECK_STR(res->destination_identities[0], id);
    CHECK_STR(res->rpc_response->payload, "to server");
    /* a handler that never answers: dropped at the request's timeout */
    deliver_request(r, id, "late", "echo", "", 1, 30);
    lkc_rpc_invocation_t inv = hd.inv;
    spin(80);
    CHECK_EQ_INT(respond(r, inv, "too late", 0, NULL), LKC_ERR_NOT_FOUND);
    /* one still open when the session ends: freed with it */
    deliver_request(r, id, "open", "echo", "", 1, 10000);
    lkc__rpc_free(r);
}

static void requests_v2(void)
{
    lkc__rpc_t *r = new_rpc();
    member("js", 2);
    hd.r = r;
    const lkc_stream_handlers_t *sh = lkc__rpc_stream_handlers();
    lkc_kv_t attrs[] = {{"lk.rpc_request_id", "v2-1"},
                        {"lk.rpc_request_method", "echo"},
                        {"lk.rpc_request_response_timeout_ms", "12000"},
                        {"lk.rpc_request_version", "2"}};
    lkc_stream_info_t info = {.id = "s", .topic = "lk.rpc_request", .sender_identity = "js", .is_text = true,
                              .attributes = attrs, .n_attributes = 4};
    int reader;
    int before = hd.calls;
    sh->on_open(room, (lkc_stream_reader_t *)&reader, &info, r);
    CHECK_EQ_INT(sent->len, 1); /* the ack, at the header */
    CHECK_STR(pkt(0)->rpc_ack->request_id, "v2-1");
    sh->on_chunk(room, (lkc_stream_reader_t *)&reader, (const uint8_t *)"a\xc3", 2, r);
    sh->on_chunk(room, (lkc_stream_reader_t *)&reader, (const uint8_t *)"\xa9z", 2, r);
    CHECK_EQ_INT(hd.calls, before);
    sh->on_close(room, (lkc_stream_reader_t *)&reader, &info, LKC_OK, "", r);
    CHECK_EQ_INT(hd.calls, before + 1);
    CHECK_STR(hd.payload, "a\xc3\xa9z");
    CHECK_EQ_INT(hd.timeout, 12000);
    CHECK_OK(respond(r, hd.inv, "ok", 0, NULL));
    CHECK_STR(pkt(sent->len - 1)->stream_header->topic, "lk.rpc_response");
    /* version 3: ack, then 1404 */
    attrs[3].value = "3";
    guint n = sent->len;
    sh->on_open(room, (lkc_stream_reader_t *)&reader, &info, r);
    sh->on_close(room, (lkc_stream_reader_t *)&reader, &info, LKC_OK, "", r);
    CHECK_EQ_INT(sent->len, n + 2);
    CHECK_EQ_INT(pkt(n + 1)->rpc_response->error->code, LKC_RPC_UNSUPPORTED_VERSION);
    /* no method: an error without an ack (as client-sdk-js) */
    attrs[3].value = "2";
    attrs[1].value = "";
    sh->on_open(room, (lkc_stream_reader_t *)&reader, &info, r);
    CHECK_EQ_INT(sent->len, n + 3);
    CHECK_EQ_INT(pkt(n + 2)->rpc_response->error->code, LKC_RPC_APPLICATION_ERROR);
    /* a request stream cut off: an error response, no handler */
    attrs[1].value = "echo";
    sh->on_open(room, (lkc_stream_reader_t *)&reader, &info, r);
    sh->on_close(room, (lkc_stream_reader_t *)&reader, &info, LKC_ERR_CLOSED, "abnormal end", r);
    CHECK_EQ_INT(hd.calls, before + 1);
    CHECK_EQ_INT(pkt(sent->len - 1)->rpc_response->error->code, LKC_RPC_APPLICATION_ERROR);
    /* left open at the session's end: freed */
    sh->on_open(room, (lkc_stream_reader_t *)&reader, &info, r);
    lkc__rpc_free(r);
}

int main(void)
{
    sent = g_ptr_array_new_with_free_func(free_packet);
    members = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    CHECK_OK(lkc_room_create(NULL, &room));
    CHECK_OK(lkc_rpc_register(room, "echo", handler, &hd));
    CHECK_EQ_INT(lkc_rpc_register(room, "echo", handler, &hd), LKC_ERR_STATE);
    RUN(v1_call);
    RUN(early_outcomes);
    RUN(v2_call);
    RUN(timeouts);
    RUN(departures_and_restart);
    RUN(callee_rejoined);
    RUN(bounded);
    RUN(requests_v1);
    RUN(requests_refused);
    RUN(server_initiated_and_expiry);
    RUN(requests_v2);
    CHECK_OK(lkc_rpc_unregister(room, "echo"));
    lkc_room_destroy(room);
    g_free(hd.caller);
    g_free(hd.payload);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
    g_ptr_array_unref(sent);
    g_hash_table_destroy(members);
    return 0;
}
