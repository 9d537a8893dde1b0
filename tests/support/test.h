/* Minimal test harness: CHECK macros that say what happened, and RUN() to run a
 * test function with its name printed. A failed CHECK ends the test program with
 * status 1 (tests may exit; the library never does). */
#ifndef LKC_TEST_H
#define LKC_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lkc_test_fail(void) __attribute__((noreturn));
/* Called just before a failing test exits (e.g. to print the server log tail). */
void lkc_test_on_fail(void (*fn)(void));

#define CHECK(cond, ...)                                                             \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "FAIL %s:%d: CHECK(%s): ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                     \
            lkc_test_fail();                                                         \
        }                                                                            \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                           \
    do {                                                                             \
        long long _a = (long long)(a), _b = (long long)(b);                          \
        CHECK(_a == _b, "%s = %lld, expected %s = %lld", #a, _a, #b, _b);            \
    } while (0)

#define CHECK_STR(a, b)                                                              \
    do {                                                                             \
        const char *_a = (a), *_b = (b);                                             \
        CHECK(_a && _b && strcmp(_a, _b) == 0, "%s = \"%s\", expected \"%s\"", #a,  \
              _a ? _a : "(null)", _b ? _b : "(null)");                              \
    } while (0)

#define CHECK_OK(expr)                                                               \
    do {                                                                             \
        int _e = (int)(expr);                                                        \
        CHECK(_e == 0, "%s returned %d (%s)", #expr, _e, lkc_test_err_str(_e));      \
    } while (0)

#define RUN(fn)                                                                      \
    do {                                                                             \
        fprintf(stderr, "-- %s\n", #fn);                                             \
        fn();                                                                        \
        fprintf(stderr, "ok %s\n", #fn);                                             \
    } while (0)

const char *lkc_test_err_str(int err);

#endif
