/* lkc_stream_reader_t (see stream_reader.h) and the public reader calls. */
#include "room/stream_reader.h"

#include <stdlib.h>
#include <string.h>

#include "base/sync.h"

/* A blocked read looks at the room's destroy flag this often (a destroy normally wakes it
 * sooner: the session's end ends every reader). */
#define READ_SLICE_MS 100

struct lkc_stream_reader {
    atomic_int refs;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    lkc_room_t *room;            /* used only while !ended (see the header) */
    lkc_stream_info_t info;      /* points at the strings below */
    char *strs[5];               /* id, topic, mime_type, sender, name */
    lkc_kv_t *attrs;             /* the current attributes (keys and values owned by `pool`) */
    GPtrArray *pool;             /* every string and array the info pointed at (freed last) */
    bool pull;
    GByteArray *buf;             /* [lock] pull: content; unread from `off` */
    size_t off;                  /* [lock] */
    _Atomic uint64_t received;
    bool ended;                  /* [lock] */
    lkc_err_t status;            /* [lock] */
    char *reason;                /* [lock] NULL until the end; set once */
    lkc__stream_budget_t *budget;
    uint64_t max_buffered;
};

lkc__stream_budget_t *lkc__stream_budget_new(uint64_t max)
{
    lkc__stream_budget_t *b = g_new0(lkc__stream_budget_t, 1);
    atomic_init(&b->refs, 1);
    atomic_init(&b->max, max);
    return b;
}

lkc__stream_budget_t *lkc__stream_budget_ref(lkc__stream_budget_t *b)
{
    atomic_fetch_add(&b->refs, 1);
    return b;
}

void lkc__stream_budget_unref(lkc__stream_budget_t *b)
{
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        g_free(b);
}

static char *keep(lkc_stream_reader_t *r, const char *s)
{
    char *c = g_strdup(s ? s : "");
    g_ptr_array_add(r->pool, c);
    return c;
}

lkc_stream_reader_t *lkc__stream_reader_new(lkc_room_t *room, const Livekit__DataStream__Header *h,
                                            const char *sender, bool pull, lkc__stream_budget_t *budget,
                                            uint64_t max_buffered)
{
    lkc_stream_reader_t *r = g_new0(lkc_stream_reader_t, 1);
    atomic_init(&r->refs, 1);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    r->room = room;
    r->pool = g_ptr_array_new_with_free_func(g_free);
    r->pull = pull;
    r->buf = g_byte_array_new();
    r->budget = lkc__stream_budget_ref(budget);
    r->max_buffered = max_buffered;
    bool text = h->content_header_case == LIVEKIT__DATA_STREAM__HEADER__CONTENT_HEADER_TEXT_HEADER;
    r->info.id = keep(r, h->stream_id);
    r->info.topic = keep(r, h->topic);
    r->info.mime_type = keep(r, h->mime_type);
    r->info.sender_identity = keep(r, sender);
    r->info.name = keep(r, !text && h->byte_header ? h->byte_header->name : "");
    r->info.is_text = text;
    const Livekit__DataStream__TextHeader *th = text ? h->text_header : NULL;
    r->info.reply_to_stream_id = keep(r, th ? th->reply_to_stream_id : "");
    r->info.operation = th ? (int)th->operation_type : 0;
    r->info.version = th ? th->version : 0;
    r->info.generated = th && th->generated;
    r->info.timestamp_ms = h->timestamp;
    r->info.has_total_length = h->has_total_length;
    r->info.total_length = h->total_length;
    if (h->n_attributes) {
        r->attrs = g_new0(lkc_kv_t, h->n_attributes);
        g_ptr_array_add(r->pool, r->attrs);
        for (size_t i = 0; i < h->n_attributes; i++) {
            r->attrs[i].key = keep(r, h->attributes[i]->key);
            r->attrs[i].value = keep(r, h->attributes[i]->value);
        }
        r->info.attributes = r->attrs;
        r->info.n_attributes = h->n_attributes;
    }
    return r;
}

bool lkc__stream_reader_is_pull(const lkc_stream_reader_t *r)
{
    return r->pull;
}

lkc_err_t lkc__stream_reader_append(lkc_stream_reader_t *r, const uint8_t *data, size_t len, const char **why)
{
    atomic_fetch_add(&r->received, len);
    /* nothing is kept for a pull reader nobody holds (the app took no reference) */
    if (!r->pull || len == 0 || atomic_load(&r->refs) <= 1)
        return LKC_OK;
    pthread_mutex_lock(&r->lock);
    lkc_err_t rc = LKC_OK;
    uint64_t unread = r->buf->len - r->off;
    if (unread + len > r->max_buffered) {
        *why = "the stream's unread content passed its limit (max_buffered_per_stream)";
        rc = LKC_ERR_TOO_LARGE;
    } else if (atomic_fetch_add(&r->budget->used, len) + len > atomic_load(&r->budget->max)) {
        atomic_fetch_sub(&r->budget->used, len);
        *why = "the room's unread stream content passed its limit (max_buffered_total)";
        rc = LKC_ERR_TOO_LARGE;
    } else {
        if (r->off > 0 && r->off >= r->buf->len / 2) { /* drop what was read before growing */
            g_byte_array_remove_range(r->buf, 0, (guint)r->off);
            r->off = 0;
        }
        g_byte_array_append(r->buf, data, (guint)len);
        pthread_cond_broadcast(&r->cond);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

void lkc__stream_reader_finish(lkc_stream_reader_t *r, lkc_err_t status, const char *reason,
                               Livekit__DataStream__Trailer__AttributesEntry *const *attrs, size_t n_attrs)
{
    pthread_mutex_lock(&r->lock);
    if (r->ended) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    if (n_attrs) {
        /* a new array: the header's keys, replaced or joined by the trailer's. The old one
         * stays in the pool (a reader thread may still look at it). */
        size_t n = r->info.n_attributes;
        lkc_kv_t *merged = g_new0(lkc_kv_t, n + n_attrs);
        if (n)
            memcpy(merged, r->info.attributes, n * sizeof *merged);
        for (size_t i = 0; i < n_attrs; i++) {
            const char *k = attrs[i]->key ? attrs[i]->key : "";
            size_t j = 0;
            while (j < n && strcmp(merged[j].key, k) != 0)
                j++;
            if (j == n)
                merged[n++].key = keep(r, k);
            merged[j].value = keep(r, attrs[i]->value);
        }
        g_ptr_array_add(r->pool, merged);
        r->info.attributes = merged;
        r->info.n_attributes = n;
    }
    r->ended = true;
    r->status = status;
    r->reason = g_strdup(reason ? reason : "");
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

/* --- public ----------------------------------------------------------------------- */

lkc_stream_reader_t *lkc_stream_reader_ref(lkc_stream_reader_t *r)
{
    if (r)
        atomic_fetch_add(&r->refs, 1);
    return r;
}

void lkc_stream_reader_unref(lkc_stream_reader_t *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    atomic_fetch_sub(&r->budget->used, (uint64_t)(r->buf->len - r->off));
    lkc__stream_budget_unref(r->budget);
    g_byte_array_unref(r->buf);
    g_free(r->reason);
    g_ptr_array_unref(r->pool);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    g_free(r);
}

const lkc_stream_info_t *lkc_stream_reader_info(const lkc_stream_reader_t *r)
{
    return r ? &r->info : NULL;
}

uint64_t lkc_stream_reader_received(const lkc_stream_reader_t *r)
{
    return r ? atomic_load(&((lkc_stream_reader_t *)r)->received) : 0;
}

const char *lkc_stream_reader_error(const lkc_stream_reader_t *r)
{
    if (!r)
        return "";
    lkc_stream_reader_t *m = (lkc_stream_reader_t *)r;
    pthread_mutex_lock(&m->lock);
    const char *s = m->reason; /* set once, at the end; kept until the reader is freed */
    pthread_mutex_unlock(&m->lock);
    return s ? s : "";
}

/* Waits (r->lock held) until content or the end, up to `deadline` (NULL: no bound).
 * The room is entered (R9) the first time it must wait. LKC_OK when there is something
 * to look at, else LKC_ERR_TIMEOUT or LKC_ERR_CLOSED. */
static lkc_err_t wait_some(lkc_stream_reader_t *r, bool all, int timeout_ms, lkc_room_t **entered)
{
    int64_t end_us = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;
    while (!r->ended && (all || r->buf->len == r->off)) {
        if (lkc__room_on_engine_thread(r->room))
            timeout_ms = 0; /* the engine thread is the one that fills the reader */
        if (timeout_ms == 0)
            return LKC_ERR_TIMEOUT;
        if (!*entered) {
            if (!lkc__room_enter(r->room))
                return LKC_ERR_CLOSED;
            *entered = r->room;
        }
        if (!lkc__room_handlers_on(r->room))
            return LKC_ERR_CLOSED; /* destroy was requested: leave now, do not wait for the end */
        int64_t left_ms = timeout_ms < 0 ? READ_SLICE_MS : (end_us - g_get_monotonic_time()) / 1000;
        if (left_ms <= 0)
            return LKC_ERR_TIMEOUT;
        struct timespec ts;
        lkc_deadline_after(&ts, (int)MIN(left_ms, READ_SLICE_MS));
        pthread_cond_timedwait(&r->cond, &r->lock, &ts);
    }
    return LKC_OK;
}

int lkc_stream_read(lkc_stream_reader_t *r, void *buf, size_t len, int timeout_ms)
{
    if (!r || (!buf && len))
        return LKC_ERR_INVALID_ARG;
    if (!r->pull)
        return LKC_ERR_STATE;
    lkc_room_t *entered = NULL;
    pthread_mutex_lock(&r->lock);
    int rc = wait_some(r, false, timeout_ms, &entered);
    if (rc == LKC_OK) {
        size_t unread = r->buf->len - r->off;
        if (unread) {
            size_t n = MIN(unread, len);
            n = MIN(n, (size_t)INT32_MAX);
            memcpy(buf, r->buf->data + r->off, n);
            r->off += n;
            atomic_fetch_sub(&r->budget->used, (uint64_t)n);
            rc = (int)n;
        } else {
            rc = r->status == LKC_OK ? LKC_EOS : r->status;
        }
    }
    pthread_mutex_unlock(&r->lock);
    if (entered)
        lkc__room_leave(entered);
    return rc;
}

lkc_err_t lkc_stream_read_all(lkc_stream_reader_t *r, uint8_t **out, size_t *len, int timeout_ms)
{
    if (!r || !out || !len)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    *len = 0;
    if (!r->pull)
        return LKC_ERR_STATE;
    lkc_room_t *entered = NULL;
    pthread_mutex_lock(&r->lock);
    lkc_err_t rc = wait_some(r, true, timeout_ms, &entered);
    if (rc == LKC_OK)
        rc = r->status;
    if (rc == LKC_OK) {
        size_t n = r->buf->len - r->off;
        uint8_t *p = malloc(n + 1);
        if (!p) {
            rc = LKC_ERR_NO_MEMORY;
        } else {
            memcpy(p, r->buf->data + r->off, n);
            p[n] = 0;
            r->off += n;
            atomic_fetch_sub(&r->budget->used, (uint64_t)n);
            *out = p;
            *len = n;
        }
    }
    pthread_mutex_unlock(&r->lock);
    if (entered)
        lkc__room_leave(entered);
    return rc;
}
