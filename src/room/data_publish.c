/* The public data calls: lkc_room_publish_data (checks, copies, waits for room in lkc's
 * queue, then sends the packet to the engine as LKC__CMD_SEND_DATA) and the payload
 * limit. The engine half is data.c. */
#include <string.h>

#include "base/sync.h"
#include "room/data_packet.h"
#include "room/engine.h"

void lkc_data_options_init(lkc_data_options_t *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->kind = LKC_DATA_RELIABLE;
}

/* The largest payload whose packet (with a reliable sequence number) fits in `max`. */
static size_t max_payload_in(size_t max)
{
    if (max <= LKC__DATA_SEQUENCE_FIELD_MAX + lkc__data_packed_size(0, NULL, NULL, 0))
        return 0;
    size_t lo = 0, hi = max; /* packed_size grows with the payload: find the last fit */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (lkc__data_packed_size(mid, NULL, NULL, 0) + LKC__DATA_SEQUENCE_FIELD_MAX <= max)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

size_t lkc_room_max_data_payload(const lkc_room_t *room)
{
    return room ? max_payload_in(atomic_load(&((lkc_room_t *)room)->max_data_payload)) : 0;
}

/* Connected, or reconnecting: then packets wait in lkc's queue for the connection. */
bool lkc__data_live(lkc_room_t *room)
{
    int st = atomic_load(&room->state);
    return st == LKC_STATE_CONNECTED || st == LKC_STATE_RECONNECTING;
}

lkc_err_t lkc__data_reserve(lkc_room_t *room, size_t cost, int timeout_ms)
{
    if (lkc__room_on_engine_thread(room))
        timeout_ms = 0; /* only the engine thread drains the queue */
    struct timespec deadline;
    lkc_deadline_after(&deadline, timeout_ms < 0 ? 0 : timeout_ms);
    lkc_err_t rc = LKC_OK;
    pthread_mutex_lock(&room->lock);
    for (;;) {
        size_t queued = atomic_load(&room->data_queued);
        if (room->closing) {
            rc = LKC_ERR_CLOSED;
            break;
        }
        if (queued == 0 || queued + cost <= LKC_DATA_MAX_QUEUED)
            break;
        if (!lkc__data_live(room)) {
            rc = LKC_ERR_STATE;
            break;
        }
        if (timeout_ms == 0 ||
            (timeout_ms < 0 ? pthread_cond_wait(&room->cond, &room->lock)
                            : pthread_cond_timedwait(&room->cond, &room->lock, &deadline)) != 0) {
            rc = LKC_ERR_WOULD_BLOCK;
            break;
        }
    }
    if (rc == LKC_OK)
        atomic_fetch_add(&room->data_queued, cost);
    pthread_mutex_unlock(&room->lock);
    return rc;
}

static lkc_err_t check(lkc_room_t *room, size_t len, const lkc_data_options_t *o, size_t *packed)
{
    if (o->struct_size == 0 || o->struct_size > sizeof *o || (int)o->kind < 0 || o->kind > LKC_DATA_LOSSY ||
        (o->n_destinations && !o->destination_identities))
        return LKC_ERR_INVALID_ARG;
    for (size_t i = 0; i < o->n_destinations; i++)
        if (!o->destination_identities[i])
            return LKC_ERR_INVALID_ARG;
    if (!lkc__data_live(room))
        return LKC_ERR_STATE;
    /* the size is checked before anything is copied: an oversize packet costs nothing */
    size_t max = atomic_load(&room->max_data_payload);
    if (max == 0)
        return LKC_ERR_STATE;
    if (len > max)
        return LKC_ERR_TOO_LARGE;
    *packed = lkc__data_packed_size(len, o->topic, o->destination_identities, o->n_destinations);
    return *packed + LKC__DATA_SEQUENCE_FIELD_MAX > max ? LKC_ERR_TOO_LARGE : LKC_OK;
}

lkc_err_t lkc_room_publish_data(lkc_room_t *room, const void *payload, size_t len, const lkc_data_options_t *opts)
{
    if (!room || (!payload && len > 0))
        return LKC_ERR_INVALID_ARG;
    lkc_data_options_t o;
    lkc_data_options_init(&o);
    if (opts) {
        if (opts->struct_size == 0 || opts->struct_size > sizeof o)
            return LKC_ERR_INVALID_ARG;
        memcpy(&o, opts, opts->struct_size); /* fields an older caller lacks keep their defaults */
    }
    size_t packed = 0;
    lkc_err_t rc = check(room, len, &o, &packed);
    if (rc != LKC_OK)
        return rc;
    if (!lkc__room_enter(room))
        return LKC_ERR_CLOSED;
    size_t cost = packed + LKC__DATA_PACKET_COST_OVERHEAD;
    rc = lkc__data_reserve(room, cost, o.timeout_ms);
    if (rc == LKC_OK) {
        lkc__outgoing_t *out = lkc__outgoing_user(o.kind, payload, len, o.topic && *o.topic ? o.topic : NULL,
                                                  o.destination_identities, o.n_destinations);
        out->room = room;
        out->cost = cost;
        rc = lkc__engine_post(room, LKC__CMD_SEND_DATA, out, lkc__outgoing_free);
    }
    lkc__room_leave(room);
    return rc;
}
