/* The one-shot sending calls (lkc_stream_send_text/bytes; files: stream_file.c) and what
 * the writer shares with them (stream_send.h). Packets are encoded here, on the caller's thread
 * (stream_encode.c), and queued as ordinary reliable data (LKC__CMD_SEND_DATA). */
#include "room/stream_send.h"

#include <string.h>

#include "base/log.h"
#include "room/data_packet.h"
#include "room/engine.h"
#include "room/stream_encode.h"

#define MOD "room.stream"


void lkc_stream_options_init(lkc_stream_options_t *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->timeout_ms = -1;
    o->compress = true;
}

lkc_err_t lkc__stream_opts(const lkc_stream_options_t *in, lkc_stream_options_t *o)
{
    lkc_stream_options_init(o);
    if (in) {
        if (in->struct_size == 0 || in->struct_size > sizeof *o)
            return LKC_ERR_INVALID_ARG;
        memcpy(o, in, in->struct_size); /* fields an older caller lacks keep their defaults */
    }
    if ((o->n_destinations && !o->destination_identities) || (o->n_attributes && !o->attributes))
        return LKC_ERR_INVALID_ARG;
    for (size_t i = 0; i < o->n_destinations; i++)
        if (!o->destination_identities[i])
            return LKC_ERR_INVALID_ARG;
    for (size_t i = 0; i < o->n_attributes; i++)
        if (!o->attributes[i].key || !o->attributes[i].value)
            return LKC_ERR_INVALID_ARG;
    return LKC_OK;
}

void lkc__stream_new_id(char out[LKC_STREAM_ID_LEN])
{
    char *u = g_uuid_string_random();
    g_strlcpy(out, u, LKC_STREAM_ID_LEN);
    g_free(u);
}

static const lkc_participant_info_t *find_remote(lkc_room_t *room, const char *identity)
{
    for (guint i = 0; room->remotes && i < room->remotes->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(room->remotes, i);
        if (p->identity && strcmp(p->identity, identity) == 0)
            return p;
    }
    return NULL;
}

void lkc__stream_recipients(lkc_room_t *room, const char *const *dest, size_t n, bool *v2, bool *deflate)
{
    *v2 = true;
    *deflate = true;
    pthread_mutex_lock(&room->lock);
    size_t count = n ? n : (room->remotes ? room->remotes->len : 0);
    for (size_t i = 0; i < count; i++) {
        const lkc_participant_info_t *p = n ? find_remote(room, dest[i]) : g_ptr_array_index(room->remotes, i);
        if (!p || p->client_protocol < 2)
            *v2 = false; /* someone unknown or older: the plain v1 form everyone reads */
        if (!p || !(p->capabilities & LKC_CAP_COMPRESSION_DEFLATE_RAW))
            *deflate = false;
    }
    pthread_mutex_unlock(&room->lock);
    *deflate = *deflate && *v2;
}

lkc_err_t lkc__stream_post(lkc_room_t *room, GPtrArray *pkts, int timeout_ms, bool force)
{
    size_t max = atomic_load(&room->max_data_payload);
    size_t cost = 0;
    for (guint i = 0; i < pkts->len; i++) {
        const lkc__outgoing_t *o = g_ptr_array_index(pkts, i);
        if (max && o->len + LKC__DATA_SEQUENCE_FIELD_MAX > max) {
            g_ptr_array_unref(pkts);
            return LKC_ERR_TOO_LARGE; /* only a header with very large attributes can be */
        }
        cost += o->len + LKC__DATA_PACKET_COST_OVERHEAD;
    }
    lkc_err_t rc = lkc__data_reserve(room, cost, timeout_ms);
    if (rc == LKC_ERR_WOULD_BLOCK && force) {
        atomic_fetch_add(&room->data_queued, cost); /* a trailer: better over the bound than lost */
        rc = LKC_OK;
    }
    if (rc != LKC_OK) {
        g_ptr_array_unref(pkts);
        return rc;
    }
    gsize n = 0;
    gpointer *v = g_ptr_array_steal(pkts, &n);
    g_ptr_array_unref(pkts);
    for (gsize i = 0; i < n; i++) {
        lkc__outgoing_t *o = v[i];
        o->room = room; /* its free un-counts its part of the reservation */
        o->cost = o->len + LKC__DATA_PACKET_COST_OVERHEAD;
        if (rc == LKC_OK)
            rc = lkc__engine_post(room, LKC__CMD_SEND_DATA, o, lkc__outgoing_free);
        else
            lkc__outgoing_free(o);
    }
    g_free(v);
    if (rc != LKC_OK)
        LKC_LOGW(MOD, "a stream was cut: the engine refused a packet (%s)", lkc_err_str(rc));
    return rc;
}

/* The packets [from, to) of `all` as a new array (taken from `all`). */
static GPtrArray *take_range(GPtrArray *all, guint from, guint to)
{
    GPtrArray *part = g_ptr_array_new_full(to - from, lkc__outgoing_free);
    for (guint i = from; i < to; i++) {
        g_ptr_array_add(part, g_ptr_array_index(all, i));
        g_ptr_array_index(all, i) = NULL;
    }
    return part;
}

void lkc__stream_cut(lkc_room_t *room, const char *id, const lkc_stream_options_t *o, lkc_err_t why)
{
    LKC_LOGW(MOD, "stream %s was cut midway: %s", id, lkc_err_str(why));
    GPtrArray *t = g_ptr_array_new_with_free_func(lkc__outgoing_free);
    g_ptr_array_add(t, lkc__stream_trailer_packet(id, "the sender could not go on", NULL, 0,
                                                  o->destination_identities, o->n_destinations));
    lkc__stream_post(room, t, 0, true);
}

/* Queues a whole stream's packets: at once when it fits in lkc's queue (all or nothing),
 * else in parts (the first waits per timeout_ms, the rest without a bound). */
static lkc_err_t post_all(lkc_room_t *room, GPtrArray *all, const lkc_stream_options_t *o, const char *id)
{
    size_t total = 0;
    for (guint i = 0; i < all->len; i++)
        total += ((lkc__outgoing_t *)g_ptr_array_index(all, i))->len + LKC__DATA_PACKET_COST_OVERHEAD;
    if (total <= LKC_DATA_MAX_QUEUED)
        return lkc__stream_post(room, all, o->timeout_ms, false);
    uint32_t epoch = atomic_load(&room->join_epoch);
    lkc_err_t rc = LKC_OK;
    guint from = 0;
    for (bool first = true; from < all->len && rc == LKC_OK; first = false) {
        size_t part = 0;
        guint to = from;
        while (to < all->len && (to == from || part < LKC__STREAM_PART_BYTES))
            part += ((lkc__outgoing_t *)g_ptr_array_index(all, to++))->len;
        if (!first && atomic_load(&room->join_epoch) != epoch) {
            LKC_LOGW(MOD, "stream %s ends: the connection was re-established (full reconnect) while it was sent", id);
            rc = LKC_ERR_CLOSED;
            break;
        }
        rc = lkc__stream_post(room, take_range(all, from, to), first ? o->timeout_ms : -1, false);
        if (rc != LKC_OK && !first)
            lkc__stream_cut(room, id, o, rc);
        from = to;
    }
    g_ptr_array_unref(all);
    return rc;
}

lkc_err_t lkc__stream_send_oneshot(lkc_room_t *room, bool text, const void *data, size_t len,
                                   const lkc_stream_options_t *opts, const char *name, char *id_out)
{
    if (!room || (!data && len))
        return LKC_ERR_INVALID_ARG;
    if (text && len && !g_utf8_validate(data, (gssize)len, NULL))
        return LKC_ERR_INVALID_ARG; /* recipients decode text as UTF-8: refuse it here, clearly */
    lkc_stream_options_t o;
    lkc_err_t rc = lkc__stream_opts(opts, &o);
    if (rc != LKC_OK)
        return rc;
    if (!lkc__data_live(room))
        return LKC_ERR_STATE;
    if (!lkc__room_enter(room))
        return LKC_ERR_CLOSED;
    char id[LKC_STREAM_ID_LEN];
    lkc__stream_new_id(id);
    bool v2, deflate;
    lkc__stream_recipients(room, o.destination_identities, o.n_destinations, &v2, &deflate);
    lkc__stream_head_t h = {
        .stream_id = id,
        .topic = o.topic,
        .mime_type = o.mime_type,
        .name = text ? NULL : (o.name ? o.name : name ? name : "unknown"),
        .is_text = text,
        .reply_to = text ? o.reply_to_stream_id : NULL,
        .attrs = o.attributes,
        .n_attrs = o.n_attributes,
        .dest = o.destination_identities,
        .n_dest = o.n_destinations,
    };
    GPtrArray *all = lkc__stream_encode_oneshot(&h, data, len, v2, deflate && o.compress);
    rc = all ? post_all(room, all, &o, id) : LKC_ERR_INVALID_ARG;
    lkc__room_leave(room);
    if (rc == LKC_OK && id_out)
        memcpy(id_out, id, LKC_STREAM_ID_LEN);
    return rc;
}

lkc_err_t lkc_stream_send_text(lkc_room_t *room, const char *text, size_t len, const lkc_stream_options_t *opts,
                               char id_out[LKC_STREAM_ID_LEN])
{
    return lkc__stream_send_oneshot(room, true, text, len, opts, NULL, id_out);
}

lkc_err_t lkc_stream_send_bytes(lkc_room_t *room, const void *data, size_t len, const lkc_stream_options_t *opts,
                                char id_out[LKC_STREAM_ID_LEN])
{
    return lkc__stream_send_oneshot(room, false, data, len, opts, NULL, id_out);
}
