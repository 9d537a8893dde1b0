/* Our own name, metadata and attributes: UpdateParticipantMetadata requests and the
 * server's RequestResponse to each. The public calls (any thread) wait for the answer;
 * the engine half keeps the requests in flight for one session. */
#ifndef LKC_ROOM_PARTICIPANT_UPDATE_H
#define LKC_ROOM_PARTICIPANT_UPDATE_H

#include "livekit_rtc.pb-c.h"
#include "room/room_core.h"

typedef struct lkc__participant_update lkc__participant_update_t;

typedef struct lkc__participant_update_ports {
    int (*send_signal)(void *user, const Livekit__SignalRequest *req);
    void *user;
} lkc__participant_update_ports_t;

lkc__participant_update_t *lkc__participant_update_new(lkc_room_t *room, const lkc__participant_update_ports_t *ports);
/* The session ends: the requests in flight complete with LKC_ERR_CLOSED. NULL ignored. */
void lkc__participant_update_free(lkc__participant_update_t *pu);
/* LKC__CMD_PARTICIPANT (a call): sends the request; its answer completes it later. */
int lkc__participant_update_call(lkc__participant_update_t *pu, void *cmd);
/* A RequestResponse: true when it answered one of ours (then it is handled). */
bool lkc__participant_update_on_response(lkc__participant_update_t *pu, const Livekit__RequestResponse *r);

#endif
