#include "test.h"

#include "lkc/error.h"

static void (*on_fail)(void);

void lkc_test_on_fail(void (*fn)(void))
{
    on_fail = fn;
}

void lkc_test_fail(void)
{
    if (on_fail) {
        void (*fn)(void) = on_fail;
        on_fail = NULL;
        fn();
    }
    fflush(stderr);
    exit(1);
}

const char *lkc_test_err_str(int err)
{
    return lkc_err_str(err);
}
