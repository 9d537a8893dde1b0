/* The public RPC calls (include/lkc/rpc.h), any thread: they check their arguments, copy
 * what they need and hand it to the engine thread as a call (LKC__CMD_RPC_SYNC), which
 * takes it or says why not. The blocking call then waits on room->cond for its outcome
 * (or for the room to close, R9). */
#include <string.h>

#include "base/sync.h"
#include "room/engine.h"
#include "room/rpc_internal.h"
#include "room/rpc_methods.h"

/* beyond the call's own timers, which always end it: a bound in case they cannot run */
#define WAIT_MARGIN_MS 10000

void lkc_rpc_options_init(lkc_rpc_options_t *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->response_timeout_ms = LKC__RPC_DEFAULT_RESPONSE_TIMEOUT_MS;
    o->ack_timeout_ms = LKC__RPC_DEFAULT_ACK_TIMEOUT_MS;
}

void lkc__rpc_cmd_free(void *p)
{
    lkc__rpc_cmd_t *cmd = p;
    if (!cmd)
        return;
    lkc__rpc_call_free(cmd->call); /* not taken by the engine */
    g_free(cmd->payload);
    g_free(cmd->message);
    g_free(cmd->data);
    g_free(cmd);
}

static bool live(lkc_room_t *room)
{
    int st = atomic_load(&room->state);
    return st == LKC_STATE_CONNECTED || st == LKC_STATE_RECONNECTING;
}

/* A call from the public arguments, or NULL when they are bad. */
static lkc__rpc_call_t *make_call(lkc_room_t *room, const char *dest, const char *method, const char *payload,
                                  const lkc_rpc_options_t *opts)
{
    if (!room || !dest || !*dest || !method || !*method)
        return NULL;
    lkc_rpc_options_t o;
    lkc_rpc_options_init(&o);
    if (opts) {
        if (opts->struct_size == 0 || opts->struct_size > sizeof o)
            return NULL;
        memcpy(&o, opts, opts->struct_size); /* fields an older caller lacks keep their defaults */
    }
    if (o.response_timeout_ms <= 0 || o.ack_timeout_ms <= 0)
        return NULL;
    lkc__rpc_call_t *c = g_new0(lkc__rpc_call_t, 1);
    c->dest = g_strdup(dest);
    c->method = g_strdup(method);
    c->payload = g_strdup(payload ? payload : "");
    c->payload_len = strlen(c->payload);
    c->response_timeout_ms = o.response_timeout_ms;
    c->ack_timeout_ms = o.ack_timeout_ms;
    return c;
}

/* Hands `c` to the engine; LKC_OK when it took it. */
static lkc_err_t submit(lkc_room_t *room, lkc__rpc_call_t *c)
{
    lkc__rpc_cmd_t *cmd = g_new0(lkc__rpc_cmd_t, 1);
    cmd->op = LKC__RPC_OP_CALL;
    cmd->call = c;
    /* no bound: the engine runs the command or, when the session ends first, frees it
     * (LKC_ERR_CLOSED); a bounded wait could give up on a call that is then made */
    return lkc__engine_call(room, LKC__CMD_RPC_SYNC, cmd, lkc__rpc_cmd_free, NULL, NULL, -1);
}

lkc_err_t lkc_rpc_call(lkc_room_t *room, const char *destination_identity, const char *method,
                       const char *payload, const lkc_rpc_options_t *opts, lkc_rpc_result_t **out)
{
    if (out)
        *out = NULL;
    if (!out)
        return LKC_ERR_INVALID_ARG;
    lkc__rpc_call_t *c = make_call(room, destination_identity, method, payload, opts);
    if (!c)
        return LKC_ERR_INVALID_ARG;
    /* on the engine thread the outcome could never arrive while we wait */
    if (lkc__room_on_engine_thread(room) || !live(room)) {
        lkc__rpc_call_free(c);
        return LKC_ERR_STATE;
    }
    int64_t bound_ms = (int64_t)c->ack_timeout_ms + c->response_timeout_ms + WAIT_MARGIN_MS;
    lkc__rpc_waiter_t *w = g_new0(lkc__rpc_waiter_t, 1);
    w->refs = 2; /* this caller and the call */
    c->waiter = w;
    if (!lkc__room_enter(room)) {
        lkc__rpc_call_free(c);
        lkc__rpc_waiter_unref(w);
        return LKC_ERR_CLOSED;
    }
    lkc_err_t rc = submit(room, c);
    if (rc == LKC_OK) {
        struct timespec deadline;
        lkc_deadline_after(&deadline, bound_ms);
        pthread_mutex_lock(&room->lock);
        while (!w->done && !room->closing)
            if (pthread_cond_timedwait(&room->cond, &room->lock, &deadline) != 0)
                break;
        if (w->done) {
            rc = w->rc;
            if (rc == LKC_OK) {
                *out = w->result;
                w->result = NULL;
            }
        } else {
            rc = room->closing ? LKC_ERR_CLOSED : LKC_ERR_TIMEOUT;
        }
        pthread_mutex_unlock(&room->lock);
    }
    lkc__rpc_waiter_unref(w);
    lkc__room_leave(room);
    return rc;
}

lkc_err_t lkc_rpc_call_async(lkc_room_t *room, const char *destination_identity, const char *method,
                             const char *payload, const lkc_rpc_options_t *opts, lkc_rpc_done_fn done, void *user)
{
    if (!done)
        return LKC_ERR_INVALID_ARG;
    lkc__rpc_call_t *c = make_call(room, destination_identity, method, payload, opts);
    if (!c)
        return LKC_ERR_INVALID_ARG;
    if (!live(room)) {
        lkc__rpc_call_free(c);
        return LKC_ERR_STATE;
    }
    c->done = done;
    c->user = user;
    if (!lkc__room_enter(room)) { /* R9: it waits for the engine, so it counts as a caller */
        lkc__rpc_call_free(c);
        return LKC_ERR_CLOSED;
    }
    lkc_err_t rc = submit(room, c);
    lkc__room_leave(room);
    return rc;
}

lkc_err_t lkc_rpc_register(lkc_room_t *room, const char *method, lkc_rpc_handler_t handler, void *user)
{
    if (!room || !method || !*method || !handler)
        return LKC_ERR_INVALID_ARG;
    return lkc__rpc_methods_add(room, method, handler, user);
}

lkc_err_t lkc_rpc_unregister(lkc_room_t *room, const char *method)
{
    if (!room || !method || !*method)
        return LKC_ERR_INVALID_ARG;
    return lkc__rpc_methods_remove(room, method);
}

static lkc_err_t respond(lkc_room_t *room, lkc__rpc_cmd_t *cmd)
{
    if (!lkc__room_enter(room)) {
        lkc__rpc_cmd_free(cmd);
        return LKC_ERR_NOT_FOUND; /* destroy has begun: the request is gone with the session */
    }
    int rc = lkc__engine_call(room, LKC__CMD_RPC_SYNC, cmd, lkc__rpc_cmd_free, NULL, NULL, -1);
    lkc__room_leave(room);
    /* the session that had the request ended before the answer reached it */
    return rc == LKC_ERR_CLOSED ? LKC_ERR_NOT_FOUND : rc;
}

lkc_err_t lkc_rpc_respond(lkc_room_t *room, lkc_rpc_invocation_t inv, const char *payload)
{
    if (!room || inv == 0)
        return LKC_ERR_INVALID_ARG;
    lkc__rpc_cmd_t *cmd = g_new0(lkc__rpc_cmd_t, 1);
    cmd->op = LKC__RPC_OP_RESPOND;
    cmd->inv = inv;
    cmd->payload = g_strdup(payload ? payload : "");
    return respond(room, cmd);
}

lkc_err_t lkc_rpc_respond_error(lkc_room_t *room, lkc_rpc_invocation_t inv, uint32_t code, const char *message,
                                const char *data)
{
    if (!room || inv == 0)
        return LKC_ERR_INVALID_ARG;
    lkc__rpc_cmd_t *cmd = g_new0(lkc__rpc_cmd_t, 1);
    cmd->op = LKC__RPC_OP_RESPOND;
    cmd->inv = inv;
    cmd->is_error = true;
    cmd->code = code;
    cmd->message = message ? g_strdup(message) : NULL;
    cmd->data = data ? g_strdup(data) : NULL;
    return respond(room, cmd);
}
