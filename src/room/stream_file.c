/* lkc_stream_send_file: a file as a byte stream, read piece by piece. A small file (up
 * to lkc's data queue) is read whole and sent like lkc_stream_send_bytes (all or
 * nothing, v2 forms). A larger one goes in parts: plain chunks, or, when every recipient
 * accepts deflate and the file's first part shrinks by a tenth or more, one deflate-raw
 * stream cut into 15000-byte chunks (data streams v2 phase 2, as the official SDKs send
 * files). Any thread. */
#include <errno.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "base/log.h"
#include "room/data_packet.h"
#include "room/stream_encode.h"
#include "room/stream_send.h"

#define MOD "room.stream"

typedef struct src {
    FILE *f;
    bool deflate;
    z_stream z;
    GByteArray *out;         /* deflated bytes not yet in a chunk */
    bool eof;
    bool failed;
    uint8_t in[LKC_STREAM_CHUNK_SIZE];
} src_t;

/* Deflates `n` bytes of src->in (all of them; the rest of the stream at the end). */
static bool deflate_in(src_t *s, size_t n)
{
    s->z.next_in = s->in;
    s->z.avail_in = (uInt)n;
    int flush = s->eof ? Z_FINISH : Z_NO_FLUSH;
    for (;;) {
        uint8_t buf[16384];
        s->z.next_out = buf;
        s->z.avail_out = sizeof buf;
        int rc = deflate(&s->z, flush);
        if (rc == Z_STREAM_ERROR)
            return false;
        g_byte_array_append(s->out, buf, (guint)(sizeof buf - s->z.avail_out));
        if (flush == Z_FINISH ? rc == Z_STREAM_END : s->z.avail_out != 0)
            return true;
    }
}

/* The chunk packets of the next part of the file (about LKC__STREAM_PART_BYTES). */
static GPtrArray *next_part(src_t *s, const char *id, uint64_t *index, const lkc_stream_options_t *o)
{
    GPtrArray *part = g_ptr_array_new_with_free_func(lkc__outgoing_free);
    size_t content = 0;
    while (!s->eof && content < LKC__STREAM_PART_BYTES) {
        size_t n = fread(s->in, 1, sizeof s->in, s->f);
        if (n < sizeof s->in) {
            s->failed = ferror(s->f) != 0;
            s->eof = true;
        }
        if (!s->deflate) {
            if (n > 0)
                g_ptr_array_add(part, lkc__stream_chunk_packet(id, (*index)++, s->in, n, o->destination_identities,
                                                               o->n_destinations));
            content += n;
        } else {
            s->failed = s->failed || !deflate_in(s, n);
            content = s->out->len;
        }
    }
    if (s->deflate) { /* whole chunks; the rest waits for more, but not past the end */
        size_t off = 0;
        while (s->out->len - off >= LKC_STREAM_CHUNK_SIZE || (s->eof && off < s->out->len)) {
            size_t n = MIN(s->out->len - off, (size_t)LKC_STREAM_CHUNK_SIZE);
            g_ptr_array_add(part, lkc__stream_chunk_packet(id, (*index)++, s->out->data + off, n,
                                                           o->destination_identities, o->n_destinations));
            off += n;
        }
        g_byte_array_remove_range(s->out, 0, (guint)off);
    }
    return part;
}

/* Whether deflating is worth it: the first part shrinks by a tenth or more. */
static bool worth_deflating(FILE *f)
{
    size_t n = LKC__STREAM_PART_BYTES;
    uint8_t *buf = g_malloc(n);
    size_t got = fread(buf, 1, n, f);
    uint8_t *z = NULL;
    size_t zlen = 0;
    bool yes = got > 0 && lkc__deflate_raw(buf, got, &z, &zlen) && zlen * 10 <= got * 9;
    g_free(z);
    g_free(buf);
    return fseek(f, 0, SEEK_SET) == 0 && yes;
}

static lkc_err_t send_parts(lkc_room_t *room, src_t *s, uint64_t size, const lkc_stream_options_t *o,
                            const char *name, const char *id)
{
    lkc__stream_head_t h = {
        .stream_id = id,
        .topic = o->topic,
        .mime_type = o->mime_type,
        .name = name,
        .has_total_length = true,
        .total_length = size, /* before compression, as the official SDKs */
        .attrs = o->attributes,
        .n_attrs = o->n_attributes,
        .dest = o->destination_identities,
        .n_dest = o->n_destinations,
        .compressed = s->deflate,
    };
    uint32_t epoch = atomic_load(&room->join_epoch);
    uint64_t index = 0;
    GPtrArray *part = next_part(s, id, &index, o);
    g_ptr_array_insert(part, 0, lkc__stream_header_packet(&h));
    lkc_err_t rc = LKC_ERR_IO;
    if (s->failed)
        g_ptr_array_unref(part);
    else
        rc = lkc__stream_post(room, part, o->timeout_ms, false); /* nothing sent unless this goes */
    while (rc == LKC_OK && !s->eof) {
        part = next_part(s, id, &index, o);
        if (s->failed) {
            g_ptr_array_unref(part);
            rc = LKC_ERR_IO;
        } else if (atomic_load(&room->join_epoch) != epoch) {
            LKC_LOGW(MOD, "file stream %s ends: the connection was re-established (full reconnect)", id);
            g_ptr_array_unref(part);
            rc = LKC_ERR_CLOSED;
        } else {
            rc = lkc__stream_post(room, part, -1, false);
        }
        if (rc != LKC_OK)
            lkc__stream_cut(room, id, o, rc);
    }
    if (rc == LKC_OK) {
        GPtrArray *t = g_ptr_array_new_with_free_func(lkc__outgoing_free);
        if (s->eof && s->deflate && s->out->len) /* cannot happen (the last part takes all); kept safe */
            g_ptr_array_add(t, lkc__stream_chunk_packet(id, index++, s->out->data, s->out->len,
                                                        o->destination_identities, o->n_destinations));
        g_ptr_array_add(t, lkc__stream_trailer_packet(id, "", NULL, 0, o->destination_identities,
                                                      o->n_destinations));
        rc = lkc__stream_post(room, t, -1, true);
    }
    return rc;
}

static lkc_err_t send_large(lkc_room_t *room, FILE *f, uint64_t size, const lkc_stream_options_t *o,
                            const char *name, char *id_out)
{
    if (!lkc__data_live(room))
        return LKC_ERR_STATE;
    if (!lkc__room_enter(room))
        return LKC_ERR_CLOSED;
    bool v2, deflate;
    lkc__stream_recipients(room, o->destination_identities, o->n_destinations, &v2, &deflate);
    src_t *s = g_new0(src_t, 1);
    s->f = f;
    s->out = g_byte_array_new();
    s->deflate = deflate && o->compress && worth_deflating(f);
    if (s->deflate && deflateInit2(&s->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        s->deflate = false;
    char id[LKC_STREAM_ID_LEN];
    lkc__stream_new_id(id);
    lkc_err_t rc = send_parts(room, s, size, o, name, id);
    LKC_LOGD(MOD, "file stream %s (%llu bytes, %s): %s", id, (unsigned long long)size,
             s->deflate ? "deflated" : "plain", lkc_err_str(rc));
    if (s->deflate)
        deflateEnd(&s->z);
    g_byte_array_unref(s->out);
    g_free(s);
    lkc__room_leave(room);
    if (rc == LKC_OK && id_out)
        memcpy(id_out, id, LKC_STREAM_ID_LEN);
    return rc;
}

lkc_err_t lkc_stream_send_file(lkc_room_t *room, const char *path, const lkc_stream_options_t *opts,
                               char id_out[LKC_STREAM_ID_LEN])
{
    if (!room || !path)
        return LKC_ERR_INVALID_ARG;
    lkc_stream_options_t o;
    lkc_err_t rc = lkc__stream_opts(opts, &o);
    if (rc != LKC_OK)
        return rc;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        LKC_LOGW(MOD, "cannot send %s: %s", path, f ? "not a regular file" : g_strerror(errno));
        if (f)
            fclose(f);
        return LKC_ERR_IO;
    }
    char *base = g_path_get_basename(path);
    const char *name = o.name ? o.name : base;
    char *guessed = NULL;
    if (!o.mime_type) {
        char *ct = g_content_type_guess(path, NULL, 0, NULL);
        guessed = ct ? g_content_type_get_mime_type(ct) : NULL;
        g_free(ct);
        o.mime_type = guessed;
    }
    if ((uint64_t)st.st_size <= LKC_DATA_MAX_QUEUED) {
        uint8_t *data = g_malloc((size_t)st.st_size + 1);
        size_t n = fread(data, 1, (size_t)st.st_size, f);
        rc = n == (size_t)st.st_size ? lkc__stream_send_oneshot(room, false, data, n, &o, name, id_out) : LKC_ERR_IO;
        g_free(data);
    } else {
        rc = send_large(room, f, (uint64_t)st.st_size, &o, name, id_out);
    }
    fclose(f);
    g_free(base);
    g_free(guessed);
    return rc;
}
