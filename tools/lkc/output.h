/* Event output of the lkc command: JSON lines (--json) or plain readable lines.
 * One event at a time: out_begin(), fields, out_end(). Thread-safe (events come from
 * room handlers on engine threads and from the main thread). */
#ifndef LKC_CLI_OUTPUT_H
#define LKC_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/lkc.h"

void out_init(bool json);
bool out_is_json(void);
void out_begin(const char *ev);
void out_str(const char *key, const char *value);
void out_int(const char *key, int64_t value);
void out_double(const char *key, double value);
void out_bool(const char *key, bool value);
/* Text when `data` is valid UTF-8 (as `key`), else base64 (as `key`_b64). */
void out_payload(const char *key, const uint8_t *data, size_t len);
void out_strv(const char *key, const char *const *values, size_t n);
/* A string map (JSON object; plain: key={k=v,...}). */
void out_map(const char *key, const lkc_kv_t *kv, size_t n);
void out_end(void);

/* Milliseconds since the program started (the "t" of every event). */
int64_t out_now_ms(void);

#endif
