/* lkc: logging.
 *
 * By default lkc writes WARN and above to stderr. The environment variable
 * LKC_LOG=error|warn|info|debug|trace overrides the level at start. lkc never logs
 * tokens, API secrets or key material.
 */
#ifndef LKC_LOG_H
#define LKC_LOG_H

#include "lkc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lkc_log_level {
    LKC_LOG_ERROR = 0,
    LKC_LOG_WARN = 1,
    LKC_LOG_INFO = 2,
    LKC_LOG_DEBUG = 3,
    LKC_LOG_TRACE = 4,
} lkc_log_level_t;

/** Receives one formatted line (no trailing newline). `module` is e.g. "signal",
 *  "rtc.ice", "room". Called on whatever thread logged: keep it short and thread-safe. */
typedef void (*lkc_log_fn)(lkc_log_level_t level, const char *module, const char *line, void *user);

/** Sets the level and the sink. `fn` NULL restores the stderr sink. Any thread; takes
 *  effect for lines logged after it returns. */
LKC_API void lkc_set_log(lkc_log_level_t level, lkc_log_fn fn, void *user);

/** The current level. Any thread. */
LKC_API lkc_log_level_t lkc_log_level(void);

/** "error", "warn", "info", "debug", "trace". */
LKC_API const char *lkc_log_level_str(lkc_log_level_t level);

#ifdef __cplusplus
}
#endif
#endif
