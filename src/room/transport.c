#include "room/transport.h"

#include <string.h>

#include "base/log.h"
#include "rtc/candidate.h"

#define MOD "room.transport"

typedef struct pc {
    lkc_transport_t *t;
    lkc_peer_t *peer;
    Livekit__SignalTarget target;
    const char *name;
    bool connected;
    char first_mid[16];   /* sdpMid of our trickled candidates (everything is bundled) */
} pc_t;

struct lkc_transport {
    lkc__transport_config_t cfg;
    lkc__transport_ports_t *ports; /* &cfg.ports */
    lkc_room_t *room;
    pc_t pub;
    pc_t sub;
    uint32_t offer_id;
    char *last_offer;          /* the server's last subscriber offer and our answer (SyncState) */
    char *last_answer;
    uint32_t last_offer_id;
    /* ICE servers from the join, owned here (the peers copy what they need) */
    lkc_ice_server_t *servers;
    size_t n_servers;
    char ***urls;
};

/* --- signalling ------------------------------------------------------------------- */

static void send_sdp(lkc_transport_t *t, bool offer, const char *sdp, uint32_t id)
{
    LKC_LOGT(MOD, "our %s (id %u):\n%s", offer ? "offer" : "answer", id, sdp);
    Livekit__SessionDescription sd = LIVEKIT__SESSION_DESCRIPTION__INIT;
    sd.type = offer ? "offer" : "answer";
    sd.sdp = (char *)sdp;
    sd.id = id;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = offer ? LIVEKIT__SIGNAL_REQUEST__MESSAGE_OFFER : LIVEKIT__SIGNAL_REQUEST__MESSAGE_ANSWER;
    if (offer)
        req.offer = &sd;
    else
        req.answer = &sd;
    t->ports->send_signal(t->ports->user, &req);
}

static void on_local_candidate(void *user, const char *candidate)
{
    pc_t *pc = user;
    if (!candidate)
        return; /* the server ignores our end-of-candidates */
    lkc_candidate_init_t init = {.candidate = (char *)candidate, .sdp_mid = pc->first_mid,
                                 .sdp_mline_index = 0, .username_fragment = NULL};
    char *json = NULL;
    if (lkc_candidate_init_encode(&init, &json) != LKC_OK)
        return;
    Livekit__TrickleRequest tr = LIVEKIT__TRICKLE_REQUEST__INIT;
    tr.candidateinit = json;
    tr.target = pc->target;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_TRICKLE;
    req.trickle = &tr;
    pc->t->ports->send_signal(pc->t->ports->user, &req);
    free(json);
}

static void on_offer(void *user, const char *sdp)
{
    pc_t *pc = user; /* publisher */
    send_sdp(pc->t, true, sdp, ++pc->t->offer_id);
}

/* --- state --------------------------------------------------------------------- */

static void on_state(void *user, lkc_peer_state_t st, const char *reason)
{
    pc_t *pc = user;
    lkc_transport_t *t = pc->t;
    if (st == LKC_PEER_CONNECTED)
        pc->connected = true;
    if (st == LKC_PEER_FAILED) {
        char msg[256];
        g_snprintf(msg, sizeof msg, "%s connection failed: %s", pc->name, reason);
        lkc_failure_t f = g_str_has_prefix(reason, "DTLS") ? LKC_FAILURE_DTLS : LKC_FAILURE_MEDIA;
        t->ports->failed(t->ports->user, f, msg);
        return;
    }
    if (st == LKC_PEER_DISCONNECTED)
        LKC_LOGW(MOD, "%s connection lost its path: %s", pc->name, reason);
    t->ports->changed(t->ports->user);
}

static void on_milestone(void *user, lkc_peer_milestone_t m)
{
    pc_t *pc = user;
    lkc_room_t *room = pc->t->room;
    int64_t ms = pc->t->cfg.elapsed_ms(pc->t->cfg.clock);
    bool sub = pc == &pc->t->sub;
    if (m == LKC_PEER_ICE_CONNECTED) {
        if (sub)
            LKC__MARK(room, subscriber_ice_ms, ms);
        else
            LKC__MARK(room, publisher_ice_ms, ms);
    } else if (m == LKC_PEER_DTLS_CONNECTED) {
        if (sub)
            LKC__MARK(room, subscriber_dtls_ms, ms);
        else
            LKC__MARK(room, publisher_dtls_ms, ms);
    }
    LKC_LOGD(MOD, "%s: %s at %lld ms", pc->name,
             m == LKC_PEER_ICE_CONNECTED ? "ICE connected" : m == LKC_PEER_DTLS_CONNECTED ? "DTLS done" : "SCTP up",
             (long long)ms);
}

static void on_channel_open(void *user, const char *label)
{
    pc_t *pc = user;
    lkc_transport_t *t = pc->t;
    int64_t ms = t->cfg.elapsed_ms(t->cfg.clock);
    if (pc == &t->sub && lkc_peer_channel_is_open(pc->peer, LKC_CHANNEL_RELIABLE) &&
        lkc_peer_channel_is_open(pc->peer, LKC_CHANNEL_LOSSY))
        LKC__MARK(t->room, subscriber_channels_ms, ms);
    if (pc == &t->pub && lkc_peer_channel_is_open(pc->peer, LKC_CHANNEL_RELIABLE) &&
        lkc_peer_channel_is_open(pc->peer, LKC_CHANNEL_LOSSY))
        LKC__MARK(t->room, publisher_channels_ms, ms);
    t->ports->changed(t->ports->user);
}

static void on_channels_sendable(void *user)
{
    pc_t *pc = user;
    if (pc == &pc->t->pub)
        pc->t->ports->sendable(pc->t->ports->user);
}

static void on_channels_acked(void *user)
{
    pc_t *pc = user;
    if (pc == &pc->t->pub && pc->t->ports->acked)
        pc->t->ports->acked(pc->t->ports->user);
}

static void on_channel_message(void *user, const char *label, bool binary, const uint8_t *data, size_t len)
{
    pc_t *pc = user;
    lkc_data_kind_t kind;
    if (strcmp(label, LKC_CHANNEL_RELIABLE) == 0)
        kind = LKC_DATA_RELIABLE;
    else if (strcmp(label, LKC_CHANNEL_LOSSY) == 0)
        kind = LKC_DATA_LOSSY;
    else
        return; /* _data_track and unlabeled channels: not used by lkc */
    pc->t->ports->data_in(pc->t->ports->user, data, len, kind);
}

static void on_rtp(void *user, const char *mid, uint8_t *pkt, size_t len)
{
    pc_t *pc = user;
    pc->t->ports->rtp_in(pc->t->ports->user, mid, pkt, len);
}

static void on_rtcp(void *user, uint8_t *pkt, size_t len)
{
    pc_t *pc = user;
    pc->t->ports->rtcp_in(pc->t->ports->user, pc == &pc->t->sub, pkt, len);
}

/* --- life ----------------------------------------------------------------------- */

static lkc_ice_transport_policy_t policy_of(lkc_ice_policy_t p, bool force_relay)
{
    if (force_relay)
        return LKC_ICE_POLICY_RELAY_ONLY;
    switch (p) {
    case LKC_ICE_UDP_ONLY: return LKC_ICE_POLICY_UDP_ONLY;
    case LKC_ICE_TCP_ONLY: return LKC_ICE_POLICY_TCP_ONLY;
    case LKC_ICE_RELAY_ONLY: return LKC_ICE_POLICY_RELAY_ONLY;
    default: return LKC_ICE_POLICY_ALL;
    }
}

static int make_pc(lkc_transport_t *t, pc_t *pc, bool publisher, lkc_ice_transport_policy_t policy)
{
    pc->t = t;
    pc->name = publisher ? "publisher" : "subscriber";
    pc->target = publisher ? LIVEKIT__SIGNAL_TARGET__PUBLISHER : LIVEKIT__SIGNAL_TARGET__SUBSCRIBER;
    g_strlcpy(pc->first_mid, "0", sizeof pc->first_mid);
    lkc_peer_config_t cfg = {
        .ctx = t->cfg.ctx,
        .offerer = publisher,
        .ice_policy = policy,
        .ice_servers = t->servers,
        .n_ice_servers = t->n_servers,
        .test_corrupt_remote_fingerprint = t->cfg.test_corrupt_remote_fingerprint,
        .name = pc->name,
        .cb = {.on_local_candidate = on_local_candidate, .on_offer = on_offer, .on_state = on_state,
               .on_milestone = on_milestone, .on_channel_open = on_channel_open,
               .on_channel_message = on_channel_message, .on_channels_sendable = on_channels_sendable,
               .on_channels_acked = on_channels_acked,
               .on_rtp = on_rtp, .on_rtcp = on_rtcp},
        .user = pc,
    };
    return lkc_peer_new(&cfg, &pc->peer);
}

static void copy_ice_servers(lkc_transport_t *t, const Livekit__JoinResponse *j)
{
    t->n_servers = j->n_ice_servers;
    t->servers = g_new0(lkc_ice_server_t, t->n_servers ? t->n_servers : 1);
    t->urls = g_new0(char **, t->n_servers ? t->n_servers : 1);
    for (size_t i = 0; i < t->n_servers; i++) {
        const Livekit__ICEServer *s = j->ice_servers[i];
        t->urls[i] = g_new0(char *, s->n_urls + 1);
        for (size_t k = 0; k < s->n_urls; k++)
            t->urls[i][k] = g_strdup(s->urls[k]);
        t->servers[i].urls = (const char *const *)t->urls[i];
        t->servers[i].n_urls = s->n_urls;
        t->servers[i].username = g_strdup(s->username ? s->username : "");
        t->servers[i].credential = g_strdup(s->credential ? s->credential : "");
    }
}

lkc_transport_t *lkc__transport_new(const lkc__transport_config_t *cfg, const Livekit__JoinResponse *j)
{
    lkc_transport_t *t = g_new0(lkc_transport_t, 1);
    t->cfg = *cfg;
    t->ports = &t->cfg.ports;
    t->room = cfg->room;
    copy_ice_servers(t, j);
    bool force_relay = j->client_configuration &&
                       j->client_configuration->force_relay == LIVEKIT__CLIENT_CONFIG_SETTING__ENABLED;
    lkc_ice_transport_policy_t policy = policy_of(cfg->ice_policy, force_relay);
    if (make_pc(t, &t->sub, false, policy) != LKC_OK || make_pc(t, &t->pub, true, policy) != LKC_OK) {
        lkc__transport_free(t);
        return NULL;
    }
    if (!j->subscriber_primary)
        LKC_LOGW(MOD, "the server did not make the subscriber primary; data arrives on the publisher");
    /* the publisher is negotiated at once with its two channels (needed to send data,
     * and what the server waits for before it calls the session established) */
    lkc_peer_add_data_section(t->pub.peer);
    lkc_peer_open_channel(t->pub.peer, LKC_CHANNEL_RELIABLE, true, -1);
    lkc_peer_open_channel(t->pub.peer, LKC_CHANNEL_LOSSY, false, 0);
    lkc_peer_negotiate(t->pub.peer);
    return t;
}

void lkc__transport_free(lkc_transport_t *t)
{
    if (!t)
        return;
    lkc_peer_free(t->pub.peer);
    lkc_peer_free(t->sub.peer);
    for (size_t i = 0; i < t->n_servers; i++) {
        g_strfreev(t->urls[i]);
        g_free((char *)t->servers[i].username);
        g_free((char *)t->servers[i].credential);
    }
    g_free(t->urls);
    g_free(t->servers);
    g_free(t->last_offer);
    g_free(t->last_answer);
    g_free(t);
}

void lkc__transport_on_offer(lkc_transport_t *t, const Livekit__SessionDescription *sd)
{
    if (!sd->sdp)
        return;
    LKC_LOGT(MOD, "server offer (id %u):\n%s", sd->id, sd->sdp);
    char *answer = NULL;
    int rc = lkc_peer_handle_offer(t->sub.peer, sd->sdp, &answer);
    if (rc != LKC_OK) {
        t->ports->failed(t->ports->user, LKC_FAILURE_PROTOCOL, "cannot answer the server's offer");
        return;
    }
    send_sdp(t, false, answer, sd->id);
    g_free(t->last_offer);
    g_free(t->last_answer);
    t->last_offer = g_strdup(sd->sdp);
    t->last_answer = g_strdup(answer);
    t->last_offer_id = sd->id;
    free(answer);
    t->ports->remote_audio(t->ports->user, t->sub.peer, sd);
}

void lkc__transport_on_answer(lkc_transport_t *t, const Livekit__SessionDescription *sd)
{
    if (!sd->sdp)
        return;
    LKC_LOGT(MOD, "server answer (id %u):\n%s", sd->id, sd->sdp);
    int rc = lkc_peer_set_answer(t->pub.peer, sd->sdp);
    if (rc != LKC_OK)
        t->ports->failed(t->ports->user, LKC_FAILURE_PROTOCOL, "the server's answer was refused");
}

void lkc__transport_on_trickle(lkc_transport_t *t, const Livekit__TrickleRequest *tr)
{
    if (!tr->candidateinit)
        return;
    lkc_candidate_init_t init;
    if (lkc_candidate_init_decode(tr->candidateinit, strlen(tr->candidateinit), &init) != LKC_OK) {
        LKC_LOGW(MOD, "dropping a malformed trickled candidate");
        return;
    }
    lkc_peer_t *peer = tr->target == LIVEKIT__SIGNAL_TARGET__PUBLISHER ? t->pub.peer : t->sub.peer;
    int rc = lkc_peer_add_remote_candidate(peer, init.candidate);
    if (rc != LKC_OK)
        LKC_LOGD(MOD, "candidate not used: %s", lkc_err_str(rc));
    lkc_candidate_init_clear(&init);
}

bool lkc__transport_ready(const lkc_transport_t *t)
{
    return t && lkc_peer_state(t->sub.peer) == LKC_PEER_CONNECTED &&
           lkc_peer_state(t->pub.peer) == LKC_PEER_CONNECTED &&
           lkc_peer_channel_is_open(t->pub.peer, LKC_CHANNEL_RELIABLE) &&
           lkc_peer_channel_is_open(t->pub.peer, LKC_CHANNEL_LOSSY);
}

int lkc__transport_send_data(lkc_transport_t *t, lkc_data_kind_t kind, const uint8_t *buf, size_t len)
{
    return lkc_peer_channel_send(t->pub.peer, kind == LKC_DATA_LOSSY ? LKC_CHANNEL_LOSSY : LKC_CHANNEL_RELIABLE,
                                 true, buf, len);
}

size_t lkc__transport_max_message(const lkc_transport_t *t)
{
    return t ? lkc_peer_max_message_size(t->pub.peer) : 0;
}

lkc_peer_t *lkc__transport_publisher(lkc_transport_t *t)
{
    return t ? t->pub.peer : NULL;
}

lkc_peer_t *lkc__transport_subscriber(lkc_transport_t *t)
{
    return t ? t->sub.peer : NULL;
}

int lkc__transport_stats(const lkc_transport_t *t, lkc_pc_target_t which, lkc_pc_stats_t *out)
{
    if (!t)
        return LKC_ERR_STATE;
    return lkc_peer_get_stats(which == LKC_PC_PUBLISHER ? t->pub.peer : t->sub.peer, out);
}

int lkc__transport_restart_publisher(lkc_transport_t *t)
{
    return t ? lkc_peer_restart_ice(t->pub.peer) : LKC_ERR_STATE;
}

bool lkc__transport_last_subscriber_sdp(const lkc_transport_t *t, const char **offer, const char **answer,
                                        uint32_t *id)
{
    if (!t || !t->last_offer)
        return false;
    *offer = t->last_offer;
    *answer = t->last_answer;
    *id = t->last_offer_id;
    return true;
}
