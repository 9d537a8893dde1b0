/* See participant_update.h. A request's waiter is shared by the caller (who waits on
 * room->cond) and the engine (which completes it), so either may let go first. */
#include "room/participant_update.h"

#include <string.h>

#include "base/log.h"
#include "base/sync.h"
#include "room/engine.h"

#define MOD "room"
#define ANSWER_WAIT_MS 10000
#define CALL_WAIT_MS 5000
/* the server's limits (config.go defaults): checked here so nothing oversize is sent */
#define MAX_NAME 256
#define MAX_METADATA (512 * 1024)
#define MAX_ATTRIBUTES (64 * 1024)

typedef struct waiter {
    atomic_int refs;
    bool done;   /* [room->lock] */
    int result;  /* [room->lock] */
} waiter_t;

typedef struct update_cmd {
    waiter_t *w;
    char *name;
    char *metadata;
    lkc_kv_t *attributes;
    size_t n_attributes;
} update_cmd_t;

struct lkc__participant_update {
    lkc_room_t *room;
    lkc__participant_update_ports_t ports;
    uint32_t next_id;
    GHashTable *pending; /* request id -> waiter_t* (a reference) */
};

static void waiter_unref(waiter_t *w)
{
    if (w && atomic_fetch_sub(&w->refs, 1) == 1)
        g_free(w);
}

static void complete(lkc_room_t *room, waiter_t *w, int result)
{
    pthread_mutex_lock(&room->lock);
    if (!w->done) {
        w->done = true;
        w->result = result;
    }
    pthread_cond_broadcast(&room->cond);
    pthread_mutex_unlock(&room->lock);
}

static void cmd_free(gpointer p)
{
    update_cmd_t *c = p;
    waiter_unref(c->w);
    g_free(c->name);
    g_free(c->metadata);
    for (size_t i = 0; i < c->n_attributes; i++) {
        g_free((char *)c->attributes[i].key);
        g_free((char *)c->attributes[i].value);
    }
    g_free(c->attributes);
    g_free(c);
}

lkc__participant_update_t *lkc__participant_update_new(lkc_room_t *room, const lkc__participant_update_ports_t *ports)
{
    lkc__participant_update_t *pu = g_new0(lkc__participant_update_t, 1);
    pu->room = room;
    pu->ports = *ports;
    pu->next_id = 1;
    pu->pending = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)waiter_unref);
    return pu;
}

void lkc__participant_update_free(lkc__participant_update_t *pu)
{
    if (!pu)
        return;
    GHashTableIter it;
    gpointer w;
    g_hash_table_iter_init(&it, pu->pending);
    while (g_hash_table_iter_next(&it, NULL, &w))
        complete(pu->room, w, LKC_ERR_CLOSED);
    g_hash_table_destroy(pu->pending);
    g_free(pu);
}

int lkc__participant_update_call(lkc__participant_update_t *pu, void *data)
{
    update_cmd_t *c = data;
    Livekit__UpdateParticipantMetadata u = LIVEKIT__UPDATE_PARTICIPANT_METADATA__INIT;
    u.name = c->name ? c->name : (char *)"";
    u.metadata = c->metadata ? c->metadata : (char *)"";
    Livekit__UpdateParticipantMetadata__AttributesEntry *entries = NULL, **eps = NULL;
    if (c->n_attributes) {
        entries = g_new0(Livekit__UpdateParticipantMetadata__AttributesEntry, c->n_attributes);
        eps = g_new0(Livekit__UpdateParticipantMetadata__AttributesEntry *, c->n_attributes);
        for (size_t i = 0; i < c->n_attributes; i++) {
            livekit__update_participant_metadata__attributes_entry__init(&entries[i]);
            entries[i].key = (char *)c->attributes[i].key;
            entries[i].value = (char *)c->attributes[i].value;
            eps[i] = &entries[i];
        }
        u.attributes = eps;
        u.n_attributes = c->n_attributes;
    }
    u.request_id = pu->next_id++;
    if (pu->next_id == 0)
        pu->next_id = 1;
    Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
    req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_UPDATE_METADATA;
    req.update_metadata = &u;
    int rc = pu->ports.send_signal(pu->ports.user, &req);
    g_free(entries);
    g_free(eps);
    if (rc != LKC_OK)
        return rc;
    atomic_fetch_add(&c->w->refs, 1);
    g_hash_table_insert(pu->pending, GUINT_TO_POINTER(u.request_id), c->w);
    return LKC_OK;
}

bool lkc__participant_update_on_response(lkc__participant_update_t *pu, const Livekit__RequestResponse *r)
{
    waiter_t *w = g_hash_table_lookup(pu->pending, GUINT_TO_POINTER(r->request_id));
    if (!w)
        return false;
    int result;
    switch (r->reason) {
    case LIVEKIT__REQUEST_RESPONSE__REASON__OK: result = LKC_OK; break;
    case LIVEKIT__REQUEST_RESPONSE__REASON__NOT_ALLOWED: result = LKC_ERR_DENIED; break;
    case LIVEKIT__REQUEST_RESPONSE__REASON__LIMIT_EXCEEDED: result = LKC_ERR_TOO_LARGE; break;
    default: result = LKC_ERR_PROTOCOL; break;
    }
    if (result != LKC_OK)
        LKC_LOGW(MOD, "the server refused our name/metadata/attributes update: %s",
                 r->message && *r->message ? r->message : "(no reason given)");
    complete(pu->room, w, result);
    g_hash_table_remove(pu->pending, GUINT_TO_POINTER(r->request_id));
    return true;
}

/* --- the public calls (any thread but the engine's) ----------------------------------- */

static lkc_err_t request(lkc_room_t *room, update_cmd_t *c)
{
    if (lkc__room_on_engine_thread(room)) {
        cmd_free(c);
        return LKC_ERR_STATE; /* the answer comes on this very thread */
    }
    if (lkc_room_state(room) != LKC_STATE_CONNECTED) {
        cmd_free(c);
        return LKC_ERR_STATE;
    }
    if (!lkc__room_enter(room)) {
        cmd_free(c);
        return LKC_ERR_CLOSED;
    }
    waiter_t *w = g_new0(waiter_t, 1);
    atomic_init(&w->refs, 2); /* ours and the command's */
    c->w = w;
    int rc = lkc__engine_call(room, LKC__CMD_PARTICIPANT, c, cmd_free, NULL, NULL, CALL_WAIT_MS);
    if (rc == LKC_OK) {
        struct timespec deadline;
        lkc_deadline_after(&deadline, ANSWER_WAIT_MS);
        pthread_mutex_lock(&room->lock);
        while (!w->done && !room->closing && rc == LKC_OK)
            if (pthread_cond_timedwait(&room->cond, &room->lock, &deadline) != 0)
                rc = LKC_ERR_TIMEOUT;
        if (w->done)
            rc = w->result;
        else if (room->closing)
            rc = LKC_ERR_CLOSED;
        pthread_mutex_unlock(&room->lock);
    }
    waiter_unref(w);
    lkc__room_leave(room);
    return rc;
}

lkc_err_t lkc_room_set_metadata(lkc_room_t *room, const char *metadata)
{
    if (!room || !metadata)
        return LKC_ERR_INVALID_ARG;
    if (!*metadata)
        return LKC_ERR_INVALID_ARG; /* the server treats "" as "unchanged" */
    if (strlen(metadata) > MAX_METADATA)
        return LKC_ERR_TOO_LARGE;
    update_cmd_t *c = g_new0(update_cmd_t, 1);
    c->metadata = g_strdup(metadata);
    return request(room, c);
}

lkc_err_t lkc_room_set_name(lkc_room_t *room, const char *name)
{
    if (!room || !name || !*name)
        return LKC_ERR_INVALID_ARG; /* the server treats "" as "unchanged" */
    if (strlen(name) > MAX_NAME)
        return LKC_ERR_TOO_LARGE;
    update_cmd_t *c = g_new0(update_cmd_t, 1);
    c->name = g_strdup(name);
    return request(room, c);
}

lkc_err_t lkc_room_set_attributes(lkc_room_t *room, const lkc_kv_t *attributes, size_t n)
{
    if (!room || (n && !attributes) || n == 0)
        return LKC_ERR_INVALID_ARG;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!attributes[i].key || !*attributes[i].key || !attributes[i].value)
            return LKC_ERR_INVALID_ARG;
        total += strlen(attributes[i].key) + strlen(attributes[i].value);
    }
    if (total > MAX_ATTRIBUTES)
        return LKC_ERR_TOO_LARGE;
    update_cmd_t *c = g_new0(update_cmd_t, 1);
    c->attributes = g_new0(lkc_kv_t, n);
    for (size_t i = 0; i < n; i++) {
        c->attributes[i].key = g_strdup(attributes[i].key);
        c->attributes[i].value = g_strdup(attributes[i].value);
    }
    c->n_attributes = n;
    return request(room, c);
}
