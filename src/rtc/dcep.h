/* DCEP, the Data Channel Establishment Protocol (RFC 8832): encoding and parsing of
 * DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK. Pure functions on bytes, no I/O, no state:
 * any thread. Messages travel on the channel's own SCTP stream with PPID 50. */
#ifndef LKC_RTC_DCEP_H
#define LKC_RTC_DCEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Message types (first byte). */
#define LKC_DCEP_MSG_ACK 0x02
#define LKC_DCEP_MSG_OPEN 0x03

/* Channel types: the low bits say how reliable, bit 0x80 says unordered. */
#define LKC_DCEP_TYPE_RELIABLE 0x00
#define LKC_DCEP_TYPE_REXMIT 0x01    /* reliability = max retransmissions */
#define LKC_DCEP_TYPE_TIMED 0x02     /* reliability = max lifetime in ms */
#define LKC_DCEP_TYPE_UNORDERED 0x80

#define LKC_DCEP_PRIORITY_NORMAL 256 /* what browsers send for the default priority */
#define LKC_DCEP_OPEN_HEADER_SIZE 12

/* A DATA_CHANNEL_OPEN. label/protocol are NOT NUL-terminated: after parsing they point
 * into the parsed message (borrowed, valid as long as it is). */
typedef struct lkc_dcep_open {
    uint8_t channel_type;
    uint16_t priority;
    uint32_t reliability;
    const char *label;
    uint16_t label_len;
    const char *protocol;
    uint16_t protocol_len;
} lkc_dcep_open_t;

/* Fills type/reliability/priority of `o` from WebRTC-style parameters (label and protocol
 * are left alone): max_retransmits -1 = reliable, >= 0 = PR-SCTP with that many
 * retransmissions. LKC_ERR_INVALID_ARG for max_retransmits < -1. */
int lkc_dcep_open_set_params(lkc_dcep_open_t *o, bool ordered, int max_retransmits);

bool lkc_dcep_open_is_ordered(const lkc_dcep_open_t *o);
/* The max_retransmits of a REXMIT channel (clamped to INT32_MAX); -1 for reliable and
 * timed channels (a timed channel's limit is its reliability field, in ms). */
int lkc_dcep_open_max_retransmits(const lkc_dcep_open_t *o);

/* Size of the encoded OPEN. */
size_t lkc_dcep_open_size(const lkc_dcep_open_t *o);
/* Encodes `o` into out[cap]; *out_len gets the length. LKC_ERR_INVALID_ARG for an unknown
 * channel type or a NULL label/protocol with a non-zero length, LKC_ERR_TOO_LARGE when
 * cap is too small (nothing is written then). */
int lkc_dcep_encode_open(const lkc_dcep_open_t *o, uint8_t *out, size_t cap, size_t *out_len);
/* Parses an OPEN; on success `out` borrows label/protocol from msg. LKC_ERR_PROTOCOL for
 * a wrong type byte, an unknown channel type, a truncated message, lengths that do not
 * match the message size, or a NUL byte inside the label or protocol. */
int lkc_dcep_parse_open(const uint8_t *msg, size_t len, lkc_dcep_open_t *out);

/* An ACK is the single byte 0x02. encode returns LKC_ERR_TOO_LARGE when cap < 1. */
int lkc_dcep_encode_ack(uint8_t *out, size_t cap, size_t *out_len);
/* 0 when msg is a well-formed ACK, LKC_ERR_PROTOCOL otherwise. */
int lkc_dcep_parse_ack(const uint8_t *msg, size_t len);

/* The message type byte, or -1 for an empty message. */
int lkc_dcep_message_type(const uint8_t *msg, size_t len);

#endif
