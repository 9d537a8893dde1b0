/* lkc: symbol visibility. Only functions marked LKC_API are exported from liblkc.so. */
#ifndef LKC_EXPORT_H
#define LKC_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define LKC_API __attribute__((visibility("default")))
#else
#define LKC_API
#endif

#endif
