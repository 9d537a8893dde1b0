/* One SCTP association over DTLS (usrsctp, AF_CONN, no-threads mode) and its WebRTC data
 * channels (DCEP, RFC 8831/8832). Generic WebRTC: nothing here knows LiveKit.
 *
 * Threads: an lkc_sctp_t belongs to the GMainContext given at creation (the engine
 * thread). Call every function on the thread that owns that context (iterating it, or
 * holding it with g_main_context_acquire()); every callback runs there too. usrsctp's
 * timers are shared by the whole process (see sctp_stack.h): when a timer of this
 * association fires on another engine thread, its packets and notifications are copied
 * and posted to this context, so callbacks still arrive only on the owning thread.
 *
 * Callbacks get borrowed pointers, valid until they return. They may call any function
 * here, lkc_sctp_free() included (see there). */
#ifndef LKC_RTC_SCTP_H
#define LKC_RTC_SCTP_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LKC_SCTP_DEFAULT_PORT 5000
/* What we accept and send at most: advertise it as a=max-message-size. */
#define LKC_SCTP_LOCAL_MAX_MESSAGE_SIZE (256 * 1024)
/* The peer's limit when its SDP gives none (RFC 8841 says 64 KiB). */
#define LKC_SCTP_DEFAULT_REMOTE_MAX_MESSAGE_SIZE 65536
/* Messages waiting in our own send queue may not exceed this many bytes in total. */
#define LKC_SCTP_MAX_BUFFERED (16 * 1024 * 1024)

typedef struct lkc_sctp lkc_sctp_t;

typedef struct lkc_sctp_callbacks {
    /* An SCTP packet to write into DTLS (required). */
    void (*send)(void *user, const uint8_t *pkt, size_t len);
    /* The association is up (once). */
    void (*on_connected)(void *user);
    /* A channel is open: one the peer opened (after we sent the ACK) or one of ours (after
     * its ACK came back). max_retransmits is -1 for reliable (and for timed) channels. */
    void (*on_channel_open)(void *user, uint16_t stream_id, const char *label,
                            const char *protocol, bool ordered, int max_retransmits);
    /* One whole message (partial deliveries are reassembled). */
    void (*on_message)(void *user, uint16_t stream_id, bool binary, const uint8_t *data,
                       size_t len);
    /* A channel ended by a stream reset: the peer closed it, or answered our close. */
    void (*on_channel_closed)(void *user, uint16_t stream_id);
    /* The association is gone (aborted, lost, shut down): at most once, nothing works
     * afterwards but lkc_sctp_free(). */
    void (*on_closed)(void *user, const char *reason);
    /* After a reliable send was refused with LKC_ERR_WOULD_BLOCK: the FIFO has drained to
     * half of LKC_SCTP_MAX_BUFFERED, so sending may resume. Optional. */
    void (*on_sendable)(void *user);
    /* Everything sent so far has been acknowledged by the peer (SCTP sender dry, nothing
     * left in lkc's FIFO): the peer has every message handed to lkc_sctp_send. Optional. */
    void (*on_all_acked)(void *user);
} lkc_sctp_callbacks_t;

typedef struct lkc_sctp_config {
    GMainContext *ctx;                /* required; the object takes a ref */
    bool dtls_client;                 /* RFC 8832: the DTLS client opens even stream ids */
    uint16_t local_port;              /* 0 -> 5000 */
    uint16_t remote_port;             /* 0 -> 5000 */
    uint32_t remote_max_message_size; /* from the peer's SDP; 0 (absent) -> 65536; pass
                                         UINT32_MAX for an explicit "0 = no limit" */
    lkc_sctp_callbacks_t cb;
    void *user;
} lkc_sctp_config_t;

/* Creates the socket and sets it up (all fallible steps happen here; nothing is sent).
 * Holds the context's usrsctp ticker (10 ms) while the object lives. Free with
 * lkc_sctp_free(). Errors: LKC_ERR_INVALID_ARG, LKC_ERR_NO_MEMORY, LKC_ERR_IO. */
int lkc_sctp_new(const lkc_sctp_config_t *cfg, lkc_sctp_t **out);

/* Starts the association (sends INIT) once DTLS is up. Both peers connect at once, as
 * WebRTC does; the INIT collision is resolved by SCTP. LKC_ERR_STATE when called twice. */
int lkc_sctp_start(lkc_sctp_t *s);

/* Feeds one SCTP packet read from DTLS. Starts the association first if lkc_sctp_start()
 * was not called yet (a peer's INIT must not meet an unconnected socket). */
int lkc_sctp_input(lkc_sctp_t *s, const uint8_t *pkt, size_t len);

/* Opens a channel with an in-band DCEP OPEN. Allowed before the association is up (the
 * OPEN is queued and sent on connect). The stream id follows the DTLS-role parity and
 * skips ids in use. max_retransmits: -1 = reliable, >= 0 = PR-SCTP with that many
 * retransmissions. on_channel_open follows when the peer's ACK arrives, but the channel
 * can carry messages at once (sent ordered until then, RFC 8832 §6). LKC_ERR_NOT_FOUND
 * when no stream id is free, LKC_ERR_CLOSED after on_closed. */
int lkc_sctp_open_channel(lkc_sctp_t *s, const char *label, const char *protocol,
                          bool ordered, int max_retransmits, uint16_t *out_stream_id);

/* Sends one message (len 0 allowed; data may then be NULL). Copies data.
 * - LKC_ERR_TOO_LARGE (nothing sent) when len > lkc_sctp_max_message_size().
 * - LKC_ERR_STATE for an unknown stream id or a channel being closed.
 * - LKC_ERR_CLOSED after on_closed.
 * Reliable channels never drop: what usrsctp cannot take now waits in an internal FIFO
 * flushed when usrsctp reports free send space (in order, before any later message);
 * LKC_ERR_WOULD_BLOCK (nothing taken) only when that FIFO would exceed
 * LKC_SCTP_MAX_BUFFERED. PR-SCTP channels are queued only before the association is up;
 * afterwards a message that cannot go out at once is not taken: LKC_ERR_WOULD_BLOCK. */
int lkc_sctp_send(lkc_sctp_t *s, uint16_t stream_id, bool binary, const uint8_t *data,
                  size_t len);

/* Closes a channel: resets our outgoing stream once its queued messages have gone out
 * (RFC 8831 §6.7). Sending on it fails from now on; on_channel_closed follows when the
 * peer has reset its side too. LKC_ERR_STATE for an unknown or already closing channel. */
int lkc_sctp_close_channel(lkc_sctp_t *s, uint16_t stream_id);

/* Bytes waiting in our FIFO (not yet taken by usrsctp): all channels, or one channel. */
size_t lkc_sctp_buffered_amount(const lkc_sctp_t *s);
size_t lkc_sctp_channel_buffered_amount(const lkc_sctp_t *s, uint16_t stream_id);

/* The largest message lkc_sctp_send() accepts: min(remote max-message-size, our limit). */
size_t lkc_sctp_max_message_size(const lkc_sctp_t *s);

/* Ends the association with an ABORT (SO_LINGER {1,0}) and frees everything; NULL is a
 * no-op. Call on the ctx thread; the caller keeps its own ref on ctx while iterating it.
 * No callback runs after it returns, except that the send callback may carry the ABORT
 * during the call. Safe from inside this object's own callbacks: the memory (and, when
 * usrsctp itself is on the stack, the socket, whose ABORT is then not sent) is released
 * by an idle source on ctx right after the callback returns, so keep iterating ctx, or
 * drop it (destroying the context frees them too). */
void lkc_sctp_free(lkc_sctp_t *s);

#endif
