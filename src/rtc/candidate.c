/* ICE candidate attribute text and RTCIceCandidateInit JSON. The parser is strict about the
 * fixed fields and lenient about the trailing key/value pairs, because pion has moved
 * tcptype after raddr/rport and browsers append extensions we do not use. */
#include "rtc/candidate.h"

#include <arpa/inet.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "lkc/error.h"

#define MOD "rtc.candidate"
#define MAX_TOKENS 64           /* fixed fields plus generous room for extensions */
#define JSON_MAX 4096           /* an RTCIceCandidateInit is ~200 bytes; refuse megabytes */

static const char *const type_names[] = {"host", "srflx", "prflx", "relay"};
static const char *const tcptype_names[] = {"", "active", "passive", "so"};

const char *lkc_candidate_type_str(lkc_candidate_type_t t)
{
    return (unsigned)t < 4 ? type_names[t] : "unknown";
}

const char *lkc_candidate_transport_str(lkc_candidate_transport_t t)
{
    return t == LKC_CANDIDATE_TCP ? "tcp" : t == LKC_CANDIDATE_UDP ? "udp" : "unknown";
}

const char *lkc_candidate_tcptype_str(lkc_candidate_tcptype_t t)
{
    return (unsigned)t < 4 ? tcptype_names[t] : "";
}

/* Decimal digits only (no sign, no spaces), value <= max. */
static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s || strlen(s) > 10)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool is_ice_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

static bool valid_foundation(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > LKC_CANDIDATE_FOUNDATION_MAX)
        return false;
    for (; *s; s++)
        if (!is_ice_char(*s))
            return false;
    return true;
}

/* An IPv4/IPv6 literal, or a DNS name (mDNS ".local" names are names too). */
static bool valid_address(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > LKC_CANDIDATE_ADDRESS_MAX)
        return false;
    unsigned char bin[16];
    if (inet_pton(AF_INET, s, bin) == 1 || inet_pton(AF_INET6, s, bin) == 1)
        return true;
    bool label_start = true;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (c == '.') {
            if (label_start)
                return false;
            label_start = true;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_') {
            label_start = false;
        } else {
            return false;
        }
    }
    return true;
}

static bool copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

static int fail(lkc_candidate_t *out, const char *what, const char *attr)
{
    memset(out, 0, sizeof *out);
    LKC_LOGD(MOD, "malformed candidate (%s): %.120s", what, attr);
    return LKC_ERR_PROTOCOL;
}

int lkc_candidate_parse(const char *attr, lkc_candidate_t *out)
{
    if (!attr || !out)
        return LKC_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (strlen(attr) > LKC_CANDIDATE_ATTR_MAX)
        return fail(out, "too long", attr);

    const char *p = attr;
    if (strncmp(p, "a=", 2) == 0)
        p += 2;
    if (strncasecmp(p, "candidate:", 10) == 0)
        p += 10;

    char buf[LKC_CANDIDATE_ATTR_MAX + 1];
    memcpy(buf, p, strlen(p) + 1);

    /* Split on blanks; a trailing CRLF from an SDP line is just more blank. */
    char *tok[MAX_TOKENS];
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == MAX_TOKENS)
            return fail(out, "too many fields", attr);
        tok[n++] = t;
    }
    if (n < 8)
        return fail(out, "too few fields", attr);

    uint64_t v;
    if (!valid_foundation(tok[0]) || !copy_str(out->foundation, sizeof out->foundation, tok[0]))
        return fail(out, "foundation", attr);
    if (!parse_uint(tok[1], 256, &v) || v == 0)
        return fail(out, "component", attr);
    out->component = (uint32_t)v;
    if (strcasecmp(tok[2], "udp") == 0)
        out->transport = LKC_CANDIDATE_UDP;
    else if (strcasecmp(tok[2], "tcp") == 0)
        out->transport = LKC_CANDIDATE_TCP;
    else
        return fail(out, "transport", attr);
    if (!parse_uint(tok[3], UINT32_MAX, &v))
        return fail(out, "priority", attr);
    out->priority = (uint32_t)v;
    if (!valid_address(tok[4]) || !copy_str(out->address, sizeof out->address, tok[4]))
        return fail(out, "address", attr);
    if (!parse_uint(tok[5], 65535, &v))
        return fail(out, "port", attr);
    out->port = (uint16_t)v;
    if (strcmp(tok[6], "typ") != 0)
        return fail(out, "missing typ", attr);
    bool found = false;
    for (unsigned i = 0; i < 4; i++) {
        if (strcmp(tok[7], type_names[i]) == 0) {
            out->type = (lkc_candidate_type_t)i;
            found = true;
        }
    }
    if (!found)
        return fail(out, "type", attr);

    /* Trailing key/value pairs, in any order. */
    if ((n - 8) % 2 != 0)
        return fail(out, "dangling key", attr);
    bool have_raddr = false, have_rport = false, have_tcptype = false;
    for (size_t i = 8; i < n; i += 2) {
        const char *key = tok[i], *val = tok[i + 1];
        if (strcmp(key, "raddr") == 0) {
            if (have_raddr || !valid_address(val) ||
                !copy_str(out->related_address, sizeof out->related_address, val))
                return fail(out, "raddr", attr);
            have_raddr = true;
        } else if (strcmp(key, "rport") == 0) {
            if (have_rport || !parse_uint(val, 65535, &v))
                return fail(out, "rport", attr);
            out->related_port = (uint16_t)v;
            have_rport = true;
        } else if (strcmp(key, "tcptype") == 0) {
            if (have_tcptype || out->transport != LKC_CANDIDATE_TCP)
                return fail(out, "tcptype", attr);
            if (strcmp(val, "active") == 0)
                out->tcptype = LKC_CANDIDATE_TCPTYPE_ACTIVE;
            else if (strcmp(val, "passive") == 0)
                out->tcptype = LKC_CANDIDATE_TCPTYPE_PASSIVE;
            else if (strcmp(val, "so") == 0)
                out->tcptype = LKC_CANDIDATE_TCPTYPE_SO;
            else
                return fail(out, "tcptype value", attr);
            have_tcptype = true;
        }
        /* else: an extension (generation, ufrag, network-id, network-cost, ...): skip */
    }
    if (have_raddr != have_rport)
        return fail(out, "raddr without rport or the reverse", attr);
    out->has_related = have_raddr;
    return LKC_OK;
}

int lkc_candidate_format(const lkc_candidate_t *c, char *buf, size_t size)
{
    if (!c || !buf || size == 0)
        return LKC_ERR_INVALID_ARG;
    if (!valid_foundation(c->foundation) || c->component == 0 || c->component > 256 ||
        (unsigned)c->transport > LKC_CANDIDATE_TCP || (unsigned)c->type > LKC_CANDIDATE_RELAY ||
        (unsigned)c->tcptype > LKC_CANDIDATE_TCPTYPE_SO || !valid_address(c->address) ||
        (c->has_related && !valid_address(c->related_address)))
        return LKC_ERR_INVALID_ARG;

    char related[LKC_CANDIDATE_ADDRESS_MAX + 32] = "";
    if (c->has_related)
        snprintf(related, sizeof related, " raddr %s rport %u", c->related_address,
                 (unsigned)c->related_port);
    char tcptype[24] = "";
    if (c->transport == LKC_CANDIDATE_TCP && c->tcptype != LKC_CANDIDATE_TCPTYPE_NONE)
        snprintf(tcptype, sizeof tcptype, " tcptype %s", lkc_candidate_tcptype_str(c->tcptype));

    int n = snprintf(buf, size, "candidate:%s %u %s %u %s %u typ %s%s%s", c->foundation,
                     (unsigned)c->component, lkc_candidate_transport_str(c->transport),
                     (unsigned)c->priority, c->address, (unsigned)c->port,
                     lkc_candidate_type_str(c->type), related, tcptype);
    if (n < 0 || (size_t)n >= size) {
        buf[0] = '\0';
        return LKC_ERR_TOO_LARGE;
    }
    return n;
}

/* ------------------------------------------------------------------------ libnice form */

lkc_candidate_type_t lkc_candidate_type_from_nice(NiceCandidateType t)
{
    switch (t) {
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: return LKC_CANDIDATE_SRFLX;
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: return LKC_CANDIDATE_PRFLX;
    case NICE_CANDIDATE_TYPE_RELAYED: return LKC_CANDIDATE_RELAY;
    default: return LKC_CANDIDATE_HOST;
    }
}

void lkc_candidate_from_nice(const NiceCandidate *nc, lkc_candidate_t *out)
{
    memset(out, 0, sizeof *out);
    g_strlcpy(out->foundation, nc->foundation, sizeof out->foundation);
    out->component = nc->component_id;
    out->priority = nc->priority;
    out->type = lkc_candidate_type_from_nice(nc->type);
    switch (nc->transport) {
    case NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE:
        out->transport = LKC_CANDIDATE_TCP;
        out->tcptype = LKC_CANDIDATE_TCPTYPE_ACTIVE;
        break;
    case NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE:
        out->transport = LKC_CANDIDATE_TCP;
        out->tcptype = LKC_CANDIDATE_TCPTYPE_PASSIVE;
        break;
    case NICE_CANDIDATE_TRANSPORT_TCP_SO:
        out->transport = LKC_CANDIDATE_TCP;
        out->tcptype = LKC_CANDIDATE_TCPTYPE_SO;
        break;
    default:
        out->transport = LKC_CANDIDATE_UDP;
        break;
    }
    char ip[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&nc->addr, ip);
    g_strlcpy(out->address, ip, sizeof out->address);
    unsigned port = nice_address_get_port(&nc->addr);
    out->port = (uint16_t)(port ? port : 9);
    if (nice_address_is_valid(&nc->base_addr) && !nice_address_equal(&nc->addr, &nc->base_addr)) {
        out->has_related = true;
        nice_address_to_string(&nc->base_addr, ip);
        g_strlcpy(out->related_address, ip, sizeof out->related_address);
        port = nice_address_get_port(&nc->base_addr);
        out->related_port = (uint16_t)(port ? port : 9);
    }
}

NiceCandidate *lkc_candidate_to_nice(const lkc_candidate_t *c, guint stream_id)
{
    NiceCandidateType type = c->type == LKC_CANDIDATE_SRFLX   ? NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE
                             : c->type == LKC_CANDIDATE_PRFLX ? NICE_CANDIDATE_TYPE_PEER_REFLEXIVE
                             : c->type == LKC_CANDIDATE_RELAY ? NICE_CANDIDATE_TYPE_RELAYED
                                                              : NICE_CANDIDATE_TYPE_HOST;
    NiceCandidate *nc = nice_candidate_new(type);
    if (!nice_address_set_from_string(&nc->addr, c->address)) {
        nice_candidate_free(nc);
        return NULL;
    }
    nice_address_set_port(&nc->addr, c->port);
    nc->stream_id = stream_id;
    nc->component_id = 1;
    nc->priority = c->priority;
    g_strlcpy(nc->foundation, c->foundation, sizeof nc->foundation);
    if (c->transport == LKC_CANDIDATE_UDP)
        nc->transport = NICE_CANDIDATE_TRANSPORT_UDP;
    else if (c->tcptype == LKC_CANDIDATE_TCPTYPE_ACTIVE)
        nc->transport = NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE;
    else if (c->tcptype == LKC_CANDIDATE_TCPTYPE_SO)
        nc->transport = NICE_CANDIDATE_TRANSPORT_TCP_SO;
    else
        nc->transport = NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE;
    return nc;
}

/* ---------------------------------------------------------------- RTCIceCandidateInit JSON */

void lkc_candidate_init_clear(lkc_candidate_init_t *init)
{
    if (!init)
        return;
    free(init->candidate);
    free(init->sdp_mid);
    free(init->username_fragment);
    init->candidate = init->sdp_mid = init->username_fragment = NULL;
    init->sdp_mline_index = -1;
}

int lkc_candidate_init_encode(const lkc_candidate_init_t *init, char **json_out)
{
    if (!init || !init->candidate || !json_out)
        return LKC_ERR_INVALID_ARG;
    *json_out = NULL;

    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "candidate");
    json_builder_add_string_value(b, init->candidate);
    json_builder_set_member_name(b, "sdpMid");
    if (init->sdp_mid)
        json_builder_add_string_value(b, init->sdp_mid);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "sdpMLineIndex");
    if (init->sdp_mline_index >= 0)
        json_builder_add_int_value(b, init->sdp_mline_index);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "usernameFragment");
    if (init->username_fragment)
        json_builder_add_string_value(b, init->username_fragment);
    else
        json_builder_add_null_value(b);
    json_builder_end_object(b);

    JsonNode *root = json_builder_get_root(b);
    JsonGenerator *gen = json_generator_new();
    json_generator_set_root(gen, root);
    gchar *text = json_generator_to_data(gen, NULL);
    g_object_unref(gen);
    json_node_unref(root);
    g_object_unref(b);

    *json_out = text ? strdup(text) : NULL;
    g_free(text);
    return *json_out ? LKC_OK : LKC_ERR_NO_MEMORY;
}

/* A string member that may be absent or null. Returns false for any other type. */
static bool opt_string(JsonObject *obj, const char *name, char **out)
{
    *out = NULL;
    JsonNode *n = json_object_get_member(obj, name);
    if (!n || JSON_NODE_HOLDS_NULL(n))
        return true;
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return false;
    *out = strdup(json_node_get_string(n));
    return *out != NULL;
}

int lkc_candidate_init_decode(const char *json, size_t len, lkc_candidate_init_t *out)
{
    if (!json || !out)
        return LKC_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    out->sdp_mline_index = -1;
    if (len > JSON_MAX) {
        LKC_LOGW(MOD, "candidate JSON of %zu bytes refused", len);
        return LKC_ERR_TOO_LARGE;
    }

    int rc = LKC_ERR_PROTOCOL;
    const char *why = "not a JSON object";
    JsonParser *parser = json_parser_new();
    GError *err = NULL;
    if (!json_parser_load_from_data(parser, json, (gssize)len, &err)) {
        LKC_LOGW(MOD, "candidate JSON does not parse: %s", err ? err->message : "?");
        g_clear_error(&err);
        g_object_unref(parser);
        return LKC_ERR_PROTOCOL;
    }
    JsonNode *root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        goto out;
    JsonObject *obj = json_node_get_object(root);

    why = "candidate is missing or not a string";
    JsonNode *cn = json_object_get_member(obj, "candidate");
    if (!cn || !JSON_NODE_HOLDS_VALUE(cn) || json_node_get_value_type(cn) != G_TYPE_STRING)
        goto out;
    const char *cand = json_node_get_string(cn);
    why = "candidate too long";
    if (strlen(cand) > LKC_CANDIDATE_ATTR_MAX)
        goto out;
    /* "" is the end-of-candidates marker and stays "". */
    const char *prefix = (*cand && strncmp(cand, "candidate:", 10) != 0) ? "candidate:" : "";
    size_t need = strlen(prefix) + strlen(cand) + 1;
    out->candidate = malloc(need);
    if (!out->candidate) {
        rc = LKC_ERR_NO_MEMORY;
        goto out;
    }
    snprintf(out->candidate, need, "%s%s", prefix, cand);

    why = "sdpMid is not a string";
    if (!opt_string(obj, "sdpMid", &out->sdp_mid))
        goto out;
    why = "usernameFragment is not a string";
    if (!opt_string(obj, "usernameFragment", &out->username_fragment))
        goto out;

    why = "sdpMLineIndex is not a small non-negative integer";
    JsonNode *mi = json_object_get_member(obj, "sdpMLineIndex");
    if (mi && !JSON_NODE_HOLDS_NULL(mi)) {
        if (!JSON_NODE_HOLDS_VALUE(mi) || json_node_get_value_type(mi) != G_TYPE_INT64)
            goto out;
        gint64 v = json_node_get_int(mi);
        if (v < 0 || v > 65535)
            goto out;
        out->sdp_mline_index = (int)v;
    }
    rc = LKC_OK;

out:
    if (rc != LKC_OK) {
        if (rc == LKC_ERR_PROTOCOL)
            LKC_LOGW(MOD, "bad candidate JSON: %s", why);
        lkc_candidate_init_clear(out);
    }
    g_object_unref(parser);
    return rc;
}
