/* The public subscription call lkc_room_set_subscribed: a call to the session, which
 * checks the track against the model before it asks the server. */
#include "room/audio_internal.h"
#include "room/engine.h"

#define CALL_WAIT_MS 5000

static void subscription_free(gpointer p)
{
    lkc__subscription_cmd_t *c = p;
    g_free(c->track_sid);
    g_free(c);
}

lkc_err_t lkc_room_set_subscribed(lkc_room_t *room, const char *track_sid, bool subscribed)
{
    if (!room || !track_sid || !*track_sid)
        return LKC_ERR_INVALID_ARG;
    if (lkc_room_state(room) != LKC_STATE_CONNECTED)
        return LKC_ERR_STATE;
    if (!lkc__room_enter(room))
        return LKC_ERR_CLOSED;
    lkc__subscription_cmd_t *c = g_new0(lkc__subscription_cmd_t, 1);
    c->track_sid = g_strdup(track_sid);
    c->subscribe = subscribed;
    int rc = lkc__engine_call(room, LKC__CMD_SET_SUBSCRIBED, c, subscription_free, NULL, NULL, CALL_WAIT_MS);
    lkc__room_leave(room);
    return rc;
}
