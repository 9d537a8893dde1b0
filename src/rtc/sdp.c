/* SDP model: lifetime, lookups, copy and structural equality (builders: sdp_build.c). */
#include "rtc/sdp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/rand.h"
#include "lkc/error.h"

/* ---- free --------------------------------------------------------------------------- */

static void free_attrs(lkc_sdp_attr_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].name);
        free(a[i].value);
    }
    free(a);
}

static void free_lines(lkc_sdp_line_t *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i].value);
    free(l);
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_media(lkc_sdp_media_t *m)
{
    if (!m)
        return;
    free(m->kind);
    free(m->proto);
    free_strv(m->fmts, m->n_fmts);
    free(m->conn);
    free_lines(m->lines, m->n_lines);
    free(m->mid);
    free(m->ice_ufrag);
    free(m->ice_pwd);
    free(m->ice_options);
    free(m->fingerprint.algorithm);
    free(m->fingerprint.value);
    for (size_t i = 0; i < m->n_rtpmaps; i++)
        free(m->rtpmaps[i].encoding);
    free(m->rtpmaps);
    for (size_t i = 0; i < m->n_fmtps; i++)
        free(m->fmtps[i].params);
    free(m->fmtps);
    for (size_t i = 0; i < m->n_rtcpfbs; i++)
        free(m->rtcpfbs[i].value);
    free(m->rtcpfbs);
    for (size_t i = 0; i < m->n_extmaps; i++) {
        free(m->extmaps[i].uri);
        free(m->extmaps[i].params);
    }
    free(m->extmaps);
    for (size_t i = 0; i < m->n_ssrcs; i++) {
        free(m->ssrcs[i].attr);
        free(m->ssrcs[i].value);
    }
    free(m->ssrcs);
    for (size_t i = 0; i < m->n_ssrc_groups; i++) {
        free(m->ssrc_groups[i].semantics);
        free(m->ssrc_groups[i].ssrcs);
    }
    free(m->ssrc_groups);
    for (size_t i = 0; i < m->n_msids; i++) {
        free(m->msids[i].stream);
        free(m->msids[i].track);
    }
    free(m->msids);
    free_strv(m->candidates, m->n_candidates);
    free_attrs(m->attrs, m->n_attrs);
    free(m);
}

void lkc_sdp_free(lkc_sdp_t *s)
{
    if (!s)
        return;
    free(s->origin.username);
    free(s->origin.nettype);
    free(s->origin.addrtype);
    free(s->origin.address);
    free(s->name);
    free(s->timing);
    free_lines(s->lines, s->n_lines);
    free_strv(s->bundle, s->n_bundle);
    free(s->ice_ufrag);
    free(s->ice_pwd);
    free(s->ice_options);
    free(s->fingerprint.algorithm);
    free(s->fingerprint.value);
    free(s->msid_semantic);
    free_attrs(s->attrs, s->n_attrs);
    for (size_t i = 0; i < s->n_media; i++)
        free_media(s->media[i]);
    free(s->media);
    free(s);
}

lkc_sdp_t *lkc_sdp_new(void)
{
    lkc_sdp_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    /* JSEP: a random id below 2^63 so it survives signed 64-bit parsers. */
    s->origin.sess_id = (((uint64_t)lkc_random_u32() << 32) | lkc_random_u32()) >> 1;
    s->origin.sess_version = 1;
    int rc = lkc_sdp_set_str(&s->origin.username, "-") | lkc_sdp_set_str(&s->origin.nettype, "IN") |
             lkc_sdp_set_str(&s->origin.addrtype, "IP4") |
             lkc_sdp_set_str(&s->origin.address, "127.0.0.1") | lkc_sdp_set_str(&s->name, "-") |
             lkc_sdp_set_str(&s->timing, "0 0");
    if (rc) {
        lkc_sdp_free(s);
        return NULL;
    }
    return s;
}

/* ---- lookups ------------------------------------------------------------------------ */

lkc_sdp_media_t *lkc_sdp_find_mid(const lkc_sdp_t *s, const char *mid)
{
    if (!s || !mid)
        return NULL;
    for (size_t i = 0; i < s->n_media; i++)
        if (s->media[i]->mid && strcmp(s->media[i]->mid, mid) == 0)
            return s->media[i];
    return NULL;
}

const lkc_sdp_rtpmap_t *lkc_sdp_find_rtpmap(const lkc_sdp_media_t *m, const char *encoding,
                                            uint32_t clock, uint32_t channels)
{
    if (!m || !encoding)
        return NULL;
    for (size_t i = 0; i < m->n_rtpmaps; i++) {
        const lkc_sdp_rtpmap_t *r = &m->rtpmaps[i];
        uint32_t ch = r->channels ? r->channels : 1;
        if (strcasecmp(r->encoding, encoding) == 0 && (!clock || r->clock == clock) &&
            (!channels || ch == channels))
            return r;
    }
    return NULL;
}

const char *lkc_sdp_find_fmtp(const lkc_sdp_media_t *m, int pt)
{
    for (size_t i = 0; m && i < m->n_fmtps; i++)
        if (m->fmtps[i].pt == pt)
            return m->fmtps[i].params;
    return NULL;
}

const char *lkc_sdp_find_attr(const lkc_sdp_t *s, const lkc_sdp_media_t *m, const char *name)
{
    const lkc_sdp_attr_t *a = m ? m->attrs : s ? s->attrs : NULL;
    size_t n = m ? m->n_attrs : s ? s->n_attrs : 0;
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(a[i].name, name) == 0)
            return a[i].value ? a[i].value : "";
    return NULL;
}

const char *lkc_sdp_ice_ufrag(const lkc_sdp_t *s, const lkc_sdp_media_t *m)
{
    return m && m->ice_ufrag ? m->ice_ufrag : s ? s->ice_ufrag : NULL;
}

const char *lkc_sdp_ice_pwd(const lkc_sdp_t *s, const lkc_sdp_media_t *m)
{
    return m && m->ice_pwd ? m->ice_pwd : s ? s->ice_pwd : NULL;
}

const lkc_sdp_fingerprint_t *lkc_sdp_fingerprint(const lkc_sdp_t *s, const lkc_sdp_media_t *m)
{
    if (m && m->fingerprint.algorithm)
        return &m->fingerprint;
    return s && s->fingerprint.algorithm ? &s->fingerprint : NULL;
}

lkc_sdp_setup_t lkc_sdp_setup(const lkc_sdp_t *s, const lkc_sdp_media_t *m)
{
    if (m && m->setup != LKC_SDP_SETUP_NONE)
        return m->setup;
    return s ? s->setup : LKC_SDP_SETUP_NONE;
}

const char *lkc_sdp_bundle_mid(const lkc_sdp_t *s)
{
    return s && s->n_bundle ? s->bundle[0] : NULL;
}

lkc_sdp_media_t *lkc_sdp_bundle_master(const lkc_sdp_t *s)
{
    if (!s)
        return NULL;
    if (s->n_bundle)
        return lkc_sdp_find_mid(s, s->bundle[0]);
    return s->n_media ? s->media[0] : NULL;
}

bool lkc_sdp_media_is_rtp(const lkc_sdp_media_t *m)
{
    return m && m->proto && strstr(m->proto, "RTP/") != NULL;
}

static const char *const dir_names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
static const char *const setup_names[] = {NULL, "actpass", "active", "passive", "holdconn"};

const char *lkc_sdp_dir_str(lkc_sdp_dir_t d)
{
    return (unsigned)d <= LKC_SDP_INACTIVE ? dir_names[d] : "sendrecv";
}

int lkc_sdp_dir_parse(const char *s)
{
    for (int i = 0; s && i <= LKC_SDP_INACTIVE; i++)
        if (strcmp(s, dir_names[i]) == 0)
            return i;
    return -1;
}

const char *lkc_sdp_setup_str(lkc_sdp_setup_t v)
{
    return (unsigned)v <= LKC_SDP_SETUP_HOLDCONN ? setup_names[v] : NULL;
}

int lkc_sdp_setup_parse(const char *s)
{
    for (int i = 1; s && i <= LKC_SDP_SETUP_HOLDCONN; i++)
        if (strcmp(s, setup_names[i]) == 0)
            return i;
    return -1;
}

/* ---- copy --------------------------------------------------------------------------- */

static int copy_media(lkc_sdp_t *dst, const lkc_sdp_media_t *m)
{
    lkc_sdp_media_t *c = lkc_sdp_add_media(dst, m->kind ? m->kind : "", m->port, m->proto ? m->proto : "");
    if (!c)
        return LKC_ERR_NO_MEMORY;
    int rc = 0;
    /* kind/proto NULL are not writable, but a copy keeps them as they are */
    if (!m->kind)
        rc |= lkc_sdp_set_str(&c->kind, NULL);
    if (!m->proto)
        rc |= lkc_sdp_set_str(&c->proto, NULL);
    c->port_count = m->port_count;
    rc |= lkc_sdp_set_str(&c->conn, m->conn);
    for (size_t i = 0; i < m->n_fmts; i++)
        rc |= lkc_sdp_media_add_format(c, m->fmts[i]);
    for (size_t i = 0; i < m->n_lines; i++)
        rc |= lkc_sdp_media_add_line(c, m->lines[i].type, m->lines[i].value);
    rc |= lkc_sdp_set_str(&c->mid, m->mid);
    rc |= lkc_sdp_set_str(&c->ice_ufrag, m->ice_ufrag);
    rc |= lkc_sdp_set_str(&c->ice_pwd, m->ice_pwd);
    rc |= lkc_sdp_set_str(&c->ice_options, m->ice_options);
    rc |= lkc_sdp_set_fingerprint(&c->fingerprint, m->fingerprint.algorithm, m->fingerprint.value);
    c->setup = m->setup;
    c->direction = m->direction;
    c->rtcp_mux = m->rtcp_mux;
    c->rtcp_rsize = m->rtcp_rsize;
    for (size_t i = 0; i < m->n_rtpmaps; i++) {
        const lkc_sdp_rtpmap_t *r = &m->rtpmaps[i];
        rc |= lkc_sdp_media_add_rtpmap(c, r->pt, r->encoding, r->clock, r->channels);
    }
    for (size_t i = 0; i < m->n_fmtps; i++)
        rc |= lkc_sdp_media_add_fmtp(c, m->fmtps[i].pt, m->fmtps[i].params);
    for (size_t i = 0; i < m->n_rtcpfbs; i++)
        rc |= lkc_sdp_media_add_rtcpfb(c, m->rtcpfbs[i].pt, m->rtcpfbs[i].value);
    for (size_t i = 0; i < m->n_extmaps; i++) {
        const lkc_sdp_extmap_t *x = &m->extmaps[i];
        rc |= lkc_sdp_media_add_extmap(c, x->id, x->has_direction ? (int)x->direction : -1, x->uri,
                                       x->params);
    }
    for (size_t i = 0; i < m->n_ssrcs; i++)
        rc |= lkc_sdp_media_add_ssrc(c, m->ssrcs[i].ssrc, m->ssrcs[i].attr, m->ssrcs[i].value);
    for (size_t i = 0; i < m->n_ssrc_groups; i++) {
        const lkc_sdp_ssrc_group_t *g = &m->ssrc_groups[i];
        rc |= lkc_sdp_media_add_ssrc_group(c, g->semantics, g->ssrcs, g->n_ssrcs);
    }
    for (size_t i = 0; i < m->n_msids; i++)
        rc |= lkc_sdp_media_add_msid(c, m->msids[i].stream, m->msids[i].track);
    c->sctp_port = m->sctp_port;
    c->has_max_message_size = m->has_max_message_size;
    c->max_message_size = m->max_message_size;
    for (size_t i = 0; i < m->n_candidates; i++)
        rc |= lkc_sdp_media_add_candidate(c, m->candidates[i]);
    c->end_of_candidates = m->end_of_candidates;
    for (size_t i = 0; i < m->n_attrs; i++)
        rc |= lkc_sdp_media_add_attr(c, m->attrs[i].name, m->attrs[i].value);
    return rc ? LKC_ERR_NO_MEMORY : LKC_OK;
}

lkc_sdp_t *lkc_sdp_copy(const lkc_sdp_t *s)
{
    if (!s)
        return NULL;
    lkc_sdp_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    int rc = 0;
    rc |= lkc_sdp_set_str(&c->origin.username, s->origin.username);
    c->origin.sess_id = s->origin.sess_id;
    c->origin.sess_version = s->origin.sess_version;
    rc |= lkc_sdp_set_str(&c->origin.nettype, s->origin.nettype);
    rc |= lkc_sdp_set_str(&c->origin.addrtype, s->origin.addrtype);
    rc |= lkc_sdp_set_str(&c->origin.address, s->origin.address);
    rc |= lkc_sdp_set_str(&c->name, s->name);
    rc |= lkc_sdp_set_str(&c->timing, s->timing);
    for (size_t i = 0; i < s->n_lines; i++)
        rc |= lkc_sdp_add_line(c, s->lines[i].type, s->lines[i].value);
    for (size_t i = 0; i < s->n_bundle; i++)
        rc |= lkc_sdp_add_bundle_mid(c, s->bundle[i]);
    rc |= lkc_sdp_set_str(&c->ice_ufrag, s->ice_ufrag);
    rc |= lkc_sdp_set_str(&c->ice_pwd, s->ice_pwd);
    rc |= lkc_sdp_set_str(&c->ice_options, s->ice_options);
    c->ice_lite = s->ice_lite;
    rc |= lkc_sdp_set_fingerprint(&c->fingerprint, s->fingerprint.algorithm, s->fingerprint.value);
    c->setup = s->setup;
    c->extmap_allow_mixed = s->extmap_allow_mixed;
    rc |= lkc_sdp_set_str(&c->msid_semantic, s->msid_semantic);
    for (size_t i = 0; i < s->n_attrs; i++)
        rc |= lkc_sdp_add_attr(c, s->attrs[i].name, s->attrs[i].value);
    for (size_t i = 0; i < s->n_media && !rc; i++)
        rc |= copy_media(c, s->media[i]);
    if (rc) {
        lkc_sdp_free(c);
        return NULL;
    }
    return c;
}

/* ---- structural equality ------------------------------------------------------------ */

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!str_eq(a[i], b[i]))
            return false;
    return true;
}

static bool attrs_eq(const lkc_sdp_attr_t *a, size_t na, const lkc_sdp_attr_t *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!str_eq(a[i].name, b[i].name) || !str_eq(a[i].value, b[i].value))
            return false;
    return true;
}

/* Other lines compare per type letter: the writer emits them grouped by type in
 * RFC order, so only the order within one type is meaningful. */
static bool lines_eq(const lkc_sdp_line_t *a, size_t na, const lkc_sdp_line_t *b, size_t nb)
{
    if (na != nb)
        return false;
    for (char t = 'a'; t <= 'z'; t++) {
        size_t i = 0, j = 0;
        for (;;) {
            while (i < na && a[i].type != t)
                i++;
            while (j < nb && b[j].type != t)
                j++;
            if (i == na || j == nb)
                break;
            if (!str_eq(a[i++].value, b[j++].value))
                return false;
        }
        if (i != na || j != nb)
            return false;
    }
    return true;
}

static bool rtpmap_eq(const lkc_sdp_rtpmap_t *a, const lkc_sdp_rtpmap_t *b)
{
    return a->pt == b->pt && str_eq(a->encoding, b->encoding) && a->clock == b->clock &&
           a->channels == b->channels;
}

static bool fmtp_eq(const lkc_sdp_fmtp_t *a, const lkc_sdp_fmtp_t *b)
{
    return a->pt == b->pt && str_eq(a->params, b->params);
}

static bool rtcpfb_eq(const lkc_sdp_rtcpfb_t *a, const lkc_sdp_rtcpfb_t *b)
{
    return a->pt == b->pt && str_eq(a->value, b->value);
}

/* Multiset equality: each element of a occurs in b as often as in a (counts equal). */
#define MULTISET_EQ(a, na, b, nb, eq)                                                    \
    do {                                                                                 \
        if ((na) != (nb))                                                                \
            return false;                                                                \
        for (size_t i_ = 0; i_ < (na); i_++) {                                           \
            size_t in_a = 0, in_b = 0;                                                   \
            for (size_t j_ = 0; j_ < (na); j_++) {                                       \
                in_a += eq(&(a)[i_], &(a)[j_]);                                          \
                in_b += eq(&(a)[i_], &(b)[j_]);                                          \
            }                                                                            \
            if (in_a != in_b)                                                            \
                return false;                                                            \
        }                                                                                \
    } while (0)

static bool media_eq(const lkc_sdp_media_t *a, const lkc_sdp_media_t *b)
{
    if (!str_eq(a->kind, b->kind) || a->port != b->port || a->port_count != b->port_count ||
        !str_eq(a->proto, b->proto) || !strv_eq(a->fmts, a->n_fmts, b->fmts, b->n_fmts) ||
        !str_eq(a->conn, b->conn) || !lines_eq(a->lines, a->n_lines, b->lines, b->n_lines) ||
        !str_eq(a->mid, b->mid) || !str_eq(a->ice_ufrag, b->ice_ufrag) ||
        !str_eq(a->ice_pwd, b->ice_pwd) || !str_eq(a->ice_options, b->ice_options) ||
        !str_eq(a->fingerprint.algorithm, b->fingerprint.algorithm) ||
        !str_eq(a->fingerprint.value, b->fingerprint.value) || a->setup != b->setup ||
        a->direction != b->direction || a->rtcp_mux != b->rtcp_mux ||
        a->rtcp_rsize != b->rtcp_rsize || a->sctp_port != b->sctp_port ||
        a->has_max_message_size != b->has_max_message_size ||
        a->max_message_size != b->max_message_size ||
        !strv_eq(a->candidates, a->n_candidates, b->candidates, b->n_candidates) ||
        a->end_of_candidates != b->end_of_candidates ||
        !attrs_eq(a->attrs, a->n_attrs, b->attrs, b->n_attrs))
        return false;
    MULTISET_EQ(a->rtpmaps, a->n_rtpmaps, b->rtpmaps, b->n_rtpmaps, rtpmap_eq);
    MULTISET_EQ(a->fmtps, a->n_fmtps, b->fmtps, b->n_fmtps, fmtp_eq);
    MULTISET_EQ(a->rtcpfbs, a->n_rtcpfbs, b->rtcpfbs, b->n_rtcpfbs, rtcpfb_eq);
    if (a->n_extmaps != b->n_extmaps || a->n_ssrcs != b->n_ssrcs ||
        a->n_ssrc_groups != b->n_ssrc_groups || a->n_msids != b->n_msids)
        return false;
    for (size_t i = 0; i < a->n_extmaps; i++) {
        const lkc_sdp_extmap_t *x = &a->extmaps[i], *y = &b->extmaps[i];
        if (x->id != y->id || x->has_direction != y->has_direction ||
            (x->has_direction && x->direction != y->direction) || !str_eq(x->uri, y->uri) ||
            !str_eq(x->params, y->params))
            return false;
    }
    for (size_t i = 0; i < a->n_ssrcs; i++)
        if (a->ssrcs[i].ssrc != b->ssrcs[i].ssrc || !str_eq(a->ssrcs[i].attr, b->ssrcs[i].attr) ||
            !str_eq(a->ssrcs[i].value, b->ssrcs[i].value))
            return false;
    for (size_t i = 0; i < a->n_ssrc_groups; i++) {
        const lkc_sdp_ssrc_group_t *x = &a->ssrc_groups[i], *y = &b->ssrc_groups[i];
        if (!str_eq(x->semantics, y->semantics) || x->n_ssrcs != y->n_ssrcs ||
            (x->n_ssrcs && memcmp(x->ssrcs, y->ssrcs, x->n_ssrcs * sizeof *x->ssrcs) != 0))
            return false;
    }
    for (size_t i = 0; i < a->n_msids; i++)
        if (!str_eq(a->msids[i].stream, b->msids[i].stream) ||
            !str_eq(a->msids[i].track, b->msids[i].track))
            return false;
    return true;
}

bool lkc_sdp_equal(const lkc_sdp_t *a, const lkc_sdp_t *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    const lkc_sdp_origin_t *x = &a->origin, *y = &b->origin;
    if (!str_eq(x->username, y->username) || x->sess_id != y->sess_id ||
        x->sess_version != y->sess_version || !str_eq(x->nettype, y->nettype) ||
        !str_eq(x->addrtype, y->addrtype) || !str_eq(x->address, y->address) ||
        !str_eq(a->name, b->name) || !str_eq(a->timing, b->timing) ||
        !lines_eq(a->lines, a->n_lines, b->lines, b->n_lines) ||
        !strv_eq(a->bundle, a->n_bundle, b->bundle, b->n_bundle) ||
        !str_eq(a->ice_ufrag, b->ice_ufrag) || !str_eq(a->ice_pwd, b->ice_pwd) ||
        !str_eq(a->ice_options, b->ice_options) || a->ice_lite != b->ice_lite ||
        !str_eq(a->fingerprint.algorithm, b->fingerprint.algorithm) ||
        !str_eq(a->fingerprint.value, b->fingerprint.value) || a->setup != b->setup ||
        a->extmap_allow_mixed != b->extmap_allow_mixed ||
        !str_eq(a->msid_semantic, b->msid_semantic) ||
        !attrs_eq(a->attrs, a->n_attrs, b->attrs, b->n_attrs) || a->n_media != b->n_media)
        return false;
    for (size_t i = 0; i < a->n_media; i++)
        if (!media_eq(a->media[i], b->media[i]))
            return false;
    return true;
}
