#include "room/data_packet.h"

#include "livekit_models.pb-c.h"

static void fill(Livekit__DataPacket *dp, Livekit__UserPacket *user, lkc_data_kind_t kind, const uint8_t *payload,
                 size_t len, const char *topic, const char *const *destinations, size_t n, uint32_t seq)
{
    user->payload.data = (uint8_t *)(payload ? payload : (const uint8_t *)"");
    user->payload.len = len;
    user->topic = (char *)(topic ? topic : "");
    dp->kind = kind == LKC_DATA_LOSSY ? LIVEKIT__DATA_PACKET__KIND__LOSSY : LIVEKIT__DATA_PACKET__KIND__RELIABLE;
    dp->value_case = LIVEKIT__DATA_PACKET__VALUE_USER;
    dp->user = user;
    dp->destination_identities = (char **)destinations;
    dp->n_destination_identities = n;
    dp->sequence = seq;
}

size_t lkc__data_packed_size(size_t len, const char *topic, const char *const *destinations, size_t n)
{
    Livekit__UserPacket user = LIVEKIT__USER_PACKET__INIT;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    /* the kind does not change the size: RELIABLE (0) is omitted, LOSSY is 2 bytes, and
     * both are counted as LOSSY to be safe */
    fill(&dp, &user, LKC_DATA_LOSSY, NULL, len, topic, destinations, n, 0);
    return livekit__data_packet__get_packed_size(&dp);
}

uint8_t *lkc__data_pack(const lkc__outgoing_t *o, uint32_t seq, size_t *out_len)
{
    Livekit__UserPacket user = LIVEKIT__USER_PACKET__INIT;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    fill(&dp, &user, o->kind, o->payload, o->len, o->topic, (const char *const *)o->destinations, o->n_destinations,
         seq);
    size_t n = livekit__data_packet__get_packed_size(&dp);
    uint8_t *buf = g_malloc(n ? n : 1);
    livekit__data_packet__pack(&dp, buf);
    *out_len = n;
    return buf;
}

void lkc__outgoing_free(gpointer p)
{
    lkc__outgoing_t *o = p;
    if (!o)
        return;
    if (o->room) { /* it leaves lkc's queue: wake senders waiting for room */
        pthread_mutex_lock(&o->room->lock);
        atomic_fetch_sub(&o->room->data_queued, o->cost);
        pthread_cond_broadcast(&o->room->cond);
        pthread_mutex_unlock(&o->room->lock);
    }
    g_free(o->payload);
    g_free(o->topic);
    g_strfreev(o->destinations);
    g_free(o);
}
