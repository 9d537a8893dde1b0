/* The room's data stream registry (see stream_topics.h). */
#include "room/stream_topics.h"

#include <string.h>

#define MIB (1024ull * 1024ull)

typedef struct entry {
    lkc_stream_handlers_t h;
    void *user;
} entry_t;

struct lkc__stream_topics {
    pthread_mutex_t lock;
    GHashTable *text;            /* [lock] topic -> entry_t* */
    GHashTable *bytes;           /* [lock] */
    lkc_stream_limits_t limits;  /* [lock] */
    lkc__stream_budget_t *budget;
    GPtrArray *writers;          /* [writers_lock] open writers (not owned) */
};

/* Guards every registry's `writers` and every writer's room pointer. Process-wide so
 * that a writer can learn, without touching its room, whether the room still exists:
 * a room's registry is freed (and its writers detached) under this lock. */
static pthread_mutex_t writers_lock = PTHREAD_MUTEX_INITIALIZER;

void lkc_stream_limits_init(lkc_stream_limits_t *l)
{
    if (!l)
        return;
    memset(l, 0, sizeof *l);
    l->struct_size = sizeof *l;
    l->max_buffered_per_stream = 64 * MIB;
    l->max_buffered_total = 256 * MIB;
    l->max_decompressed = 1024 * MIB;
    l->idle_timeout_ms = 30000;
    l->max_open_streams = 256;
}

/* The registry, made on first use. */
static struct lkc__stream_topics *get(lkc_room_t *room)
{
    pthread_mutex_lock(&room->lock);
    struct lkc__stream_topics *t = room->stream_topics;
    if (!t) {
        t = g_new0(struct lkc__stream_topics, 1);
        pthread_mutex_init(&t->lock, NULL);
        t->text = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        t->bytes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        lkc_stream_limits_init(&t->limits);
        t->budget = lkc__stream_budget_new(t->limits.max_buffered_total);
        t->writers = g_ptr_array_new();
        room->stream_topics = t;
    }
    pthread_mutex_unlock(&room->lock);
    return t;
}

/* The registry if it exists (never creates it). */
static struct lkc__stream_topics *peek(lkc_room_t *room)
{
    pthread_mutex_lock(&room->lock);
    struct lkc__stream_topics *t = room->stream_topics;
    pthread_mutex_unlock(&room->lock);
    return t;
}

void lkc__stream_topics_free(struct lkc__stream_topics *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&writers_lock);
    for (guint i = 0; i < t->writers->len; i++)
        lkc__stream_writer_detach(g_ptr_array_index(t->writers, i));
    g_ptr_array_free(t->writers, TRUE);
    pthread_mutex_unlock(&writers_lock);
    g_hash_table_destroy(t->text);
    g_hash_table_destroy(t->bytes);
    lkc__stream_budget_unref(t->budget);
    pthread_mutex_destroy(&t->lock);
    g_free(t);
}

lkc_err_t lkc__stream_topics_register(lkc_room_t *room, const char *topic, bool text,
                                      const lkc_stream_handlers_t *h, void *user)
{
    if (!room || !topic || !h || !h->on_close)
        return LKC_ERR_INVALID_ARG;
    struct lkc__stream_topics *t = get(room);
    pthread_mutex_lock(&t->lock);
    GHashTable *map = text ? t->text : t->bytes;
    lkc_err_t rc = LKC_ERR_STATE;
    if (!g_hash_table_contains(map, topic)) {
        entry_t *e = g_new(entry_t, 1);
        e->h = *h;
        e->user = user;
        g_hash_table_insert(map, g_strdup(topic), e);
        rc = LKC_OK;
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

lkc_err_t lkc__stream_topics_unregister(lkc_room_t *room, const char *topic, bool text)
{
    if (!room || !topic)
        return LKC_ERR_INVALID_ARG;
    struct lkc__stream_topics *t = peek(room);
    if (!t)
        return LKC_ERR_NOT_FOUND;
    pthread_mutex_lock(&t->lock);
    bool removed = g_hash_table_remove(text ? t->text : t->bytes, topic);
    pthread_mutex_unlock(&t->lock);
    return removed ? LKC_OK : LKC_ERR_NOT_FOUND;
}

bool lkc__stream_topics_lookup(lkc_room_t *room, const char *topic, bool text, lkc_stream_handlers_t *h,
                               void **user)
{
    struct lkc__stream_topics *t = peek(room);
    if (!t)
        return false;
    pthread_mutex_lock(&t->lock);
    const entry_t *e = g_hash_table_lookup(text ? t->text : t->bytes, topic ? topic : "");
    if (e) {
        *h = e->h;
        *user = e->user;
    }
    pthread_mutex_unlock(&t->lock);
    return e != NULL;
}

void lkc__stream_topics_limits(lkc_room_t *room, lkc_stream_limits_t *out)
{
    struct lkc__stream_topics *t = peek(room);
    if (!t) {
        lkc_stream_limits_init(out);
        return;
    }
    pthread_mutex_lock(&t->lock);
    *out = t->limits;
    pthread_mutex_unlock(&t->lock);
}

lkc_err_t lkc__stream_topics_set_limits(lkc_room_t *room, const lkc_stream_limits_t *l)
{
    if (!room || !l || l->struct_size == 0 || l->struct_size > sizeof *l)
        return LKC_ERR_INVALID_ARG;
    lkc_stream_limits_t v;
    lkc_stream_limits_init(&v);
    memcpy(&v, l, l->struct_size); /* fields an older caller lacks keep their defaults */
    v.struct_size = sizeof v;
    if (v.max_buffered_per_stream == 0 || v.max_buffered_total == 0 || v.max_decompressed == 0 ||
        v.idle_timeout_ms <= 0 || v.max_open_streams == 0)
        return LKC_ERR_INVALID_ARG;
    struct lkc__stream_topics *t = get(room);
    pthread_mutex_lock(&t->lock);
    t->limits = v;
    atomic_store(&t->budget->max, v.max_buffered_total);
    pthread_mutex_unlock(&t->lock);
    return LKC_OK;
}

lkc__stream_budget_t *lkc__stream_topics_budget(lkc_room_t *room)
{
    return lkc__stream_budget_ref(get(room)->budget);
}

void lkc__stream_topics_add_writer(lkc_room_t *room, lkc_stream_writer_t *w)
{
    struct lkc__stream_topics *t = get(room);
    pthread_mutex_lock(&writers_lock);
    g_ptr_array_add(t->writers, w);
    pthread_mutex_unlock(&writers_lock);
}

/* --- the writers' side of the lock ------------------------------------------------ */

void lkc__stream_writers_lock(void)
{
    pthread_mutex_lock(&writers_lock);
}

void lkc__stream_writers_unlock(void)
{
    pthread_mutex_unlock(&writers_lock);
}

void lkc__stream_writers_forget(lkc_room_t *room, lkc_stream_writer_t *w)
{
    struct lkc__stream_topics *t = room->stream_topics;
    if (t)
        g_ptr_array_remove_fast(t->writers, w);
}

/* --- public ----------------------------------------------------------------------- */

lkc_err_t lkc_room_register_text_stream_handler(lkc_room_t *room, const char *topic, const lkc_stream_handlers_t *h,
                                                void *user)
{
    return lkc__stream_topics_register(room, topic, true, h, user);
}

lkc_err_t lkc_room_register_byte_stream_handler(lkc_room_t *room, const char *topic, const lkc_stream_handlers_t *h,
                                                void *user)
{
    return lkc__stream_topics_register(room, topic, false, h, user);
}

lkc_err_t lkc_room_unregister_text_stream_handler(lkc_room_t *room, const char *topic)
{
    return lkc__stream_topics_unregister(room, topic, true);
}

lkc_err_t lkc_room_unregister_byte_stream_handler(lkc_room_t *room, const char *topic)
{
    return lkc__stream_topics_unregister(room, topic, false);
}

lkc_err_t lkc_room_set_stream_limits(lkc_room_t *room, const lkc_stream_limits_t *l)
{
    return lkc__stream_topics_set_limits(room, l);
}
