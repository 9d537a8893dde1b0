/* room/session: the server's LeaveRequest.reason as the session's lkc_failure_t
 * (lkc__session_failure_from_leave). Every DisconnectReason of the protocol is listed
 * here, and the list is checked against the generated enum descriptor, so a reason
 * added to the .proto fails this test until someone decides what it means for lkc. */
#include "lkc/lkc.h"
#include "livekit_models.pb-c.h"
#include "livekit_rtc.pb-c.h"
#include "room/session.h"
#include "test.h"

typedef struct {
    Livekit__DisconnectReason reason;
    const char *name;
    lkc_failure_t want;
} mapping_t;

static const mapping_t mappings[] = {
    {LIVEKIT__DISCONNECT_REASON__UNKNOWN_REASON, "UNKNOWN_REASON", LKC_FAILURE_SERVER_LEAVE},
    /* the server confirms a leave we asked for: a clean end */
    {LIVEKIT__DISCONNECT_REASON__CLIENT_INITIATED, "CLIENT_INITIATED", LKC_FAILURE_NONE},
    {LIVEKIT__DISCONNECT_REASON__DUPLICATE_IDENTITY, "DUPLICATE_IDENTITY", LKC_FAILURE_DUPLICATE_IDENTITY},
    {LIVEKIT__DISCONNECT_REASON__SERVER_SHUTDOWN, "SERVER_SHUTDOWN", LKC_FAILURE_SERVER_SHUTDOWN},
    {LIVEKIT__DISCONNECT_REASON__PARTICIPANT_REMOVED, "PARTICIPANT_REMOVED", LKC_FAILURE_PARTICIPANT_REMOVED},
    {LIVEKIT__DISCONNECT_REASON__ROOM_DELETED, "ROOM_DELETED", LKC_FAILURE_ROOM_DELETED},
    {LIVEKIT__DISCONNECT_REASON__STATE_MISMATCH, "STATE_MISMATCH", LKC_FAILURE_SERVER_LEAVE},
    {LIVEKIT__DISCONNECT_REASON__JOIN_FAILURE, "JOIN_FAILURE", LKC_FAILURE_SERVER_LEAVE},
    {LIVEKIT__DISCONNECT_REASON__MIGRATION, "MIGRATION", LKC_FAILURE_SERVER_LEAVE},
    {LIVEKIT__DISCONNECT_REASON__SIGNAL_CLOSE, "SIGNAL_CLOSE", LKC_FAILURE_SERVER_LEAVE},
    /* closed by the room's owner: for the application the same as deleted */
    {LIVEKIT__DISCONNECT_REASON__ROOM_CLOSED, "ROOM_CLOSED", LKC_FAILURE_ROOM_DELETED},
    {LIVEKIT__DISCONNECT_REASON__USER_UNAVAILABLE, "USER_UNAVAILABLE", LKC_FAILURE_SERVER_LEAVE},
    {LIVEKIT__DISCONNECT_REASON__USER_REJECTED, "USER_REJECTED", LKC_FAILURE_SERVER_LEAVE},
    {LIVEKIT__DISCONNECT_REASON__SIP_TRUNK_FAILURE, "SIP_TRUNK_FAILURE", LKC_FAILURE_SERVER_LEAVE},
    {LIVEKIT__DISCONNECT_REASON__CONNECTION_TIMEOUT, "CONNECTION_TIMEOUT", LKC_FAILURE_SERVER_LEAVE},
    {LIVEKIT__DISCONNECT_REASON__MEDIA_FAILURE, "MEDIA_FAILURE", LKC_FAILURE_SERVER_LEAVE},
    {LIVEKIT__DISCONNECT_REASON__AGENT_ERROR, "AGENT_ERROR", LKC_FAILURE_SERVER_LEAVE},
};
#define N_MAPPINGS (sizeof mappings / sizeof mappings[0])

static lkc_failure_t map(int reason, Livekit__LeaveRequest__Action action)
{
    Livekit__LeaveRequest l = LIVEKIT__LEAVE_REQUEST__INIT;
    l.reason = (Livekit__DisconnectReason)reason;
    l.action = action;
    return lkc__session_failure_from_leave(&l);
}

static void every_reason_mapped(void)
{
    for (size_t i = 0; i < N_MAPPINGS; i++) {
        lkc_failure_t got = map(mappings[i].reason, LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT);
        CHECK(got == mappings[i].want, "reason %s (%d) -> %s, expected %s", mappings[i].name,
              (int)mappings[i].reason, lkc_failure_str(got), lkc_failure_str(mappings[i].want));
    }
}

/* The table above names every value of the generated enum, and by the right name. */
static void table_covers_the_protocol(void)
{
    const ProtobufCEnumDescriptor *e = &livekit__disconnect_reason__descriptor;
    CHECK_EQ_INT(e->n_values, N_MAPPINGS);
    for (unsigned v = 0; v < e->n_values; v++) {
        const ProtobufCEnumValue *ev = &e->values[v];
        const mapping_t *found = NULL;
        for (size_t i = 0; i < N_MAPPINGS && !found; i++)
            if ((int)mappings[i].reason == ev->value)
                found = &mappings[i];
        CHECK(found != NULL, "DisconnectReason %s (%d) has no expected failure in this test", ev->name, ev->value);
        CHECK_STR(found->name, ev->name);
    }
}

/* The action (resume / reconnect / disconnect) does not change why the session ended:
 * lkc does not reconnect, so every leave ends the session for the same reason. */
static void action_does_not_matter(void)
{
    static const Livekit__LeaveRequest__Action actions[] = {
        LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT,
        LIVEKIT__LEAVE_REQUEST__ACTION__RESUME,
        LIVEKIT__LEAVE_REQUEST__ACTION__RECONNECT,
    };
    for (size_t a = 0; a < sizeof actions / sizeof actions[0]; a++)
        for (size_t i = 0; i < N_MAPPINGS; i++)
            CHECK(map(mappings[i].reason, actions[a]) == mappings[i].want, "reason %s with action %d",
                  mappings[i].name, (int)actions[a]);
}

/* A reason from a newer server than the .proto lkc was built with. */
static void unknown_values(void)
{
    CHECK_EQ_INT(map(17, LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT), LKC_FAILURE_SERVER_LEAVE);
    CHECK_EQ_INT(map(999, LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT), LKC_FAILURE_SERVER_LEAVE);
    CHECK_EQ_INT(map(-1, LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT), LKC_FAILURE_SERVER_LEAVE);
}

/* A decoded LeaveRequest with no reason field at all (proto3 default 0). */
static void decoded_without_reason(void)
{
    Livekit__LeaveRequest l = LIVEKIT__LEAVE_REQUEST__INIT;
    l.action = LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT;
    uint8_t buf[64];
    size_t n = livekit__leave_request__pack(&l, buf);
    Livekit__LeaveRequest *d = livekit__leave_request__unpack(NULL, n, buf);
    CHECK(d != NULL, "LeaveRequest did not decode");
    CHECK_EQ_INT(lkc__session_failure_from_leave(d), LKC_FAILURE_SERVER_LEAVE);
    livekit__leave_request__free_unpacked(d, NULL);

    l.reason = LIVEKIT__DISCONNECT_REASON__DUPLICATE_IDENTITY;
    n = livekit__leave_request__pack(&l, buf);
    d = livekit__leave_request__unpack(NULL, n, buf);
    CHECK(d != NULL, "LeaveRequest did not decode");
    CHECK_EQ_INT(lkc__session_failure_from_leave(d), LKC_FAILURE_DUPLICATE_IDENTITY);
    livekit__leave_request__free_unpacked(d, NULL);
}

int main(void)
{
    RUN(every_reason_mapped);
    RUN(table_covers_the_protocol);
    RUN(action_does_not_matter);
    RUN(unknown_values);
    RUN(decoded_without_reason);
    return 0;
}
