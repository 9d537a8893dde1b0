/* Incoming data streams on the engine thread (see streams.h): streams by id, each with
 * its consumers (lkc's own first, then the app's: a reader each), chunk order, deflate-raw
 * content inflated as it comes, the limits, and every way a stream ends (R7). */
#include "room/streams.h"

#include <stdatomic.h>
#include <string.h>
#include <zlib.h>

#include "base/log.h"
#include "livekit_data_stream.pb-c.h"
#include "room/stream_encode.h"
#include "room/stream_reader.h"
#include "room/stream_topics.h"

#define MOD "room.stream"
#define INFLATE_OUT 65536   /* content is handed on in pieces of at most this much */
#define IDLE_CHECK_MS 1000
#define MAX_ID_LEN 128      /* longer stream ids are not looked up without allocating */

typedef struct consumer {
    lkc_stream_handlers_t h;
    void *user;
    lkc_stream_reader_t *reader; /* the engine's reference */
    bool internal;               /* lkc's own (RPC v2...): called even once destroy began, so
                                    that it can always release what it keeps per stream */
} consumer_t;


typedef struct instream {
    char *id;
    char *sender;
    bool text;
    bool sender_seen;        /* the sender was in the room at some point (so leaving means gone) */
    uint64_t next_index;
    consumer_t c[2];
    int n;
    bool compressed;
    z_stream z;
    bool z_open;
    bool z_done;
    uint64_t inflated;
    uint64_t max_decompressed;
    int64_t last_us;         /* monotonic time of the header or the last chunk */
    int64_t idle_us;
    uint8_t carry[4];        /* text: an incomplete UTF-8 sequence waiting for its end */
    size_t carry_len;
} instream_t;

struct lkc__streams {
    lkc_room_t *room;
    GMainContext *ctx;
    lkc__streams_ports_t ports;
    GHashTable *open;        /* id -> instream_t* */
    GSource *idle_timer;
    lkc__stream_budget_t *budget;
    uint8_t *zbuf;           /* INFLATE_OUT bytes, shared: one stream inflates at a time */
};

/* Whether consumer `c` may be called now: lkc's own always, the app's until destroy. */
static bool callable(lkc__streams_t *s, const consumer_t *c)
{
    return c->internal || lkc__room_handlers_on(s->room);
}

static _Atomic uint64_t n_v1, n_inline_plain, n_inline_deflated, n_chunked_deflated, n_unhandled;

void lkc__streams_counts(lkc__streams_counts_t *out)
{
    out->v1 = atomic_load(&n_v1);
    out->inline_plain = atomic_load(&n_inline_plain);
    out->inline_deflated = atomic_load(&n_inline_deflated);
    out->chunked_deflated = atomic_load(&n_chunked_deflated);
    out->unhandled = atomic_load(&n_unhandled);
}

lkc__streams_t *lkc__streams_new(lkc_room_t *room, GMainContext *ctx, const lkc__streams_ports_t *ports)
{
    lkc__streams_t *s = g_new0(lkc__streams_t, 1);
    s->room = room;
    s->ctx = ctx;
    s->ports = *ports;
    s->open = g_hash_table_new(g_str_hash, g_str_equal);
    s->budget = lkc__stream_topics_budget(room);
    return s;
}

static void stream_free(instream_t *st)
{
    for (int i = 0; i < st->n; i++)
        lkc_stream_reader_unref(st->c[i].reader);
    if (st->z_open)
        inflateEnd(&st->z);
    g_free(st->id);
    g_free(st->sender);
    g_free(st);
}

/* Calls every consumer's on_close (once) after the readers ended, and frees the stream.
 * The stream must no longer be in the table. */
static void close_stream(lkc__streams_t *s, instream_t *st, lkc_err_t status, const char *reason,
                         Livekit__DataStream__Trailer__AttributesEntry *const *attrs, size_t n_attrs)
{
    if (status != LKC_OK)
        LKC_LOGI(MOD, "stream %s from %s ends: %s (%s)", st->id, *st->sender ? st->sender : "the server", reason,
                 lkc_err_str(status));
    for (int i = 0; i < st->n; i++)
        lkc__stream_reader_finish(st->c[i].reader, status, reason, attrs, n_attrs);
    for (int i = 0; i < st->n; i++)
        if (callable(s, &st->c[i]))
            st->c[i].h.on_close(s->room, st->c[i].reader, lkc_stream_reader_info(st->c[i].reader), status,
                                reason ? reason : "", st->c[i].user);
    stream_free(st);
}

/* Ends an open stream (takes it out of the table first: a handler never sees it twice). */
static void end_stream(lkc__streams_t *s, instream_t *st, lkc_err_t status, const char *reason)
{
    g_hash_table_remove(s->open, st->id);
    close_stream(s, st, status, reason, NULL, 0);
}

static void end_all(lkc__streams_t *s, lkc_err_t status, const char *reason)
{
    GList *all = g_hash_table_get_values(s->open);
    g_hash_table_remove_all(s->open);
    for (GList *l = all; l; l = l->next)
        close_stream(s, l->data, status, reason, NULL, 0);
    g_list_free(all);
}

void lkc__streams_free(lkc__streams_t *s)
{
    if (!s)
        return;
    end_all(s, LKC_ERR_CLOSED, "the room was closed");
    if (s->idle_timer) {
        g_source_destroy(s->idle_timer);
        g_source_unref(s->idle_timer);
    }
    g_hash_table_destroy(s->open);
    lkc__stream_budget_unref(s->budget);
    g_free(s->zbuf);
    g_free(s);
}

/* Content for the consumers (after inflating). false when the stream ended meanwhile (a
 * limit): then `st` is gone. */
static bool deliver_raw(lkc__streams_t *s, instream_t *st, const uint8_t *data, size_t len)
{
    if (len == 0)
        return true;
    for (int i = 0; i < st->n; i++) {
        const char *why = NULL;
        if (lkc__stream_reader_append(st->c[i].reader, data, len, &why) != LKC_OK) {
            end_stream(s, st, LKC_ERR_TOO_LARGE, why);
            return false;
        }
    }
    for (int i = 0; i < st->n; i++)
        if (st->c[i].h.on_chunk && callable(s, &st->c[i]))
            st->c[i].h.on_chunk(s->room, st->c[i].reader, data, len, st->c[i].user);
    return true;
}

/* Text goes out in whole characters: an incomplete one at the end waits for the rest. */
static bool deliver(lkc__streams_t *s, instream_t *st, const uint8_t *data, size_t len)
{
    if (!st->text)
        return deliver_raw(s, st, data, len);
    if (st->carry_len) { /* complete the held-back character from the new bytes */
        while (len && st->carry_len < sizeof st->carry &&
               lkc__utf8_incomplete_tail(st->carry, st->carry_len) == st->carry_len) {
            st->carry[st->carry_len++] = *data++;
            len--;
        }
        size_t hold = lkc__utf8_incomplete_tail(st->carry, st->carry_len);
        if (hold && hold == st->carry_len && len == 0)
            return true; /* still incomplete */
        uint8_t c[4];
        size_t n = st->carry_len;
        memcpy(c, st->carry, n);
        st->carry_len = 0;
        if (!deliver_raw(s, st, c, n))
            return false;
    }
    size_t hold = lkc__utf8_incomplete_tail(data, len);
    if (!deliver_raw(s, st, data, len - hold))
        return false;
    if (hold) /* data may be NULL when len is 0 (an empty stream) */
        memcpy(st->carry, data + len - hold, hold);
    st->carry_len = hold;
    return true;
}

/* Inflates `len` compressed bytes and delivers the result. false: the stream ended. */
static bool inflate_deliver(lkc__streams_t *s, instream_t *st, const uint8_t *data, size_t len)
{
    if (st->z_done) {
        if (len)
            LKC_LOGD(MOD, "stream %s: %zu bytes after the end of its deflate data ignored", st->id, len);
        return true;
    }
    if (!s->zbuf)
        s->zbuf = g_malloc(INFLATE_OUT);
    st->z.next_in = (Bytef *)data;
    st->z.avail_in = (uInt)len;
    for (;;) {
        st->z.next_out = s->zbuf;
        st->z.avail_out = INFLATE_OUT;
        int rc = inflate(&st->z, Z_NO_FLUSH);
        size_t out = INFLATE_OUT - st->z.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            end_stream(s, st, LKC_ERR_PROTOCOL, "its compressed content is not valid deflate data");
            return false;
        }
        st->inflated += out;
        if (st->inflated > st->max_decompressed) {
            end_stream(s, st, LKC_ERR_TOO_LARGE, "its decompressed content passed its limit (max_decompressed)");
            return false;
        }
        if (!deliver(s, st, s->zbuf, out))
            return false;
        if (rc == Z_STREAM_END) {
            st->z_done = true;
            return true;
        }
        if (st->z.avail_in == 0 && st->z.avail_out != 0)
            return true; /* all input taken, all output given */
        if (rc == Z_BUF_ERROR && out == 0)
            return true;
    }
}

/* --- idle streams ------------------------------------------------------------------- */

static gboolean on_idle_check(gpointer user)
{
    lkc__streams_t *s = user;
    int64_t now = g_get_monotonic_time();
    GList *idle = NULL;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, s->open);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        instream_t *st = v;
        if (now - st->last_us > st->idle_us)
            idle = g_list_prepend(idle, st);
    }
    for (GList *l = idle; l; l = l->next)
        end_stream(s, l->data, LKC_ERR_TIMEOUT, "no data came for the idle timeout (idle_timeout_ms)");
    g_list_free(idle);
    if (g_hash_table_size(s->open) == 0) {
        g_source_unref(s->idle_timer);
        s->idle_timer = NULL;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void watch_idle(lkc__streams_t *s)
{
    if (s->idle_timer || !s->ctx)
        return;
    s->idle_timer = g_timeout_source_new(IDLE_CHECK_MS);
    g_source_set_callback(s->idle_timer, on_idle_check, s, NULL);
    g_source_attach(s->idle_timer, s->ctx);
}

/* --- packets ------------------------------------------------------------------------ */

/* Content that came whole (an inline header), inflated into one buffer up to `cap`. */
static uint8_t *inflate_whole(const uint8_t *in, size_t len, uint64_t cap, size_t *out_len, const char **why)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) {
        *why = "zlib could not start";
        return NULL;
    }
    GByteArray *b = g_byte_array_new();
    uint8_t buf[16384];
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    int rc;
    do {
        z.next_out = buf;
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        size_t n = sizeof buf - z.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && n == 0 && z.avail_in == 0)) {
            *why = "its compressed content is not valid deflate data";
            break;
        }
        if (b->len + n > cap) {
            *why = "its decompressed content passed its limit";
            rc = Z_MEM_ERROR;
            break;
        }
        g_byte_array_append(b, buf, (guint)n);
        if (rc == Z_BUF_ERROR || (z.avail_in == 0 && z.avail_out != 0))
            break; /* input used up (a stream without its final block is taken as is) */
    } while (rc != Z_STREAM_END);
    inflateEnd(&z);
    if (*why) {
        g_byte_array_unref(b);
        return NULL;
    }
    *out_len = b->len;
    return g_byte_array_free(b, FALSE);
}

static void on_header(lkc__streams_t *s, const Livekit__DataStream__Header *h, const char *sender)
{
    if (!h->stream_id || !*h->stream_id) {
        LKC_LOGW(MOD, "dropping a stream header without a stream id from %s", sender);
        return;
    }
    bool text;
    if (h->content_header_case == LIVEKIT__DATA_STREAM__HEADER__CONTENT_HEADER_TEXT_HEADER)
        text = true;
    else if (h->content_header_case == LIVEKIT__DATA_STREAM__HEADER__CONTENT_HEADER_BYTE_HEADER)
        text = false;
    else {
        LKC_LOGW(MOD, "dropping stream %s from %s: neither text nor bytes", h->stream_id, sender);
        return;
    }
    if (g_hash_table_contains(s->open, h->stream_id)) {
        LKC_LOGW(MOD, "dropping a second header of stream %s from %s", h->stream_id, sender);
        return;
    }
    const char *topic = h->topic ? h->topic : "";
    /* who reads it: lkc itself, then the app; nobody -> not tracked (its chunks are
     * dropped before they are decoded, see lkc__streams_wants_chunk) */
    consumer_t c[2];
    int n = 0;
    void *u = NULL;
    const lkc_stream_handlers_t *in = s->ports.internal ? s->ports.internal(s->ports.user, topic, text, &u) : NULL;
    if (in && in->on_close)
        c[n++] = (consumer_t){.h = *in, .user = u, .internal = true};
    if (lkc__stream_topics_lookup(s->room, topic, text, &c[n].h, &c[n].user)) {
        c[n].internal = false;
        n++;
    }
    if (n == 0) {
        atomic_fetch_add(&n_unhandled, 1);
        LKC_LOGD(MOD, "no handler for %s stream %s on topic '%s': dropped", text ? "text" : "byte", h->stream_id,
                 topic);
        return;
    }
    lkc_stream_limits_t lim;
    lkc__stream_topics_limits(s->room, &lim);
    bool compressed = h->has_compression && h->compression == LIVEKIT__DATA_STREAM__COMPRESSION_TYPE__DEFLATE_RAW;
    if (h->has_compression && h->compression != LIVEKIT__DATA_STREAM__COMPRESSION_TYPE__NONE && !compressed) {
        LKC_LOGW(MOD, "dropping stream %s from %s: unknown compression %d", h->stream_id, sender,
                 (int)h->compression);
        return;
    }
    if (!h->has_inline_content && g_hash_table_size(s->open) >= lim.max_open_streams) {
        LKC_LOGW(MOD, "dropping stream %s from %s: %u streams are open (max_open_streams)", h->stream_id, sender,
                 lim.max_open_streams);
        return;
    }
    atomic_fetch_add(h->has_inline_content ? (compressed ? &n_inline_deflated : &n_inline_plain)
                                           : (compressed ? &n_chunked_deflated : &n_v1),
                     1);
    instream_t *st = g_new0(instream_t, 1);
    st->id = g_strdup(h->stream_id);
    st->sender = g_strdup(sender);
    st->text = text;
    st->sender_seen = *sender && s->ports.present && s->ports.present(s->ports.user, sender);
    st->compressed = compressed;
    st->max_decompressed = lim.max_decompressed;
    st->last_us = g_get_monotonic_time();
    st->idle_us = (int64_t)lim.idle_timeout_ms * 1000;
    for (int i = 0; i < n; i++) {
        c[i].reader = lkc__stream_reader_new(s->room, h, sender, c[i].h.on_chunk == NULL, s->budget,
                                             lim.max_buffered_per_stream);
        st->c[st->n++] = c[i];
    }
    for (int i = 0; i < st->n; i++)
        if (st->c[i].h.on_open && callable(s, &st->c[i]))
            st->c[i].h.on_open(s->room, st->c[i].reader, lkc_stream_reader_info(st->c[i].reader), st->c[i].user);

    if (h->has_inline_content) {
        /* v2, one packet: the stream is complete already */
        g_hash_table_insert(s->open, st->id, st); /* so that end_stream finds it */
        const char *why = NULL;
        if (compressed) {
            size_t len = 0;
            uint8_t *plain = inflate_whole(h->inline_content.data, h->inline_content.len,
                                           MIN(lim.max_decompressed, (uint64_t)G_MAXUINT32), &len, &why);
            if (!plain) {
                end_stream(s, st, why && strstr(why, "limit") ? LKC_ERR_TOO_LARGE : LKC_ERR_PROTOCOL, why);
                return;
            }
            bool ok = deliver(s, st, plain, len);
            g_free(plain);
            if (!ok)
                return;
        } else if (!deliver(s, st, h->inline_content.data, h->inline_content.len)) {
            return;
        }
        if (st->carry_len && !deliver_raw(s, st, st->carry, st->carry_len))
            return;
        st->carry_len = 0;
        end_stream(s, st, LKC_OK, "");
        return;
    }
    if (compressed) {
        if (inflateInit2(&st->z, -15) != Z_OK) {
            close_stream(s, st, LKC_ERR_INTERNAL, "zlib could not start", NULL, 0);
            return;
        }
        st->z_open = true;
    }
    g_hash_table_insert(s->open, st->id, st);
    watch_idle(s);
}

/* The open stream `id`. Its chunks and trailer may come with another identity than its
 * header: an agent's transcription header carries the user's identity (sent on its
 * behalf, kept by the server for text-stream headers from agents only), its chunks the
 * agent's. So the stream id alone says which stream a packet belongs to. */
static instream_t *find_open(lkc__streams_t *s, const char *id, const char *sender)
{
    instream_t *st = id ? g_hash_table_lookup(s->open, id) : NULL;
    if (st && strcmp(st->sender, sender) != 0)
        LKC_LOGD(MOD, "stream %s: a packet from %s, its header from %s (on behalf)", id, sender, st->sender);
    return st;
}

static void on_chunk(lkc__streams_t *s, const Livekit__DataStream__Chunk *c, const char *sender)
{
    instream_t *st = find_open(s, c->stream_id, sender);
    if (!st)
        return; /* a stream nobody reads, or one that ended */
    if (c->chunk_index != st->next_index) {
        char why[128];
        g_snprintf(why, sizeof why, "chunk %" G_GUINT64_FORMAT " came where %" G_GUINT64_FORMAT
                   " was due (out of order or repeated)", (guint64)c->chunk_index, (guint64)st->next_index);
        end_stream(s, st, LKC_ERR_PROTOCOL, why);
        return;
    }
    st->next_index++;
    st->last_us = g_get_monotonic_time();
    if (st->compressed)
        inflate_deliver(s, st, c->content.data, c->content.len);
    else
        deliver(s, st, c->content.data, c->content.len);
}

static void on_trailer(lkc__streams_t *s, const Livekit__DataStream__Trailer *t, const char *sender)
{
    instream_t *st = find_open(s, t->stream_id, sender);
    if (!st)
        return;
    if (st->compressed && !st->z_done)
        LKC_LOGD(MOD, "stream %s ended before the end of its deflate data", st->id);
    if (st->carry_len) { /* an incomplete character at the very end: given as it is */
        size_t n = st->carry_len;
        st->carry_len = 0;
        if (!deliver_raw(s, st, st->carry, n))
            return;
    }
    g_hash_table_remove(s->open, st->id);
    bool ok = !t->reason || !*t->reason;
    close_stream(s, st, ok ? LKC_OK : LKC_ERR_CLOSED, ok ? "" : t->reason,
                 (Livekit__DataStream__Trailer__AttributesEntry *const *)t->attributes, t->n_attributes);
}

void lkc__streams_on_packet(lkc__streams_t *s, const Livekit__DataPacket *dp, const char *sender)
{
    if (!s || !dp)
        return;
    switch (dp->value_case) {
    case LIVEKIT__DATA_PACKET__VALUE_STREAM_HEADER:
        if (dp->stream_header)
            on_header(s, dp->stream_header, sender ? sender : "");
        break;
    case LIVEKIT__DATA_PACKET__VALUE_STREAM_CHUNK:
        if (dp->stream_chunk)
            on_chunk(s, dp->stream_chunk, sender ? sender : "");
        break;
    case LIVEKIT__DATA_PACKET__VALUE_STREAM_TRAILER:
        if (dp->stream_trailer)
            on_trailer(s, dp->stream_trailer, sender ? sender : "");
        break;
    default: break;
    }
}

bool lkc__streams_wants_chunk(const lkc__streams_t *s, const char *stream_id, size_t len)
{
    if (!s || len >= MAX_ID_LEN)
        return true; /* let the full path decide */
    if (g_hash_table_size(s->open) == 0)
        return false;
    char id[MAX_ID_LEN];
    memcpy(id, stream_id, len);
    id[len] = 0;
    return g_hash_table_contains(s->open, id);
}

void lkc__streams_on_model_changed(lkc__streams_t *s)
{
    if (!s || !s->ports.present)
        return;
    GList *gone = NULL;
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, s->open);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        instream_t *st = v;
        if (!*st->sender)
            continue;
        /* a sender whose header came before the room announced it is not taken for gone */
        if (s->ports.present(s->ports.user, st->sender))
            st->sender_seen = true;
        else if (st->sender_seen)
            gone = g_list_prepend(gone, st);
    }
    for (GList *l = gone; l; l = l->next)
        end_stream(s, l->data, LKC_ERR_CLOSED, "the sender left the room");
    g_list_free(gone);
}

void lkc__streams_on_restart(lkc__streams_t *s)
{
    if (s)
        end_all(s, LKC_ERR_CLOSED, "the connection was re-established (full reconnect)");
}
