/* The LiveKit session on the engine thread: signal connection, join, the room model
 * and the server's leave. */
#include "room/session.h"

#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "room/data.h"
#include "room/media.h"
#include "room/model.h"
#include "room/transport.h"
#include "signal/signal.h"

#define MOD "room"
#define LKC_PROTOCOL_VERSION 15 /* see docs/architecture.md, "Protocol choices" */
#define LEAVE_CLOSE_BOUND_MS 700

struct lkc_session {
    lkc_engine_t *engine;
    lkc_room_t *room;
    lkc_signal_t *signal;
    lkc_model_t *model;
    lkc_transport_t *transport;
    lkc_data_t *data;
    lkc_media_t *media;
    GSource *join_timer;
    GSource *verdict_timer;       /* a transport failure waiting for the signal's word */
    lkc_failure_t pending_failure;
    char pending_message[256];
    bool joined;
    bool connected;
    bool shutting_down;
    int ping_interval_s;
    int ping_timeout_s;
    char *refresh_token;
};

static void stop_source(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

/* --- the server's leave -------------------------------------------------------- */

static lkc_failure_t failure_from_leave(const Livekit__LeaveRequest *l)
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
    lkc_engine_end(s->engine, failure_from_leave(l), msg, false);
}

/* --- becoming connected --------------------------------------------------------- */

static void become_connected(lkc_session_t *s)
{
    if (s->connected || !lkc_transport_ready(s->transport))
        return;
    s->connected = true;
    stop_source(&s->join_timer);
    lkc_room_t *room = s->room;
    LKC_MARK(room, connected_ms, lkc_engine_elapsed_ms(s->engine));
    atomic_store(&room->max_data_payload, lkc_transport_max_message(s->transport));
    lkc_room_set_state(room, LKC_STATE_CONNECTED, LKC_FAILURE_NONE, NULL);
    LKC_EMIT(room, on_connected, room->info, room->local);
    lkc_model_announce(s->model);
    lkc_media_on_model_changed(s->media); /* subscriptions made while connecting */
}

static void handle_join(lkc_session_t *s, const Livekit__JoinResponse *j)
{
    if (s->joined) {
        LKC_LOGW(MOD, "ignoring a second JoinResponse");
        return;
    }
    s->joined = true;
    LKC_MARK(s->room, join_received_ms, lkc_engine_elapsed_ms(s->engine));
    lkc_model_join(s->model, j);
    LKC_LOGI(MOD, "joined room \"%s\" (%s) as %s (%s), %zu other participant(s), server %s",
             s->room->info->name, s->room->info->sid, s->room->local ? s->room->local->identity : "?",
             s->room->local ? s->room->local->sid : "?", j->n_other_participants,
             j->server_info && j->server_info->version ? j->server_info->version : "?");
    s->ping_interval_s = j->ping_interval > 0 ? j->ping_interval : 5;
    s->ping_timeout_s = j->ping_timeout > 0 ? j->ping_timeout : 15;
    lkc_signal_start_ping(s->signal, s->ping_interval_s, s->ping_timeout_s);
    s->transport = lkc_transport_new(s, j);
    if (!s->transport) {
        lkc_engine_end(s->engine, LKC_FAILURE_INTERNAL, "cannot create the peer connections", true);
        return;
    }
    become_connected(s);
}

static void on_signal_open(void *user)
{
    lkc_session_t *s = user;
    LKC_MARK(s->room, signal_open_ms, lkc_engine_elapsed_ms(s->engine));
}

static void on_signal_response(void *user, const Livekit__SignalResponse *r)
{
    lkc_session_t *s = user;
    if (s->shutting_down && r->message_case != LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE)
        return;
    switch (r->message_case) {
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_JOIN:
        handle_join(s, r->join);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_OFFER:
        if (s->transport && r->offer)
            lkc_transport_on_offer(s->transport, r->offer);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ANSWER:
        if (s->transport && r->answer)
            lkc_transport_on_answer(s->transport, r->answer);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRICKLE:
        if (s->transport && r->trickle)
            lkc_transport_on_trickle(s->transport, r->trickle);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE:
        if (r->request_response && r->request_response->reason != LIVEKIT__REQUEST_RESPONSE__REASON__OK) {
            LKC_LOGW(MOD, "the server refused a request (reason %d): %s", (int)r->request_response->reason,
                     r->request_response->message ? r->request_response->message : "");
            lkc_media_on_request_response(s->media, r->request_response);
        }
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE:
        if (s->joined) {
            lkc_model_update(s->model, r->update->participants, r->update->n_participants);
            lkc_media_on_model_changed(s->media);
        }
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_PUBLISHED:
        if (r->track_published)
            lkc_media_on_track_published(s->media, r->track_published);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_UNPUBLISHED:
        if (r->track_unpublished)
            lkc_media_on_track_unpublished(s->media, r->track_unpublished->track_sid);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ROOM_UPDATE:
        if (s->joined && r->room_update->room)
            lkc_model_room_update(s->model, r->room_update->room);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE:
        if (s->shutting_down) {
            lkc_signal_close(s->signal, LEAVE_CLOSE_BOUND_MS);
            break;
        }
        handle_leave(s, r->leave);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REFRESH_TOKEN:
        g_free(s->refresh_token);
        s->refresh_token = g_strdup(r->refresh_token);
        break;
    case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_SPEAKERS_CHANGED: {
        const Livekit__SpeakersChanged *sc = r->speakers_changed;
        lkc_speaker_t *sp = g_new0(lkc_speaker_t, sc->n_speakers ? sc->n_speakers : 1);
        for (size_t i = 0; i < sc->n_speakers; i++) {
            sp[i].sid = sc->speakers[i]->sid ? sc->speakers[i]->sid : "";
            sp[i].level = sc->speakers[i]->level;
            sp[i].active = sc->speakers[i]->active;
        }
        if (s->connected)
            LKC_EMIT(s->room, on_speakers_changed, sp, sc->n_speakers);
        g_free(sp);
        break;
    }
    default:
        LKC_LOGD(MOD, "unhandled signal message %d", (int)r->message_case);
        break;
    }
}

static void on_signal_closed(void *user, lkc_failure_t reason, const char *message)
{
    lkc_session_t *s = user;
    if (s->shutting_down) {
        lkc_engine_shutdown_done(s->engine);
        return;
    }
    lkc_engine_end(s->engine, reason, message, false);
}

static gboolean on_join_timeout(gpointer data)
{
    lkc_session_t *s = data;
    g_source_unref(s->join_timer);
    s->join_timer = NULL;
    lkc_engine_end(s->engine, LKC_FAILURE_TIMEOUT,
                   s->joined ? "joined, but the connection did not complete in time"
                             : "the server did not send the join in time",
                   true);
    return G_SOURCE_REMOVE;
}

/* --- the session's life ---------------------------------------------------------- */

int lkc_session_new(lkc_engine_t *e, const char *url, const char *token, lkc_session_t **out)
{
    lkc_room_t *room = lkc_engine_room(e);
    lkc_session_t *s = g_new0(lkc_session_t, 1);
    s->engine = e;
    s->room = room;
    lkc_signal_config_t cfg = {
        .ctx = lkc_engine_context(e),
        .url = url,
        .token = token,
        .params = {.protocol = LKC_PROTOCOL_VERSION, .auto_subscribe = room->opts.auto_subscribe},
        .ca_file = room->ca_file,
        .connect_timeout_ms = room->opts.connect_timeout_ms,
        .cb = {.on_open = on_signal_open, .on_response = on_signal_response, .on_closed = on_signal_closed},
        .user = s,
    };
    int rc = lkc_signal_new(&cfg, &s->signal);
    if (rc != LKC_OK) {
        g_free(s);
        return rc;
    }
    s->model = lkc_model_new(room);
    s->data = lkc_data_new(s);
    s->media = lkc_media_new(s);
    *out = s;
    return LKC_OK;
}

void lkc_session_start(lkc_session_t *s)
{
    int ms = s->room->opts.connect_timeout_ms > 0 ? s->room->opts.connect_timeout_ms : 10000;
    s->join_timer = g_timeout_source_new((guint)ms);
    g_source_set_callback(s->join_timer, on_join_timeout, s, NULL);
    g_source_attach(s->join_timer, lkc_engine_context(s->engine));
    int rc = lkc_signal_connect(s->signal);
    if (rc != LKC_OK)
        lkc_engine_end(s->engine, LKC_FAILURE_INTERNAL, "cannot start the signal connection", false);
}

void lkc_session_shutdown(lkc_session_t *s, bool leave)
{
    if (s->shutting_down)
        return;
    s->shutting_down = true;
    stop_source(&s->join_timer);
    stop_source(&s->verdict_timer);
    if (!lkc_signal_is_open(s->signal)) {
        lkc_engine_shutdown_done(s->engine);
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

void lkc_session_free(lkc_session_t *s)
{
    if (!s)
        return;
    stop_source(&s->join_timer);
    stop_source(&s->verdict_timer);
    lkc_media_free(s->media); /* ends every stream (R7) before the connections go */
    lkc_transport_free(s->transport);
    lkc_data_free(s->data);
    lkc_signal_free(s->signal);
    lkc_model_free(s->model);
    g_free(s->refresh_token);
    g_free(s);
}

/* --- what the session's parts need ------------------------------------------------ */

lkc_room_t *lkc_session_room(lkc_session_t *s)
{
    return s->room;
}

GMainContext *lkc_session_context(lkc_session_t *s)
{
    return lkc_engine_context(s->engine);
}

int64_t lkc_session_elapsed_ms(lkc_session_t *s)
{
    return lkc_engine_elapsed_ms(s->engine);
}

struct lkc_data *lkc_session_data(lkc_session_t *s)
{
    return s->shutting_down ? NULL : s->data;
}

int lkc_session_send(lkc_session_t *s, const Livekit__SignalRequest *req)
{
    return lkc_signal_send(s->signal, req);
}

int lkc_session_send_data(lkc_session_t *s, lkc_data_kind_t kind, const uint8_t *buf, size_t len)
{
    return s->transport ? lkc_transport_send_data(s->transport, kind, buf, len) : LKC_ERR_STATE;
}

void lkc_session_transport_changed(lkc_session_t *s)
{
    if (s->shutting_down)
        return;
    become_connected(s);
    if (s->connected)
        lkc_data_flush(s->data);
}

static gboolean on_verdict(gpointer data)
{
    lkc_session_t *s = data;
    g_source_unref(s->verdict_timer);
    s->verdict_timer = NULL;
    lkc_engine_end(s->engine, s->pending_failure, s->pending_message, true);
    return G_SOURCE_REMOVE;
}

/* A peer connection failed. When the server closes our connections on purpose (removed,
 * room deleted, duplicate identity) its LeaveRequest follows within moments and says
 * why, so wait briefly for it. When the signal itself has gone quiet, the server is
 * probably gone: let the ping timeout decide (the backstop below bounds the wait). A
 * fingerprint mismatch is our own verdict: no waiting. */
void lkc_session_transport_failed(lkc_session_t *s, lkc_failure_t reason, const char *message)
{
    if (reason == LKC_FAILURE_DTLS || !lkc_signal_is_open(s->signal)) {
        lkc_engine_end(s->engine, reason, message, true);
        return;
    }
    if (s->verdict_timer)
        return;
    s->pending_failure = reason;
    g_strlcpy(s->pending_message, message, sizeof s->pending_message);
    int64_t silent = lkc_signal_silent_ms(s->signal);
    int wait_ms = silent > (int64_t)s->ping_interval_s * 1000 ? (s->ping_timeout_s + 1) * 1000 : 1000;
    LKC_LOGD(MOD, "transport failed (%s); waiting %d ms for the signal's verdict", message, wait_ms);
    s->verdict_timer = g_timeout_source_new((guint)wait_ms);
    g_source_set_callback(s->verdict_timer, on_verdict, s, NULL);
    g_source_attach(s->verdict_timer, lkc_engine_context(s->engine));
}

void lkc_session_data_in(lkc_session_t *s, const uint8_t *buf, size_t len, lkc_data_kind_t kind)
{
    if (!s->shutting_down)
        lkc_data_receive(s->data, buf, len, kind);
}

void lkc_session_rtp_in(lkc_session_t *s, const char *mid, uint8_t *pkt, size_t len)
{
    if (!s->shutting_down)
        lkc_media_on_rtp(s->media, mid, pkt, len);
}

void lkc_session_rtcp_in(lkc_session_t *s, bool subscriber, uint8_t *pkt, size_t len)
{
    if (!s->shutting_down)
        lkc_media_on_rtcp(s->media, subscriber, pkt, len);
}

void lkc_session_subscriber_offer(lkc_session_t *s, const Livekit__SessionDescription *sd)
{
    if (!s->shutting_down)
        lkc_media_on_subscriber_offer(s->media, sd);
}

struct lkc_media *lkc_session_media(lkc_session_t *s)
{
    return s->shutting_down ? NULL : s->media;
}

struct lkc_model *lkc_session_model(lkc_session_t *s)
{
    return s->model;
}

struct lkc_transport *lkc_session_transport(lkc_session_t *s)
{
    return s->transport;
}

/* --- stats through the public API ------------------------------------------------ */

typedef struct {
    lkc_pc_target_t which;
    lkc_pc_stats_t stats;
} stats_call_t;

static int stats_on_engine(lkc_engine_t *e, void *data)
{
    stats_call_t *c = data;
    lkc_session_t *s = lkc_engine_session(e);
    return s ? lkc_transport_stats(s->transport, c->which, &c->stats) : LKC_ERR_STATE;
}

static void stats_take(void *data, void *out)
{
    *(lkc_pc_stats_t *)out = ((stats_call_t *)data)->stats;
}

lkc_err_t lkc_room_get_pc_stats(lkc_room_t *room, lkc_pc_target_t which, lkc_pc_stats_t *out)
{
    if (!room || !out || (which != LKC_PC_PUBLISHER && which != LKC_PC_SUBSCRIBER))
        return LKC_ERR_INVALID_ARG;
    stats_call_t *c = g_new0(stats_call_t, 1);
    c->which = which;
    return lkc_room_call(room, stats_on_engine, c, g_free, stats_take, out, 2000);
}
