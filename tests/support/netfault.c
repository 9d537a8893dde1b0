#include "netfault.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>

#include "test.h"

extern char **environ;

/* Present in every sanitizer runtime; NULL in a build without one. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static char iptables_bin[256], restore_bin[256];
static char chain[32];
static int port_signal, port_rtc_tcp, port_udp;
static bool blocked_signal, blocked_rtc_tcp, blocked_udp;
static double loss_percent;
static long long dropped_before; /* by rules flushed at earlier changes */

/* What the fatal paths need, built before any rule exists. */
static volatile sig_atomic_t installed;
static pid_t owner;
static char teardown_text[2048];
static size_t teardown_len;
static char *restore_argv[4];

static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
#define N_FATAL (sizeof fatal_signals / sizeof fatal_signals[0])
static struct sigaction old_actions[N_FATAL];
static bool hooks_installed;

static bool find_binary(const char *name, char *out, size_t len)
{
    const char *path = getenv("PATH");
    char *dirs = g_strdup_printf("/usr/sbin:/sbin:%s", path ? path : "/usr/bin:/bin");
    bool found = false;
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, len, "%s/%s", d, name);
        found = access(out, X_OK) == 0;
    }
    g_free(dirs);
    return found;
}

/* iptables-restore --noflush with `text` on its stdin. Only async-signal-safe calls when
 * `err` is NULL (the fatal paths): socketpair, fork, execve, send, waitpid. Returns its
 * exit status (or -1); when `err` is given, its stderr goes there. */
static int run_restore(const char *text, size_t len, char *err, size_t errlen)
{
    int in[2], errp[2] = {-1, -1};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
        return -1;
    if (err && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, errp) != 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        if (errp[1] >= 0)
            dup2(errp[1], 2);
        execve(restore_argv[0], restore_argv, environ);
        _exit(127);
    }
    close(in[0]);
    if (errp[1] >= 0)
        close(errp[1]);
    if (pid < 0) {
        close(in[1]);
        if (errp[0] >= 0)
            close(errp[0]);
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(in[1], text + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(in[1]);
    if (err) {
        size_t got = 0;
        ssize_t r;
        while (got + 1 < errlen && ((r = read(errp[0], err + got, errlen - 1 - got)) > 0 || (r < 0 && errno == EINTR)))
            got += r > 0 ? (size_t)r : 0;
        err[got] = '\0';
        close(errp[0]);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void restore_or_fail(const char *text, const char *what)
{
    char err[1024];
    int rc = run_restore(text, strlen(text), err, sizeof err);
    CHECK(rc == 0, "iptables-restore failed to %s (exit %d): %s\ninput was:\n%s", what, rc, g_strstrip(err), text);
}

/* Runs iptables with `args` (space-separated, no quoting needed); its stdout, or NULL
 * with *err set. */
static char *run_iptables(const char *args, char **err)
{
    char *cmd = g_strdup_printf("%s -w %s", iptables_bin, args);
    char **argv = g_strsplit(cmd, " ", -1);
    char *out = NULL, *errtext = NULL;
    int status = 0;
    GError *gerr = NULL;
    bool ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errtext, &status, &gerr) &&
              g_spawn_check_wait_status(status, NULL);
    if (!ok) {
        *err = g_strdup_printf("`%s` failed: %s", cmd,
                               gerr ? gerr->message : errtext ? g_strstrip(errtext) : "(no message)");
        g_free(out);
        out = NULL;
    }
    if (gerr)
        g_error_free(gerr);
    g_free(errtext);
    g_strfreev(argv);
    g_free(cmd);
    return out;
}

static void teardown_now(void)
{
    /* only the process that set it up, once (a forked child between fork and exec
     * must not remove the parent's rules) */
    if (!installed || getpid() != owner)
        return;
    installed = 0;
    run_restore(teardown_text, teardown_len, NULL, 0);
}

static void on_fatal(int sig, siginfo_t *info, void *uc)
{
    (void)uc;
    int saved = errno;
    teardown_now();
    size_t i = 0;
    while (i < N_FATAL && fatal_signals[i] != sig)
        i++;
    if (i < N_FATAL)
        sigaction(sig, &old_actions[i], NULL);
    errno = saved;
    /* a real fault re-executes the instruction into the previous handler (ASan's
     * report); a sent or raised signal is raised again for it */
    bool synchronous = (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL) && info &&
                       info->si_code > 0;
    if (!synchronous)
        raise(sig);
}

static void at_exit(void)
{
    teardown_now();
}

/* gcc links each sanitizer as a shared library of its own (ASan+UBSan: libasan and
 * libubsan), each with its own death callback: register with every one loaded. */
static int register_death_callback(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
    base = base ? base + 1 : info->dlpi_name;
    if (!base || strncmp(base, "lib", 3) != 0 || !strstr(base, "san.so"))
        return 0;
    void *h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return 0;
    void (*set)(void (*)(void));
    *(void **)&set = dlsym(h, "__sanitizer_set_death_callback");
    if (set)
        set(at_exit);
    dlclose(h);
    return 0;
}

static void install_hooks(void)
{
    if (hooks_installed)
        return;
    hooks_installed = true;
    atexit(at_exit);
    if (__sanitizer_set_death_callback) /* a runtime linked into the executable (clang) */
        __sanitizer_set_death_callback(at_exit);
    dl_iterate_phdr(register_death_callback, NULL);
    for (size_t i = 0; i < N_FATAL; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_fatal;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        sigaction(fatal_signals[i], NULL, &old_actions[i]);
        if (old_actions[i].sa_handler == SIG_IGN) /* e.g. SIGINT in a background job: stays ignored */
            continue;
        sigaction(fatal_signals[i], &sa, &old_actions[i]);
    }
}

static bool pid_gone(long pid)
{
    return pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

/* Removes LKC_T<pid> chains whose process is gone, and one of our own name (an earlier
 * process with our pid). Best effort: another test may be removing the same one. */
static void remove_stale(void)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        char *err = NULL;
        char *listing = run_iptables("-S", &err);
        CHECK(listing, "cannot read the iptables rules (%s). The fault tests need iptables (Debian package "
                       "iptables, see scripts/setup) and root (CAP_NET_ADMIN).", err);
        GString *text = g_string_new("*filter\n");
        GPtrArray *stale = g_ptr_array_new_with_free_func(g_free);
        char **lines = g_strsplit(listing, "\n", -1);
        for (char **l = lines; *l; l++) {
            char *end = NULL;
            if (strncmp(*l, "-N LKC_T", 8) != 0)
                continue;
            long pid = strtol(*l + 8, &end, 10);
            if (end && *end == '\0' && (pid == owner || pid_gone(pid)))
                g_ptr_array_add(stale, g_strdup(*l + 3));
        }
        for (guint i = 0; i < stale->len; i++) {
            const char *name = g_ptr_array_index(stale, i);
            char *jump = g_strdup_printf(" -j %s", name);
            for (char **l = lines; *l; l++)
                if (strncmp(*l, "-A ", 3) == 0 && g_str_has_suffix(*l, jump) &&
                    (strncmp(*l, "-A INPUT ", 9) == 0 || strncmp(*l, "-A OUTPUT ", 10) == 0))
                    g_string_append_printf(text, "-D %s\n", *l + 3);
            g_string_append_printf(text, "-F %s\n-X %s\n", name, name);
            g_free(jump);
        }
        g_string_append(text, "COMMIT\n");
        g_strfreev(lines);
        g_free(listing);
        int rc = 0;
        char errbuf[512] = "";
        if (stale->len > 0) {
            fprintf(stderr, "netfault: removing %u stale chain(s) of earlier test runs\n", stale->len);
            rc = run_restore(text->str, text->len, errbuf, sizeof errbuf);
        }
        g_string_free(text, TRUE);
        g_ptr_array_unref(stale);
        if (rc == 0)
            return;
        fprintf(stderr, "netfault: removing stale chains failed (%s); trying again\n", g_strstrip(errbuf));
    }
}

static void append_jumps(GString *s, const char *op, const char *proto, int port)
{
    if (port <= 0)
        return;
    g_string_append_printf(s, "%s -i lo -p %s --dport %d -j %s\n", op, proto, port, chain);
    g_string_append_printf(s, "%s -i lo -p %s --sport %d -j %s\n", op, proto, port, chain);
}

void lkc_test_netfault_setup(int signal_tcp_port, int rtc_tcp_port, int rtc_udp_port)
{
    CHECK(!installed, "lkc_test_netfault_setup: one per test process (call teardown first)");
    CHECK(find_binary("iptables", iptables_bin, sizeof iptables_bin) &&
              find_binary("iptables-restore", restore_bin, sizeof restore_bin),
          "iptables is not installed: run scripts/setup (Debian package iptables)");
    owner = getpid();
    snprintf(chain, sizeof chain, "LKC_T%d", (int)owner);
    port_signal = signal_tcp_port;
    port_rtc_tcp = rtc_tcp_port;
    port_udp = rtc_udp_port;
    blocked_signal = blocked_rtc_tcp = blocked_udp = false;
    loss_percent = 0;
    dropped_before = 0;
    restore_argv[0] = restore_bin;
    restore_argv[1] = "-w";
    restore_argv[2] = "--noflush";
    restore_argv[3] = NULL;

    remove_stale();

    GString *down = g_string_new("*filter\n");
    append_jumps(down, "-D INPUT", "tcp", port_signal);
    append_jumps(down, "-D INPUT", "tcp", port_rtc_tcp);
    append_jumps(down, "-D INPUT", "udp", port_udp);
    g_string_append_printf(down, "-F %s\n-X %s\nCOMMIT\n", chain, chain);
    CHECK(down->len < sizeof teardown_text, "teardown text too long");
    memcpy(teardown_text, down->str, down->len + 1);
    teardown_len = down->len;
    g_string_free(down, TRUE);

    install_hooks(); /* before the first rule: from here on a crash removes them */
    GString *up = g_string_new("*filter\n");
    g_string_append_printf(up, ":%s - [0:0]\n", chain);
    append_jumps(up, "-I INPUT 1", "tcp", port_signal);
    append_jumps(up, "-I INPUT 1", "tcp", port_rtc_tcp);
    append_jumps(up, "-I INPUT 1", "udp", port_udp);
    g_string_append(up, "COMMIT\n");
    installed = 1;
    char err[1024];
    int rc = run_restore(up->str, up->len, err, sizeof err);
    if (rc != 0) {
        /* nothing was committed (one transaction) */
        installed = 0;
        CHECK(false, "cannot create the iptables chain %s (iptables-restore exit %d): %s", chain, rc,
              g_strstrip(err));
    }
    g_string_free(up, TRUE);
    fprintf(stderr, "netfault: chain %s for 127.0.0.1 ports signal/tcp %d, rtc/tcp %d, rtc/udp %d (on lo only)\n",
            chain, port_signal, port_rtc_tcp, port_udp);
}

void lkc_test_netfault_setup_for(const lkc_test_private_server_t *srv)
{
    lkc_test_netfault_setup(srv->http_port, srv->rtc_tcp_port, srv->rtc_udp_port);
}

static long long chain_drops(void)
{
    char *err = NULL;
    char *args = g_strdup_printf("-L %s -v -x -n", chain);
    char *out = run_iptables(args, &err);
    g_free(args);
    CHECK(out, "%s", err);
    long long sum = 0;
    char **lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        long long pkts = 0;
        char target[32];
        if (sscanf(*l, " %lld %*s %31s", &pkts, target) == 2 && strcmp(target, "DROP") == 0)
            sum += pkts;
    }
    g_strfreev(lines);
    g_free(out);
    return sum;
}

static void append_drop(GString *s, const char *proto, int port, const char *extra)
{
    g_string_append_printf(s, "-A %s -i lo -p %s --dport %d%s -j DROP\n", chain, proto, port, extra);
    g_string_append_printf(s, "-A %s -i lo -p %s --sport %d%s -j DROP\n", chain, proto, port, extra);
}

/* Replaces the chain's rules with what the flags say, in one transaction. */
static void apply(const char *what)
{
    CHECK(installed, "netfault: %s before lkc_test_netfault_setup()", what);
    dropped_before += chain_drops();
    GString *s = g_string_new("*filter\n");
    g_string_append_printf(s, "-F %s\n", chain);
    if (blocked_signal && port_signal > 0)
        append_drop(s, "tcp", port_signal, "");
    if (blocked_rtc_tcp && port_rtc_tcp > 0)
        append_drop(s, "tcp", port_rtc_tcp, "");
    if (blocked_udp && port_udp > 0)
        append_drop(s, "udp", port_udp, "");
    if (loss_percent > 0 && port_udp > 0) {
        char extra[96];
        snprintf(extra, sizeof extra, " -m statistic --mode random --probability %.5f", loss_percent / 100.0);
        append_drop(s, "udp", port_udp, extra);
    }
    g_string_append(s, "COMMIT\n");
    restore_or_fail(s->str, what);
    g_string_free(s, TRUE);
}

void lkc_test_netfault_signal_block(void)
{
    CHECK(port_signal > 0, "netfault: no signal port");
    blocked_signal = true;
    apply("block the signal port");
}

void lkc_test_netfault_signal_unblock(void)
{
    blocked_signal = false;
    apply("unblock the signal port");
}

void lkc_test_netfault_udp_block(void)
{
    CHECK(port_udp > 0, "netfault: no RTC UDP port");
    blocked_udp = true;
    apply("block the RTC UDP port");
}

void lkc_test_netfault_udp_unblock(void)
{
    blocked_udp = false;
    apply("unblock the RTC UDP port");
}

void lkc_test_netfault_rtc_tcp_block(void)
{
    CHECK(port_rtc_tcp > 0, "netfault: no RTC TCP port");
    blocked_rtc_tcp = true;
    apply("block the RTC TCP port");
}

void lkc_test_netfault_rtc_tcp_unblock(void)
{
    blocked_rtc_tcp = false;
    apply("unblock the RTC TCP port");
}

void lkc_test_netfault_udp_loss(double percent)
{
    CHECK(percent >= 0 && percent <= 100, "netfault: loss %.3f%% out of range", percent);
    CHECK(port_udp > 0 || percent == 0, "netfault: no RTC UDP port");
    loss_percent = percent;
    apply("set random loss on the RTC UDP port");
}

void lkc_test_netfault_clear(void)
{
    blocked_signal = blocked_rtc_tcp = blocked_udp = false;
    loss_percent = 0;
    apply("clear every fault");
}

void lkc_test_netfault_teardown(void)
{
    if (!installed || getpid() != owner)
        return;
    char err[1024];
    int rc = run_restore(teardown_text, teardown_len, err, sizeof err);
    installed = 0;
    CHECK(rc == 0, "cannot remove the iptables chain %s (exit %d): %s", chain, rc, g_strstrip(err));
}

const char *lkc_test_netfault_chain(void)
{
    return chain;
}

long long lkc_test_netfault_dropped(void)
{
    CHECK(installed, "netfault: not set up");
    return dropped_before + chain_drops();
}

int lkc_test_netfault_count_chains(const char *prefix, char **text)
{
    if (!iptables_bin[0])
        CHECK(find_binary("iptables", iptables_bin, sizeof iptables_bin),
              "iptables is not installed: run scripts/setup (Debian package iptables)");
    char *err = NULL;
    char *out = run_iptables("-S", &err);
    CHECK(out, "%s", err);
    int n = 0;
    char **lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++)
        if (strncmp(*l, "-N ", 3) == 0 && g_str_has_prefix(*l + 3, prefix))
            n++;
    g_strfreev(lines);
    if (text)
        *text = out;
    else
        g_free(out);
    return n;
}
