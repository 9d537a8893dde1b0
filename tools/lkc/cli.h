/* The lkc command: shared helpers of its subcommands. Uses only the public API. */
#ifndef LKC_CLI_H
#define LKC_CLI_H

#include <stdbool.h>

#include "lkc/lkc.h"

int cmd_token(int argc, char **argv);
int cmd_join(int argc, char **argv);
int cmd_server(int argc, char **argv);
int cmd_demo(int argc, char **argv);

/* Prints "lkc: <message>" to stderr; returns 1 (the exit status for usage errors). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A stable short name of an lkc_err_t for JSON ("unsupported", "timeout", ...). */
const char *cli_err_code(int err);

/* Emits an "error" event {code, message}; `message` says what happened and what to do. */
void cli_event_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* LIVEKIT_API_KEY / LIVEKIT_API_SECRET, with a readable error when missing. */
bool cli_credentials(const char **key, const char **secret);

/* Parses "6h", "30m", "45s" or plain seconds. -1 on error. */
long cli_parse_duration(const char *s);

/* Mints a join token from the environment's key and secret (lkc_free the result). */
char *cli_mint_join_token(const char *room, const char *identity, const char *name, const char *metadata,
                          const lkc_kv_t *attrs, size_t n_attrs, long ttl_seconds);

/* Where the pinned livekit-server binary is: $LKC_LIVEKIT_SERVER, the source tree's
 * .tools/bin, or PATH. NULL when none. */
const char *cli_server_binary(void);

/* A local server started for the demo (or `lkc server`): loopback-only config. */
typedef struct cli_server {
    int pid;
    int http_port;
    char url[64];
    char dir[256];
} cli_server_t;

/* Starts livekit-server in the background on free ports and waits until it answers.
 * Returns 0, or non-zero with a message printed. */
int cli_server_start(cli_server_t *s, bool quiet);
void cli_server_stop(cli_server_t *s);

#endif
