/* The log sink: a level (atomic, read on every call) and a callback under a mutex. */
#include "base/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int log_level = LKC_LOG_WARN;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static lkc_log_fn sink_fn;
static void *sink_user;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

static void log_init_from_env(void)
{
    const char *v = getenv("LKC_LOG");
    if (!v)
        return;
    for (int i = 0; i <= LKC_LOG_TRACE; i++) {
        if (strcmp(v, level_names[i]) == 0) {
            atomic_store(&log_level, i);
            return;
        }
    }
}

const char *lkc_log_level_str(lkc_log_level_t level)
{
    if ((int)level < 0 || level > LKC_LOG_TRACE)
        return "?";
    return level_names[level];
}

bool lkc_log_enabled(lkc_log_level_t level)
{
    pthread_once(&log_once, log_init_from_env);
    return (int)level <= atomic_load(&log_level);
}

lkc_log_level_t lkc_log_level(void)
{
    pthread_once(&log_once, log_init_from_env);
    return (lkc_log_level_t)atomic_load(&log_level);
}

void lkc_set_log(lkc_log_level_t level, lkc_log_fn fn, void *user)
{
    pthread_once(&log_once, log_init_from_env);
    if ((int)level < 0)
        level = LKC_LOG_ERROR;
    if (level > LKC_LOG_TRACE)
        level = LKC_LOG_TRACE;
    pthread_mutex_lock(&sink_lock);
    sink_fn = fn;
    sink_user = user;
    pthread_mutex_unlock(&sink_lock);
    atomic_store(&log_level, (int)level);
}

void lkc_logf(lkc_log_level_t level, const char *module, const char *fmt, ...)
{
    if (!lkc_log_enabled(level))
        return;
    char line[8192]; /* SDP at trace level is long */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&sink_lock);
    if (sink_fn) {
        sink_fn(level, module, line, sink_user);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        localtime_r(&ts.tv_sec, &tm);
        fprintf(stderr, "%02d:%02d:%02d.%03ld lkc %-5s %s: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
                ts.tv_nsec / 1000000, level_names[level], module, line);
    }
    pthread_mutex_unlock(&sink_lock);
}
