/* Hooks for lkc's own tests (linked statically); not exported from liblkc.so. */
#ifndef LKC_ROOM_TEST_HOOKS_H
#define LKC_ROOM_TEST_HOOKS_H

#include "room/room_core.h"

/* LKC__TEST_HOOK_* flags for the room's next sessions. Before connect. */
void lkc__room_set_test_hooks(lkc_room_t *room, uint32_t hooks);

/* Asks the server to act out a fault (SignalRequest.simulate; livekit-server handles
 * these in Room.onSimulateScenario). Waits for the engine (not for the server). */
enum {
    LKC__SIMULATE_NODE_FAILURE = 1,  /* the server drops us without a word, expecting a resume */
    LKC__SIMULATE_MIGRATION = 2,     /* likewise */
    LKC__SIMULATE_SERVER_LEAVE = 3,  /* the server closes us with a leave */
    LKC__SIMULATE_ICE_RESTART = 4,   /* the server restarts ICE (switch candidate protocol: UDP) */
};
int lkc__room_simulate(lkc_room_t *room, int scenario);

#endif
