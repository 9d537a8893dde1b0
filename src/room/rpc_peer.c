/* What the caller and callee sides of RPC share (declared in rpc_internal.h): sending
 * through the session's port (packets, and whole text streams for v2), what we know of a
 * peer (its sid, capabilities, whether a session is still its current one), timers on the
 * engine's context. Engine thread. */
#include <string.h>

#include "base/log.h"
#include "base/rand.h"
#include "room/rpc_internal.h"
#include "room/stream_encode.h"

#define MOD "rpc"

void lkc__rpc_send(lkc__rpc_t *r, lkc__outgoing_t *o)
{
    r->ports.send(r->ports.user, o);
}

bool lkc__rpc_send_text(lkc__rpc_t *r, const char *dest, const char *topic, const char *text, size_t len,
                        const lkc_kv_t *attrs, size_t n_attrs)
{
    bool present = false;
    int cp = r->ports.client_protocol(r->ports.user, dest, &present);
    char id[37];
    lkc_random_uuid(id);
    const char *d[1] = {dest};
    /* as the official SDKs: one packet (inline) for peers that read data streams v2, and
     * deflate-raw when the peer says it inflates (lkc__stream_encode_text keeps it only
     * when it shrinks the content) */
    bool deflate = cp >= 2 && (lkc__rpc_peer_capabilities(r, dest) & LKC_CAP_COMPRESSION_DEFLATE_RAW);
    GPtrArray *pkts = lkc__stream_encode_text(id, topic, text, len, d, 1, attrs, n_attrs, cp >= 2, deflate);
    if (!pkts) {
        LKC_LOGW(MOD, "cannot encode a text stream on %s", topic);
        return false;
    }
    g_ptr_array_set_free_func(pkts, NULL);
    for (guint i = 0; i < pkts->len; i++)
        lkc__rpc_send(r, g_ptr_array_index(pkts, i));
    g_ptr_array_unref(pkts);
    return true;
}

char *lkc__rpc_peer_sid(lkc__rpc_t *r, const char *identity)
{
    char *sid = NULL;
    pthread_mutex_lock(&r->room->lock);
    GPtrArray *a = r->room->remotes;
    /* the last one: in join order, the newest session when an identity is listed twice */
    for (guint i = 0; a && identity && i < a->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(a, i);
        if (p->identity && strcmp(p->identity, identity) == 0 && p->sid && *p->sid) {
            g_free(sid);
            sid = g_strdup(p->sid);
        }
    }
    pthread_mutex_unlock(&r->room->lock);
    return sid;
}

uint32_t lkc__rpc_peer_capabilities(lkc__rpc_t *r, const char *identity)
{
    uint32_t caps = 0;
    pthread_mutex_lock(&r->room->lock);
    GPtrArray *a = r->room->remotes;
    for (guint i = 0; a && identity && i < a->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(a, i);
        if (p->identity && strcmp(p->identity, identity) == 0)
            caps = p->capabilities; /* the last: the newest session */
    }
    pthread_mutex_unlock(&r->room->lock);
    return caps;
}

bool lkc__rpc_peer_session_current(lkc__rpc_t *r, const char *identity, const char *sid)
{
    bool same = false, other = false;
    pthread_mutex_lock(&r->room->lock);
    GPtrArray *a = r->room->remotes;
    for (guint i = 0; a && i < a->len; i++) {
        const lkc_participant_info_t *p = g_ptr_array_index(a, i);
        if (!p->identity || strcmp(p->identity, identity) != 0)
            continue;
        if (p->sid && strcmp(p->sid, sid) == 0)
            same = true;
        else
            other = true;
    }
    pthread_mutex_unlock(&r->room->lock);
    return same && !other;
}

GSource *lkc__rpc_timer(lkc__rpc_t *r, int ms, GSourceFunc fn, void *data)
{
    GSource *s = g_timeout_source_new(ms > 0 ? (guint)ms : 0);
    g_source_set_callback(s, fn, data, NULL);
    g_source_attach(s, r->ctx);
    return s;
}
