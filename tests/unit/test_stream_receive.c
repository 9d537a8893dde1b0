/* room/streams (the engine half of incoming data streams) on hand-made packets, without a
 * server: push and pull readers, v1 chunks, v2 inline (plain and deflated), deflated
 * chunks, trailer attributes and reasons, the sender leaving, chunks out of order or
 * repeated, inflate bombs and buffer limits, the idle timeout, the session's end, and
 * the cheap drop of streams nobody reads. */
#include <glib.h>
#include <zlib.h>

#include "livekit_data_stream.pb-c.h"
#include "livekit_models.pb-c.h"
#include "lkc/lkc.h"
#include "lkc/stream.h"
#include "room/stream_encode.h"
#include "room/streams.h"
#include "test.h"

/* --- what the handlers saw ---------------------------------------------------------- */

typedef struct {
    int opens, closes;
    GByteArray *content;
    bool chunks_utf8;         /* every on_chunk was whole UTF-8 */
    int last_status;
    char *last_reason;
    char *topic;
    char *reply_to;
    GHashTable *attrs;        /* at close */
    lkc_stream_reader_t *held; /* pull: the reference taken in on_open */
    uint64_t total;
    bool has_total;
} seen_t;

static seen_t seen;

static void seen_reset(void)
{
    if (seen.content)
        g_byte_array_unref(seen.content);
    g_free(seen.last_reason);
    g_free(seen.topic);
    g_free(seen.reply_to);
    if (seen.attrs)
        g_hash_table_destroy(seen.attrs);
    if (seen.held)
        lkc_stream_reader_unref(seen.held);
    memset(&seen, 0, sizeof seen);
    seen.content = g_byte_array_new();
    seen.chunks_utf8 = true;
    seen.last_status = 1;
}

static void on_open(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, void *user)
{
    seen.opens++;
    g_free(seen.topic);
    g_free(seen.reply_to);
    seen.topic = g_strdup(info->topic);
    seen.reply_to = g_strdup(info->reply_to_stream_id);
    seen.total = info->total_length;
    seen.has_total = info->has_total_length;
    if (user == (void *)1) /* pull mode: keep the reader */
        seen.held = lkc_stream_reader_ref(r);
}

static void on_chunk(lkc_room_t *room, lkc_stream_reader_t *r, const uint8_t *data, size_t len, void *user)
{
    if (!g_utf8_validate((const char *)data, (gssize)len, NULL))
        seen.chunks_utf8 = false;
    g_byte_array_append(seen.content, data, (guint)len);
}

static void on_close(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, lkc_err_t status,
                     const char *reason, void *user)
{
    seen.closes++;
    seen.last_status = status;
    g_free(seen.last_reason);
    seen.last_reason = g_strdup(reason);
    if (seen.attrs)
        g_hash_table_destroy(seen.attrs);
    seen.attrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (size_t i = 0; i < info->n_attributes; i++)
        g_hash_table_insert(seen.attrs, g_strdup(info->attributes[i].key), g_strdup(info->attributes[i].value));
}

static const lkc_stream_handlers_t push = {on_open, on_chunk, on_close};
static const lkc_stream_handlers_t pull = {on_open, NULL, on_close};

/* --- the fake session ----------------------------------------------------------------- */

static bool alice_present = true;

static bool present(void *user, const char *identity)
{
    return alice_present && strcmp(identity, "alice") == 0;
}

static lkc_room_t *room;

static lkc__streams_t *new_streams(GMainContext *ctx)
{
    return lkc__streams_new(room, ctx, &(lkc__streams_ports_t){.present = present, .user = NULL});
}

/* Feeds packets (lkc__outgoing_t*) as if they came from `who`. */
static void feed_from(lkc__streams_t *s, GPtrArray *pkts, guint from, guint to, const char *who)
{
    for (guint i = from; i < to && i < pkts->len; i++) {
        const lkc__outgoing_t *o = g_ptr_array_index(pkts, i);
        Livekit__DataPacket *dp = livekit__data_packet__unpack(NULL, o->len, o->encoded);
        CHECK(dp != NULL, "packet %u", i);
        lkc__streams_on_packet(s, dp, who);
        livekit__data_packet__free_unpacked(dp, NULL);
    }
}

static void feed(lkc__streams_t *s, GPtrArray *pkts, guint from, guint to)
{
    feed_from(s, pkts, from, to, "alice");
}

static void feed_all(lkc__streams_t *s, GPtrArray *pkts)
{
    feed(s, pkts, 0, pkts->len);
}

static char *utf8_text(size_t min_len)
{
    GString *g = g_string_new(NULL);
    const char *parts[] = {"é", "€", "𝄞", "a", " "};
    for (int i = 0; g->len < min_len; i++)
        g_string_append(g, parts[(i * 3) % 5]);
    return g_string_free(g, FALSE);
}

/* --- tests ---------------------------------------------------------------------------- */

static void test_v1_push(void)
{
    seen_reset();
    CHECK_OK(lkc_room_register_text_stream_handler(room, "chat", &push, NULL));
    CHECK_EQ_INT(lkc_room_register_text_stream_handler(room, "chat", &push, NULL), LKC_ERR_STATE);
    lkc__streams_t *s = new_streams(NULL);
    char *text = utf8_text(40000);
    lkc_kv_t attrs[] = {{"a", "1"}, {"b", "2"}};
    GPtrArray *p = lkc__stream_encode_text("T1", "chat", text, strlen(text), NULL, 0, attrs, 2, false, false);
    /* replace the trailer with one that has attributes */
    g_ptr_array_remove_index(p, p->len - 1);
    lkc_kv_t tattrs[] = {{"b", "3"}, {"lk.transcription_final", "true"}};
    g_ptr_array_add(p, lkc__stream_trailer_packet("T1", "", tattrs, 2, NULL, 0));
    feed(s, p, 0, 2);
    CHECK_EQ_INT(seen.opens, 1);
    CHECK(lkc__streams_wants_chunk(s, "T1", 2), "an open stream's chunks are wanted");
    CHECK(!lkc__streams_wants_chunk(s, "T2", 2), "others are not");
    feed(s, p, 2, p->len);
    CHECK_EQ_INT(seen.closes, 1);
    CHECK_EQ_INT(seen.last_status, LKC_OK);
    CHECK_STR(seen.last_reason, "");
    CHECK(seen.content->len == strlen(text) && memcmp(seen.content->data, text, strlen(text)) == 0, "content");
    CHECK(seen.chunks_utf8, "whole characters");
    CHECK(seen.has_total && seen.total == strlen(text), "total_length");
    CHECK_STR(g_hash_table_lookup(seen.attrs, "a"), "1");
    CHECK_STR(g_hash_table_lookup(seen.attrs, "b"), "3");
    CHECK_STR(g_hash_table_lookup(seen.attrs, "lk.transcription_final"), "true");
    CHECK(!lkc__streams_wants_chunk(s, "T1", 2), "ended");
    g_ptr_array_unref(p);
    g_free(text);
    lkc__streams_free(s);
    CHECK_OK(lkc_room_unregister_text_stream_handler(room, "chat"));
    CHECK_EQ_INT(lkc_room_unregister_text_stream_handler(room, "chat"), LKC_ERR_NOT_FOUND);
}

static void test_unhandled_dropped(void)
{
    seen_reset();
    lkc__streams_t *s = new_streams(NULL);
    CHECK_OK(lkc_room_register_byte_stream_handler(room, "lk.agent.session", &push, NULL));
    /* a text stream on a topic with byte handlers only, and a byte stream on another topic */
    GPtrArray *p = lkc__stream_encode_text("U1", "lk.agent.session", "x", 1, NULL, 0, NULL, 0, false, false);
    feed_all(s, p);
    g_ptr_array_unref(p);
    lkc__stream_head_t h = {.stream_id = "U2", .topic = "other"};
    p = lkc__stream_encode_oneshot(&h, (const uint8_t *)"abc", 3, false, false);
    feed(s, p, 0, 1);
    CHECK(!lkc__streams_wants_chunk(s, "U2", 2), "untracked");
    feed(s, p, 1, p->len);
    CHECK_EQ_INT(seen.opens, 0);
    g_ptr_array_unref(p);
    lkc__streams_free(s);
    CHECK_EQ_INT(seen.closes, 0);
    CHECK_OK(lkc_room_unregister_byte_stream_handler(room, "lk.agent.session"));
}

static void test_pull_and_inline(void)
{
    seen_reset();
    CHECK_OK(lkc_room_register_byte_stream_handler(room, "files", &pull, (void *)1));
    lkc__streams_t *s = new_streams(NULL);
    /* v2 inline, deflated: 30 kB of repeated bytes in one packet */
    uint8_t *data = g_malloc(30000);
    for (int i = 0; i < 30000; i++)
        data[i] = (uint8_t)(i % 7);
    lkc__stream_head_t h = {.stream_id = "P1", .topic = "files", .name = "a.bin"};
    GPtrArray *p = lkc__stream_encode_oneshot(&h, data, 30000, true, true);
    CHECK_EQ_INT(p->len, 1);
    feed_all(s, p);
    g_ptr_array_unref(p);
    CHECK_EQ_INT(seen.opens, 1);
    CHECK_EQ_INT(seen.closes, 1);
    CHECK_EQ_INT(seen.last_status, LKC_OK);
    lkc_stream_reader_t *r = seen.held;
    CHECK(r != NULL, "held");
    CHECK_STR(lkc_stream_reader_info(r)->name, "a.bin");
    CHECK(!lkc_stream_reader_info(r)->is_text, "bytes");
    CHECK_EQ_INT(lkc_stream_reader_received(r), 30000);
    uint8_t buf[1000];
    CHECK_EQ_INT(lkc_stream_read(r, buf, sizeof buf, 0), 1000);
    CHECK(memcmp(buf, data, 1000) == 0, "first bytes");
    uint8_t *rest = NULL;
    size_t n = 0;
    CHECK_OK(lkc_stream_read_all(r, &rest, &n, 0));
    CHECK(n == 29000 && memcmp(rest, data + 1000, n) == 0, "the rest");
    lkc_free(rest);
    CHECK_EQ_INT(lkc_stream_read(r, buf, sizeof buf, 0), LKC_EOS);
    CHECK_EQ_INT(lkc_stream_read(r, buf, sizeof buf, 1000), LKC_EOS);

    /* plain inline, empty */
    seen_reset();
    lkc__stream_head_t e = {.stream_id = "P0", .topic = "files"};
    p = lkc__stream_encode_oneshot(&e, NULL, 0, true, true);
    feed_all(s, p);
    g_ptr_array_unref(p);
    CHECK_EQ_INT(seen.closes, 1);
    CHECK_EQ_INT(lkc_stream_read(seen.held, buf, sizeof buf, 0), LKC_EOS);

    /* v1 in pull mode, read while it comes */
    seen_reset();
    lkc__stream_head_t v = {.stream_id = "P2", .topic = "files"};
    p = lkc__stream_encode_oneshot(&v, data, 30000, false, false);
    feed(s, p, 0, 2);
    CHECK_EQ_INT(lkc_stream_read(seen.held, buf, sizeof buf, 0), 1000);
    CHECK_EQ_INT(lkc_stream_read(seen.held, buf, sizeof buf, 0), 1000);
    CHECK_EQ_INT(lkc_stream_reader_received(seen.held), 15000);
    feed(s, p, 2, p->len);
    CHECK_OK(lkc_stream_read_all(seen.held, &rest, &n, 0));
    CHECK(n == 28000 && memcmp(rest, data + 2000, n) == 0, "the rest of P2");
    lkc_free(rest);
    g_ptr_array_unref(p);

    /* a push reader cannot be read */
    CHECK_EQ_INT(lkc_stream_read(NULL, buf, 1, 0), LKC_ERR_INVALID_ARG);
    g_free(data);
    lkc__streams_free(s);
    CHECK_OK(lkc_room_unregister_byte_stream_handler(room, "files"));
}

static void test_compressed_chunks_utf8(void)
{
    seen_reset();
    CHECK_OK(lkc_room_register_text_stream_handler(room, "t", &push, NULL));
    lkc__streams_t *s = new_streams(NULL);
    /* 400 kB of text that deflates to several chunks: the inflated pieces end inside
     * characters, and handlers must still see whole ones */
    GString *g = g_string_new(NULL);
    guint32 r = 7;
    const char *parts[] = {"é", "€", "𝄞", "a", "ß", "ж"};
    while (g->len < 400000) {
        r = r * 1103515245u + 12345u;
        g_string_append(g, parts[(r >> 16) % 6]);
    }
    GPtrArray *p = lkc__stream_encode_text("C1", "t", g->str, g->len, NULL, 0, NULL, 0, true, true);
    CHECK(p->len > 3, "chunked: %u packets", p->len);
    Livekit__DataPacket *dp = livekit__data_packet__unpack(NULL, ((lkc__outgoing_t *)p->pdata[0])->len,
                                                           ((lkc__outgoing_t *)p->pdata[0])->encoded);
    CHECK(dp->stream_header->compression == LIVEKIT__DATA_STREAM__COMPRESSION_TYPE__DEFLATE_RAW, "deflated");
    livekit__data_packet__free_unpacked(dp, NULL);
    feed_all(s, p);
    CHECK_EQ_INT(seen.last_status, LKC_OK);
    CHECK(seen.content->len == g->len && memcmp(seen.content->data, g->str, g->len) == 0, "content");
    CHECK(seen.chunks_utf8, "whole characters in every on_chunk");
    g_ptr_array_unref(p);
    g_string_free(g, TRUE);
    lkc__streams_free(s);
    CHECK_OK(lkc_room_unregister_text_stream_handler(room, "t"));
}

/* A header packet with deflated inline content or a deflated chunked stream of `plain`
 * zero bytes. */
static GPtrArray *bomb(const char *id, size_t plain, bool inline_)
{
    uint8_t *zeros = g_malloc0(plain);
    uint8_t *z = NULL;
    size_t zlen = 0;
    CHECK(lkc__deflate_raw(zeros, plain, &z, &zlen), "deflate");
    g_free(zeros);
    lkc__stream_head_t h = {.stream_id = id, .topic = "b", .compressed = true, .has_inline = inline_,
                            .inline_content = z, .inline_len = zlen};
    GPtrArray *p = g_ptr_array_new_with_free_func(lkc__outgoing_free);
    g_ptr_array_add(p, lkc__stream_header_packet(&h));
    if (!inline_) {
        for (size_t off = 0, i = 0; off < zlen; off += 15000, i++)
            g_ptr_array_add(p, lkc__stream_chunk_packet(id, i, z + off, MIN(15000, zlen - off), NULL, 0));
        g_ptr_array_add(p, lkc__stream_trailer_packet(id, "", NULL, 0, NULL, 0));
    }
    g_free(z);
    return p;
}

static void test_limits(void)
{
    lkc_stream_limits_t l;
    lkc_stream_limits_init(&l);
    l.max_decompressed = 1 << 20;
    l.max_buffered_per_stream = 100000;
    CHECK_OK(lkc_room_set_stream_limits(room, &l));
    lkc_stream_limits_t bad = l;
    bad.struct_size = 0;
    CHECK_EQ_INT(lkc_room_set_stream_limits(room, &bad), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_room_register_byte_stream_handler(room, "b", &push, NULL));
    lkc__streams_t *s = new_streams(NULL);

    /* 64 MB of zeros deflate to ~64 kB: inline and in chunks, both stop at 1 MiB */
    for (int k = 0; k < 2; k++) {
        seen_reset();
        GPtrArray *p = bomb(k ? "Z2" : "Z1", 64u << 20, k == 0);
        feed_all(s, p);
        g_ptr_array_unref(p);
        CHECK_EQ_INT(seen.closes, 1);
        CHECK_EQ_INT(seen.last_status, LKC_ERR_TOO_LARGE);
        CHECK(strstr(seen.last_reason, "limit") != NULL, "reason: %s", seen.last_reason);
        CHECK(seen.content->len <= (1u << 20), "at most the cap was delivered: %u", seen.content->len);
    }
    /* not deflate data at all */
    seen_reset();
    lkc__stream_head_t h = {.stream_id = "Z3", .topic = "b", .compressed = true, .has_inline = true,
                            .inline_content = (const uint8_t *)"\xff\xff\xff\xff", .inline_len = 4};
    GPtrArray *p = g_ptr_array_new_with_free_func(lkc__outgoing_free);
    g_ptr_array_add(p, lkc__stream_header_packet(&h));
    feed_all(s, p);
    g_ptr_array_unref(p);
    CHECK_EQ_INT(seen.last_status, LKC_ERR_PROTOCOL);
    CHECK_OK(lkc_room_unregister_byte_stream_handler(room, "b"));

    /* a pull reader nobody reads: stops at max_buffered_per_stream */
    seen_reset();
    CHECK_OK(lkc_room_register_byte_stream_handler(room, "b", &pull, (void *)1));
    uint8_t *data = g_malloc0(200000);
    lkc__stream_head_t v = {.stream_id = "L1", .topic = "b"};
    p = lkc__stream_encode_oneshot(&v, data, 200000, false, false);
    feed_all(s, p);
    g_ptr_array_unref(p);
    CHECK_EQ_INT(seen.last_status, LKC_ERR_TOO_LARGE);
    uint8_t *all = NULL;
    size_t n = 0;
    CHECK_EQ_INT(lkc_stream_read_all(seen.held, &all, &n, 0), LKC_ERR_TOO_LARGE);
    CHECK(strstr(lkc_stream_reader_error(seen.held), "max_buffered_per_stream") != NULL, "why: %s",
          lkc_stream_reader_error(seen.held));
    uint8_t buf[100];
    CHECK_EQ_INT(lkc_stream_read(seen.held, buf, sizeof buf, 0), 100); /* what came before the end is still read */

    /* a pull reader without a reference keeps nothing, and so passes no limit */
    seen_reset();
    CHECK_OK(lkc_room_unregister_byte_stream_handler(room, "b"));
    CHECK_OK(lkc_room_register_byte_stream_handler(room, "b", &pull, NULL));
    lkc__stream_head_t v2 = {.stream_id = "L2", .topic = "b"};
    p = lkc__stream_encode_oneshot(&v2, data, 200000, false, false);
    feed_all(s, p);
    g_ptr_array_unref(p);
    CHECK_EQ_INT(seen.last_status, LKC_OK);
    g_free(data);
    CHECK_OK(lkc_room_unregister_byte_stream_handler(room, "b"));
    lkc_stream_limits_init(&l);
    CHECK_OK(lkc_room_set_stream_limits(room, &l));
    lkc__streams_free(s);
}

static void test_bad_order_and_ends(void)
{
    CHECK_OK(lkc_room_register_byte_stream_handler(room, "o", &pull, (void *)1));
    lkc__streams_t *s = new_streams(NULL);
    uint8_t *data = g_malloc0(60000);
    lkc__stream_head_t h = {.stream_id = "O1", .topic = "o"};

    /* chunk 2 before chunk 1 */
    seen_reset();
    GPtrArray *p = lkc__stream_encode_oneshot(&h, data, 60000, false, false);
    feed(s, p, 0, 2);
    feed(s, p, 3, 4);
    CHECK_EQ_INT(seen.last_status, LKC_ERR_PROTOCOL);
    CHECK(strstr(seen.last_reason, "out of order") != NULL, "reason: %s", seen.last_reason);
    feed(s, p, 2, p->len); /* the rest is ignored */
    CHECK_EQ_INT(seen.closes, 1);
    /* a repeated chunk */
    seen_reset();
    feed(s, p, 0, 3);
    feed(s, p, 2, 3);
    CHECK_EQ_INT(seen.last_status, LKC_ERR_PROTOCOL);
    feed(s, p, 3, p->len);
    g_ptr_array_unref(p);

    /* chunks and trailer from another identity than the header (an agent's transcript,
     * its header sent on the user's behalf) belong to the stream all the same */
    seen_reset();
    p = lkc__stream_encode_oneshot(&h, data, 60000, false, false);
    feed(s, p, 0, 2);
    feed_from(s, p, 2, p->len, "agent");
    CHECK_EQ_INT(seen.closes, 1);
    CHECK_EQ_INT(seen.last_status, LKC_OK);
    CHECK_EQ_INT(lkc_stream_reader_received(seen.held), 60000);
    g_ptr_array_unref(p);

    /* the trailer has a reason: an abnormal end */
    seen_reset();
    p = g_ptr_array_new_with_free_func(lkc__outgoing_free);
    g_ptr_array_add(p, lkc__stream_header_packet(&h));
    g_ptr_array_add(p, lkc__stream_chunk_packet("O1", 0, data, 10, NULL, 0));
    g_ptr_array_add(p, lkc__stream_trailer_packet("O1", "user cancelled", NULL, 0, NULL, 0));
    feed_all(s, p);
    CHECK_EQ_INT(seen.last_status, LKC_ERR_CLOSED);
    CHECK_STR(seen.last_reason, "user cancelled");
    uint8_t buf[64];
    CHECK_EQ_INT(lkc_stream_read(seen.held, buf, sizeof buf, 0), 10);
    CHECK_EQ_INT(lkc_stream_read(seen.held, buf, sizeof buf, 0), LKC_ERR_CLOSED);
    CHECK_STR(lkc_stream_reader_error(seen.held), "user cancelled");

    /* the sender leaves */
    seen_reset();
    feed(s, p, 0, 2);
    alice_present = true;
    lkc__streams_on_model_changed(s);
    CHECK_EQ_INT(seen.closes, 0);
    alice_present = false;
    lkc__streams_on_model_changed(s);
    alice_present = true;
    CHECK_EQ_INT(seen.closes, 1);
    CHECK_EQ_INT(seen.last_status, LKC_ERR_CLOSED);
    CHECK(strstr(seen.last_reason, "left") != NULL, "reason: %s", seen.last_reason);

    /* a full reconnect */
    seen_reset();
    feed(s, p, 0, 2);
    lkc__streams_on_restart(s);
    CHECK_EQ_INT(seen.closes, 1);
    CHECK(strstr(seen.last_reason, "re-established") != NULL, "reason: %s", seen.last_reason);

    /* the session ends */
    seen_reset();
    feed(s, p, 0, 2);
    lkc_stream_reader_t *r = lkc_stream_reader_ref(seen.held);
    lkc__streams_free(s);
    CHECK_EQ_INT(seen.closes, 1);
    CHECK_EQ_INT(seen.last_status, LKC_ERR_CLOSED);
    CHECK_EQ_INT(lkc_stream_read(r, buf, sizeof buf, 0), 10);
    CHECK_EQ_INT(lkc_stream_read(r, buf, sizeof buf, 100), LKC_ERR_CLOSED);
    lkc_stream_reader_unref(r);
    g_ptr_array_unref(p);
    g_free(data);
    CHECK_OK(lkc_room_unregister_byte_stream_handler(room, "o"));
    seen_reset();
}

static void test_idle_timeout(void)
{
    lkc_stream_limits_t l;
    lkc_stream_limits_init(&l);
    l.idle_timeout_ms = 200;
    CHECK_OK(lkc_room_set_stream_limits(room, &l));
    CHECK_OK(lkc_room_register_text_stream_handler(room, "i", &push, NULL));
    GMainContext *ctx = g_main_context_new();
    lkc__streams_t *s = new_streams(ctx);
    seen_reset();
    GPtrArray *p = lkc__stream_encode_text("I1", "i", "abc", 3, NULL, 0, NULL, 0, false, false);
    feed(s, p, 0, 2);
    int64_t end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    while (seen.closes == 0 && g_get_monotonic_time() < end)
        g_main_context_iteration(ctx, FALSE), g_usleep(10000);
    CHECK_EQ_INT(seen.closes, 1);
    CHECK_EQ_INT(seen.last_status, LKC_ERR_TIMEOUT);
    g_ptr_array_unref(p);
    lkc__streams_free(s);
    g_main_context_unref(ctx);
    lkc_stream_limits_init(&l);
    CHECK_OK(lkc_room_set_stream_limits(room, &l));
    CHECK_OK(lkc_room_unregister_text_stream_handler(room, "i"));
    seen_reset();
}

/* Many streams at once, their packets interleaved; a reply_to id; the open-stream cap. */
static void test_interleaved_and_cap(void)
{
    enum { N = 20 };
    seen_reset();
    CHECK_OK(lkc_room_register_text_stream_handler(room, "m", &push, NULL));
    lkc__streams_t *s = new_streams(NULL);
    GPtrArray *p[N];
    char *text = utf8_text(50000);
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "M%d", i);
        lkc__stream_head_t h = {.stream_id = id, .topic = "m", .is_text = true, .reply_to = "Q1"};
        p[i] = lkc__stream_encode_oneshot(&h, (const uint8_t *)text, strlen(text), false, false);
    }
    for (guint k = 0; k < p[0]->len; k++)
        for (int i = 0; i < N; i++)
            feed(s, p[i], k, k + 1);
    CHECK_EQ_INT(seen.opens, N);
    CHECK_EQ_INT(seen.closes, N);
    CHECK_EQ_INT(seen.last_status, LKC_OK);
    CHECK_EQ_INT(seen.content->len, N * strlen(text));
    CHECK_STR(seen.reply_to, "Q1");
    /* the cap: with 2 open, a third header is dropped (no on_open) */
    lkc_stream_limits_t l;
    lkc_stream_limits_init(&l);
    l.max_open_streams = 2;
    CHECK_OK(lkc_room_set_stream_limits(room, &l));
    seen_reset();
    for (int i = 0; i < 3; i++)
        feed(s, p[i], 0, 1);
    CHECK_EQ_INT(seen.opens, 2);
    CHECK(!lkc__streams_wants_chunk(s, "M2", 2), "the third is not tracked");
    lkc_stream_limits_init(&l);
    CHECK_OK(lkc_room_set_stream_limits(room, &l));
    lkc__streams_free(s);
    CHECK_EQ_INT(seen.closes, 2);
    for (int i = 0; i < N; i++)
        g_ptr_array_unref(p[i]);
    g_free(text);
    CHECK_OK(lkc_room_unregister_text_stream_handler(room, "m"));
    seen_reset();
}

int main(void)
{
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    CHECK_OK(lkc_room_create(&o, &room));
    RUN(test_v1_push);
    RUN(test_unhandled_dropped);
    RUN(test_pull_and_inline);
    RUN(test_compressed_chunks_utf8);
    RUN(test_limits);
    RUN(test_bad_order_and_ends);
    RUN(test_idle_timeout);
    RUN(test_interleaved_and_cap);
    seen_reset();
    g_byte_array_unref(seen.content);
    lkc_room_destroy(room);
    return 0;
}
