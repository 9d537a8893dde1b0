/* `lkc server`, and the local server that `lkc demo` starts: the pinned livekit-server
 * with a loopback-only configuration (every socket on 127.0.0.1 except the ICE/TCP
 * listener, which livekit-server binds on all interfaces; no public STUN servers),
 * development keys devkey/secret.
 *
 * livekit-server always runs as our child and never outlives us: `lkc server` stops it
 * on SIGTERM, SIGINT and SIGHUP (a script's kill, systemd, Ctrl-C, a closed terminal),
 * and the kernel kills it if we die any other way (PR_SET_PDEATHSIG). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define DEV_KEY "devkey"
#define DEV_SECRET "secret"

const char *cli_server_binary(void)
{
    static char path[512];
    const char *env = getenv("LKC_LIVEKIT_SERVER");
    if (env && access(env, X_OK) == 0)
        return env;
#ifdef LKC_SOURCE_DIR
    snprintf(path, sizeof path, "%s/.tools/bin/livekit-server", LKC_SOURCE_DIR);
    if (access(path, X_OK) == 0)
        return path;
#endif
    const char *p = getenv("PATH");
    while (p && *p) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(path, sizeof path, "%.*s/livekit-server", (int)n, p);
        if (access(path, X_OK) == 0)
            return path;
        p = colon ? colon + 1 : NULL;
    }
    return NULL;
}

static int free_port(int type)
{
    int fd = socket(AF_INET, type, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int write_config(const char *path, int http, int udp, int tcp)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "# written by lkc: loopback only, development keys\n"
            "port: %d\n"
            "bind_addresses: [\"127.0.0.1\"]\n"
            "keys:\n  " DEV_KEY ": " DEV_SECRET "\n"
            "development: true\n"
            "rtc:\n"
            "  udp_port: %d\n"
            "  tcp_port: %d\n"
            "  node_ip: 127.0.0.1\n"
            "  use_external_ip: false\n"
            "  enable_loopback_candidate: true\n"
            "  ips:\n    includes: [\"127.0.0.1/32\"]\n"
            "  stun_servers: [\"127.0.0.1:3478\"]\n"
            "  use_mdns: false\n"
            "turn:\n  enabled: false\n"
            "logging:\n  level: info\n  pion_level: warn\n"
            "room:\n  auto_create: true\n  empty_timeout: 30\n  departure_timeout: 5\n",
            http, udp, tcp);
    return fclose(f);
}

/* In the forked child before exec: die with the parent (the thread that forked, which
 * is the main thread for both callers), even if it is SIGKILLed. */
static void die_with_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the parent died before prctl */
        _exit(1);
}

/* GET / answers "OK" once the server is ready. */
static bool server_ready(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct timeval tv = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = false;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        const char req[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
            char buf[512];
            ssize_t n, total = 0;
            while (total < (ssize_t)sizeof buf - 1 && (n = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
                total += n;
            buf[total] = '\0';
            ok = strstr(buf, " 200 ") && strstr(buf, "\r\n\r\nOK");
        }
    }
    close(fd);
    return ok;
}

int cli_server_start(cli_server_t *s, bool quiet)
{
    memset(s, 0, sizeof *s);
    const char *bin = cli_server_binary();
    if (!bin)
        return cli_error("livekit-server not found: run `make demo` or scripts/setup from the lkc "
                         "source tree, or set LKC_LIVEKIT_SERVER");
    snprintf(s->dir, sizeof s->dir, "/tmp/lkc-server-XXXXXX");
    if (!mkdtemp(s->dir))
        return cli_error("cannot create a temporary directory: %s", strerror(errno));
    int http = free_port(SOCK_STREAM), udp = free_port(SOCK_DGRAM), tcp = free_port(SOCK_STREAM);
    char cfg[300], log[300];
    snprintf(cfg, sizeof cfg, "%s/livekit.yaml", s->dir);
    snprintf(log, sizeof log, "%s/server.log", s->dir);
    if (http < 0 || udp < 0 || tcp < 0 || tcp == http || write_config(cfg, http, udp, tcp) != 0)
        return cli_error("cannot prepare the local server's configuration in %s", s->dir);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return cli_error("fork: %s", strerror(errno));
    if (pid == 0) {
        die_with_parent(parent);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        setsid();
        execl(bin, bin, "--config", cfg, (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    s->http_port = http;
    snprintf(s->url, sizeof s->url, "ws://127.0.0.1:%d", http);
    for (int i = 0; i < 300; i++) { /* 30 s */
        if (server_ready(http)) {
            if (!quiet)
                fprintf(stderr, "lkc: local livekit-server (pid %d) at %s\n", pid, s->url);
            return 0;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            s->pid = 0;
            return cli_error("livekit-server exited at start; see %s", log);
        }
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    cli_server_stop(s);
    return cli_error("livekit-server did not become ready within 30 s; see %s", log);
}

static bool wait_exit(pid_t pid, int ms)
{
    for (int i = 0; i < ms / 20; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return true;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

void cli_server_stop(cli_server_t *s)
{
    if (s->pid <= 0)
        return;
    /* The first SIGTERM drains (waits for participants), the second forces. */
    kill(s->pid, SIGTERM);
    if (!wait_exit(s->pid, 500)) {
        kill(s->pid, SIGTERM);
        if (!wait_exit(s->pid, 5000)) {
            kill(s->pid, SIGKILL);
            wait_exit(s->pid, 5000);
        }
    }
    s->pid = 0;
}

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void on_child(int sig)
{
    (void)sig; /* only interrupts sigsuspend */
}

/* Runs livekit-server with `cfg` as a child until it exits or a stop signal comes; then
 * stops it (SIGTERM, SIGTERM again to force, SIGKILL after a bound). Returns the exit
 * status for `lkc server`. */
static int supervise(const char *bin, const char *cfg)
{
    static const int stops[] = {SIGTERM, SIGINT, SIGHUP};
    sigset_t block, old;
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        sigaddset(&block, stops[i]);
    sigaddset(&block, SIGCHLD);
    /* blocked from before the fork to the sigsuspend: no signal is lost in between */
    sigprocmask(SIG_BLOCK, &block, &old);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        sigaction(stops[i], &sa, NULL);
    sa.sa_handler = on_child;
    sigaction(SIGCHLD, &sa, NULL);

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        return cli_error("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        die_with_parent(parent);
        setpgid(0, 0); /* Ctrl-C reaches only us; we stop it in order */
        int fd = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 0);
            close(fd);
        }
        sigprocmask(SIG_SETMASK, &old, NULL); /* exec resets the handlers, not the mask */
        execl(bin, bin, "--config", cfg, (char *)NULL);
        fprintf(stderr, "lkc: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    int status = 0;
    bool exited = false;
    while (!exited && !stop_signal) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            exited = true;
        else if (!stop_signal)
            sigsuspend(&old); /* returns after SIGCHLD or a stop signal was handled */
    }
    int rc;
    if (exited) {
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        fprintf(stderr, "lkc: livekit-server exited (%s %d)\n", WIFEXITED(status) ? "status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        if (rc == 0)
            rc = 1; /* it is not supposed to end by itself */
    } else {
        fprintf(stderr, "lkc: %s: stopping livekit-server (pid %d)\n", strsignal(stop_signal), (int)pid);
        cli_server_t srv = {.pid = pid};
        cli_server_stop(&srv);
        rc = 0;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int cmd_server(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, 0, 'p'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int port = 7880, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'p')
            port = atoi(optarg);
        else {
            fprintf(stderr, "usage: lkc server [--port 7880]\n");
            return 2;
        }
    }
    if (port <= 0 || port > 65533)
        return cli_error("--port must be 1..65533 (the server also takes the next two ports)");
    const char *bin = cli_server_binary();
    if (!bin)
        return cli_error("livekit-server not found: run scripts/setup in the lkc source tree "
                         "(it builds the pinned v1.13.5 into .tools/bin), or set LKC_LIVEKIT_SERVER");
    char dir[] = "/tmp/lkc-server-XXXXXX";
    if (!mkdtemp(dir))
        return cli_error("cannot create a temporary directory: %s", strerror(errno));
    char cfg[300];
    snprintf(cfg, sizeof cfg, "%s/livekit.yaml", dir);
    if (write_config(cfg, port, port + 2, port + 1) != 0) {
        rmdir(dir);
        return cli_error("cannot write %s", cfg);
    }
    printf("LIVEKIT_URL=ws://127.0.0.1:%d\nLIVEKIT_API_KEY=" DEV_KEY "\nLIVEKIT_API_SECRET=" DEV_SECRET "\n", port);
    printf("# local livekit-server, loopback only; Ctrl-C stops it. In another terminal:\n"
           "#   export LIVEKIT_URL=ws://127.0.0.1:%d LIVEKIT_API_KEY=" DEV_KEY " LIVEKIT_API_SECRET=" DEV_SECRET "\n"
           "#   lkc join --room demo --identity me\n",
           port);
    fflush(stdout);
    int rc = supervise(bin, cfg);
    unlink(cfg);
    rmdir(dir);
    return rc;
}
