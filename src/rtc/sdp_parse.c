/* SDP text -> lkc_sdp_t. A pure function of its input: it works on a private,
 * NUL-terminated copy that it cuts into lines and tokens in place, so it never reads
 * past the caller's `len` bytes. Anything malformed ends the parse with "line N: why"
 * (line content is never echoed: it may hold ICE passwords). */
#include "rtc/sdp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "lkc/error.h"

typedef struct parser {
    lkc_sdp_t *s;
    lkc_sdp_media_t *m; /* the current m= section, NULL in the session part */
    unsigned line;      /* 1-based number of the line being parsed */
    size_t section_lines;
    bool seen_v, seen_o, seen_s, seen_t;
    bool m_direction; /* the current section had a direction attribute */
    char *err;
    size_t errlen;
} parser_t;

static int fail(parser_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(parser_t *p, const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    char where[24] = "";
    if (p->line)
        snprintf(where, sizeof where, "line %u: ", p->line);
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "%s%s", where, why);
    LKC_LOGD("rtc.sdp", "rejected SDP: %s%s", where, why);
    return LKC_ERR_PROTOCOL;
}

static int oom(parser_t *p)
{
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "line %u: out of memory", p->line);
    return LKC_ERR_NO_MEMORY;
}

/* Builder results: the parser checks what builders check, so INVALID_ARG would be
 * a parser bug; it still ends as an error, not a crash. */
static int built(parser_t *p, int rc)
{
    if (rc == LKC_OK)
        return LKC_OK;
    return rc == LKC_ERR_NO_MEMORY ? oom(p) : fail(p, "value refused by the model (a bug)");
}

/* ---- tokens and numbers ------------------------------------------------------------- */

/* The next space-separated token of *pp (NUL-terminated in place), or NULL at the end. */
static char *next_tok(char **pp)
{
    char *s = *pp;
    while (*s == ' ')
        s++;
    if (!*s) {
        *pp = s;
        return NULL;
    }
    char *e = s;
    while (*e && *e != ' ')
        e++;
    if (*e)
        *e++ = '\0';
    *pp = e;
    return s;
}

/* The rest of *pp after leading spaces (possibly ""). */
static char *rest(char **pp)
{
    char *s = *pp;
    while (*s == ' ')
        s++;
    *pp = s + strlen(s);
    return s;
}

/* Strict unsigned decimal: digits only, at most `max`. */
static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* The value must be exactly one token; returns it or NULL. */
static char *single_tok(char *value)
{
    char *pp = value;
    char *t = value ? next_tok(&pp) : NULL;
    return t && !next_tok(&pp) ? t : NULL;
}

/* ---- attributes valid at both levels -------------------------------------------------- */

static int set_once(parser_t *p, char **field, const char *name, char *value)
{
    char *t = single_tok(value);
    if (!t)
        return fail(p, "a=%s needs one value", name);
    if (*field)
        return fail(p, "duplicate a=%s", name);
    return built(p, lkc_sdp_set_str(field, t));
}

/* Returns 1 when `name` was not a transport attribute (the caller goes on). */
static int transport_attr(parser_t *p, const char *name, char *value, char **ufrag, char **pwd,
                          char **options, lkc_sdp_fingerprint_t *fp, lkc_sdp_setup_t *setup)
{
    if (strcmp(name, "ice-ufrag") == 0)
        return set_once(p, ufrag, name, value);
    if (strcmp(name, "ice-pwd") == 0)
        return set_once(p, pwd, name, value);
    if (strcmp(name, "ice-options") == 0) {
        char *v = value ? rest(&value) : NULL;
        if (!v || !*v)
            return fail(p, "a=ice-options needs a value");
        if (*options)
            return fail(p, "duplicate a=ice-options");
        return built(p, lkc_sdp_set_str(options, v));
    }
    if (strcmp(name, "fingerprint") == 0) {
        if (fp->algorithm) { /* a second hash algorithm: kept, not interpreted */
            if (p->m)
                return built(p, lkc_sdp_media_add_attr(p->m, name, value));
            return built(p, lkc_sdp_add_attr(p->s, name, value));
        }
        char *alg = value ? next_tok(&value) : NULL;
        char *fpv = alg ? rest(&value) : NULL;
        if (!fpv || !*fpv)
            return fail(p, "a=fingerprint needs an algorithm and a value");
        return built(p, lkc_sdp_set_fingerprint(fp, alg, fpv));
    }
    if (strcmp(name, "setup") == 0) {
        int v = lkc_sdp_setup_parse(single_tok(value));
        if (v < 0)
            return fail(p, "a=setup must be actpass, active, passive or holdconn");
        if (*setup != LKC_SDP_SETUP_NONE)
            return fail(p, "duplicate a=setup");
        *setup = (lkc_sdp_setup_t)v;
        return LKC_OK;
    }
    return 1;
}

/* ---- session attributes ------------------------------------------------------------- */

static int session_attr(parser_t *p, const char *name, char *value)
{
    lkc_sdp_t *s = p->s;
    int rc = transport_attr(p, name, value, &s->ice_ufrag, &s->ice_pwd, &s->ice_options,
                            &s->fingerprint, &s->setup);
    if (rc <= 0)
        return rc;
    /* Only the first non-empty BUNDLE group is modelled; other groups stay generic. */
    if (strcmp(name, "group") == 0 && value && s->n_bundle == 0 &&
        strncmp(value, "BUNDLE ", 7) == 0 && value[7 + strspn(value + 7, " ")]) {
        char *pp = value + 7, *mid;
        while ((mid = next_tok(&pp))) {
            if (s->n_bundle >= LKC_SDP_MAX_MEDIA)
                return fail(p, "too many mids in a=group:BUNDLE");
            if ((rc = built(p, lkc_sdp_add_bundle_mid(s, mid))))
                return rc;
        }
        return LKC_OK;
    } else if (strcmp(name, "ice-lite") == 0 && !value) {
        s->ice_lite = true;
        return LKC_OK;
    } else if (strcmp(name, "extmap-allow-mixed") == 0 && !value) {
        s->extmap_allow_mixed = true;
        return LKC_OK;
    } else if (strcmp(name, "msid-semantic") == 0 && !s->msid_semantic) {
        return built(p, lkc_sdp_set_str(&s->msid_semantic, value ? value : ""));
    }
    return built(p, lkc_sdp_add_attr(s, name, value));
}

/* ---- media attributes --------------------------------------------------------------- */

static int parse_pt(parser_t *p, const char *tok, const char *name, bool star_ok, int *pt)
{
    uint64_t v;
    if (star_ok && tok && strcmp(tok, "*") == 0) {
        *pt = -1;
        return LKC_OK;
    }
    if (!parse_uint(tok, 127, &v))
        return fail(p, "a=%s: payload type must be a number 0..127", name);
    *pt = (int)v;
    return LKC_OK;
}

static int attr_rtpmap(parser_t *p, char *value)
{
    lkc_sdp_media_t *m = p->m;
    int pt, rc;
    char *pp = value;
    char *pt_tok = next_tok(&pp), *codec = next_tok(&pp);
    if ((rc = parse_pt(p, pt_tok, "rtpmap", false, &pt)))
        return rc;
    if (!codec || next_tok(&pp))
        return fail(p, "a=rtpmap must be <pt> <encoding>/<clock>[/<channels>]");
    char *clock = strchr(codec, '/');
    if (!clock || clock == codec)
        return fail(p, "a=rtpmap:%d without a clock rate", pt);
    *clock++ = '\0';
    char *chans = strchr(clock, '/');
    if (chans)
        *chans++ = '\0';
    uint64_t hz, ch = 0;
    if (!parse_uint(clock, UINT32_MAX, &hz) || hz == 0)
        return fail(p, "a=rtpmap:%d: bad clock rate", pt);
    if (chans && (!parse_uint(chans, 255, &ch) || ch == 0))
        return fail(p, "a=rtpmap:%d: channel count must be 1..255", pt);
    for (size_t i = 0; i < m->n_rtpmaps; i++)
        if (m->rtpmaps[i].pt == pt)
            return fail(p, "duplicate a=rtpmap for payload type %d", pt);
    return built(p, lkc_sdp_media_add_rtpmap(m, pt, codec, (uint32_t)hz, (uint32_t)ch));
}

static int attr_extmap(parser_t *p, char *value)
{
    char *pp = value;
    char *idt = next_tok(&pp), *uri = next_tok(&pp), *params = rest(&pp);
    if (!idt || !uri)
        return fail(p, "a=extmap must be <id>[/<direction>] <uri>");
    int dir = -1;
    char *slash = strchr(idt, '/');
    if (slash) {
        *slash++ = '\0';
        if ((dir = lkc_sdp_dir_parse(slash)) < 0)
            return fail(p, "a=extmap: unknown direction");
    }
    uint64_t id;
    if (!parse_uint(idt, UINT16_MAX, &id) || id == 0)
        return fail(p, "a=extmap: id must be a number 1..65535");
    return built(p, lkc_sdp_media_add_extmap(p->m, (uint16_t)id, dir, uri, *params ? params : NULL));
}

static int attr_ssrc(parser_t *p, char *value)
{
    uint64_t ssrc;
    char *pp = value;
    char *st = next_tok(&pp), *attr = rest(&pp);
    if (!parse_uint(st, UINT32_MAX, &ssrc))
        return fail(p, "a=ssrc: ssrc must be a 32-bit number");
    char *colon = strchr(attr, ':');
    if (colon)
        *colon = '\0';
    if (!*attr || strchr(attr, ' '))
        return fail(p, "a=ssrc must be <ssrc> <attribute>[:<value>]");
    return built(p, lkc_sdp_media_add_ssrc(p->m, (uint32_t)ssrc, attr, colon ? colon + 1 : NULL));
}

static int attr_ssrc_group(parser_t *p, char *value)
{
    uint32_t ssrcs[LKC_SDP_MAX_GROUP_SSRCS];
    size_t n = 0;
    char *pp = value;
    char *sem = next_tok(&pp), *t;
    while ((t = next_tok(&pp))) {
        uint64_t v;
        if (n == LKC_SDP_MAX_GROUP_SSRCS)
            return fail(p, "a=ssrc-group: more than %d ssrcs", LKC_SDP_MAX_GROUP_SSRCS);
        if (!parse_uint(t, UINT32_MAX, &v))
            return fail(p, "a=ssrc-group: ssrc must be a 32-bit number");
        ssrcs[n++] = (uint32_t)v;
    }
    if (!sem || n == 0)
        return fail(p, "a=ssrc-group must be <semantics> <ssrc>...");
    return built(p, lkc_sdp_media_add_ssrc_group(p->m, sem, ssrcs, n));
}

static int attr_msid(parser_t *p, char *value)
{
    char *pp = value;
    char *stream = next_tok(&pp), *track = next_tok(&pp);
    if (!stream || next_tok(&pp))
        return fail(p, "a=msid must be <stream id> [<track id>]");
    return built(p, lkc_sdp_media_add_msid(p->m, stream, track));
}

static int media_flag(parser_t *p, const char *name)
{
    lkc_sdp_media_t *m = p->m;
    int dir = lkc_sdp_dir_parse(name);
    if (dir >= 0) {
        if (p->m_direction)
            return fail(p, "more than one direction attribute");
        p->m_direction = true;
        m->direction = (lkc_sdp_dir_t)dir;
        /* not counted: the writer always adds one, which must not push a full
         * section over the line limit when the text is parsed again */
        p->section_lines--;
    } else if (strcmp(name, "rtcp-mux") == 0) {
        m->rtcp_mux = true;
    } else if (strcmp(name, "rtcp-rsize") == 0) {
        m->rtcp_rsize = true;
    } else if (strcmp(name, "end-of-candidates") == 0) {
        m->end_of_candidates = true;
    } else {
        return 1;
    }
    return LKC_OK;
}

static int media_attr(parser_t *p, char *name, char *value)
{
    lkc_sdp_media_t *m = p->m;
    int rc = transport_attr(p, name, value, &m->ice_ufrag, &m->ice_pwd, &m->ice_options,
                            &m->fingerprint, &m->setup);
    if (rc <= 0)
        return rc;
    bool rtp = lkc_sdp_media_is_rtp(m);
    if (!value) {
        static const char *const valued[] = {"mid", "rtpmap", "fmtp", "rtcp-fb", "extmap",
                                             "ssrc", "ssrc-group", "msid", "sctp-port",
                                             "max-message-size", "candidate"};
        if ((rc = media_flag(p, name)) <= 0)
            return rc;
        for (size_t i = 0; i < sizeof valued / sizeof *valued; i++)
            if (strcmp(name, valued[i]) == 0)
                return fail(p, "a=%s needs a value", valued[i]);
        return built(p, lkc_sdp_media_add_attr(m, name, NULL));
    }
    if (strcmp(name, "mid") == 0) {
        if ((rc = set_once(p, &m->mid, name, value)))
            return rc;
        for (size_t i = 0; i + 1 < p->s->n_media; i++)
            if (p->s->media[i]->mid && strcmp(p->s->media[i]->mid, m->mid) == 0)
                return fail(p, "a=mid: mid used by an earlier m= section");
        return LKC_OK;
    } else if (rtp && strcmp(name, "rtpmap") == 0) {
        return attr_rtpmap(p, value);
    } else if (rtp && strcmp(name, "fmtp") == 0) {
        int pt;
        char *pp = value;
        if ((rc = parse_pt(p, next_tok(&pp), name, false, &pt)))
            return rc;
        return built(p, lkc_sdp_media_add_fmtp(m, pt, rest(&pp)));
    } else if (rtp && strcmp(name, "rtcp-fb") == 0) {
        int pt;
        char *pp = value;
        if ((rc = parse_pt(p, next_tok(&pp), name, true, &pt)))
            return rc;
        char *fb = rest(&pp);
        if (!*fb)
            return fail(p, "a=rtcp-fb needs a feedback type");
        return built(p, lkc_sdp_media_add_rtcpfb(m, pt, fb));
    } else if (strcmp(name, "extmap") == 0) {
        return attr_extmap(p, value);
    } else if (strcmp(name, "ssrc") == 0) {
        return attr_ssrc(p, value);
    } else if (strcmp(name, "ssrc-group") == 0) {
        return attr_ssrc_group(p, value);
    } else if (strcmp(name, "msid") == 0) {
        return attr_msid(p, value);
    } else if (strcmp(name, "sctp-port") == 0) {
        uint64_t v;
        if (!parse_uint(single_tok(value), UINT16_MAX, &v) || v == 0)
            return fail(p, "a=sctp-port must be a number 1..65535");
        if (m->sctp_port)
            return fail(p, "duplicate a=sctp-port");
        m->sctp_port = (uint16_t)v;
        return LKC_OK;
    } else if (strcmp(name, "max-message-size") == 0) {
        uint64_t v;
        if (!parse_uint(single_tok(value), UINT64_MAX, &v))
            return fail(p, "a=max-message-size must be a number");
        if (m->has_max_message_size)
            return fail(p, "duplicate a=max-message-size");
        m->has_max_message_size = true;
        m->max_message_size = v;
        return LKC_OK;
    } else if (strcmp(name, "candidate") == 0) {
        if (!*value)
            return fail(p, "empty a=candidate");
        value[-1] = ':'; /* the stored form is the attribute text "candidate:..." */
        return built(p, lkc_sdp_media_add_candidate(m, name));
    }
    return built(p, lkc_sdp_media_add_attr(m, name, value));
}

/* ---- lines -------------------------------------------------------------------------- */

static int line_attr(parser_t *p, char *text)
{
    char *colon = strchr(text, ':');
    char *value = NULL;
    if (colon) {
        *colon = '\0';
        value = colon + 1;
    }
    if (!*text || strchr(text, ' '))
        return fail(p, "a= line without an attribute name");
    return p->m ? media_attr(p, text, value) : session_attr(p, text, value);
}

static int line_origin(parser_t *p, char *v)
{
    lkc_sdp_origin_t *o = &p->s->origin;
    char *user = next_tok(&v), *id = next_tok(&v), *ver = next_tok(&v);
    char *net = next_tok(&v), *addrtype = next_tok(&v), *addr = next_tok(&v);
    if (!addr || next_tok(&v))
        return fail(p, "o= needs 6 fields");
    if (!parse_uint(id, UINT64_MAX, &o->sess_id) || !parse_uint(ver, UINT64_MAX, &o->sess_version))
        return fail(p, "o= session id and version must be numbers");
    int rc = lkc_sdp_set_str(&o->username, user) | lkc_sdp_set_str(&o->nettype, net) |
             lkc_sdp_set_str(&o->addrtype, addrtype) | lkc_sdp_set_str(&o->address, addr);
    return built(p, rc);
}

static int line_media(parser_t *p, char *v)
{
    if (p->s->n_media >= LKC_SDP_MAX_MEDIA)
        return fail(p, "more than %d m= sections", LKC_SDP_MAX_MEDIA);
    char *kind = next_tok(&v), *port = next_tok(&v), *proto = next_tok(&v);
    if (!proto || v[strspn(v, " ")] == '\0')
        return fail(p, "m= needs <media> <port> <proto> <format>...");
    char *count = strchr(port, '/');
    if (count)
        *count++ = '\0';
    uint64_t pv, cv = 0;
    if (!parse_uint(port, UINT16_MAX, &pv))
        return fail(p, "m= port must be a number 0..65535");
    if (count && (!parse_uint(count, UINT16_MAX, &cv) || cv == 0))
        return fail(p, "m= port count must be a number 1..65535");
    lkc_sdp_media_t *m = lkc_sdp_add_media(p->s, kind, (uint16_t)pv, proto);
    if (!m)
        return oom(p);
    p->m = m;
    p->m_direction = false;
    p->section_lines = 0;
    m->port_count = (uint16_t)cv;
    lkc_sdp_set_str(&m->conn, NULL); /* the builder's default: absent until a c= line */
    bool rtp = lkc_sdp_media_is_rtp(m);
    char *fmt;
    while ((fmt = next_tok(&v))) {
        uint64_t pt;
        if (m->n_fmts >= LKC_SDP_MAX_FORMATS)
            return fail(p, "more than %d formats on the m= line", LKC_SDP_MAX_FORMATS);
        if (rtp && !parse_uint(fmt, 127, &pt))
            return fail(p, "m= payload types must be numbers 0..127");
        int rc = built(p, lkc_sdp_media_add_format(m, fmt));
        if (rc)
            return rc;
    }
    return LKC_OK;
}

static int parse_line(parser_t *p, char *line, size_t len)
{
    if (len > LKC_SDP_MAX_LINE)
        return fail(p, "longer than %d bytes", LKC_SDP_MAX_LINE);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
            return fail(p, "control character in line");
    if (len < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z')
        return fail(p, "expected <letter>=<value>");
    char type = line[0], *v = line + 2;
    if (!p->seen_v) {
        if (type != 'v' || strcmp(v, "0") != 0)
            return fail(p, "the first line must be v=0");
        p->seen_v = true;
        return LKC_OK;
    }
    if (++p->section_lines > LKC_SDP_MAX_SECTION_LINES)
        return fail(p, "more than %d lines in one section", LKC_SDP_MAX_SECTION_LINES);
    if (type == 'a')
        return line_attr(p, v);
    if (type == 'm')
        return line_media(p, v);
    if (p->m) {
        if (type == 'c' && !p->m->conn)
            return built(p, lkc_sdp_set_str(&p->m->conn, v));
        if (type == 'i' || type == 'c' || type == 'b' || type == 'k')
            return built(p, lkc_sdp_media_add_line(p->m, type, v));
        return fail(p, "%c= is not allowed in an m= section", type);
    }
    switch (type) {
    case 'v':
        return fail(p, "a second v= line");
    case 'o':
        if (p->seen_o)
            return fail(p, "a second o= line");
        p->seen_o = true;
        return line_origin(p, v);
    case 's':
        if (p->seen_s)
            return fail(p, "a second s= line");
        p->seen_s = true;
        return built(p, lkc_sdp_set_str(&p->s->name, v));
    case 't':
        if (!p->seen_t) {
            p->seen_t = true;
            return built(p, lkc_sdp_set_str(&p->s->timing, v));
        }
        return built(p, lkc_sdp_add_line(p->s, type, v));
    case 'i': case 'u': case 'e': case 'p': case 'c': case 'b': case 'r': case 'z': case 'k':
        return built(p, lkc_sdp_add_line(p->s, type, v));
    default:
        return fail(p, "unknown line type %c=", type);
    }
}

int lkc_sdp_parse(const char *text, size_t len, lkc_sdp_t **out, char *err, size_t errlen)
{
    parser_t p = {.err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = '\0';
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    if (!text && len)
        return LKC_ERR_INVALID_ARG;
    if (len > LKC_SDP_MAX_INPUT) {
        fail(&p, "input of %zu bytes is over the %d byte limit", len, LKC_SDP_MAX_INPUT);
        return LKC_ERR_TOO_LARGE;
    }
    char *buf = malloc(len + 1);
    p.s = calloc(1, sizeof *p.s);
    if (!buf || !p.s) {
        free(buf);
        free(p.s);
        return oom(&p);
    }
    if (len)
        memcpy(buf, text, len);
    buf[len] = '\0';

    int rc = LKC_OK;
    size_t pos = 0;
    while (rc == LKC_OK && pos < len) {
        char *line = buf + pos;
        char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        p.line++;
        if (n && line[n - 1] == '\r')
            n--;
        line[n] = '\0';
        if (n == 0)
            continue; /* blank lines (e.g. after the last CRLF) carry nothing */
        rc = parse_line(&p, line, n);
    }
    if (rc == LKC_OK && !p.seen_v)
        rc = fail(&p, "empty input: the first line must be v=0");
    else if (rc == LKC_OK && (!p.seen_o || !p.seen_s || !p.seen_t))
        rc = fail(&p, "missing %s line", !p.seen_o ? "o=" : !p.seen_s ? "s=" : "t=");
    free(buf);
    if (rc != LKC_OK) {
        lkc_sdp_free(p.s);
        return rc;
    }
    *out = p.s;
    return LKC_OK;
}
