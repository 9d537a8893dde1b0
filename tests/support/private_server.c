#include "private_server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

    char *path = g_strdup_printf("%s/env", server.dir), *text = NULL;
    CHECK(g_file_get_contents(path, &text, NULL, NULL), "no %s", path);
    char **lines = g_strsplit(text, "\n", -1);
    const char *url = value_of(lines, "LIVEKIT_URL"), *pid = value_of(lines, "LKC_TEST_SERVER_PID"),
               *turn = value_of(lines, "LKC_TEST_TURN_PORT");
    server.url = url ? g_strdup(url) : NULL;
    server.pid = pid ? atoi(pid) : 0;
    server.turn_port = turn && *turn ? atoi(turn) : 0;
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    CHECK(server.url && server.pid > 0, "the private server's env file lacks its URL or pid");
    return &server;
}
