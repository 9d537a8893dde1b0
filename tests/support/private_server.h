/* A livekit-server of a test's own (scripts/lk-server in a directory under the build
 * tree), for tests that pause it or need a different configuration (built-in TURN). */
#ifndef LKC_TEST_PRIVATE_SERVER_H
#define LKC_TEST_PRIVATE_SERVER_H

typedef struct lkc_test_private_server {
    char dir[512];
    char *url;     /* ws://127.0.0.1:<port> */
    int pid;
    int turn_port; /* 0 unless started with "--turn" */
} lkc_test_private_server_t;

/* Starts a server in <build>/<name>-server with `extra_args` (may be ""), waits until it
 * answers, and arranges for it to be stopped at exit. Fails the test if it cannot. */
lkc_test_private_server_t *lkc_test_private_server_start(const char *name, const char *extra_args);

/* Stops it (resuming it first if paused); safe to call twice. */
void lkc_test_private_server_stop(void);

#endif
