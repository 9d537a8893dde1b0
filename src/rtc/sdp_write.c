/* lkc_sdp_t -> SDP text. Lines come out in RFC 8866 order (v o s i u e p c b t r z k
 * a; m i c b k a), which pion's strict parser requires, and attributes in the usual
 * WebRTC order. The order that matters for interop: a=msid precedes the a=ssrc lines
 * (pion applies an a=msid only to the ssrc lines after it). Values that would break
 * the text apart (CR, LF, other controls; spaces inside tokens) make the write fail
 * rather than emit something the peer would misread. */
#include "rtc/sdp.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

typedef struct out {
    char *buf;
    size_t len, cap;
    const char *why; /* the first field that cannot be written, or NULL */
    bool failed;     /* why is an allocation or formatting failure, not a field */
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(out_t *o, const char *fmt, ...)
{
    if (o->why)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->why = "formatting failed";
            o->failed = true;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap * 2 + (size_t)n + 1;
        char *grown = realloc(o->buf, cap);
        if (!grown) {
            o->why = "out of memory";
            o->failed = true;
            return;
        }
        o->buf = grown;
        o->cap = cap;
    }
}

/* A free-form value: anything but control characters (tab is allowed). */
static const char *raw(out_t *o, const char *v, const char *what)
{
    if (!v) {
        if (!o->why)
            o->why = what;
        return "";
    }
    for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
        if (*c < 0x20 && *c != '\t') {
            if (!o->why)
                o->why = what;
            return "";
        }
    }
    return v;
}

/* A token: a non-empty raw value without spaces (and without `also`, if given). */
static const char *tok(out_t *o, const char *v, const char *what, const char *also)
{
    const char *r = raw(o, v, what);
    if (!*r || strchr(r, ' ') || (also && strpbrk(r, also))) {
        if (!o->why)
            o->why = what;
        return "";
    }
    return r;
}

static void put_lines(out_t *o, const lkc_sdp_line_t *l, size_t n, char type)
{
    for (size_t i = 0; i < n; i++)
        if (l[i].type == type)
            put(o, "%c=%s\r\n", type, raw(o, l[i].value, "line value"));
}

static void put_attrs(out_t *o, const lkc_sdp_attr_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *name = tok(o, a[i].name, "attribute name", ":");
        if (a[i].value)
            put(o, "a=%s:%s\r\n", name, raw(o, a[i].value, "attribute value"));
        else
            put(o, "a=%s\r\n", name);
    }
}

static void put_fingerprint(out_t *o, const lkc_sdp_fingerprint_t *fp)
{
    if (fp->algorithm)
        put(o, "a=fingerprint:%s %s\r\n", tok(o, fp->algorithm, "fingerprint algorithm", NULL),
            raw(o, fp->value, "fingerprint value"));
}

static void put_ice(out_t *o, const char *ufrag, const char *pwd, const char *options)
{
    if (ufrag)
        put(o, "a=ice-ufrag:%s\r\n", tok(o, ufrag, "ice-ufrag", NULL));
    if (pwd)
        put(o, "a=ice-pwd:%s\r\n", tok(o, pwd, "ice-pwd", NULL));
    if (options)
        put(o, "a=ice-options:%s\r\n", raw(o, options, "ice-options"));
}

static void put_setup(out_t *o, lkc_sdp_setup_t setup)
{
    const char *v = lkc_sdp_setup_str(setup);
    if (v)
        put(o, "a=setup:%s\r\n", v);
    else if (setup != LKC_SDP_SETUP_NONE && !o->why)
        o->why = "setup value";
}

/* The payload type a format names, or -1 (not a number 0..127). */
static int fmt_pt(const char *f)
{
    int v = 0;
    if (!f || !*f)
        return -1;
    for (; *f; f++) {
        if (*f < '0' || *f > '9')
            return -1;
        v = v * 10 + (*f - '0');
        if (v > 127)
            return -1;
    }
    return v;
}

static void put_rtpmap(out_t *o, const lkc_sdp_rtpmap_t *r)
{
    if (r->pt < 0 || r->pt > 127 || r->clock == 0 || r->channels > 255) {
        if (!o->why)
            o->why = "rtpmap numbers";
        return;
    }
    const char *enc = tok(o, r->encoding, "rtpmap encoding", "/");
    if (r->channels)
        put(o, "a=rtpmap:%d %s/%" PRIu32 "/%" PRIu32 "\r\n", r->pt, enc, r->clock, r->channels);
    else
        put(o, "a=rtpmap:%d %s/%" PRIu32 "\r\n", r->pt, enc, r->clock);
}

static void put_fmtp(out_t *o, const lkc_sdp_fmtp_t *f)
{
    if (f->pt < 0 || f->pt > 127) {
        if (!o->why)
            o->why = "fmtp payload type";
        return;
    }
    const char *params = raw(o, f->params, "fmtp parameters");
    put(o, *params ? "a=fmtp:%d %s\r\n" : "a=fmtp:%d%s\r\n", f->pt, params);
}

static void put_rtcpfb(out_t *o, const lkc_sdp_rtcpfb_t *f)
{
    const char *v = raw(o, f->value, "rtcp-fb value");
    if (f->pt == -1)
        put(o, "a=rtcp-fb:* %s\r\n", v);
    else if (f->pt >= 0 && f->pt <= 127)
        put(o, "a=rtcp-fb:%d %s\r\n", f->pt, v);
    else if (!o->why)
        o->why = "rtcp-fb payload type";
}

/* rtpmap, fmtp and rtcp-fb grouped per payload type in m= line order (the way
 * browsers and pion write them), then wildcard feedback, then entries whose payload
 * type is not on the m= line. */
static void put_codecs(out_t *o, const lkc_sdp_media_t *m)
{
    bool listed[128] = {false};
    for (size_t i = 0; i < m->n_fmts; i++) {
        int pt = fmt_pt(m->fmts[i]);
        if (pt < 0 || listed[pt])
            continue;
        listed[pt] = true;
        for (size_t j = 0; j < m->n_rtpmaps; j++)
            if (m->rtpmaps[j].pt == pt)
                put_rtpmap(o, &m->rtpmaps[j]);
        for (size_t j = 0; j < m->n_fmtps; j++)
            if (m->fmtps[j].pt == pt)
                put_fmtp(o, &m->fmtps[j]);
        for (size_t j = 0; j < m->n_rtcpfbs; j++)
            if (m->rtcpfbs[j].pt == pt)
                put_rtcpfb(o, &m->rtcpfbs[j]);
    }
    for (size_t j = 0; j < m->n_rtcpfbs; j++)
        if (m->rtcpfbs[j].pt == -1)
            put_rtcpfb(o, &m->rtcpfbs[j]);
#define UNLISTED(x) ((x).pt < 0 || (x).pt > 127 || !listed[(x).pt])
    for (size_t j = 0; j < m->n_rtpmaps; j++)
        if (UNLISTED(m->rtpmaps[j]))
            put_rtpmap(o, &m->rtpmaps[j]);
    for (size_t j = 0; j < m->n_fmtps; j++)
        if (UNLISTED(m->fmtps[j]))
            put_fmtp(o, &m->fmtps[j]);
    for (size_t j = 0; j < m->n_rtcpfbs; j++)
        if (m->rtcpfbs[j].pt != -1 && UNLISTED(m->rtcpfbs[j]))
            put_rtcpfb(o, &m->rtcpfbs[j]);
#undef UNLISTED
}

static void put_media_head(out_t *o, const lkc_sdp_media_t *m)
{
    put(o, "m=%s %u", tok(o, m->kind, "media kind", NULL), (unsigned)m->port);
    if (m->port_count)
        put(o, "/%u", (unsigned)m->port_count);
    put(o, " %s", tok(o, m->proto, "media proto", NULL));
    bool rtp = lkc_sdp_media_is_rtp(m);
    if (m->n_fmts == 0 && !o->why)
        o->why = "m= formats";
    for (size_t i = 0; i < m->n_fmts; i++) {
        const char *f = tok(o, m->fmts[i], "media format", NULL);
        if (rtp && fmt_pt(f) < 0 && !o->why)
            o->why = "RTP payload type on the m= line";
        put(o, " %s", f);
    }
    put(o, "\r\n");
    put_lines(o, m->lines, m->n_lines, 'i');
    if (m->conn)
        put(o, "c=%s\r\n", raw(o, m->conn, "c= value"));
    put_lines(o, m->lines, m->n_lines, 'c');
    put_lines(o, m->lines, m->n_lines, 'b');
    put_lines(o, m->lines, m->n_lines, 'k');
}

static void put_media(out_t *o, const lkc_sdp_media_t *m)
{
    put_media_head(o, m);
    if (m->mid)
        put(o, "a=mid:%s\r\n", tok(o, m->mid, "mid", NULL));
    put_ice(o, m->ice_ufrag, m->ice_pwd, m->ice_options);
    put_fingerprint(o, &m->fingerprint);
    put_setup(o, m->setup);
    put(o, "a=%s\r\n", lkc_sdp_dir_str(m->direction));
    if (m->rtcp_mux)
        put(o, "a=rtcp-mux\r\n");
    if (m->rtcp_rsize)
        put(o, "a=rtcp-rsize\r\n");
    for (size_t i = 0; i < m->n_extmaps; i++) {
        const lkc_sdp_extmap_t *x = &m->extmaps[i];
        if (x->id == 0 && !o->why)
            o->why = "extmap id";
        put(o, "a=extmap:%u", (unsigned)x->id);
        if (x->has_direction)
            put(o, "/%s", lkc_sdp_dir_str(x->direction));
        put(o, " %s", tok(o, x->uri, "extmap uri", NULL));
        if (x->params && *x->params)
            put(o, " %s", raw(o, x->params, "extmap parameters"));
        put(o, "\r\n");
    }
    put_codecs(o, m);
    if (m->sctp_port)
        put(o, "a=sctp-port:%u\r\n", (unsigned)m->sctp_port);
    if (m->has_max_message_size)
        put(o, "a=max-message-size:%" PRIu64 "\r\n", m->max_message_size);
    for (size_t i = 0; i < m->n_msids; i++) {
        put(o, "a=msid:%s", tok(o, m->msids[i].stream, "msid stream", NULL));
        if (m->msids[i].track)
            put(o, " %s", tok(o, m->msids[i].track, "msid track", NULL));
        put(o, "\r\n");
    }
    for (size_t i = 0; i < m->n_ssrc_groups; i++) {
        const lkc_sdp_ssrc_group_t *g = &m->ssrc_groups[i];
        put(o, "a=ssrc-group:%s", tok(o, g->semantics, "ssrc-group semantics", NULL));
        if (g->n_ssrcs == 0 && !o->why)
            o->why = "ssrc-group ssrcs";
        for (size_t j = 0; j < g->n_ssrcs; j++)
            put(o, " %" PRIu32, g->ssrcs[j]);
        put(o, "\r\n");
    }
    for (size_t i = 0; i < m->n_ssrcs; i++) {
        const lkc_sdp_ssrc_t *x = &m->ssrcs[i];
        put(o, "a=ssrc:%" PRIu32 " %s", x->ssrc, tok(o, x->attr, "ssrc attribute", ":"));
        if (x->value)
            put(o, ":%s", raw(o, x->value, "ssrc value"));
        put(o, "\r\n");
    }
    for (size_t i = 0; i < m->n_candidates; i++) {
        const char *c = raw(o, m->candidates[i], "candidate");
        put(o, strncmp(c, "candidate:", 10) == 0 ? "a=%s\r\n" : "a=candidate:%s\r\n", c);
    }
    if (m->end_of_candidates)
        put(o, "a=end-of-candidates\r\n");
    put_attrs(o, m->attrs, m->n_attrs);
}

char *lkc_sdp_write(const lkc_sdp_t *s)
{
    if (!s)
        return NULL;
    out_t o = {.cap = 1024};
    if (!(o.buf = malloc(o.cap)))
        return NULL;
    const lkc_sdp_origin_t *og = &s->origin;
    put(&o, "v=0\r\n");
    put(&o, "o=%s %" PRIu64 " %" PRIu64 " %s %s %s\r\n",
        og->username ? tok(&o, og->username, "origin username", NULL) : "-", og->sess_id,
        og->sess_version, og->nettype ? tok(&o, og->nettype, "origin nettype", NULL) : "IN",
        og->addrtype ? tok(&o, og->addrtype, "origin addrtype", NULL) : "IP4",
        og->address ? tok(&o, og->address, "origin address", NULL) : "127.0.0.1");
    put(&o, "s=%s\r\n", s->name ? raw(&o, s->name, "session name") : "-");
    for (const char *t = "iuepcb"; *t; t++)
        put_lines(&o, s->lines, s->n_lines, *t);
    put(&o, "t=%s\r\n", s->timing ? raw(&o, s->timing, "timing") : "0 0");
    for (const char *t = "trzk"; *t; t++)
        put_lines(&o, s->lines, s->n_lines, *t);
    if (s->n_bundle) {
        put(&o, "a=group:BUNDLE");
        for (size_t i = 0; i < s->n_bundle; i++)
            put(&o, " %s", tok(&o, s->bundle[i], "BUNDLE mid", NULL));
        put(&o, "\r\n");
    }
    put_fingerprint(&o, &s->fingerprint);
    if (s->ice_lite)
        put(&o, "a=ice-lite\r\n");
    put_ice(&o, s->ice_ufrag, s->ice_pwd, s->ice_options);
    put_setup(&o, s->setup);
    if (s->msid_semantic)
        put(&o, "a=msid-semantic:%s\r\n", raw(&o, s->msid_semantic, "msid-semantic"));
    if (s->extmap_allow_mixed)
        put(&o, "a=extmap-allow-mixed\r\n");
    put_attrs(&o, s->attrs, s->n_attrs);
    for (size_t i = 0; i < s->n_media; i++)
        put_media(&o, s->media[i]);
    if (o.why) {
        LKC_LOGW("rtc.sdp", "cannot write SDP: %s%s", o.failed ? "" : "bad or missing ", o.why);
        free(o.buf);
        return NULL;
    }
    return o.buf;
}
