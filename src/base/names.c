/* Names of the public enums, for logs and user messages. */
#include <string.h>

#include "lkc/lkc.h"

const char *lkc_state_str(lkc_state_t state)
{
    switch (state) {
    case LKC_STATE_DISCONNECTED: return "disconnected";
    case LKC_STATE_CONNECTING: return "connecting";
    case LKC_STATE_CONNECTED: return "connected";
    case LKC_STATE_RECONNECTING: return "reconnecting";
    }
    return "?";
}

const char *lkc_failure_str(lkc_failure_t reason)
{
    switch (reason) {
    case LKC_FAILURE_NONE: return "none";
    case LKC_FAILURE_UNREACHABLE: return "unreachable";
    case LKC_FAILURE_UNAUTHORIZED: return "unauthorized";
    case LKC_FAILURE_BAD_TOKEN: return "bad token";
    case LKC_FAILURE_REJECTED: return "rejected";
    case LKC_FAILURE_SERVER_ERROR: return "server error";
    case LKC_FAILURE_TLS: return "TLS failure";
    case LKC_FAILURE_TIMEOUT: return "timeout";
    case LKC_FAILURE_DUPLICATE_IDENTITY: return "duplicate identity";
    case LKC_FAILURE_PARTICIPANT_REMOVED: return "participant removed";
    case LKC_FAILURE_ROOM_DELETED: return "room deleted";
    case LKC_FAILURE_SERVER_SHUTDOWN: return "server shutdown";
    case LKC_FAILURE_SERVER_LEAVE: return "server leave";
    case LKC_FAILURE_PING_TIMEOUT: return "ping timeout";
    case LKC_FAILURE_SIGNAL_CLOSED: return "signal closed";
    case LKC_FAILURE_MEDIA: return "media failure";
    case LKC_FAILURE_DTLS: return "DTLS failure";
    case LKC_FAILURE_PROTOCOL: return "protocol error";
    case LKC_FAILURE_MAX_RETRIES: return "max retries";
    case LKC_FAILURE_INTERNAL: return "internal error";
    }
    return "?";
}

const char *lkc_track_source_str(lkc_track_source_t source)
{
    switch (source) {
    case LKC_SOURCE_UNKNOWN: return "unknown";
    case LKC_SOURCE_CAMERA: return "camera";
    case LKC_SOURCE_MICROPHONE: return "microphone";
    case LKC_SOURCE_SCREEN_SHARE: return "screen_share";
    case LKC_SOURCE_SCREEN_SHARE_AUDIO: return "screen_share_audio";
    }
    return "?";
}

const char *lkc_track_kind_str(lkc_track_kind_t kind)
{
    switch (kind) {
    case LKC_TRACK_AUDIO: return "audio";
    case LKC_TRACK_VIDEO: return "video";
    case LKC_TRACK_DATA: return "data";
    }
    return "?";
}

const char *lkc_reconnect_kind_str(lkc_reconnect_kind_t kind)
{
    switch (kind) {
    case LKC_RECONNECT_RESUME: return "resume";
    case LKC_RECONNECT_FULL: return "full";
    }
    return "?";
}

const char *lkc_participant_kind_str(lkc_participant_kind_t kind)
{
    switch (kind) {
    case LKC_KIND_STANDARD: return "standard";
    case LKC_KIND_INGRESS: return "ingress";
    case LKC_KIND_EGRESS: return "egress";
    case LKC_KIND_SIP: return "sip";
    case LKC_KIND_AGENT: return "agent";
    case LKC_KIND_CONNECTOR: return "connector";
    case LKC_KIND_BRIDGE: return "bridge";
    }
    return "?";
}

const char *lkc_connection_quality_str(lkc_connection_quality_t quality)
{
    switch (quality) {
    case LKC_QUALITY_POOR: return "poor";
    case LKC_QUALITY_GOOD: return "good";
    case LKC_QUALITY_EXCELLENT: return "excellent";
    case LKC_QUALITY_LOST: return "lost";
    }
    return "?";
}

static const char *const agent_states[] = {"", "initializing", "idle", "listening", "thinking", "speaking"};

const char *lkc_agent_state_str(lkc_agent_state_t state)
{
    return (unsigned)state < sizeof agent_states / sizeof agent_states[0] ? agent_states[state] : "?";
}

lkc_agent_state_t lkc_agent_state_parse(const char *value)
{
    for (unsigned i = 1; value && i < sizeof agent_states / sizeof agent_states[0]; i++)
        if (strcmp(value, agent_states[i]) == 0)
            return (lkc_agent_state_t)i;
    return LKC_AGENT_STATE_NONE;
}
