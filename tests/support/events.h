/* Records every room event (from the engine thread) so a test can wait for one with a
 * bound (a condition variable, not sleeps) and inspect what arrived, in order. */
#ifndef LKC_TEST_EVENTS_H
#define LKC_TEST_EVENTS_H

#include <glib.h>
#include <stdbool.h>

#include "lkc/lkc.h"

typedef struct lkc_test_event {
    char type[40];        /* "connected", "participant_connected", "data", "state", ... */
    char *a;              /* identity (participants, tracks), sender (data), state name */
    char *b;              /* sid / track sid / topic / failure name */
    GBytes *payload;      /* data events */
    int kind;             /* data kind, track kind */
    gint64 t_us;          /* g_get_monotonic_time() when recorded */
} lkc_test_event_t;

typedef struct lkc_test_events lkc_test_events_t;

lkc_test_events_t *lkc_test_events_new(void);
void lkc_test_events_free(lkc_test_events_t *ev);

/* Sets every handler of `o` to record into `ev` (and o->user = ev). */
void lkc_test_events_install(lkc_test_events_t *ev, lkc_room_options_t *o);

/* Waits until at least `count` events of `type` (and, if `a` is not NULL, with that
 * first field) were recorded. True when they were, false on timeout. */
bool lkc_test_events_wait(lkc_test_events_t *ev, const char *type, const char *a, int count, int timeout_ms);
int lkc_test_events_count(lkc_test_events_t *ev, const char *type, const char *a);

/* A copy of the recorded events of `type` (NULL = all), in order; free with
 * g_ptr_array_unref (elements are borrowed views valid while `ev` lives). */
GPtrArray *lkc_test_events_list(lkc_test_events_t *ev, const char *type);

/* Optional: called (on the engine thread) after every recorded event. */
void lkc_test_events_on_record(lkc_test_events_t *ev, void (*fn)(lkc_test_events_t *, const lkc_test_event_t *,
                                                                  lkc_room_t *, void *), void *user);

/* Creates a room recording into `ev` (options from `base`, NULL = defaults), joins `room`
 * on the test server as `identity` and waits until it is connected (fails the test
 * otherwise). */
lkc_room_t *lkc_test_join(const char *room, const char *identity, lkc_test_events_t *ev,
                          const lkc_room_options_t *base);
/* The same on the server at `url` (a private one). */
lkc_room_t *lkc_test_join_at(const char *url, const char *room, const char *identity, lkc_test_events_t *ev,
                             const lkc_room_options_t *base);

#endif
