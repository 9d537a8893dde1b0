/* The public room API: create, connect, close, destroy, state, stats. The session
 * itself runs on the engine thread (engine.c driving session.c); this file only starts,
 * stops and waits. */
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/sync.h"
#include "room/audio_internal.h"
#include "room/engine.h"
#include "room/rpc_methods.h"
#include "room/stream_topics.h"
#include "room/session.h"
#include "room/test_hooks.h"
#include "signal/signal_url.h"

#define MOD "room"
#define CLOSE_WAIT_MS 3000 /* the engine bounds its own teardown at 1.5 s */

void lkc_room_options_init(lkc_room_options_t *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->auto_subscribe = true;
    o->ice_policy = LKC_ICE_ALL;
    o->connect_timeout_ms = 10000;
    o->reconnect_attempts = 10;
    o->reconnect_delay_ms = 300;
    o->reconnect_max_delay_ms = 7000;
}

static void timeline_reset(lkc_timeline_t *t)
{
    *t = (lkc_timeline_t){
        .signal_open_ms = -1, .join_received_ms = -1, .subscriber_ice_ms = -1, .subscriber_dtls_ms = -1,
        .subscriber_channels_ms = -1, .publisher_ice_ms = -1, .publisher_dtls_ms = -1,
        .publisher_channels_ms = -1, .connected_ms = -1,
    };
}

static void room_free(lkc_room_t *room);

lkc_err_t lkc_room_create(const lkc_room_options_t *opts, lkc_room_t **out)
{
    if (!out)
        return LKC_ERR_INVALID_ARG;
    *out = NULL;
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    if (opts) {
        if (opts->struct_size == 0 || opts->struct_size > sizeof o)
            return LKC_ERR_INVALID_ARG; /* not filled by lkc_room_options_init() */
        memcpy(&o, opts, opts->struct_size); /* fields an older caller lacks keep their defaults */
        o.struct_size = sizeof o;
    }
    if (o.reconnect_attempts < 0 || o.reconnect_delay_ms < 0 || o.reconnect_max_delay_ms < o.reconnect_delay_ms)
        return LKC_ERR_INVALID_ARG;
    if (o.connect_timeout_ms < 0 || (int)o.ice_policy < 0 || o.ice_policy > LKC_ICE_RELAY_ONLY)
        return LKC_ERR_INVALID_ARG;
    if (o.connect_timeout_ms == 0)
        o.connect_timeout_ms = 10000;
    lkc_room_t *room = calloc(1, sizeof *room);
    if (!room)
        return LKC_ERR_NO_MEMORY;
    room->opts = o;
    room->free_fn = room_free;
    room->ca_file = o.ca_file ? strdup(o.ca_file) : NULL;
    room->opts.ca_file = room->ca_file;
    if (o.ca_file && !room->ca_file) {
        free(room);
        return LKC_ERR_NO_MEMORY;
    }
    pthread_mutex_init(&room->lock, NULL);
    lkc_cond_init_monotonic(&room->cond);
    timeline_reset(&room->timeline);
    atomic_init(&room->state, LKC_STATE_DISCONNECTED);
    atomic_init(&room->failure, LKC_FAILURE_NONE);
    atomic_init(&room->engine_thread, NULL);
    atomic_init(&room->handlers_off, false);
    atomic_init(&room->max_data_payload, 0);
    *out = room;
    return LKC_OK;
}

void lkc__room_set_test_hooks(lkc_room_t *room, uint32_t hooks)
{
    room->test_hooks = hooks;
}

/* Joins a finished session thread. Called with room->lock held. */
static void reap_thread(lkc_room_t *room)
{
    if (room->thread && !room->session_running) {
        GThread *t = room->thread;
        room->thread = NULL;
        pthread_mutex_unlock(&room->lock);
        g_thread_join(t);
        pthread_mutex_lock(&room->lock);
    }
}

lkc_err_t lkc_room_connect(lkc_room_t *room, const char *url, const char *token)
{
    char why[160];
    if (!room || !token || !*token)
        return LKC_ERR_INVALID_ARG;
    if (lkc_signal_url_check(url, why, sizeof why) != 0) {
        LKC_LOGW(MOD, "connect: %s", why);
        return LKC_ERR_INVALID_ARG;
    }
    if (lkc__room_on_engine_thread(room))
        return LKC_ERR_STATE; /* its session is still running: we are inside it */
    pthread_mutex_lock(&room->lock);
    if (room->session_running || room->destroy_deferred) {
        pthread_mutex_unlock(&room->lock);
        return LKC_ERR_STATE;
    }
    reap_thread(room);
    room->failure_msg[0] = '\0';
    room->undelivered_first = 0;
    room->undelivered_count = 0;
    timeline_reset(&room->timeline);
    atomic_store(&room->failure, LKC_FAILURE_NONE);
    atomic_store(&room->state, LKC_STATE_CONNECTING);
    int rc = lkc__engine_start(room, &lkc__session_client, url, token);
    if (rc != LKC_OK)
        atomic_store(&room->state, LKC_STATE_DISCONNECTED);
    pthread_mutex_unlock(&room->lock);
    return rc;
}

lkc_err_t lkc_room_wait_connected(lkc_room_t *room, int timeout_ms)
{
    if (!room)
        return LKC_ERR_INVALID_ARG;
    if (lkc__room_on_engine_thread(room))
        return LKC_ERR_STATE;
    if (!lkc__room_enter(room))
        return LKC_ERR_CLOSED;
    struct timespec deadline;
    lkc_deadline_after(&deadline, timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_lock(&room->lock);
    lkc_err_t rc = LKC_OK;
    for (;;) {
        if (atomic_load(&room->state) == LKC_STATE_CONNECTED)
            break;
        if (room->closing || !room->session_running || atomic_load(&room->state) == LKC_STATE_DISCONNECTED) {
            rc = LKC_ERR_CLOSED;
            break;
        }
        if (timeout_ms == 0 ||
            (timeout_ms < 0 ? pthread_cond_wait(&room->cond, &room->lock)
                            : pthread_cond_timedwait(&room->cond, &room->lock, &deadline)) != 0) {
            rc = atomic_load(&room->state) == LKC_STATE_CONNECTED ? LKC_OK : LKC_ERR_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&room->lock);
    lkc__room_leave(room);
    return rc;
}

/* Asks the running session to end and, off the engine thread, waits for its thread
 * to finish (bounded) and joins it. */
static lkc_err_t end_session(lkc_room_t *room)
{
    lkc__engine_post(room, LKC__CMD_CLOSE, NULL, NULL); /* LKC_ERR_STATE: already ending, fine */
    if (lkc__room_on_engine_thread(room))
        return LKC_OK; /* from a handler: the session ends when it returns */
    struct timespec deadline;
    lkc_deadline_after(&deadline, CLOSE_WAIT_MS);
    pthread_mutex_lock(&room->lock);
    while (room->session_running) {
        if (pthread_cond_timedwait(&room->cond, &room->lock, &deadline) != 0)
            break;
    }
    if (room->session_running) {
        pthread_mutex_unlock(&room->lock);
        LKC_LOGE(MOD, "the engine thread did not finish within %d ms (blocked in a handler?)", CLOSE_WAIT_MS);
        return LKC_ERR_TIMEOUT;
    }
    reap_thread(room);
    pthread_mutex_unlock(&room->lock);
    return LKC_OK;
}

lkc_err_t lkc_room_close(lkc_room_t *room)
{
    if (!room)
        return LKC_ERR_INVALID_ARG;
    return end_session(room);
}

/* Frees the room once no session runs. Blocked callers leave first (R9); the tracks the
 * application still holds outlive the room (their calls return LKC_ERR_CLOSED). */
static void room_free(lkc_room_t *room)
{
    lkc__room_close_callers(room);
    if (room->tracks) {
        for (guint i = 0; i < room->tracks->len; i++) {
            lkc_track_t *t = g_ptr_array_index(room->tracks, i);
            lkc__track_detach_room(t);
            lkc__track_unref(t); /* the list's */
        }
        g_ptr_array_free(room->tracks, TRUE);
    }
    lkc__rpc_methods_free(room->rpc_methods);
    lkc__stream_topics_free(room->stream_topics);
    lkc_room_info_free(room->info);
    lkc_participant_info_free(room->local);
    if (room->remotes)
        g_ptr_array_unref(room->remotes);
    if (room->thread) {
        /* destroyed from a handler: this is the finishing thread's own handle, and
         * dropping it detaches the thread */
        g_thread_unref(room->thread);
        room->thread = NULL;
    }
    pthread_mutex_destroy(&room->lock);
    pthread_cond_destroy(&room->cond);
    free(room->ca_file);
    free(room);
}


void lkc_room_destroy(lkc_room_t *room)
{
    if (!room)
        return;
    if (lkc__room_on_engine_thread(room)) {
        /* From a handler: no handler runs after this call; the engine thread frees the
         * room when it finishes. */
        atomic_store(&room->handlers_off, true);
        pthread_mutex_lock(&room->lock);
        room->destroy_deferred = true;
        pthread_mutex_unlock(&room->lock);
        lkc__engine_post(room, LKC__CMD_CLOSE, NULL, NULL);
        return;
    }
    atomic_store(&room->handlers_off, true);
    if (end_session(room) != LKC_OK) {
        /* Still running (stuck in a handler): let it free the room when it finishes. */
        pthread_mutex_lock(&room->lock);
        bool running = room->session_running;
        if (running)
            room->destroy_deferred = true;
        pthread_mutex_unlock(&room->lock);
        if (running)
            return;
        pthread_mutex_lock(&room->lock);
        reap_thread(room);
        pthread_mutex_unlock(&room->lock);
    }
    room_free(room);
}

lkc_state_t lkc_room_state(const lkc_room_t *room)
{
    return room ? (lkc_state_t)atomic_load(&((lkc_room_t *)room)->state) : LKC_STATE_DISCONNECTED;
}

lkc_failure_t lkc_room_failure_reason(const lkc_room_t *room)
{
    return room ? (lkc_failure_t)atomic_load(&((lkc_room_t *)room)->failure) : LKC_FAILURE_NONE;
}

lkc_err_t lkc_room_failure_message(const lkc_room_t *room, char *buf, size_t len)
{
    if (!room || !buf || len == 0)
        return LKC_ERR_INVALID_ARG;
    lkc_room_t *r = (lkc_room_t *)room;
    pthread_mutex_lock(&r->lock);
    g_strlcpy(buf, r->failure_msg, len);
    pthread_mutex_unlock(&r->lock);
    return LKC_OK;
}

lkc_err_t lkc_room_get_timeline(lkc_room_t *room, lkc_timeline_t *out)
{
    if (!room || !out)
        return LKC_ERR_INVALID_ARG;
    pthread_mutex_lock(&room->lock);
    *out = room->timeline;
    pthread_mutex_unlock(&room->lock);
    return LKC_OK;
}

static void stats_take(void *data, void *out)
{
    *(lkc_pc_stats_t *)out = ((lkc__stats_cmd_t *)data)->stats;
}

lkc_err_t lkc_room_get_pc_stats(lkc_room_t *room, lkc_pc_target_t which, lkc_pc_stats_t *out)
{
    if (!room || !out || (which != LKC_PC_PUBLISHER && which != LKC_PC_SUBSCRIBER))
        return LKC_ERR_INVALID_ARG;
    if (!lkc__room_enter(room))
        return LKC_ERR_CLOSED;
    lkc__stats_cmd_t *c = g_new0(lkc__stats_cmd_t, 1);
    c->which = which;
    int rc = lkc__engine_call(room, LKC__CMD_PC_STATS, c, g_free, stats_take, out, 2000);
    lkc__room_leave(room);
    return rc;
}

lkc_err_t lkc_room_undelivered_data(const lkc_room_t *room, uint64_t *first, uint64_t *count)
{
    if (!room || !first || !count)
        return LKC_ERR_INVALID_ARG;
    lkc_room_t *r = (lkc_room_t *)room;
    pthread_mutex_lock(&r->lock);
    bool ended = atomic_load(&r->state) == LKC_STATE_DISCONNECTED;
    *first = ended ? r->undelivered_first : 0;
    *count = ended ? r->undelivered_count : 0;
    pthread_mutex_unlock(&r->lock);
    return ended ? LKC_OK : LKC_ERR_STATE;
}

int lkc__room_simulate(lkc_room_t *room, int scenario)
{
    int *c = g_new(int, 1);
    *c = scenario;
    return lkc__engine_call(room, LKC__CMD_SIMULATE, c, g_free, NULL, NULL, 2000);
}
