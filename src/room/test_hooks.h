/* Hooks for lkc's own tests (linked statically); not exported from liblkc.so. */
#ifndef LKC_ROOM_TEST_HOOKS_H
#define LKC_ROOM_TEST_HOOKS_H

#include "room/room_core.h"

/* LKC__TEST_HOOK_* flags for the room's next sessions. Before connect. */
void lkc__room_set_test_hooks(lkc_room_t *room, uint32_t hooks);

#endif
