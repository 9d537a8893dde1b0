/* Getting a lost connection back (see docs/architecture.md, "Reconnection"):
 *   lost -> RECONNECTING: resume first (the same participant: signal reopened with
 *   reconnect=1, the server's ReconnectResponse, SyncState, the server's ICE-restart offer
 *   answered, our publisher restarted if its connection failed), a full reconnect when the
 *   resume cannot work (a new join with the same identity, tracks published again, streams
 *   carried over); attempts paced by the policy (reconnect_policy.c); reconnected when the
 *   signal, both connections and the data channels are really up; the reliable data the
 *   server does not have goes again. A refused token or a leave that says disconnect ends
 *   the session at once; so does the last attempt failing (MAX_RETRIES). */
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/source.h"
#include "base/rand.h"
#include "room/events.h"
#include "room/reconnect_policy.h"
#include "room/session_internal.h"

#define MOD "room"
#define ATTEMPT_BOUND_MS 8000 /* one attempt: signal, answer, connections */
#define SYNC_MAX 64            /* tracks and senders listed in a SyncState */

/* LiveKit's ReconnectReason (livekit_models.proto) */
enum { RR_UNKNOWN = 0, RR_SIGNAL_DISCONNECTED = 1, RR_PUBLISHER_FAILED = 2, RR_SUBSCRIBER_FAILED = 3 };

static void schedule_next(lkc_session_t *s);
static void retry_now(lkc_session_t *s);

static bool fatal(lkc_failure_t cause)
{
    return cause == LKC_FAILURE_UNAUTHORIZED || cause == LKC_FAILURE_BAD_TOKEN || cause == LKC_FAILURE_DTLS ||
           cause == LKC_FAILURE_TLS;
}

static void remember(lkc_session_t *s, lkc_failure_t cause, const char *message)
{
    s->rc_cause = cause;
    g_strlcpy(s->rc_message, message ? message : "", sizeof s->rc_message);
}

static void escalate(lkc_session_t *s)
{
    if (s->rc_kind == LKC_RECONNECT_FULL)
        return;
    s->rc_kind = LKC_RECONNECT_FULL; /* sticky until a full reconnect succeeds */
    LKC_LOGI(MOD, "the resume did not work; reconnecting fully");
    lkc__events_reconnecting(s->room, LKC_RECONNECT_FULL, s->rc_cause);
}

void lkc__session_lost(lkc_session_t *s, lkc_failure_t cause, const char *message, lkc_reconnect_kind_t kind)
{
    if (s->shutting_down)
        return;
    if (fatal(cause) || s->room->opts.reconnect_attempts == 0) {
        lkc__engine_end(s->engine, cause, message, false);
        return;
    }
    remember(s, cause, message);
    if (s->reconnecting) {
        if (kind == LKC_RECONNECT_FULL)
            escalate(s);
        if (kind == LKC_RECONNECT_FULL && s->rc_attempt > 0) {
            /* the server said so (it answers, and does not know us): go at once */
            lkc_source_clear(&s->rc_timer);
            lkc_signal_free(s->signal);
            s->signal = NULL;
            retry_now(s);
        }
        return;
    }
    s->reconnecting = true;
    s->rc_kind = kind;
    s->rc_attempt = 0;
    s->rc_started_ms = lkc_mono_ms();
    lkc_source_clear(&s->verdict_timer);
    LKC_LOGW(MOD, "connection lost (%s%s%s); reconnecting (%s)", lkc_failure_str(cause), *s->rc_message ? ": " : "",
             s->rc_message, lkc_reconnect_kind_str(kind));
    lkc__events_reconnecting(s->room, kind, cause);
    schedule_next(s);
}

static gboolean on_attempt_bound(gpointer data)
{
    lkc_session_t *s = data;
    g_source_unref(s->rc_timer);
    s->rc_timer = NULL;
    lkc__session_attempt_failed(s, LKC_FAILURE_TIMEOUT, "the attempt did not complete in time");
    return G_SOURCE_REMOVE;
}

static void arm(lkc_session_t *s, int ms, GSourceFunc fn)
{
    lkc_source_clear(&s->rc_timer);
    s->rc_timer = g_timeout_source_new((guint)ms);
    g_source_set_callback(s->rc_timer, fn, s, NULL);
    g_source_attach(s->rc_timer, lkc__engine_context(s->engine));
}

static int reason_of(lkc_failure_t cause)
{
    switch (cause) {
    case LKC_FAILURE_PING_TIMEOUT:
    case LKC_FAILURE_SIGNAL_CLOSED:
    case LKC_FAILURE_UNREACHABLE: return RR_SIGNAL_DISCONNECTED;
    case LKC_FAILURE_MEDIA: return RR_SUBSCRIBER_FAILED;
    default: return RR_UNKNOWN;
    }
}

static void attempt(lkc_session_t *s)
{
    lkc_source_clear(&s->rc_timer);
    bool resume = s->rc_kind == LKC_RECONNECT_RESUME;
    LKC_LOGI(MOD, "reconnect attempt %d (%s)", s->rc_attempt, lkc_reconnect_kind_str(s->rc_kind));
    s->rc_resumed = false;
    s->rc_restart_offer = false;
    if (!resume) {
        /* a new session on the server: the old connections go; tracks, streams and data wait */
        lkc__media_set_peers(s->media, NULL, NULL);
        lkc__remote_tracks_reset(s->remote);
        lkc__transport_free(s->transport);
        s->transport = NULL;
        s->joined = false;
    }
    int rc = lkc__session_open_signal(s, resume, reason_of(s->rc_cause));
    if (rc == LKC_OK)
        rc = lkc_signal_connect(s->signal);
    if (rc != LKC_OK) {
        lkc_signal_free(s->signal);
        s->signal = NULL;
        remember(s, LKC_FAILURE_INTERNAL, "cannot open the signal connection");
        schedule_next(s);
        return;
    }
    arm(s, ATTEMPT_BOUND_MS, on_attempt_bound);
}

static gboolean on_backoff(gpointer data)
{
    lkc_session_t *s = data;
    g_source_unref(s->rc_timer);
    s->rc_timer = NULL;
    attempt(s);
    return G_SOURCE_REMOVE;
}

static void schedule_next(lkc_session_t *s)
{
    const lkc_room_options_t *o = &s->room->opts;
    lkc__reconnect_policy_t p = {o->reconnect_attempts, o->reconnect_delay_ms, o->reconnect_max_delay_ms};
    int n = ++s->rc_attempt;
    int delay = lkc__reconnect_delay_ms(&p, n, lkc_random_u32());
    if (delay < 0) {
        char msg[400];
        g_snprintf(msg, sizeof msg, "gave up after %d reconnect attempts; last: %s%s%s", o->reconnect_attempts,
                   lkc_failure_str(s->rc_cause), *s->rc_message ? ": " : "", s->rc_message);
        lkc__engine_end(s->engine, LKC_FAILURE_MAX_RETRIES, msg, false);
        return;
    }
    if (delay == 0)
        attempt(s);
    else
        arm(s, delay, on_backoff);
}

/* The next attempt without waiting (it still counts against the limit). */
static void retry_now(lkc_session_t *s)
{
    if (++s->rc_attempt > s->room->opts.reconnect_attempts) {
        s->rc_attempt--;
        schedule_next(s); /* gives up with the message */
        return;
    }
    attempt(s);
}

void lkc__session_attempt_failed(lkc_session_t *s, lkc_failure_t cause, const char *message)
{
    if (s->shutting_down || !s->reconnecting || !s->signal)
        return; /* not in an attempt (between two, its failure was counted already) */
    LKC_LOGI(MOD, "reconnect attempt %d failed: %s%s%s", s->rc_attempt, lkc_failure_str(cause),
             message && *message ? ": " : "", message ? message : "");
    if (fatal(cause)) {
        lkc__engine_end(s->engine, cause, message, false);
        return;
    }
    remember(s, cause, message);
    lkc_signal_free(s->signal); /* no more callbacks from it */
    s->signal = NULL;
    /* A server that cannot be reached may still keep our session (it does while our media
     * flows): the next attempt resumes again. A server that answers but refuses the
     * resume does not know us any more: only a full reconnect helps. (Its usual word for
     * that, a leave with action RECONNECT, escalates in lkc__session_lost.) */
    if (s->rc_kind == LKC_RECONNECT_RESUME &&
        (cause == LKC_FAILURE_REJECTED || cause == LKC_FAILURE_SERVER_ERROR))
        escalate(s);
    schedule_next(s);
}

/* SyncState: what we publish, our data channels and subscription mode, the last sequence
 * seen per sender and the last subscriber offer/answer, so the server can check our view
 * against its own (and move us to another node, on LiveKit Cloud). */
static void send_sync_state(lkc_session_t *s)
{
    Livekit__SyncState ss = LIVEKIT__SYNC_STATE__INIT;
    Livekit__DataChannelInfo dc[2] = {LIVEKIT__DATA_CHANNEL_INFO__INIT, LIVEKIT__DATA_CHANNEL_INFO__INIT};
    Livekit__DataChannelInfo *dcs[2] = {&dc[0], &dc[1]};
    dc[0].label = LKC_CHANNEL_RELIABLE;
    dc[0].id = 0;
    dc[0].target = LIVEKIT__SIGNAL_TARGET__PUBLISHER;
    dc[1].label = LKC_CHANNEL_LOSSY;
    dc[1].id = 1;
    dc[1].target = LIVEKIT__SIGNAL_TARGET__PUBLISHER;
    ss.data_channels = dcs;
    ss.n_data_channels = 2;
    /* what we publish: the server checks every sid it lists */
    Livekit__TrackPublishedResponse pubs[SYNC_MAX];
    Livekit__TrackInfo infos[SYNC_MAX];
    Livekit__TrackPublishedResponse *pubp[SYNC_MAX];
    ss.n_publish_tracks = lkc__local_tracks_published(s->local, pubs, infos, SYNC_MAX);
    for (size_t i = 0; i < ss.n_publish_tracks; i++)
        pubp[i] = &pubs[i];
    ss.publish_tracks = pubp;
    /* the last sequence we saw from each sender */
    Livekit__DataChannelReceiveState rs[SYNC_MAX];
    Livekit__DataChannelReceiveState *rsp[SYNC_MAX];
    ss.n_datachannel_receive_states = lkc__data_receive_states(s->data, rs, SYNC_MAX);
    for (size_t i = 0; i < ss.n_datachannel_receive_states; i++)
        rsp[i] = &rs[i];
    ss.datachannel_receive_states = rsp;
    /* the last subscriber offer and our answer */
    Livekit__SessionDescription offer = LIVEKIT__SESSION_DESCRIPTION__INIT, answer = LIVEKIT__SESSION_DESCRIPTION__INIT;
    const char *offer_sdp, *answer_sdp;
    uint32_t id;
    if (lkc__transport_last_subscriber_sdp(s->transport, &offer_sdp, &answer_sdp, &id)) {
        offer.type = "offer";
        offer.sdp = (char *)offer_sdp;
        offer.id = id;
        answer.type = "answer";
        answer.sdp = (char *)answer_sdp;
        answer.id = id;
        ss.offer = &offer;
        ss.answer = &answer;
    }
    Livekit__UpdateSubscription sub = LIVEKIT__UPDATE_SUBSCRIPTION__INIT;
    sub.subscribe = !s->room->opts.auto_subscribe;
    ss.subscription = &sub;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_SYNC_STATE;
    req.sync_state = &ss;
    lkc_signal_send(s->signal, &req);
}

void lkc__session_on_reconnect_response(lkc_session_t *s, const Livekit__ReconnectResponse *r)
{
    if (s->rc_resumed)
        return;
    s->rc_resumed = true;
    LKC_LOGI(MOD, "the server resumed our session (it has our data up to #%u)", r->last_message_seq);
    lkc_signal_start_ping(s->signal, s->ping_interval_s, s->ping_timeout_s);
    lkc__data_resume(s->data, r->last_message_seq);
    send_sync_state(s);
    lkc_peer_t *pub = s->transport ? lkc__transport_publisher(s->transport) : NULL;
    lkc_peer_state_t ps = pub ? lkc_peer_state(pub) : LKC_PEER_CLOSED;
    if (ps == LKC_PEER_FAILED || ps == LKC_PEER_DISCONNECTED) {
        /* our publisher's path is gone: we offer it an ICE restart (the server restarts
         * the subscriber side itself) */
        LKC_LOGI(MOD, "the publisher connection is %s: restarting its ICE", lkc_peer_state_str(ps));
        if (lkc__transport_restart_publisher(s->transport) != LKC_OK) {
            lkc__session_lost(s, LKC_FAILURE_MEDIA, "cannot restart the publisher's ICE", LKC_RECONNECT_FULL);
            return;
        }
    } else if (ps == LKC_PEER_CLOSED) {
        lkc__session_lost(s, LKC_FAILURE_MEDIA, "the publisher connection is closed", LKC_RECONNECT_FULL);
        return;
    }
    lkc__session_check_reconnected(s);
}

void lkc__session_on_rejoin(lkc_session_t *s, const Livekit__JoinResponse *j)
{
    s->joined = true;
    lkc__model_rejoin(s->model, j);
    LKC_LOGI(MOD, "rejoined room \"%s\" as %s (%s)", s->room->info ? s->room->info->name : "?",
             s->room->local ? s->room->local->identity : "?", s->room->local ? s->room->local->sid : "?");
    if (!lkc__session_make_transport(s, j)) {
        lkc__engine_end(s->engine, LKC_FAILURE_INTERNAL, "cannot create the peer connections", true);
        return;
    }
    lkc__data_restart(s->data);
    lkc__rpc_on_restart(s->rpc);
    lkc__streams_on_restart(s->streams);
    lkc__local_tracks_republish(s->local);
    lkc__remote_tracks_on_model_changed(s->remote);
    lkc__session_check_reconnected(s);
}

void lkc__session_check_reconnected(lkc_session_t *s)
{
    if (!s->reconnecting || s->shutting_down || !s->signal || !lkc_signal_is_open(s->signal))
        return;
    if (s->rc_kind == LKC_RECONNECT_RESUME && !(s->rc_resumed && s->rc_restart_offer))
        return;
    if (s->rc_kind == LKC_RECONNECT_FULL && !s->joined)
        return;
    if (!lkc__transport_ready(s->transport))
        return;
    lkc_source_clear(&s->rc_timer);
    s->reconnecting = false;
    int64_t ms = lkc_mono_ms() - s->rc_started_ms;
    atomic_store(&s->room->max_data_payload, lkc__transport_max_message(s->transport));
    LKC_LOGI(MOD, "reconnected (%s) after %lld ms, %d attempt(s)", lkc_reconnect_kind_str(s->rc_kind),
             (long long)ms, s->rc_attempt);
    lkc__events_reconnected(s->room, s->rc_kind, ms);
    lkc__remote_tracks_on_model_changed(s->remote);
    lkc__data_flush(s->data);
}
