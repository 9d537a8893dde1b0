/* The PeerConnection's descriptions: our offers (offerer), our answers to remote offers
 * (answerer), and what a remote description negotiated. Shaped for pion: max-bundle,
 * rtcp-mux, strict line order (the writer's), msid before ssrc lines, Opus only. */
#include <string.h>

#include "base/log.h"
#include "lkc/error.h"
#include "rtc/peer_internal.h"

#define MOD "rtc.peer"
#define OPUS_PT 111
#define EXT_AUDIO_LEVEL 1
#define URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define OPUS_FMTP "minptime=10;useinbandfec=1"

peer_section_t *lkc_peer_section_new(section_kind_t kind, const char *mid)
{
    peer_section_t *s = g_new0(peer_section_t, 1);
    s->kind = kind;
    s->mid = g_strdup(mid);
    s->audio.mid = s->mid;
    s->audio.payload_type = -1;
    return s;
}

void lkc_peer_section_free(gpointer data)
{
    peer_section_t *s = data;
    g_free(s->mid);
    g_free(s->track_id);
    g_free(s->stream_id);
    g_free(s);
}

/* --- offerer: our sections -------------------------------------------------------- */

static char *next_mid(lkc_peer_t *p)
{
    return g_strdup_printf("%d", p->next_mid++);
}

int lkc_peer_add_data_section(lkc_peer_t *p)
{
    if (!p || !p->offerer)
        return LKC_ERR_STATE;
    for (guint i = 0; i < p->sections->len; i++)
        if (((peer_section_t *)g_ptr_array_index(p->sections, i))->kind == SECTION_DATA)
            return LKC_OK;
    char *mid = next_mid(p);
    g_ptr_array_add(p->sections, lkc_peer_section_new(SECTION_DATA, mid));
    g_free(mid);
    return LKC_OK;
}

int lkc_peer_add_audio_sender(lkc_peer_t *p, const char *stream_id, const char *track_id, uint32_t ssrc,
                              bool stereo, const char **mid_out)
{
    if (!p || !stream_id || !track_id || !*track_id || ssrc == 0)
        return LKC_ERR_INVALID_ARG;
    if (!p->offerer)
        return LKC_ERR_STATE;
    char *mid = next_mid(p);
    peer_section_t *s = lkc_peer_section_new(SECTION_AUDIO, mid);
    g_free(mid);
    s->track_id = g_strdup(track_id);
    s->stream_id = g_strdup(stream_id);
    s->audio.sending = true;
    s->audio.track_id = s->track_id;
    s->audio.stream_id = s->stream_id;
    s->audio.ssrc = ssrc;
    s->audio.stereo = stereo;
    g_ptr_array_add(p->sections, s);
    if (mid_out)
        *mid_out = s->mid;
    return LKC_OK;
}

int lkc_peer_remove_audio_sender(lkc_peer_t *p, const char *mid)
{
    for (guint i = 0; p && mid && i < p->sections->len; i++) {
        peer_section_t *s = g_ptr_array_index(p->sections, i);
        if (s->kind == SECTION_AUDIO && strcmp(s->mid, mid) == 0) {
            s->removed = true;
            s->audio.active = false;
            return LKC_OK;
        }
    }
    return LKC_ERR_NOT_FOUND;
}

/* --- common pieces ------------------------------------------------------------------ */

static lkc_sdp_t *new_description(lkc_peer_t *p)
{
    lkc_sdp_t *s = lkc_sdp_new();
    if (!s)
        return NULL;
    lkc_sdp_set_str(&s->origin.username, "-");
    s->origin.sess_id = p->sess_id;
    s->origin.sess_version = p->sess_version++;
    lkc_sdp_set_str(&s->origin.nettype, "IN");
    lkc_sdp_set_str(&s->origin.addrtype, "IP4");
    lkc_sdp_set_str(&s->origin.address, "127.0.0.1");
    lkc_sdp_set_str(&s->name, "-");
    lkc_sdp_set_str(&s->timing, "0 0");
    lkc_sdp_set_fingerprint(&s->fingerprint, "sha-256", p->fingerprint);
    lkc_sdp_set_str(&s->msid_semantic, " WMS *");
    return s;
}

/* ICE, DTLS and direction attributes every m-line of ours carries. */
static void add_transport(lkc_peer_t *p, lkc_sdp_media_t *m, const char *mid, lkc_sdp_setup_t setup)
{
    lkc_sdp_set_str(&m->conn, "IN IP4 0.0.0.0");
    lkc_sdp_set_str(&m->mid, mid);
    lkc_sdp_set_str(&m->ice_ufrag, p->ufrag);
    lkc_sdp_set_str(&m->ice_pwd, p->pwd);
    lkc_sdp_set_str(&m->ice_options, "trickle");
    lkc_sdp_set_fingerprint(&m->fingerprint, "sha-256", p->fingerprint);
    m->setup = setup;
}

static void add_data_media(lkc_peer_t *p, lkc_sdp_t *s, const char *mid, lkc_sdp_setup_t setup)
{
    lkc_sdp_media_t *m = lkc_sdp_add_media(s, "application", 9, "UDP/DTLS/SCTP");
    lkc_sdp_media_add_format(m, "webrtc-datachannel");
    add_transport(p, m, mid, setup);
    m->sctp_port = LKC_SCTP_DEFAULT_PORT;
    m->has_max_message_size = true;
    m->max_message_size = LKC_SCTP_LOCAL_MAX_MESSAGE_SIZE;
}

static void add_opus(lkc_sdp_media_t *m, int pt, const char *fmtp)
{
    char ptxt[8];
    g_snprintf(ptxt, sizeof ptxt, "%d", pt);
    lkc_sdp_media_add_format(m, ptxt);
    lkc_sdp_media_add_rtpmap(m, pt, "opus", 48000, 2); /* "/2" always, per RFC 7587 */
    lkc_sdp_media_add_fmtp(m, pt, fmtp);
}

/* --- offers ----------------------------------------------------------------------- */

lkc_sdp_t *lkc_peer_build_offer(lkc_peer_t *p)
{
    lkc_sdp_t *s = new_description(p);
    if (!s)
        return NULL;
    for (guint i = 0; i < p->sections->len; i++) {
        peer_section_t *sec = g_ptr_array_index(p->sections, i);
        lkc_sdp_add_bundle_mid(s, sec->mid);
        if (sec->kind == SECTION_DATA) {
            add_data_media(p, s, sec->mid, LKC_SDP_SETUP_ACTPASS);
            continue;
        }
        lkc_sdp_media_t *m = lkc_sdp_add_media(s, "audio", 9, "UDP/TLS/RTP/SAVPF");
        add_opus(m, OPUS_PT, sec->audio.stereo ? OPUS_FMTP ";stereo=1;sprop-stereo=1" : OPUS_FMTP);
        add_transport(p, m, sec->mid, LKC_SDP_SETUP_ACTPASS);
        m->rtcp_mux = true;
        m->rtcp_rsize = true;
        lkc_sdp_media_add_extmap(m, EXT_AUDIO_LEVEL, -1, URI_AUDIO_LEVEL, NULL);
        if (sec->removed) {
            m->direction = LKC_SDP_INACTIVE;
            continue;
        }
        m->direction = LKC_SDP_SENDONLY;
        /* pion binds an incoming SSRC only when it is declared (a=ssrc), and reads the
         * media-level msid only for ssrc lines after it */
        char ssrc_msid[256], cname[32];
        g_snprintf(ssrc_msid, sizeof ssrc_msid, "%s %s", sec->stream_id, sec->track_id);
        g_snprintf(cname, sizeof cname, "lkc%08x", sec->audio.ssrc);
        lkc_sdp_media_add_msid(m, sec->stream_id, sec->track_id);
        lkc_sdp_media_add_ssrc(m, sec->audio.ssrc, "cname", cname);
        lkc_sdp_media_add_ssrc(m, sec->audio.ssrc, "msid", ssrc_msid);
    }
    return s;
}

int lkc_peer_apply_answer(lkc_peer_t *p, const lkc_sdp_t *a, char *err, size_t errlen)
{
    /* sections added while the offer was in flight are negotiated in the next round */
    if (a->n_media != p->offered_sections || a->n_media > p->sections->len) {
        g_snprintf(err, errlen, "the answer has %zu m-lines, our offer %u", a->n_media, p->offered_sections);
        return LKC_ERR_PROTOCOL;
    }
    const lkc_sdp_media_t *master = lkc_sdp_bundle_master(a);
    lkc_sdp_setup_t setup = lkc_sdp_setup(a, master ? master : a->media[0]);
    /* we offered actpass: "active" makes the remote the DTLS client */
    p->dtls_role = setup == LKC_SDP_SETUP_PASSIVE ? LKC_DTLS_CLIENT : LKC_DTLS_SERVER;
    p->role_known = true;
    for (size_t i = 0; i < a->n_media; i++) {
        const lkc_sdp_media_t *m = a->media[i];
        peer_section_t *sec = g_ptr_array_index(p->sections, i);
        if (!m->mid || strcmp(m->mid, sec->mid) != 0) {
            g_snprintf(err, errlen, "answer m-line %zu has mid %s, expected %s", i, m->mid ? m->mid : "(none)",
                       sec->mid);
            return LKC_ERR_PROTOCOL;
        }
        if (sec->kind == SECTION_DATA) {
            p->remote_has_data = m->port != 0;
            p->remote_sctp_port = m->sctp_port ? m->sctp_port : LKC_SCTP_DEFAULT_PORT;
            p->remote_max_message = !m->has_max_message_size ? 0
                                    : m->max_message_size == 0 ? UINT32_MAX
                                    : m->max_message_size > UINT32_MAX ? UINT32_MAX
                                                                        : (uint32_t)m->max_message_size;
            continue;
        }
        const lkc_sdp_rtpmap_t *opus = lkc_sdp_find_rtpmap(m, "opus", 48000, 0);
        sec->audio.payload_type = opus ? opus->pt : -1;
        sec->audio.audio_level_ext = 0;
        sec->audio.mid_ext = 0;
        for (size_t k = 0; k < m->n_extmaps; k++) {
            if (strcmp(m->extmaps[k].uri, URI_AUDIO_LEVEL) == 0)
                sec->audio.audio_level_ext = m->extmaps[k].id;
            else if (strcmp(m->extmaps[k].uri, URI_MID) == 0)
                sec->audio.mid_ext = m->extmaps[k].id;
        }
        sec->audio.active = !sec->removed && m->port != 0 && opus && m->direction != LKC_SDP_INACTIVE &&
                            m->direction != LKC_SDP_SENDONLY;
        if (!sec->removed && !sec->audio.active)
            LKC_LOGW(MOD, "%s: the answer did not accept audio m-line %s", p->name, sec->mid);
    }
    return LKC_OK;
}

/* --- answers ---------------------------------------------------------------------- */

static const char *ssrc_attr(const lkc_sdp_media_t *m, uint32_t ssrc, const char *attr)
{
    for (size_t i = 0; i < m->n_ssrcs; i++)
        if (m->ssrcs[i].ssrc == ssrc && strcmp(m->ssrcs[i].attr, attr) == 0)
            return m->ssrcs[i].value;
    return NULL;
}

/* The remote sender of an offered audio m-line: SSRC and msid. */
static void read_remote_audio(peer_section_t *sec, const lkc_sdp_media_t *m)
{
    sec->audio.ssrc = m->n_ssrcs > 0 ? m->ssrcs[0].ssrc : 0;
    g_clear_pointer(&sec->track_id, g_free);
    g_clear_pointer(&sec->stream_id, g_free);
    if (m->n_msids > 0) {
        sec->stream_id = g_strdup(m->msids[0].stream);
        sec->track_id = g_strdup(m->msids[0].track);
    } else if (sec->audio.ssrc) {
        const char *msid = ssrc_attr(m, sec->audio.ssrc, "msid");
        if (msid) {
            char **parts = g_strsplit(msid, " ", 2);
            sec->stream_id = g_strdup(parts[0]);
            sec->track_id = parts[0] && parts[1] ? g_strdup(parts[1]) : NULL;
            g_strfreev(parts);
        }
    }
    sec->audio.track_id = sec->track_id;
    sec->audio.stream_id = sec->stream_id;
}

static void reject_media(lkc_sdp_t *a, const lkc_sdp_media_t *m)
{
    lkc_sdp_media_t *r = lkc_sdp_add_media(a, m->kind, 0, m->proto);
    for (size_t k = 0; k < m->n_fmts; k++)
        lkc_sdp_media_add_format(r, m->fmts[k]);
    if (m->n_fmts == 0)
        lkc_sdp_media_add_format(r, "0");
    lkc_sdp_set_str(&r->conn, "IN IP4 0.0.0.0");
    lkc_sdp_set_str(&r->mid, m->mid);
    r->direction = LKC_SDP_INACTIVE;
}

lkc_sdp_t *lkc_peer_apply_offer_build_answer(lkc_peer_t *p, const lkc_sdp_t *o, char *err, size_t errlen)
{
    if (o->n_media < p->sections->len) {
        g_snprintf(err, errlen, "the offer has %zu m-lines, fewer than the %u negotiated before", o->n_media,
                   p->sections->len);
        return NULL;
    }
    lkc_sdp_t *a = new_description(p);
    if (!a)
        return NULL;
    for (size_t i = 0; i < o->n_media; i++) {
        const lkc_sdp_media_t *m = o->media[i];
        if (!m->mid) {
            g_snprintf(err, errlen, "offer m-line %zu has no mid", i);
            lkc_sdp_free(a);
            return NULL;
        }
        peer_section_t *sec = i < p->sections->len ? g_ptr_array_index(p->sections, i) : NULL;
        if (sec && strcmp(sec->mid, m->mid) != 0) {
            g_snprintf(err, errlen, "offer m-line %zu changed its mid from %s to %s", i, sec->mid, m->mid);
            lkc_sdp_free(a);
            return NULL;
        }
        bool is_data = strcmp(m->kind, "application") == 0 && m->sctp_port;
        bool is_audio = strcmp(m->kind, "audio") == 0;
        if (!sec) {
            sec = lkc_peer_section_new(is_data ? SECTION_DATA : is_audio ? SECTION_AUDIO : SECTION_OTHER, m->mid);
            g_ptr_array_add(p->sections, sec);
        }
        const lkc_sdp_rtpmap_t *opus = is_audio ? lkc_sdp_find_rtpmap(m, "opus", 48000, 0) : NULL;
        if (m->port == 0 || (!is_data && !opus)) {
            sec->rejected = true;
            sec->audio.active = false;
            reject_media(a, m);
            continue;
        }
        sec->rejected = false;
        lkc_sdp_add_bundle_mid(a, m->mid);
        if (is_data) {
            p->remote_has_data = true;
            p->remote_sctp_port = m->sctp_port;
            p->remote_max_message = !m->has_max_message_size ? 0
                                    : m->max_message_size == 0 ? UINT32_MAX
                                    : m->max_message_size > UINT32_MAX ? UINT32_MAX
                                                                        : (uint32_t)m->max_message_size;
            add_data_media(p, a, m->mid, LKC_SDP_SETUP_ACTIVE);
            continue;
        }
        /* audio with Opus: receive it (or keep it inactive) */
        const char *fmtp = lkc_sdp_find_fmtp(m, opus->pt);
        lkc_sdp_media_t *am = lkc_sdp_add_media(a, "audio", 9, m->proto);
        add_opus(am, opus->pt, fmtp ? fmtp : OPUS_FMTP);
        add_transport(p, am, m->mid, LKC_SDP_SETUP_ACTIVE);
        am->rtcp_mux = true;
        am->rtcp_rsize = m->rtcp_rsize;
        bool sends = m->direction == LKC_SDP_SENDONLY || m->direction == LKC_SDP_SENDRECV;
        am->direction = sends ? LKC_SDP_RECVONLY : LKC_SDP_INACTIVE;
        read_remote_audio(sec, m);
        sec->audio.sending = false;
        sec->audio.payload_type = opus->pt;
        sec->audio.stereo = fmtp && strstr(fmtp, "sprop-stereo=1");
        sec->audio.active = sends && sec->audio.ssrc != 0;
    }
    return a;
}
