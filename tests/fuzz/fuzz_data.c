/* libFuzzer target for received data packets with everything behind them: data.c's
 * de-duplication and cheap drop of unwanted stream chunks (data_peek), data streams
 * (headers, chunks, trailers, inline and deflate-compressed content, attributes, the
 * app's push and pull readers), RPC (requests, acks, responses, v2 over streams) and
 * transcriptions. The input is a sequence of records [kind: 1 byte][length: 2 bytes,
 * big-endian][bytes]: kind 0 = a SignalResponse (e.g. a join, so senders are known),
 * 1 = a reliable data packet, 2 = a lossy one. One fresh session on an engine without a
 * thread per input (nothing connects). "Never crash, never leak, never hang."
 *
 * Seeds in corpus/data: a join with a participant "py" plus streams (one chunk, many,
 * inline, compressed), RPC requests and responses, a transcription packet. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "livekit_rtc.pb-c.h"
#include "lkc/lkc.h"
#include "room/engine.h"
#include "room/session.h"
#include "room/session_internal.h"

#define MAX_RECORDS 128

static void quiet(lkc_log_level_t level, const char *module, const char *line, void *user)
{
}

/* Push readers on topic "t", a pull reader on "" that reads what it can at once. */
static void on_open(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, void *user)
{
}
static void on_chunk(lkc_room_t *room, lkc_stream_reader_t *r, const uint8_t *data, size_t len, void *user)
{
    if (len && !data)
        abort();
}
static void on_close(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, lkc_err_t status,
                     const char *reason, void *user)
{
    if (!info || !reason)
        abort();
}
static void on_open_pull(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, void *user)
{
    uint8_t buf[64];
    (void)lkc_stream_read(r, buf, sizeof buf, 0);
}

static void on_method(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    if (req->payload_len & 1)
        lkc_rpc_respond(room, inv, req->payload);
    else
        lkc_rpc_respond_error(room, inv, 2000, req->payload, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lkc_room_t *room;
    if (!room) {
        lkc_set_log(LKC_LOG_ERROR, quiet, NULL);
        lkc_room_options_t o;
        lkc_room_options_init(&o);
        if (lkc_room_create(&o, &room) != LKC_OK)
            abort();
        static const lkc_stream_handlers_t push = {on_open, on_chunk, on_close};
        static const lkc_stream_handlers_t pull = {on_open_pull, NULL, on_close};
        lkc_room_register_text_stream_handler(room, "t", &push, NULL);
        lkc_room_register_byte_stream_handler(room, "t", &push, NULL);
        lkc_room_register_text_stream_handler(room, "", &pull, NULL);
        lkc_room_register_byte_stream_handler(room, "", &pull, NULL);
        lkc_rpc_register(room, "m", on_method, NULL);
    }
    lkc_engine_t *e = lkc__engine_new_detached(room, &lkc__session_client, "ws://127.0.0.1:9/", "token");
    lkc_session_t *s = lkc__engine_session(e);
    if (!s)
        abort();
    size_t at = 0;
    for (int i = 0; i < MAX_RECORDS && at + 3 <= size; i++) {
        uint8_t kind = data[at];
        size_t n = (size_t)data[at + 1] << 8 | data[at + 2];
        at += 3;
        if (n > size - at)
            n = size - at;
        if (kind % 3 == 0) {
            Livekit__SignalResponse *r = livekit__signal_response__unpack(NULL, n, data + at);
            if (r) {
                lkc__session_on_signal(s, r);
                livekit__signal_response__free_unpacked(r, NULL);
            }
        } else {
            lkc__data_receive(s->data, data + at, n, kind % 3 == 1 ? LKC_DATA_RELIABLE : LKC_DATA_LOSSY);
        }
        at += n;
        for (int k = 0; k < 10 && g_main_context_iteration(NULL, FALSE); k++)
            ;
        if (lkc__engine_ending(e, NULL))
            break;
    }
    lkc__engine_free_detached(e);
    return 0;
}
