#include "room/audio_sender.h"

#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "media/opus_codec.h"
#include "media/resample.h"
#include "rtc/rtcp.h"
#include "rtc/rtp.h"
#include "rtc/srtp.h"

#define MOD "room.audio"
#define FRAME_US 20000
#define MAX_CATCH_UP_US 200000 /* after a stall, skip ahead instead of bursting */
#define EARLY_US 4000          /* a frame this close to its slot goes now: one wake-up, not two */
#define PAUSE_US (2 * FRAME_US) /* a frame this late after none was queued: the source paused */
#define VOICE_LEVEL 60          /* -dBov: louder than this counts as voice for the V bit */

struct lkc_sender {
    lkc__sender_config_t cfg;
    lkc_peer_t *peer;                 /* bound once the m-line exists */
    const lkc_peer_audio_t *neg;      /* its negotiated view (stable for the peer's life) */
    lkc_opus_encoder_t *enc;
    lkc_resample_t *rs;
    int in_channels;
    int out_channels;
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
    bool running;
    bool in_silence;          /* the last frame was not sent (DTX, mute, no audio) */
    bool starved;             /* the last look found no frame */
    int64_t next_due_us;      /* the earliest time the next frame may leave */
    lkc_capture_queue_t *queue;
    uint32_t packets;
    uint32_t octets;
    uint32_t last_sent_ts;
    int64_t last_sent_us;
    char cname[32];
    int16_t *in_frame;        /* one 20 ms frame at the source's rate */
    int16_t *pcm48;           /* the same at 48 kHz */
    uint8_t pkt[1500 + LKC_SRTP_MAX_OVERHEAD];
};

static void on_frame_ready(void *user)
{
    lkc_media_clock_poke(user);
}

lkc_sender_t *lkc__sender_new(const lkc__sender_config_t *cfg_in)
{
    lkc_sender_t *s = g_new0(lkc_sender_t, 1);
    const lkc__sender_config_t *t = cfg_in;
    uint32_t ssrc = t->ssrc;
    s->cfg = *t;
    s->queue = t->queue;
    s->ssrc = ssrc;
    s->in_channels = t->channels;
    s->out_channels = t->stereo ? 2 : 1;
    s->seq = (uint16_t)(ssrc >> 7);
    s->ts = ssrc * 2654435761u; /* any start; RFC 3550 wants it unpredictable */
    g_snprintf(s->cname, sizeof s->cname, "lkc-%08x", ssrc);
    lkc_opus_enc_config_t cfg;
    lkc_opus_enc_config_default(&cfg, s->out_channels);
    cfg.dtx = t->dtx;
    if (t->bitrate > 0)
        cfg.bitrate = t->bitrate;
    cfg.complexity = 5; /* half the cost of 9 for little audible difference in speech */
    s->in_frame = g_new0(int16_t, (size_t)t->sample_rate / 50 * (size_t)s->in_channels);
    s->pcm48 = g_new0(int16_t, LKC_OPUS_FRAME_SAMPLES * (size_t)s->out_channels);
    if (lkc_opus_encoder_create(&s->enc, &cfg) != LKC_OK ||
        lkc_resample_create(&s->rs, t->sample_rate, s->in_channels, LKC_OPUS_RATE, s->out_channels,
                            LKC_RESAMPLE_QUALITY_DEFAULT) != LKC_OK) {
        lkc__sender_free(s);
        return NULL;
    }
    lkc_capture_queue_set_listener(s->queue, on_frame_ready, t->clock);
    return s;
}

void lkc__sender_free(lkc_sender_t *s)
{
    if (!s)
        return;
    lkc_capture_queue_set_listener(s->queue, NULL, NULL);
    lkc_opus_encoder_free(s->enc);
    lkc_resample_free(s->rs);
    g_free(s->in_frame);
    g_free(s->pcm48);
    g_free(s);
}
/* One 20 ms frame from the source, at 48 kHz; false when none is queued. */
static bool next_pcm48(lkc_sender_t *s)
{
    if (lkc_capture_queue_pop_frame(s->queue, s->in_frame) != 1)
        return false;
    size_t in_frames = (size_t)s->cfg.sample_rate / 50, used = 0, made = 0;
    int rc = lkc_resample_process(s->rs, s->in_frame, in_frames, &used, s->pcm48, LKC_OPUS_FRAME_SAMPLES, &made);
    if (rc != LKC_OK)
        return false;
    if (made < LKC_OPUS_FRAME_SAMPLES) {
        /* a short frame (resampler start-up): put the audio last, silence first */
        size_t ch = (size_t)s->out_channels, gap = LKC_OPUS_FRAME_SAMPLES - made;
        memmove(s->pcm48 + gap * ch, s->pcm48, made * ch * sizeof(int16_t));
        memset(s->pcm48, 0, gap * ch * sizeof(int16_t));
    }
    return true;
}

static void send_frame(lkc_sender_t *s, lkc_peer_t *peer, const lkc_peer_audio_t *neg, int64_t now_us)
{
    uint8_t opus[LKC_OPUS_MAX_PACKET];
    size_t len = 0;
    bool dtx = false;
    if (lkc_opus_encode(s->enc, s->pcm48, opus, sizeof opus, &len, &dtx) != LKC_OK || dtx) {
        s->in_silence = true;
        return;
    }
    lkc_rtp_ext_t ext;
    uint8_t level_byte;
    lkc_rtp_header_t h = {.pt = (uint8_t)neg->payload_type, .marker = s->in_silence, .seq = s->seq,
                          .timestamp = s->ts, .ssrc = s->ssrc};
    if (neg->audio_level_ext > 0) {
        uint8_t level = lkc_rtp_audio_level_dbov(s->pcm48, LKC_OPUS_FRAME_SAMPLES * (size_t)s->out_channels);
        level_byte = lkc_rtp_audio_level_byte(level <= VOICE_LEVEL, level);
        ext = (lkc_rtp_ext_t){.id = (uint8_t)neg->audio_level_ext, .len = 1, .data = &level_byte};
        h.ext = &ext;
        h.ext_count = 1;
    }
    int n = lkc_rtp_build(&h, opus, len, s->pkt, sizeof s->pkt - LKC_SRTP_MAX_OVERHEAD);
    if (n < 0)
        return;
    s->seq++;
    s->in_silence = false;
    if (lkc_peer_send_rtp(peer, s->pkt, (size_t)n, sizeof s->pkt) == LKC_OK) {
        s->packets++;
        s->octets += (uint32_t)len;
        s->last_sent_ts = s->ts;
        s->last_sent_us = now_us;
    }
}

/* A frame arrived after the source had none: if it is on time or a little late, the
 * schedule follows the source (its sample clock is the truth; the timestamps stay
 * contiguous). After a real pause the timestamps skip the time without audio. */
static void resume_after_starving(lkc_sender_t *s, int64_t now_us)
{
    int64_t late = now_us - s->next_due_us;
    if (late >= PAUSE_US) {
        int64_t skipped = late / FRAME_US;
        s->ts += (uint32_t)(skipped * LKC_OPUS_FRAME_SAMPLES);
        s->in_silence = true;
    }
    if (late > 0)
        s->next_due_us = now_us;
}

void lkc__sender_bind(lkc_sender_t *s, lkc_peer_t *peer, const lkc_peer_audio_t *neg)
{
    s->peer = peer;
    s->neg = neg;
}

int64_t lkc__sender_run(lkc_sender_t *s, int64_t now_us)
{
    lkc_peer_t *peer = s->peer;
    const lkc_peer_audio_t *neg = s->neg;
    bool ready = neg && neg->active && neg->payload_type >= 0 && lkc_peer_state(peer) == LKC_PEER_CONNECTED;
    if (!ready) {
        s->running = false;
        return now_us + FRAME_US; /* look again: negotiation and connection raise no poke */
    }
    if (!s->running) {
        s->running = true;
        s->next_due_us = now_us;
        s->in_silence = true;
        s->starved = false;
    }
    if (now_us - s->next_due_us > MAX_CATCH_UP_US) {
        /* the engine was held up: keep the media clock, drop the missed slots */
        int64_t skipped = (now_us - s->next_due_us) / FRAME_US;
        s->next_due_us += skipped * FRAME_US;
        s->ts += (uint32_t)(skipped * LKC_OPUS_FRAME_SAMPLES);
        s->in_silence = true;
    }
    while (s->next_due_us <= now_us + EARLY_US) {
        if (lkc_capture_queue_frames_ready(s->queue) == 0) {
            s->starved = true;
            return LKC_MEDIA_CLOCK_NEVER; /* the source pokes when a frame completes */
        }
        if (s->starved) {
            s->starved = false;
            resume_after_starving(s, now_us);
        }
        if (!next_pcm48(s)) {
            s->in_silence = true; /* a frame that cannot be used is a lost slot, never a stall */
        } else {
            if (s->cfg.frames_sent)
                atomic_fetch_add(s->cfg.frames_sent, 1);
            if (s->cfg.muted && atomic_load(s->cfg.muted))
                s->in_silence = true; /* muted: the audio is consumed, nothing is sent */
            else
                send_frame(s, peer, neg, now_us);
        }
        s->ts += LKC_OPUS_FRAME_SAMPLES;
        s->next_due_us += FRAME_US;
    }
    if (lkc_capture_queue_frames_ready(s->queue) == 0) {
        s->starved = true;
        return LKC_MEDIA_CLOCK_NEVER;
    }
    s->starved = false;
    return s->next_due_us; /* more is queued: paced out one frame per 20 ms */
}

void lkc__sender_send_report(lkc_sender_t *s, int64_t now_us)
{
    lkc_peer_t *peer = s->peer;
    if (s->packets == 0 || !peer)
        return;
    lkc_rtcp_sender_info_t si = {
        .ntp = lkc_rtcp_ntp_from_unix_us(lkc_unix_ms() * 1000),
        .rtp_ts = s->last_sent_ts + lkc_rtcp_us_to_clock(now_us - s->last_sent_us, LKC_OPUS_RATE),
        .packet_count = s->packets,
        .octet_count = s->octets,
    };
    lkc_rtcp_compound_t c = {.ssrc = s->ssrc, .sender = &si, .cname = s->cname};
    uint8_t buf[512 + LKC_SRTP_MAX_OVERHEAD];
    int n = lkc_rtcp_build_compound(buf, sizeof buf - LKC_SRTP_MAX_OVERHEAD, &c);
    if (n > 0)
        lkc_peer_send_rtcp(peer, buf, (size_t)n, sizeof buf);
}
