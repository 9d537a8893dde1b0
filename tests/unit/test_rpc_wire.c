/* room/rpc_wire: the RPC packets lkc sends (decoded back with protobuf-c), the limits
 * and the UTF-8-safe cuts of error messages and data, the standard messages, and the
 * checks on what arrives (v1 requests, v2 stream attributes), malformed input included. */
#include <glib.h>

#include "livekit_models.pb-c.h"
#include "lkc/lkc.h"
#include "room/rpc_wire.h"
#include "test.h"

static Livekit__DataPacket *decode(lkc__outgoing_t *o)
{
    CHECK(o != NULL, "no packet");
    CHECK(o->kind == LKC_DATA_RELIABLE, "RPC packets are reliable");
    Livekit__DataPacket *dp = livekit__data_packet__unpack(NULL, o->len, o->encoded);
    CHECK(dp != NULL, "not a DataPacket");
    CHECK_EQ_INT(dp->sequence, 0);
    lkc__outgoing_free(o);
    return dp;
}

static void utf8_cut(void)
{
    CHECK_EQ_INT(lkc__rpc_utf8_cut("abc", 3, 3), 3);
    CHECK_EQ_INT(lkc__rpc_utf8_cut("abcdef", 6, 4), 4);
    CHECK_EQ_INT(lkc__rpc_utf8_cut(NULL, 5, 4), 0);
    /* "aé" = 61 c3 a9: a cut at 2 would split é */
    CHECK_EQ_INT(lkc__rpc_utf8_cut("a\xc3\xa9z", 4, 2), 1);
    CHECK_EQ_INT(lkc__rpc_utf8_cut("a\xc3\xa9z", 4, 3), 3);
    /* "€" = e2 82 ac; cut inside at 1 and 2 */
    CHECK_EQ_INT(lkc__rpc_utf8_cut("\xe2\x82\xac!", 4, 1), 0);
    CHECK_EQ_INT(lkc__rpc_utf8_cut("\xe2\x82\xac!", 4, 2), 0);
    CHECK_EQ_INT(lkc__rpc_utf8_cut("\xe2\x82\xac!", 4, 3), 3);
    /* a 4-byte emoji f0 9f 98 80 after "xy" */
    const char *e = "xy\xf0\x9f\x98\x80";
    for (size_t m = 2; m < 6; m++)
        CHECK_EQ_INT(lkc__rpc_utf8_cut(e, 6, m), 2);
    CHECK_EQ_INT(lkc__rpc_utf8_cut(e, 6, 6), 6);
    /* not UTF-8: continuation bytes only, cut where asked */
    CHECK_EQ_INT(lkc__rpc_utf8_cut("\x80\x80\x80\x80\x80\x80", 6, 5), 5);
}

static void wire_timeout(void)
{
    CHECK_EQ_INT(lkc__rpc_wire_timeout(1000), 8000);
    CHECK_EQ_INT(lkc__rpc_wire_timeout(8000), 8000);
    CHECK_EQ_INT(lkc__rpc_wire_timeout(15000), 15000);
    CHECK_EQ_INT(lkc__rpc_wire_timeout(-5), 8000);
}

static void messages(void)
{
    CHECK_STR(lkc_rpc_error_message(LKC_RPC_RESPONSE_TIMEOUT), "Response timeout");
    CHECK_STR(lkc_rpc_error_message(LKC_RPC_UNSUPPORTED_METHOD), "Method not supported at destination");
    CHECK_STR(lkc_rpc_error_message(LKC_RPC_RECIPIENT_NOT_FOUND), "Recipient not found");
    CHECK_STR(lkc_rpc_error_message(42), "");
    uint32_t codes[] = {1500, 1501, 1502, 1503, 1504, 1505, 1400, 1401, 1402, 1403, 1404};
    for (size_t i = 0; i < G_N_ELEMENTS(codes); i++)
        CHECK(*lkc_rpc_error_message(codes[i]), "code %u has no message", codes[i]);
}

static void packets(void)
{
    Livekit__DataPacket *dp = decode(lkc__rpc_request_packet("bob", "id-1", "echo", "hi", 9000));
    CHECK_EQ_INT(dp->value_case, LIVEKIT__DATA_PACKET__VALUE_RPC_REQUEST);
    CHECK_EQ_INT(dp->n_destination_identities, 1);
    CHECK_STR(dp->destination_identities[0], "bob");
    CHECK_STR(dp->rpc_request->id, "id-1");
    CHECK_STR(dp->rpc_request->method, "echo");
    CHECK_STR(dp->rpc_request->payload, "hi");
    CHECK_EQ_INT(dp->rpc_request->response_timeout_ms, 9000);
    CHECK_EQ_INT(dp->rpc_request->version, 1);
    livekit__data_packet__free_unpacked(dp, NULL);

    dp = decode(lkc__rpc_ack_packet("alice", "id-2"));
    CHECK_EQ_INT(dp->value_case, LIVEKIT__DATA_PACKET__VALUE_RPC_ACK);
    CHECK_STR(dp->rpc_ack->request_id, "id-2");
    CHECK_STR(dp->destination_identities[0], "alice");
    livekit__data_packet__free_unpacked(dp, NULL);

    dp = decode(lkc__rpc_ack_packet(NULL, "id-2")); /* no destination */
    CHECK_EQ_INT(dp->n_destination_identities, 0);
    livekit__data_packet__free_unpacked(dp, NULL);

    dp = decode(lkc__rpc_response_packet("alice", "id-3", ""));
    CHECK_EQ_INT(dp->value_case, LIVEKIT__DATA_PACKET__VALUE_RPC_RESPONSE);
    CHECK_STR(dp->rpc_response->request_id, "id-3");
    /* an empty payload is still the payload case (proto3 oneof keeps presence) */
    CHECK_EQ_INT(dp->rpc_response->value_case, LIVEKIT__RPC_RESPONSE__VALUE_PAYLOAD);
    CHECK_STR(dp->rpc_response->payload, "");
    livekit__data_packet__free_unpacked(dp, NULL);

    dp = decode(lkc__rpc_error_packet("alice", "id-4", 1400, NULL, NULL));
    CHECK_EQ_INT(dp->rpc_response->value_case, LIVEKIT__RPC_RESPONSE__VALUE_ERROR);
    CHECK_EQ_INT(dp->rpc_response->error->code, 1400);
    CHECK_STR(dp->rpc_response->error->message, "Method not supported at destination");
    CHECK_STR(dp->rpc_response->error->data, "");
    livekit__data_packet__free_unpacked(dp, NULL);
}

/* Error message over 256 bytes and data over 15360 bytes: cut, never inside a character. */
static void error_truncation(void)
{
    GString *msg = g_string_new("xy"); /* 2 + 3*n bytes: byte 256 is inside a "€" */
    while (msg->len < 400)
        g_string_append(msg, "\xe2\x82\xac");
    GString *data = g_string_new(NULL);
    while (data->len < 20000)
        g_string_append(data, "\xc3\xa9"); /* é: the 15360 cut lands on a boundary */
    g_string_append(data, "\xf0\x9f\x98\x80");
    Livekit__DataPacket *dp = decode(lkc__rpc_error_packet("a", "id", 4242, msg->str, data->str));
    const Livekit__RpcError *e = dp->rpc_response->error;
    CHECK_EQ_INT(e->code, 4242);
    CHECK(strlen(e->message) <= LKC_RPC_MAX_ERROR_MESSAGE, "message %zu bytes", strlen(e->message));
    CHECK_EQ_INT(strlen(e->message), 254); /* "xy" + 84 x "€" */
    CHECK(g_utf8_validate(e->message, -1, NULL), "the cut message is not UTF-8");
    CHECK_EQ_INT(strlen(e->data), LKC_RPC_MAX_PAYLOAD);
    CHECK(g_utf8_validate(e->data, -1, NULL), "the cut data is not UTF-8");
    livekit__data_packet__free_unpacked(dp, NULL);

    /* an odd cut for data: one ASCII byte first moves every é by one */
    g_string_prepend_c(data, 'z');
    dp = decode(lkc__rpc_error_packet("a", "id", 1500, "m", data->str));
    CHECK_EQ_INT(strlen(dp->rpc_response->error->data), LKC_RPC_MAX_PAYLOAD - 1);
    CHECK(g_utf8_validate(dp->rpc_response->error->data, -1, NULL), "not UTF-8");
    livekit__data_packet__free_unpacked(dp, NULL);
    g_string_free(msg, TRUE);
    g_string_free(data, TRUE);
}

static void check_request(void)
{
    Livekit__RpcRequest q = LIVEKIT__RPC_REQUEST__INIT;
    CHECK_EQ_INT(lkc__rpc_check_request(NULL), LKC__RPC_DROP);
    CHECK_EQ_INT(lkc__rpc_check_request(&q), LKC__RPC_DROP); /* no id */
    q.id = (char *)"r1";
    CHECK_EQ_INT(lkc__rpc_check_request(&q), LKC__RPC_BAD_VERSION); /* version 0 */
    q.version = 2; /* v2 is never a packet */
    CHECK_EQ_INT(lkc__rpc_check_request(&q), LKC__RPC_BAD_VERSION);
    q.version = 1;
    CHECK_EQ_INT(lkc__rpc_check_request(&q), LKC__RPC_BAD_REQUEST); /* no method */
    q.method = (char *)"m";
    CHECK_EQ_INT(lkc__rpc_check_request(&q), LKC__RPC_OK);
}

/* Packets off the wire that are not what they claim: protobuf-c refuses them, or they
 * decode into something the checks turn away. */
static void malformed_bytes(void)
{
    const uint8_t truncated[] = {0x52, 0x10, 0x0a, 0x02, 'r'}; /* rpc_request (10), length past the end */
    CHECK(livekit__data_packet__unpack(NULL, sizeof truncated, truncated) == NULL, "a truncated packet decoded");
    /* rpc_request { id: "" version: 1 }: no id, dropped */
    const uint8_t no_id[] = {0x52, 0x02, 0x28, 0x01};
    Livekit__DataPacket *dp = livekit__data_packet__unpack(NULL, sizeof no_id, no_id);
    CHECK(dp && dp->value_case == LIVEKIT__DATA_PACKET__VALUE_RPC_REQUEST, "did not decode");
    CHECK_EQ_INT(lkc__rpc_check_request(dp->rpc_request), LKC__RPC_DROP);
    livekit__data_packet__free_unpacked(dp, NULL);
}

static void v2_attrs(void)
{
    lkc__rpc_v2_attrs_t a;
    const lkc_kv_t ok[] = {{"lk.rpc_request_id", "r1"},
                           {"lk.rpc_request_method", "echo"},
                           {"lk.rpc_request_response_timeout_ms", "15000"},
                           {"lk.rpc_request_version", "2"},
                           {"other", "x"}};
    CHECK_EQ_INT(lkc__rpc_parse_v2_attrs(ok, 5, &a), LKC__RPC_OK);
    CHECK_STR(a.id, "r1");
    CHECK_STR(a.method, "echo");
    CHECK_EQ_INT(a.response_timeout_ms, 15000);
    CHECK_EQ_INT(a.version, 2);
    CHECK_EQ_INT(lkc__rpc_parse_v2_attrs(NULL, 0, &a), LKC__RPC_DROP);
    CHECK_EQ_INT(lkc__rpc_parse_v2_attrs(ok + 1, 4, &a), LKC__RPC_DROP); /* no id */
    lkc_kv_t bad[4];
    memcpy(bad, ok, sizeof bad);
    bad[2].value = "15s";
    CHECK_EQ_INT(lkc__rpc_parse_v2_attrs(bad, 4, &a), LKC__RPC_BAD_REQUEST);
    bad[2].value = "-1";
    CHECK_EQ_INT(lkc__rpc_parse_v2_attrs(bad, 4, &a), LKC__RPC_BAD_REQUEST);
    bad[2].value = "99999999999";
    CHECK_EQ_INT(lkc__rpc_parse_v2_attrs(bad, 4, &a), LKC__RPC_BAD_REQUEST);
    bad[2].value = "";
    CHECK_EQ_INT(lkc__rpc_parse_v2_attrs(bad, 4, &a), LKC__RPC_BAD_REQUEST);
    memcpy(bad, ok, sizeof bad);
    bad[1].value = "";
    CHECK_EQ_INT(lkc__rpc_parse_v2_attrs(bad, 4, &a), LKC__RPC_BAD_REQUEST);
    CHECK_STR(a.id, "r1"); /* still there, so the error can be addressed */
    memcpy(bad, ok, sizeof bad);
    bad[3].value = "1";
    CHECK_EQ_INT(lkc__rpc_parse_v2_attrs(bad, 4, &a), LKC__RPC_BAD_VERSION);
    bad[3].value = NULL;
    CHECK_EQ_INT(lkc__rpc_parse_v2_attrs(bad, 4, &a), LKC__RPC_BAD_REQUEST);
    bad[3].key = NULL;
    CHECK_EQ_INT(lkc__rpc_parse_v2_attrs(bad, 4, &a), LKC__RPC_BAD_REQUEST);
}

static void options_and_args(void)
{
    lkc_rpc_options_t o;
    lkc_rpc_options_init(&o);
    CHECK_EQ_INT(o.struct_size, sizeof o);
    CHECK_EQ_INT(o.response_timeout_ms, 15000);
    CHECK_EQ_INT(o.ack_timeout_ms, 7000);
    lkc_rpc_options_init(NULL);
    lkc_rpc_result_t *res = (lkc_rpc_result_t *)1;
    CHECK_EQ_INT(lkc_rpc_call(NULL, "a", "m", "", NULL, &res), LKC_ERR_INVALID_ARG);
    CHECK(res == NULL, "out not cleared");
    lkc_rpc_result_free(NULL);

    lkc_room_t *room = NULL;
    CHECK_OK(lkc_room_create(NULL, &room));
    CHECK_EQ_INT(lkc_rpc_call(room, "", "m", "", NULL, &res), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_rpc_call(room, "a", NULL, "", NULL, &res), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_rpc_call(room, "a", "m", "", NULL, NULL), LKC_ERR_INVALID_ARG);
    lkc_rpc_options_t zero = {0};
    CHECK_EQ_INT(lkc_rpc_call(room, "a", "m", "", &zero, &res), LKC_ERR_INVALID_ARG);
    o.response_timeout_ms = 0;
    CHECK_EQ_INT(lkc_rpc_call(room, "a", "m", "", &o, &res), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_rpc_call(room, "a", "m", "", NULL, &res), LKC_ERR_STATE); /* not connected */
    CHECK_EQ_INT(lkc_rpc_call_async(room, "a", "m", "", NULL, NULL, NULL), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_rpc_respond(room, 0, "x"), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_rpc_respond(room, 12345, "x"), LKC_ERR_STATE); /* no session */
    CHECK_EQ_INT(lkc_rpc_unregister(room, "nope"), LKC_ERR_NOT_FOUND);
    CHECK_EQ_INT(lkc_rpc_register(room, "m", NULL, NULL), LKC_ERR_INVALID_ARG);
    lkc_room_destroy(room);
}

int main(void)
{
    RUN(utf8_cut);
    RUN(wire_timeout);
    RUN(messages);
    RUN(packets);
    RUN(error_truncation);
    RUN(check_request);
    RUN(malformed_bytes);
    RUN(v2_attrs);
    RUN(options_and_args);
    return 0;
}
