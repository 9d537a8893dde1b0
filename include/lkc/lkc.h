/* lkc: a lean LiveKit client SDK in C. The umbrella header: include this one.
 *
 * Every public function says which threads may call it and who owns what it returns.
 * Strings returned by lkc are UTF-8; buffers lkc allocates for the caller are freed
 * with lkc_free() unless a dedicated *_free() function is named.
 */
#ifndef LKC_LKC_H
#define LKC_LKC_H

#include "lkc/export.h"
#include "lkc/version.h"
#include "lkc/error.h"
#include "lkc/log.h"
#include "lkc/token.h"
#include "lkc/room.h"
#include "lkc/data.h"
#include "lkc/stats.h"
#include "lkc/audio.h"
#include "lkc/apm.h"
#include "lkc/stream.h"
#include "lkc/rpc.h"
#include "lkc/agent.h"


#ifdef __cplusplus
extern "C" {
#endif

/** Frees memory that lkc allocated for the caller. NULL is ignored. Any thread. */
LKC_API void lkc_free(void *p);

/** Optional, at process exit, after every room is destroyed: releases process-wide
 *  state (the SCTP stack and its thread, libsrtp, the DTLS certificate). Does nothing
 *  (and logs a warning) while a room still has a session. lkc can be used again
 *  afterwards. Any thread that is not an engine thread. */
LKC_API void lkc_library_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif
