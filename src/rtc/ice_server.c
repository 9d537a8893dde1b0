/* STUN/TURN URL parsing, strict on shape (these come from a server: a typo should be seen in
 * the log, not guessed around) and case-insensitive where the RFCs say so; and handing the
 * servers to libnice. */
#include "rtc/ice_server.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "lkc/error.h"

#define MOD "rtc.ice"
#define URL_MAX 512

static const struct {
    const char *name;
    lkc_ice_server_scheme_t scheme;
    uint16_t port;
    lkc_ice_server_transport_t transport;
} schemes[] = {
    {"stun", LKC_ICE_SERVER_STUN, 3478, LKC_ICE_SERVER_UDP},
    {"stuns", LKC_ICE_SERVER_STUNS, 5349, LKC_ICE_SERVER_TCP},
    {"turn", LKC_ICE_SERVER_TURN, 3478, LKC_ICE_SERVER_UDP},
    {"turns", LKC_ICE_SERVER_TURNS, 5349, LKC_ICE_SERVER_TCP},
};

const char *lkc_ice_server_scheme_str(lkc_ice_server_scheme_t s)
{
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++)
        if (schemes[i].scheme == s)
            return schemes[i].name;
    return "unknown";
}
static bool valid_hostname(const char *s, size_t n)
{
    if (n == 0 || n > LKC_ICE_SERVER_HOST_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return false;
    }
    return s[0] != '.' && s[0] != '-';
}

static int bad(const char *url, const char *why)
{
    LKC_LOGW(MOD, "bad ICE server URL (%s): %.100s", why, url);
    return LKC_ERR_INVALID_ARG;
}

static int parse_url(const char *url, lkc_ice_server_url_t *out)
{
    size_t len = strlen(url);
    if (len > URL_MAX)
        return bad(url, "too long");

    const char *colon = strchr(url, ':');
    if (!colon)
        return bad(url, "no scheme");
    size_t slen = (size_t)(colon - url);
    bool known = false;
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
        if (strlen(schemes[i].name) == slen && strncasecmp(url, schemes[i].name, slen) == 0) {
            out->scheme = schemes[i].scheme;
            out->port = schemes[i].port;
            out->transport = schemes[i].transport;
            known = true;
        }
    }
    if (!known)
        return bad(url, "unknown scheme");

    const char *p = colon + 1;
    if (p[0] == '/')
        return bad(url, "'//' is not part of a STUN/TURN URL");
    const char *query = strchr(p, '?');
    const char *end = query ? query : url + len;
    if (memchr(p, '@', (size_t)(end - p)))
        return bad(url, "userinfo is not allowed");

    /* host: [v6] or name/IPv4 up to the last ':' */
    const char *host = p, *host_end, *port_str = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb)
            return bad(url, "unclosed '['");
        host = p + 1;
        host_end = rb;
        char v6[INET6_ADDRSTRLEN + 1];
        size_t n = (size_t)(host_end - host);
        if (n == 0 || n >= sizeof v6)
            return bad(url, "IPv6 literal");
        memcpy(v6, host, n);
        v6[n] = '\0';
        unsigned char bin[16];
        if (inet_pton(AF_INET6, v6, bin) != 1)
            return bad(url, "IPv6 literal");
        if (rb + 1 < end) {
            if (rb[1] != ':')
                return bad(url, "junk after ']'");
            port_str = rb + 2;
        }
    } else {
        const char *pc = memchr(p, ':', (size_t)(end - p));
        host_end = pc ? pc : end;
        if (pc)
            port_str = pc + 1;
        if (!valid_hostname(host, (size_t)(host_end - host)))
            return bad(url, "host");
    }
    size_t hlen = (size_t)(host_end - host);
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';

    if (port_str) {
        size_t n = (size_t)(end - port_str);
        if (n == 0 || n > 5)
            return bad(url, "port");
        unsigned v = 0;
        for (size_t i = 0; i < n; i++) {
            if (port_str[i] < '0' || port_str[i] > '9')
                return bad(url, "port");
            v = v * 10 + (unsigned)(port_str[i] - '0');
        }
        if (v == 0 || v > 65535)
            return bad(url, "port");
        out->port = (uint16_t)v;
    }

    if (query) {
        if (out->scheme == LKC_ICE_SERVER_STUN || out->scheme == LKC_ICE_SERVER_STUNS)
            return bad(url, "stun URLs take no query");
        const char *q = query + 1;
        if (strncasecmp(q, "transport=", 10) != 0)
            return bad(url, "unknown query");
        q += 10;
        if (strcasecmp(q, "udp") == 0)
            out->transport = LKC_ICE_SERVER_UDP;
        else if (strcasecmp(q, "tcp") == 0)
            out->transport = LKC_ICE_SERVER_TCP;
        else
            return bad(url, "transport");
    }
    return LKC_OK;
}

int lkc_ice_server_parse_url(const char *url, lkc_ice_server_url_t *out)
{
    if (!url || !out)
        return LKC_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    int rc = parse_url(url, out);
    if (rc != LKC_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

/* One odd entry from a signalling server must not cost the connection: skip and log. */
unsigned lkc_ice_server_apply(NiceAgent *agent, guint stream_id, guint component_id, bool udp_ok,
                              bool relay_only, const lkc_ice_server_t *servers, size_t n_servers)
{
    bool have_stun = false;
    unsigned n_turn = 0;
    for (size_t i = 0; servers && i < n_servers; i++) {
        const lkc_ice_server_t *srv = &servers[i];
        for (size_t j = 0; srv->urls && j < srv->n_urls; j++) {
            lkc_ice_server_url_t u;
            if (!srv->urls[j] || lkc_ice_server_parse_url(srv->urls[j], &u) != LKC_OK)
                continue; /* logged by the parser */
            bool tcp = u.transport == LKC_ICE_SERVER_TCP;
            switch (u.scheme) {
            case LKC_ICE_SERVER_STUN:
                if (have_stun || !udp_ok || relay_only) {
                    LKC_LOGD(MOD, "STUN %s:%u not used (libnice takes one; or policy)", u.host,
                             u.port);
                    break;
                }
                g_object_set(agent, "stun-server", u.host, "stun-server-port", (guint)u.port,
                             NULL);
                have_stun = true;
                LKC_LOGD(MOD, "STUN %s:%u", u.host, u.port);
                break;
            case LKC_ICE_SERVER_STUNS:
            case LKC_ICE_SERVER_TURNS:
                LKC_LOGW(MOD, "%s:%s:%u skipped: libnice cannot do TLS to ICE servers",
                         lkc_ice_server_scheme_str(u.scheme), u.host, u.port);
                break;
            case LKC_ICE_SERVER_TURN:
                if (!tcp && !udp_ok) {
                    LKC_LOGD(MOD, "TURN/UDP %s:%u not used with TCP only", u.host, u.port);
                } else if (!srv->username || !srv->credential) {
                    LKC_LOGW(MOD, "TURN %s:%u skipped: no username/credential", u.host, u.port);
                } else if (n_turn >= 8) { /* NICE_CANDIDATE_MAX_TURN_SERVERS */
                    LKC_LOGW(MOD, "TURN %s:%u skipped: too many TURN servers", u.host, u.port);
                } else if (!nice_agent_set_relay_info(agent, stream_id, component_id, u.host,
                                                      u.port, srv->username, srv->credential,
                                                      tcp ? NICE_RELAY_TYPE_TURN_TCP
                                                          : NICE_RELAY_TYPE_TURN_UDP)) {
                    LKC_LOGW(MOD, "TURN %s:%u rejected by libnice", u.host, u.port);
                } else {
                    n_turn++;
                    LKC_LOGD(MOD, "TURN/%s %s:%u", tcp ? "TCP" : "UDP", u.host, u.port);
                }
                break;
            }
        }
    }
    return n_turn;
}
