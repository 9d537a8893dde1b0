/* Data streams between lkc and the official Python SDK (livekit 1.2.0) through the real
 * server, both ways: text and bytes with send_text / stream_text / send_bytes / send_file
 * / stream_bytes and lkc's one-shot calls and writers; one chunk and many; a 5 MiB file
 * byte-exact (sha256) both ways; UTF-8 characters across chunk edges and write edges;
 * attributes (header and trailer), topics and reply_to kept; a Python abort (its reason);
 * a topic nobody reads is dropped; destination identities (a second lkc
 * participant must not get what is not for it); a pull reader blocked in
 * lkc_stream_read in another thread; the v2 forms Python sends (inline, deflate) and what
 * Python advertises; a Python sender that leaves mid-stream; an lkc abort; backpressure
 * (a writer faster than the network gets LKC_ERR_WOULD_BLOCK, retries, nothing lost). */
#include <pthread.h>
#include <unistd.h>

#include "events.h"
#include "interop.h"
#include "lkc/stream.h"
#include "peer.h"
#include "room/streams.h"
#include "twirp.h"

/* --- what lkc received ---------------------------------------------------------------- */

typedef struct rec {
    char *id, *topic, *sender, *mime, *name, *reply_to;
    bool is_text, has_total;
    uint64_t total;
    GChecksum *sum;
    char sha[65];
    uint64_t len;
    int chunks;
    bool utf8_ok;
    bool closed;
    int status;
    char *reason;
    GHashTable *attrs;
    GString *text;            /* the first 4000 bytes */
    pthread_t reader;         /* pull mode: the thread blocked in lkc_stream_read */
    bool pull, joined;
    int on_close_calls;
    lkc_stream_reader_t *r;
    char *who;                /* which lkc participant got it */
} rec_t;

typedef struct coll {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    GPtrArray *recs;
    const char *who;
} coll_t;

static void rec_free(gpointer p)
{
    rec_t *r = p;
    g_free(r->id);
    g_free(r->topic);
    g_free(r->sender);
    g_free(r->mime);
    g_free(r->name);
    g_free(r->reply_to);
    g_free(r->reason);
    if (r->sum)
        g_checksum_free(r->sum);
    if (r->attrs)
        g_hash_table_destroy(r->attrs);
    g_string_free(r->text, TRUE);
    g_free(r);
}

static void coll_init(coll_t *c, const char *who)
{
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    c->recs = g_ptr_array_new_with_free_func(rec_free);
    c->who = who;
}

static void content(rec_t *r, const uint8_t *d, size_t n)
{
    g_checksum_update(r->sum, d, (gssize)n);
    r->len += n;
    r->chunks++;
    if (r->is_text && !g_utf8_validate((const char *)d, (gssize)n, NULL))
        r->utf8_ok = false;
    if (r->text->len < 4000)
        g_string_append_len(r->text, (const char *)d, (gssize)MIN(n, 4000 - r->text->len));
}

static void finish(coll_t *c, rec_t *r, const lkc_stream_info_t *info, int status, const char *reason)
{
    r->attrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (size_t i = 0; i < info->n_attributes; i++)
        g_hash_table_insert(r->attrs, g_strdup(info->attributes[i].key), g_strdup(info->attributes[i].value));
    g_strlcpy(r->sha, g_checksum_get_string(r->sum), sizeof r->sha);
    r->status = status;
    r->reason = g_strdup(reason);
    r->closed = true;
    pthread_cond_broadcast(&c->cond);
}

static void *pull_thread(void *p)
{
    rec_t *r = p;
    coll_t *c = (coll_t *)r->who; /* set below: the collector */
    uint8_t buf[20000];
    int n;
    while ((n = lkc_stream_read(r->r, buf, sizeof buf, -1)) > 0) {
        pthread_mutex_lock(&c->lock);
        content(r, buf, (size_t)n);
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_lock(&c->lock);
    finish(c, r, lkc_stream_reader_info(r->r), n == LKC_EOS ? LKC_OK : n, lkc_stream_reader_error(r->r));
    pthread_mutex_unlock(&c->lock);
    lkc_stream_reader_unref(r->r);
    return NULL;
}

static void on_open(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info, void *user)
{
    coll_t *c = user;
    rec_t *r = g_new0(rec_t, 1);
    r->id = g_strdup(info->id);
    r->topic = g_strdup(info->topic);
    r->sender = g_strdup(info->sender_identity);
    r->mime = g_strdup(info->mime_type);
    r->name = g_strdup(info->name);
    r->reply_to = g_strdup(info->reply_to_stream_id);
    r->is_text = info->is_text;
    r->has_total = info->has_total_length;
    r->total = info->total_length;
    r->sum = g_checksum_new(G_CHECKSUM_SHA256);
    r->utf8_ok = true;
    r->text = g_string_new(NULL);
    pthread_mutex_lock(&c->lock);
    g_ptr_array_add(c->recs, r);
    if (strcmp(info->topic, "stream.pull") == 0) {
        r->pull = true;
        r->r = lkc_stream_reader_ref(reader);
        r->who = (char *)c;
        pthread_create(&r->reader, NULL, pull_thread, r);
    }
    pthread_mutex_unlock(&c->lock);
}

static rec_t *find(coll_t *c, const char *id)
{
    for (guint i = 0; i < c->recs->len; i++) {
        rec_t *r = g_ptr_array_index(c->recs, i);
        if (strcmp(r->id, id) == 0)
            return r;
    }
    return NULL;
}

static void on_chunk(lkc_room_t *room, lkc_stream_reader_t *reader, const uint8_t *d, size_t n, void *user)
{
    coll_t *c = user;
    pthread_mutex_lock(&c->lock);
    rec_t *r = find(c, lkc_stream_reader_info(reader)->id);
    CHECK(r && !r->pull, "a chunk for an unknown stream");
    content(r, d, n);
    pthread_mutex_unlock(&c->lock);
}

static void on_close(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info, lkc_err_t st,
                     const char *reason, void *user)
{
    coll_t *c = user;
    pthread_mutex_lock(&c->lock);
    rec_t *r = find(c, info->id);
    CHECK(r && ++r->on_close_calls == 1, "on_close twice or for an unknown stream");
    if (!r->pull)
        finish(c, r, info, st, reason);
    pthread_mutex_unlock(&c->lock);
}

static const lkc_stream_handlers_t push = {on_open, on_chunk, on_close};
static const lkc_stream_handlers_t pull = {on_open, NULL, on_close};

/* The record of stream `id`, once it closed (NULL after timeout). */
static rec_t *wait_closed(coll_t *c, const char *id, int timeout_ms)
{
    int64_t end = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;
    pthread_mutex_lock(&c->lock);
    rec_t *r;
    while (!((r = find(c, id)) && r->closed)) {
        int64_t left = end - g_get_monotonic_time();
        if (left <= 0)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + MIN(left, 100000) * 1000;
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    pthread_mutex_unlock(&c->lock);
    if (r && r->closed && r->pull && !r->joined) {
        pthread_join(r->reader, NULL);
        r->joined = true;
    }
    return r && r->closed ? r : NULL;
}

/* Joins the pull threads nobody waited for (streams the other lkc room also got). */
static void join_pull_threads(coll_t *c)
{
    for (guint i = 0; i < c->recs->len; i++) {
        rec_t *r = g_ptr_array_index(c->recs, i);
        if (r->pull && !r->joined) {
            pthread_join(r->reader, NULL);
            r->joined = true;
        }
    }
}

static void register_all(lkc_room_t *r, coll_t *c)
{
    const char *topics[] = {"stream.text", "stream.text2", "stream.bytes", "stream.files"};
    for (size_t i = 0; i < G_N_ELEMENTS(topics); i++) {
        CHECK_OK(lkc_room_register_text_stream_handler(r, topics[i], &push, c));
        CHECK_OK(lkc_room_register_byte_stream_handler(r, topics[i], &push, c));
    }
    CHECK_OK(lkc_room_register_text_stream_handler(r, "stream.pull", &pull, c));
    CHECK_OK(lkc_room_register_byte_stream_handler(r, "stream.pull", &pull, c));
}

/* --- helpers -------------------------------------------------------------------------- */

static const char *str(JsonObject *o, const char *k)
{
    JsonNode *n = json_object_get_member(o, k);
    return n && JSON_NODE_HOLDS_VALUE(n) ? json_object_get_string_member(o, k) : NULL;
}

static char *sha_hex(const void *d, size_t n)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, d, n);
}

/* A Python command's *_done reply (fails on an error). */
static JsonObject *done(lkc_test_peer_t *py, const char *cmd, int n, int timeout_ms)
{
    char ev[64];
    snprintf(ev, sizeof ev, "%s_done", cmd);
    JsonObject *o = lkc_test_peer_wait(py, ev, NULL, NULL, n, timeout_ms);
    CHECK(o, "the peer did not finish %s #%d", cmd, n);
    CHECK(!str(o, "error"), "the peer's %s failed: %s", cmd, str(o, "error"));
    return o;
}

static JsonObject *py_got(lkc_test_peer_t *py, bool text, const char *id, int timeout_ms)
{
    JsonObject *o = lkc_test_peer_wait(py, text ? "text_stream" : "byte_stream", "id", id, 1, timeout_ms);
    CHECK(o, "the peer did not get %s stream %s", text ? "text" : "byte", id);
    return o;
}

static const char *py_attr(JsonObject *o, const char *k)
{
    JsonObject *a = json_object_get_object_member(o, "attributes");
    return a && json_object_has_member(a, k) ? json_object_get_string_member(a, k) : NULL;
}

static char *multibyte(size_t min_bytes)
{
    GString *g = g_string_new(NULL);
    const char *parts[] = {"é", "€", "𝄞", "a", "ж", "中"};
    guint32 x = 11;
    while (g->len < min_bytes) {
        x = x * 1103515245u + 12345u;
        g_string_append(g, parts[(x >> 16) % 6]);
    }
    return g_string_free(g, FALSE);
}

static uint8_t *random_bytes(size_t n, guint32 seed)
{
    uint8_t *b = g_malloc(n);
    GRand *r = g_rand_new_with_seed(seed);
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)g_rand_int(r);
    g_rand_free(r);
    return b;
}

static lkc_room_t *join(const char *room, const char *identity, lkc_test_events_t *ev)
{
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    return lkc_test_join(room, identity, ev, &o);
}

/* --- the test ------------------------------------------------------------------------- */

typedef struct {
    char *room;
    lkc_test_events_t *ev, *ev2;
    lkc_room_t *a, *b;        /* lkc-st (the main one) and lkc-other (destinations) */
    coll_t ca, cb;
    lkc_test_peer_t *py;
} ctx_t;

static void what_python_advertises(ctx_t *t)
{
    lkc_participant_list_t *list = NULL;
    CHECK_OK(lkc_room_get_participants(t->a, &list));
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->items[i].identity, "py-st") == 0)
            fprintf(stderr, "[streams] lkc's model: py-st client_protocol=%d capabilities=0x%x\n",
                    list->items[i].client_protocol, list->items[i].capabilities);
    lkc_participant_list_free(list);
    GPtrArray *ps = lkc_test_list_participants(t->room);
    JsonObject *py = lkc_test_find_participant(ps, "py-st");
    JsonObject *me = lkc_test_find_participant(ps, "lkc-st");
    CHECK(py && me, "ListParticipants");
    const char *keys[] = {"clientProtocol", "client_protocol", "capabilities", "version"};
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        for (int k = 0; k < 2; k++) {
            JsonObject *o = k ? me : py;
            if (!json_object_has_member(o, keys[i]))
                continue;
            JsonNode *n = json_object_get_member(o, keys[i]);
            char *s = json_to_string(n, FALSE);
            fprintf(stderr, "[streams] server: %s %s = %s\n", k ? "lkc-st" : "py-st", keys[i], s);
            g_free(s);
        }
    }
    g_ptr_array_unref(ps);
}

static void python_to_lkc(ctx_t *t)
{
    lkc__streams_counts_t c0, c1;
    lkc__streams_counts(&c0);

    /* send_text, short, multibyte, attributes, topic: one packet (v2) */
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"send_text\",\"text\":\"h\\u00e9llo \\ud834\\udd1e\",\"topic\":\"stream.text\","
                             "\"attributes\":{\"a\":\"1\",\"lk.segment_id\":\"SG_1\"}}");
    JsonObject *o = done(t->py, "send_text", 1, 15000);
    rec_t *r = wait_closed(&t->ca, str(o, "id"), 15000);
    CHECK(r, "lkc did not get the short text");
    CHECK_EQ_INT(r->status, LKC_OK);
    CHECK_STR(r->text->str, "héllo 𝄞");
    CHECK_STR(r->topic, "stream.text");
    CHECK_STR(r->sender, "py-st");
    CHECK(r->is_text && r->has_total && r->total == strlen("héllo 𝄞"), "text, total_length %llu",
          (unsigned long long)r->total);
    CHECK_STR(g_hash_table_lookup(r->attrs, "lk.segment_id"), "SG_1");
    CHECK_STR(g_hash_table_lookup(r->attrs, "a"), "1");
    CHECK(wait_closed(&t->cb, str(o, "id"), 5000), "lkc-other got the broadcast too");
    lkc__streams_counts(&c1);
    fprintf(stderr, "[streams] python send_text (short): v1 +%llu, inline +%llu, inline deflated +%llu\n",
            (unsigned long long)(c1.v1 - c0.v1), (unsigned long long)(c1.inline_plain - c0.inline_plain),
            (unsigned long long)(c1.inline_deflated - c0.inline_deflated));

    /* send_text, 300 kB of mixed characters (many chunks, or deflated) */
    lkc__streams_counts(&c0);
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"send_text\",\"text\":\"\\u00e9\\u20ac\\ud834\\udd1eaz\\u4e2d\","
                             "\"repeat\":25000,\"topic\":\"stream.text\"}");
    o = done(t->py, "send_text", 2, 30000);
    r = wait_closed(&t->ca, str(o, "id"), 30000);
    CHECK(r && r->status == LKC_OK, "the long text: %s", r ? r->reason : "did not end");
    CHECK_STR(r->sha, str(o, "sha256"));
    CHECK(r->utf8_ok, "every chunk whole UTF-8");
    lkc__streams_counts(&c1);
    fprintf(stderr, "[streams] python send_text (350 kB, %d pieces): v1 +%llu, inline +%llu, inline deflated "
                    "+%llu, chunked deflated +%llu\n",
            r->chunks, (unsigned long long)(c1.v1 - c0.v1), (unsigned long long)(c1.inline_plain - c0.inline_plain),
            (unsigned long long)(c1.inline_deflated - c0.inline_deflated),
            (unsigned long long)(c1.chunked_deflated - c0.chunked_deflated));

    /* stream_text: writes that each hold multibyte characters, 20000-byte writes (Python cuts
     * them at 15000 between characters), trailer attributes */
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"stream_text\",\"parts\":[\"\\u20ac\\u20ac\\u20ac\\u20ac\\u20ac\","
                             "\"\\ud834\\udd1e\\u00e9\"],\"repeat\":2000,\"topic\":\"stream.text2\","
                             "\"attributes\":{\"h\":\"1\"},\"close_attributes\":{\"lk.transcription_final\":\"true\"}}");
    o = done(t->py, "stream_text", 1, 30000);
    r = wait_closed(&t->ca, str(o, "id"), 30000);
    CHECK(r && r->status == LKC_OK, "stream_text: %s", r ? r->reason : "did not end");
    CHECK_STR(r->sha, str(o, "sha256"));
    CHECK(r->utf8_ok, "stream_text: whole characters");
    CHECK(!r->has_total, "stream_text sets no total_length");
    CHECK_STR(g_hash_table_lookup(r->attrs, "h"), "1");
    CHECK_STR(g_hash_table_lookup(r->attrs, "lk.transcription_final"), "true");
    CHECK_STR(r->topic, "stream.text2");

    /* bytes: one small (one packet), one of several chunks, incompressible */
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"send_bytes\",\"size\":1000,\"seed\":3,\"topic\":\"stream.bytes\","
                             "\"name\":\"small.bin\"}");
    o = done(t->py, "send_bytes", 1, 15000);
    r = wait_closed(&t->ca, str(o, "id"), 15000);
    CHECK(r && r->status == LKC_OK && r->len == 1000, "small bytes");
    CHECK_STR(r->sha, str(o, "sha256"));
    CHECK_STR(r->name, "small.bin");
    CHECK(!r->is_text, "bytes");
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"send_bytes\",\"size\":100000,\"seed\":4,\"topic\":\"stream.bytes\"}");
    o = done(t->py, "send_bytes", 2, 15000);
    r = wait_closed(&t->ca, str(o, "id"), 15000);
    CHECK(r && r->status == LKC_OK && r->len == 100000, "100 kB bytes");
    CHECK_STR(r->sha, str(o, "sha256"));

    /* stream_bytes in 10000-byte writes, into a pull reader blocked in lkc_stream_read */
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"stream_bytes\",\"size\":300000,\"seed\":5,\"piece\":10000,"
                             "\"topic\":\"stream.pull\",\"name\":\"pulled.bin\",\"delay_ms\":2}");
    o = done(t->py, "stream_bytes", 1, 30000);
    r = wait_closed(&t->ca, str(o, "id"), 30000);
    CHECK(r && r->status == LKC_OK && r->len == 300000, "pulled bytes: %s", r ? r->reason : "did not end");
    CHECK_STR(r->sha, str(o, "sha256"));
    CHECK(r->has_total && r->total == 300000, "total_length");

    /* a 5 MiB file */
    char *path = g_strdup_printf("/tmp/lkc-streams-py-%d.bin", getpid());
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"make_file\",\"path\":\"%s\",\"size\":%d,\"seed\":6}", path, 5 << 20);
    CHECK(lkc_test_peer_wait(t->py, "make_file_done", NULL, NULL, 1, 15000), "make_file");
    int64_t t0 = g_get_monotonic_time();
    lkc__streams_counts(&c0);
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"send_file\",\"path\":\"%s\",\"topic\":\"stream.files\","
                             "\"attributes\":{\"kind\":\"file\"}}", path);
    o = done(t->py, "send_file", 1, 60000);
    r = wait_closed(&t->ca, str(o, "id"), 60000);
    CHECK(r && r->status == LKC_OK, "5 MiB file: %s", r ? r->reason : "did not end");
    CHECK_EQ_INT(r->len, 5 << 20);
    CHECK_STR(r->sha, str(o, "sha256"));
    CHECK_STR(r->name, strrchr(path, '/') + 1);
    CHECK_STR(g_hash_table_lookup(r->attrs, "kind"), "file");
    lkc__streams_counts(&c1);
    fprintf(stderr, "[streams] python send_file 5 MiB -> lkc: %.2f s (%s, %d pieces, mime %s)\n",
            (g_get_monotonic_time() - t0) / 1e6, c1.chunked_deflated > c0.chunked_deflated ? "deflated" : "plain",
            r->chunks, r->mime);
    unlink(path);
    g_free(path);

    /* a reply (reply_to_stream_id), an abort with a reason, a topic nobody reads here */
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"send_text\",\"text\":\"re\",\"topic\":\"stream.text\","
                             "\"reply_to\":\"PREV-1\"}");
    o = done(t->py, "send_text", 3, 15000);
    r = wait_closed(&t->ca, str(o, "id"), 15000);
    CHECK(r && r->status == LKC_OK, "the reply");
    CHECK_STR(r->reply_to, "PREV-1");
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"stream_text\",\"parts\":[\"a\",\"b\"],\"topic\":\"stream.text\","
                             "\"abort_reason\":\"user hung up\"}");
    o = done(t->py, "stream_text", 2, 15000);
    r = wait_closed(&t->ca, str(o, "id"), 15000);
    CHECK(r, "the aborted stream did not end");
    CHECK_EQ_INT(r->status, LKC_ERR_CLOSED);
    CHECK_STR(r->reason, "user hung up");
    CHECK_STR(r->text->str, "ab");
    lkc__streams_counts(&c0);
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"send_bytes\",\"size\":100000,\"seed\":8,\"topic\":\"lk.agent.session\","
                             "\"compress\":false}");
    o = done(t->py, "send_bytes", 3, 15000);
    g_usleep(300000);
    lkc__streams_counts(&c1);
    CHECK(c1.unhandled - c0.unhandled == 2, "both lkc rooms dropped the unhandled stream (%llu)",
          (unsigned long long)(c1.unhandled - c0.unhandled));
    pthread_mutex_lock(&t->ca.lock);
    CHECK(find(&t->ca, str(o, "id")) == NULL, "an unhandled topic reached a handler");
    pthread_mutex_unlock(&t->ca.lock);

    /* destination identities: only lkc-st gets it */
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"send_text\",\"text\":\"just for you\",\"topic\":\"stream.text\","
                             "\"to\":[\"lkc-st\"]}");
    o = done(t->py, "send_text", 4, 15000);
    char *only = g_strdup(str(o, "id"));
    r = wait_closed(&t->ca, only, 15000);
    CHECK(r && strcmp(r->text->str, "just for you") == 0, "lkc-st got its text");
    /* a broadcast after it marks the end: once lkc-other has that, the other would have come */
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"send_text\",\"text\":\"for all\",\"topic\":\"stream.text\"}");
    o = done(t->py, "send_text", 5, 15000);
    CHECK(wait_closed(&t->cb, str(o, "id"), 15000), "lkc-other got the broadcast");
    CHECK(wait_closed(&t->cb, only, 0) == NULL, "lkc-other got a stream meant for lkc-st only");
    g_free(only);
}

static void lkc_to_python(ctx_t *t)
{
    /* one-shot text, short, attributes (one packet: Python advertises v2) */
    lkc_stream_options_t o;
    lkc_stream_options_init(&o);
    o.topic = "stream.text";
    lkc_kv_t attrs[] = {{"x", "1"}, {"lk.segment_id", "SG_lkc"}};
    o.attributes = attrs;
    o.n_attributes = 2;
    char id[LKC_STREAM_ID_LEN];
    const char *hello = "héllo 𝄞 from lkc";
    CHECK_OK(lkc_stream_send_text(t->a, hello, strlen(hello), &o, id));
    JsonObject *p = py_got(t->py, true, id, 15000);
    CHECK(!str(p, "error"), "error %s", str(p, "error"));
    CHECK_STR(str(p, "text"), hello);
    CHECK_STR(str(p, "topic"), "stream.text");
    CHECK_STR(str(p, "sender"), "lkc-st");
    CHECK_STR(py_attr(p, "lk.segment_id"), "SG_lkc");
    CHECK_EQ_INT(json_object_get_int_member(p, "size"), strlen(hello));

    /* one-shot text, 300 kB multibyte: deflated (Python accepts it) or chunks */
    char *big = multibyte(300000);
    o.attributes = NULL;
    o.n_attributes = 0;
    CHECK_OK(lkc_stream_send_text(t->a, big, strlen(big), &o, id));
    p = py_got(t->py, true, id, 30000);
    char *want = sha_hex(big, strlen(big));
    CHECK(!str(p, "error"), "error %s", str(p, "error"));
    CHECK_STR(str(p, "sha256"), want);
    g_free(want);
    /* and without compression: v1 chunks cut between characters */
    o.compress = false;
    CHECK_OK(lkc_stream_send_text(t->a, big, strlen(big), &o, id));
    p = py_got(t->py, true, id, 30000);
    want = sha_hex(big, strlen(big));
    CHECK_STR(str(p, "sha256"), want);
    CHECK(json_object_get_int_member(p, "chunks") >= 20, "%lld pieces", (long long)json_object_get_int_member(p, "chunks"));
    g_free(want);
    o.compress = true;

    /* a text writer whose writes end inside characters, trailer attributes */
    lkc_stream_writer_t *w = NULL;
    o.topic = "stream.text2";
    CHECK_OK(lkc_stream_open_text(t->a, &o, &w));
    size_t len = strlen(big);
    for (size_t off = 0; off < len;) {
        size_t n = MIN(len - off, 7001); /* 7001: an odd size, so most writes end mid-character */
        CHECK_OK(lkc_stream_write(w, big + off, n));
        off += n;
    }
    g_strlcpy(id, lkc_stream_writer_id(w), sizeof id);
    lkc_kv_t fin[] = {{"lk.transcription_final", "true"}};
    CHECK_OK(lkc_stream_close(w, fin, 1));
    p = py_got(t->py, true, id, 30000);
    want = sha_hex(big, len);
    CHECK(!str(p, "error"), "error %s", str(p, "error"));
    CHECK_STR(str(p, "sha256"), want);
    CHECK_STR(py_attr(p, "lk.transcription_final"), "true");
    CHECK_STR(str(p, "topic"), "stream.text2");
    g_free(want);
    g_free(big);

    /* bytes: small and 200 kB incompressible */
    uint8_t *data = random_bytes(200000, 9);
    o.topic = "stream.bytes";
    o.name = "lkc.bin";
    o.mime_type = "application/x-test";
    CHECK_OK(lkc_stream_send_bytes(t->a, data, 1000, &o, id));
    p = py_got(t->py, false, id, 15000);
    want = sha_hex(data, 1000);
    CHECK_STR(str(p, "sha256"), want);
    CHECK_STR(str(p, "name"), "lkc.bin");
    CHECK_STR(str(p, "mime_type"), "application/x-test");
    g_free(want);
    CHECK_OK(lkc_stream_send_bytes(t->a, data, 200000, &o, id));
    p = py_got(t->py, false, id, 15000);
    want = sha_hex(data, 200000);
    CHECK_STR(str(p, "sha256"), want);
    g_free(want);

    /* a byte writer, then an abort */
    o.name = "written.bin";
    o.mime_type = NULL;
    o.has_total_length = true;
    o.total_length = 200000;
    CHECK_OK(lkc_stream_open_bytes(t->a, &o, &w));
    for (size_t off = 0; off < 200000; off += 7000)
        CHECK_OK(lkc_stream_write(w, data + off, MIN(7000, 200000 - off)));
    g_strlcpy(id, lkc_stream_writer_id(w), sizeof id);
    CHECK_OK(lkc_stream_close(w, NULL, 0));
    p = py_got(t->py, false, id, 15000);
    want = sha_hex(data, 200000);
    CHECK_STR(str(p, "sha256"), want);
    CHECK_EQ_INT(json_object_get_int_member(p, "size"), 200000);
    g_free(want);
    o.has_total_length = false;
    CHECK_OK(lkc_stream_open_bytes(t->a, &o, &w));
    CHECK_OK(lkc_stream_write(w, data, 20000));
    g_strlcpy(id, lkc_stream_writer_id(w), sizeof id);
    CHECK_OK(lkc_stream_abort(w, "changed my mind"));
    p = py_got(t->py, false, id, 15000);
    CHECK(str(p, "error") && strstr(str(p, "error"), "changed my mind"), "Python's error: %s", str(p, "error"));
    fprintf(stderr, "[streams] lkc abort -> Python: \"%s\"\n", str(p, "error"));
    g_free(data);

    /* a 5 MiB file (bigger than lkc's queue: sent in parts, read piece by piece) */
    char *path = g_strdup_printf("/tmp/lkc-streams-c-%d.bin", getpid());
    data = random_bytes(5 << 20, 10);
    CHECK(g_file_set_contents(path, (const char *)data, 5 << 20, NULL), "write %s", path);
    want = sha_hex(data, 5 << 20);
    g_free(data);
    o.topic = "stream.files";
    o.name = NULL;
    int64_t t0 = g_get_monotonic_time();
    CHECK_OK(lkc_stream_send_file(t->a, path, &o, id));
    p = py_got(t->py, false, id, 60000);
    fprintf(stderr, "[streams] lkc send_file 5 MiB -> python: %.2f s\n", (g_get_monotonic_time() - t0) / 1e6);
    CHECK(!str(p, "error"), "error %s", str(p, "error"));
    CHECK_STR(str(p, "sha256"), want);
    CHECK_STR(str(p, "name"), strrchr(path, '/') + 1);
    CHECK_EQ_INT(json_object_get_int_member(p, "length"), 5 << 20);
    g_free(want);
    unlink(path);
    g_free(path);
    /* a compressible 6 MiB file: deflated in chunks (Python accepts deflate) */
    path = g_strdup_printf("/tmp/lkc-streams-c-%d.txt", getpid());
    GString *g = g_string_new(NULL);
    for (int i = 0; g->len < (6u << 20); i++)
        g_string_append_printf(g, "line %d: the quick brown fox jumps over the lazy dog\n", i);
    CHECK(g_file_set_contents(path, g->str, (gssize)g->len, NULL), "write %s", path);
    want = sha_hex(g->str, g->len);
    t0 = g_get_monotonic_time();
    CHECK_OK(lkc_stream_send_file(t->a, path, &o, id));
    p = py_got(t->py, false, id, 60000);
    fprintf(stderr, "[streams] lkc send_file 6 MiB of text (deflated) -> python: %.2f s, mime %s\n",
            (g_get_monotonic_time() - t0) / 1e6, str(p, "mime_type"));
    CHECK(!str(p, "error"), "error %s", str(p, "error"));
    CHECK_STR(str(p, "sha256"), want);
    CHECK_EQ_INT(json_object_get_int_member(p, "length"), g->len);
    CHECK_EQ_INT(json_object_get_int_member(p, "size"), g->len);
    g_free(want);
    g_string_free(g, TRUE);
    unlink(path);
    g_free(path);
    CHECK_EQ_INT(lkc_stream_send_file(t->a, "/nonexistent/x", &o, id), LKC_ERR_IO);

    /* destinations: Python gets it, lkc-other does not (lkc-other gets the broadcast after) */
    const char *to[] = {"py-st"};
    o.topic = "stream.text";
    o.destination_identities = to;
    o.n_destinations = 1;
    CHECK_OK(lkc_stream_send_text(t->a, "only python", 11, &o, id));
    char only[LKC_STREAM_ID_LEN];
    memcpy(only, id, sizeof only);
    py_got(t->py, true, only, 15000);
    o.destination_identities = NULL;
    o.n_destinations = 0;
    CHECK_OK(lkc_stream_send_text(t->a, "everyone", 8, &o, id));
    CHECK(wait_closed(&t->cb, id, 15000), "lkc-other got the broadcast");
    CHECK(!wait_closed(&t->cb, only, 0), "lkc-other got a stream for Python only");

    /* bad arguments */
    lkc_stream_options_t raw;
    memset(&raw, 0, sizeof raw);
    CHECK_EQ_INT(lkc_stream_send_text(t->a, "x", 1, &raw, id), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_stream_send_text(NULL, "x", 1, NULL, id), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_stream_open_text(t->a, NULL, NULL), LKC_ERR_INVALID_ARG);
    /* text that is not UTF-8 is refused, nothing sent; a writer stays usable */
    CHECK_EQ_INT(lkc_stream_send_text(t->a, "ok \xff", 4, NULL, id), LKC_ERR_INVALID_ARG);
    o.topic = "stream.text";
    CHECK_OK(lkc_stream_open_text(t->a, &o, &w));
    CHECK_OK(lkc_stream_write(w, "\xe2\x82", 2));          /* the start of a euro sign: held */
    CHECK_EQ_INT(lkc_stream_write(w, "\xff", 1), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_stream_write(w, "\xac!", 2));              /* its end */
    g_strlcpy(id, lkc_stream_writer_id(w), sizeof id);
    CHECK_OK(lkc_stream_close(w, NULL, 0));
    p = py_got(t->py, true, id, 15000);
    CHECK_STR(str(p, "text"), "€!");
}

/* A writer much faster than the network: with timeout 0 it is told LKC_ERR_WOULD_BLOCK
 * (nothing taken) and writes the same bytes again later; everything arrives once. */
static void backpressure(ctx_t *t)
{
    size_t total = 10u << 20;
    uint8_t *data = random_bytes(total, 12);
    lkc_stream_options_t o;
    lkc_stream_options_init(&o);
    o.topic = "stream.bytes";
    o.timeout_ms = 0;
    lkc_stream_writer_t *w = NULL;
    CHECK_OK(lkc_stream_open_bytes(t->a, &o, &w));
    char id[LKC_STREAM_ID_LEN];
    g_strlcpy(id, lkc_stream_writer_id(w), sizeof id);
    int blocked = 0;
    int64_t t0 = g_get_monotonic_time();
    for (size_t off = 0; off < total;) {
        size_t n = MIN(total - off, 60000);
        lkc_err_t rc = lkc_stream_write(w, data + off, n);
        if (rc == LKC_ERR_WOULD_BLOCK) {
            blocked++;
            g_usleep(2000);
            continue;
        }
        CHECK_OK(rc);
        off += n;
    }
    CHECK_OK(lkc_stream_close(w, NULL, 0));
    JsonObject *p = py_got(t->py, false, id, 120000);
    double secs = (g_get_monotonic_time() - t0) / 1e6;
    char *want = sha_hex(data, total);
    CHECK_STR(str(p, "sha256"), want);
    fprintf(stderr, "[streams] backpressure: 10 MiB in %.2f s (%.1f MB/s), LKC_ERR_WOULD_BLOCK %d times\n", secs,
            total / secs / 1e6, blocked);
    CHECK(blocked > 0, "the writer was never held back");
    g_free(want);
    g_free(data);
}

static void python_leaves_midstream(ctx_t *t)
{
    lkc_test_peer_cmd(t->py, "{\"cmd\":\"stream_text\",\"parts\":[\"part \"],\"repeat\":10,\"leave_after\":3,"
                             "\"topic\":\"stream.pull\"}");
    JsonObject *o = lkc_test_peer_wait(t->py, "stream_text_leaving", NULL, NULL, 1, 15000);
    CHECK(o, "the peer did not start leaving");
    rec_t *r = wait_closed(&t->ca, str(o, "id"), 20000);
    CHECK(r, "lkc's reader did not end when its sender left");
    fprintf(stderr, "[streams] python left mid-stream: lkc's reader ended with %s: \"%s\" after %llu bytes\n",
            lkc_err_str(r->status), r->reason, (unsigned long long)r->len);
    CHECK(r->status != LKC_OK && *r->reason, "an abnormal end with a reason");
    CHECK_STR(r->text->str, "part part part ");
}

static void streams_with_python(void)
{
    ctx_t t = {0};
    t.room = lkc_test_room_name("streams");
    t.ev = lkc_test_events_new();
    t.ev2 = lkc_test_events_new();
    coll_init(&t.ca, "lkc-st");
    coll_init(&t.cb, "lkc-other");
    lkc_room_options_t ro;
    lkc_room_options_init(&ro);
    lkc_room_t *a = NULL;
    /* handlers before connecting (they are kept across sessions) */
    lkc_test_events_install(t.ev, &ro);
    CHECK_OK(lkc_room_create(&ro, &a));
    register_all(a, &t.ca);
    CHECK_EQ_INT(lkc_room_register_text_stream_handler(a, "stream.text", &push, &t.ca), LKC_ERR_STATE);
    char *tok = lkc_test_token(t.room, "lkc-st", NULL, NULL);
    CHECK_OK(lkc_room_connect(a, lkc_test_env()->url, tok));
    lkc_free(tok);
    CHECK_OK(lkc_room_wait_connected(a, 15000));
    t.a = a;
    t.b = join(t.room, "lkc-other", t.ev2);
    register_all(t.b, &t.cb); /* and after */
    t.py = lkc_test_peer_start(t.room, "py-st", NULL);
    CHECK(lkc_test_events_wait(t.ev, "participant_connected", "py-st", 1, 15000), "lkc did not see the peer");
    CHECK(lkc_test_events_wait(t.ev2, "participant_connected", "py-st", 1, 15000), "lkc-other did not see it");

    int64_t t0 = g_get_monotonic_time();
    what_python_advertises(&t);
    python_to_lkc(&t);
    fprintf(stderr, "[streams] python -> lkc: %.1f s\n", (g_get_monotonic_time() - t0) / 1e6);
    t0 = g_get_monotonic_time();
    lkc_to_python(&t);
    fprintf(stderr, "[streams] lkc -> python: %.1f s\n", (g_get_monotonic_time() - t0) / 1e6);
    backpressure(&t);
    python_leaves_midstream(&t);

    lkc_test_peer_stop(t.py);
    lkc_room_destroy(t.b);
    lkc_room_destroy(t.a);
    join_pull_threads(&t.ca); /* their streams ended at the latest with the rooms */
    join_pull_threads(&t.cb);
    g_ptr_array_unref(t.ca.recs);
    g_ptr_array_unref(t.cb.recs);
    lkc_test_events_free(t.ev);
    lkc_test_events_free(t.ev2);
    g_free(t.room);
}

int main(void)
{
    lkc_test_env();
    RUN(streams_with_python);
    return 0;
}
