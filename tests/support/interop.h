/* Helpers for tests against the real livekit-server: its URL/keys from the environment
 * (set by scripts/lk-server via ctest), tokens, unique room names, the server log tail
 * on failure, and thread/fd counts of this process. */
#ifndef LKC_TEST_INTEROP_H
#define LKC_TEST_INTEROP_H

#include <stdbool.h>

#include "lkc/lkc.h"
#include "test.h"

typedef struct lkc_test_env {
    const char *url;
    const char *key;
    const char *secret;
    const char *server_log;
    int server_pid;
} lkc_test_env_t;

/* Reads the environment; a test without a server FAILS (never skips) and says why.
 * Also arranges for the server log tail to be printed when a CHECK fails. */
const lkc_test_env_t *lkc_test_env(void);

/* "<prefix>-<random>": rooms live on after a test, so every test uses fresh names. */
char *lkc_test_room_name(const char *prefix);

/* A join token for `identity` in `room` (name/metadata may be NULL). lkc_free() it. */
char *lkc_test_token(const char *room, const char *identity, const char *name, const char *metadata);

/* Threads and open fds of this process right now. */
int lkc_test_thread_count(void);
int lkc_test_fd_count(void);

/* Waits (bounded, polling /proc every 10 ms) until the counts are back at or below the
 * given values; returns whether they got there. For resources the kernel releases
 * after our code returned (a thread's task disappearing after join). */
bool lkc_test_wait_counts(int threads, int fds, int timeout_ms);

/* Fails the test, listing the threads by name, unless within `timeout_ms` the thread
 * and fd counts are back to the baseline; `what` says after what. */
void lkc_test_check_baseline(int threads, int fds, const char *what);

/* A listening TCP socket on 127.0.0.1 that never answers (accepts into the backlog
 * only): a dead server. Returns its port; close the fd with lkc_test_blackhole_close. */
int lkc_test_blackhole_open(int *fd);
void lkc_test_blackhole_close(int fd);

/* Prints the last lines of the server log to stderr. */
void lkc_test_print_server_log(void);

#endif
