/* lkc_stream_writer_t: an incremental outgoing stream (header at open, chunks per write,
 * trailer at close or abort). Each call is all or nothing in lkc's data queue. The writer
 * may outlive its room: the room's registry detaches it (stream_topics.c) under the
 * process-wide writers lock, and every call reads the room pointer under that lock and
 * enters the room (R9) before using it. */
#include <string.h>

#include "base/log.h"
#include "room/data_packet.h"
#include "room/stream_encode.h"
#include "room/stream_send.h"
#include "room/stream_topics.h"

#define MOD "room.stream"

struct lkc_stream_writer {
    pthread_mutex_t lock;      /* one call at a time */
    lkc_room_t *room;          /* [writers lock] NULL once the room is destroyed */
    char id[LKC_STREAM_ID_LEN];
    bool text;
    char **dest;               /* NULL-terminated copy */
    size_t n_dest;
    int timeout_ms;
    uint32_t epoch;            /* the room's join_epoch at open */
    uint64_t next_index;
    uint8_t carry[4];          /* text: an incomplete UTF-8 sequence held back */
    size_t carry_len;
};

void lkc__stream_writer_detach(lkc_stream_writer_t *w)
{
    w->room = NULL;
}

/* The writer's room, entered (R9), or NULL (then the call returns LKC_ERR_CLOSED). */
static lkc_room_t *enter(lkc_stream_writer_t *w)
{
    lkc__stream_writers_lock();
    lkc_room_t *room = w->room;
    if (room && !lkc__room_enter(room))
        room = NULL;
    lkc__stream_writers_unlock();
    return room;
}

/* The writer cannot go on after a full reconnect: its header went to the old session. */
static bool same_epoch(lkc_stream_writer_t *w, lkc_room_t *room)
{
    if (atomic_load(&room->join_epoch) == w->epoch)
        return true;
    LKC_LOGW(MOD, "stream %s cannot go on: the connection was re-established (full reconnect) since it opened",
             w->id);
    return false;
}

static lkc_err_t open_writer(lkc_room_t *room, bool text, const lkc_stream_options_t *opts,
                             lkc_stream_writer_t **out)
{
    if (!room || !out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    lkc_stream_options_t o;
    lkc_err_t rc = lkc__stream_opts(opts, &o);
    if (rc != LKC_OK)
        return rc;
    if (!lkc__data_live(room))
        return LKC_ERR_STATE;
    if (!lkc__room_enter(room))
        return LKC_ERR_CLOSED;
    lkc_stream_writer_t *w = g_new0(lkc_stream_writer_t, 1);
    pthread_mutex_init(&w->lock, NULL);
    w->room = room;
    w->text = text;
    w->timeout_ms = o.timeout_ms;
    w->epoch = atomic_load(&room->join_epoch);
    lkc__stream_new_id(w->id);
    if (o.n_destinations) {
        w->dest = g_new0(char *, o.n_destinations + 1);
        for (size_t i = 0; i < o.n_destinations; i++)
            w->dest[i] = g_strdup(o.destination_identities[i]);
        w->n_dest = o.n_destinations;
    }
    lkc__stream_head_t h = {
        .stream_id = w->id,
        .topic = o.topic,
        .mime_type = o.mime_type,
        .name = text ? NULL : (o.name ? o.name : "unknown"),
        .is_text = text,
        .reply_to = text ? o.reply_to_stream_id : NULL,
        .has_total_length = o.has_total_length,
        .total_length = o.total_length,
        .attrs = o.attributes,
        .n_attrs = o.n_attributes,
        .dest = (const char *const *)w->dest,
        .n_dest = w->n_dest,
    };
    GPtrArray *p = g_ptr_array_new_with_free_func(lkc__outgoing_free);
    g_ptr_array_add(p, lkc__stream_header_packet(&h));
    rc = lkc__stream_post(room, p, o.timeout_ms, false);
    if (rc == LKC_OK)
        lkc__stream_topics_add_writer(room, w);
    lkc__room_leave(room);
    if (rc != LKC_OK) {
        g_strfreev(w->dest);
        pthread_mutex_destroy(&w->lock);
        g_free(w);
        return rc;
    }
    *out = w;
    return LKC_OK;
}

lkc_err_t lkc_stream_open_text(lkc_room_t *room, const lkc_stream_options_t *opts, lkc_stream_writer_t **out)
{
    return open_writer(room, true, opts, out);
}

lkc_err_t lkc_stream_open_bytes(lkc_room_t *room, const lkc_stream_options_t *opts, lkc_stream_writer_t **out)
{
    return open_writer(room, false, opts, out);
}

const char *lkc_stream_writer_id(const lkc_stream_writer_t *w)
{
    return w ? w->id : NULL;
}

/* The chunk packets of `len` bytes (text: cut between characters). */
static void add_chunks(lkc_stream_writer_t *w, GPtrArray *p, const uint8_t *data, size_t len, uint64_t *index)
{
    for (size_t off = 0; off < len;) {
        size_t n = w->text ? lkc__utf8_prefix(data + off, len - off, LKC_STREAM_CHUNK_SIZE)
                           : MIN(len - off, (size_t)LKC_STREAM_CHUNK_SIZE);
        g_ptr_array_add(p, lkc__stream_chunk_packet(w->id, (*index)++, data + off, n,
                                                    (const char *const *)w->dest, w->n_dest));
        off += n;
    }
}

/* The write itself (w->lock held, the room entered). */
static lkc_err_t write_chunks(lkc_stream_writer_t *w, lkc_room_t *room, const void *data, size_t len)
{
    /* what was held back, then the new bytes; a new incomplete character is held back */
    size_t total = w->carry_len + len;
    uint8_t *all = g_malloc(total ? total : 1);
    memcpy(all, w->carry, w->carry_len);
    if (len)
        memcpy(all + w->carry_len, data, len);
    size_t hold = w->text ? lkc__utf8_incomplete_tail(all, total) : 0;
    if (w->text && !g_utf8_validate((const char *)all, (gssize)(total - hold), NULL)) {
        g_free(all);
        return LKC_ERR_INVALID_ARG; /* nothing taken: the writer is as it was */
    }
    uint64_t index = w->next_index;
    GPtrArray *p = g_ptr_array_new_with_free_func(lkc__outgoing_free);
    add_chunks(w, p, all, total - hold, &index);
    lkc_err_t rc = LKC_OK;
    if (p->len)
        rc = lkc__stream_post(room, p, w->timeout_ms, false);
    else
        g_ptr_array_unref(p);
    if (rc == LKC_OK) { /* only now: a refused write leaves the writer as it was */
        w->next_index = index;
        memcpy(w->carry, all + total - hold, hold);
        w->carry_len = hold;
    }
    g_free(all);
    return rc;
}

lkc_err_t lkc_stream_write(lkc_stream_writer_t *w, const void *data, size_t len)
{
    if (!w || (!data && len))
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&w->lock);
    lkc_room_t *room = enter(w);
    lkc_err_t rc;
    if (!room)
        rc = LKC_ERR_CLOSED;
    else if (!same_epoch(w, room))
        rc = LKC_ERR_CLOSED;
    else if (!lkc__data_live(room))
        rc = LKC_ERR_STATE;
    else
        rc = write_chunks(w, room, data, len);
    if (room)
        lkc__room_leave(room);
    pthread_mutex_unlock(&w->lock);
    return rc;
}

/* Sends what was held back and the trailer, then frees the writer. */
static lkc_err_t finish(lkc_stream_writer_t *w, const char *reason, const lkc_kv_t *attrs, size_t n_attrs)
{
    pthread_mutex_lock(&w->lock);
    lkc_room_t *room = enter(w);
    lkc_err_t rc = LKC_OK;
    if (!room) {
        rc = LKC_ERR_CLOSED;
    } else if (!same_epoch(w, room)) {
        rc = LKC_ERR_CLOSED;
    } else {
        GPtrArray *p = g_ptr_array_new_with_free_func(lkc__outgoing_free);
        if (!*reason)
            add_chunks(w, p, w->carry, w->carry_len, &w->next_index);
        g_ptr_array_add(p, lkc__stream_trailer_packet(w->id, reason, attrs, n_attrs, (const char *const *)w->dest,
                                                      w->n_dest));
        /* the end is never refused for lack of room (it would leave the recipients waiting) */
        rc = lkc__stream_post(room, p, w->timeout_ms, true);
    }
    if (room) {
        lkc__stream_writers_lock();
        if (w->room)
            lkc__stream_writers_forget(room, w);
        lkc__stream_writers_unlock();
        lkc__room_leave(room);
    } else {
        lkc__stream_writers_lock(); /* a room being destroyed may still list it: take it out */
        if (w->room)
            lkc__stream_writers_forget(w->room, w);
        lkc__stream_writers_unlock();
    }
    pthread_mutex_unlock(&w->lock);
    pthread_mutex_destroy(&w->lock);
    g_strfreev(w->dest);
    g_free(w);
    return rc;
}

lkc_err_t lkc_stream_close(lkc_stream_writer_t *w, const lkc_kv_t *attrs, size_t n_attrs)
{
    if (!w)
        return LKC_ERR_INVALID_ARG;
    if (n_attrs && !attrs)
        attrs = NULL, n_attrs = 0;
    return finish(w, "", attrs, n_attrs);
}

lkc_err_t lkc_stream_abort(lkc_stream_writer_t *w, const char *reason)
{
    if (!w)
        return LKC_ERR_INVALID_ARG;
    return finish(w, reason && *reason ? reason : "aborted", NULL, 0);
}
