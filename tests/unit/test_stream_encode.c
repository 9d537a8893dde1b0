/* room/stream_encode: the packets of a whole text or byte stream (v1 chunks cut on UTF-8
 * boundaries, v2 inline, deflate-raw inline and in chunks), decoded back with protobuf-c
 * and zlib; the UTF-8 helpers on hand-made bytes. */
#include <glib.h>
#include <zlib.h>

#include "livekit_data_stream.pb-c.h"
#include "livekit_models.pb-c.h"
#include "room/stream_encode.h"
#include "test.h"

static Livekit__DataPacket *unpack(GPtrArray *a, guint i)
{
    CHECK(i < a->len, "packet %u of %u", i, a->len);
    lkc__outgoing_t *o = g_ptr_array_index(a, i);
    CHECK(o->kind == LKC_DATA_RELIABLE && o->room == NULL, "reliable, not counted");
    Livekit__DataPacket *dp = livekit__data_packet__unpack(NULL, o->len, o->encoded);
    CHECK(dp != NULL, "packet %u does not decode", i);
    return dp;
}

static GByteArray *inflate_all(const uint8_t *p, size_t len)
{
    z_stream z = {0};
    CHECK(inflateInit2(&z, -15) == Z_OK, "inflateInit2");
    GByteArray *out = g_byte_array_new();
    uint8_t buf[4096];
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)len;
    int rc;
    do {
        z.next_out = buf;
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        CHECK(rc == Z_OK || rc == Z_STREAM_END, "inflate: %d", rc);
        g_byte_array_append(out, buf, sizeof buf - z.avail_out);
    } while (rc != Z_STREAM_END);
    inflateEnd(&z);
    return out;
}

/* Checks the packets of a v1/phase-2 stream and returns its content (inflated). */
static GByteArray *collect(GPtrArray *a, const char *id, bool text, bool *compressed)
{
    Livekit__DataPacket *dp = unpack(a, 0);
    CHECK(dp->value_case == LIVEKIT__DATA_PACKET__VALUE_STREAM_HEADER, "header first");
    const Livekit__DataStream__Header *h = dp->stream_header;
    CHECK_STR(h->stream_id, id);
    CHECK(!h->has_inline_content, "no inline content");
    CHECK(h->has_timestamp && h->timestamp > 1700000000000LL, "timestamp in ms");
    CHECK_STR(h->mime_type, text ? "text/plain" : "application/octet-stream");
    CHECK_EQ_INT(h->content_header_case, text ? LIVEKIT__DATA_STREAM__HEADER__CONTENT_HEADER_TEXT_HEADER
                                              : LIVEKIT__DATA_STREAM__HEADER__CONTENT_HEADER_BYTE_HEADER);
    *compressed = h->has_compression && h->compression == LIVEKIT__DATA_STREAM__COMPRESSION_TYPE__DEFLATE_RAW;
    uint64_t total = h->total_length;
    CHECK(h->has_total_length, "one-shot: total_length set");
    livekit__data_packet__free_unpacked(dp, NULL);
    GByteArray *body = g_byte_array_new();
    for (guint i = 1; i + 1 < a->len; i++) {
        dp = unpack(a, i);
        CHECK(dp->value_case == LIVEKIT__DATA_PACKET__VALUE_STREAM_CHUNK, "chunk %u", i);
        const Livekit__DataStream__Chunk *c = dp->stream_chunk;
        CHECK_STR(c->stream_id, id);
        CHECK_EQ_INT(c->chunk_index, i - 1);
        CHECK(c->content.len > 0 && c->content.len <= LKC_STREAM_CHUNK_SIZE, "chunk size %zu", c->content.len);
        if (text && !*compressed) { /* every chunk is whole UTF-8 on its own */
            CHECK(g_utf8_validate((const char *)c->content.data, (gssize)c->content.len, NULL),
                  "chunk %u is not valid UTF-8", i);
        }
        g_byte_array_append(body, c->content.data, (guint)c->content.len);
        livekit__data_packet__free_unpacked(dp, NULL);
    }
    dp = unpack(a, a->len - 1);
    CHECK(dp->value_case == LIVEKIT__DATA_PACKET__VALUE_STREAM_TRAILER, "trailer last");
    CHECK_STR(dp->stream_trailer->stream_id, id);
    CHECK_STR(dp->stream_trailer->reason, "");
    livekit__data_packet__free_unpacked(dp, NULL);
    if (*compressed) {
        GByteArray *plain = inflate_all(body->data, body->len);
        g_byte_array_unref(body);
        body = plain;
    }
    CHECK_EQ_INT(body->len, total);
    return body;
}

static char *multibyte_text(size_t *len)
{
    /* 2-, 3- and 4-byte characters, so that chunk edges fall inside sequences */
    GString *s = g_string_new("x");
    const char *parts[] = {"é", "€", "𝄞", "a"};
    for (int i = 0; s->len < 50000; i++)
        g_string_append(s, parts[(i * 7) % 4]);
    *len = s->len;
    return g_string_free(s, FALSE);
}

static void test_v1_utf8_chunks(void)
{
    size_t len;
    char *text = multibyte_text(&len);
    const char *dest[] = {"bob"};
    lkc_kv_t attrs[] = {{"k", "v"}};
    GPtrArray *a = lkc__stream_encode_text("S1", "chat", text, len, dest, 1, attrs, 1, false, true);
    CHECK(a && a->len >= 6, "header, 4+ chunks, trailer: %u", a ? a->len : 0);
    Livekit__DataPacket *dp = unpack(a, 0);
    CHECK_STR(dp->stream_header->topic, "chat");
    CHECK_EQ_INT(dp->n_destination_identities, 1);
    CHECK_STR(dp->destination_identities[0], "bob");
    CHECK_EQ_INT(dp->stream_header->n_attributes, 1);
    CHECK_STR(dp->stream_header->attributes[0]->key, "k");
    livekit__data_packet__free_unpacked(dp, NULL);
    bool z;
    GByteArray *b = collect(a, "S1", true, &z);
    CHECK(!z, "v1 never compressed (deflate alone does not allow it)");
    CHECK(b->len == len && memcmp(b->data, text, len) == 0, "round trip");
    g_byte_array_unref(b);
    g_ptr_array_unref(a);
    g_free(text);
}

static void test_inline(void)
{
    const char *text = "hello";
    GPtrArray *a = lkc__stream_encode_text("S2", "t", text, 5, NULL, 0, NULL, 0, true, true);
    CHECK_EQ_INT(a->len, 1);
    Livekit__DataPacket *dp = unpack(a, 0);
    const Livekit__DataStream__Header *h = dp->stream_header;
    CHECK(h->has_inline_content && h->inline_content.len == 5 && memcmp(h->inline_content.data, "hello", 5) == 0,
          "plain inline: deflate does not shrink 5 bytes");
    CHECK(!h->has_compression || h->compression == LIVEKIT__DATA_STREAM__COMPRESSION_TYPE__NONE, "not compressed");
    CHECK(h->has_total_length && h->total_length == 5, "total_length");
    livekit__data_packet__free_unpacked(dp, NULL);
    g_ptr_array_unref(a);

    /* an empty stream inline: present but empty */
    a = lkc__stream_encode_text("S0", "t", NULL, 0, NULL, 0, NULL, 0, true, true);
    CHECK_EQ_INT(a->len, 1);
    dp = unpack(a, 0);
    CHECK(dp->stream_header->has_inline_content && dp->stream_header->inline_content.len == 0, "empty inline");
    livekit__data_packet__free_unpacked(dp, NULL);
    g_ptr_array_unref(a);

    /* 40 kB of repetitive text deflates into one inline packet */
    GString *s = g_string_new(NULL);
    while (s->len < 40000)
        g_string_append(s, "the same words again, ");
    a = lkc__stream_encode_text("S3", "t", s->str, s->len, NULL, 0, NULL, 0, true, true);
    CHECK_EQ_INT(a->len, 1);
    dp = unpack(a, 0);
    h = dp->stream_header;
    CHECK(h->has_compression && h->compression == LIVEKIT__DATA_STREAM__COMPRESSION_TYPE__DEFLATE_RAW, "deflated");
    CHECK(h->inline_content.len < 2000, "small: %zu", h->inline_content.len);
    GByteArray *b = inflate_all(h->inline_content.data, h->inline_content.len);
    CHECK(b->len == s->len && memcmp(b->data, s->str, s->len) == 0, "inflates back");
    g_byte_array_unref(b);
    livekit__data_packet__free_unpacked(dp, NULL);
    g_ptr_array_unref(a);

    /* without the capability: too large for inline, so v1 chunks */
    a = lkc__stream_encode_text("S4", "t", s->str, s->len, NULL, 0, NULL, 0, true, false);
    CHECK_EQ_INT(a->len, 5); /* header, 3 chunks, trailer */
    bool z;
    b = collect(a, "S4", true, &z);
    CHECK(!z && b->len == s->len, "plain chunks");
    g_byte_array_unref(b);
    g_ptr_array_unref(a);
    g_string_free(s, TRUE);
}

static void test_compressed_chunks(void)
{
    /* 1 MB that deflates to more than 15000 bytes but less than 1 MB: phase 2 */
    size_t len = 1000000;
    uint8_t *data = g_malloc(len);
    guint32 r = 1;
    for (size_t i = 0; i < len; i++) {
        r = r * 1103515245u + 12345u;
        data[i] = (uint8_t)('a' + ((r >> 16) % 8)); /* 3 bits of entropy per byte */
    }
    lkc__stream_head_t h = {.stream_id = "B1", .topic = "files", .name = "x.bin"};
    GPtrArray *a = lkc__stream_encode_oneshot(&h, data, len, true, true);
    bool z;
    GByteArray *b = collect(a, "B1", false, &z);
    CHECK(z, "compressed chunks");
    CHECK(a->len > 3 && a->len < 40, "fewer chunks than plain: %u", a->len);
    CHECK(b->len == len && memcmp(b->data, data, len) == 0, "round trip");
    Livekit__DataPacket *dp = unpack(a, 0);
    CHECK_STR(dp->stream_header->byte_header->name, "x.bin");
    livekit__data_packet__free_unpacked(dp, NULL);
    g_byte_array_unref(b);
    g_ptr_array_unref(a);
    g_free(data);
}

static void test_utf8_helpers(void)
{
    const uint8_t euro[] = {0xE2, 0x82, 0xAC};           /* € */
    CHECK_EQ_INT(lkc__utf8_incomplete_tail(euro, 3), 0);
    CHECK_EQ_INT(lkc__utf8_incomplete_tail(euro, 2), 2);
    CHECK_EQ_INT(lkc__utf8_incomplete_tail(euro, 1), 1);
    CHECK_EQ_INT(lkc__utf8_incomplete_tail((const uint8_t *)"ab", 2), 0);
    const uint8_t clef[] = {'a', 0xF0, 0x9D, 0x84, 0x9E}; /* a𝄞 */
    CHECK_EQ_INT(lkc__utf8_incomplete_tail(clef, 4), 3);
    CHECK_EQ_INT(lkc__utf8_prefix(clef, 5, 4), 1);
    CHECK_EQ_INT(lkc__utf8_prefix(clef, 5, 5), 5);
    const uint8_t bad[] = {0x80, 0x80, 0x80, 0x80, 0x80}; /* only continuation bytes */
    CHECK_EQ_INT(lkc__utf8_prefix(bad, 5, 4), 4);
    CHECK_EQ_INT(lkc__utf8_incomplete_tail(bad, 5), 0);
    const uint8_t lead[] = {0xE2};
    CHECK_EQ_INT(lkc__utf8_prefix(lead, 1, 1), 1); /* len <= max: all of it */
}

int main(void)
{
    RUN(test_utf8_helpers);
    RUN(test_v1_utf8_chunks);
    RUN(test_inline);
    RUN(test_compressed_chunks);
    return 0;
}
