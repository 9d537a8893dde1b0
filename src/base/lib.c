/* Library-wide entry points that belong to no layer in particular. */
#include <stdlib.h>

#include "lkc/lkc.h"

const char *lkc_version(void)
{
    return LKC_VERSION_STRING;
}

void lkc_free(void *p)
{
    free(p);
}
