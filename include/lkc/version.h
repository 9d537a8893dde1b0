/* lkc: the library's version, at compile time (the header you built against) and at
 * run time (the library you run with). A program can refuse a library older than the
 * header it was built with:  lkc_version_num() >= LKC_VERSION_NUM. */
#ifndef LKC_VERSION_H
#define LKC_VERSION_H

#include "lkc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LKC_VERSION_MAJOR 0
#define LKC_VERSION_MINOR 2
#define LKC_VERSION_PATCH 0
/** One number that grows with every release: 0xMMmmpp (0.2.0 is 0x000200). */
#define LKC_VERSION_NUM ((LKC_VERSION_MAJOR << 16) | (LKC_VERSION_MINOR << 8) | LKC_VERSION_PATCH)

/** The version of the library running, e.g. "0.2.0". Static; any thread. */
LKC_API const char *lkc_version(void);

/** The same as a number (LKC_VERSION_NUM of the library running). Any thread. */
LKC_API unsigned lkc_version_num(void);

#ifdef __cplusplus
}
#endif
#endif
