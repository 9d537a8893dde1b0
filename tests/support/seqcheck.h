/* Numbered reliable messages, for "every numbered message that was sent arrived exactly
 * once, in order".
 *
 * A sender thread publishes "<prefix>-<n>" (n = 1, 2, ...) with lkc_room_publish_data
 * (reliable, the given topic, timeout_ms -1) at a fixed rate. A refused call (an error
 * code) is counted by code and the same number is tried again at the next tick, so the
 * sender never skips a number: after stop, exactly 1..sent were accepted by lkc.
 *
 * A receiver collects, per sender identity and prefix, the numbers in arrival order
 * (from on_data_received, through the recording of events.h or fed by hand) and checks
 * them against 1..expected: none missing, none twice, none after a higher one. */
#ifndef LKC_TEST_SEQCHECK_H
#define LKC_TEST_SEQCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "events.h"
#include "lkc/lkc.h"

/* ---- sender ---------------------------------------------------------------------- */

typedef struct lkc_test_seq_sender lkc_test_seq_sender_t;

#define LKC_TEST_SEQ_CODES 16 /* refused_by_code[-err], err = LKC_ERR_INVALID_ARG .. -15 */

typedef struct lkc_test_seq_sender_stats {
    long long sent;                                /* 1..sent were accepted (LKC_OK) */
    long long calls;                               /* lkc_room_publish_data calls made */
    long long refused;                             /* calls that returned an error */
    long long refused_by_code[LKC_TEST_SEQ_CODES]; /* index: -error code */
    long long most_refusals_of_one;                /* of a single number, before it went */
    long long longest_call_ms;                     /* one publish call, waiting included */
    long long first_refusal_ms, last_refusal_ms;   /* since start; -1 = none */
    bool running;
} lkc_test_seq_sender_stats_t;

/* Starts sending "<prefix>-1", "<prefix>-2", ... to everyone on `topic` (NULL: none),
 * `rate_per_s` a second, until `count` were accepted (0: until stopped). The room must
 * outlive the sender: stop it before lkc_room_destroy(). */
lkc_test_seq_sender_t *lkc_test_seq_sender_start(lkc_room_t *room, const char *prefix, const char *topic,
                                                 int rate_per_s, long long count);
/* Waits until at least `n` numbers were accepted, or the sender finished; true when
 * they were. */
bool lkc_test_seq_sender_wait_sent(lkc_test_seq_sender_t *s, long long n, int timeout_ms);
/* Stops sending and joins the thread (a call blocked in lkc_room_publish_data is waited
 * for: it returns when there is room, the session ends or the room is destroyed).
 * Returns how many were accepted (1..that). Safe to call twice. */
long long lkc_test_seq_sender_stop(lkc_test_seq_sender_t *s);
void lkc_test_seq_sender_get_stats(lkc_test_seq_sender_t *s, lkc_test_seq_sender_stats_t *out);
/* A line a human can read: sent, refusals by code, the refusal episodes. g_free it. */
char *lkc_test_seq_sender_describe(lkc_test_seq_sender_t *s);
/* Stops it if running, then frees it. NULL ignored. */
void lkc_test_seq_sender_free(lkc_test_seq_sender_t *s);

/* ---- receiver -------------------------------------------------------------------- */

typedef struct lkc_test_seq_receiver lkc_test_seq_receiver_t;

typedef struct lkc_test_seq_result {
    long long expected;     /* 1..expected should have arrived */
    long long received;     /* numbered messages from this sender and prefix, all */
    long long distinct;     /* different numbers among them */
    long long first, last;  /* first and last number to arrive; 0 = none */
    long long contiguous;   /* 1..contiguous all arrived */
    long long missing;      /* numbers of 1..expected that never arrived */
    long long duplicates;   /* arrivals of a number already seen */
    long long out_of_order; /* arrivals of a new number below the highest seen */
    long long unexpected;   /* arrivals of a number above `expected` */
} lkc_test_seq_result_t;

/* Counts messages on `topic` only (NULL: any topic). */
lkc_test_seq_receiver_t *lkc_test_seq_receiver_new(const char *topic);
void lkc_test_seq_receiver_free(lkc_test_seq_receiver_t *rx);

/* One received data packet (any thread). Payloads that are not "<prefix>-<n>" (n >= 1)
 * are ignored. */
void lkc_test_seq_receiver_feed(lkc_test_seq_receiver_t *rx, const char *sender, const char *topic,
                                const void *payload, size_t len);
/* Feeds every "data" event `ev` records from now on (uses its on_record hook: one per
 * events object), and those recorded before. Attach before numbered messages flow (an
 * event recorded at the very moment of attaching could be fed twice). */
void lkc_test_seq_receiver_attach(lkc_test_seq_receiver_t *rx, lkc_test_events_t *ev);

/* Waits until 1..n from `sender` with `prefix` have all arrived; true when they have. */
bool lkc_test_seq_receiver_wait(lkc_test_seq_receiver_t *rx, const char *sender, const char *prefix, long long n,
                                int timeout_ms);

/* Checks 1..expected from `sender` with `prefix`: true when each arrived exactly once,
 * in order, and nothing above expected did. `out` and `msg` (a sentence with the counts
 * and the first missing / duplicate / out-of-order numbers) may be NULL. */
bool lkc_test_seq_receiver_check(lkc_test_seq_receiver_t *rx, const char *sender, const char *prefix,
                                 long long expected, lkc_test_seq_result_t *out, char *msg, size_t msg_len);

#endif
