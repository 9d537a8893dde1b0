#include "room/media_clock.h"

#include <stdatomic.h>
#include <stdbool.h>

#include "base/log.h"

#define DEFER_US 3000    /* this late, received packets are read before playout */
#define DEFER_BY_US 1000 /* long enough that the sockets' sources run first */
#define LATE_LOG_US 10000

typedef struct {
    GSource base;
    lkc_media_clock_t *clock;
} clock_source_t;

struct lkc_media_clock {
    GSource *src;
    GMainContext *ctx;
    atomic_bool poked;
    bool deferred; /* this run was put back once for the sockets */
    lkc_media_clock_fn run;
    void *user;
};

/* A poke is seen either before the context polls (prepare) or after the wake-up it
 * sends ends the poll (check); the ready time covers the scheduled runs. */
static gboolean clock_prepare(GSource *src, gint *timeout)
{
    *timeout = -1;
    return atomic_load(&((clock_source_t *)src)->clock->poked);
}

static gboolean clock_check(GSource *src)
{
    return atomic_load(&((clock_source_t *)src)->clock->poked);
}

static gboolean clock_dispatch(GSource *src, GSourceFunc cb, gpointer user)
{
    (void)cb;
    (void)user;
    lkc_media_clock_t *c = ((clock_source_t *)src)->clock;
    atomic_store(&c->poked, false); /* before running: a poke during the run is kept */
    int64_t now = g_get_monotonic_time(), due = g_source_get_ready_time(src);
    if (due > 0 && now - due > DEFER_US && !c->deferred) {
        /* The engine thread was held up (scheduling, a slow handler): packets that came
         * meanwhile wait in the sockets, whose sources rank below this one. Playing out
         * first would find them missing and count them late; let them be read first. */
        if (now - due > LATE_LOG_US)
            LKC_LOGD("room.media", "the media clock ran %.1f ms late (the engine thread was held up)",
                     (double)(now - due) / 1000.0);
        c->deferred = true;
        g_source_set_ready_time(src, now + DEFER_BY_US);
        return G_SOURCE_CONTINUE;
    }
    c->deferred = false;
    int64_t next = c->run(c->user, now);
    g_source_set_ready_time(src, next == LKC_MEDIA_CLOCK_NEVER ? -1 : next);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs clock_funcs = {clock_prepare, clock_check, clock_dispatch, NULL, NULL, NULL};

lkc_media_clock_t *lkc_media_clock_new(GMainContext *ctx, lkc_media_clock_fn run, void *user)
{
    lkc_media_clock_t *c = g_new0(lkc_media_clock_t, 1);
    c->ctx = ctx;
    c->run = run;
    c->user = user;
    atomic_init(&c->poked, false);
    c->src = g_source_new(&clock_funcs, sizeof(clock_source_t));
    ((clock_source_t *)c->src)->clock = c;
    g_source_set_priority(c->src, G_PRIORITY_HIGH); /* media comes before signalling */
    g_source_set_ready_time(c->src, 0);
    g_source_attach(c->src, ctx);
    return c;
}

void lkc_media_clock_free(lkc_media_clock_t *c)
{
    if (!c)
        return;
    g_source_destroy(c->src);
    g_source_unref(c->src);
    g_free(c);
}

void lkc_media_clock_schedule(lkc_media_clock_t *c, int64_t at_us)
{
    if (!c || at_us == LKC_MEDIA_CLOCK_NEVER)
        return;
    int64_t cur = g_source_get_ready_time(c->src);
    if (cur < 0 || at_us < cur)
        g_source_set_ready_time(c->src, at_us);
}

void lkc_media_clock_poke(lkc_media_clock_t *c)
{
    if (!c)
        return;
    if (!atomic_exchange(&c->poked, true))
        g_main_context_wakeup(c->ctx);
}
