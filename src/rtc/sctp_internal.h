/* What the three parts of an SCTP association share: sctp.c (the association's life, the
 * socket upcalls, reassembly and notifications), sctp_channel.c (data channels: DCEP,
 * stream ids, stream resets) and sctp_queue.c (sending and the FIFO for what usrsctp
 * cannot take yet). Included by those files only. Everything runs on the owner's thread. */
#ifndef LKC_RTC_SCTP_INTERNAL_H
#define LKC_RTC_SCTP_INTERNAL_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <usrsctp.h>

#include "rtc/sctp.h"

#define LOG_MOD "rtc.sctp"

/* SCTP payload protocol ids (RFC 8831 §8). */
#define PPID_DCEP 50
#define PPID_STRING 51
#define PPID_BINARY 53
#define PPID_STRING_EMPTY 56
#define PPID_BINARY_EMPTY 57

typedef enum { CH_OPENING, CH_OPEN, CH_CLOSING } ch_state_t;

typedef struct channel {
    uint16_t id;
    ch_state_t state;
    bool ours;
    bool ordered;
    bool heard_from_peer; /* ACK or data seen: from now on unordered sends are allowed */
    bool reset_pending;   /* closing: reset our stream once its queued messages are out */
    int max_retransmits;  /* as reported in on_channel_open */
    uint16_t pr_policy;   /* SCTP_PR_SCTP_NONE / _RTX / _TTL */
    uint32_t pr_value;
    unsigned queued_msgs; /* in the FIFO */
    size_t queued_bytes;
    char *label;
    char *protocol;
} channel_t;

struct lkc_sctp {
    GMainContext *ctx; /* ref */
    lkc_sctp_callbacks_t cb;
    void *user;
    bool dtls_client;
    uint16_t local_port, remote_port;
    uint32_t remote_max;
    uint32_t id; /* our AF_CONN address in the stack's table */
    struct socket *sock;
    bool ticking;           /* holds the context's usrsctp ticker */
    GSource *flush_src;
    bool started, connected, closed, freeing, flushing;
    int cb_depth;           /* > 0 while one of our callbacks runs */
    uint16_t out_streams;   /* negotiated outgoing streams (our request until then) */
    GHashTable *channels;   /* stream id -> channel_t* */
    GHashTable *resetting;  /* stream ids whose outgoing reset is in flight */
    GHashTable *partials;   /* stream id -> partial_t* (sctp.c): a message delivered in pieces */
    size_t partial_bytes;
    GQueue fifo;            /* out_msg_t* (sctp_queue.c): not yet taken by usrsctp, in order */
    size_t fifo_bytes;
    bool refused;           /* a reliable send was refused as the FIFO was full: on_sendable owed */
};

#define KEY(sid) GUINT_TO_POINTER((guint)(sid))

/* Every user callback goes through this: it counts the nesting (so a free from inside is
 * deferred) and stays silent once the object is being freed. */
#define EMIT(s, fn, ...)                                                                 \
    do {                                                                                 \
        if ((s)->cb.fn && !(s)->freeing) {                                               \
            (s)->cb_depth++;                                                             \
            (s)->cb.fn((s)->user, __VA_ARGS__);                                          \
            (s)->cb_depth--;                                                             \
        }                                                                                \
    } while (0)

static inline channel_t *find_channel(const lkc_sctp_t *s, uint16_t sid)
{
    return g_hash_table_lookup(s->channels, KEY(sid));
}

/* sctp.c */
/* Forgets a message being reassembled on stream sid. */
void lkc_sctp_drop_partial(lkc_sctp_t *s, uint16_t sid);

/* sctp_channel.c */
/* The destroy notify of s->channels. */
void lkc_sctp_channel_free(gpointer p);
/* Resets our outgoing stream sid; the id is not reused until the peer confirms. */
void lkc_sctp_channel_reset_outgoing(lkc_sctp_t *s, uint16_t sid);
/* One whole received message: DCEP to the handshake, data to on_message. */
void lkc_sctp_channel_deliver(lkc_sctp_t *s, uint16_t sid, uint32_t ppid, const uint8_t *data,
                              size_t len);
/* The SCTP_STREAM_RESET_EVENT notification. */
void lkc_sctp_channel_on_stream_reset(lkc_sctp_t *s, const struct sctp_stream_reset_event *ev);

/* sctp_queue.c */
/* One message on channel c: to usrsctp now, or into the FIFO (see there for may_drop). */
int lkc_sctp_queue_send(lkc_sctp_t *s, channel_t *c, uint32_t ppid, uint16_t flags,
                        const uint8_t *data, size_t len, bool may_drop);
/* Removes the queued messages of stream sid. */
void lkc_sctp_queue_drop_stream(lkc_sctp_t *s, uint16_t sid);
/* Hands the FIFO to usrsctp until it is empty or usrsctp is full. */
void lkc_sctp_queue_flush(lkc_sctp_t *s);
/* A flush from the main loop soon (not from inside usrsctp's SACK processing). */
void lkc_sctp_queue_schedule_flush(lkc_sctp_t *s);
/* Frees every queued message and zeroes the counters. */
void lkc_sctp_queue_clear(lkc_sctp_t *s);

#endif
