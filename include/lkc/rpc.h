/* lkc: remote procedure calls between participants (LiveKit RPC, v1 packets and v2 over
 * data streams). */
#ifndef LKC_RPC_H
#define LKC_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/room.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
