#include "private_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <glib.h>

#include "test.h"

/* one per test process: the tests that need one need exactly one */
static lkc_test_private_server_t server;
static bool started;

void lkc_test_private_server_stop(void)
{
    if (!started)
        return;
    started = false;
    if (server.pid > 0)
        kill(server.pid, SIGCONT);
    char *cmd = g_strdup_printf("%s/scripts/lk-server stop --dir %s >/dev/null", LKC_SOURCE_DIR, server.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not stop the private server in %s\n", server.dir);
    g_free(cmd);
    g_free(server.url);
    server.url = NULL;
}

static const char *value_of(char **lines, const char *key)
{
    size_t n = strlen(key);
    for (char **it = lines; *it; it++)
        if (strncmp(*it, key, n) == 0 && (*it)[n] == '=')
            return *it + n + 1;
    return NULL;
}

/* On a failed CHECK: the tail of this server's log (not the shared server's). */
static void print_log_tail(void)
{
    char *path = g_strdup_printf("%s/server.log", server.dir), *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);
        guint n = g_strv_length(lines), from = n > 40 ? n - 40 : 0;
        fprintf(stderr, "---- last lines of the private server's log (%s) ----\n", path);
        for (guint i = from; i < n; i++)
            if (*lines[i])
                fprintf(stderr, "%.300s%s\n", lines[i], strlen(lines[i]) > 300 ? "..." : "");
        fprintf(stderr, "---- end of the private server's log ----\n");
        g_strfreev(lines);
        g_free(text);
    }
    g_free(path);
}

lkc_test_private_server_t *lkc_test_private_server_start(const char *name, const char *extra_args)
{
    CHECK(!started, "one private server per test process");
    snprintf(server.dir, sizeof server.dir, "%s/%s-server", LKC_BINARY_DIR, name);
    char *cmd = g_strdup_printf("%s/scripts/lk-server start --dir %s --log-level info %s >&2", LKC_SOURCE_DIR,
                                server.dir, extra_args ? extra_args : "");
    CHECK(system(cmd) == 0, "cannot start a private livekit-server (%s)", cmd);
    g_free(cmd);
    started = true;
    atexit(lkc_test_private_server_stop);
    lkc_test_on_fail(print_log_tail);

    char *path = g_strdup_printf("%s/env", server.dir), *text = NULL;
    CHECK(g_file_get_contents(path, &text, NULL, NULL), "no %s", path);
    char **lines = g_strsplit(text, "\n", -1);
    const char *url = value_of(lines, "LIVEKIT_URL"), *pid = value_of(lines, "LKC_TEST_SERVER_PID"),
               *turn = value_of(lines, "LKC_TEST_TURN_PORT"), *tcp = value_of(lines, "LKC_TEST_SERVER_TCP_PORT"),
               *udp = value_of(lines, "LKC_TEST_SERVER_UDP_PORT");
    server.url = url ? g_strdup(url) : NULL;
    server.pid = pid ? atoi(pid) : 0;
    server.turn_port = turn && *turn ? atoi(turn) : 0;
    server.rtc_tcp_port = tcp ? atoi(tcp) : 0;
    server.rtc_udp_port = udp ? atoi(udp) : 0;
    const char *colon = server.url ? strrchr(server.url, ':') : NULL;
    server.http_port = colon ? atoi(colon + 1) : 0;
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    CHECK(server.url && server.pid > 0, "the private server's env file lacks its URL or pid");
    CHECK(server.http_port > 0 && server.rtc_tcp_port > 0 && server.rtc_udp_port > 0,
          "the private server's env file lacks its ports (http %d, rtc tcp %d, rtc udp %d)", server.http_port,
          server.rtc_tcp_port, server.rtc_udp_port);
    return &server;
}

void lkc_test_private_server_pause(void)
{
    CHECK(started && server.pid > 0, "no private server to pause");
    CHECK(kill(server.pid, SIGSTOP) == 0, "cannot SIGSTOP the private server (pid %d): %s", server.pid,
          strerror(errno));
    /* the signal is delivered asynchronously: wait until the process is really stopped */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", server.pid);
    for (int i = 0; i < 1000; i++) {
        char *text = NULL;
        if (!g_file_get_contents(path, &text, NULL, NULL))
            break;
        const char *close_paren = strrchr(text, ')');
        bool stopped = close_paren && (close_paren[2] == 'T' || close_paren[2] == 't');
        g_free(text);
        if (stopped)
            break;
        g_usleep(1000);
    }
}

void lkc_test_private_server_resume(void)
{
    CHECK(started && server.pid > 0, "no private server to resume");
    CHECK(kill(server.pid, SIGCONT) == 0, "cannot SIGCONT the private server (pid %d): %s", server.pid,
          strerror(errno));
}

static gint64 now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Gone, or a zombie nobody has reaped yet: either way its sockets are closed. */
static bool process_dead(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')'); /* "pid (comm) S ..." */
    return !rp || rp[1] == '\0' || rp[2] == 'Z' || rp[2] == 'X';
}

/* Starts `argv` detached (double fork, new session, not our child: lk-server stop can
 * kill it and PID 1 reaps it), output appended to `log`. Returns its pid. */
static int spawn_detached(char *const argv[], const char *log)
{
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
    pid_t mid = fork();
    CHECK(mid >= 0, "fork: %s", strerror(errno));
    if (mid == 0) {
        close(fds[0]);
        setsid();
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[1]);
            int in = open("/dev/null", O_RDONLY);
            int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (in >= 0)
                dup2(in, 0);
            if (out >= 0) {
                dup2(out, 1);
                dup2(out, 2);
            }
            execv(argv[0], argv);
            _exit(127);
        }
        int v = (int)pid;
        ssize_t w = write(fds[1], &v, sizeof v);
        _exit(w == (ssize_t)sizeof v && pid > 0 ? 0 : 1);
    }
    close(fds[1]);
    int pid = -1;
    ssize_t r;
    while ((r = read(fds[0], &pid, sizeof pid)) < 0 && errno == EINTR)
        ;
    close(fds[0]);
    int status = 0;
    waitpid(mid, &status, 0);
    CHECK(r == (ssize_t)sizeof pid && pid > 0, "could not start %s", argv[0]);
    return pid;
}

int lkc_test_private_server_restart_same_ports(int down_ms)
{
    CHECK(started && server.pid > 0, "no private server to restart");
    gint64 t0 = now_ms();
    kill(server.pid, SIGCONT);
    CHECK(kill(server.pid, SIGKILL) == 0, "cannot SIGKILL the private server (pid %d): %s", server.pid,
          strerror(errno));
    while (!process_dead(server.pid)) {
        CHECK(now_ms() - t0 < 5000, "the private server (pid %d) is still alive 5 s after SIGKILL", server.pid);
        sleep_ms(5);
    }
    if (down_ms > 0)
        sleep_ms(down_ms);

    const char *bin_env = g_getenv("LKC_LIVEKIT_SERVER");
    char *bin = bin_env ? g_strdup(bin_env) : g_strdup(LKC_SOURCE_DIR "/.tools/bin/livekit-server");
    char *cfg = g_strdup_printf("%s/livekit.yaml", server.dir);
    char *log = g_strdup_printf("%s/server.log", server.dir);
    FILE *lf = fopen(log, "a");
    if (lf) {
        fprintf(lf, "---- killed (SIGKILL) and restarted on the same ports by the test ----\n");
        fclose(lf);
    }
    char *argv[] = {bin, "--config", cfg, NULL};
    server.pid = spawn_detached(argv, log);
    char *pidfile = g_strdup_printf("%s/pid", server.dir), *pidtext = g_strdup_printf("%d", server.pid);
    CHECK(g_file_set_contents(pidfile, pidtext, -1, NULL), "cannot write %s", pidfile);
    g_free(pidtext);
    g_free(pidfile);

    gint64 t_start = now_ms();
    while (!lkc_test_private_server_answers(1000)) {
        CHECK(!process_dead(server.pid), "the restarted livekit-server exited (log: %s)", log);
        CHECK(now_ms() - t_start < 30000, "the restarted livekit-server did not answer within 30 s (log: %s)",
              log);
        sleep_ms(50);
    }
    g_free(bin);
    g_free(cfg);
    g_free(log);
    return (int)(now_ms() - t0);
}

/* A non-blocking connect to 127.0.0.1:port: the fd, or a negative lkc_test_probe_t. */
static int tcp_connect(int port, gint64 deadline_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return LKC_TEST_PROBE_ERROR;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
        return fd;
    if (errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        return e == ECONNREFUSED ? LKC_TEST_PROBE_REFUSED : LKC_TEST_PROBE_ERROR;
    }
    for (;;) {
        gint64 left = deadline_ms - now_ms();
        if (left <= 0) {
            close(fd);
            return LKC_TEST_PROBE_TIMEOUT;
        }
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue; /* the deadline check above ends it */
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0)
            return fd;
        close(fd);
        return err == ECONNREFUSED ? LKC_TEST_PROBE_REFUSED : LKC_TEST_PROBE_ERROR;
    }
}

lkc_test_probe_t lkc_test_tcp_probe(int port, int timeout_ms)
{
    int fd = tcp_connect(port, now_ms() + timeout_ms);
    if (fd < 0)
        return (lkc_test_probe_t)fd;
    close(fd);
    return LKC_TEST_PROBE_OK;
}

lkc_test_probe_t lkc_test_http_probe(int port, int timeout_ms)
{
    gint64 deadline = now_ms() + timeout_ms;
    int fd = tcp_connect(port, deadline);
    if (fd < 0)
        return (lkc_test_probe_t)fd;
    char req[128];
    int rn = snprintf(req, sizeof req, "GET / HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n", port);
    char resp[1024];
    size_t got = 0, sent = 0;
    lkc_test_probe_t result = LKC_TEST_PROBE_TIMEOUT;
    while (now_ms() < deadline) {
        struct pollfd pfd = {.fd = fd, .events = sent < (size_t)rn ? POLLOUT : POLLIN};
        int n = poll(&pfd, 1, (int)(deadline - now_ms()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        if (sent < (size_t)rn) {
            ssize_t w = send(fd, req + sent, (size_t)rn - sent, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                result = LKC_TEST_PROBE_ERROR;
                break;
            }
            sent += w > 0 ? (size_t)w : 0;
            continue;
        }
        ssize_t r = recv(fd, resp + got, sizeof resp - 1 - got, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0 || got + (size_t)r >= sizeof resp - 1) { /* closed (HTTP/1.0) or enough */
            got += r > 0 ? (size_t)r : 0;
            resp[got] = '\0';
            const char *body = strstr(resp, "\r\n\r\n");
            result = strncmp(resp, "HTTP/1.", 7) == 0 && strncmp(resp + 8, " 200", 4) == 0 && body &&
                             strncmp(body + 4, "OK", 2) == 0
                         ? LKC_TEST_PROBE_OK
                         : LKC_TEST_PROBE_ERROR;
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    return result;
}

bool lkc_test_private_server_answers(int timeout_ms)
{
    return started && lkc_test_http_probe(server.http_port, timeout_ms) == LKC_TEST_PROBE_OK;
}

const char *lkc_test_probe_str(lkc_test_probe_t p)
{
    switch (p) {
    case LKC_TEST_PROBE_OK:
        return "ok";
    case LKC_TEST_PROBE_TIMEOUT:
        return "timed out";
    case LKC_TEST_PROBE_REFUSED:
        return "refused";
    default:
        return "error";
    }
}
