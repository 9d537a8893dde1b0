/* The data side of the session (see session_internal.h): it builds the parts that live on
 * the data channels (data, RPC, streams, transcripts) and is their ports: received packets
 * go to their part, RPC and streams queue into data, and what they need of the room model
 * (who is present, what a peer speaks, whose track) comes from the model. Engine thread. */
#include <string.h>

#include "base/log.h"
#include "room/session_internal.h"

#define MOD "room"

/* Data packets other than user packets go to their part. */
static void on_packet_in(void *user, const Livekit__DataPacket *dp, const char *sender, lkc_data_kind_t kind)
{
    lkc_session_t *s = user;
    (void)kind;
    switch (dp->value_case) {
    case LIVEKIT__DATA_PACKET__VALUE_RPC_REQUEST:
    case LIVEKIT__DATA_PACKET__VALUE_RPC_ACK:
    case LIVEKIT__DATA_PACKET__VALUE_RPC_RESPONSE: lkc__rpc_on_packet(s->rpc, dp, sender); break;
    case LIVEKIT__DATA_PACKET__VALUE_STREAM_HEADER:
    case LIVEKIT__DATA_PACKET__VALUE_STREAM_CHUNK:
    case LIVEKIT__DATA_PACKET__VALUE_STREAM_TRAILER: lkc__streams_on_packet(s->streams, dp, sender); break;
    case LIVEKIT__DATA_PACKET__VALUE_TRANSCRIPTION:
        if (dp->transcription)
            lkc__transcripts_on_packet(s->transcripts, dp->transcription, sender);
        break;
    default: LKC_LOGD(MOD, "ignoring a data packet of type %d", (int)dp->value_case); break;
    }
}

/* A stream chunk that nobody reads is dropped before it is decoded (data_peek.c). */
static bool wants_chunk(void *user, const char *stream_id, size_t len)
{
    lkc_session_t *s = user;
    return lkc__streams_wants_chunk(s->streams, stream_id, len);
}

/* RPC and the streams module queue their packets here (engine thread). */
static void send_packet(void *user, lkc__outgoing_t *o)
{
    lkc_session_t *s = user;
    lkc__data_send(s->data, o);
}

static int client_protocol(void *user, const char *identity, bool *present)
{
    lkc_session_t *s = user;
    const lkc_participant_info_t *p = identity && *identity ? lkc__model_find_identity(s->model, identity) : NULL;
    if (present)
        *present = p != NULL;
    return p ? p->client_protocol : 0;
}

static bool participant_present(void *user, const char *identity)
{
    bool present = false;
    client_protocol(user, identity, &present);
    return present;
}

/* The text streams lkc reads itself (RPC v2), before the app's handlers. */
static const lkc_stream_handlers_t *internal_stream_handlers(void *user, const char *topic, bool text,
                                                             void **handler_user)
{
    lkc_session_t *s = user;
    if (text && (strcmp(topic, "lk.rpc_request") == 0 || strcmp(topic, "lk.rpc_response") == 0)) {
        *handler_user = s->rpc;
        return lkc__rpc_stream_handlers();
    }
    if (text && strcmp(topic, "lk.transcription") == 0) {
        *handler_user = s->transcripts;
        return lkc__transcripts_stream_handlers();
    }
    return NULL;
}

static const char *track_owner(void *user, const char *track_sid)
{
    lkc_session_t *s = user;
    const lkc_participant_info_t *me = lkc__model_local(s->model);
    for (size_t k = 0; me && k < me->n_tracks; k++)
        if (strcmp(me->tracks[k].sid, track_sid) == 0)
            return me->identity;
    const lkc_participant_info_t *p = lkc__model_find_track(s->model, track_sid, NULL);
    return p ? p->identity : NULL;
}

static int send_data(void *user, lkc_data_kind_t kind, const uint8_t *buf, size_t len)
{
    lkc_session_t *s = user;
    return s->transport ? lkc__transport_send_data(s->transport, kind, buf, len) : LKC_ERR_STATE;
}

void lkc__session_make_data_parts(lkc_session_t *s, GMainContext *ctx)
{
    lkc_room_t *room = s->room;
    s->data = lkc__data_new(room, &(lkc__data_ports_t){.send = send_data, .packet_in = on_packet_in,
                                                        .wants_chunk = wants_chunk, .user = s});
    s->rpc = lkc__rpc_new(room, ctx,
                          &(lkc__rpc_ports_t){.send = send_packet, .client_protocol = client_protocol, .user = s});
    s->transcripts =
        lkc__transcripts_new(room, &(lkc__transcripts_ports_t){.track_owner = track_owner, .user = s});
    s->streams = lkc__streams_new(
        room, ctx,
        &(lkc__streams_ports_t){.present = participant_present, .internal = internal_stream_handlers, .user = s});
}
