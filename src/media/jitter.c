/* Adaptive audio jitter buffer.
 *
 * Packets sit in a ring of `capacity` slots indexed by extended sequence number, so
 * insertion is O(1) and the sequence window bounds memory. The playout position
 * (play_ts, in timestamp units) advances one frame per pop; a packet is late when
 * its timestamp is behind it. The "level" is the audio held from the playout
 * position to the end of the newest packet, sampled at each pop. Every control
 * window (WINDOW_MS of playout) the level is compared with the target: a surplus
 * of a whole frame at every pop schedules a drop, a deficit of half a frame on
 * average schedules an insert. The target itself is frame + K * jitter, rising at
 * once and falling with a TARGET_DECAY_MS time constant. */
#include "media/jitter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "lkc/error.h"

#define LOG_MOD "media.jitter"

#define MAX_FRAME_MS 120          /* longest Opus frame; bigger steps are gaps */
#define JITTER_K 3.0              /* target margin in jitter estimates */
#define TARGET_DECAY_MS 10000.0   /* the target falls this slowly toward calm */
#define LONG_GAP_US 1000000       /* nothing held and nothing for this long: rebuffer */
#define RESYNC_MARGIN_MS 1000     /* timestamp off its sequence by max delay + this */
#define MAX_SEQ_JUMP 3000         /* RFC 3550 A.1 MAX_DROPOUT */
#define WINDOW_MS 500             /* level control looks at this much playout */
#define LATE_EPISODE_US 2000000   /* late packets this close together are one episode */
#define SLOT_PREALLOC 320         /* bytes per slot up front: a 20 ms Opus frame at 128 kb/s */
#define SEQ_BASE (1LL << 32)      /* extended sequence numbers start here: never negative */
#define QUIET_DBOV 50             /* a frame at -50 dBov or below can be skipped unheard */
#define MAX_DROP_WAIT_MS 2000     /* a drop waits this long for a quiet frame, then takes any */

typedef struct slot {
    bool used;
    bool marker;
    bool loud;  /* its audio level says it is not quiet: skipping it would be heard */
    bool heap; /* data was grown past the shared arena */
    uint16_t len;
    uint16_t cap;
    int64_t seq;
    int64_t ts;
    uint8_t *data;
} slot_t;

struct lkc_jitter {
    lkc_jitter_config_t cfg;
    slot_t *slots;
    uint8_t *arena;
    uint32_t capacity;
    uint32_t count;

    bool started;        /* anchored: next_seq/play_ts mean something */
    bool playing;        /* initial buffering is over */
    int64_t buffer_since_us;
    int64_t next_seq;    /* next sequence number to play (extended) */
    int64_t play_ts;     /* playout position (extended timestamp) */
    int64_t max_seq;     /* highest sequence number received since anchoring */
    int64_t max_seq_ts;  /* its timestamp */
    int64_t newest_ts;   /* highest timestamp held (valid while count > 0) */
    uint64_t history;    /* bit i: next_seq - 1 - i was received */
    bool have_bad;
    uint16_t bad_seq;    /* a far-off sequence number confirmed by its successor */
    int64_t last_push_us;

    uint32_t frame_ts;   /* learned frame duration */
    uint32_t frame_cand; /* a step seen once; twice in a row makes it the frame */

    bool have_arrival;
    int64_t last_arrival_us;
    int64_t last_arrival_ts;
    double jitter_us;
    double target_ms;
    bool late_episode;
    double late_base_ms;
    int64_t last_late_us;
    bool urgent;         /* a late packet: check the level at the next pop */

    uint32_t win_n;
    int64_t win_sum;
    int64_t win_min;
    int64_t win_span;
    uint32_t pending_drops;
    uint32_t pending_inserts;
    int64_t drop_wait_ts;  /* playout spent waiting for a quiet frame to drop */

    lkc_jitter_stats_t st;
    uint8_t out_buf[LKC_JITTER_MAX_PAYLOAD];
    uint8_t fec_buf[LKC_JITTER_MAX_PAYLOAD];
};

/* ---- configuration -------------------------------------------------------------- */

void lkc_jitter_config_default(lkc_jitter_config_t *cfg)
{
    *cfg = (lkc_jitter_config_t){.clock_rate = 48000, .min_delay_ms = 20, .max_delay_ms = 200,
                                 .initial_delay_ms = 40, .capacity = 64};
}

static void apply_defaults(const lkc_jitter_config_t *in, lkc_jitter_config_t *out)
{
    lkc_jitter_config_default(out);
    if (!in)
        return;
#define TAKE(field) out->field = in->field ? in->field : out->field
    TAKE(clock_rate);
    TAKE(min_delay_ms);
    TAKE(max_delay_ms);
    TAKE(initial_delay_ms);
    TAKE(capacity);
#undef TAKE
}

int lkc_jitter_config_check(const lkc_jitter_config_t *cfg)
{
    lkc_jitter_config_t c;
    apply_defaults(cfg, &c);
    if (c.clock_rate < 8000 || c.clock_rate > 192000 || c.max_delay_ms > 5000 ||
        c.min_delay_ms > c.max_delay_ms || c.capacity < 8 || c.capacity > 4096)
        return LKC_ERR_INVALID_ARG;
    return LKC_OK;
}

/* ---- small helpers -------------------------------------------------------------- */

static inline int64_t ms_to_ts(const lkc_jitter_t *jb, double ms)
{
    return (int64_t)llround(ms * jb->cfg.clock_rate / 1000.0);
}

static inline double ts_to_ms(const lkc_jitter_t *jb, int64_t ts)
{
    return (double)ts * 1000.0 / jb->cfg.clock_rate;
}

static inline int64_t half_frame(const lkc_jitter_t *jb)
{
    return jb->frame_ts / 2;
}

static inline slot_t *slot_at(lkc_jitter_t *jb, int64_t seq)
{
    return &jb->slots[(uint64_t)seq % jb->capacity];
}

static inline bool held(const slot_t *s, int64_t seq)
{
    return s->used && s->seq == seq;
}

static void release(lkc_jitter_t *jb, slot_t *s)
{
    s->used = false;
    jb->count--;
}

/* Moves next_seq past one sequence number, recording whether it was received. */
static void advance_seq(lkc_jitter_t *jb, bool received)
{
    jb->history = jb->history << 1 | (received ? 1u : 0u);
    jb->next_seq++;
}

/* Audio held from the playout position to the end of the newest packet. */
static int64_t level_ts(const lkc_jitter_t *jb)
{
    if (jb->count == 0)
        return 0;
    int64_t l = jb->newest_ts + jb->frame_ts - jb->play_ts;
    return l > 0 ? l : 0;
}

/* The target as a level at pop time: whole frames, at least two, since a level of
 * one frame leaves no margin for where the pop falls between two arrivals. */
static int64_t effective_target_ts(const lkc_jitter_t *jb)
{
    int64_t t = ms_to_ts(jb, jb->target_ms);
    int64_t frames = (t + jb->frame_ts - 1) / jb->frame_ts;
    if (frames < 2)
        frames = 2;
    return frames * jb->frame_ts;
}

static void clamp_target(lkc_jitter_t *jb)
{
    if (jb->target_ms < jb->cfg.min_delay_ms)
        jb->target_ms = jb->cfg.min_delay_ms;
    if (jb->target_ms > jb->cfg.max_delay_ms)
        jb->target_ms = jb->cfg.max_delay_ms;
}

static void window_reset(lkc_jitter_t *jb)
{
    jb->win_n = 0;
    jb->win_sum = 0;
    jb->win_min = INT64_MAX;
    jb->win_span = 0;
}

static void flush(lkc_jitter_t *jb)
{
    for (uint32_t i = 0; i < jb->capacity; i++)
        jb->slots[i].used = false;
    jb->count = 0;
    jb->started = false;
    jb->playing = false;
    jb->have_bad = false;
    jb->have_arrival = false;
    jb->pending_drops = 0;
    jb->pending_inserts = 0;
    jb->urgent = false;
    window_reset(jb);
}

static void anchor(lkc_jitter_t *jb, uint16_t seq, uint32_t ts, int64_t arrival_us)
{
    jb->started = true;
    jb->playing = false;
    jb->buffer_since_us = arrival_us;
    jb->next_seq = SEQ_BASE + seq;
    jb->max_seq = jb->next_seq;
    jb->play_ts = ts;
    jb->max_seq_ts = ts;
    jb->newest_ts = ts;
    jb->history = 0;
    window_reset(jb);
}

/* ---- lifecycle ------------------------------------------------------------------ */

lkc_jitter_t *lkc_jitter_new(const lkc_jitter_config_t *cfg)
{
    if (lkc_jitter_config_check(cfg))
        return NULL;
    lkc_jitter_t *jb = calloc(1, sizeof *jb);
    if (!jb)
        return NULL;
    apply_defaults(cfg, &jb->cfg);
    jb->capacity = jb->cfg.capacity;
    jb->slots = calloc(jb->capacity, sizeof *jb->slots);
    jb->arena = malloc((size_t)jb->capacity * SLOT_PREALLOC);
    if (!jb->slots || !jb->arena) {
        free(jb->slots);
        free(jb->arena);
        free(jb);
        return NULL;
    }
    for (uint32_t i = 0; i < jb->capacity; i++) {
        jb->slots[i].data = jb->arena + (size_t)i * SLOT_PREALLOC;
        jb->slots[i].cap = SLOT_PREALLOC;
    }
    jb->frame_ts = jb->cfg.clock_rate / 50; /* 20 ms until learned */
    jb->target_ms = jb->cfg.initial_delay_ms;
    clamp_target(jb);
    window_reset(jb);
    return jb;
}

void lkc_jitter_free(lkc_jitter_t *jb)
{
    if (!jb)
        return;
    for (uint32_t i = 0; i < jb->capacity; i++)
        if (jb->slots[i].heap)
            free(jb->slots[i].data);
    free(jb->slots);
    free(jb->arena);
    free(jb);
}

void lkc_jitter_reset(lkc_jitter_t *jb)
{
    if (jb)
        flush(jb);
}

/* ---- delay estimate ------------------------------------------------------------- */

/* RFC 3550 style interarrival jitter (|D| smoothed by 1/16), then the target:
 * up at once, down with a TARGET_DECAY_MS time constant of arrival time. */
static void update_estimate(lkc_jitter_t *jb, int64_t ts, int64_t arrival_us)
{
    double dt_ms = 0;
    if (jb->have_arrival) {
        double dts_us = (double)(ts - jb->last_arrival_ts) * 1e6 / jb->cfg.clock_rate;
        double d = (double)(arrival_us - jb->last_arrival_us) - dts_us;
        jb->jitter_us += (fabs(d) - jb->jitter_us) / 16.0;
        dt_ms = (double)(arrival_us - jb->last_arrival_us) / 1000.0;
    }
    jb->have_arrival = true;
    jb->last_arrival_us = arrival_us;
    jb->last_arrival_ts = ts;

    double frame_ms = ts_to_ms(jb, jb->frame_ts);
    double raw = frame_ms + JITTER_K * jb->jitter_us / 1000.0;
    if (raw > jb->target_ms) {
        jb->target_ms = raw;
    } else if (dt_ms > 0) {
        double a = dt_ms / TARGET_DECAY_MS;
        jb->target_ms -= (jb->target_ms - raw) * (a < 1.0 ? a : 1.0);
    }
    clamp_target(jb);
}

/* A packet missed its playout by `late_ts`: the buffer should have been that much
 * deeper. Lateness is measured against the target from before the episode, so a
 * run of late packets raises the target to the worst of them, not their sum. */
static void on_late(lkc_jitter_t *jb, int64_t late_ts, int64_t arrival_us)
{
    jb->st.late++;
    if (!jb->late_episode || arrival_us - jb->last_late_us > LATE_EPISODE_US) {
        jb->late_episode = true;
        jb->late_base_ms = jb->target_ms;
    }
    jb->last_late_us = arrival_us;
    double want = jb->late_base_ms + ts_to_ms(jb, late_ts);
    if (want > jb->target_ms)
        jb->target_ms = want;
    clamp_target(jb);
    jb->urgent = true;
    LKC_LOGD(LOG_MOD, "a packet %.1f ms late; target %.1f ms", ts_to_ms(jb, late_ts), jb->target_ms);
}

/* Frame duration: a timestamp step between consecutive packets, seen twice in a
 * row (a DTX gap is a one-off step, or longer than any frame). */
static void learn_frame(lkc_jitter_t *jb, int64_t step)
{
    if (step <= 0 || step > ms_to_ts(jb, MAX_FRAME_MS))
        return;
    if ((uint32_t)step == jb->frame_cand)
        jb->frame_ts = (uint32_t)step;
    jb->frame_cand = (uint32_t)step;
}

/* ---- push ----------------------------------------------------------------------- */

static int ensure_room(slot_t *s, size_t len)
{
    if (len <= s->cap)
        return LKC_OK;
    uint8_t *d = malloc(LKC_JITTER_MAX_PAYLOAD);
    if (!d)
        return LKC_ERR_NO_MEMORY;
    if (s->used)
        memcpy(d, s->data, s->len);
    if (s->heap)
        free(s->data);
    s->data = d;
    s->cap = LKC_JITTER_MAX_PAYLOAD;
    s->heap = true;
    return LKC_OK;
}

/* Makes room for sequence number `seq` by dropping the oldest packets (and passing
 * over missing ones). The playout position follows the oldest packet left, so a
 * caller that stopped popping does not come back to a stale position. */
static void overflow(lkc_jitter_t *jb, int64_t seq, int64_t ts)
{
    int64_t first = seq - jb->capacity + 1;
    while (jb->next_seq < first && jb->count > 0) {
        slot_t *s = slot_at(jb, jb->next_seq);
        bool was = held(s, jb->next_seq);
        if (was) {
            release(jb, s);
            jb->st.overflow_drops++;
        } else {
            jb->st.lost++;
        }
        advance_seq(jb, was);
    }
    if (jb->count == 0) {
        /* Nothing held: jump straight to the new packet. */
        int64_t skipped = seq - jb->next_seq;
        jb->st.lost += (uint64_t)skipped;
        jb->history = skipped >= 64 ? 0 : jb->history << skipped;
        jb->next_seq = seq;
        if (ts - jb->play_ts > (int64_t)jb->capacity * jb->frame_ts)
            jb->play_ts = ts;
        return;
    }
    while (!held(slot_at(jb, jb->next_seq), jb->next_seq)) {
        jb->st.lost++;
        advance_seq(jb, false);
    }
    int64_t head_ts = slot_at(jb, jb->next_seq)->ts;
    if (head_ts > jb->play_ts)
        jb->play_ts = head_ts;
}

int lkc_jitter_push(lkc_jitter_t *jb, uint16_t seq, uint32_t timestamp, int64_t arrival_us,
                    const uint8_t *payload, size_t len, bool marker, int level_dbov)
{
    if (!jb || !payload || len == 0)
        return LKC_ERR_INVALID_ARG;
    if (len > LKC_JITTER_MAX_PAYLOAD)
        return LKC_ERR_TOO_LARGE;
    jb->st.received++;
    jb->last_push_us = arrival_us;
    if (!jb->started)
        anchor(jb, seq, timestamp, arrival_us);

    /* Extend to 64 bits around the newest packet: the nearest value modulo 2^16 / 2^32. */
    int64_t dseq = (uint16_t)(seq - (uint16_t)jb->max_seq);
    dseq -= dseq >= 0x8000 ? 0x10000 : 0;
    int64_t dts = (uint32_t)(timestamp - (uint32_t)jb->max_seq_ts);
    dts -= dts >= 0x80000000LL ? 0x100000000LL : 0;
    int64_t es = jb->max_seq + dseq;
    int64_t et = jb->max_seq_ts + dts;

    const char *restart = NULL;
    if (dseq > MAX_SEQ_JUMP || dseq < -MAX_SEQ_JUMP) {
        /* RFC 3550 A.1: one far-off packet may be a stray; its successor confirms. */
        if (!jb->have_bad || seq != jb->bad_seq) {
            jb->have_bad = true;
            jb->bad_seq = (uint16_t)(seq + 1);
            jb->st.discarded++;
            return LKC_OK;
        }
        restart = "sequence jump";
    } else if (dseq > 0) {
        /* A timestamp far from where the sequence number puts it: a new stream. */
        int64_t dev = et - (jb->max_seq_ts + dseq * (int64_t)jb->frame_ts);
        int64_t lim = ms_to_ts(jb, jb->cfg.max_delay_ms + RESYNC_MARGIN_MS);
        if (dev > lim || dev < -lim)
            restart = "timestamp jump";
    }
    jb->have_bad = false;
    if (restart) {
        LKC_LOGD(LOG_MOD, "resync at seq %u ts %u: %s", seq, timestamp, restart);
        flush(jb);
        jb->st.resyncs++;
        anchor(jb, seq, timestamp, arrival_us);
        es = jb->next_seq;
        et = jb->play_ts;
    }

    if (es < jb->next_seq) {
        if (jb->playing) {
            int64_t d = jb->next_seq - 1 - es;
            if (d < 64 && (jb->history >> d & 1)) {
                jb->st.duplicates++;
                return LKC_OK;
            }
            update_estimate(jb, et, arrival_us);
            on_late(jb, jb->play_ts - et, arrival_us);
            return LKC_OK;
        }
        /* Still buffering: an earlier packet moves the start back, if it is near. */
        if (jb->max_seq - es >= jb->capacity || jb->play_ts - et > ms_to_ts(jb, jb->cfg.max_delay_ms)) {
            jb->st.late++;
            return LKC_OK;
        }
        jb->next_seq = es;
        jb->play_ts = et;
    } else if (jb->playing && et + half_frame(jb) < jb->play_ts) {
        update_estimate(jb, et, arrival_us);
        on_late(jb, jb->play_ts - et, arrival_us);
        return LKC_OK;
    }

    slot_t *s = slot_at(jb, es);
    if (held(s, es)) {
        jb->st.duplicates++;
        return LKC_OK;
    }
    int rc = ensure_room(s, len);
    if (rc)
        return rc;
    if (es >= jb->next_seq + jb->capacity)
        overflow(jb, es, et);

    memcpy(s->data, payload, len);
    s->len = (uint16_t)len;
    s->marker = marker;
    s->loud = level_dbov >= 0 && level_dbov < QUIET_DBOV;
    s->seq = es;
    s->ts = et;
    s->used = true;
    if (jb->count == 0 || et > jb->newest_ts)
        jb->newest_ts = et;
    jb->count++;

    if (es > jb->max_seq) {
        if (es == jb->max_seq + 1)
            learn_frame(jb, et - jb->max_seq_ts);
        jb->max_seq = es;
        jb->max_seq_ts = et;
    } else if (es < jb->max_seq) {
        jb->st.reordered++;
    }
    update_estimate(jb, et, arrival_us);
    return LKC_OK;
}

/* ---- pop ------------------------------------------------------------------------ */

/* Level control: collect the level of each pop that plays or conceals, and at the
 * end of a window schedule drops (surplus of a frame even at the window's lowest)
 * or inserts (average short by half a frame). */
static void window_add(lkc_jitter_t *jb, int64_t level)
{
    jb->win_n++;
    jb->win_sum += level;
    if (level < jb->win_min)
        jb->win_min = level;
    jb->win_span += jb->frame_ts;
    if (jb->win_span < ms_to_ts(jb, WINDOW_MS))
        return;
    int64_t target = effective_target_ts(jb);
    int64_t frame = jb->frame_ts;
    int64_t avg = jb->win_sum / jb->win_n;
    if (jb->win_min >= target + frame)
        jb->pending_drops = (uint32_t)((jb->win_min - target) / frame);
    else if (avg < target - frame / 2)
        jb->pending_inserts = (uint32_t)((target - avg + frame / 2) / frame);
    window_reset(jb);
}

/* Consumes a scheduled insert, if any. */
static bool take_insert(lkc_jitter_t *jb)
{
    if (!jb->pending_inserts)
        return false;
    jb->pending_inserts--;
    jb->st.drift_inserts++;
    window_reset(jb);
    return true;
}

static void count_drop(lkc_jitter_t *jb)
{
    jb->pending_drops--;
    jb->drop_wait_ts = 0;
    jb->st.drift_drops++;
    window_reset(jb);
}

/* A known pause before the next packet (DTX): free moments to adjust the delay. */
static int pop_silence(lkc_jitter_t *jb, int64_t next_ts)
{
    if (take_insert(jb))
        return LKC_JITTER_SILENCE; /* the pause lasts a frame longer */
    int64_t step = jb->frame_ts;
    if (jb->pending_drops && next_ts - jb->play_ts >= 2 * step) {
        count_drop(jb);
        step *= 2;
    }
    jb->play_ts += step;
    return LKC_JITTER_SILENCE;
}

static int pop_empty(lkc_jitter_t *jb, int64_t now_us)
{
    jb->pending_drops = 0;
    if (now_us - jb->last_push_us > LONG_GAP_US) {
        /* The sender stopped (mute, no DTX): start over with the next packet. */
        jb->started = false;
        jb->playing = false;
        jb->pending_inserts = 0;
        jb->have_arrival = false; /* the gap says nothing about network jitter */
        return LKC_JITTER_NOT_READY;
    }
    if (!take_insert(jb)) /* an insert: wait a frame longer for what comes */
        jb->play_ts += jb->frame_ts;
    return LKC_JITTER_EMPTY;
}

static int pop_insert(lkc_jitter_t *jb, lkc_jitter_frame_t *out)
{
    out->seq = (uint16_t)jb->next_seq;
    out->timestamp = (uint32_t)jb->play_ts;
    return LKC_JITTER_INSERT;
}

static int pop_frame(lkc_jitter_t *jb, slot_t *s, int64_t level, lkc_jitter_frame_t *out)
{
    window_add(jb, level);
    if (take_insert(jb))
        return pop_insert(jb, out);
    if (jb->pending_drops) {
        /* Skip this frame only when the next one follows it directly, and only a quiet
         * one unless none came for a while (a steady tone, music). */
        slot_t *n = slot_at(jb, jb->next_seq + 1);
        bool unheard = !s->loud || jb->drop_wait_ts >= ms_to_ts(jb, MAX_DROP_WAIT_MS);
        jb->drop_wait_ts += jb->frame_ts;
        if (unheard && held(n, jb->next_seq + 1) && n->ts - s->ts <= (int64_t)jb->frame_ts + half_frame(jb)) {
            release(jb, s);
            advance_seq(jb, true);
            count_drop(jb);
            s = n;
        }
    } else {
        jb->drop_wait_ts = 0;
    }
    memcpy(jb->out_buf, s->data, s->len);
    out->payload = jb->out_buf;
    out->len = s->len;
    out->seq = (uint16_t)s->seq;
    out->timestamp = (uint32_t)s->ts;
    out->marker = s->marker;
    jb->play_ts = s->ts + jb->frame_ts;
    release(jb, s);
    advance_seq(jb, true);
    jb->st.played++;
    return LKC_JITTER_FRAME;
}

static int pop_lost(lkc_jitter_t *jb, const slot_t *next, int64_t missing, int64_t level,
                    lkc_jitter_frame_t *out)
{
    window_add(jb, level);
    if (take_insert(jb))
        return pop_insert(jb, out);
    out->seq = (uint16_t)jb->next_seq;
    out->timestamp = (uint32_t)jb->play_ts;
    /* Opus in-band FEC in packet n+1 carries frame n. */
    if (missing == 1 && next->ts - jb->play_ts <= (int64_t)jb->frame_ts + half_frame(jb)) {
        memcpy(jb->fec_buf, next->data, next->len);
        out->fec_payload = jb->fec_buf;
        out->fec_len = next->len;
    }
    jb->st.lost++;
    jb->st.concealed++;
    advance_seq(jb, false);
    jb->play_ts += jb->frame_ts;
    return LKC_JITTER_LOST;
}

static bool ready_to_start(const lkc_jitter_t *jb, int64_t now_us)
{
    if (jb->count == 0)
        return false;
    if (level_ts(jb) >= effective_target_ts(jb))
        return true;
    /* A lone talk-spurt start (DTX) must not wait for more packets forever. */
    return now_us - jb->buffer_since_us >= (int64_t)llround(jb->target_ms * 1000.0);
}

int lkc_jitter_pop(lkc_jitter_t *jb, int64_t now_us, lkc_jitter_frame_t *out)
{
    if (!jb || !out)
        return LKC_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    out->duration = jb->frame_ts;
    if (!jb->started)
        return LKC_JITTER_NOT_READY;
    if (!jb->playing) {
        if (!ready_to_start(jb, now_us))
            return LKC_JITTER_NOT_READY;
        jb->playing = true;
        window_reset(jb);
    }
    int64_t level = level_ts(jb);
    if (jb->urgent) {
        /* Packets are arriving late: grow now rather than at the window's end. */
        jb->urgent = false;
        int64_t target = effective_target_ts(jb);
        if (level < target - half_frame(jb)) {
            uint32_t n = (uint32_t)((target - level + half_frame(jb)) / jb->frame_ts);
            if (n > jb->pending_inserts)
                jb->pending_inserts = n;
            jb->pending_drops = 0;
            window_reset(jb);
        }
    }
    for (;;) {
        if (jb->count == 0)
            return pop_empty(jb, now_us);
        slot_t *s = slot_at(jb, jb->next_seq);
        if (held(s, jb->next_seq)) {
            /* A head behind the position (only while a new frame size is being
             * learned) still plays: it was in time when it arrived. */
            if (s->ts > jb->play_ts + half_frame(jb))
                return pop_silence(jb, s->ts);
            return pop_frame(jb, s, level, out);
        }
        /* The head is missing; find the next packet held (count > 0: one exists). */
        int64_t seq1 = jb->next_seq + 1;
        while (!held(slot_at(jb, seq1), seq1))
            seq1++;
        const slot_t *s1 = slot_at(jb, seq1);
        int64_t missing = seq1 - jb->next_seq;
        /* Frames until s1 is due (rounded; 0 when due or past). */
        int64_t d = s1->ts - jb->play_ts + half_frame(jb);
        int64_t room = d < (int64_t)jb->frame_ts ? 0 : d / jb->frame_ts;
        if (room < missing) {
            /* Some missing frames' time has already passed: skip them silently. */
            for (int64_t i = room; i < missing; i++) {
                jb->st.lost++;
                advance_seq(jb, false);
            }
            continue;
        }
        if (room > missing) /* a pause before the missing frames */
            return pop_silence(jb, s1->ts - missing * (int64_t)jb->frame_ts);
        return pop_lost(jb, s1, missing, level, out);
    }
}

void lkc_jitter_get_stats(const lkc_jitter_t *jb, lkc_jitter_stats_t *out)
{
    if (!jb || !out)
        return;
    *out = jb->st;
    out->target_ms = (uint32_t)llround(jb->target_ms);
    out->buffered_ms = (uint32_t)llround(ts_to_ms(jb, level_ts(jb)));
    out->frame_ms = (uint32_t)llround(ts_to_ms(jb, jb->frame_ts));
    out->jitter_ms = jb->jitter_us / 1000.0;
}
