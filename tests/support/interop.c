#include "interop.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static lkc_test_env_t env;
static bool loaded;

void lkc_test_print_server_log(void)
{
    if (!env.server_log)
        return;
    FILE *f = fopen(env.server_log, "r");
    if (!f)
        return;
    char *lines[60] = {0};
    char buf[2048];
    int n = 0;
    while (fgets(buf, sizeof buf, f)) {
        free(lines[n % 60]);
        lines[n % 60] = strdup(buf);
        n++;
    }
    fclose(f);
    fprintf(stderr, "---- last lines of the server log (%s) ----\n", env.server_log);
    for (int i = n > 60 ? n - 60 : 0; i < n; i++) /* long debug lines cut short */
        fprintf(stderr, "%.300s%s", lines[i % 60], strlen(lines[i % 60]) > 300 ? "...\n" : "");
    fprintf(stderr, "---- end of server log ----\n");
    for (int i = 0; i < 60; i++)
        free(lines[i]);
}

const lkc_test_env_t *lkc_test_env(void)
{
    if (loaded)
        return &env;
    env.url = getenv("LIVEKIT_URL");
    env.key = getenv("LIVEKIT_API_KEY");
    env.secret = getenv("LIVEKIT_API_SECRET");
    env.server_log = getenv("LKC_TEST_SERVER_LOG");
    const char *pid = getenv("LKC_TEST_SERVER_PID");
    env.server_pid = pid ? atoi(pid) : 0;
    CHECK(env.url && env.key && env.secret,
          "no test server: LIVEKIT_URL/LIVEKIT_API_KEY/LIVEKIT_API_SECRET are not set "
          "(run through ctest, whose fixture starts livekit-server)");
    lkc_test_on_fail(lkc_test_print_server_log);
    loaded = true;
    if (!getenv("LKC_LOG"))
        lkc_set_log(LKC_LOG_WARN, NULL, NULL);
    return &env;
}

char *lkc_test_room_name(const char *prefix)
{
    return g_strdup_printf("%s-%08x", prefix, g_random_int());
}

char *lkc_test_token(const char *room, const char *identity, const char *name, const char *metadata)
{
    const lkc_test_env_t *e = lkc_test_env();
    lkc_token_options_t o;
    lkc_token_options_init(&o);
    o.api_key = e->key;
    o.api_secret = e->secret;
    o.identity = identity;
    o.name = name;
    o.metadata = metadata;
    o.grant.room = room;
    o.ttl_seconds = 600;
    char *tok = NULL;
    CHECK_OK(lkc_token_mint(&o, &tok));
    return tok;
}

static int count_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

int lkc_test_thread_count(void)
{
    return count_dir("/proc/self/task");
}

int lkc_test_fd_count(void)
{
    return count_dir("/proc/self/fd") - 1; /* the DIR we just opened */
}

bool lkc_test_wait_counts(int threads, int fds, int timeout_ms)
{
    for (int waited = 0;; waited += 10) {
        if (lkc_test_thread_count() <= threads && lkc_test_fd_count() <= fds)
            return true;
        if (waited >= timeout_ms)
            return false;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void list_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[300], name[64] = "?";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", de->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (fgets(name, sizeof name, f))
                name[strcspn(name, "\n")] = '\0';
            fclose(f);
        }
        fprintf(stderr, "  thread %s: %s\n", de->d_name, name);
    }
    if (d)
        closedir(d);
}

void lkc_test_check_baseline(int threads, int fds, const char *what)
{
    if (lkc_test_wait_counts(threads, fds, 2000))
        return;
    fprintf(stderr, "after %s: %d threads (baseline %d), %d fds (baseline %d)\n", what, lkc_test_thread_count(),
            threads, lkc_test_fd_count(), fds);
    list_threads();
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[300], target[300] = "";
        snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        fprintf(stderr, "  fd %s -> %s\n", de->d_name, target);
    }
    if (d)
        closedir(d);
    CHECK(false, "resources left behind after %s", what);
}

int lkc_test_blackhole_open(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(*fd >= 0, "socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(bind(*fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(*fd, 64) == 0 &&
              getsockname(*fd, (struct sockaddr *)&a, &len) == 0,
          "cannot open the black-hole listener");
    return ntohs(a.sin_port);
}

void lkc_test_blackhole_close(int fd)
{
    close(fd);
}
