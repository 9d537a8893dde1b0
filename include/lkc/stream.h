/* lkc: data streams (LiveKit text and byte streams) to and from other participants.
 *
 * A stream is a header, chunks of up to 15000 bytes and a trailer, sent as reliable data
 * packets (so they share lkc_room_publish_data()'s ordering, replay after a reconnect and
 * backpressure). Peers that advertise data streams v2 get short streams as one packet
 * (inline) and, when they accept it, deflate-compressed content; lkc reads both forms.
 *
 * Receiving: register handlers per topic (before or after connecting; they stay across
 * reconnects until unregistered). Streams on a topic nobody handles are dropped cheaply.
 * Every stream that opened ends exactly once (R7): with its trailer, when its sender
 * leaves, when the room closes or is destroyed, or when no chunk came for a while.
 */
#ifndef LKC_STREAM_H
#define LKC_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/data.h"
#include "lkc/room.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The chunk size of outgoing streams (and the largest inline stream), as the official SDKs. */
#define LKC_STREAM_CHUNK_SIZE 15000

/** What a stream's header says (and, at its close, its trailer's attributes merged in). */
typedef struct lkc_stream_info {
    const char *id;
    const char *topic;
    const char *mime_type;
    const char *sender_identity;   /**< "" when the server sent it */
    const char *name;              /**< byte streams: the file name ("" if none); text: "" */
    bool is_text;
    int64_t timestamp_ms;
    bool has_total_length;
    uint64_t total_length;         /**< bytes, when has_total_length */
    const lkc_kv_t *attributes;
    size_t n_attributes;
    /* text streams (the header's TextHeader); "" / 0 / false for byte streams */
    const char *reply_to_stream_id; /**< the stream this one answers ("" if none) */
    int operation;                  /**< 0 create, 1 update, 2 delete, 3 reaction */
    int32_t version;
    bool generated;                 /**< the text was generated (e.g. by an LLM) */
} lkc_stream_info_t;

typedef struct lkc_stream_reader lkc_stream_reader_t;

/** Handlers of incoming streams on one topic. All run on the room's engine thread; the
 *  reader and info are valid until on_close returns. */
typedef struct lkc_stream_handlers {
    /** A stream opened (its header arrived). */
    void (*on_open)(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info, void *user);
    /** Content, in order (text: UTF-8, decompressed). NULL: the content is kept for
     *  the reader to pull instead. */
    void (*on_chunk)(lkc_room_t *room, lkc_stream_reader_t *reader, const uint8_t *data, size_t len, void *user);
    /** The stream ended: `status` LKC_OK with its trailer (`reason` ""), or an error with
     *  the reason (the sender left, aborted, the room closed, a timeout, a cap). `info`
     *  carries the trailer's attributes merged in. Called exactly once per opened stream,
     *  except once lkc_room_destroy() has begun: then no handler runs at all (pull
     *  readers still end, with LKC_ERR_CLOSED). */
    void (*on_close)(lkc_room_t *room, lkc_stream_reader_t *reader, const lkc_stream_info_t *info,
                     lkc_err_t status, const char *reason, void *user);
} lkc_stream_handlers_t;

/** The length of a stream id with its NUL (a UUID: 36 characters + 1). */
#define LKC_STREAM_ID_LEN 37

/* --- sending ------------------------------------------------------------------------ */

/** Options of the sending calls. Fill with lkc_stream_options_init() first. Every pointer
 *  is borrowed for the call only (lkc copies what it keeps). */
typedef struct lkc_stream_options {
    uint32_t struct_size;                        /**< set by lkc_stream_options_init(); 0 is refused */
    const char *topic;                           /**< NULL or "" for none */
    const char *const *destination_identities;   /**< NULL = everyone else in the room */
    size_t n_destinations;
    const lkc_kv_t *attributes;                  /**< the header's attributes */
    size_t n_attributes;
    const char *mime_type;                       /**< NULL: text/plain or application/octet-stream */
    const char *name;                            /**< byte streams: the file name; NULL: "unknown"
                                                      (lkc_stream_send_file: the file's basename) */
    /** Writers: the announced total size in bytes (the one-shot calls set it themselves). */
    bool has_total_length;
    uint64_t total_length;
    /** Backpressure, read as lkc_data_options_t.timeout_ms: how long a call may wait for
     *  room in lkc's data queue (LKC_DATA_MAX_QUEUED). Default -1 (without a bound: until
     *  there is room, the session ends or the room is destroyed); 0 = do not wait; > 0 at
     *  most. When the time runs out the call returns LKC_ERR_WOULD_BLOCK having sent
     *  nothing of what it was given (see each call). From a handler it never waits. */
    int timeout_ms;
    /** Default true: deflate-compress content for recipients that all accept it (data
     *  streams v2), when that makes it smaller. */
    bool compress;
    /** Text streams: the id of the stream this one answers (NULL: none). */
    const char *reply_to_stream_id;
} lkc_stream_options_t;

/** Fills `o` with the defaults (and its struct_size). Any thread. */
LKC_API void lkc_stream_options_init(lkc_stream_options_t *o);

/** Sends `len` bytes of UTF-8 text (not valid UTF-8: LKC_ERR_INVALID_ARG, nothing sent)
 *  as one whole text stream (total_length set). When every
 *  recipient (the destinations, or everyone in the room) speaks data streams v2 and it
 *  fits, it goes as one packet (deflated when all accept it and it shrinks); else header,
 *  15000-byte chunks cut between characters, trailer. `id_out` (NULL or
 *  LKC_STREAM_ID_LEN bytes) receives the stream id.
 *  All or nothing for streams up to LKC_DATA_MAX_QUEUED bytes: on LKC_ERR_WOULD_BLOCK
 *  nothing was sent. A longer stream is queued in parts: only the first part waits at
 *  most `timeout_ms`; the later parts wait for room without a bound (the stream is under
 *  way), and if the session ends meanwhile the stream is cut (LKC_ERR_STATE or
 *  LKC_ERR_CLOSED) and its recipients see it end abnormally.
 *  Errors: LKC_ERR_INVALID_ARG, LKC_ERR_STATE (not connected), LKC_ERR_WOULD_BLOCK,
 *  LKC_ERR_TOO_LARGE (a header over the channel's message size), LKC_ERR_CLOSED (the room
 *  is destroyed meanwhile). `opts` NULL = defaults. Any thread. */
LKC_API lkc_err_t lkc_stream_send_text(lkc_room_t *room, const char *text, size_t len,
                                       const lkc_stream_options_t *opts, char id_out[LKC_STREAM_ID_LEN]);
/** The same for `len` bytes as a byte stream (`opts->name`, default "unknown"). */
LKC_API lkc_err_t lkc_stream_send_bytes(lkc_room_t *room, const void *data, size_t len,
                                        const lkc_stream_options_t *opts, char id_out[LKC_STREAM_ID_LEN]);
/** Sends a file as a byte stream; name = the file's basename and the MIME type guessed
 *  from it unless opts->name / opts->mime_type are set. A file up to LKC_DATA_MAX_QUEUED
 *  bytes is read whole and sent as lkc_stream_send_bytes() sends. A larger one is read
 *  piece by piece (never all in memory) and queued in parts (see lkc_stream_send_text());
 *  it is deflated as it goes when every recipient accepts that and its first part
 *  shrinks by a tenth or more. LKC_ERR_IO when the file cannot be opened or read (a read
 *  error mid-file aborts the stream with a reason). Any thread. */
LKC_API lkc_err_t lkc_stream_send_file(lkc_room_t *room, const char *path, const lkc_stream_options_t *opts,
                                       char id_out[LKC_STREAM_ID_LEN]);

/** An incremental outgoing stream (header sent at open, chunks at each write, trailer at
 *  close). Not compressed, never inline (as the official SDKs' writers). */
typedef struct lkc_stream_writer lkc_stream_writer_t;

/** Opens a text (or byte) stream: sends its header (waiting for room per
 *  opts->timeout_ms) and returns the writer in *out. Errors as lkc_stream_send_text().
 *  The writer belongs to the caller until lkc_stream_close() or lkc_stream_abort(), which
 *  free it; it may outlive its room (calls then return LKC_ERR_CLOSED). One thread at a
 *  time per writer (calls from several threads are serialized). */
LKC_API lkc_err_t lkc_stream_open_text(lkc_room_t *room, const lkc_stream_options_t *opts,
                                       lkc_stream_writer_t **out);
LKC_API lkc_err_t lkc_stream_open_bytes(lkc_room_t *room, const lkc_stream_options_t *opts,
                                        lkc_stream_writer_t **out);
/** Sends `len` bytes (text: UTF-8, else LKC_ERR_INVALID_ARG and nothing taken; an
 *  incomplete character at the end is held back and sent with the next write or the
 *  close, so no chunk splits a character) as chunks of up to 15000 bytes. All or nothing: the whole write is queued, or (LKC_ERR_WOULD_BLOCK
 *  after the writer's timeout) none of it, and the app may write it again.
 *  LKC_ERR_CLOSED when the room was destroyed or the connection was re-established since
 *  the open (a full reconnect: the recipients' stream ended; the log says so),
 *  LKC_ERR_STATE when the room is not connected. Any thread. */
LKC_API lkc_err_t lkc_stream_write(lkc_stream_writer_t *w, const void *data, size_t len);
/** Sends the trailer with these attributes (merged into the stream's info by the
 *  recipients) and frees `w` (also when it fails). Any thread. */
LKC_API lkc_err_t lkc_stream_close(lkc_stream_writer_t *w, const lkc_kv_t *attrs, size_t n_attrs);
/** Ends the stream abnormally: the trailer carries `reason` (NULL or "": "aborted"), the
 *  recipients' streams end with an error and that reason. Frees `w`. Any thread. */
LKC_API lkc_err_t lkc_stream_abort(lkc_stream_writer_t *w, const char *reason);
/** The writer's stream id (valid while `w` is). Any thread. */
LKC_API const char *lkc_stream_writer_id(const lkc_stream_writer_t *w);

/* --- receiving ---------------------------------------------------------------------- */

/** Registers handlers of incoming text (or byte) streams on `topic` ("" for streams
 *  without a topic). `h` is copied; `user` is passed to each handler. Before or after
 *  connecting; kept across reconnects until unregistered. LKC_ERR_STATE when the topic
 *  already has handlers of that kind, LKC_ERR_INVALID_ARG for NULL room/topic/h or a
 *  handler table without on_close. Streams that are already open keep the handlers they
 *  opened with. Any thread (also from a handler). */
LKC_API lkc_err_t lkc_room_register_text_stream_handler(lkc_room_t *room, const char *topic,
                                                        const lkc_stream_handlers_t *h, void *user);
LKC_API lkc_err_t lkc_room_register_byte_stream_handler(lkc_room_t *room, const char *topic,
                                                        const lkc_stream_handlers_t *h, void *user);
/** Removes them: new streams on the topic are dropped (LKC_ERR_NOT_FOUND when none was
 *  registered). Open streams still end with on_close. Any thread. */
LKC_API lkc_err_t lkc_room_unregister_text_stream_handler(lkc_room_t *room, const char *topic);
LKC_API lkc_err_t lkc_room_unregister_byte_stream_handler(lkc_room_t *room, const char *topic);

/** Limits on incoming streams; exceeding one ends that stream with LKC_ERR_TOO_LARGE and
 *  a reason (never more). Fill with lkc_stream_limits_init(). */
typedef struct lkc_stream_limits {
    uint32_t struct_size;
    uint64_t max_buffered_per_stream;  /**< pull readers: unread content of one stream; default 64 MiB */
    uint64_t max_buffered_total;       /**< pull readers: all streams of the room; default 256 MiB */
    uint64_t max_decompressed;         /**< one compressed stream's content; default 1 GiB */
    int idle_timeout_ms;               /**< a stream without a chunk this long ends (LKC_ERR_TIMEOUT); default 30000 */
    unsigned max_open_streams;         /**< more headers are dropped (logged); default 256 */
} lkc_stream_limits_t;

/** Fills `l` with the defaults (and its struct_size). Any thread. */
LKC_API void lkc_stream_limits_init(lkc_stream_limits_t *l);
/** Sets the room's limits (streams that open afterwards use them). Any thread. */
LKC_API lkc_err_t lkc_room_set_stream_limits(lkc_room_t *room, const lkc_stream_limits_t *l);

/** Push mode (handlers with on_chunk): the content goes to on_chunk and nothing is kept.
 *  Pull mode (on_chunk NULL): the content is kept in the reader for lkc_stream_read();
 *  call lkc_stream_reader_ref() in on_open to keep the reader past on_close (without it
 *  nothing is buffered and only on_open and on_close are seen). */

/** Takes a reference (the reader stays valid until the matching unref). Any thread. */
LKC_API lkc_stream_reader_t *lkc_stream_reader_ref(lkc_stream_reader_t *r);
/** Drops a reference; the last one frees the reader and its unread content. NULL is
 *  ignored. Any thread, also after the room is destroyed. */
LKC_API void lkc_stream_reader_unref(lkc_stream_reader_t *r);
/** The stream's info (the trailer's attributes are merged in once it closed: read it
 *  after lkc_stream_read() returned LKC_EOS, or in on_close). Valid while the reader is.
 *  Any thread. */
LKC_API const lkc_stream_info_t *lkc_stream_reader_info(const lkc_stream_reader_t *r);
/** Content bytes received so far (decompressed). Any thread. */
LKC_API uint64_t lkc_stream_reader_received(const lkc_stream_reader_t *r);
/** Pull mode: copies up to `len` unread bytes into `buf` and returns how many (> 0),
 *  waiting up to `timeout_ms` for some (LKC_ERR_TIMEOUT). At the end: LKC_EOS after a
 *  clean end once everything was read, or the stream's error (LKC_ERR_CLOSED: the sender
 *  aborted or left, the room closed or was destroyed, a full reconnect; LKC_ERR_TIMEOUT:
 *  idle; LKC_ERR_TOO_LARGE: a limit; LKC_ERR_PROTOCOL: bad packets) after what came
 *  before it was read. lkc_stream_reader_error() says why. LKC_ERR_STATE for a push-mode
 *  reader. A thread blocked here returns LKC_ERR_CLOSED when the room is destroyed. On
 *  the engine thread (in a handler) it never waits. Any thread. */
LKC_API int lkc_stream_read(lkc_stream_reader_t *r, void *buf, size_t len, int timeout_ms);
/** Pull mode: waits (up to `timeout_ms`) for the stream's end and returns its whole
 *  unread content in *out (freed with lkc_free(); NUL-terminated, the NUL
 *  not counted in *len): LKC_OK after a clean end, else the stream's error (and *out
 *  NULL). Any thread. */
LKC_API lkc_err_t lkc_stream_read_all(lkc_stream_reader_t *r, uint8_t **out, size_t *len, int timeout_ms);
/** Why the stream ended ("" while open or after a clean end). Valid while the reader is. */
LKC_API const char *lkc_stream_reader_error(const lkc_stream_reader_t *r);

#ifdef __cplusplus
}
#endif
#endif
