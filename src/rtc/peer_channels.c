/* A PeerConnection's data channels, by label, over its SCTP association (started once
 * DTLS is up and the remote description has a data section). */
#include <string.h>

#include "base/log.h"
#include "lkc/error.h"
#include "rtc/peer_internal.h"

#define MOD "rtc.peer"

/* --- channels --------------------------------------------------------------------- */

static peer_channel_t *channel_by_label(const lkc_peer_t *p, const char *label)
{
    for (guint i = 0; i < p->channels->len; i++) {
        peer_channel_t *c = g_ptr_array_index(p->channels, i);
        if (strcmp(c->label, label) == 0)
            return c;
    }
    return NULL;
}

static peer_channel_t *channel_by_sid(const lkc_peer_t *p, uint16_t sid)
{
    for (guint i = 0; i < p->channels->len; i++) {
        peer_channel_t *c = g_ptr_array_index(p->channels, i);
        if (c->sid == sid)
            return c;
    }
    return NULL;
}

void lkc_peer_channel_free(gpointer data)
{
    peer_channel_t *c = data;
    g_free(c->label);
    g_free(c);
}

static void request_channels(lkc_peer_t *p)
{
    for (guint i = 0; p->sctp && i < p->channels->len; i++) {
        peer_channel_t *c = g_ptr_array_index(p->channels, i);
        if (!c->ours || c->requested)
            continue;
        uint16_t sid;
        int rc = lkc_sctp_open_channel(p->sctp, c->label, "", c->ordered, c->max_retransmits, &sid);
        if (rc == LKC_OK) {
            c->requested = true;
            c->sid = sid;
        } else {
            LKC_LOGW(MOD, "%s: cannot open data channel %s: %s", p->name, c->label, lkc_err_str(rc));
        }
    }
}

int lkc_peer_open_channel(lkc_peer_t *p, const char *label, bool ordered, int max_retransmits)
{
    if (!p || !label || !*label)
        return LKC_ERR_INVALID_ARG;
    if (channel_by_label(p, label))
        return LKC_ERR_STATE;
    peer_channel_t *c = g_new0(peer_channel_t, 1);
    c->label = g_strdup(label);
    c->ordered = ordered;
    c->max_retransmits = max_retransmits;
    c->ours = true;
    c->sid = -1;
    g_ptr_array_add(p->channels, c);
    request_channels(p);
    return LKC_OK;
}

int lkc_peer_channel_send(lkc_peer_t *p, const char *label, bool binary, const uint8_t *data, size_t len)
{
    if (!p || !label || (!data && len))
        return LKC_ERR_INVALID_ARG;
    peer_channel_t *c = channel_by_label(p, label);
    if (!c || !c->open || !p->sctp || c->sid < 0)
        return LKC_ERR_STATE;
    return lkc_sctp_send(p->sctp, (uint16_t)c->sid, binary, data, len);
}

bool lkc_peer_channel_is_open(const lkc_peer_t *p, const char *label)
{
    const peer_channel_t *c = p && label ? channel_by_label(p, label) : NULL;
    return c && c->open;
}

size_t lkc_peer_max_message_size(const lkc_peer_t *p)
{
    return p && p->sctp ? lkc_sctp_max_message_size(p->sctp) : 0;
}
/* --- SCTP ---------------------------------------------------------------------------- */

static void sctp_send(void *user, const uint8_t *pkt, size_t len)
{
    lkc_peer_t *p = user;
    if (p->dtls)
        lkc_dtls_write(p->dtls, pkt, len);
}

static void sctp_connected(void *user)
{
    lkc_peer_t *p = user;
    LKC_LOGD(MOD, "%s: SCTP association up", p->name);
    if (p->cb.on_milestone)
        p->cb.on_milestone(p->user, LKC_PEER_SCTP_CONNECTED);
}

static void sctp_channel_open(void *user, uint16_t sid, const char *label, const char *protocol, bool ordered,
                              int max_retransmits)
{
    lkc_peer_t *p = user;
    peer_channel_t *c = channel_by_label(p, label);
    if (c && c->ours && c->sid != sid)
        c = NULL; /* the remote side opened another channel with the same label */
    if (!c) {
        c = g_new0(peer_channel_t, 1);
        c->label = g_strdup(label);
        c->ordered = ordered;
        c->max_retransmits = max_retransmits;
        g_ptr_array_add(p->channels, c);
    }
    c->sid = sid;
    c->open = true;
    LKC_LOGD(MOD, "%s: data channel \"%s\" open (stream %u)", p->name, label, sid);
    if (p->cb.on_channel_open)
        p->cb.on_channel_open(p->user, label);
}

static void sctp_message(void *user, uint16_t sid, bool binary, const uint8_t *data, size_t len)
{
    lkc_peer_t *p = user;
    peer_channel_t *c = channel_by_sid(p, sid);
    if (!c) {
        LKC_LOGD(MOD, "%s: message on unknown stream %u dropped", p->name, sid);
        return;
    }
    if (p->cb.on_channel_message)
        p->cb.on_channel_message(p->user, c->label, binary, data, len);
}

static void sctp_channel_closed(void *user, uint16_t sid)
{
    lkc_peer_t *p = user;
    peer_channel_t *c = channel_by_sid(p, sid);
    if (!c)
        return;
    c->open = false;
    if (p->cb.on_channel_closed)
        p->cb.on_channel_closed(p->user, c->label);
    g_ptr_array_remove(p->channels, c);
}

static void sctp_all_acked(void *user)
{
    lkc_peer_t *p = user;
    if (p->cb.on_channels_acked)
        p->cb.on_channels_acked(p->user);
}

static void sctp_sendable(void *user)
{
    lkc_peer_t *p = user;
    if (p->cb.on_channels_sendable)
        p->cb.on_channels_sendable(p->user);
}

static void sctp_closed(void *user, const char *reason)
{
    lkc_peer_t *p = user;
    char msg[160];
    g_snprintf(msg, sizeof msg, "SCTP association lost: %s", reason ? reason : "");
    lkc_peer_set_state(p, LKC_PEER_FAILED, msg);
}

void lkc_peer_start_sctp(lkc_peer_t *p)
{
    if (p->sctp || !p->remote_has_data || !p->srtp)
        return;
    lkc_sctp_config_t cfg = {
        .ctx = p->ctx,
        .dtls_client = p->dtls_role == LKC_DTLS_CLIENT,
        .remote_port = p->remote_sctp_port,
        .remote_max_message_size = p->remote_max_message,
        .cb = {.send = sctp_send, .on_connected = sctp_connected, .on_channel_open = sctp_channel_open,
               .on_message = sctp_message, .on_channel_closed = sctp_channel_closed, .on_closed = sctp_closed, .on_sendable = sctp_sendable,
               .on_all_acked = sctp_all_acked},
        .user = p,
    };
    int rc = lkc_sctp_new(&cfg, &p->sctp);
    if (rc != LKC_OK) {
        lkc_peer_set_state(p, LKC_PEER_FAILED, "cannot create the SCTP association");
        return;
    }
    request_channels(p);
    lkc_sctp_start(p->sctp);
}
