/* `lkc join`: what participants say about themselves (kind, attributes, metadata, name,
 * connection quality), an agent's state and the transcripts, as events and in the live
 * view. Room handlers: they run on the room's engine thread. */
#include <stdio.h>
#include <string.h>

#include "join.h"
#include "output.h"
#include "view.h"

static void on_attributes_changed(lkc_room_t *room, const lkc_participant_info_t *p, const char *const *changed,
                                  size_t n, void *user)
{
    out_begin("participant_attributes_changed");
    out_str("identity", p->identity);
    out_map("attributes", p->attributes, p->n_attributes);
    out_strv("changed", changed, n);
    out_end();
}

static void on_metadata_changed(lkc_room_t *room, const lkc_participant_info_t *p, const char *old, void *user)
{
    out_begin("participant_metadata_changed");
    out_str("identity", p->identity);
    out_str("metadata", p->metadata);
    out_str("old", old);
    out_end();
}

static void on_name_changed(lkc_room_t *room, const lkc_participant_info_t *p, const char *old, void *user)
{
    out_begin("participant_name_changed");
    out_str("identity", p->identity);
    out_str("name", p->name);
    out_str("old", old);
    out_end();
    if (!p->is_local)
        view_participant(p->identity, p->name, true);
}

static void on_connection_quality(lkc_room_t *room, const lkc_participant_info_t *p, lkc_connection_quality_t q,
                                  float score, void *user)
{
    out_begin("connection_quality");
    out_str("identity", p->identity);
    out_str("quality", lkc_connection_quality_str(q));
    if (score > 0)
        out_double("score", score);
    out_end();
}

static void on_agent_state(lkc_room_t *room, const lkc_participant_info_t *agent, lkc_agent_state_t state, void *user)
{
    out_begin("agent_state");
    out_str("identity", agent->identity);
    out_str("state", lkc_agent_state_str(state));
    out_end();
    view_agent_state(agent->identity, lkc_agent_state_str(state));
}

static void on_transcription(lkc_room_t *room, const lkc_transcription_t *t, void *user)
{
    out_begin("transcription");
    out_str("identity", t->identity);
    out_str("segment_id", t->segment_id);
    out_str("text", t->text);
    out_bool("final", t->final);
    out_end();
    view_transcript(t->identity, t->segment_id, t->text, t->final);
}

static void on_room_metadata_changed(lkc_room_t *room, const char *metadata, const char *old, void *user)
{
    out_begin("room_metadata_changed");
    out_str("metadata", metadata);
    out_end();
}

static void on_subscription_failed(lkc_room_t *room, const lkc_participant_info_t *p, const char *track_sid,
                                   const char *error, void *user)
{
    out_begin("track_subscription_failed");
    out_str("participant", p ? p->identity : "");
    out_str("track_sid", track_sid);
    out_str("error", error);
    out_end();
}

void join_set_participant_handlers(lkc_room_options_t *ro)
{
    ro->handlers.on_participant_attributes_changed = on_attributes_changed;
    ro->handlers.on_participant_metadata_changed = on_metadata_changed;
    ro->handlers.on_participant_name_changed = on_name_changed;
    ro->handlers.on_connection_quality_changed = on_connection_quality;
    ro->handlers.on_agent_state_changed = on_agent_state;
    ro->handlers.on_transcription = on_transcription;
    ro->handlers.on_room_metadata_changed = on_room_metadata_changed;
    ro->handlers.on_track_subscription_failed = on_subscription_failed;
}
