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
/* The same on the server at `url` (a private one, private_server.h). */
lkc_test_peer_t *lkc_test_peer_start_at(const char *url, const char *room, const char *identity,
                                        const char *const *extra_args);

/* Sends one command (a printf-formatted JSON object). */
void lkc_test_peer_cmd(lkc_test_peer_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Waits for the `n`-th (1-based) event named `event` whose string member `key` equals
 * `value` (key NULL: any). Returns it (borrowed, valid while the peer lives) or NULL. */
JsonObject *lkc_test_peer_wait(lkc_test_peer_t *p, const char *event, const char *key, const char *value,
                               int n, int timeout_ms);
int lkc_test_peer_count(lkc_test_peer_t *p, const char *event, const char *key, const char *value);
/* All events named `event`, in order (borrowed elements; g_ptr_array_unref the array). */
GPtrArray *lkc_test_peer_events(lkc_test_peer_t *p, const char *event);

/* Numbered messages (seqcheck.h's counterpart in peer.py): starts sending "<prefix>-1",
 * "<prefix>-2", ... reliably on `topic` at `rate_per_s` (count 0: until stopped). */
void lkc_test_peer_send_numbered(lkc_test_peer_t *p, const char *prefix, const char *topic, int rate_per_s,
                                 long long count);
/* Waits for its "numbered_stopped" event for `prefix` (asking it to stop first when
 * `stop`); fails the test on timeout. Members: sent (1..sent went out), raised, errors.
 * Use a prefix once per peer (this returns the first such event). */
JsonObject *lkc_test_peer_wait_numbered(lkc_test_peer_t *p, const char *prefix, bool stop, int timeout_ms);
/* Asks for and returns a fresh "seq_report" on the numbered messages with `prefix` it
 * received (from `sender` only, when not NULL; expected > 0: missing counted over
 * 1..expected). Fails the test on timeout. */
JsonObject *lkc_test_peer_seq_report(lkc_test_peer_t *p, const char *prefix, const char *sender, long long expected,
                                     int timeout_ms);
/* True when the report says 1..expected each arrived once, in order; `msg` (may be
 * NULL) gets a sentence with the counts. */
bool lkc_test_peer_seq_ok(JsonObject *report, long long expected, char *msg, size_t msg_len);

/* Asks it to leave, waits for it to exit (bounded), kills it otherwise. NULL ignored. */
void lkc_test_peer_stop(lkc_test_peer_t *p);

#endif
