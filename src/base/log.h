/* Internal logging: lkc_logf() and the LKC_LOG* shorthands. Lines at or below the
 * current level reach the sink set with lkc_set_log() (stderr by default). */
#ifndef LKC_BASE_LOG_H
#define LKC_BASE_LOG_H

#include <stdbool.h>

#include "lkc/log.h"

void lkc_logf(lkc_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool lkc_log_enabled(lkc_log_level_t level);

#define LKC_LOGE(mod, ...) lkc_logf(LKC_LOG_ERROR, mod, __VA_ARGS__)
#define LKC_LOGW(mod, ...) lkc_logf(LKC_LOG_WARN, mod, __VA_ARGS__)
#define LKC_LOGI(mod, ...) lkc_logf(LKC_LOG_INFO, mod, __VA_ARGS__)
#define LKC_LOGD(mod, ...) \
    do { if (lkc_log_enabled(LKC_LOG_DEBUG)) lkc_logf(LKC_LOG_DEBUG, mod, __VA_ARGS__); } while (0)
#define LKC_LOGT(mod, ...) \
    do { if (lkc_log_enabled(LKC_LOG_TRACE)) lkc_logf(LKC_LOG_TRACE, mod, __VA_ARGS__); } while (0)

#endif
