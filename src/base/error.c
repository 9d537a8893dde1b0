#include "lkc/error.h"

const char *lkc_err_str(int err)
{
    switch (err) {
    case LKC_OK: return "ok";
    case LKC_ERR_INVALID_ARG: return "invalid argument";
    case LKC_ERR_NO_MEMORY: return "out of memory";
    case LKC_ERR_STATE: return "not allowed in the current state";
    case LKC_ERR_TIMEOUT: return "timed out";
    case LKC_ERR_WOULD_BLOCK: return "queue full (would block)";
    case LKC_ERR_TOO_LARGE: return "payload too large";
    case LKC_ERR_NOT_FOUND: return "not found";
    case LKC_ERR_CLOSED: return "closed";
    case LKC_ERR_IO: return "I/O error";
    case LKC_ERR_PROTOCOL: return "protocol error";
    case LKC_ERR_UNSUPPORTED: return "not supported";
    case LKC_ERR_INTERNAL: return "internal error";
    case LKC_ERR_DENIED: return "denied: no permission";
    case LKC_EOS: return "end of stream";
    default: return "unknown error";
    }
}
