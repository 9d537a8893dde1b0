/* lkc: the device side of a LiveKit voice agent (livekit-agents).
 *
 * What an agent does with a device, and where lkc has it:
 * - it hears the device's microphone track (publish with source MICROPHONE, the default);
 * - its state (initializing, idle, listening, thinking, speaking) is its `lk.agent.state`
 *   attribute: lkc reports it as on_agent_state_changed (lkc/room.h, lkc_agent_state_t);
 * - transcripts of both sides come as `lk.transcription` text streams (and older
 *   Transcription packets): lkc merges them per segment into on_transcription;
 * - the user's typed input goes to topic `lk.chat` (lkc_agent_send_chat below);
 * - audio the user spoke before the agent was there goes as a pre-connect buffer (below);
 * - client-side tools are RPC methods (lkc/rpc.h).
 * These helpers use only the public API (streams, participants) and may be used from any
 * thread except where a function says otherwise.
 */
#ifndef LKC_AGENT_H
#define LKC_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "lkc/room.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LKC_AGENT_TOPIC_CHAT "lk.chat"
#define LKC_AGENT_TOPIC_TRANSCRIPTION "lk.transcription"
#define LKC_AGENT_TOPIC_PRECONNECT_AUDIO "lk.agent.pre-connect-audio-buffer"
#define LKC_AGENT_STATE_ATTRIBUTE "lk.agent.state"

/** Copies the identity of the room's agent (the first ACTIVE participant of kind AGENT)
 *  into `identity`. LKC_ERR_NOT_FOUND when there is none (yet); LKC_ERR_STATE before the
 *  join. Any thread. */
LKC_API lkc_err_t lkc_agent_find(lkc_room_t *room, char *identity, size_t len);

/** Sends `text` as the user's chat message (a text stream on lk.chat) to `agent_identity`
 *  (NULL: everyone). Waits up to `timeout_ms` for room in the data queue (see
 *  lkc_room_publish_data). Any thread. */
LKC_API lkc_err_t lkc_agent_send_chat(lkc_room_t *room, const char *text, const char *agent_identity, int timeout_ms);

/** Audio captured before the agent joined (so the user can talk at once): keep pushing the
 *  microphone's PCM into it, and once an agent is there, send it. It keeps the last
 *  `max_ms` (agents use about the last few seconds). */
typedef struct lkc_preconnect_buffer lkc_preconnect_buffer_t;

/** `sample_rate` 8000..48000, `channels` 1 or 2, `max_ms` 100..60000. Any thread. */
LKC_API lkc_err_t lkc_preconnect_buffer_create(int sample_rate, int channels, int max_ms,
                                               lkc_preconnect_buffer_t **out);
/** Appends interleaved int16 PCM (the oldest audio goes when it is full). Any thread. */
LKC_API lkc_err_t lkc_preconnect_buffer_push(lkc_preconnect_buffer_t *b, const int16_t *pcm,
                                             size_t samples_per_channel);
/** Milliseconds of audio held. Any thread. */
LKC_API int lkc_preconnect_buffer_ms(lkc_preconnect_buffer_t *b);
/** Sends what it holds to the agent as livekit-agents reads it: a byte stream on
 *  lk.agent.pre-connect-audio-buffer named "preconnect-buffer", raw s16le PCM with the
 *  attributes trackId (our microphone track's sid, published with preconnect_buffer set),
 *  sampleRate and channels; then empties it. Waits up to `timeout_ms` for room in the data
 *  queue. LKC_ERR_STATE when empty or not connected. Any thread. */
LKC_API lkc_err_t lkc_preconnect_buffer_send(lkc_preconnect_buffer_t *b, lkc_room_t *room, const char *agent_identity,
                                             const char *track_sid, int timeout_ms);
/** NULL is ignored. Not while another thread pushes or sends. */
LKC_API void lkc_preconnect_buffer_destroy(lkc_preconnect_buffer_t *b);

#ifdef __cplusplus
}
#endif
#endif
