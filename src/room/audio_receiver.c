#include "room/audio_receiver.h"

#include <glib.h>
#include <string.h>

#include "base/log.h"
#include "lkc/error.h"
#include "media/jitter.h"
#include "media/opus_codec.h"
#include "rtc/rtp.h"

#define MOD "room.audio"
#define MAX_CATCH_UP_US 200000
#define ACTIVE_WINDOW_US 60000 /* an empty buffer this soon after a packet is an underrun */

struct lkc_receiver {
    char *track_sid;
    char *mid;
    uint32_t ssrc;
    int channels;
    int level_ext;           /* RFC 6464 extension id, 0 when not negotiated */
    lkc_jitter_t *jb;
    lkc_opus_decoder_t *dec;
    lkc_rtcp_rx_stats_t rx;
    bool rx_started;
    bool playing;            /* a first packet arrived: the playout clock runs */
    bool delivered;          /* audio was handed out: silence fills DTX pauses from now on */
    int64_t next_due_us;
    int64_t last_arrival_us;
    uint64_t underruns;
    uint64_t concealed;
    int16_t pcm[LKC_OPUS_MAX_FRAME_SAMPLES * 2];
};

lkc_receiver_t *lkc_receiver_new(const char *track_sid, const char *mid, uint32_t ssrc, bool stereo,
                                 int level_ext)
{
    lkc_receiver_t *r = g_new0(lkc_receiver_t, 1);
    r->level_ext = level_ext;
    r->track_sid = g_strdup(track_sid);
    r->mid = g_strdup(mid);
    r->ssrc = ssrc;
    r->channels = stereo ? 2 : 1;
    lkc_jitter_config_t cfg;
    lkc_jitter_config_default(&cfg);
    /* a little more headroom than the buffer's own defaults: an engine thread that a busy
     * machine holds up for a few tens of ms should not turn into lost frames */
    cfg.min_delay_ms = 30;
    cfg.initial_delay_ms = 50;
    r->jb = lkc_jitter_new(&cfg);
    if (!r->jb || lkc_opus_decoder_create(&r->dec, r->channels) != LKC_OK) {
        lkc_receiver_free(r);
        return NULL;
    }
    lkc_rtcp_rx_stats_init(&r->rx, ssrc, LKC_OPUS_RATE);
    return r;
}

void lkc_receiver_free(lkc_receiver_t *r)
{
    if (!r)
        return;
    lkc_jitter_free(r->jb);
    lkc_opus_decoder_free(r->dec);
    g_free(r->track_sid);
    g_free(r->mid);
    g_free(r);
}

const char *lkc_receiver_track_sid(const lkc_receiver_t *r) { return r->track_sid; }
const char *lkc_receiver_mid(const lkc_receiver_t *r) { return r->mid; }
uint32_t lkc_receiver_ssrc(const lkc_receiver_t *r) { return r->ssrc; }

void lkc_receiver_push(lkc_receiver_t *r, const uint8_t *pkt, size_t len, int64_t now_us)
{
    lkc_rtp_packet_t p;
    if (lkc_rtp_parse(pkt, len, &p) != LKC_OK || p.payload_len == 0)
        return;
    lkc_rtcp_rx_stats_update(&r->rx, p.seq, p.timestamp, lkc_rtcp_us_to_clock(now_us, LKC_OPUS_RATE));
    r->rx_started = true;
    int level = -1;
    for (uint8_t i = 0; r->level_ext > 0 && i < p.ext_count; i++) {
        bool voice;
        uint8_t dbov;
        if (p.ext[i].id == r->level_ext && lkc_rtp_audio_level_parse(p.ext[i].data, p.ext[i].len, &voice, &dbov) == LKC_OK)
            level = dbov;
    }
    if (lkc_jitter_push(r->jb, p.seq, p.timestamp, now_us, p.payload, p.payload_len, p.marker, level) != LKC_OK)
        return;
    r->last_arrival_us = now_us;
    if (!r->playing) {
        r->playing = true;
        r->next_due_us = now_us;
    }
}

/* Decodes (or conceals) one tick of `samples`; returns samples per channel made. */
static int play_one(lkc_receiver_t *r, int64_t now_us, size_t *samples_out)
{
    lkc_jitter_frame_t f;
    int res = lkc_jitter_pop(r->jb, now_us, &f);
    size_t dur = f.duration ? f.duration : LKC_OPUS_FRAME_SAMPLES;
    if (dur > LKC_OPUS_MAX_FRAME_SAMPLES)
        dur = LKC_OPUS_MAX_FRAME_SAMPLES;
    *samples_out = dur;
    int n = 0;
    switch (res) {
    case LKC_JITTER_FRAME:
        n = lkc_opus_decode(r->dec, f.payload, f.len, r->pcm, LKC_OPUS_MAX_FRAME_SAMPLES);
        if (n < 0) { /* a corrupt packet: conceal it */
            n = lkc_opus_decode_plc(r->dec, r->pcm, dur);
            r->concealed++;
        }
        break;
    case LKC_JITTER_LOST:
        n = f.fec_payload ? lkc_opus_decode_fec(r->dec, f.fec_payload, f.fec_len, r->pcm, dur)
                          : lkc_opus_decode_plc(r->dec, r->pcm, dur);
        if (n < 0)
            n = lkc_opus_decode_plc(r->dec, r->pcm, dur);
        r->concealed++;
        break;
    case LKC_JITTER_INSERT:
        n = lkc_opus_decode_plc(r->dec, r->pcm, dur);
        r->concealed++;
        break;
    case LKC_JITTER_EMPTY:
        if (now_us - r->last_arrival_us < ACTIVE_WINDOW_US)
            r->underruns++; /* the sender is live but nothing is here */
        __attribute__((fallthrough)); /* silence keeps the reader's clock going */
    case LKC_JITTER_SILENCE:
        if (!r->delivered)
            return 0;
        memset(r->pcm, 0, dur * (size_t)r->channels * sizeof(int16_t));
        n = (int)dur;
        break;
    default: /* NOT_READY: buffering */
        return 0;
    }
    return n;
}

void lkc_receiver_tick(lkc_receiver_t *r, int64_t now_us, lkc_receiver_deliver_fn deliver, void *user)
{
    if (!r->playing)
        return;
    if (now_us - r->next_due_us > MAX_CATCH_UP_US)
        r->next_due_us = now_us; /* the engine was held up: don't burst */
    while (r->next_due_us <= now_us) {
        size_t dur = LKC_OPUS_FRAME_SAMPLES;
        int n = play_one(r, r->next_due_us, &dur);
        r->next_due_us += (int64_t)dur * 1000000 / LKC_OPUS_RATE;
        if (n > 0) {
            r->delivered = true;
            deliver(user, r->pcm, (size_t)n, r->channels);
        }
    }
}

int64_t lkc_receiver_next_due(const lkc_receiver_t *r)
{
    return r->playing ? r->next_due_us : INT64_MAX;
}

void lkc_receiver_on_sr(lkc_receiver_t *r, uint64_t ntp, int64_t now_us)
{
    lkc_rtcp_rx_stats_on_sr(&r->rx, ntp, now_us);
}

bool lkc_receiver_report(lkc_receiver_t *r, int64_t now_us, lkc_rtcp_report_block_t *out)
{
    if (!r->rx_started)
        return false;
    lkc_rtcp_rx_stats_report(&r->rx, now_us, out);
    return true;
}

void lkc_receiver_stats(const lkc_receiver_t *r, lkc_audio_stream_stats_t *out)
{
    lkc_jitter_stats_t js;
    lkc_jitter_get_stats(r->jb, &js);
    out->packets_received = js.received;
    out->packets_lost = js.lost;
    out->packets_late = js.late;
    out->frames_concealed = r->concealed;
    out->underruns = r->underruns;
    out->jitter_target_ms = (int)js.target_ms;
    out->buffered_ms = (int)js.buffered_ms;
}
