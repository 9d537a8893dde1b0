/* The agent helpers that talk to the room: finding the agent, chat on lk.chat. */
#include <string.h>

#include "lkc/agent.h"
#include "lkc/stream.h"

lkc_err_t lkc_agent_find(lkc_room_t *room, char *identity, size_t len)
{
    if (!room || !identity || len == 0)
        return LKC_ERR_INVALID_ARG;
    lkc_participant_list_t *list = NULL;
    lkc_err_t rc = lkc_room_get_participants(room, &list);
    if (rc != LKC_OK)
        return rc;
    rc = LKC_ERR_NOT_FOUND;
    for (size_t i = 0; i < list->n && rc != LKC_OK; i++) {
        const lkc_participant_info_t *p = &list->items[i];
        if (p->kind == LKC_KIND_AGENT && p->state == LKC_PARTICIPANT_ACTIVE) {
            if (strlen(p->identity) >= len)
                rc = LKC_ERR_TOO_LARGE;
            else {
                memcpy(identity, p->identity, strlen(p->identity) + 1);
                rc = LKC_OK;
            }
        }
    }
    lkc_participant_list_free(list);
    return rc;
}

lkc_err_t lkc_agent_send_chat(lkc_room_t *room, const char *text, const char *agent_identity, int timeout_ms)
{
    if (!room || !text)
        return LKC_ERR_INVALID_ARG;
    lkc_stream_options_t o;
    lkc_stream_options_init(&o);
    o.topic = LKC_AGENT_TOPIC_CHAT;
    o.destination_identities = agent_identity ? &agent_identity : NULL;
    o.n_destinations = agent_identity ? 1 : 0;
    o.timeout_ms = timeout_ms;
    return lkc_stream_send_text(room, text, strlen(text), &o, NULL);
}
