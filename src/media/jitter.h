/* Adaptive audio jitter buffer for one received RTP stream (Opus at 48 kHz in
 * practice; the frame duration is learned from timestamps, not assumed).
 *
 * The engine thread pushes each received packet and pops one frame per playout
 * tick, a tick being one frame duration (out->duration). Playout position moves
 * one frame per pop, so the buffer is driven by the caller's tick; arrival times
 * feed the jitter estimate that sets the target delay. The buffer reorders by
 * sequence number (16-bit wrap safe), drops duplicates and packets whose playout
 * time has passed, holds playout at the start until the target is buffered, drops
 * or inserts a frame now and then to follow sender clock drift or a new target,
 * resynchronises on sequence/timestamp jumps, and bounds memory by a packet
 * capacity (overflow drops the oldest).
 *
 * Deterministic: all time comes from arguments; nothing reads a clock.
 * Threads: a lkc_jitter_t is not locked; use it from one thread (the engine's).
 * Memory: slots keep their payload buffers, so after warm-up push and pop do not
 * allocate. */
#ifndef LKC_MEDIA_JITTER_H
#define LKC_MEDIA_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LKC_JITTER_MAX_PAYLOAD 1500

/* Zero fields take the defaults shown. */
typedef struct lkc_jitter_config {
    uint32_t clock_rate;       /* Hz; default 48000 (8000..192000) */
    uint32_t min_delay_ms;     /* default 20 */
    uint32_t max_delay_ms;     /* default 200 (at most 5000) */
    uint32_t initial_delay_ms; /* default 40, clamped to min..max */
    uint32_t capacity;         /* packets held; default 64 (8..4096) */
} lkc_jitter_config_t;

typedef enum lkc_jitter_result {
    LKC_JITTER_FRAME = 0, /* payload ready: decode it */
    LKC_JITTER_LOST,      /* the frame due now is missing: conceal it (PLC), or decode
                             fec_payload with Opus in-band FEC when it is set */
    LKC_JITTER_INSERT,    /* nothing lost: the buffer is growing by one frame (drift
                             or a higher target); conceal one frame, consume nothing */
    LKC_JITTER_SILENCE,   /* the sender is in a DTX pause (the next packet is here,
                             later in time): play comfort noise or silence */
    LKC_JITTER_EMPTY,     /* playing, but nothing has arrived for now (underrun, DTX
                             or a paused sender): play silence; not counted as loss */
    LKC_JITTER_NOT_READY, /* buffering (start, after a long gap or a resync): silence */
} lkc_jitter_result_t;

/* What one pop yields. Pointers are owned by the buffer and stay valid until the
 * next lkc_jitter_pop, lkc_jitter_reset or lkc_jitter_free. */
typedef struct lkc_jitter_frame {
    const uint8_t *payload; /* FRAME */
    size_t len;
    uint16_t seq;       /* FRAME: the packet's; LOST: the missing one's */
    uint32_t timestamp; /* FRAME: the packet's; LOST: where the missing frame sits */
    bool marker;
    uint32_t duration;  /* timestamp units this tick covers (every result) */
    const uint8_t *fec_payload; /* LOST: the following packet, when it is already
                                   here and directly follows; NULL otherwise */
    size_t fec_len;
} lkc_jitter_frame_t;

typedef struct lkc_jitter_stats {
    uint64_t received;       /* pushes accepted as well-formed */
    uint64_t played;         /* FRAME results */
    uint64_t late;           /* arrived after their playout time: dropped */
    uint64_t duplicates;     /* dropped */
    uint64_t reordered;      /* arrived after a later packet, still in time */
    uint64_t lost;           /* sequence numbers missing at their playout time (one
                                that turns up afterwards also counts as late) */
    uint64_t concealed;      /* LOST results */
    uint64_t overflow_drops; /* oldest packets dropped at capacity */
    uint64_t drift_drops;    /* frames skipped to shrink the buffer */
    uint64_t drift_inserts;  /* frames inserted to grow it (INSERT, or a longer pause) */
    uint64_t resyncs;        /* restarts on a sequence/timestamp jump or long gap */
    uint64_t discarded;      /* a lone packet far off the sequence, awaiting confirmation */
    uint32_t target_ms;      /* current target delay */
    uint32_t buffered_ms;    /* audio held now, from the playout position */
    uint32_t frame_ms;       /* learned frame duration */
    double jitter_ms;        /* interarrival jitter estimate */
} lkc_jitter_stats_t;

typedef struct lkc_jitter lkc_jitter_t;

/* Fills *cfg (non-NULL) with the defaults. */
void lkc_jitter_config_default(lkc_jitter_config_t *cfg);

/* Checks a configuration (zero fields mean defaults). Returns 0 or LKC_ERR_INVALID_ARG. */
int lkc_jitter_config_check(const lkc_jitter_config_t *cfg);

/* A new, empty buffer; cfg may be NULL for the defaults and is copied. Returns NULL
 * when the configuration is invalid (lkc_jitter_config_check) or out of memory. */
lkc_jitter_t *lkc_jitter_new(const lkc_jitter_config_t *cfg);

/* Frees the buffer and its payloads. NULL is fine. */
void lkc_jitter_free(lkc_jitter_t *jb);

/* Hands over one received packet; the payload is copied. arrival_us is the
 * caller's monotonic clock. level_dbov is the frame's RFC 6464 audio level (0..127
 * -dBov) or -1 when unknown: to shrink the delay the buffer skips a quiet frame
 * (-50 dBov or below, or unknown) and takes a louder one only after waiting 2 s. Returns 0 when the packet was taken or dropped on
 * purpose (duplicate, late, overflow: see the stats), LKC_ERR_INVALID_ARG (NULL, empty
 * payload), LKC_ERR_TOO_LARGE (over LKC_JITTER_MAX_PAYLOAD) or LKC_ERR_NO_MEMORY;
 * on error the buffer is unchanged. */
int lkc_jitter_push(lkc_jitter_t *jb, uint16_t seq, uint32_t timestamp, int64_t arrival_us,
                    const uint8_t *payload, size_t len, bool marker, int level_dbov);

/* One playout tick at now_us (same clock as arrival_us). Fills *out and returns a
 * lkc_jitter_result_t, or LKC_ERR_INVALID_ARG for NULL arguments. */
int lkc_jitter_pop(lkc_jitter_t *jb, int64_t now_us, lkc_jitter_frame_t *out);

/* Drops every packet and starts over (buffering), keeping the stats and the delay
 * estimate: e.g. when the track is re-subscribed. */
void lkc_jitter_reset(lkc_jitter_t *jb);

/* Copies the counters and current figures out. */
void lkc_jitter_get_stats(const lkc_jitter_t *jb, lkc_jitter_stats_t *out);

#endif
