/* `lkc join --stats`: periodic counters of the peer connections, of what we publish
 * and of every track we hear, as events (and one summary line in the live view). */
#include <stdio.h>

#include "join.h"
#include "output.h"
#include "view.h"

static void pc_event(lkc_room_t *room, lkc_pc_target_t which, const char *name, lkc_pc_stats_t *st)
{
    if (lkc_room_get_pc_stats(room, which, st) != LKC_OK) {
        st->bytes_sent = st->bytes_received = 0;
        return;
    }
    out_begin("pc_stats");
    out_str("pc", name);
    out_int("bytes_sent", (int64_t)st->bytes_sent);
    out_int("bytes_received", (int64_t)st->bytes_received);
    out_int("packets_sent", (int64_t)st->packets_sent);
    out_int("packets_received", (int64_t)st->packets_received);
    out_str("transport", st->transport);
    out_str("local_candidate", st->local_candidate_type);
    out_str("remote_candidate", st->remote_candidate_type);
    out_str("local_address", st->local_address);
    out_str("remote_address", st->remote_address);
    out_str("ice_state", st->ice_state);
    out_str("dtls_state", st->dtls_state);
    out_end();
}

void join_emit_stats(join_session_t *s)
{
    lkc_pc_stats_t pub = {0}, sub = {0};
    pc_event(s->room, LKC_PC_PUBLISHER, "publisher", &pub);
    pc_event(s->room, LKC_PC_SUBSCRIBER, "subscriber", &sub);

    lkc_audio_source_stats_t ss;
    if (s->pub && cli_pub_stats(s->pub, &ss) == LKC_OK) {
        char sid[64];
        cli_pub_track_sid(s->pub, sid, sizeof sid);
        out_begin("source_stats");
        out_str("track_sid", sid);
        out_int("frames_captured", (int64_t)ss.frames_captured);
        out_int("frames_sent", (int64_t)ss.frames_sent);
        out_int("frames_dropped", (int64_t)ss.frames_dropped);
        out_int("would_block", (int64_t)ss.would_block);
        out_end();
    }

    unsigned long lost = 0, received = 0;
    pthread_mutex_lock(&s->lock); /* listeners stay while we hold it (only main frees them) */
    for (size_t i = 0; i < s->n_listeners; i++) {
        cli_listener_t *l = s->listeners[i];
        lkc_audio_stream_stats_t st;
        if (cli_listener_stats(l, &st) != LKC_OK)
            continue;
        received += st.packets_received;
        lost += st.packets_lost;
        out_begin("stream_stats");
        out_str("participant", cli_listener_participant(l));
        out_str("track_sid", cli_listener_track_sid(l));
        out_int("packets_received", (int64_t)st.packets_received);
        out_int("packets_lost", (int64_t)st.packets_lost);
        out_int("packets_late", (int64_t)st.packets_late);
        out_int("frames_concealed", (int64_t)st.frames_concealed);
        out_int("underruns", (int64_t)st.underruns);
        out_int("samples_dropped", (int64_t)st.samples_dropped);
        out_int("jitter_target_ms", st.jitter_target_ms);
        out_int("buffered_ms", st.buffered_ms);
        out_end();
    }
    pthread_mutex_unlock(&s->lock);

    char line[160];
    snprintf(line, sizeof line, "stats: sent %.1f kB (%s), received %.1f kB (%s), audio packets %lu, lost %lu",
             pub.bytes_sent / 1000.0, *pub.transport ? pub.transport : "-", sub.bytes_received / 1000.0,
             *sub.transport ? sub.transport : "-", received, lost);
    view_status(line);
}
