/* SDP model builders: setters and the append functions that grow its arrays. */
#include "rtc/sdp.h"

#include <stdlib.h>
#include <string.h>

#include "lkc/error.h"

/* ---- storage ------------------------------------------------------------------------ */

/* Appends one zeroed element to a dynamic array. The capacity is implicit (the next
 * power of two at or above the count), so the structs need no capacity fields; it
 * only holds because every array grows through here. `field` is the address of the
 * array pointer. Returns the new element or NULL (array unchanged) when out of memory. */
static void *push(void *field, size_t *n, size_t elem)
{
    void *arr;
    memcpy(&arr, field, sizeof arr);
    size_t cnt = *n;
    if ((cnt & (cnt - 1)) == 0) { /* 0 or a power of two: full */
        size_t cap = cnt ? cnt * 2 : 1;
        void *grown = realloc(arr, cap * elem);
        if (!grown)
            return NULL;
        arr = grown;
        memcpy(field, &arr, sizeof arr);
    }
    char *slot = (char *)arr + cnt * elem;
    memset(slot, 0, elem);
    *n = cnt + 1;
    return slot;
}

/* Control characters (CR and LF above all) would break the text apart; tab is
 * allowed, as in the parser and the writer. */
static bool has_ctl(const char *v)
{
    for (const unsigned char *c = (const unsigned char *)v; c && *c; c++)
        if (*c < 0x20 && *c != '\t')
            return true;
    return false;
}

/* strdup that keeps NULL as NULL; *ok turns false on failure or a control character. */
static char *dup_checked(const char *v, bool *ok)
{
    if (!v)
        return NULL;
    if (has_ctl(v)) {
        *ok = false;
        return NULL;
    }
    char *d = strdup(v);
    if (!d)
        *ok = false;
    return d;
}

int lkc_sdp_set_str(char **field, const char *value)
{
    if (!field || has_ctl(value))
        return LKC_ERR_INVALID_ARG;
    char *d = NULL;
    if (value && !(d = strdup(value)))
        return LKC_ERR_NO_MEMORY;
    free(*field);
    *field = d;
    return LKC_OK;
}

int lkc_sdp_set_fingerprint(lkc_sdp_fingerprint_t *fp, const char *algorithm, const char *value)
{
    if (!fp || !algorithm != !value || has_ctl(algorithm) || has_ctl(value))
        return LKC_ERR_INVALID_ARG;
    char *a = algorithm ? strdup(algorithm) : NULL, *v = value ? strdup(value) : NULL;
    if (algorithm && (!a || !v)) {
        free(a);
        free(v);
        return LKC_ERR_NO_MEMORY;
    }
    free(fp->algorithm);
    free(fp->value);
    fp->algorithm = a;
    fp->value = v;
    return LKC_OK;
}

/* ---- builders ----------------------------------------------------------------------- */

static int add_str(char ***v, size_t *n, const char *value)
{
    if (!value || has_ctl(value))
        return LKC_ERR_INVALID_ARG;
    char *d = strdup(value);
    char **slot = d ? push(v, n, sizeof **v) : NULL;
    if (!slot) {
        free(d);
        return LKC_ERR_NO_MEMORY;
    }
    *slot = d;
    return LKC_OK;
}

static int add_attr(lkc_sdp_attr_t **a, size_t *n, const char *name, const char *value)
{
    bool ok = true;
    if (!name || !*name || has_ctl(name) || has_ctl(value))
        return LKC_ERR_INVALID_ARG;
    char *nm = dup_checked(name, &ok), *v = dup_checked(value, &ok);
    lkc_sdp_attr_t *slot = ok ? push(a, n, sizeof **a) : NULL;
    if (!slot) {
        free(nm);
        free(v);
        return LKC_ERR_NO_MEMORY;
    }
    slot->name = nm;
    slot->value = v;
    return LKC_OK;
}

static int add_line(lkc_sdp_line_t **l, size_t *n, char type, const char *value)
{
    bool ok = true;
    if (!value || has_ctl(value) || type < 'a' || type > 'z')
        return LKC_ERR_INVALID_ARG;
    char *v = dup_checked(value, &ok);
    lkc_sdp_line_t *slot = ok ? push(l, n, sizeof **l) : NULL;
    if (!slot) {
        free(v);
        return LKC_ERR_NO_MEMORY;
    }
    slot->type = type;
    slot->value = v;
    return LKC_OK;
}

int lkc_sdp_add_bundle_mid(lkc_sdp_t *s, const char *mid)
{
    return s ? add_str(&s->bundle, &s->n_bundle, mid) : LKC_ERR_INVALID_ARG;
}

int lkc_sdp_add_attr(lkc_sdp_t *s, const char *name, const char *value)
{
    return s ? add_attr(&s->attrs, &s->n_attrs, name, value) : LKC_ERR_INVALID_ARG;
}

int lkc_sdp_add_line(lkc_sdp_t *s, char type, const char *value)
{
    return s ? add_line(&s->lines, &s->n_lines, type, value) : LKC_ERR_INVALID_ARG;
}

lkc_sdp_media_t *lkc_sdp_add_media(lkc_sdp_t *s, const char *kind, uint16_t port, const char *proto)
{
    if (!s || !kind || !proto || has_ctl(kind) || has_ctl(proto))
        return NULL;
    lkc_sdp_media_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    bool ok = true;
    m->kind = dup_checked(kind, &ok);
    m->proto = dup_checked(proto, &ok);
    m->conn = dup_checked("IN IP4 0.0.0.0", &ok);
    m->port = port;
    lkc_sdp_media_t **slot = ok ? push(&s->media, &s->n_media, sizeof *s->media) : NULL;
    if (!slot) {
        free(m->kind);
        free(m->proto);
        free(m->conn);
        free(m);
        return NULL;
    }
    *slot = m;
    return m;
}

int lkc_sdp_media_add_format(lkc_sdp_media_t *m, const char *fmt)
{
    return m ? add_str(&m->fmts, &m->n_fmts, fmt) : LKC_ERR_INVALID_ARG;
}

int lkc_sdp_media_add_rtpmap(lkc_sdp_media_t *m, int pt, const char *encoding, uint32_t clock,
                             uint32_t channels)
{
    bool ok = true;
    if (!m || pt < 0 || pt > 127 || !encoding || !*encoding || clock == 0 || has_ctl(encoding))
        return LKC_ERR_INVALID_ARG;
    char *e = dup_checked(encoding, &ok);
    lkc_sdp_rtpmap_t *r = ok ? push(&m->rtpmaps, &m->n_rtpmaps, sizeof *m->rtpmaps) : NULL;
    if (!r) {
        free(e);
        return LKC_ERR_NO_MEMORY;
    }
    *r = (lkc_sdp_rtpmap_t){.pt = pt, .encoding = e, .clock = clock, .channels = channels};
    return LKC_OK;
}

int lkc_sdp_media_add_fmtp(lkc_sdp_media_t *m, int pt, const char *params)
{
    bool ok = true;
    if (!m || pt < 0 || pt > 127 || !params || has_ctl(params))
        return LKC_ERR_INVALID_ARG;
    char *p = dup_checked(params, &ok);
    lkc_sdp_fmtp_t *f = ok ? push(&m->fmtps, &m->n_fmtps, sizeof *m->fmtps) : NULL;
    if (!f) {
        free(p);
        return LKC_ERR_NO_MEMORY;
    }
    *f = (lkc_sdp_fmtp_t){.pt = pt, .params = p};
    return LKC_OK;
}

int lkc_sdp_media_add_rtcpfb(lkc_sdp_media_t *m, int pt, const char *value)
{
    bool ok = true;
    if (!m || pt < -1 || pt > 127 || !value || !*value || has_ctl(value))
        return LKC_ERR_INVALID_ARG;
    char *v = dup_checked(value, &ok);
    lkc_sdp_rtcpfb_t *f = ok ? push(&m->rtcpfbs, &m->n_rtcpfbs, sizeof *m->rtcpfbs) : NULL;
    if (!f) {
        free(v);
        return LKC_ERR_NO_MEMORY;
    }
    *f = (lkc_sdp_rtcpfb_t){.pt = pt, .value = v};
    return LKC_OK;
}

int lkc_sdp_media_add_extmap(lkc_sdp_media_t *m, uint16_t id, int direction, const char *uri,
                             const char *params)
{
    bool ok = true;
    if (!m || id == 0 || direction > LKC_SDP_INACTIVE || !uri || !*uri || has_ctl(uri) ||
        has_ctl(params))
        return LKC_ERR_INVALID_ARG;
    char *u = dup_checked(uri, &ok), *p = dup_checked(params, &ok);
    lkc_sdp_extmap_t *x = ok ? push(&m->extmaps, &m->n_extmaps, sizeof *m->extmaps) : NULL;
    if (!x) {
        free(u);
        free(p);
        return LKC_ERR_NO_MEMORY;
    }
    *x = (lkc_sdp_extmap_t){.id = id, .has_direction = direction >= 0,
                            .direction = direction >= 0 ? (lkc_sdp_dir_t)direction : LKC_SDP_SENDRECV,
                            .uri = u, .params = p};
    return LKC_OK;
}

int lkc_sdp_media_add_ssrc(lkc_sdp_media_t *m, uint32_t ssrc, const char *attr, const char *value)
{
    bool ok = true;
    if (!m || !attr || !*attr || has_ctl(attr) || has_ctl(value))
        return LKC_ERR_INVALID_ARG;
    char *a = dup_checked(attr, &ok), *v = dup_checked(value, &ok);
    lkc_sdp_ssrc_t *x = ok ? push(&m->ssrcs, &m->n_ssrcs, sizeof *m->ssrcs) : NULL;
    if (!x) {
        free(a);
        free(v);
        return LKC_ERR_NO_MEMORY;
    }
    *x = (lkc_sdp_ssrc_t){.ssrc = ssrc, .attr = a, .value = v};
    return LKC_OK;
}

int lkc_sdp_media_add_ssrc_group(lkc_sdp_media_t *m, const char *semantics, const uint32_t *ssrcs,
                                 size_t n)
{
    bool ok = true;
    if (!m || !semantics || !*semantics || has_ctl(semantics) || (n && !ssrcs) ||
        n > LKC_SDP_MAX_GROUP_SSRCS)
        return LKC_ERR_INVALID_ARG;
    char *sem = dup_checked(semantics, &ok);
    uint32_t *v = n ? malloc(n * sizeof *v) : NULL;
    lkc_sdp_ssrc_group_t *g =
        ok && (v || !n) ? push(&m->ssrc_groups, &m->n_ssrc_groups, sizeof *m->ssrc_groups) : NULL;
    if (!g) {
        free(sem);
        free(v);
        return LKC_ERR_NO_MEMORY;
    }
    if (n)
        memcpy(v, ssrcs, n * sizeof *v);
    *g = (lkc_sdp_ssrc_group_t){.semantics = sem, .ssrcs = v, .n_ssrcs = n};
    return LKC_OK;
}

int lkc_sdp_media_add_msid(lkc_sdp_media_t *m, const char *stream, const char *track)
{
    bool ok = true;
    if (!m || !stream || !*stream || has_ctl(stream) || has_ctl(track))
        return LKC_ERR_INVALID_ARG;
    char *st = dup_checked(stream, &ok), *tr = dup_checked(track, &ok);
    lkc_sdp_msid_t *x = ok ? push(&m->msids, &m->n_msids, sizeof *m->msids) : NULL;
    if (!x) {
        free(st);
        free(tr);
        return LKC_ERR_NO_MEMORY;
    }
    *x = (lkc_sdp_msid_t){.stream = st, .track = tr};
    return LKC_OK;
}

int lkc_sdp_media_add_candidate(lkc_sdp_media_t *m, const char *candidate)
{
    static const char prefix[] = "candidate:";
    if (!m || !candidate || !*candidate || has_ctl(candidate))
        return LKC_ERR_INVALID_ARG;
    if (strncmp(candidate, prefix, sizeof prefix - 1) == 0)
        return add_str(&m->candidates, &m->n_candidates, candidate);
    size_t len = strlen(candidate);
    char *full = malloc(sizeof prefix + len);
    if (!full)
        return LKC_ERR_NO_MEMORY;
    memcpy(full, prefix, sizeof prefix - 1);
    memcpy(full + sizeof prefix - 1, candidate, len + 1);
    int rc = add_str(&m->candidates, &m->n_candidates, full);
    free(full);
    return rc;
}

int lkc_sdp_media_add_attr(lkc_sdp_media_t *m, const char *name, const char *value)
{
    return m ? add_attr(&m->attrs, &m->n_attrs, name, value) : LKC_ERR_INVALID_ARG;
}

int lkc_sdp_media_add_line(lkc_sdp_media_t *m, char type, const char *value)
{
    return m ? add_line(&m->lines, &m->n_lines, type, value) : LKC_ERR_INVALID_ARG;
}
