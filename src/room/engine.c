/* The engine thread of one session: its private GMainContext, the commands posted to
 * it, the one teardown path, and the end of the thread.
 *
 * Life of a session (R1-R6):
 *   lkc_room_connect -> lkc__engine_start: every allocation, then the thread (R1)
 *   engine_main: the client (the session) runs on the context until `finished`
 *   lkc__engine_end: the only way to finish (R3); bounded by END_BOUND_MS (R4)
 *   after the loop: free the session, stop accepting commands, drain, report
 *   DISCONNECTED, wake the waiters; the thread then returns by itself and whoever
 *   owns the room joins it (R2), or, when the room was destroyed from a handler,
 *   the thread frees the room as its last act.
 */
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/linger.h"
#include "base/log.h"
#include "base/source.h"
#include "base/sync.h"
#include "room/engine.h"
#include "room/events.h"

#define MOD "engine"
#define END_BOUND_MS 1500 /* leave + close of signal and peers, at most */
#define DRAIN_MAX_ITERATIONS 2000
#define LINGER_TIMEOUT_MS 1000 /* cancelled requests and TURN deallocations, at most */

struct lkc_engine {
    lkc_room_t *room;
    GMainContext *ctx;
    char *url;
    char *token;
    int64_t start_ms;
    bool ending;
    bool finished;
    lkc_failure_t end_reason;
    char end_message[256];
    GSource *end_timer;
    const lkc__engine_client_t *client;
    void *session;             /* the client's state */
    GQueue *commands;          /* [room->lock] command_t*, from other threads */
    GSource *command_source;
};

lkc_room_t *lkc__engine_room(lkc_engine_t *e) { return e->room; }
GMainContext *lkc__engine_context(lkc_engine_t *e) { return e->ctx; }
int64_t lkc__engine_elapsed_ms(lkc_engine_t *e) { return lkc_mono_ms() - e->start_ms; }

/* --- commands from other threads ---------------------------------------------------
 * A queue under room->lock, drained on the engine thread by one GSource. (Not idle
 * sources per command: the hand-off must go through a lock that ThreadSanitizer sees,
 * and the queue must be bounded.) */

#define MAX_PENDING_COMMANDS 10000

typedef struct {
    lkc__cmd_t cmd;
    bool call;                 /* data is a call_t around the command's data */
    void *data;
    GDestroyNotify free_data;
} command_t;

typedef struct {
    GSource base;
    lkc_engine_t *e;
} command_source_t;

static bool commands_pending(lkc_engine_t *e)
{
    pthread_mutex_lock(&e->room->lock);
    bool any = e->commands->length > 0;
    pthread_mutex_unlock(&e->room->lock);
    return any;
}

static gboolean command_prepare(GSource *src, gint *timeout)
{
    *timeout = -1;
    return commands_pending(((command_source_t *)src)->e);
}

static gboolean command_check(GSource *src)
{
    return commands_pending(((command_source_t *)src)->e);
}

static void command_free(command_t *c)
{
    if (c->free_data)
        c->free_data(c->data);
    g_free(c);
}

static void run_command(lkc_engine_t *e, const command_t *c);

static gboolean command_dispatch(GSource *src, GSourceFunc cb, gpointer user)
{
    lkc_engine_t *e = ((command_source_t *)src)->e;
    pthread_mutex_lock(&e->room->lock);
    GQueue batch = *e->commands;
    g_queue_init(e->commands);
    pthread_mutex_unlock(&e->room->lock);
    command_t *c;
    while ((c = g_queue_pop_head(&batch))) {
        if (!e->finished)
            run_command(e, c);
        command_free(c);
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs command_funcs = {command_prepare, command_check, command_dispatch, NULL, NULL, NULL};

static int enqueue(lkc_room_t *room, lkc__cmd_t cmd, bool call, void *data, GDestroyNotify free_data)
{
    pthread_mutex_lock(&room->lock);
    lkc_engine_t *e = room->engine;
    if (!e || e->commands->length >= MAX_PENDING_COMMANDS) {
        pthread_mutex_unlock(&room->lock);
        if (free_data)
            free_data(data);
        return e ? LKC_ERR_WOULD_BLOCK : LKC_ERR_STATE;
    }
    command_t *c = g_new0(command_t, 1);
    c->cmd = cmd;
    c->call = call;
    c->data = data;
    c->free_data = free_data;
    g_queue_push_tail(e->commands, c);
    GMainContext *ctx = g_main_context_ref(e->ctx);
    pthread_mutex_unlock(&room->lock);
    g_main_context_wakeup(ctx);
    g_main_context_unref(ctx);
    return LKC_OK;
}

int lkc__engine_post(lkc_room_t *room, lkc__cmd_t cmd, void *data, GDestroyNotify free_data)
{
    return enqueue(room, cmd, false, data, free_data);
}

/* --- calls that wait for the engine's answer --------------------------------------- */

typedef struct call {
    gint refs; /* the caller and the queued command */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    int rc;
    void *data;
    GDestroyNotify free_data;
} call_t;

static void call_unref(call_t *c)
{
    if (!g_atomic_int_dec_and_test(&c->refs))
        return;
    if (c->free_data)
        c->free_data(c->data);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    g_free(c);
}

static void call_finish(call_t *c, int rc)
{
    pthread_mutex_lock(&c->lock);
    if (!c->done) {
        c->rc = rc;
        c->done = true;
        pthread_cond_signal(&c->cond);
    }
    pthread_mutex_unlock(&c->lock);
}

/* The command's free: after it ran, or when the session ended first (the caller then
 * hears LKC_ERR_CLOSED at once instead of waiting out its timeout). */
static void call_command_free(gpointer p)
{
    call_finish(p, LKC_ERR_CLOSED);
    call_unref(p);
}

/* The engine's own command, and the calls; the rest goes to the client. */
static void run_command(lkc_engine_t *e, const command_t *c)
{
    if (c->cmd == LKC__CMD_CLOSE) {
        lkc__engine_end(e, LKC_FAILURE_NONE, "closed by the application", true);
    } else if (c->call) {
        call_t *call = c->data;
        call_finish(call, e->session ? e->client->call(e->session, c->cmd, call->data) : LKC_ERR_STATE);
    } else if (e->session) {
        e->client->command(e->session, c->cmd, c->data);
    }
}

int lkc__engine_call(lkc_room_t *room, lkc__cmd_t cmd, void *data, GDestroyNotify free_data,
                     void (*take)(void *data, void *out), void *out, int timeout_ms)
{
    if (lkc__room_on_engine_thread(room)) {
        /* from a handler: the engine is this thread; run it here and now */
        pthread_mutex_lock(&room->lock);
        lkc_engine_t *e = room->engine;
        pthread_mutex_unlock(&room->lock);
        int rc = e && !e->finished && e->session ? e->client->call(e->session, cmd, data) : LKC_ERR_STATE;
        if (rc == LKC_OK && take)
            take(data, out);
        if (free_data)
            free_data(data);
        return rc;
    }
    call_t *c = g_new0(call_t, 1);
    c->refs = 2;
    pthread_mutex_init(&c->lock, NULL);
    lkc_cond_init_monotonic(&c->cond);
    c->data = data;
    c->free_data = free_data;
    if (enqueue(room, cmd, true, c, call_command_free) != LKC_OK) {
        /* post already called call_command_free: the command's reference is gone */
        call_unref(c);
        return LKC_ERR_STATE;
    }
    struct timespec deadline;
    lkc_deadline_after(&deadline, timeout_ms);
    pthread_mutex_lock(&c->lock);
    while (!c->done && (timeout_ms < 0 ? pthread_cond_wait(&c->cond, &c->lock)
                                       : pthread_cond_timedwait(&c->cond, &c->lock, &deadline)) == 0)
        ;
    bool done = c->done;
    int rc = done ? c->rc : LKC_ERR_TIMEOUT;
    if (done && rc == LKC_OK && take)
        take(c->data, out);
    pthread_mutex_unlock(&c->lock);
    call_unref(c);
    return rc;
}

/* --- the one teardown path ------------------------------------------------------- */

static gboolean on_end_bound(gpointer data)
{
    lkc_engine_t *e = data;
    LKC_LOGD(MOD, "teardown bound reached; finishing now");
    g_source_unref(e->end_timer);
    e->end_timer = NULL;
    e->finished = true;
    return G_SOURCE_REMOVE;
}

void lkc__engine_shutdown_done(lkc_engine_t *e)
{
    e->finished = true;
    g_main_context_wakeup(e->ctx);
}

void lkc__engine_end(lkc_engine_t *e, lkc_failure_t reason, const char *message, bool leave)
{
    if (e->ending)
        return;
    e->ending = true;
    e->end_reason = reason;
    g_strlcpy(e->end_message, message ? message : "", sizeof e->end_message);
    LKC_LOGI(MOD, "session ending: %s%s%s", lkc_failure_str(reason), e->end_message[0] ? ": " : "",
             e->end_message);
    e->end_timer = g_timeout_source_new(END_BOUND_MS);
    g_source_set_callback(e->end_timer, on_end_bound, e, NULL);
    g_source_attach(e->end_timer, e->ctx);
    if (e->session)
        e->client->shutdown(e->session, leave); /* calls lkc__engine_shutdown_done() */
    else
        lkc__engine_shutdown_done(e);
}

/* Runs what is still queued on the context (completions of cancelled operations,
 * commands posted before the room stopped accepting them) so nothing is left behind. */
static void drain(GMainContext *ctx)
{
    for (int i = 0; i < DRAIN_MAX_ITERATIONS && g_main_context_iteration(ctx, FALSE); i++)
        ;
}

static gpointer engine_main(gpointer data)
{
    lkc_engine_t *e = data;
    lkc_room_t *room = e->room;
    g_main_context_push_thread_default(e->ctx);
    atomic_store(&room->engine_thread, g_thread_self());

    lkc__events_state(room, LKC_STATE_CONNECTING, LKC_FAILURE_NONE, NULL);
    e->session = e->client->create(e, e->url, e->token);
    /* the token is not needed any more in this thread's memory */
    memset(e->token, 0, strlen(e->token));
    if (!e->session)
        lkc__engine_end(e, LKC_FAILURE_INTERNAL, "cannot start the session", false);
    else
        e->client->start(e->session);

    while (!e->finished)
        g_main_context_iteration(e->ctx, TRUE);

    lkc_source_clear(&e->end_timer);
    /* no more commands, before the session's parts go: freeing the data queue makes room,
     * and a sender waiting for it must then learn that nothing will be sent (LKC_ERR_STATE),
     * not have its packets taken and dropped */
    pthread_mutex_lock(&room->lock);
    room->engine = NULL;
    pthread_mutex_unlock(&room->lock);
    if (e->session)
        e->client->free(e->session);
    e->session = NULL;
    drain(e->ctx);
    /* Cancelled requests complete and TURN relays are deallocated on this context; it goes
     * away below, so it runs until they are done, but a dead server does not hold up the end. */
    if (!lkc_linger_wait(e->ctx, LINGER_TIMEOUT_MS)) {
        lkc_linger_abandon(e->ctx);
        if (lkc_linger_count(e->ctx))
            LKC_LOGW(MOD, "%u operation(s) still pending after %d ms; left behind",
                     lkc_linger_count(e->ctx), LINGER_TIMEOUT_MS);
    }
    /* commands that arrived too late: release what they carry */
    lkc_source_clear(&e->command_source);
    command_t *c;
    while ((c = g_queue_pop_head(e->commands)))
        command_free(c);
    g_queue_free(e->commands);

    lkc__events_state(room, LKC_STATE_DISCONNECTED, e->end_reason, e->end_message);
    lkc__events_disconnected(room, e->end_reason);

    atomic_store(&room->engine_thread, NULL);
    g_main_context_pop_thread_default(e->ctx);
    g_main_context_unref(e->ctx);
    g_free(e->url);
    g_free(e->token);
    g_free(e);

    pthread_mutex_lock(&room->lock);
    room->session_running = false;
    bool free_room = room->destroy_deferred;
    pthread_cond_broadcast(&room->cond);
    pthread_mutex_unlock(&room->lock);
    if (free_room)
        room->free_fn(room); /* the owner already returned from destroy */
    return NULL;
}

static lkc_engine_t *engine_alloc(lkc_room_t *room, const lkc__engine_client_t *client, const char *url,
                                  const char *token)
{
    lkc_engine_t *e = g_new0(lkc_engine_t, 1);
    e->room = room;
    e->client = client;
    e->ctx = g_main_context_new();
    e->url = g_strdup(url);
    e->token = g_strdup(token);
    e->start_ms = lkc_mono_ms();
    e->commands = g_queue_new();
    return e;
}

/* Releases what engine_alloc made (the context, queue and strings). */
static void engine_release(lkc_engine_t *e)
{
    g_queue_free(e->commands);
    g_main_context_unref(e->ctx);
    g_free(e->url);
    g_free(e->token);
    g_free(e);
}

int lkc__engine_start(lkc_room_t *room, const lkc__engine_client_t *client, const char *url, const char *token)
{
    lkc_engine_t *e = engine_alloc(room, client, url, token);
    e->command_source = g_source_new(&command_funcs, sizeof(command_source_t));
    ((command_source_t *)e->command_source)->e = e;
    g_source_attach(e->command_source, e->ctx);
    GError *err = NULL;
    room->engine = e; /* before the thread runs: it may post to itself at once */
    room->session_running = true;
    GThread *t = g_thread_try_new("lkc-engine", engine_main, e, &err);
    if (!t) {
        LKC_LOGE(MOD, "cannot start the engine thread: %s", err ? err->message : "?");
        g_clear_error(&err);
        room->engine = NULL;
        room->session_running = false;
        lkc_source_clear(&e->command_source);
        engine_release(e);
        return LKC_ERR_NO_MEMORY;
    }
    room->thread = t;
    return LKC_OK;
}

/* --- without a thread, for tests ---------------------------------------------------- */

lkc_engine_t *lkc__engine_new_detached(lkc_room_t *room, const lkc__engine_client_t *client, const char *url,
                                       const char *token)
{
    lkc_engine_t *e = engine_alloc(room, client, url, token);
    g_main_context_push_thread_default(e->ctx);
    e->session = client->create(e, url, token);
    return e;
}

void *lkc__engine_session(lkc_engine_t *e)
{
    return e->session;
}

bool lkc__engine_ending(lkc_engine_t *e, lkc_failure_t *reason)
{
    if (reason)
        *reason = e->end_reason;
    return e->ending;
}

void lkc__engine_free_detached(lkc_engine_t *e)
{
    if (!e)
        return;
    lkc_source_clear(&e->end_timer);
    if (e->session)
        e->client->free(e->session);
    drain(e->ctx);
    if (!lkc_linger_wait(e->ctx, LINGER_TIMEOUT_MS))
        lkc_linger_abandon(e->ctx);
    g_main_context_pop_thread_default(e->ctx);
    engine_release(e);
}
