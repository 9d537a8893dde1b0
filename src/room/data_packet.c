#include "room/data_packet.h"

#include <string.h>

static void fill(Livekit__DataPacket *dp, Livekit__UserPacket *user, const uint8_t *payload, size_t len,
                 const char *topic, const char *const *destinations, size_t n)
{
    user->payload.data = (uint8_t *)(payload ? payload : (const uint8_t *)"");
    user->payload.len = len;
    user->topic = (char *)(topic ? topic : "");
    dp->value_case = LIVEKIT__DATA_PACKET__VALUE_USER;
    dp->user = user;
    dp->destination_identities = (char **)destinations;
    dp->n_destination_identities = n;
}

size_t lkc__data_packed_size(size_t len, const char *topic, const char *const *destinations, size_t n)
{
    Livekit__UserPacket user = LIVEKIT__USER_PACKET__INIT;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    fill(&dp, &user, NULL, len, topic, destinations, n);
    /* the kind does not change the size much: RELIABLE (0) is omitted, LOSSY is 2 bytes;
     * both are counted as LOSSY to be safe */
    dp.kind = LIVEKIT__DATA_PACKET__KIND__LOSSY;
    return livekit__data_packet__get_packed_size(&dp);
}

lkc__outgoing_t *lkc__outgoing_packet(lkc_data_kind_t kind, Livekit__DataPacket *dp)
{
    dp->kind = kind == LKC_DATA_LOSSY ? LIVEKIT__DATA_PACKET__KIND__LOSSY : LIVEKIT__DATA_PACKET__KIND__RELIABLE;
    dp->sequence = 0;
    lkc__outgoing_t *o = g_new0(lkc__outgoing_t, 1);
    o->kind = kind;
    o->len = livekit__data_packet__get_packed_size(dp);
    o->encoded = g_malloc(o->len ? o->len : 1);
    livekit__data_packet__pack(dp, o->encoded);
    return o;
}

lkc__outgoing_t *lkc__outgoing_user(lkc_data_kind_t kind, const void *payload, size_t len, const char *topic,
                                    const char *const *destinations, size_t n)
{
    Livekit__UserPacket user = LIVEKIT__USER_PACKET__INIT;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    fill(&dp, &user, payload, len, topic, destinations, n);
    return lkc__outgoing_packet(kind, &dp);
}

uint8_t *lkc__data_pack(const lkc__outgoing_t *o, uint32_t seq, size_t *out_len)
{
    uint8_t *buf = g_malloc(o->len + LKC__DATA_SEQUENCE_FIELD_MAX);
    memcpy(buf, o->encoded, o->len);
    size_t n = o->len;
    if (seq) {
        /* fields may come in any order on the wire: the sequence goes last */
        buf[n++] = 0x80; /* field 16, varint: (16 << 3) | 0 = 128 as a varint */
        buf[n++] = 0x01;
        for (uint32_t v = seq; ; v >>= 7) {
            if (v < 0x80) {
                buf[n++] = (uint8_t)v;
                break;
            }
            buf[n++] = (uint8_t)(v | 0x80);
        }
    }
    *out_len = n;
    return buf;
}

void lkc__outgoing_release(lkc__outgoing_t *o)
{
    if (o->room) { /* it leaves lkc's queue: wake senders waiting for room */
        pthread_mutex_lock(&o->room->lock);
        atomic_fetch_sub(&o->room->data_queued, o->cost);
        pthread_cond_broadcast(&o->room->cond);
        pthread_mutex_unlock(&o->room->lock);
        o->room = NULL;
    }
}

void lkc__outgoing_free(gpointer p)
{
    lkc__outgoing_t *o = p;
    if (!o)
        return;
    lkc__outgoing_release(o);
    g_free(o->encoded);
    g_free(o);
}
