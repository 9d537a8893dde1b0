/* ICE over libnice 0.1.21: one stream, one component, trickle, consent freshness. This
 * file holds the agent's life (creation with its policy, addresses and servers, restart,
 * free), libnice's signal handlers, the data path and the stats; gathering, candidates and
 * the remote credentials are in ice_candidates.c.
 *
 * libnice emits its signals synchronously from inside its API calls as well as from ctx
 * sources, so a user callback can run while one of our functions is on the stack. `depth`
 * counts how many of our frames are active; lkc_ice_free() at depth > 0 only disables
 * callbacks and leaves the release of the struct and agent to an idle source. */
#include "rtc/ice.h"

#include <arpa/inet.h>
#include <nice/agent.h>
#include <nice/interfaces.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/rand.h"
#include "lkc/error.h"
#include "rtc/candidate.h"
#include "rtc/ice_internal.h"

#define MAX_DATAGRAM 0xF800      /* libnice splits larger sends over ICE-TCP */
#define DEFAULT_GATHER_TIMEOUT_MS 5000
#define UFRAG_LEN 8              /* RFC 8445: >= 4 chars / 24 bits */
#define PWD_LEN 24               /* RFC 8445: >= 22 chars / 128 bits */
#define ICE_PACING_MS 5          /* RFC 8445 14.2: Ta no less than 5 ms */
#define RECV_BUFFER_BYTES (1 << 20) /* a data burst from the server fits (see below) */

static const char *const state_names[] = {"new",    "checking", "connected",
                                          "disconnected", "failed", "closed"};

const char *lkc_ice_state_str(lkc_ice_state_t s)
{
    return (unsigned)s < sizeof state_names / sizeof *state_names ? state_names[s] : "unknown";
}

/* ------------------------------------------------------------------ reporting to the user */

static void set_state(lkc_ice_t *ice, lkc_ice_state_t s)
{
    if (ice->closed || s == ice->state)
        return;
    LKC_LOGD(MOD, "%p state %s -> %s", (void *)ice, lkc_ice_state_str(ice->state),
             lkc_ice_state_str(s));
    ice->state = s;
    if (ice->on_state) {
        ice->depth++;
        ice->on_state(ice->user, s);
        ice->depth--;
    }
}

/* "ip:port" or "[ip6]:port" */
static void addr_to_string(const NiceAddress *a, char *buf, size_t size)
{
    char ip[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(a, ip);
    snprintf(buf, size, nice_address_ip_version(a) == 6 ? "[%s]:%u" : "%s:%u", ip,
             nice_address_get_port(a));
}

/* ----------------------------------------------------------------- libnice signal handlers */

static void on_nice_candidate(NiceAgent *agent, NiceCandidate *nc, gpointer data)
{
    lkc_ice_t *ice = data;
    /* Between a restart and the next lkc_ice_gather, lkc_ice_gather reports them all. */
    if (ice->gather_requested)
        lkc_ice_report_candidate(ice, nc);
}

static void on_nice_gathering_done(NiceAgent *agent, guint stream_id, gpointer data)
{
    lkc_ice_t *ice = data;
    if (stream_id != ice->stream_id)
        return;
    ice->nice_gather_done = true;
    LKC_LOGD(MOD, "%p gathering done", (void *)ice);
    lkc_ice_report_gathering_done(ice);
}

static void on_nice_state(NiceAgent *agent, guint stream_id, guint component_id, guint state,
                          gpointer data)
{
    lkc_ice_t *ice = data;
    if (stream_id != ice->stream_id || component_id != COMPONENT)
        return;
    LKC_LOGD(MOD, "%p libnice state %s", (void *)ice,
             nice_component_state_to_string((NiceComponentState)state));
    lkc_ice_state_t s = ice->state;
    switch ((NiceComponentState)state) {
    case NICE_COMPONENT_STATE_DISCONNECTED:
    case NICE_COMPONENT_STATE_GATHERING:
        /* GATHERING again after nice_agent_restart_stream: a restart is under way */
        s = ice->state == LKC_ICE_NEW ? LKC_ICE_NEW : LKC_ICE_CHECKING;
        break;
    case NICE_COMPONENT_STATE_CONNECTING:
        /* libnice steps back to CONNECTING when the selected pair's socket died */
        s = (ice->state == LKC_ICE_CONNECTED || ice->state == LKC_ICE_DISCONNECTED)
                ? LKC_ICE_DISCONNECTED
                : LKC_ICE_CHECKING;
        break;
    case NICE_COMPONENT_STATE_CONNECTED:
    case NICE_COMPONENT_STATE_READY:
        s = LKC_ICE_CONNECTED;
        break;
    case NICE_COMPONENT_STATE_FAILED:
        s = LKC_ICE_FAILED;
        break;
    default:
        break;
    }
    set_state(ice, s);
}

/* The kernel's default UDP receive buffer (~208 KiB) overflows when the server forwards
 * a burst of data packets faster than this thread reads them for a moment; the sender's
 * SCTP then retransmits only after its 1 s minimum RTO (seen as 1 s stalls of 2 MB
 * bursts). Ask for more on the selected socket; the kernel caps it at rmem_max. */
static void enlarge_receive_buffer(lkc_ice_t *ice)
{
    GSocket *sock = nice_agent_get_selected_socket(ice->agent, ice->stream_id, COMPONENT);
    if (!sock)
        return; /* relayed or TCP: libnice keeps no plain UDP socket for the pair */
    GError *err = NULL;
    gint got = 0;
    if (!g_socket_set_option(sock, SOL_SOCKET, SO_RCVBUF, RECV_BUFFER_BYTES, &err) ||
        !g_socket_get_option(sock, SOL_SOCKET, SO_RCVBUF, &got, NULL))
        LKC_LOGD(MOD, "%p cannot enlarge the receive buffer: %s", (void *)ice, err ? err->message : "?");
    else
        LKC_LOGD(MOD, "%p receive buffer %d bytes", (void *)ice, got);
    g_clear_error(&err);
    g_object_unref(sock);
}

static void on_nice_selected_pair(NiceAgent *agent, guint stream_id, guint component_id,
                                  NiceCandidate *local, NiceCandidate *remote, gpointer data)
{
    lkc_ice_t *ice = data;
    if (ice->closed || stream_id != ice->stream_id || component_id != COMPONENT)
        return;
    if (lkc_log_enabled(LKC_LOG_DEBUG)) {
        char l[64], r[64];
        addr_to_string(&local->addr, l, sizeof l);
        addr_to_string(&remote->addr, r, sizeof r);
        LKC_LOGD(MOD, "%p selected pair %s %s -> %s %s", (void *)ice,
                 lkc_candidate_type_str(lkc_candidate_type_from_nice(local->type)), l,
                 lkc_candidate_type_str(lkc_candidate_type_from_nice(remote->type)), r);
    }
    enlarge_receive_buffer(ice);
    if (ice->on_selected_pair) {
        ice->depth++;
        ice->on_selected_pair(ice->user);
        ice->depth--;
    }
}

static void on_nice_recv(NiceAgent *agent, guint stream_id, guint component_id, guint len,
                         gchar *buf, gpointer data)
{
    lkc_ice_t *ice = data;
    if (ice->closed)
        return;
    ice->packets_received++;
    ice->bytes_received += len;
    if (ice->on_recv) {
        ice->depth++;
        ice->on_recv(ice->user, (const uint8_t *)buf, len);
        ice->depth--;
    }
}

/* ------------------------------------------------------------------------------- creation */

/* Ours, from the CSPRNG: libnice's own come from a non-cryptographic GRand. */
static bool set_fresh_credentials(lkc_ice_t *ice)
{
    char ufrag[UFRAG_LEN + 1], pwd[PWD_LEN + 1];
    lkc_random_alnum(ufrag, UFRAG_LEN);
    lkc_random_alnum(pwd, PWD_LEN);
    bool ok = nice_agent_set_local_credentials(ice->agent, ice->stream_id, ufrag, pwd);
    memset(pwd, 0, sizeof pwd);
    return ok;
}

/* 169.254/16 or fe80::/10 (libnice's own test for it is not exported). */
static bool is_link_local(const char *ip)
{
    char bare[64];
    g_strlcpy(bare, ip, sizeof bare);
    char *scope = strchr(bare, '%'); /* libnice lists IPv6 link-local ones as fe80::1%eth0 */
    if (scope)
        *scope = '\0';
    unsigned char b[16];
    if (inet_pton(AF_INET, bare, b) == 1)
        return b[0] == 169 && b[1] == 254;
    if (inet_pton(AF_INET6, bare, b) == 1)
        return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
    return false;
}

/* The addresses to gather on, as NiceAddresses. Every local IP including loopback unless
 * the config names some: libnice alone skips loopback, and a server in a loopback-only
 * setup offers nothing else. IPv4/IPv6 link-local ones are useless to a remote peer. */
static int collect_addresses(const lkc_ice_config_t *cfg, GSList **out)
{
    *out = NULL;
    if (cfg->n_local_addresses > 0) {
        for (size_t i = 0; i < cfg->n_local_addresses; i++) {
            NiceAddress *a = nice_address_new();
            const char *s = cfg->local_addresses ? cfg->local_addresses[i] : NULL;
            if (!s || !nice_address_set_from_string(a, s)) {
                LKC_LOGE(MOD, "local address %zu is not an IP literal", i);
                nice_address_free(a);
                g_slist_free_full(*out, (GDestroyNotify)nice_address_free);
                *out = NULL;
                return LKC_ERR_INVALID_ARG;
            }
            *out = g_slist_append(*out, a);
        }
        return LKC_OK;
    }
    GList *ips = nice_interfaces_get_local_ips(TRUE);
    for (GList *l = ips; l; l = l->next) {
        NiceAddress *a = nice_address_new();
        if (!is_link_local(l->data) && nice_address_set_from_string(a, l->data))
            *out = g_slist_append(*out, a);
        else
            nice_address_free(a);
    }
    g_list_free_full(ips, g_free);
    if (!*out) {
        LKC_LOGE(MOD, "no local IP address to gather on");
        return LKC_ERR_IO;
    }
    return LKC_OK;
}

int lkc_ice_new(const lkc_ice_config_t *cfg, lkc_ice_t **out)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    if (!cfg || !cfg->ctx || (unsigned)cfg->policy > LKC_ICE_POLICY_RELAY_ONLY ||
        (cfg->n_servers && !cfg->servers))
        return LKC_ERR_INVALID_ARG;

    GSList *addrs = NULL;
    int rc = collect_addresses(cfg, &addrs);
    if (rc != LKC_OK)
        return rc;

    lkc_ice_t *ice = calloc(1, sizeof *ice);
    if (!ice) {
        g_slist_free_full(addrs, (GDestroyNotify)nice_address_free);
        return LKC_ERR_NO_MEMORY;
    }
    ice->policy = cfg->policy;
    ice->gather_timeout_ms = cfg->gather_timeout_ms ? cfg->gather_timeout_ms
                                                    : DEFAULT_GATHER_TIMEOUT_MS;
    ice->user = cfg->user;
    ice->on_local_candidate = cfg->on_local_candidate;
    ice->on_gathering_done = cfg->on_gathering_done;
    ice->on_state = cfg->on_state;
    ice->on_recv = cfg->on_recv;
    ice->on_selected_pair = cfg->on_selected_pair;
    ice->state = LKC_ICE_NEW;

    /* Creating the agent, its stream and settings starts nothing: no socket, no source,
     * until nice_agent_gather_candidates. */
    NiceAgentOption opts = NICE_AGENT_OPTION_ICE_TRICKLE | NICE_AGENT_OPTION_CONSENT_FRESHNESS;
    if (cfg->controlling)
        opts |= NICE_AGENT_OPTION_REGULAR_NOMINATION;
    ice->agent = nice_agent_new_full(cfg->ctx, NICE_COMPATIBILITY_RFC5245, opts);
    if (!ice->agent) {
        rc = LKC_ERR_INTERNAL;
        goto fail;
    }
    bool tcp = cfg->policy == LKC_ICE_POLICY_ALL || cfg->policy == LKC_ICE_POLICY_TCP_ONLY;
    g_object_set(ice->agent, "controlling-mode", (gboolean)cfg->controlling, "upnp", FALSE,
                 "ice-tcp", (gboolean)tcp, "ice-udp",
                 (gboolean)(cfg->policy != LKC_ICE_POLICY_TCP_ONLY), "force-relay",
                 (gboolean)(cfg->policy == LKC_ICE_POLICY_RELAY_ONLY),
                 /* Ta: libnice paces checks 20 ms apart; RFC 8445 allows down to 5 ms, and
                  * with the few pairs a LiveKit server offers that cuts the join by ~60 ms */
                 "stun-pacing-timer", (guint)ICE_PACING_MS, NULL);
    for (GSList *l = addrs; l; l = l->next) {
        if (!nice_agent_add_local_address(ice->agent, l->data)) {
            rc = LKC_ERR_INTERNAL;
            goto fail;
        }
    }
    ice->stream_id = nice_agent_add_stream(ice->agent, 1);
    if (ice->stream_id == 0) {
        rc = LKC_ERR_INTERNAL;
        goto fail;
    }
    nice_agent_set_stream_name(ice->agent, ice->stream_id, "application");
    if (!set_fresh_credentials(ice)) {
        rc = LKC_ERR_INTERNAL;
        goto fail;
    }
    ice->queued = g_array_new(FALSE, FALSE, sizeof(lkc_candidate_t));
    ice->n_turn = lkc_ice_server_apply(ice->agent, ice->stream_id, COMPONENT,
                                           cfg->policy != LKC_ICE_POLICY_TCP_ONLY,
                                           cfg->policy == LKC_ICE_POLICY_RELAY_ONLY,
                                           cfg->servers, cfg->n_servers);
    if (cfg->policy == LKC_ICE_POLICY_RELAY_ONLY && ice->n_turn == 0)
        LKC_LOGW(MOD, "relay-only policy without a usable TURN server: no candidates");

    /* Everything fallible is done: connect callbacks. */
    g_signal_connect(ice->agent, "new-candidate-full", G_CALLBACK(on_nice_candidate), ice);
    g_signal_connect(ice->agent, "candidate-gathering-done",
                     G_CALLBACK(on_nice_gathering_done), ice);
    g_signal_connect(ice->agent, "component-state-changed", G_CALLBACK(on_nice_state), ice);
    g_signal_connect(ice->agent, "new-selected-pair-full", G_CALLBACK(on_nice_selected_pair),
                     ice);
    nice_agent_attach_recv(ice->agent, ice->stream_id, COMPONENT, cfg->ctx, on_nice_recv, ice);
    ice->ctx = g_main_context_ref(cfg->ctx);
    g_slist_free_full(addrs, (GDestroyNotify)nice_address_free);
    LKC_LOGD(MOD, "%p created (%s, policy %d)", (void *)ice,
             cfg->controlling ? "controlling" : "controlled", (int)cfg->policy);
    *out = ice;
    return LKC_OK;

fail:
    LKC_LOGE(MOD, "cannot create the ICE agent");
    if (ice->agent)
        g_object_unref(ice->agent);
    g_slist_free_full(addrs, (GDestroyNotify)nice_address_free);
    free(ice);
    return rc;
}

int lkc_ice_get_local_credentials(lkc_ice_t *ice, char *ufrag, size_t ufrag_size, char *pwd,
                                  size_t pwd_size)
{
    if (!ice || !ufrag || !pwd || !ufrag_size || !pwd_size)
        return LKC_ERR_INVALID_ARG;
    if (ice->closed)
        return LKC_ERR_CLOSED;
    gchar *u = NULL, *p = NULL;
    if (!nice_agent_get_local_credentials(ice->agent, ice->stream_id, &u, &p))
        return LKC_ERR_INTERNAL;
    int rc = LKC_OK;
    if (strlen(u) >= ufrag_size || strlen(p) >= pwd_size)
        rc = LKC_ERR_TOO_LARGE;
    else {
        memcpy(ufrag, u, strlen(u) + 1);
        memcpy(pwd, p, strlen(p) + 1);
    }
    g_free(u);
    if (p)
        memset(p, 0, strlen(p));
    g_free(p);
    return rc;
}

/* ------------------------------------------------------------------------------- data path */

int lkc_ice_send(lkc_ice_t *ice, const uint8_t *buf, size_t len)
{
    if (!ice || !buf || len == 0)
        return LKC_ERR_INVALID_ARG;
    if (ice->closed)
        return LKC_ERR_CLOSED;
    if (len > MAX_DATAGRAM)
        return LKC_ERR_TOO_LARGE;
    NiceCandidate *l = NULL, *r = NULL;
    if (!nice_agent_get_selected_pair(ice->agent, ice->stream_id, COMPONENT, &l, &r))
        return LKC_ERR_STATE;

    GOutputVector vec = {.buffer = buf, .size = len};
    NiceOutputMessage msg = {.buffers = &vec, .n_buffers = 1};
    GError *err = NULL;
    ice->depth++;
    gint n = nice_agent_send_messages_nonblocking(ice->agent, ice->stream_id, COMPONENT, &msg, 1,
                                                  NULL, &err);
    ice->depth--;
    if (n == 1) {
        ice->packets_sent++;
        ice->bytes_sent += len;
        return (int)len;
    }
    int rc = LKC_ERR_IO;
    if (err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        rc = LKC_ERR_WOULD_BLOCK;
    else if (err && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        rc = LKC_ERR_STATE; /* consent revoked */
    LKC_LOGT(MOD, "%p send of %zu bytes failed: %s", (void *)ice, len,
             err ? err->message : "?");
    g_clear_error(&err);
    return rc;
}

int lkc_ice_restart(lkc_ice_t *ice)
{
    int rc = usable(ice);
    if (rc != LKC_OK)
        return rc;
    lkc_ice_stop_gather_timer(ice);
    ice->gather_requested = false;
    ice->done_reported = false;
    ice->have_remote_creds = false;
    memset(ice->remote_pwd, 0, sizeof ice->remote_pwd);
    ice->remote_ufrag[0] = '\0';
    g_array_set_size(ice->queued, 0);

    ice->depth++;
    gboolean ok = nice_agent_restart_stream(ice->agent, ice->stream_id);
    ice->depth--;
    if (!ok)
        return LKC_ERR_INTERNAL;
    if (ice->closed)
        return LKC_OK;
    if (!set_fresh_credentials(ice))
        return LKC_ERR_INTERNAL;
    LKC_LOGD(MOD, "%p ICE restart", (void *)ice);
    return LKC_OK;
}

/* ---------------------------------------------------------------------------------- queries */
int lkc_ice_get_stats(lkc_ice_t *ice, lkc_ice_stats_t *out)
{
    if (!ice || !out)
        return LKC_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    out->bytes_sent = ice->bytes_sent;
    out->packets_sent = ice->packets_sent;
    out->bytes_received = ice->bytes_received;
    out->packets_received = ice->packets_received;
    out->state = ice->state;
    out->state_str = lkc_ice_state_str(ice->state);
    if (ice->closed)
        return LKC_OK;
    NiceCandidate *l = NULL, *r = NULL;
    if (nice_agent_get_selected_pair(ice->agent, ice->stream_id, COMPONENT, &l, &r) && l && r) {
        out->has_selected_pair = true;
        snprintf(out->transport, sizeof out->transport, "%s",
                 l->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp");
        snprintf(out->local_type, sizeof out->local_type, "%s",
                 lkc_candidate_type_str(lkc_candidate_type_from_nice(l->type)));
        snprintf(out->remote_type, sizeof out->remote_type, "%s",
                 lkc_candidate_type_str(lkc_candidate_type_from_nice(r->type)));
        addr_to_string(&l->addr, out->local_addr, sizeof out->local_addr);
        addr_to_string(&r->addr, out->remote_addr, sizeof out->remote_addr);
    }
    return LKC_OK;
}

/* ---------------------------------------------------------------------------------- freeing */

static void release(gpointer data)
{
    lkc_ice_t *ice = data;
    nice_agent_attach_recv(ice->agent, ice->stream_id, COMPONENT, ice->ctx, NULL, NULL);
    lkc_ice_close_agent(ice->agent, ice->ctx, ice->n_turn > 0);
    g_array_free(ice->queued, TRUE);
    g_main_context_unref(ice->ctx);
    memset(ice->remote_pwd, 0, sizeof ice->remote_pwd);
    free(ice);
}

static gboolean release_later(gpointer data)
{
    return G_SOURCE_REMOVE; /* the work is in the destroy notify: it also runs if ctx dies */
}

void lkc_ice_free(lkc_ice_t *ice)
{
    if (!ice || ice->closed)
        return;
    ice->closed = true;
    ice->state = LKC_ICE_CLOSED;
    /* From here no libnice signal reaches us, and on_nice_recv checks `closed`. */
    g_signal_handlers_disconnect_by_data(ice->agent, ice);
    lkc_ice_stop_gather_timer(ice);
    LKC_LOGD(MOD, "%p freed%s", (void *)ice, ice->depth ? " (from a callback: deferred)" : "");
    if (ice->depth > 0) {
        GSource *s = g_idle_source_new();
        g_source_set_priority(s, G_PRIORITY_HIGH);
        g_source_set_callback(s, release_later, ice, release);
        g_source_attach(s, ice->ctx);
        g_source_unref(s);
        return;
    }
    release(ice);
}
