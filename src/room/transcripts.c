/* See transcripts.h. */
#include "room/transcripts.h"

#include <string.h>

#include "room/events.h"

#define MAX_SEGMENTS 256 /* open segments kept; the oldest goes first (a bound, not a limit) */
#define MAX_SEGMENT_TEXT (256 * 1024)

typedef struct segment {
    char *id;
    char *identity;
    char *sender;
    char *track;
    GString *text;
} segment_t;

struct lkc__transcripts {
    lkc_room_t *room;
    lkc__transcripts_ports_t ports;
    GHashTable *segments; /* id -> segment_t* */
    GQueue order;         /* segment ids, oldest first (borrowed from the segments) */
    GHashTable *readers;  /* lkc_stream_reader_t* -> segment_t* (borrowed) */
};

static void segment_free(gpointer p)
{
    segment_t *s = p;
    g_free(s->id);
    g_free(s->identity);
    g_free(s->sender);
    g_free(s->track);
    g_string_free(s->text, TRUE);
    g_free(s);
}

lkc__transcripts_t *lkc__transcripts_new(lkc_room_t *room, const lkc__transcripts_ports_t *ports)
{
    lkc__transcripts_t *t = g_new0(lkc__transcripts_t, 1);
    t->room = room;
    t->ports = *ports;
    t->segments = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, segment_free);
    g_queue_init(&t->order);
    t->readers = g_hash_table_new(g_direct_hash, g_direct_equal);
    return t;
}

void lkc__transcripts_free(lkc__transcripts_t *t)
{
    if (!t)
        return;
    g_hash_table_destroy(t->readers);
    g_queue_clear(&t->order);
    g_hash_table_destroy(t->segments);
    g_free(t);
}

static void drop(lkc__transcripts_t *t, segment_t *s)
{
    GHashTableIter it;
    gpointer r, seg;
    g_hash_table_iter_init(&it, t->readers);
    while (g_hash_table_iter_next(&it, &r, &seg))
        if (seg == s)
            g_hash_table_iter_remove(&it);
    g_queue_remove(&t->order, s->id);
    g_hash_table_remove(t->segments, s->id);
}

/* The segment `id`, made (with empty text) when new; the who/track fields are updated. */
static segment_t *segment(lkc__transcripts_t *t, const char *id, const char *sender, const char *track,
                          const char *identity)
{
    segment_t *s = g_hash_table_lookup(t->segments, id);
    if (!s) {
        if (g_queue_get_length(&t->order) >= MAX_SEGMENTS)
            drop(t, g_hash_table_lookup(t->segments, g_queue_peek_head(&t->order)));
        s = g_new0(segment_t, 1);
        s->id = g_strdup(id);
        s->text = g_string_new(NULL);
        g_hash_table_insert(t->segments, s->id, s);
        g_queue_push_tail(&t->order, s->id);
    }
    const char *owner = track && *track && t->ports.track_owner ? t->ports.track_owner(t->ports.user, track) : NULL;
    g_free(s->identity);
    s->identity = g_strdup(owner ? owner : identity && *identity ? identity : sender);
    g_free(s->sender);
    s->sender = g_strdup(sender);
    g_free(s->track);
    s->track = g_strdup(track ? track : "");
    return s;
}

static void report(lkc__transcripts_t *t, segment_t *s, bool final)
{
    lkc_transcription_t ev = {
        .identity = s->identity,
        .sender_identity = s->sender,
        .segment_id = s->id,
        .track_sid = s->track,
        .text = s->text->str,
        .final = final,
    };
    lkc__events_transcription(t->room, &ev);
    if (final)
        drop(t, s);
}

static const char *attr(const lkc_stream_info_t *info, const char *key)
{
    for (size_t i = 0; i < info->n_attributes; i++)
        if (info->attributes[i].key && strcmp(info->attributes[i].key, key) == 0)
            return info->attributes[i].value;
    return NULL;
}

static bool is_true(const char *v)
{
    return v && (g_ascii_strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* --- lk.transcription text streams ------------------------------------------------ */

static void on_open(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info, void *user)
{
    (void)room;
    lkc__transcripts_t *t = user;
    const char *id = attr(info, "lk.segment_id");
    segment_t *s = segment(t, id && *id ? id : info->id, info->sender_identity, attr(info, "lk.transcribed_track_id"),
                           NULL);
    g_string_truncate(s->text, 0); /* a new stream for a segment carries its text anew */
    g_hash_table_insert(t->readers, reader, s);
}

static void on_chunk(lkc_room_t *room, lkc_stream_reader_t *reader, const uint8_t *data, size_t len, void *user)
{
    (void)room;
    lkc__transcripts_t *t = user;
    segment_t *s = g_hash_table_lookup(t->readers, reader);
    if (!s || len == 0 || s->text->len + len > MAX_SEGMENT_TEXT)
        return;
    g_string_append_len(s->text, (const char *)data, (gssize)len);
    report(t, s, false);
}

static void on_close(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info, lkc_err_t status,
                     const char *reason, void *user)
{
    (void)room;
    (void)reason;
    lkc__transcripts_t *t = user;
    segment_t *s = g_hash_table_lookup(t->readers, reader);
    g_hash_table_remove(t->readers, reader);
    if (!s)
        return;
    /* a stream that ended abnormally leaves its segment as it was, not final */
    if (status == LKC_OK)
        report(t, s, is_true(attr(info, "lk.transcription_final")));
}

const lkc_stream_handlers_t *lkc__transcripts_stream_handlers(void)
{
    static const lkc_stream_handlers_t h = {.on_open = on_open, .on_chunk = on_chunk, .on_close = on_close};
    return &h;
}

/* --- Transcription packets ------------------------------------------------------- */

void lkc__transcripts_on_packet(lkc__transcripts_t *t, const Livekit__Transcription *tr, const char *sender)
{
    for (size_t i = 0; i < tr->n_segments; i++) {
        const Livekit__TranscriptionSegment *seg = tr->segments[i];
        if (!seg || !seg->id || !*seg->id)
            continue;
        segment_t *s = segment(t, seg->id, sender, tr->track_id, tr->transcribed_participant_identity);
        g_string_assign(s->text, seg->text ? seg->text : "");
        if (s->text->len > MAX_SEGMENT_TEXT)
            g_string_truncate(s->text, MAX_SEGMENT_TEXT);
        report(t, s, seg->final);
    }
}
