/* The LiveKit session on the engine thread, the composition root of src/room (see
 * session.h): signal connection, join, leave, timers; it builds the parts and wires
 * their ports, and dispatches signal messages and application commands. */
#include "room/session.h"
#include "room/session_internal.h"

#include <string.h>

#include "base/log.h"
#include "base/source.h"
#include "room/audio_internal.h"
#include "room/data.h"
#include "room/events.h"
#include "room/local_tracks.h"
#include "room/media.h"
#include "room/model.h"
#include "room/remote_tracks.h"
#include "room/transport.h"
#include "signal/signal.h"

#define MOD "room"
#define LKC_PROTOCOL_VERSION 17 /* see docs/architecture.md, "Protocol choices" */
/* client-to-client: RPC over data streams (1) and data streams v2 (2), with deflate-raw */
#define LKC_CLIENT_PROTOCOL 2
#define LKC_CAPABILITIES "CAP_COMPRESSION_DEFLATE_RAW"
#define LEAVE_CLOSE_BOUND_MS 700
#define RECONNECT_CONNECT_MS 3000 /* signal connect + first answer of a reconnect attempt */
/* a failed transport waits this long for the server's leave (which it sends first when it
 * removes us) before recovering: the leave must win, or a removed participant rejoins */
#define VERDICT_WAIT_MS 300


static lkc_peer_t *publisher(lkc_session_t *s)
{
    return s->transport ? lkc__transport_publisher(s->transport) : NULL;
}

/* --- the server's leave -------------------------------------------------------- */

lkc_failure_t lkc__session_failure_from_leave(const Livekit__LeaveRequest *l)
{
    switch (l->reason) {
    case LIVEKIT__DISCONNECT_REASON__DUPLICATE_IDENTITY: return LKC_FAILURE_DUPLICATE_IDENTITY;
    case LIVEKIT__DISCONNECT_REASON__PARTICIPANT_REMOVED: return LKC_FAILURE_PARTICIPANT_REMOVED;
    case LIVEKIT__DISCONNECT_REASON__ROOM_DELETED:
    case LIVEKIT__DISCONNECT_REASON__ROOM_CLOSED: return LKC_FAILURE_ROOM_DELETED;
    case LIVEKIT__DISCONNECT_REASON__SERVER_SHUTDOWN: return LKC_FAILURE_SERVER_SHUTDOWN;
    case LIVEKIT__DISCONNECT_REASON__CLIENT_INITIATED: return LKC_FAILURE_NONE;
    default: return LKC_FAILURE_SERVER_LEAVE;
    }
}

static const char *disconnect_reason_name(int r)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&livekit__disconnect_reason__descriptor, r);
    return v ? v->name : "unknown";
}

static void handle_leave(lkc_session_t *s, const Livekit__LeaveRequest *l)
{
    char msg[160];
    const char *action = l->action == LIVEKIT__LEAVE_REQUEST__ACTION__RESUME      ? "resume"
                         : l->action == LIVEKIT__LEAVE_REQUEST__ACTION__RECONNECT ? "reconnect"
                                                                                  : "disconnect";
    g_snprintf(msg, sizeof msg, "the server asked us to leave (reason %s, action %s)",
               disconnect_reason_name(l->reason), action);
    LKC_LOGI(MOD, "%s", msg);
    if (l->action == LIVEKIT__LEAVE_REQUEST__ACTION__RESUME)
        lkc__session_lost(s, LKC_FAILURE_SERVER_LEAVE, msg, LKC_RECONNECT_RESUME);
    else if (l->action == LIVEKIT__LEAVE_REQUEST__ACTION__RECONNECT)
        lkc__session_lost(s, LKC_FAILURE_SERVER_LEAVE, msg, LKC_RECONNECT_FULL);
    else
        lkc__engine_end(s->engine, lkc__session_failure_from_leave(l), msg, false);
}

/* --- becoming connected --------------------------------------------------------- */

static void become_connected(lkc_session_t *s)
{
    if (s->connected || !lkc__transport_ready(s->transport))
        return;
    s->connected = true;
    lkc_source_clear(&s->join_timer);
    lkc_room_t *room = s->room;
    LKC__MARK(room, connected_ms, lkc__engine_elapsed_ms(s->engine));
    atomic_store(&room->max_data_payload, lkc__transport_max_message(s->transport));
    lkc__events_state(room, LKC_STATE_CONNECTED, LKC_FAILURE_NONE, NULL);
    lkc__events_connected(room);
    lkc__model_announce(s->model);
    lkc__remote_tracks_on_model_changed(s->remote); /* subscriptions made while connecting */
}

static lkc__transport_ports_t transport_ports(lkc_session_t *s);

static int64_t elapsed_ms(void *engine)
{
    return lkc__engine_elapsed_ms(engine);
}

bool lkc__session_make_transport(lkc_session_t *s, const Livekit__JoinResponse *j)
{
    s->ping_interval_s = j->ping_interval > 0 ? j->ping_interval : 5;
    s->ping_timeout_s = j->ping_timeout > 0 ? j->ping_timeout : 15;
    lkc_signal_start_ping(s->signal, s->ping_interval_s, s->ping_timeout_s);
    lkc__transport_config_t cfg = {
        .ctx = lkc__engine_context(s->engine),
        .room = s->room,
        .ice_policy = s->room->opts.ice_policy,
        .test_corrupt_remote_fingerprint =
            (s->room->test_hooks & LKC__TEST_HOOK_CORRUPT_REMOTE_FINGERPRINT) != 0,
        .elapsed_ms = elapsed_ms,
        .clock = s->engine,
        .ports = transport_ports(s),
    };
    s->transport = lkc__transport_new(&cfg, j);
    if (!s->transport)
        return false;
    lkc__media_set_peers(s->media, publisher(s), lkc__transport_subscriber(s->transport));
    return true;
}

static void handle_join(lkc_session_t *s, const Livekit__JoinResponse *j)
{
    if (s->reconnecting && s->rc_kind == LKC_RECONNECT_FULL && !s->joined) {
        lkc__session_on_rejoin(s, j);
        return;
    }
    if (s->joined) {
        LKC_LOGW(MOD, "ignoring a second JoinResponse");
        return;
    }
    s->joined = true;
    LKC__MARK(s->room, join_received_ms, lkc__engine_elapsed_ms(s->engine));
    lkc__model_join(s->model, j);
    LKC_LOGI(MOD, "joined room \"%s\" (%s) as %s (%s), %zu other participant(s), server %s",
             s->room->info->name, s->room->info->sid, s->room->local ? s->room->local->identity : "?",
             s->room->local ? s->room->local->sid : "?", j->n_other_participants,
             j->server_info && j->server_info->version ? j->server_info->version : "?");
    if (!lkc__session_make_transport(s, j)) {
        lkc__engine_end(s->engine, LKC_FAILURE_INTERNAL, "cannot create the peer connections", true);
        return;
    }
    become_connected(s);
}

static void on_signal_open(void *user)
{
    lkc_session_t *s = user;
    LKC__MARK(s->room, signal_open_ms, lkc__engine_elapsed_ms(s->engine));
}

void lkc__session_on_signal(lkc_session_t *s, const Livekit__SignalResponse *r)
{
    if (s->shutting_down && r->message_case != LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE)
        return;
    switch (r->message_case) {
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_JOIN:
        if (r->join)
            handle_join(s, r->join);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_OFFER:
        if (s->transport && r->offer) {
            lkc__transport_on_offer(s->transport, r->offer);
            if (s->reconnecting && s->rc_resumed) {
                s->rc_restart_offer = true;
                lkc__session_check_reconnected(s);
            }
        }
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ANSWER:
        if (s->transport && r->answer)
            lkc__transport_on_answer(s->transport, r->answer);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRICKLE:
        if (s->transport && r->trickle)
            lkc__transport_on_trickle(s->transport, r->trickle);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE:
        if (r->request_response && lkc__participant_update_on_response(s->pupdate, r->request_response))
            break;
        if (r->request_response && r->request_response->reason != LIVEKIT__REQUEST_RESPONSE__REASON__OK) {
            LKC_LOGW(MOD, "the server refused a request (reason %d): %s", (int)r->request_response->reason,
                     r->request_response->message ? r->request_response->message : "");
            lkc__local_tracks_on_request_response(s->local, r->request_response);
        }
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE:
        if (s->joined && r->update) {
            lkc__model_update(s->model, r->update->participants, r->update->n_participants);
            lkc__remote_tracks_on_model_changed(s->remote);
            lkc__rpc_on_model_changed(s->rpc);
            lkc__streams_on_model_changed(s->streams);
        }
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_PUBLISHED:
        if (r->track_published) {
            const lkc_participant_info_t *me = lkc__model_local(s->model);
            lkc__local_tracks_on_published(s->local, r->track_published, publisher(s), me ? me->sid : NULL);
        }
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_UNPUBLISHED:
        if (r->track_unpublished)
            lkc__local_tracks_on_unpublished(s->local, r->track_unpublished->track_sid, publisher(s));
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ROOM_UPDATE:
        if (s->joined && r->room_update && r->room_update->room)
            lkc__model_room_update(s->model, r->room_update->room);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE:
        if (s->shutting_down) {
            lkc_signal_close(s->signal, LEAVE_CLOSE_BOUND_MS);
            break;
        }
        if (r->leave)
            handle_leave(s, r->leave);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REFRESH_TOKEN:
        if (r->refresh_token && *r->refresh_token) {
            g_free(s->refresh_token);
            s->refresh_token = g_strdup(r->refresh_token);
        }
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_RECONNECT:
        if (r->reconnect && s->reconnecting && s->rc_kind == LKC_RECONNECT_RESUME)
            lkc__session_on_reconnect_response(s, r->reconnect);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_SPEAKERS_CHANGED: {
        const Livekit__SpeakersChanged *sc = r->speakers_changed;
        if (!sc)
            break;
        lkc_speaker_t *sp = g_new0(lkc_speaker_t, sc->n_speakers ? sc->n_speakers : 1);
        for (size_t i = 0; i < sc->n_speakers; i++) {
            if (!sc->speakers[i])
                continue;
            sp[i].sid = sc->speakers[i]->sid ? sc->speakers[i]->sid : "";
            sp[i].level = sc->speakers[i]->level;
            sp[i].active = sc->speakers[i]->active;
        }
        if (s->connected)
            lkc__events_speakers(s->room, sp, sc->n_speakers);
        g_free(sp);
        break;
    }
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_CONNECTION_QUALITY:
        if (s->connected && r->connection_quality)
            for (size_t i = 0; i < r->connection_quality->n_updates; i++) {
                const Livekit__ConnectionQualityInfo *q = r->connection_quality->updates[i];
                const lkc_participant_info_t *p = q ? lkc__model_find_sid(s->model, q->participant_sid) : NULL;
                if (p && (unsigned)q->quality <= LKC_QUALITY_LOST)
                    lkc__events_connection_quality(s->room, p, (lkc_connection_quality_t)q->quality, q->score);
            }
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_SUBSCRIPTION_RESPONSE:
        if (s->connected && r->subscription_response && r->subscription_response->track_sid) {
            const Livekit__SubscriptionResponse *sr = r->subscription_response;
            const ProtobufCEnumValue *v =
                protobuf_c_enum_descriptor_get_value(&livekit__subscription_error__descriptor, sr->err);
            const lkc_participant_info_t *p = lkc__model_find_track(s->model, sr->track_sid, NULL);
            LKC_LOGW(MOD, "the server could not subscribe us to %s: %s", sr->track_sid, v ? v->name : "unknown");
            lkc__events_subscription_failed(s->room, p, sr->track_sid, v ? v->name : "SE_UNKNOWN");
        }
        break;
    default:
        LKC_LOGD(MOD, "unhandled signal message %d", (int)r->message_case);
        break;
    }
}

static void on_signal_response(void *user, const Livekit__SignalResponse *r)
{
    lkc__session_on_signal(user, r);
}

static void on_signal_closed(void *user, lkc_failure_t reason, const char *message)
{
    lkc_session_t *s = user;
    if (s->shutting_down) {
        lkc__engine_shutdown_done(s->engine);
        return;
    }
    if (s->reconnecting)
        lkc__session_attempt_failed(s, reason, message);
    else if (s->connected)
        lkc__session_lost(s, reason, message, LKC_RECONNECT_RESUME);
    else
        lkc__engine_end(s->engine, reason, message, false); /* the first connect failed */
}

static gboolean on_join_timeout(gpointer data)
{
    lkc_session_t *s = data;
    g_source_unref(s->join_timer);
    s->join_timer = NULL;
    lkc__engine_end(s->engine, LKC_FAILURE_TIMEOUT,
                   s->joined ? "joined, but the connection did not complete in time"
                             : "the server did not send the join in time",
                   true);
    return G_SOURCE_REMOVE;
}

/* --- the parts' ports ------------------------------------------------------------ */

static int send_signal(void *user, const Livekit__SignalRequest *req)
{
    lkc_session_t *s = user;
    return lkc_signal_send(s->signal, req);
}

static void on_transport_changed(void *user)
{
    lkc_session_t *s = user;
    if (s->shutting_down)
        return;
    if (s->reconnecting) {
        lkc__session_check_reconnected(s);
        return;
    }
    become_connected(s);
    if (s->connected)
        lkc__data_flush(s->data);
}

static gboolean on_verdict(gpointer data)
{
    lkc_session_t *s = data;
    g_source_unref(s->verdict_timer);
    s->verdict_timer = NULL;
    if (s->connected && !s->reconnecting)
        lkc__session_lost(s, s->pending_failure, s->pending_message, LKC_RECONNECT_RESUME);
    else if (!s->reconnecting)
        lkc__engine_end(s->engine, s->pending_failure, s->pending_message, true);
    return G_SOURCE_REMOVE;
}

/* A peer connection failed. When the server closes our connections on purpose (removed,
 * room deleted, duplicate identity) its LeaveRequest follows within moments and says
 * why, so wait briefly for it. When the signal itself has gone quiet, the server is
 * probably gone: let the ping timeout decide (the backstop below bounds the wait). A
 * fingerprint mismatch is our own verdict: no waiting. */
static void on_transport_failed(void *user, lkc_failure_t reason, const char *message)
{
    lkc_session_t *s = user;
    if (s->shutting_down)
        return;
    if (reason == LKC_FAILURE_DTLS) { /* our own verdict (a fingerprint that does not match) */
        lkc__engine_end(s->engine, reason, message, true);
        return;
    }
    if (s->reconnecting) {
        /* the attempt under way restarted ICE: if that fails too (the network is still
         * away), the next attempt asks again; before that, its bound decides */
        if (s->rc_resumed)
            lkc__session_attempt_failed(s, reason, message);
        return;
    }
    if (!lkc_signal_is_open(s->signal)) {
        if (s->connected)
            lkc__session_lost(s, reason, message, LKC_RECONNECT_RESUME);
        else
            lkc__engine_end(s->engine, reason, message, true);
        return;
    }
    if (s->verdict_timer)
        return;
    s->pending_failure = reason;
    g_strlcpy(s->pending_message, message, sizeof s->pending_message);
    int64_t silent = lkc_signal_silent_ms(s->signal);
    int wait_ms = silent > (int64_t)s->ping_interval_s * 1000 ? (s->ping_timeout_s + 1) * 1000 : VERDICT_WAIT_MS;
    LKC_LOGD(MOD, "transport failed (%s); waiting %d ms for the signal's verdict", message, wait_ms);
    s->verdict_timer = g_timeout_source_new((guint)wait_ms);
    g_source_set_callback(s->verdict_timer, on_verdict, s, NULL);
    g_source_attach(s->verdict_timer, lkc__engine_context(s->engine));
}

static void on_data_in(void *user, const uint8_t *buf, size_t len, lkc_data_kind_t kind)
{
    lkc_session_t *s = user;
    if (!s->shutting_down)
        lkc__data_receive(s->data, buf, len, kind);
}

static void on_sendable(void *user)
{
    lkc_session_t *s = user;
    if (!s->shutting_down)
        lkc__data_sendable(s->data);
}

static void on_acked(void *user)
{
    lkc_session_t *s = user;
    if (!s->shutting_down)
        lkc__data_acked_all(s->data);
}

static void on_rtp_in(void *user, const char *mid, uint8_t *pkt, size_t len)
{
    lkc_session_t *s = user;
    if (!s->shutting_down)
        lkc__remote_tracks_on_rtp(s->remote, mid, pkt, len);
}

static void on_rtcp_in(void *user, bool subscriber, uint8_t *pkt, size_t len)
{
    lkc_session_t *s = user;
    /* receiver reports about our audio: nothing to act on yet */
    if (!s->shutting_down && subscriber)
        lkc__remote_tracks_on_rtcp(s->remote, pkt, len);
}

static void on_remote_audio(void *user, lkc_peer_t *subscriber, const Livekit__SessionDescription *offer)
{
    lkc_session_t *s = user;
    if (!s->shutting_down)
        lkc__remote_tracks_on_offer(s->remote, subscriber, offer);
}

static lkc__transport_ports_t transport_ports(lkc_session_t *s)
{
    return (lkc__transport_ports_t){
        .send_signal = send_signal, .changed = on_transport_changed, .failed = on_transport_failed,
        .data_in = on_data_in, .sendable = on_sendable, .acked = on_acked, .rtp_in = on_rtp_in, .rtcp_in = on_rtcp_in,
        .remote_audio = on_remote_audio, .user = s,
    };
}

/* --- the application's commands -------------------------------------------------- */

static void on_command(void *session, lkc__cmd_t cmd, void *data)
{
    lkc_session_t *s = session;
    if (s->shutting_down)
        return; /* the command's free releases the data (and fails a publish it carried) */
    switch (cmd) {
    case LKC__CMD_PUBLISH_AUDIO: lkc__local_tracks_add(s->local, data); break;
    case LKC__CMD_UNPUBLISH_AUDIO: lkc__local_tracks_remove(s->local, data, publisher(s)); break;
    case LKC__CMD_MUTE: lkc__local_tracks_send_mute(s->local, data); break;
    case LKC__CMD_SEND_DATA: {
        /* take the packet out of the command so the command's free does not release it */
        lkc__outgoing_t *o = g_new0(lkc__outgoing_t, 1);
        *o = *(lkc__outgoing_t *)data;
        memset(data, 0, sizeof *o);
        lkc__data_send(s->data, o);
        break;
    }
    default: LKC_LOGW(MOD, "command %d is not a posted command", (int)cmd); break;
    }
}

static int on_call(void *session, lkc__cmd_t cmd, void *data)
{
    lkc_session_t *s = session;
    if (s->shutting_down)
        return LKC_ERR_CLOSED;
    switch (cmd) {
    case LKC__CMD_ADD_STREAM: {
        lkc__stream_cmd_t *c = data;
        if (!s->connected)
            return LKC_ERR_STATE;
        int rc = lkc__remote_tracks_add_stream(s->remote, c->stream);
        if (rc == LKC_OK)
            c->stream = NULL; /* the call's reference is the engine's now */
        return rc;
    }
    case LKC__CMD_SET_SUBSCRIBED: {
        lkc__subscription_cmd_t *c = data;
        return s->connected ? lkc__remote_tracks_set_subscribed(s->remote, c->track_sid, c->subscribe)
                            : LKC_ERR_STATE;
    }
    case LKC__CMD_SIMULATE: {
        Livekit__SimulateScenario sc = LIVEKIT__SIMULATE_SCENARIO__INIT;
        switch (*(int *)data) {
        case 1: sc.scenario_case = LIVEKIT__SIMULATE_SCENARIO__SCENARIO_NODE_FAILURE; sc.node_failure = true; break;
        case 2: sc.scenario_case = LIVEKIT__SIMULATE_SCENARIO__SCENARIO_MIGRATION; sc.migration = true; break;
        case 3: sc.scenario_case = LIVEKIT__SIMULATE_SCENARIO__SCENARIO_SERVER_LEAVE; sc.server_leave = true; break;
        case 4:
            sc.scenario_case = LIVEKIT__SIMULATE_SCENARIO__SCENARIO_SWITCH_CANDIDATE_PROTOCOL;
            sc.switch_candidate_protocol = LIVEKIT__CANDIDATE_PROTOCOL__UDP;
            break;
        default: return LKC_ERR_INVALID_ARG;
        }
        Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
        req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_SIMULATE;
        req.simulate = &sc;
        return lkc_signal_send(s->signal, &req);
    }
    case LKC__CMD_RPC_SYNC: return lkc__rpc_call_command(s->rpc, data);
    case LKC__CMD_PARTICIPANT:
        return s->connected ? lkc__participant_update_call(s->pupdate, data) : LKC_ERR_STATE;
    case LKC__CMD_PC_STATS: {
        lkc__stats_cmd_t *c = data;
        return s->transport ? lkc__transport_stats(s->transport, c->which, &c->stats) : LKC_ERR_STATE;
    }
    default: return LKC_ERR_INVALID_ARG;
    }
}

/* --- the session's life ---------------------------------------------------------- */

int lkc__session_open_signal(lkc_session_t *s, bool resume, int reconnect_reason)
{
    lkc_room_t *room = s->room;
    const lkc_participant_info_t *me = resume ? lkc__model_local(s->model) : NULL;
    lkc_signal_config_t cfg = {
        .ctx = lkc__engine_context(s->engine),
        .url = s->url,
        .token = s->refresh_token ? s->refresh_token : s->token,
        .params = {.protocol = LKC_PROTOCOL_VERSION, .auto_subscribe = room->opts.auto_subscribe,
                   .reconnect = resume, .sid = resume && me ? me->sid : NULL,
                   .reconnect_reason = reconnect_reason, .client_protocol = LKC_CLIENT_PROTOCOL,
                   .capabilities = LKC_CAPABILITIES},
        .ca_file = room->ca_file,
        /* a reconnect attempt gives up sooner: the next one follows (SYN retries back off) */
        .connect_timeout_ms = s->reconnecting ? MIN(room->opts.connect_timeout_ms, RECONNECT_CONNECT_MS)
                                              : room->opts.connect_timeout_ms,
        .cb = {.on_open = on_signal_open, .on_response = on_signal_response, .on_closed = on_signal_closed},
        .user = s,
    };
    lkc_signal_free(s->signal);
    s->signal = NULL;
    return lkc_signal_new(&cfg, &s->signal);
}

static void *session_create(lkc_engine_t *e, const char *url, const char *token)
{
    lkc_room_t *room = lkc__engine_room(e);
    lkc_session_t *s = g_new0(lkc_session_t, 1);
    s->engine = e;
    s->room = room;
    s->url = g_strdup(url);
    s->token = g_strdup(token);
    if (lkc__session_open_signal(s, false, 0) != LKC_OK) {
        g_free(s->url);
        memset(s->token, 0, strlen(s->token));
        g_free(s->token);
        g_free(s);
        return NULL;
    }
    s->model = lkc__model_new(room);
    lkc__session_make_data_parts(s, lkc__engine_context(e));
    s->pupdate = lkc__participant_update_new(
        room, &(lkc__participant_update_ports_t){.send_signal = send_signal, .user = s});
    s->media = lkc__media_new(lkc__engine_context(e));
    lkc_media_clock_t *clock = lkc__media_clock(s->media);
    s->local = lkc__local_tracks_new(clock, &(lkc__local_tracks_ports_t){.send_signal = send_signal, .user = s});
    s->remote = lkc__remote_tracks_new(room, s->model, clock,
                                       &(lkc__remote_tracks_ports_t){.send_signal = send_signal, .user = s});
    lkc__media_attach(s->media, s->local, s->remote);
    return s;
}

static void session_start(void *session)
{
    lkc_session_t *s = session;
    int ms = s->room->opts.connect_timeout_ms > 0 ? s->room->opts.connect_timeout_ms : 10000;
    s->join_timer = g_timeout_source_new((guint)ms);
    g_source_set_callback(s->join_timer, on_join_timeout, s, NULL);
    g_source_attach(s->join_timer, lkc__engine_context(s->engine));
    int rc = lkc_signal_connect(s->signal);
    if (rc != LKC_OK)
        lkc__engine_end(s->engine, LKC_FAILURE_INTERNAL, "cannot start the signal connection", false);
}

static void session_shutdown(void *session, bool leave)
{
    lkc_session_t *s = session;
    if (s->shutting_down)
        return;
    s->shutting_down = true;
    lkc_source_clear(&s->rc_timer);
    lkc_source_clear(&s->join_timer);
    lkc_source_clear(&s->verdict_timer);
    if (!lkc_signal_is_open(s->signal)) {
        lkc__engine_shutdown_done(s->engine);
        return;
    }
    if (leave) {
        Livekit__LeaveRequest l = LIVEKIT__LEAVE_REQUEST__INIT;
        l.reason = LIVEKIT__DISCONNECT_REASON__CLIENT_INITIATED;
        l.action = LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT;
        Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
        req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_LEAVE;
        req.leave = &l;
        lkc_signal_send(s->signal, &req);
    }
    /* The server answers our leave with its own and a close; close from our side too
     * so the wait is bounded even if it does not. */
    lkc_signal_close(s->signal, LEAVE_CLOSE_BOUND_MS);
}

static void session_free(void *session)
{
    lkc_session_t *s = session;
    if (!s)
        return;
    lkc_source_clear(&s->join_timer);
    lkc_source_clear(&s->verdict_timer);
    lkc_source_clear(&s->rc_timer);
    uint64_t first = 0, count = 0;
    lkc__data_undelivered(s->data, &first, &count);
    pthread_mutex_lock(&s->room->lock);
    s->room->undelivered_first = first;
    s->room->undelivered_count = count;
    pthread_mutex_unlock(&s->room->lock);
    if (count)
        LKC_LOGW(MOD, "%llu reliable packet(s) from #%llu are not known to be delivered",
                 (unsigned long long)count, (unsigned long long)first);
    lkc__streams_free(s->streams); /* ends every incoming stream (R7) */
    lkc__rpc_free(s->rpc);         /* completes every call in flight */
    lkc__participant_update_free(s->pupdate);
    lkc__transcripts_free(s->transcripts);
    lkc__media_attach(s->media, NULL, NULL);
    lkc__local_tracks_free(s->local);   /* fails waiting publishes; no more pokes of the clock */
    lkc__remote_tracks_free(s->remote); /* ends every stream (R7) before the connections go */
    lkc__media_free(s->media);
    lkc__transport_free(s->transport);
    lkc__data_free(s->data);
    lkc_signal_free(s->signal);
    lkc__model_free(s->model);
    g_free(s->refresh_token);
    g_free(s->url);
    memset(s->token, 0, strlen(s->token));
    g_free(s->token);
    g_free(s);
}

const lkc__engine_client_t lkc__session_client = {
    .create = session_create,
    .start = session_start,
    .shutdown = session_shutdown,
    .command = on_command,
    .call = on_call,
    .free = session_free,
};
