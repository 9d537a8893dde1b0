/* Outgoing stream packets (see stream_encode.h). */
#include "room/stream_encode.h"

#include <string.h>
#include <zlib.h>

#include "livekit_data_stream.pb-c.h"

#define S(x) ((char *)((x) ? (x) : ""))

static lkc__outgoing_t *wrap(Livekit__DataPacket *dp, const char *const *dest, size_t n_dest)
{
    dp->destination_identities = (char **)dest;
    dp->n_destination_identities = dest ? n_dest : 0;
    return lkc__outgoing_packet(LKC_DATA_RELIABLE, dp);
}

lkc__outgoing_t *lkc__stream_header_packet(const lkc__stream_head_t *h)
{
    if (!h || !h->stream_id)
        return NULL;
    Livekit__DataStream__Header hd = LIVEKIT__DATA_STREAM__HEADER__INIT;
    Livekit__DataStream__TextHeader th = LIVEKIT__DATA_STREAM__TEXT_HEADER__INIT;
    Livekit__DataStream__ByteHeader bh = LIVEKIT__DATA_STREAM__BYTE_HEADER__INIT;
    hd.stream_id = (char *)h->stream_id;
    hd.has_timestamp = true;
    hd.timestamp = h->timestamp_ms ? h->timestamp_ms : g_get_real_time() / 1000;
    hd.topic = S(h->topic);
    hd.mime_type = h->mime_type && *h->mime_type ? (char *)h->mime_type
                   : h->is_text                  ? "text/plain"
                                                 : "application/octet-stream";
    hd.has_total_length = h->has_total_length;
    hd.total_length = h->total_length;
    if (h->is_text) {
        th.has_operation_type = true; /* CREATE, as the official SDKs write it */
        th.operation_type = LIVEKIT__DATA_STREAM__OPERATION_TYPE__CREATE;
        th.reply_to_stream_id = h->reply_to && *h->reply_to ? (char *)h->reply_to : NULL;
        hd.content_header_case = LIVEKIT__DATA_STREAM__HEADER__CONTENT_HEADER_TEXT_HEADER;
        hd.text_header = &th;
    } else {
        bh.name = S(h->name);
        hd.content_header_case = LIVEKIT__DATA_STREAM__HEADER__CONTENT_HEADER_BYTE_HEADER;
        hd.byte_header = &bh;
    }
    Livekit__DataStream__Header__AttributesEntry *entries = NULL, **ptrs = NULL;
    if (h->attrs && h->n_attrs) {
        entries = g_new(Livekit__DataStream__Header__AttributesEntry, h->n_attrs);
        ptrs = g_new(Livekit__DataStream__Header__AttributesEntry *, h->n_attrs);
        for (size_t i = 0; i < h->n_attrs; i++) {
            livekit__data_stream__header__attributes_entry__init(&entries[i]);
            entries[i].key = S(h->attrs[i].key);
            entries[i].value = S(h->attrs[i].value);
            ptrs[i] = &entries[i];
        }
        hd.attributes = ptrs;
        hd.n_attributes = h->n_attrs;
    }
    if (h->compressed) {
        hd.has_compression = true;
        hd.compression = LIVEKIT__DATA_STREAM__COMPRESSION_TYPE__DEFLATE_RAW;
    }
    if (h->has_inline) {
        hd.has_inline_content = true;
        hd.inline_content.data = (uint8_t *)(h->inline_content ? h->inline_content : (const uint8_t *)"");
        hd.inline_content.len = h->inline_len;
    }
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_STREAM_HEADER;
    dp.stream_header = &hd;
    lkc__outgoing_t *o = wrap(&dp, h->dest, h->n_dest);
    g_free(entries);
    g_free(ptrs);
    return o;
}

lkc__outgoing_t *lkc__stream_chunk_packet(const char *stream_id, uint64_t index, const uint8_t *data, size_t len,
                                          const char *const *dest, size_t n_dest)
{
    if (!stream_id)
        return NULL;
    Livekit__DataStream__Chunk c = LIVEKIT__DATA_STREAM__CHUNK__INIT;
    c.stream_id = (char *)stream_id;
    c.has_chunk_index = true;
    c.chunk_index = index;
    c.has_content = true;
    c.content.data = (uint8_t *)(data ? data : (const uint8_t *)"");
    c.content.len = len;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_STREAM_CHUNK;
    dp.stream_chunk = &c;
    return wrap(&dp, dest, n_dest);
}

lkc__outgoing_t *lkc__stream_trailer_packet(const char *stream_id, const char *reason, const lkc_kv_t *attrs,
                                            size_t n_attrs, const char *const *dest, size_t n_dest)
{
    if (!stream_id)
        return NULL;
    Livekit__DataStream__Trailer t = LIVEKIT__DATA_STREAM__TRAILER__INIT;
    t.stream_id = (char *)stream_id;
    t.reason = S(reason);
    Livekit__DataStream__Trailer__AttributesEntry *entries = NULL, **ptrs = NULL;
    if (attrs && n_attrs) {
        entries = g_new(Livekit__DataStream__Trailer__AttributesEntry, n_attrs);
        ptrs = g_new(Livekit__DataStream__Trailer__AttributesEntry *, n_attrs);
        for (size_t i = 0; i < n_attrs; i++) {
            livekit__data_stream__trailer__attributes_entry__init(&entries[i]);
            entries[i].key = S(attrs[i].key);
            entries[i].value = S(attrs[i].value);
            ptrs[i] = &entries[i];
        }
        t.attributes = ptrs;
        t.n_attributes = n_attrs;
    }
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_STREAM_TRAILER;
    dp.stream_trailer = &t;
    lkc__outgoing_t *o = wrap(&dp, dest, n_dest);
    g_free(entries);
    g_free(ptrs);
    return o;
}

/* --- UTF-8 ------------------------------------------------------------------------ */

static size_t seq_len(uint8_t lead)
{
    return lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 0;
}

size_t lkc__utf8_incomplete_tail(const uint8_t *p, size_t len)
{
    /* walk back over at most 3 continuation bytes to the lead byte of the last sequence */
    for (size_t back = 1; back <= 4 && back <= len; back++) {
        uint8_t b = p[len - back];
        if ((b & 0xC0) == 0x80)
            continue;
        size_t need = seq_len(b);
        return need > back ? back : 0; /* an ASCII or invalid lead, or a complete sequence: 0 */
    }
    return 0;
}

size_t lkc__utf8_prefix(const uint8_t *p, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max - lkc__utf8_incomplete_tail(p, max);
    return cut ? cut : max; /* invalid input, or max < 4: never an empty chunk */
}

/* --- deflate ---------------------------------------------------------------------- */

bool lkc__deflate_raw(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    size_t cap = deflateBound(&z, (uLong)len) + 16;
    uint8_t *buf = g_malloc(cap);
    size_t done = 0;
    int rc = Z_OK;
    z.next_in = (Bytef *)(in ? in : (const uint8_t *)"");
    while (rc == Z_OK) {
        /* zlib counts in uInt: feed and drain at most 1 GiB at a time */
        size_t in_left = len - (size_t)((const uint8_t *)z.next_in - (in ? in : (const uint8_t *)""));
        z.avail_in = (uInt)(in_left > (1u << 30) ? (1u << 30) : in_left);
        if (cap - done < 64) {
            cap *= 2;
            buf = g_realloc(buf, cap);
        }
        z.next_out = buf + done;
        size_t room = cap - done;
        z.avail_out = (uInt)(room > (1u << 30) ? (1u << 30) : room);
        uInt before = z.avail_out;
        rc = deflate(&z, in_left > z.avail_in ? Z_NO_FLUSH : Z_FINISH);
        done += before - z.avail_out;
        if (rc == Z_BUF_ERROR)
            rc = Z_OK; /* no progress possible with this buffer: grow it and go on */
    }
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        g_free(buf);
        return false;
    }
    *out = buf;
    *out_len = done;
    return true;
}

/* --- whole streams ---------------------------------------------------------------- */

GPtrArray *lkc__stream_encode_oneshot(const lkc__stream_head_t *h0, const uint8_t *data, size_t len, bool v2_inline,
                                      bool deflate)
{
    if (!h0 || !h0->stream_id || (!data && len))
        return NULL;
    GPtrArray *out = g_ptr_array_new_with_free_func(lkc__outgoing_free);
    lkc__stream_head_t h = *h0;
    h.has_total_length = true;
    h.total_length = len;
    h.compressed = false;
    h.has_inline = false;
    uint8_t *z = NULL;
    size_t zlen = 0;
    bool shrinks = v2_inline && deflate && len > 0 && lkc__deflate_raw(data, len, &z, &zlen) && zlen < len;
    if (v2_inline) {
        /* phase 1: the whole content in the header, when that packet fits in one chunk */
        h.has_inline = true;
        h.compressed = shrinks;
        h.inline_content = shrinks ? z : data;
        h.inline_len = shrinks ? zlen : len;
        lkc__outgoing_t *o = lkc__stream_header_packet(&h);
        if (o->len <= LKC_STREAM_CHUNK_SIZE) {
            g_ptr_array_add(out, o);
            g_free(z);
            return out;
        }
        lkc__outgoing_free(o);
        h.has_inline = false;
        h.inline_content = NULL;
        h.inline_len = 0;
    }
    /* phase 2 (the deflated bytes in chunks) or 3 (plain chunks) */
    h.compressed = shrinks;
    const uint8_t *body = shrinks ? z : data;
    size_t body_len = shrinks ? zlen : len;
    g_ptr_array_add(out, lkc__stream_header_packet(&h));
    uint64_t index = 0;
    for (size_t off = 0; off < body_len;) {
        size_t n = h.is_text && !shrinks ? lkc__utf8_prefix(body + off, body_len - off, LKC_STREAM_CHUNK_SIZE)
                                         : MIN(body_len - off, (size_t)LKC_STREAM_CHUNK_SIZE);
        g_ptr_array_add(out, lkc__stream_chunk_packet(h.stream_id, index++, body + off, n, h.dest, h.n_dest));
        off += n;
    }
    g_ptr_array_add(out, lkc__stream_trailer_packet(h.stream_id, "", NULL, 0, h.dest, h.n_dest));
    g_free(z);
    return out;
}

GPtrArray *lkc__stream_encode_text(const char *stream_id, const char *topic, const char *text, size_t len,
                                   const char *const *dest, size_t n_dest, const lkc_kv_t *attrs, size_t n_attrs,
                                   bool v2_inline, bool deflate)
{
    lkc__stream_head_t h = {
        .stream_id = stream_id,
        .topic = topic,
        .is_text = true,
        .attrs = attrs,
        .n_attrs = n_attrs,
        .dest = dest,
        .n_dest = n_dest,
    };
    return lkc__stream_encode_oneshot(&h, (const uint8_t *)text, len, v2_inline, deflate);
}
