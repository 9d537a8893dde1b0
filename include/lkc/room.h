/* lkc: a room connection.
 *
 * Threads: each connected room runs one engine thread of its own. Every handler in
 * lkc_room_handlers_t is called on that thread, one at a time, never after
 * lkc_room_destroy() has returned. Pointers passed to a handler are borrowed and
 * valid until it returns; copy what you keep. A handler may call any lkc function,
 * including lkc_room_destroy() on its own room (the destroy is then deferred until
 * the handler returns; it never deadlocks).
 *
 * Lifetime: lkc_room_create() starts nothing. lkc_room_connect() starts the engine
 * thread; the session ends on lkc_room_close(), on a server leave or on a failure,
 * and then the thread ends by itself. lkc_room_destroy() ends a session that is
 * still running (bounded, ~2 s even on a dead network) and frees the room.
 *
 * Blocking calls and destroy (R9): a call that waits on a room (wait_connected,
 * publish_audio, publish_data with a timeout, set_subscribed, ...) returns LKC_ERR_CLOSED
 * promptly when another thread destroys the room, and the room's memory lives until
 * the last such caller has left. A call that *starts* after lkc_room_destroy() has
 * returned uses a freed handle: that is a bug in the caller that lkc cannot detect.
 */
#ifndef LKC_ROOM_H
#define LKC_ROOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/error.h"
#include "lkc/export.h"
#include "lkc/token.h"
#include "lkc/version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lkc_room lkc_room_t;

typedef enum lkc_state {
    LKC_STATE_DISCONNECTED = 0,
    LKC_STATE_CONNECTING = 1,
    LKC_STATE_CONNECTED = 2,
    LKC_STATE_RECONNECTING = 3,       /**< the connection was lost; lkc is getting it back */
} lkc_state_t;

/** Why a session ended (or LKC_FAILURE_NONE when it ended because the app closed it). */
typedef enum lkc_failure {
    LKC_FAILURE_NONE = 0,
    LKC_FAILURE_UNREACHABLE,          /**< no route, refused port, DNS failure */
    LKC_FAILURE_UNAUTHORIZED,         /**< HTTP 401: bad signature, expired, unknown key, no grant */
    LKC_FAILURE_BAD_TOKEN,            /**< HTTP 400: the token or join request is malformed */
    LKC_FAILURE_REJECTED,             /**< another HTTP 4xx (e.g. 404 room does not exist) */
    LKC_FAILURE_SERVER_ERROR,         /**< HTTP 5xx */
    LKC_FAILURE_TLS,                  /**< TLS handshake or certificate check failed */
    LKC_FAILURE_TIMEOUT,              /**< the server did not answer the join in time */
    LKC_FAILURE_DUPLICATE_IDENTITY,   /**< another participant joined with our identity */
    LKC_FAILURE_PARTICIPANT_REMOVED,  /**< removed through the server API */
    LKC_FAILURE_ROOM_DELETED,         /**< the room was deleted */
    LKC_FAILURE_SERVER_SHUTDOWN,      /**< the server is shutting down */
    LKC_FAILURE_SERVER_LEAVE,         /**< another leave from the server (see the message) */
    LKC_FAILURE_PING_TIMEOUT,         /**< the signal connection went silent */
    LKC_FAILURE_SIGNAL_CLOSED,        /**< the signal connection closed unexpectedly */
    LKC_FAILURE_MEDIA,                /**< a peer connection failed (ICE) */
    LKC_FAILURE_DTLS,                 /**< DTLS failed: handshake, or fingerprint mismatch */
    LKC_FAILURE_PROTOCOL,             /**< the server sent something lkc cannot use */
    LKC_FAILURE_MAX_RETRIES,          /**< reconnect attempts exhausted (the message says the last cause) */
    LKC_FAILURE_INTERNAL,             /**< a bug in lkc */
} lkc_failure_t;

/** How a lost connection is being (or was) recovered. */
typedef enum lkc_reconnect_kind {
    LKC_RECONNECT_RESUME = 0, /**< the same session: participant, tracks and data sequence kept */
    LKC_RECONNECT_FULL = 1,   /**< a new join with the same identity: tracks published again,
                                   streams carried over to the same remote tracks */
} lkc_reconnect_kind_t;

typedef enum lkc_participant_state {
    LKC_PARTICIPANT_JOINING = 0,
    LKC_PARTICIPANT_JOINED = 1,
    LKC_PARTICIPANT_ACTIVE = 2,
    LKC_PARTICIPANT_DISCONNECTED = 3,
} lkc_participant_state_t;

/** LiveKit's participant kinds (values as on the wire). */
typedef enum lkc_participant_kind {
    LKC_KIND_STANDARD = 0,
    LKC_KIND_INGRESS = 1,
    LKC_KIND_EGRESS = 2,
    LKC_KIND_SIP = 3,
    LKC_KIND_AGENT = 4,
    LKC_KIND_CONNECTOR = 7,
    LKC_KIND_BRIDGE = 8,
} lkc_participant_kind_t;

typedef enum lkc_track_kind {
    LKC_TRACK_AUDIO = 0,
    LKC_TRACK_VIDEO = 1,
    LKC_TRACK_DATA = 2,
} lkc_track_kind_t;

typedef enum lkc_track_source {
    LKC_SOURCE_UNKNOWN = 0,
    LKC_SOURCE_CAMERA = 1,
    LKC_SOURCE_MICROPHONE = 2,
    LKC_SOURCE_SCREEN_SHARE = 3,
    LKC_SOURCE_SCREEN_SHARE_AUDIO = 4,
} lkc_track_source_t;

typedef struct lkc_room_info {
    const char *name;
    const char *sid;
    const char *metadata;
    uint32_t num_participants;
    uint32_t num_publishers;
} lkc_room_info_t;

typedef struct lkc_track_info {
    const char *sid;
    const char *name;
    const char *mime_type;  /**< e.g. "audio/opus"; may be "" until known */
    lkc_track_kind_t kind;
    lkc_track_source_t source;
    bool muted;
    bool stereo;
    bool subscribed;        /**< remote tracks: lkc receives its media */
} lkc_track_info_t;

/** What a participant's token lets it do (LiveKit ParticipantPermission). */
typedef struct lkc_permissions {
    bool can_subscribe;
    bool can_publish;
    bool can_publish_data;
    bool can_update_metadata;   /**< may set its own name, metadata and attributes */
    bool hidden;
} lkc_permissions_t;

/** Client capabilities a participant advertises (bits of lkc_participant_info_t.capabilities). */
#define LKC_CAP_PACKET_TRAILER (1u << 1)
#define LKC_CAP_COMPRESSION_DEFLATE_RAW (1u << 2)

typedef struct lkc_participant_info {
    const char *sid;
    const char *identity;
    const char *name;
    const char *metadata;
    const lkc_kv_t *attributes;
    size_t n_attributes;
    const lkc_track_info_t *tracks;
    size_t n_tracks;
    lkc_participant_kind_t kind;
    lkc_participant_state_t state;
    bool is_local;
    lkc_permissions_t permissions;
    /** Which client-to-client features its SDK speaks: 0 none beyond the basics,
     *  1 RPC over data streams, 2 data streams v2 (inline content, compression). */
    int32_t client_protocol;
    uint32_t capabilities;      /**< LKC_CAP_* bits */
} lkc_participant_info_t;

/** A copied-out list of participants; free with lkc_participant_list_free(). */
typedef struct lkc_participant_list {
    size_t n;
    lkc_participant_info_t *items;
} lkc_participant_list_t;

typedef enum lkc_data_kind {
    LKC_DATA_RELIABLE = 0,  /**< ordered, retransmitted */
    LKC_DATA_LOSSY = 1,     /**< unordered, never retransmitted */
} lkc_data_kind_t;

/** A data packet received from another participant (or from the server API). */
typedef struct lkc_data_packet {
    const char *sender_identity;  /**< "" when the server sent it */
    const char *sender_sid;
    const char *topic;            /**< "" when none */
    const uint8_t *payload;
    size_t len;
    lkc_data_kind_t kind;
} lkc_data_packet_t;

/** How well a participant's connection carries its media, as the server rates it. */
typedef enum lkc_connection_quality {
    LKC_QUALITY_POOR = 0,
    LKC_QUALITY_GOOD = 1,
    LKC_QUALITY_EXCELLENT = 2,
    LKC_QUALITY_LOST = 3,
} lkc_connection_quality_t;

/** The state a LiveKit agent publishes in its `lk.agent.state` attribute. */
typedef enum lkc_agent_state {
    LKC_AGENT_STATE_NONE = 0,       /**< no (or an unknown) lk.agent.state attribute */
    LKC_AGENT_STATE_INITIALIZING = 1,
    LKC_AGENT_STATE_IDLE = 2,
    LKC_AGENT_STATE_LISTENING = 3,
    LKC_AGENT_STATE_THINKING = 4,
    LKC_AGENT_STATE_SPEAKING = 5,
} lkc_agent_state_t;

/** A transcription segment (speech to text of a participant's track): from the
 *  `lk.transcription` text streams agents send, or the older Transcription packets.
 *  Segments with the same id are merged: `text` is the whole segment so far. */
typedef struct lkc_transcription {
    const char *identity;        /**< whose speech it is (the track's owner) */
    const char *sender_identity; /**< who sent it (usually the agent) */
    const char *segment_id;
    const char *track_sid;       /**< the transcribed track ("" if not said) */
    const char *text;
    bool final;                  /**< the segment will not change any more */
} lkc_transcription_t;

typedef struct lkc_speaker {
    const char *sid;       /**< participant sid */
    float level;           /**< 0..1 */
    bool active;
} lkc_speaker_t;

/** Handlers: all optional (NULL = not interested). All run on the room's engine thread.
 *  The table ends in reserved slots: later versions add handlers there, so a program
 *  built against this header keeps working with a newer library. */
typedef struct lkc_room_handlers {
    /** Any state change; `reason` is set when the new state is DISCONNECTED. */
    void (*on_state_changed)(lkc_room_t *room, lkc_state_t state, lkc_failure_t reason, void *user);
    /** Joined: the room and ourselves as the server sees us. */
    void (*on_connected)(lkc_room_t *room, const lkc_room_info_t *info,
                         const lkc_participant_info_t *local, void *user);
    /** The session ended. The last handler of a session. */
    void (*on_disconnected)(lkc_room_t *room, lkc_failure_t reason, void *user);
    void (*on_room_updated)(lkc_room_t *room, const lkc_room_info_t *info, void *user);
    /** Someone joined (also called once per participant already there at join). */
    void (*on_participant_connected)(lkc_room_t *room, const lkc_participant_info_t *p, void *user);
    /** Name, metadata, attributes or state of a participant changed. */
    void (*on_participant_updated)(lkc_room_t *room, const lkc_participant_info_t *p, void *user);
    void (*on_participant_disconnected)(lkc_room_t *room, const lkc_participant_info_t *p, void *user);
    void (*on_data_received)(lkc_room_t *room, const lkc_data_packet_t *packet, void *user);
    void (*on_track_published)(lkc_room_t *room, const lkc_participant_info_t *p,
                               const lkc_track_info_t *track, void *user);
    void (*on_track_unpublished)(lkc_room_t *room, const lkc_participant_info_t *p,
                                 const lkc_track_info_t *track, void *user);
    void (*on_track_subscribed)(lkc_room_t *room, const lkc_participant_info_t *p,
                                const lkc_track_info_t *track, void *user);
    void (*on_track_unsubscribed)(lkc_room_t *room, const lkc_participant_info_t *p,
                                  const lkc_track_info_t *track, void *user);
    void (*on_track_muted)(lkc_room_t *room, const lkc_participant_info_t *p,
                           const lkc_track_info_t *track, void *user);
    void (*on_track_unmuted)(lkc_room_t *room, const lkc_participant_info_t *p,
                             const lkc_track_info_t *track, void *user);
    void (*on_speakers_changed)(lkc_room_t *room, const lkc_speaker_t *speakers, size_t n, void *user);
    /** The connection was lost (`cause`) and lkc is recovering it (state RECONNECTING).
     *  Called again with LKC_RECONNECT_FULL when a resume did not work. Media and data
     *  sent meanwhile wait (reliable data is kept, see lkc_room_publish_data). */
    void (*on_reconnecting)(lkc_room_t *room, lkc_reconnect_kind_t kind, lkc_failure_t cause, void *user);
    /** Recovered: signal, both connections and the data channels are up again, `ms` after
     *  the loss was noticed (state CONNECTED). */
    void (*on_reconnected)(lkc_room_t *room, lkc_reconnect_kind_t kind, int64_t ms, void *user);
    /** A participant's (or our own: p->is_local) attributes changed: `changed` lists the
     *  keys set, changed or deleted; p->attributes is the whole new map. */
    void (*on_participant_attributes_changed)(lkc_room_t *room, const lkc_participant_info_t *p,
                                              const char *const *changed, size_t n_changed, void *user);
    /** Metadata of a participant (or ours) changed; `old` is the previous value. */
    void (*on_participant_metadata_changed)(lkc_room_t *room, const lkc_participant_info_t *p, const char *old,
                                            void *user);
    /** Name of a participant (or ours) changed; `old` is the previous value. */
    void (*on_participant_name_changed)(lkc_room_t *room, const lkc_participant_info_t *p, const char *old,
                                        void *user);
    /** What a participant's (or our) token allows changed (p->permissions; `old` before). */
    void (*on_participant_permissions_changed)(lkc_room_t *room, const lkc_participant_info_t *p,
                                               const lkc_permissions_t *old, void *user);
    /** The server's rating of a participant's connection (ours too), every update it sends
     *  (about every 5 s while it changes or not). `score` 0..5 (0 when not given). */
    void (*on_connection_quality_changed)(lkc_room_t *room, const lkc_participant_info_t *p,
                                          lkc_connection_quality_t quality, float score, void *user);
    /** The room's metadata changed (also reported by on_room_updated). */
    void (*on_room_metadata_changed)(lkc_room_t *room, const char *metadata, const char *old, void *user);
    /** The server could not subscribe us to a track (`p` may be NULL if unknown). */
    void (*on_track_subscription_failed)(lkc_room_t *room, const lkc_participant_info_t *p, const char *track_sid,
                                         const char *error, void *user);
    /** A transcription segment arrived or grew (lkc_transcription_t). */
    void (*on_transcription)(lkc_room_t *room, const lkc_transcription_t *t, void *user);
    /** An agent's lk.agent.state attribute changed (also once when it connects with one). */
    void (*on_agent_state_changed)(lkc_room_t *room, const lkc_participant_info_t *agent, lkc_agent_state_t state,
                                   void *user);
    void (*reserved[21])(void); /**< zero; room for handlers of later versions */
} lkc_room_handlers_t;

/** Which ICE candidates lkc gathers and uses. */
typedef enum lkc_ice_policy {
    LKC_ICE_ALL = 0,        /**< UDP, ICE-TCP and TURN relays */
    LKC_ICE_UDP_ONLY = 1,   /**< no ICE-TCP */
    LKC_ICE_TCP_ONLY = 2,   /**< ICE-TCP host candidates only (locked-down networks, tests) */
    LKC_ICE_RELAY_ONLY = 3, /**< TURN relays only */
} lkc_ice_policy_t;

/** Room options. Fill with lkc_room_options_init() first (see lkc/error.h: options). */
typedef struct lkc_room_options {
    uint32_t struct_size;       /**< set by lkc_room_options_init(); 0 is refused */
    void *user;                 /**< passed back to every handler */
    bool auto_subscribe;        /**< default true */
    lkc_ice_policy_t ice_policy;/**< default LKC_ICE_ALL */
    const char *ca_file;        /**< wss: trust this PEM CA file instead of the system CAs */
    int connect_timeout_ms;     /**< signal connect + join; default 10000 (0 = default) */
    lkc_room_handlers_t handlers; /**< new options are added after it */
    /** Reconnection: attempts before the session ends with LKC_FAILURE_MAX_RETRIES
     *  (default 10; 0 = never reconnect: a lost connection ends the session). A resume is
     *  tried first, a full reconnect after a resume fails. Attempt n waits a random time
     *  up to min(reconnect_max_delay_ms, reconnect_delay_ms * 2^(n-2)) (the first goes at
     *  once). A refused token (401/403) or a server leave that says disconnect stops at once. */
    int reconnect_attempts;
    int reconnect_delay_ms;     /**< default 300 */
    int reconnect_max_delay_ms; /**< default 7000 */
} lkc_room_options_t;

/** Fills `o` with the defaults (and its struct_size). Any thread. */
LKC_API void lkc_room_options_init(lkc_room_options_t *o);

/** Creates a room handle (copies `opts`; NULL = defaults; an options struct that was
 *  not filled by lkc_room_options_init() is LKC_ERR_INVALID_ARG). Starts no thread,
 *  opens nothing. Any thread. Free with lkc_room_destroy(). */
LKC_API lkc_err_t lkc_room_create(const lkc_room_options_t *opts, lkc_room_t **out);

/** Starts joining: `url` is ws://, wss://, http:// or https:// (the LiveKit server);
 *  `token` a JWT. Returns at once; progress arrives through the handlers. A malformed
 *  URL or empty token gives LKC_ERR_INVALID_ARG before any thread starts; a room that
 *  is not DISCONNECTED gives LKC_ERR_STATE. Any thread except this room's own handlers. */
LKC_API lkc_err_t lkc_room_connect(lkc_room_t *room, const char *url, const char *token);

/** Waits until the room is CONNECTED (LKC_OK), the session ended or the room is
 *  destroyed by another thread (LKC_ERR_CLOSED; see lkc_room_failure_reason()) or
 *  `timeout_ms` passed (LKC_ERR_TIMEOUT; < 0 waits without a bound, 0 only checks).
 *  Not from a handler of this room (LKC_ERR_STATE). Any other thread. */
LKC_API lkc_err_t lkc_room_wait_connected(lkc_room_t *room, int timeout_ms);

/** Leaves the room (LeaveRequest to the server) and ends the session. Returns within
 *  about 2 s even when the network is dead; the room can connect again afterwards.
 *  From a handler of this room it only starts the leave and returns. Any thread. */
LKC_API lkc_err_t lkc_room_close(lkc_room_t *room);

/** Closes (as lkc_room_close) and frees the room. After it returns no handler of this
 *  room runs and no thread or socket of it remains. From a handler of this room the
 *  destroy completes right after the handler returns. NULL is ignored. Any thread. */
LKC_API void lkc_room_destroy(lkc_room_t *room);

/** The current state. Any thread; never blocks. */
LKC_API lkc_state_t lkc_room_state(const lkc_room_t *room);

/** Why the last session ended (LKC_FAILURE_NONE while connected or after a clean
 *  close). Any thread. */
LKC_API lkc_failure_t lkc_room_failure_reason(const lkc_room_t *room);

/** Copies the server's or the system's text about the last failure (may be "") into
 *  `buf`. Any thread. */
LKC_API lkc_err_t lkc_room_failure_message(const lkc_room_t *room, char *buf, size_t len);

/** Copies out the room's info. Free with lkc_room_info_free(). LKC_ERR_STATE before
 *  the join. Any thread. */
LKC_API lkc_err_t lkc_room_get_info(lkc_room_t *room, lkc_room_info_t **out);
/** Frees a copy from lkc_room_get_info(). NULL is ignored. Any thread. */
LKC_API void lkc_room_info_free(lkc_room_info_t *info);

/** Copies out ourselves as the server sees us. Free with lkc_participant_info_free().
 *  LKC_ERR_STATE before the join. Any thread. */
LKC_API lkc_err_t lkc_room_get_local_participant(lkc_room_t *room, lkc_participant_info_t **out);
/** Frees a copy from lkc_room_get_local_participant(). NULL is ignored. Any thread. */
LKC_API void lkc_participant_info_free(lkc_participant_info_t *p);

/** Copies out the remote participants (with their tracks). Free with
 *  lkc_participant_list_free(). LKC_ERR_STATE before the join. Any thread. */
LKC_API lkc_err_t lkc_room_get_participants(lkc_room_t *room, lkc_participant_list_t **out);
/** Frees a list from lkc_room_get_participants(). NULL is ignored. Any thread. */
LKC_API void lkc_participant_list_free(lkc_participant_list_t *list);

/** Reliable packets are numbered 1, 2, ... in the order lkc_room_publish_data() took them,
 *  from each lkc_room_connect(). After a session ended, copies the number of the first
 *  one lkc cannot say was delivered to the server and how many follow it (0 when every
 *  packet was; they were all taken, in order, so the app can send them again after a new
 *  connect). While connected or reconnecting: LKC_ERR_STATE. Any thread. */
LKC_API lkc_err_t lkc_room_undelivered_data(const lkc_room_t *room, uint64_t *first, uint64_t *count);

/** Names of the enums, for logs and messages: static strings (never freed, never
 *  NULL; "?" for a value lkc does not know). Any thread. */
LKC_API const char *lkc_state_str(lkc_state_t state);
LKC_API const char *lkc_failure_str(lkc_failure_t reason);
LKC_API const char *lkc_track_source_str(lkc_track_source_t source);
LKC_API const char *lkc_track_kind_str(lkc_track_kind_t kind);
LKC_API const char *lkc_reconnect_kind_str(lkc_reconnect_kind_t kind);
LKC_API const char *lkc_participant_kind_str(lkc_participant_kind_t kind);
LKC_API const char *lkc_connection_quality_str(lkc_connection_quality_t quality);
/** "initializing", "idle", "listening", "thinking", "speaking" (the attribute's values), "" for NONE. */
LKC_API const char *lkc_agent_state_str(lkc_agent_state_t state);
/** The state an lk.agent.state attribute value names (NONE for NULL or an unknown one). */
LKC_API lkc_agent_state_t lkc_agent_state_parse(const char *value);

/* --- our own participant ------------------------------------------------------------- */

/** Sets our metadata / name, or merges `attributes` into ours (an empty value deletes
 *  that key), and waits until the server has applied it (its RequestResponse, at most
 *  10 s: then LKC_ERR_TIMEOUT). LKC_ERR_DENIED when the token lacks the
 *  canUpdateOwnMetadata grant; LKC_ERR_TOO_LARGE over the server's limits (metadata 512
 *  KiB, name 256 B, attributes 64 KiB in all); LKC_ERR_STATE when not connected (or from
 *  a handler of this room: it must wait for the server); LKC_ERR_CLOSED when the room is
 *  closed or destroyed meanwhile. Others see the change in their participant events; we
 *  see it in ours (p->is_local). Any thread except this room's handlers. */
LKC_API lkc_err_t lkc_room_set_metadata(lkc_room_t *room, const char *metadata);
LKC_API lkc_err_t lkc_room_set_name(lkc_room_t *room, const char *name);
LKC_API lkc_err_t lkc_room_set_attributes(lkc_room_t *room, const lkc_kv_t *attributes, size_t n);

#ifdef __cplusplus
}
#endif
#endif
