/* lkc: error values.
 *
 * Every public function that can fail returns an lkc_err_t (or a count that is
 * negative on failure). Errors are values: lkc never aborts, asserts or exits on
 * input from the network or the caller (design rule R8).
 *
 * Timeouts: every call that takes a `timeout_ms` reads it the same way: < 0 waits
 * without a bound (until the condition, or until its object is closed or destroyed:
 * then LKC_ERR_CLOSED), 0 does not wait, > 0 waits at most that many milliseconds.
 *
 * Options structs: each has a `struct_size` first, set by its *_init() function. Always
 * fill one with *_init() and then change fields; a struct whose struct_size is 0 (not
 * initialised) is refused with LKC_ERR_INVALID_ARG. Passing NULL means the defaults.
 * A program built against an older header passes a smaller struct_size; the fields it
 * does not know keep their defaults.
 */
#ifndef LKC_ERROR_H
#define LKC_ERROR_H

#include "lkc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lkc_err {
    LKC_OK = 0,
    LKC_ERR_INVALID_ARG = -1,  /**< a bad argument (NULL, out of range, malformed URL, ...) */
    LKC_ERR_NO_MEMORY = -2,    /**< an allocation failed */
    LKC_ERR_STATE = -3,        /**< not allowed in the current state (e.g. not connected) */
    LKC_ERR_TIMEOUT = -4,      /**< a bounded wait ran out */
    LKC_ERR_WOULD_BLOCK = -5,  /**< a queue is full; nothing was taken */
    LKC_ERR_TOO_LARGE = -6,    /**< a payload is over the limit; nothing was sent */
    LKC_ERR_NOT_FOUND = -7,    /**< no such track, participant, ... */
    LKC_ERR_CLOSED = -8,       /**< the object was closed or destroyed */
    LKC_ERR_IO = -9,           /**< a system call or the network failed */
    LKC_ERR_PROTOCOL = -10,    /**< the peer or server sent something malformed */
    LKC_ERR_UNSUPPORTED = -11, /**< not implemented or not available */
    LKC_ERR_INTERNAL = -12,    /**< a bug in lkc: please report it */
    LKC_ERR_DENIED = -13,      /**< the server refused: the token lacks the permission */
    LKC_EOS = -100,            /**< end of stream: not a failure; a read after the end */
} lkc_err_t;

/** A short English description of an error value. Never NULL; any thread. */
LKC_API const char *lkc_err_str(int err);

#ifdef __cplusplus
}
#endif
#endif
