/* A livekit-server of a test's own (scripts/lk-server in a directory under the build
 * tree), for tests that pause it, kill and restart it, cut its traffic (netfault.h) or
 * need a different configuration (built-in TURN). */
#ifndef LKC_TEST_PRIVATE_SERVER_H
#define LKC_TEST_PRIVATE_SERVER_H

#include <stdbool.h>

typedef struct lkc_test_private_server {
    char dir[512];
    char *url;         /* ws://127.0.0.1:<http_port> */
    int pid;           /* changes on lkc_test_private_server_restart_same_ports() */
    int turn_port;     /* 0 unless started with "--turn" */
    int http_port;     /* signal (WebSocket) and Twirp, TCP */
    int rtc_tcp_port;  /* ICE/TCP listener */
    int rtc_udp_port;  /* the one ICE/UDP port (rtc.udp_port) */
} lkc_test_private_server_t;

/* Starts a server in <build>/<name>-server with `extra_args` (may be ""), waits until it
 * answers, and arranges for it to be stopped at exit. Fails the test if it cannot. */
lkc_test_private_server_t *lkc_test_private_server_start(const char *name, const char *extra_args);

/* Stops it (resuming it first if paused); safe to call twice. */
void lkc_test_private_server_stop(void);

/* SIGSTOP / SIGCONT: the process keeps its sockets (connections stay up, nothing is
 * answered). Fails the test if there is no running private server. */
void lkc_test_private_server_pause(void);
void lkc_test_private_server_resume(void);

/* Kills the server with SIGKILL (all rooms and sessions gone, like a crash), waits until
 * the process is dead, keeps it down `down_ms` more, starts it again from the same
 * livekit.yaml (same ports, keys; log appended) and returns once GET / answers "OK"
 * (fails the test after 30 s). Updates ->pid. Returns how long it was down, in ms. */
int lkc_test_private_server_restart_same_ports(int down_ms);

/* True when GET http://127.0.0.1:<http_port>/ answers "OK" within `timeout_ms`. */
bool lkc_test_private_server_answers(int timeout_ms);

/* Reachability of a TCP port on 127.0.0.1 (e.g. while netfault.h drops its traffic). */
typedef enum lkc_test_probe {
    LKC_TEST_PROBE_OK = 0,
    LKC_TEST_PROBE_TIMEOUT = -1, /* no answer in time (a dropped SYN or a silent server) */
    LKC_TEST_PROBE_REFUSED = -2, /* RST: nobody listens */
    LKC_TEST_PROBE_ERROR = -3,   /* anything else (for HTTP: not 200 "OK") */
} lkc_test_probe_t;

/* A TCP connect to 127.0.0.1:port within `timeout_ms`. */
lkc_test_probe_t lkc_test_tcp_probe(int port, int timeout_ms);
/* GET / on 127.0.0.1:port within `timeout_ms`: OK when it answers 200 with body "OK". */
lkc_test_probe_t lkc_test_http_probe(int port, int timeout_ms);
const char *lkc_test_probe_str(lkc_test_probe_t p);

#endif
