/* The official Python SDK as the other participant (tests/support/peer.py), driven by
 * JSON-line commands on its stdin; its JSON-line events are collected by a reader
 * thread so a test can wait for them with a bound. */
#ifndef LKC_TEST_PEER_H
#define LKC_TEST_PEER_H

#include <json-glib/json-glib.h>
#include <stdbool.h>

typedef struct lkc_test_peer lkc_test_peer_t;

/* Starts the peer in `room` as `identity` (extra_args: NULL-terminated extra argv, e.g.
 * "--name", "Py"), waits until it reports "connected" (fails the test otherwise). */
lkc_test_peer_t *lkc_test_peer_start(const char *room, const char *identity, const char *const *extra_args);

/* Sends one command (a printf-formatted JSON object). */
void lkc_test_peer_cmd(lkc_test_peer_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Waits for the `n`-th (1-based) event named `event` whose string member `key` equals
 * `value` (key NULL: any). Returns it (borrowed, valid while the peer lives) or NULL. */
JsonObject *lkc_test_peer_wait(lkc_test_peer_t *p, const char *event, const char *key, const char *value,
                               int n, int timeout_ms);
int lkc_test_peer_count(lkc_test_peer_t *p, const char *event, const char *key, const char *value);
/* All events named `event`, in order (borrowed elements; g_ptr_array_unref the array). */
GPtrArray *lkc_test_peer_events(lkc_test_peer_t *p, const char *event);

/* Asks it to leave, waits for it to exit (bounded), kills it otherwise. NULL ignored. */
void lkc_test_peer_stop(lkc_test_peer_t *p);

#endif
