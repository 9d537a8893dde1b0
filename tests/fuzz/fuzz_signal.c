/* libFuzzer target for the session's dispatch of signal messages (src/room/session.c)
 * with everything behind it: the model, the transport's offer/answer/trickle handling,
 * local and remote tracks, leave handling. The input is a sequence of SignalResponse
 * messages, each prefixed by its length (2 bytes, big-endian), fed in order to one
 * fresh session on an engine without a thread (nothing connects: the signal is never
 * opened). "Never crash, never leak, never hang"; and after any input the room's
 * getters still copy out a consistent model.
 *
 * Built by CMake: fuzz_signal with -DLKC_FUZZ=ON (clang), fuzz_replay_signal in every
 * build. Seeds in corpus/signal: a join, an update, a server offer captured from
 * livekit-server, trickles, a leave, speakers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "livekit_rtc.pb-c.h"
#include "lkc/lkc.h"
#include "room/engine.h"
#include "room/session.h"

#define MAX_MESSAGES 64

static void quiet(lkc_log_level_t level, const char *module, const char *line, void *user)
{
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
    }
    lkc_engine_t *e = lkc__engine_new_detached(room, &lkc__session_client, "ws://127.0.0.1:9/", "token");
    lkc_session_t *s = lkc__engine_session(e);
    if (!s)
        abort();
    size_t at = 0;
    for (int i = 0; i < MAX_MESSAGES && at + 2 <= size; i++) {
        size_t n = (size_t)data[at] << 8 | data[at + 1];
        at += 2;
        if (n > size - at)
            n = size - at;
        Livekit__SignalResponse *r = livekit__signal_response__unpack(NULL, n, data + at);
        at += n;
        if (!r)
            continue;
        lkc__session_on_signal(s, r);
        livekit__signal_response__free_unpacked(r, NULL);
        for (int k = 0; k < 10 && g_main_context_iteration(NULL, FALSE); k++)
            ;
        if (lkc__engine_ending(e, NULL))
            break; /* the session would end here */
    }
    lkc_participant_list_t *l = NULL;
    if (lkc_room_get_participants(room, &l) == LKC_OK) {
        for (size_t i = 0; i < l->n; i++)
            if (!l->items[i].sid || !l->items[i].identity)
                abort();
        lkc_participant_list_free(l);
    }
    lkc__engine_free_detached(e);
    return 0;
}
