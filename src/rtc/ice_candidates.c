/* ICE candidates both ways, and what gates them. Local: gathering (once per agent; after a
 * restart the kept candidates are reported again), each candidate reported as
 * "candidate:..." text unless the policy hides it, and gathering done when libnice finishes
 * or the gathering timer fires. Remote: the peer's credentials, and its candidates, queued
 * until both the credentials and gathering are there, then handed to libnice. */
#include "rtc/ice.h"

#include <nice/agent.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "lkc/error.h"
#include "rtc/candidate.h"
#include "rtc/ice_internal.h"

#define MAX_QUEUED 64            /* remote candidates held before creds/gather */

static void apply_queued(lkc_ice_t *ice);

/* ------------------------------------------------------------------------- local, gathering */

void lkc_ice_stop_gather_timer(lkc_ice_t *ice)
{
    if (ice->gather_timer) {
        g_source_destroy(ice->gather_timer);
        g_source_unref(ice->gather_timer);
        ice->gather_timer = NULL;
    }
}

void lkc_ice_report_gathering_done(lkc_ice_t *ice)
{
    if (ice->closed || !ice->gather_requested || ice->done_reported)
        return;
    ice->done_reported = true;
    lkc_ice_stop_gather_timer(ice);
    if (ice->on_gathering_done) {
        ice->depth++;
        ice->on_gathering_done(ice->user);
        ice->depth--;
    }
}

void lkc_ice_report_candidate(lkc_ice_t *ice, const NiceCandidate *nc)
{
    if (ice->closed || nc->component_id != COMPONENT)
        return;
    /* Peer-reflexive locals are learnt by the peer from our checks; never signalled. */
    if (nc->type == NICE_CANDIDATE_TYPE_PEER_REFLEXIVE)
        return;
    if (ice->policy == LKC_ICE_POLICY_RELAY_ONLY && nc->type != NICE_CANDIDATE_TYPE_RELAYED)
        return;
    char attr[LKC_CANDIDATE_ATTR_MAX + 1];
    lkc_candidate_t c;
    lkc_candidate_from_nice(nc, &c);
    if (lkc_candidate_format(&c, attr, sizeof attr) < 0) {
        LKC_LOGW(MOD, "cannot format a local candidate; skipped");
        return;
    }
    LKC_LOGD(MOD, "%p local %s", (void *)ice, attr);
    if (ice->on_local_candidate) {
        ice->depth++;
        ice->on_local_candidate(ice->user, attr);
        ice->depth--;
    }
}

static gboolean on_gather_timeout(gpointer data)
{
    lkc_ice_t *ice = data;
    g_source_unref(ice->gather_timer);
    ice->gather_timer = NULL;
    LKC_LOGI(MOD, "%p gathering not finished after %u ms (STUN/TURN server silent?); "
             "reporting done", (void *)ice, ice->gather_timeout_ms);
    lkc_ice_report_gathering_done(ice);
    return G_SOURCE_REMOVE;
}

int lkc_ice_gather(lkc_ice_t *ice)
{
    int rc = usable(ice);
    if (rc != LKC_OK)
        return rc;
    if (ice->gather_requested)
        return LKC_OK;
    ice->gather_requested = true;
    ice->done_reported = false;

    GSource *t = g_timeout_source_new(ice->gather_timeout_ms);
    g_source_set_callback(t, on_gather_timeout, ice, NULL);
    g_source_attach(t, ice->ctx);
    ice->gather_timer = t;

    if (!ice->gathering_started) {
        ice->gathering_started = true;
        ice->depth++;
        gboolean ok = nice_agent_gather_candidates(ice->agent, ice->stream_id);
        ice->depth--;
        if (!ok) {
            LKC_LOGE(MOD, "%p libnice could not start gathering", (void *)ice);
            lkc_ice_stop_gather_timer(ice);
            ice->gather_requested = false;
            return LKC_ERR_IO;
        }
    } else {
        /* After a restart: same local candidates, new credentials; tell the peer again. */
        GSList *list = nice_agent_get_local_candidates(ice->agent, ice->stream_id, COMPONENT);
        ice->depth++;
        for (GSList *l = list; l && !ice->closed; l = l->next)
            lkc_ice_report_candidate(ice, l->data);
        ice->depth--;
        g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
        if (ice->nice_gather_done)
            lkc_ice_report_gathering_done(ice);
    }
    if (!ice->closed)
        apply_queued(ice);
    return LKC_OK;
}

/* ------------------------------------------------------------------------------- remote */

static int add_to_nice(lkc_ice_t *ice, const lkc_candidate_t *c)
{
    NiceCandidate *nc = lkc_candidate_to_nice(c, ice->stream_id);
    if (!nc)
        return LKC_ERR_UNSUPPORTED; /* a name, not an IP: checked by the caller already */
    GSList one = {.data = nc, .next = NULL};
    ice->depth++;
    int n = nice_agent_set_remote_candidates(ice->agent, ice->stream_id, COMPONENT, &one);
    ice->depth--;
    nice_candidate_free(nc);
    if (n < 0) {
        LKC_LOGW(MOD, "%p libnice refused a remote candidate", (void *)ice);
        return LKC_ERR_INTERNAL;
    }
    LKC_LOGD(MOD, "%p remote %s %s:%u %s%s", (void *)ice, lkc_candidate_type_str(c->type),
             c->address, c->port, lkc_candidate_transport_str(c->transport),
             n == 0 ? " (known already)" : "");
    return LKC_OK;
}

static void apply_queued(lkc_ice_t *ice)
{
    if (!ice->have_remote_creds || !ice->gathering_started)
        return;
    /* The array lives until the struct is released, which a callback can only defer. */
    for (guint i = 0; i < ice->queued->len && !ice->closed; i++)
        add_to_nice(ice, &g_array_index(ice->queued, lkc_candidate_t, i));
    if (!ice->closed)
        g_array_set_size(ice->queued, 0);
}

/* ICE credentials: 1..256 visible ASCII characters, no ':' (it joins them in USERNAME). */
static bool valid_credential(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CRED_MAX)
        return false;
    for (; *s; s++)
        if (*s <= 0x20 || *s >= 0x7f || *s == ':')
            return false;
    return true;
}

int lkc_ice_set_remote_credentials(lkc_ice_t *ice, const char *ufrag, const char *pwd)
{
    if (!ice || !ufrag || !pwd)
        return LKC_ERR_INVALID_ARG;
    if (ice->closed)
        return LKC_ERR_CLOSED;
    if (!valid_credential(ufrag) || !valid_credential(pwd)) {
        LKC_LOGW(MOD, "%p malformed remote ICE credentials", (void *)ice);
        return LKC_ERR_PROTOCOL;
    }
    if (ice->have_remote_creds) {
        if (strcmp(ufrag, ice->remote_ufrag) == 0 && strcmp(pwd, ice->remote_pwd) == 0)
            return LKC_OK;
        LKC_LOGW(MOD, "%p remote ICE credentials changed without lkc_ice_restart", (void *)ice);
        return LKC_ERR_STATE;
    }
    ice->depth++;
    gboolean ok = nice_agent_set_remote_credentials(ice->agent, ice->stream_id, ufrag, pwd);
    ice->depth--;
    if (!ok)
        return LKC_ERR_INTERNAL;
    memcpy(ice->remote_ufrag, ufrag, strlen(ufrag) + 1);
    memcpy(ice->remote_pwd, pwd, strlen(pwd) + 1);
    ice->have_remote_creds = true;
    if (!ice->closed)
        apply_queued(ice);
    return LKC_OK;
}

int lkc_ice_add_remote_candidate(lkc_ice_t *ice, const char *attr)
{
    if (!ice || !attr)
        return LKC_ERR_INVALID_ARG;
    if (ice->closed)
        return LKC_ERR_CLOSED;
    lkc_candidate_t c;
    int rc = lkc_candidate_parse(attr, &c);
    if (rc != LKC_OK) {
        LKC_LOGW(MOD, "%p malformed remote candidate: %.120s", (void *)ice, attr);
        return rc;
    }
    if (c.component != COMPONENT) {
        LKC_LOGD(MOD, "%p remote candidate for component %u ignored (rtcp-mux)", (void *)ice,
                 (unsigned)c.component);
        return LKC_OK;
    }
    size_t alen = strlen(c.address);
    if (alen > 6 && strcasecmp(c.address + alen - 6, ".local") == 0) {
        LKC_LOGD(MOD, "%p mDNS candidate ignored", (void *)ice);
        return LKC_OK;
    }
    NiceAddress probe;
    if (!nice_address_set_from_string(&probe, c.address)) {
        LKC_LOGW(MOD, "%p remote candidate with a DNS name ignored: %s", (void *)ice, c.address);
        return LKC_ERR_UNSUPPORTED;
    }
    if (!ice->have_remote_creds || !ice->gathering_started) {
        if (ice->queued->len >= MAX_QUEUED) {
            LKC_LOGW(MOD, "%p too many early remote candidates; dropped", (void *)ice);
            return LKC_ERR_WOULD_BLOCK;
        }
        g_array_append_val(ice->queued, c);
        return LKC_OK;
    }
    return add_to_nice(ice, &c);
}

int lkc_ice_set_remote_gathering_done(lkc_ice_t *ice)
{
    int rc = usable(ice);
    if (rc != LKC_OK)
        return rc;
    ice->depth++;
    gboolean ok = nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream_id);
    ice->depth--;
    return ok ? LKC_OK : LKC_ERR_INTERNAL;
}

