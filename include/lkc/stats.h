/* lkc: where the join time goes, and per peer connection counters. */
#ifndef LKC_STATS_H
#define LKC_STATS_H

#include <stdint.h>

#include "lkc/room.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Milestones of the last connect, in ms since lkc_room_connect(); -1 = not reached. */
typedef struct lkc_timeline {
    int64_t signal_open_ms;          /**< WebSocket upgraded */
    int64_t join_received_ms;        /**< JoinResponse parsed */
    int64_t subscriber_ice_ms;       /**< subscriber PC: ICE connected */
    int64_t subscriber_dtls_ms;      /**< subscriber PC: DTLS done, keys checked */
    int64_t subscriber_channels_ms;  /**< subscriber PC: server data channels open */
    int64_t publisher_ice_ms;        /**< publisher PC: ICE connected */
    int64_t publisher_dtls_ms;       /**< publisher PC: DTLS done */
    int64_t publisher_channels_ms;   /**< publisher PC: _reliable and _lossy open */
    int64_t connected_ms;            /**< state CONNECTED (signal + both PCs + channels) */
} lkc_timeline_t;

typedef enum lkc_pc_target {
    LKC_PC_PUBLISHER = 0,
    LKC_PC_SUBSCRIBER = 1,
} lkc_pc_target_t;

typedef struct lkc_pc_stats {
    uint64_t bytes_sent;
    uint64_t bytes_received;
    uint64_t packets_sent;
    uint64_t packets_received;
    char local_candidate_type[8];   /**< "host", "srflx", "prflx", "relay" or "" */
    char remote_candidate_type[8];
    char transport[4];              /**< "udp", "tcp" or "" while no pair is selected */
    char local_address[48];         /**< "ip:port" of the selected pair */
    char remote_address[48];
    char ice_state[16];             /**< "new", "checking", "connected", "failed", ... */
    char dtls_state[16];
} lkc_pc_stats_t;

/** Copies out the connect timeline of the current (or last) session. Any thread. */
LKC_API lkc_err_t lkc_room_get_timeline(lkc_room_t *room, lkc_timeline_t *out);

/** Copies out the counters of one peer connection. LKC_ERR_STATE when it does not
 *  exist (not connected). Any thread. */
LKC_API lkc_err_t lkc_room_get_pc_stats(lkc_room_t *room, lkc_pc_target_t which, lkc_pc_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif
