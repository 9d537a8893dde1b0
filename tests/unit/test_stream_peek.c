/* room/data_peek on hand-made bytes (every truncation of a real chunk packet, bad
 * varints, lengths past the end, unknown wire types), and data.c's cheap drop of
 * unwanted chunks: not decoded, not passed on, yet counted for de-duplication. */
#include <glib.h>

#include "livekit_data_stream.pb-c.h"
#include "livekit_models.pb-c.h"
#include "lkc/lkc.h"
#include "room/data.h"
#include "room/data_peek.h"
#include "room/stream_encode.h"
#include "test.h"

/* A chunk packet as the server forwards it: with participant_sid, identity, sequence. */
static uint8_t *chunk_packet(const char *id, const char *sid, uint32_t seq, size_t *len)
{
    Livekit__DataStream__Chunk c = LIVEKIT__DATA_STREAM__CHUNK__INIT;
    c.stream_id = (char *)id;
    c.has_chunk_index = true;
    c.chunk_index = 3;
    c.has_content = true;
    c.content.data = (uint8_t *)"hello";
    c.content.len = 5;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_STREAM_CHUNK;
    dp.stream_chunk = &c;
    dp.participant_identity = "alice";
    dp.participant_sid = (char *)sid;
    dp.sequence = seq;
    *len = livekit__data_packet__get_packed_size(&dp);
    uint8_t *b = g_malloc(*len);
    livekit__data_packet__pack(&dp, b);
    return b;
}

static void test_peek(void)
{
    size_t len;
    uint8_t *b = chunk_packet("STREAM-1", "PA_abc", 300, &len);
    lkc__data_peek_t pk;
    CHECK(lkc__data_peek(b, len, &pk), "well-formed");
    CHECK_EQ_INT(pk.value_field, LKC__DATA_PEEK_STREAM_CHUNK);
    CHECK_EQ_INT(pk.sequence, 300);
    CHECK(pk.sid_len == 6 && memcmp(pk.sid, "PA_abc", 6) == 0, "sid");
    CHECK(pk.stream_id_len == 8 && memcmp(pk.stream_id, "STREAM-1", 8) == 0, "stream id");
    /* every truncation: never read past the end (ASan), never a wrong stream id */
    for (size_t n = 0; n < len; n++) {
        uint8_t *t = g_memdup2(b, n ? n : 1);
        if (lkc__data_peek(t, n, &pk) && pk.value_field == LKC__DATA_PEEK_STREAM_CHUNK)
            CHECK(pk.stream_id_len == 0 || (pk.stream_id_len == 8 && memcmp(pk.stream_id, "STREAM-1", 8) == 0),
                  "truncated at %zu", n);
        g_free(t);
    }
    g_free(b);

    /* a user packet: not a chunk */
    lkc__outgoing_t *o = lkc__outgoing_user(LKC_DATA_RELIABLE, "x", 1, "t", NULL, 0);
    CHECK(lkc__data_peek(o->encoded, o->len, &pk) && pk.value_field == 2, "user packet");
    lkc__outgoing_free(o);
    /* a chunk as lkc encodes it, with its sequence appended */
    o = lkc__stream_chunk_packet("S", 0, (const uint8_t *)"ab", 2, NULL, 0);
    size_t n;
    uint8_t *w = lkc__data_pack(o, 77, &n);
    CHECK(lkc__data_peek(w, n, &pk) && pk.value_field == 14 && pk.sequence == 77 && pk.stream_id_len == 1, "lkc's");
    g_free(w);
    lkc__outgoing_free(o);

    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"\x72\x05\x0a\x10", 4},                         /* chunk: length 5, inner length 16 */
        {"\x72\x80", 2},                                 /* unfinished varint length */
        {"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11}, /* an 11-byte varint */
        {"\x73", 1},                                     /* wire type 3 (group) */
        {"\x00\x01", 2},                                 /* field number 0 */
        {"\x72\xff\xff\xff\xff\x0f", 6},                 /* a length far past the end */
        {"\x09\x01\x02", 3},                             /* fixed64 cut short */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        CHECK(!lkc__data_peek((const uint8_t *)bad[i].bytes, bad[i].len, &pk), "bad input %zu is refused", i);
    CHECK(lkc__data_peek(NULL, 0, &pk) && pk.value_field == 0, "empty");
}

/* --- data.c with a wants_chunk port ---------------------------------------------------- */

static int packets_in, wants_calls;
static bool want;

static int no_send(void *user, lkc_data_kind_t kind, const uint8_t *buf, size_t len)
{
    return LKC_OK;
}

static void packet_in(void *user, const Livekit__DataPacket *dp, const char *sender, lkc_data_kind_t kind)
{
    packets_in++;
}

static bool wants_chunk(void *user, const char *id, size_t len)
{
    wants_calls++;
    CHECK(len == 8 && memcmp(id, "STREAM-1", 8) == 0, "the chunk's id");
    return want;
}

static uint32_t last_seq_of(lkc_data_t *d, const char *sid)
{
    Livekit__DataChannelReceiveState st[8];
    size_t n = lkc__data_receive_states(d, st, 8);
    for (size_t i = 0; i < n; i++)
        if (strcmp(st[i].publisher_sid, sid) == 0)
            return st[i].last_seq;
    return 0;
}

static void test_data_drop(void)
{
    lkc_room_options_t ro;
    lkc_room_options_init(&ro);
    lkc_room_t *room = NULL;
    CHECK_OK(lkc_room_create(&ro, &room));
    lkc_data_t *d = lkc__data_new(room, &(lkc__data_ports_t){.send = no_send, .packet_in = packet_in,
                                                            .wants_chunk = wants_chunk});
    size_t len;
    uint8_t *b = chunk_packet("STREAM-1", "PA_abc", 5, &len);
    want = false;
    lkc__data_receive(d, b, len, LKC_DATA_RELIABLE);
    CHECK_EQ_INT(wants_calls, 1);
    CHECK_EQ_INT(packets_in, 0);
    CHECK_EQ_INT(last_seq_of(d, "PA_abc"), 5);
    g_free(b);
    /* a later one updates the sequence (without allocating: the same key is kept) */
    b = chunk_packet("STREAM-1", "PA_abc", 9, &len);
    lkc__data_receive(d, b, len, LKC_DATA_RELIABLE);
    CHECK_EQ_INT(last_seq_of(d, "PA_abc"), 9);
    g_free(b);
    /* an older one (a replay) does not move it back */
    b = chunk_packet("STREAM-1", "PA_abc", 7, &len);
    lkc__data_receive(d, b, len, LKC_DATA_RELIABLE);
    CHECK_EQ_INT(last_seq_of(d, "PA_abc"), 9);
    g_free(b);
    /* a wanted chunk is decoded and passed on; a duplicate of it is dropped */
    want = true;
    b = chunk_packet("STREAM-1", "PA_abc", 10, &len);
    lkc__data_receive(d, b, len, LKC_DATA_RELIABLE);
    CHECK_EQ_INT(packets_in, 1);
    lkc__data_receive(d, b, len, LKC_DATA_RELIABLE);
    CHECK_EQ_INT(packets_in, 1);
    CHECK_EQ_INT(last_seq_of(d, "PA_abc"), 10);
    g_free(b);
    lkc__data_free(d);
    lkc_room_destroy(room);
}

int main(void)
{
    RUN(test_peek);
    RUN(test_data_drop);
    return 0;
}
