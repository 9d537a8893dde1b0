/* The PeerConnection's transport chain: ICE -> DTLS -> (SRTP | SCTP), the receive
 * demultiplexer, sends, state and stats. The descriptions (offers, answers) are built
 * and read in peer_sdp.c, the data channels and SCTP in peer_channels.c. */
#include <string.h>

#include "base/log.h"
#include "base/rand.h"
#include "lkc/error.h"
#include "rtc/peer_internal.h"

#define MOD "rtc.peer"

void lkc_peer_set_state(lkc_peer_t *p, lkc_peer_state_t s, const char *reason)
{
    /* FAILED is final, except for an ICE restart (p->restarting) that starts over */
    if (p->state == s || p->state == LKC_PEER_CLOSED ||
        (p->state == LKC_PEER_FAILED && s != LKC_PEER_CLOSED && !p->restarting))
        return;
    p->state = s;
    LKC_LOGD(MOD, "%s: %s%s%s", p->name, lkc_peer_state_str(s), reason ? ": " : "", reason ? reason : "");
    if (p->cb.on_state)
        p->cb.on_state(p->user, s, reason ? reason : "");
}

const char *lkc_peer_state_str(lkc_peer_state_t s)
{
    switch (s) {
    case LKC_PEER_NEW: return "new";
    case LKC_PEER_CONNECTING: return "connecting";
    case LKC_PEER_CONNECTED: return "connected";
    case LKC_PEER_DISCONNECTED: return "disconnected";
    case LKC_PEER_FAILED: return "failed";
    case LKC_PEER_CLOSED: return "closed";
    }
    return "?";
}

/* --- DTLS ---------------------------------------------------------------------------- */

/* The remote side may start DTLS as soon as its own ICE sees a working pair, a moment
 * before ours selects one; an answer written then would be lost and wait for the peer's
 * retransmission (~0.5 s). Such records are held and sent once ICE is connected. */
#define MAX_HELD_OUT 16

static void dtls_send(void *user, const uint8_t *d, size_t len)
{
    lkc_peer_t *p = user;
    int rc = lkc_ice_send(p->ice, d, len);
    if (rc == LKC_ERR_STATE && !p->ice_connected && p->held_out->len < MAX_HELD_OUT)
        g_ptr_array_add(p->held_out, g_bytes_new(d, len));
}

static void send_held_out(lkc_peer_t *p)
{
    for (guint i = 0; i < p->held_out->len; i++) {
        gsize n;
        const uint8_t *d = g_bytes_get_data(g_ptr_array_index(p->held_out, i), &n);
        lkc_ice_send(p->ice, d, n);
    }
    if (p->held_out->len)
        LKC_LOGD(MOD, "%s: sent %u DTLS record(s) held until ICE was connected", p->name, p->held_out->len);
    g_ptr_array_set_size(p->held_out, 0);
}

static void dtls_connected(void *user, const lkc_srtp_keys_t *keys)
{
    lkc_peer_t *p = user;
    int rc = lkc_srtp_new(keys, &p->srtp);
    if (rc != LKC_OK) {
        lkc_peer_set_state(p, LKC_PEER_FAILED, "cannot create the SRTP sessions");
        return;
    }
    LKC_LOGD(MOD, "%s: DTLS connected (%s), SRTP %s", p->name,
             p->dtls_role == LKC_DTLS_CLIENT ? "client" : "server", lkc_srtp_profile_name(keys->profile));
    if (p->cb.on_milestone)
        p->cb.on_milestone(p->user, LKC_PEER_DTLS_CONNECTED);
    lkc_peer_set_state(p, LKC_PEER_CONNECTED, NULL);
    lkc_peer_start_sctp(p);
}

static void dtls_data(void *user, const uint8_t *buf, size_t len)
{
    lkc_peer_t *p = user;
    if (p->sctp)
        lkc_sctp_input(p->sctp, buf, len);
}

static void dtls_failed(void *user, const char *reason)
{
    lkc_peer_t *p = user;
    char msg[200];
    g_snprintf(msg, sizeof msg, "DTLS: %s", reason ? reason : "failed");
    lkc_peer_set_state(p, LKC_PEER_FAILED, msg);
}

static void dtls_closed(void *user)
{
    lkc_peer_t *p = user;
    lkc_peer_set_state(p, LKC_PEER_FAILED, "the peer closed the DTLS association (close_notify)");
}

static void start_gathering(lkc_peer_t *p);

/* New local credentials, the remote ones forgotten, candidates gathered again; the peer
 * leaves FAILED/DISCONNECTED for CONNECTING (DTLS, SRTP and SCTP carry on over the new
 * path once ICE finds one). */
static int restart_ice(lkc_peer_t *p)
{
    int rc = lkc_ice_restart(p->ice);
    if (rc != LKC_OK)
        return rc;
    lkc_ice_get_local_credentials(p->ice, p->ufrag, sizeof p->ufrag, p->pwd, sizeof p->pwd);
    g_clear_pointer(&p->remote_ufrag, g_free);
    p->gathering = false;
    LKC_LOGD(MOD, "%s: ICE restart", p->name);
    if (p->state == LKC_PEER_FAILED || p->state == LKC_PEER_DISCONNECTED) {
        p->restarting = true;
        lkc_peer_set_state(p, LKC_PEER_CONNECTING, "ICE restart");
        p->restarting = false;
    }
    return LKC_OK;
}

int lkc_peer_restart_ice(lkc_peer_t *p)
{
    if (!p || !p->offerer || p->state == LKC_PEER_CLOSED)
        return LKC_ERR_STATE;
    int rc = restart_ice(p);
    if (rc != LKC_OK)
        return rc;
    if (p->offer_in_flight) {
        /* the answer to the old offer would carry the old credentials: offer again after it */
        p->offer_in_flight = false;
    }
    return lkc_peer_negotiate(p);
}

/* Starts DTLS once both the role (from the remote description) and a path (ICE) are
 * known. The server role needs no start: the peer's ClientHello starts it. */
static void maybe_start_dtls(lkc_peer_t *p)
{
    if (p->dtls && p->ice_connected && p->dtls_role == LKC_DTLS_CLIENT &&
        lkc_dtls_get_state(p->dtls) == LKC_DTLS_NEW)
        lkc_dtls_start(p->dtls);
}

int lkc_peer_apply_transport(lkc_peer_t *p, const lkc_sdp_t *remote, char *err, size_t errlen)
{
    const lkc_sdp_media_t *master = lkc_sdp_bundle_master(remote);
    if (!master && remote->n_media > 0)
        master = remote->media[0];
    if (!master) {
        g_strlcpy(err, "the remote description has no m-line", errlen);
        return LKC_ERR_PROTOCOL;
    }
    const char *ufrag = lkc_sdp_ice_ufrag(remote, master);
    const char *pwd = lkc_sdp_ice_pwd(remote, master);
    const lkc_sdp_fingerprint_t *fp = lkc_sdp_fingerprint(remote, master);
    if (!ufrag || !pwd || !fp || !fp->algorithm || !fp->value) {
        g_strlcpy(err, "the remote description lacks ice-ufrag, ice-pwd or fingerprint", errlen);
        return LKC_ERR_PROTOCOL;
    }
    if (remote->ice_lite)
        LKC_LOGW(MOD, "%s: the remote side is ICE-lite", p->name);
    if (p->remote_ufrag && strcmp(p->remote_ufrag, ufrag) != 0 && !p->offerer) {
        /* an ICE restart from the remote side: new credentials of ours, gathered again */
        restart_ice(p);
    }
    if (!p->remote_ufrag) {
        int rc = lkc_ice_set_remote_credentials(p->ice, ufrag, pwd);
        if (rc != LKC_OK) {
            g_strlcpy(err, "the remote ICE credentials were refused", errlen);
            return rc;
        }
        p->remote_ufrag = g_strdup(ufrag);
    }
    for (size_t i = 0; i < master->n_candidates; i++)
        lkc_ice_add_remote_candidate(p->ice, master->candidates[i]);
    if (master->end_of_candidates)
        lkc_ice_set_remote_gathering_done(p->ice);

    if (!p->dtls) {
        char fpbuf[LKC_CERT_FP_MAX];
        g_strlcpy(fpbuf, fp->value, sizeof fpbuf);
        if (p->test_corrupt_fingerprint && fpbuf[0]) {
            fpbuf[0] = fpbuf[0] == 'A' ? 'B' : 'A'; /* test hook: a fingerprint that cannot match */
            LKC_LOGW(MOD, "%s: test hook: corrupting the remote fingerprint", p->name);
        }
        lkc_dtls_config_t cfg = {
            .ctx = p->ctx,
            .role = p->dtls_role,
            .remote_fp_algo = fp->algorithm,
            .remote_fp = fpbuf,
            .send = dtls_send,
            .on_connected = dtls_connected,
            .on_data = dtls_data,
            .on_failed = dtls_failed,
            .on_closed = dtls_closed,
            .user = p,
        };
        int rc = lkc_dtls_new(&cfg, &p->dtls);
        if (rc != LKC_OK) {
            g_strlcpy(err, "cannot create the DTLS association", errlen);
            return rc;
        }
    }
    if (p->state == LKC_PEER_NEW)
        lkc_peer_set_state(p, LKC_PEER_CONNECTING, NULL);
    maybe_start_dtls(p);
    lkc_peer_start_sctp(p);
    return LKC_OK;
}

/* --- ICE and the receive path ------------------------------------------------------ */

static const char *mid_of_ssrc(const lkc_peer_t *p, uint32_t ssrc)
{
    for (guint i = 0; i < p->sections->len; i++) {
        const peer_section_t *s = g_ptr_array_index(p->sections, i);
        if (s->kind == SECTION_AUDIO && s->audio.ssrc == ssrc)
            return s->mid;
    }
    return NULL;
}

static void ice_recv(void *user, const uint8_t *buf, size_t len)
{
    lkc_peer_t *p = user;
    if (len < 1)
        return;
    uint8_t b = buf[0];
    if (b >= 20 && b <= 63) { /* RFC 7983: DTLS */
        if (p->dtls)
            lkc_dtls_input(p->dtls, buf, len);
        return;
    }
    if (b < 128 || b > 191 || len < 12 || !p->srtp)
        return;
    uint8_t pkt[LKC_SRTP_MAX_PACKET];
    if (len > sizeof pkt)
        return;
    memcpy(pkt, buf, len);
    uint8_t pt = pkt[1] & 0x7f;
    if (pt >= 64 && pt <= 95) { /* RFC 5761: RTCP on the muxed port */
        int n = lkc_srtp_unprotect_rtcp(p->srtp, pkt, len);
        if (n > 0 && p->cb.on_rtcp)
            p->cb.on_rtcp(p->user, pkt, (size_t)n);
        return;
    }
    int n = lkc_srtp_unprotect_rtp(p->srtp, pkt, len);
    if (n <= 0)
        return;
    uint32_t ssrc = (uint32_t)pkt[8] << 24 | (uint32_t)pkt[9] << 16 | (uint32_t)pkt[10] << 8 | pkt[11];
    if (p->cb.on_rtp)
        p->cb.on_rtp(p->user, mid_of_ssrc(p, ssrc), pkt, (size_t)n);
}

static void ice_candidate(void *user, const char *candidate)
{
    lkc_peer_t *p = user;
    if (p->cb.on_local_candidate)
        p->cb.on_local_candidate(p->user, candidate);
}

static void ice_gathering_done(void *user)
{
    lkc_peer_t *p = user;
    if (p->cb.on_local_candidate)
        p->cb.on_local_candidate(p->user, NULL);
}

static void ice_state(void *user, lkc_ice_state_t s)
{
    lkc_peer_t *p = user;
    switch (s) {
    case LKC_ICE_CONNECTED:
        if (!p->ice_connected) {
            p->ice_connected = true;
            send_held_out(p);
            if (p->cb.on_milestone)
                p->cb.on_milestone(p->user, LKC_PEER_ICE_CONNECTED);
        }
        if (p->state == LKC_PEER_DISCONNECTED || (p->state == LKC_PEER_CONNECTING && p->srtp))
            lkc_peer_set_state(p, p->srtp ? LKC_PEER_CONNECTED : LKC_PEER_CONNECTING, "ICE path restored");
        maybe_start_dtls(p);
        break;
    case LKC_ICE_DISCONNECTED:
        if (p->state == LKC_PEER_CONNECTED)
            lkc_peer_set_state(p, LKC_PEER_DISCONNECTED, "ICE lost its path");
        break;
    case LKC_ICE_FAILED:
        lkc_peer_set_state(p, LKC_PEER_FAILED, p->ice_connected ? "ICE: consent lost" : "ICE: no candidate pair works");
        break;
    default:
        break;
    }
}

/* --- life ------------------------------------------------------------------------ */

int lkc_peer_new(const lkc_peer_config_t *cfg, lkc_peer_t **out)
{
    if (!cfg || !cfg->ctx || !out)
        return LKC_ERR_INVALID_ARG;
    char fp[LKC_CERT_FP_SIZE];
    int rc = lkc_cert_fingerprint(fp);
    if (rc != LKC_OK)
        return rc;
    lkc_peer_t *p = g_new0(lkc_peer_t, 1);
    p->ctx = g_main_context_ref(cfg->ctx);
    p->offerer = cfg->offerer;
    p->test_corrupt_fingerprint = cfg->test_corrupt_remote_fingerprint;
    p->name = g_strdup(cfg->name ? cfg->name : (cfg->offerer ? "offerer" : "answerer"));
    p->cb = cfg->cb;
    p->user = cfg->user;
    g_strlcpy(p->fingerprint, fp, sizeof p->fingerprint);
    lkc_random_bytes(&p->sess_id, sizeof p->sess_id);
    p->sess_id &= 0x3fffffffffffffffULL; /* positive as a signed 64-bit number */
    p->sess_version = 1;
    p->sections = g_ptr_array_new_with_free_func(lkc_peer_section_free);
    p->channels = g_ptr_array_new_with_free_func(lkc_peer_channel_free);
    p->held_out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    p->dtls_role = cfg->offerer ? LKC_DTLS_SERVER : LKC_DTLS_CLIENT;
    lkc_ice_config_t ic = {
        .ctx = cfg->ctx,
        .controlling = cfg->offerer,
        .policy = cfg->ice_policy,
        .servers = cfg->ice_servers,
        .n_servers = cfg->n_ice_servers,
        .local_addresses = cfg->local_addresses,
        .n_local_addresses = cfg->n_local_addresses,
        .user = p,
        .on_local_candidate = ice_candidate,
        .on_gathering_done = ice_gathering_done,
        .on_state = ice_state,
        .on_recv = ice_recv,
    };
    rc = lkc_ice_new(&ic, &p->ice);
    if (rc == LKC_OK)
        rc = lkc_ice_get_local_credentials(p->ice, p->ufrag, sizeof p->ufrag, p->pwd, sizeof p->pwd);
    if (rc != LKC_OK) {
        lkc_peer_free(p);
        return rc;
    }
    *out = p;
    return LKC_OK;
}

void lkc_peer_free(lkc_peer_t *p)
{
    if (!p)
        return;
    p->state = LKC_PEER_CLOSED; /* silences set_state */
    lkc_sctp_free(p->sctp);
    if (p->dtls) {
        lkc_dtls_close(p->dtls);
        lkc_dtls_free(p->dtls);
    }
    lkc_srtp_free(p->srtp);
    lkc_ice_free(p->ice);
    lkc_sdp_free(p->remote);
    g_ptr_array_unref(p->sections);
    g_ptr_array_unref(p->channels);
    g_ptr_array_unref(p->held_out);
    g_free(p->remote_ufrag);
    g_free(p->name);
    g_main_context_unref(p->ctx);
    g_free(p);
}

static void start_gathering(lkc_peer_t *p)
{
    if (p->gathering)
        return;
    p->gathering = true;
    lkc_ice_gather(p->ice);
}

/* --- negotiation --------------------------------------------------------------- */

int lkc_peer_negotiate(lkc_peer_t *p)
{
    if (!p || !p->offerer)
        return LKC_ERR_STATE;
    if (p->state == LKC_PEER_FAILED || p->state == LKC_PEER_CLOSED)
        return LKC_ERR_STATE;
    if (p->offer_in_flight) {
        p->renegotiate = true;
        return LKC_OK;
    }
    lkc_sdp_t *offer = lkc_peer_build_offer(p);
    char *text = offer ? lkc_sdp_write(offer) : NULL;
    lkc_sdp_free(offer);
    if (!text)
        return LKC_ERR_NO_MEMORY;
    p->offer_in_flight = true;
    p->offered_sections = p->sections->len;
    p->renegotiate = false;
    if (p->cb.on_offer)
        p->cb.on_offer(p->user, text);
    free(text);
    start_gathering(p);
    return LKC_OK;
}

int lkc_peer_set_answer(lkc_peer_t *p, const char *sdp)
{
    if (!p || !sdp)
        return LKC_ERR_INVALID_ARG;
    if (!p->offerer || !p->offer_in_flight)
        return LKC_ERR_STATE;
    char err[200] = "";
    lkc_sdp_t *answer = NULL;
    int rc = lkc_sdp_parse(sdp, strlen(sdp), &answer, err, sizeof err);
    if (rc == LKC_OK)
        rc = lkc_peer_apply_answer(p, answer, err, sizeof err);
    if (rc == LKC_OK)
        rc = lkc_peer_apply_transport(p, answer, err, sizeof err);
    if (rc != LKC_OK) {
        LKC_LOGW(MOD, "%s: answer refused: %s", p->name, err);
        lkc_sdp_free(answer);
        lkc_peer_set_state(p, LKC_PEER_FAILED, err);
        return rc;
    }
    lkc_sdp_free(p->remote);
    p->remote = answer;
    p->offer_in_flight = false;
    if (p->renegotiate)
        return lkc_peer_negotiate(p);
    return LKC_OK;
}

int lkc_peer_handle_offer(lkc_peer_t *p, const char *sdp, char **answer_text)
{
    if (!p || !sdp || !answer_text)
        return LKC_ERR_INVALID_ARG;
    if (p->offerer)
        return LKC_ERR_STATE;
    *answer_text = NULL;
    char err[200] = "";
    lkc_sdp_t *offer = NULL;
    lkc_sdp_t *answer = NULL;
    int rc = lkc_sdp_parse(sdp, strlen(sdp), &offer, err, sizeof err);
    if (rc == LKC_OK)
        rc = lkc_peer_apply_transport(p, offer, err, sizeof err);
    if (rc == LKC_OK) {
        answer = lkc_peer_apply_offer_build_answer(p, offer, err, sizeof err);
        if (!answer)
            rc = LKC_ERR_PROTOCOL;
    }
    if (rc != LKC_OK) {
        LKC_LOGW(MOD, "%s: offer refused: %s", p->name, err);
        lkc_sdp_free(offer);
        return rc;
    }
    *answer_text = lkc_sdp_write(answer);
    lkc_sdp_free(answer);
    lkc_sdp_free(p->remote);
    p->remote = offer;
    lkc_peer_start_sctp(p);
    start_gathering(p);
    if (p->cb.on_remote_description)
        p->cb.on_remote_description(p->user);
    return *answer_text ? LKC_OK : LKC_ERR_NO_MEMORY;
}

int lkc_peer_add_remote_candidate(lkc_peer_t *p, const char *candidate)
{
    if (!p || !candidate)
        return LKC_ERR_INVALID_ARG;
    if (!*candidate) {
        lkc_ice_set_remote_gathering_done(p->ice);
        return LKC_OK;
    }
    return lkc_ice_add_remote_candidate(p->ice, candidate);
}

void lkc_peer_remote_candidates_done(lkc_peer_t *p)
{
    if (p)
        lkc_ice_set_remote_gathering_done(p->ice);
}

/* --- sending ---------------------------------------------------------------------- */

static int send_protected(lkc_peer_t *p, uint8_t *pkt, size_t len, size_t cap, bool rtcp)
{
    if (!p || !pkt)
        return LKC_ERR_INVALID_ARG;
    if (!p->srtp || !p->ice_connected)
        return LKC_ERR_STATE;
    int n = rtcp ? lkc_srtp_protect_rtcp(p->srtp, pkt, len, cap) : lkc_srtp_protect_rtp(p->srtp, pkt, len, cap);
    if (n < 0)
        return n;
    int sent = lkc_ice_send(p->ice, pkt, (size_t)n);
    return sent < 0 ? sent : LKC_OK;
}

int lkc_peer_send_rtp(lkc_peer_t *p, uint8_t *pkt, size_t len, size_t cap)
{
    return send_protected(p, pkt, len, cap, false);
}

int lkc_peer_send_rtcp(lkc_peer_t *p, uint8_t *pkt, size_t len, size_t cap)
{
    return send_protected(p, pkt, len, cap, true);
}

/* --- views --------------------------------------------------------------------- */

size_t lkc_peer_audio_count(const lkc_peer_t *p)
{
    size_t n = 0;
    for (guint i = 0; p && i < p->sections->len; i++)
        n += ((peer_section_t *)g_ptr_array_index(p->sections, i))->kind == SECTION_AUDIO;
    return n;
}

const lkc_peer_audio_t *lkc_peer_audio_at(const lkc_peer_t *p, size_t k)
{
    for (guint i = 0; p && i < p->sections->len; i++) {
        const peer_section_t *s = g_ptr_array_index(p->sections, i);
        if (s->kind == SECTION_AUDIO && k-- == 0)
            return &s->audio;
    }
    return NULL;
}

const lkc_peer_audio_t *lkc_peer_audio_by_mid(const lkc_peer_t *p, const char *mid)
{
    for (guint i = 0; p && mid && i < p->sections->len; i++) {
        const peer_section_t *s = g_ptr_array_index(p->sections, i);
        if (s->kind == SECTION_AUDIO && strcmp(s->mid, mid) == 0)
            return &s->audio;
    }
    return NULL;
}

lkc_peer_state_t lkc_peer_state(const lkc_peer_t *p)
{
    return p ? p->state : LKC_PEER_CLOSED;
}

int lkc_peer_get_stats(const lkc_peer_t *p, lkc_pc_stats_t *out)
{
    if (!p || !out)
        return LKC_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    lkc_ice_stats_t st;
    if (lkc_ice_get_stats(p->ice, &st) == LKC_OK) {
        out->bytes_sent = st.bytes_sent;
        out->bytes_received = st.bytes_received;
        out->packets_sent = st.packets_sent;
        out->packets_received = st.packets_received;
        g_strlcpy(out->ice_state, st.state_str ? st.state_str : "", sizeof out->ice_state);
        if (st.has_selected_pair) {
            g_strlcpy(out->transport, st.transport, sizeof out->transport);
            g_strlcpy(out->local_candidate_type, st.local_type, sizeof out->local_candidate_type);
            g_strlcpy(out->remote_candidate_type, st.remote_type, sizeof out->remote_candidate_type);
            g_strlcpy(out->local_address, st.local_addr, sizeof out->local_address);
            g_strlcpy(out->remote_address, st.remote_addr, sizeof out->remote_address);
        }
    }
    g_strlcpy(out->dtls_state, p->dtls ? lkc_dtls_state_str(lkc_dtls_get_state(p->dtls)) : "new",
              sizeof out->dtls_state);
    return LKC_OK;
}
