/* The process-wide usrsctp stack: lazy init and sysctls, the shared timer clock, the id
 * table, the marshalling of conn_output and socket upcalls to the owner's thread, and the
 * socket options every WebRTC association uses. See sctp_stack.h for why. */
#include "rtc/sctp_stack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <usrsctp.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/rand.h"
#include "lkc/error.h"

#define TICK_INTERVAL_MS 20 /* usrsctp timers: RTO >= 1 s, delayed SACK 200 ms */
#define FINISH_STEP_MS 10
#define FINISH_TRIES 200 /* x FINISH_STEP_MS: the bound of lkc_sctp_stack_shutdown() */

typedef struct entry {
    GMainContext *ctx; /* ref */
    void *obj;
    const lkc_sctp_stack_ops_t *ops;
} entry_t;

/* Guards `initialized` and `live`; held across usrsctp_init/finish. */
static pthread_mutex_t stack_lock = PTHREAD_MUTEX_INITIALIZER;
static bool initialized;
static unsigned live;

/* Guards the id table; never held while calling into usrsctp or user code. */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *table; /* id -> entry_t* */

/* The one clock of the stack: every ticker advances it from here. */
static pthread_mutex_t tick_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_tick_ms;

static _Thread_local int usrsctp_depth;
static atomic_uint_least64_t marshalled;

static void *id_to_addr(uint32_t id)
{
    return (void *)(uintptr_t)id;
}

void lkc_sctp_stack_enter(void)
{
    usrsctp_depth++;
}

void lkc_sctp_stack_leave(void)
{
    usrsctp_depth--;
}

bool lkc_sctp_stack_in_usrsctp(void)
{
    return usrsctp_depth > 0;
}

uint64_t lkc_sctp_stack_marshalled_count(void)
{
    return atomic_load(&marshalled);
}

/* One locked look-up: the object if the caller owns its context, else a ref of the
 * context in *foreign (NULL for an unknown id). */
static void *resolve(uint32_t id, const lkc_sctp_stack_ops_t **ops, GMainContext **foreign)
{
    void *obj = NULL;
    *foreign = NULL;
    pthread_mutex_lock(&table_lock);
    entry_t *e = table ? g_hash_table_lookup(table, GUINT_TO_POINTER(id)) : NULL;
    if (e) {
        *ops = e->ops;
        if (g_main_context_is_owner(e->ctx))
            obj = e->obj;
        else
            *foreign = g_main_context_ref(e->ctx);
    }
    pthread_mutex_unlock(&table_lock);
    return obj;
}

/* ---- marshalling: a callback that ran on the wrong thread, posted to the owner ---- */

typedef enum { JOB_OUTPUT, JOB_RECEIVE, JOB_SEND_SPACE } job_kind_t;

typedef struct job {
    job_kind_t kind;
    uint32_t id;
    void *data; /* malloc'd (by usrsctp, or our copy of a packet) */
    size_t len;
    struct sctp_rcvinfo rcv;
    int flags;
} job_t;

static void job_free(gpointer p)
{
    job_t *job = p;
    free(job->data);
    g_free(job);
}

/* Orders a job's writes (poster) before its reads (owner): GLib's own locks do, but
 * ThreadSanitizer cannot see them. */
static pthread_mutex_t handoff = PTHREAD_MUTEX_INITIALIZER;

static gboolean job_run(gpointer p)
{
    job_t *job = p;
    pthread_mutex_lock(&handoff);
    pthread_mutex_unlock(&handoff);
    GMainContext *foreign = NULL;
    const lkc_sctp_stack_ops_t *ops = NULL;
    /* We run on the owner's thread now, unless the id is gone (then obj is NULL). */
    void *obj = resolve(job->id, &ops, &foreign);
    if (foreign)
        g_main_context_unref(foreign);
    if (!obj) {
        LKC_LOGT("rtc.sctp", "dropped a late event for association %u", job->id);
        return G_SOURCE_REMOVE;
    }
    switch (job->kind) {
    case JOB_OUTPUT: ops->output(obj, job->data, job->len); break;
    case JOB_RECEIVE:
        ops->receive(obj, job->data, job->len, &job->rcv, job->flags);
        job->data = NULL; /* handed over */
        break;
    case JOB_SEND_SPACE: ops->send_space(obj); break;
    }
    return G_SOURCE_REMOVE;
}

static void post(GMainContext *ctx, job_t *job)
{
    atomic_fetch_add(&marshalled, 1);
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, job_run, job, job_free);
    pthread_mutex_lock(&handoff);
    g_source_attach(src, ctx);
    pthread_mutex_unlock(&handoff);
    g_source_unref(src);
    g_main_context_unref(ctx);
}

static int conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
    uint32_t id = (uint32_t)(uintptr_t)addr;
    GMainContext *foreign = NULL;
    const lkc_sctp_stack_ops_t *ops = NULL;
    void *obj = resolve(id, &ops, &foreign);
    if (obj) {
        ops->output(obj, buf, len);
    } else if (foreign) {
        job_t *job = g_new0(job_t, 1);
        *job = (job_t){.kind = JOB_OUTPUT, .id = id, .data = malloc(len ? len : 1), .len = len};
        if (job->data)
            memcpy(job->data, buf, len);
        post(foreign, job);
    } else {
        LKC_LOGT("rtc.sctp", "dropped a packet for gone association %u", id);
    }
    return 0;
}

static int receive_upcall(struct socket *sock, union sctp_sockstore addr, void *data,
                          size_t len, struct sctp_rcvinfo rcv, int flags, void *ulp)
{
    uint32_t id = (uint32_t)(uintptr_t)ulp;
    GMainContext *foreign = NULL;
    const lkc_sctp_stack_ops_t *ops = NULL;
    void *obj = resolve(id, &ops, &foreign);
    if (obj) {
        ops->receive(obj, data, len, &rcv, flags);
    } else if (foreign) {
        job_t *job = g_new0(job_t, 1);
        *job = (job_t){.kind = JOB_RECEIVE, .id = id, .data = data, .len = len, .rcv = rcv,
                       .flags = flags};
        post(foreign, job);
    } else {
        free(data); /* a late upcall for a gone association */
    }
    return 1;
}

static int send_space_upcall(struct socket *sock, uint32_t sb_free, void *ulp)
{
    uint32_t id = (uint32_t)(uintptr_t)ulp;
    GMainContext *foreign = NULL;
    const lkc_sctp_stack_ops_t *ops = NULL;
    void *obj = resolve(id, &ops, &foreign);
    if (obj) {
        ops->send_space(obj);
    } else if (foreign) {
        job_t *job = g_new0(job_t, 1);
        *job = (job_t){.kind = JOB_SEND_SPACE, .id = id};
        post(foreign, job);
    }
    return 0;
}

static int set_opt(struct socket *so, int level, int name, const void *v, socklen_t n,
                   const char *what)
{
    if (usrsctp_setsockopt(so, level, name, v, n) == 0)
        return 0;
    LKC_LOGE("rtc.sctp", "setsockopt %s: %s", what, strerror(errno));
    return -1;
}

/* The options every WebRTC association needs (RFC 8831 §6). */
static int configure(struct socket *so, uint16_t local_port, uint32_t id)
{
    const int on = 1;
    const int buf = LKC_SCTP_STACK_SOCKET_BUFFER;
    /* Close = ABORT: a graceful SHUTDOWN over a dead DTLS keeps usrsctp busy for minutes. */
    const struct linger lg = {.l_onoff = 1, .l_linger = 0};
    const struct sctp_assoc_value reset = {
        .assoc_id = SCTP_ALL_ASSOC,
        .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ};
    const struct sctp_initmsg init = {.sinit_num_ostreams = LKC_SCTP_STACK_STREAMS_OUT,
                                      .sinit_max_instreams = LKC_SCTP_STACK_STREAMS_IN};
    /* A fixed MTU that fits inside DTLS over UDP on any path, as browsers and pion use. */
    struct sctp_paddrparams pp;
    memset(&pp, 0, sizeof pp);
    pp.spp_assoc_id = SCTP_FUTURE_ASSOC;
    pp.spp_flags = SPP_PMTUD_DISABLE;
    /* usrsctp adds the 12-byte common header on top of an AF_CONN path MTU. */
    pp.spp_pathmtu = LKC_SCTP_STACK_MTU - (uint32_t)sizeof(struct sctp_common_header);
    if (usrsctp_set_non_blocking(so, 1) < 0 ||
        set_opt(so, SOL_SOCKET, SO_LINGER, &lg, sizeof lg, "SO_LINGER") ||
        set_opt(so, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf, "SO_SNDBUF") ||
        set_opt(so, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf, "SO_RCVBUF") ||
        set_opt(so, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on, "SCTP_NODELAY") ||
        set_opt(so, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on, "SCTP_RECVRCVINFO") ||
        set_opt(so, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof reset,
                "SCTP_ENABLE_STREAM_RESET") ||
        set_opt(so, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init, "SCTP_INITMSG") ||
        set_opt(so, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp, "SCTP_PEER_ADDR_PARAMS"))
        return -1;
    static const uint16_t events[] = {
        SCTP_ASSOC_CHANGE,       SCTP_REMOTE_ERROR,           SCTP_SHUTDOWN_EVENT,
        SCTP_SEND_FAILED_EVENT,  SCTP_STREAM_RESET_EVENT,     SCTP_STREAM_CHANGE_EVENT,
        SCTP_SENDER_DRY_EVENT,   SCTP_PARTIAL_DELIVERY_EVENT,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(events); i++) {
        struct sctp_event ev = {.se_assoc_id = SCTP_ALL_ASSOC, .se_type = events[i], .se_on = 1};
        if (set_opt(so, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev, "SCTP_EVENT"))
            return -1;
    }
    struct sockaddr_conn local;
    memset(&local, 0, sizeof local);
    local.sconn_family = AF_CONN;
    local.sconn_port = htons(local_port);
    local.sconn_addr = id_to_addr(id);
    if (usrsctp_bind(so, (struct sockaddr *)&local, sizeof local) < 0) {
        LKC_LOGE("rtc.sctp", "bind: %s", strerror(errno));
        return -1;
    }
    return 0;
}

struct socket *lkc_sctp_stack_socket_new(uint32_t id, uint16_t local_port)
{
    /* The send-space upcall fires on each SACK while half the send buffer is free. */
    struct socket *so = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, receive_upcall,
                                       send_space_upcall, LKC_SCTP_STACK_SOCKET_BUFFER / 2,
                                       id_to_addr(id));
    if (!so) {
        LKC_LOGE("rtc.sctp", "usrsctp_socket: %s", strerror(errno));
        return NULL;
    }
    if (configure(so, local_port, id) < 0) {
        lkc_sctp_stack_enter();
        usrsctp_close(so);
        lkc_sctp_stack_leave();
        return NULL;
    }
    return so;
}

static void usrsctp_debug(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    LKC_LOGT("rtc.usrsctp", "%s", line);
}

/* ---- lifetime of the stack ---- */

static void stack_init_locked(void)
{
    usrsctp_init_nothreads(0, conn_output, usrsctp_debug);
    /* ECN is not negotiated by WebRTC peers; PR-SCTP carries the lossy channels; RE-CONFIG
     * carries the stream resets that close channels. */
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_pr_enable(1);
    usrsctp_sysctl_set_sctp_reconfig_enable(1);
    /* No ASCONF/AUTH in WebRTC (RFC 8831 §6.2 needs neither). */
    usrsctp_sysctl_set_sctp_asconf_enable(0);
    usrsctp_sysctl_set_sctp_auth_enable(0);
    /* Real-time defaults: a lost packet or peer is noticed in seconds, not minutes. */
    usrsctp_sysctl_set_sctp_rto_initial_default(1000);
    usrsctp_sysctl_set_sctp_rto_max_default(10000);
    usrsctp_sysctl_set_sctp_init_rto_max_default(10000);
    /* Many small messages must not stall on the chunk count before the byte limit. */
    usrsctp_sysctl_set_sctp_max_chunks_on_queue(10 * 1024);
    initialized = true;
    LKC_LOGD("rtc.sctp", "usrsctp started (no-threads mode)");
}

int lkc_sctp_stack_acquire(void)
{
    pthread_mutex_lock(&stack_lock);
    if (!initialized)
        stack_init_locked();
    if (live++ == 0) {
        /* No ticks ran while nothing was alive: restart the clock instead of firing a
         * long-idle gap at once. */
        pthread_mutex_lock(&tick_lock);
        last_tick_ms = lkc_mono_ms();
        pthread_mutex_unlock(&tick_lock);
    }
    pthread_mutex_unlock(&stack_lock);
    return LKC_OK;
}

void lkc_sctp_stack_release(void)
{
    pthread_mutex_lock(&stack_lock);
    if (live > 0)
        live--;
    pthread_mutex_unlock(&stack_lock);
}

int lkc_sctp_stack_shutdown(void)
{
    int rc = LKC_OK;
    pthread_mutex_lock(&stack_lock);
    if (!initialized) {
        rc = LKC_OK;
    } else if (live > 0) {
        LKC_LOGW("rtc.sctp", "usrsctp not finished: %u associations alive", live);
        rc = LKC_ERR_STATE;
    } else {
        int tries = 0;
        while (usrsctp_finish() != 0) {
            if (++tries >= FINISH_TRIES) {
                rc = LKC_ERR_TIMEOUT;
                break;
            }
            /* Closed sockets are reaped by usrsctp's own timers. */
            lkc_sctp_stack_enter();
            usrsctp_handle_timers(FINISH_STEP_MS);
            lkc_sctp_stack_leave();
            g_usleep(FINISH_STEP_MS * 1000);
        }
        if (rc == LKC_OK) {
            initialized = false;
            LKC_LOGD("rtc.sctp", "usrsctp finished after %d retries", tries);
        } else {
            LKC_LOGW("rtc.sctp", "usrsctp_finish still failing after %d tries", tries);
        }
    }
    pthread_mutex_unlock(&stack_lock);
    return rc;
}

/* ---- the id table ---- */

int lkc_sctp_stack_register(GMainContext *ctx, void *obj, const lkc_sctp_stack_ops_t *ops,
                            uint32_t *out_id)
{
    if (!ctx || !obj || !ops || !out_id)
        return LKC_ERR_INVALID_ARG;
    entry_t *e = g_try_new0(entry_t, 1);
    if (!e)
        return LKC_ERR_NO_MEMORY;
    e->ctx = g_main_context_ref(ctx);
    e->obj = obj;
    e->ops = ops;
    uint32_t id;
    pthread_mutex_lock(&table_lock);
    if (!table)
        table = g_hash_table_new(g_direct_hash, g_direct_equal);
    do
        id = lkc_random_u32();
    while (id == 0 || g_hash_table_contains(table, GUINT_TO_POINTER(id)));
    g_hash_table_insert(table, GUINT_TO_POINTER(id), e);
    pthread_mutex_unlock(&table_lock);
    usrsctp_register_address(id_to_addr(id));
    *out_id = id;
    return LKC_OK;
}

void lkc_sctp_stack_unregister(uint32_t id)
{
    pthread_mutex_lock(&table_lock);
    entry_t *e = table ? g_hash_table_lookup(table, GUINT_TO_POINTER(id)) : NULL;
    if (e)
        g_hash_table_remove(table, GUINT_TO_POINTER(id));
    if (table && g_hash_table_size(table) == 0) {
        g_hash_table_destroy(table);
        table = NULL;
    }
    pthread_mutex_unlock(&table_lock);
    if (!e)
        return;
    usrsctp_deregister_address(id_to_addr(id));
    g_main_context_unref(e->ctx);
    g_free(e);
}

/* ---- timers ---- */

void lkc_sctp_stack_tick(void)
{
    pthread_mutex_lock(&tick_lock);
    int64_t now = lkc_mono_ms();
    int64_t elapsed = now - last_tick_ms;
    if (elapsed > 0)
        last_tick_ms = now;
    pthread_mutex_unlock(&tick_lock);
    if (elapsed <= 0)
        return;
    if (elapsed > UINT32_MAX)
        elapsed = UINT32_MAX;
    lkc_sctp_stack_enter();
    usrsctp_handle_timers((uint32_t)elapsed);
    lkc_sctp_stack_leave();
}

static gboolean ticker_run(gpointer data)
{
    lkc_sctp_stack_tick();
    return G_SOURCE_CONTINUE;
}

/* usrsctp has one timer wheel for the whole process, so one ticker is enough: it runs on
 * the context of one room that holds it and moves to another when that room lets go
 * (timer work for other rooms' associations is posted to their owners, see conn_output).
 * A ticker per context cost every room 50 wake-ups a second for nothing. */
static pthread_mutex_t ticker_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *ticker_holds; /* GMainContext* -> number of holds (as a pointer) */
static GSource *ticker_src;
static GMainContext *ticker_ctx;

static void ticker_start_on(GMainContext *ctx)
{
    ticker_src = g_timeout_source_new(TICK_INTERVAL_MS);
    g_source_set_callback(ticker_src, ticker_run, NULL, NULL);
    g_source_attach(ticker_src, ctx);
    ticker_ctx = ctx;
}

void lkc_sctp_stack_ticker_hold(GMainContext *ctx)
{
    pthread_mutex_lock(&ticker_lock);
    if (!ticker_holds)
        ticker_holds = g_hash_table_new(g_direct_hash, g_direct_equal);
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(ticker_holds, ctx));
    g_hash_table_insert(ticker_holds, ctx, GUINT_TO_POINTER(n + 1));
    if (!ticker_src)
        ticker_start_on(ctx);
    pthread_mutex_unlock(&ticker_lock);
}

GMainContext *lkc_sctp_stack_ticker_context(void)
{
    pthread_mutex_lock(&ticker_lock);
    GMainContext *ctx = ticker_ctx;
    pthread_mutex_unlock(&ticker_lock);
    return ctx;
}

void lkc_sctp_stack_ticker_release(GMainContext *ctx)
{
    pthread_mutex_lock(&ticker_lock);
    guint n = ticker_holds ? GPOINTER_TO_UINT(g_hash_table_lookup(ticker_holds, ctx)) : 0;
    if (n > 1) {
        g_hash_table_insert(ticker_holds, ctx, GUINT_TO_POINTER(n - 1));
    } else if (n == 1) {
        g_hash_table_remove(ticker_holds, ctx);
        if (ctx == ticker_ctx) {
            /* safe from any thread, also while it dispatches on ctx */
            g_source_destroy(ticker_src);
            g_source_unref(ticker_src);
            ticker_src = NULL;
            ticker_ctx = NULL;
            GHashTableIter it;
            gpointer other;
            g_hash_table_iter_init(&it, ticker_holds);
            if (g_hash_table_iter_next(&it, &other, NULL))
                ticker_start_on(other);
        }
        if (g_hash_table_size(ticker_holds) == 0) {
            g_hash_table_destroy(ticker_holds);
            ticker_holds = NULL;
        }
    }
    pthread_mutex_unlock(&ticker_lock);
}
