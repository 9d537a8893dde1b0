/* The typed commands that the public API (any thread) sends to the session on the
 * engine thread, and what each one carries. The engine queues them (engine.h) without
 * looking inside; the session (session.c) dispatches them the way it dispatches signal
 * messages. A command's data is released by the free function given with it, also when
 * the session ends before it ran. */
#ifndef LKC_ROOM_COMMANDS_H
#define LKC_ROOM_COMMANDS_H

#include <stdbool.h>

#include "lkc/lkc.h"

typedef enum lkc__cmd {
    LKC__CMD_CLOSE = 1,        /* engine: end the session (data NULL) */
    LKC__CMD_PUBLISH_AUDIO,    /* lkc_track_t* (a reference): AddTrackRequest */
    LKC__CMD_UNPUBLISH_AUDIO,  /* lkc_track_t*: the m-line goes inactive */
    LKC__CMD_MUTE,             /* lkc_track_t*: MuteTrackRequest with its muted flag */
    LKC__CMD_SET_SUBSCRIBED,   /* lkc__subscription_cmd_t* */
    LKC__CMD_SEND_DATA,        /* lkc__outgoing_t* (data_packet.h) */
    LKC__CMD_ADD_STREAM,       /* call: lkc__stream_cmd_t*: register a stream on its track */
    LKC__CMD_PC_STATS,         /* call: lkc__stats_cmd_t* */
    LKC__CMD_SIMULATE,         /* call: int* (LKC__SIMULATE_*): the server's SimulateScenario (tests) */
    LKC__CMD_RPC_SYNC,         /* call: rpc.h's own (lkc__rpc_call_command) */
    LKC__CMD_PARTICIPANT,      /* call: participant.h's own (lkc__participant_call_command) */
} lkc__cmd_t;

typedef struct lkc__subscription_cmd {
    char *track_sid;
    bool subscribe;
} lkc__subscription_cmd_t;

typedef struct lkc__stream_cmd {
    lkc_audio_stream_t *stream; /* a reference, taken over by the engine on success */
} lkc__stream_cmd_t;

typedef struct lkc__stats_cmd {
    lkc_pc_target_t which;
    lkc_pc_stats_t stats;
} lkc__stats_cmd_t;

#endif
