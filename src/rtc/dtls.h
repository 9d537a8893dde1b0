/* One DTLS 1.2 association (OpenSSL) over a datagram transport such as an ICE
 * component: handshake in either role, peer certificate checked against the SDP
 * fingerprint, DTLS-SRTP key export, and application data (SCTP) both ways.
 *
 * Threads: everything on the thread that iterates `ctx`; nothing blocks. Callbacks run
 * on that thread, from inside lkc_dtls_start/input/write/close or from sources on ctx,
 * never from lkc_dtls_new/set_remote_fingerprint/free. Pointers passed to callbacks are
 * borrowed until the callback returns. A callback may call any function here on the
 * same object, lkc_dtls_free included (then no further callback runs). */
#ifndef LKC_RTC_DTLS_H
#define LKC_RTC_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "rtc/cert.h"
#include "rtc/srtp.h"

typedef enum lkc_dtls_role {
    LKC_DTLS_CLIENT, /* sends the ClientHello ("active" in SDP) */
    LKC_DTLS_SERVER, /* waits for it ("passive") */
} lkc_dtls_role_t;

typedef enum lkc_dtls_state {
    LKC_DTLS_NEW,        /* made, not started */
    LKC_DTLS_CONNECTING, /* handshake running, or done and awaiting the fingerprint */
    LKC_DTLS_CONNECTED,  /* fingerprint matched, keys delivered, data flows */
    LKC_DTLS_FAILED,     /* on_failed was called */
    LKC_DTLS_CLOSED,     /* closed by us or by the peer's close_notify */
} lkc_dtls_state_t;

/* Largest application datagram lkc_dtls_write takes (one DTLS record). */
#define LKC_DTLS_MAX_WRITE 16384

typedef struct lkc_dtls_config {
    GMainContext *ctx;   /* required; referenced until free */
    lkc_dtls_role_t role;
    /* The peer's a=fingerprint, e.g. "sha-256" and "AB:CD:...". Both NULL: not yet
     * known (lkc_dtls_set_remote_fingerprint later). Copied. */
    const char *remote_fp_algo;
    const char *remote_fp;
    /* DTLS-SRTP profiles offered (OpenSSL names); NULL for the default
     * "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80". The server's order decides. */
    const char *srtp_profiles;
    unsigned handshake_timeout_ms; /* 0: 30000; from start to connected, then on_failed */
    unsigned retransmit_ms;        /* 0: 400; first retransmission, doubling up to 3 s */

    /* Required: sends one datagram to the peer (drop it if the transport cannot). */
    void (*send)(void *user, const uint8_t *datagram, size_t len);
    /* Handshake done and the peer's certificate matched; keys are borrowed (copy and
     * wipe). Called at most once. */
    void (*on_connected)(void *user, const lkc_srtp_keys_t *keys);
    /* One application datagram received (an SCTP packet). */
    void (*on_data)(void *user, const uint8_t *buf, size_t len);
    /* The association failed for good (handshake error, timeout, fingerprint mismatch,
     * fatal alert); `reason` is a short sentence. At most once, never after on_closed. */
    void (*on_failed)(void *user, const char *reason);
    /* The peer sent close_notify after we connected (before that: on_failed). */
    void (*on_closed)(void *user);
    void *user;
} lkc_dtls_config_t;

typedef struct lkc_dtls lkc_dtls_t;

/* Makes an association in state NEW: certificate, SSL, BIOs. Nothing is sent and no
 * source is attached until start. Returns 0, LKC_ERR_INVALID_ARG (no ctx or send,
 * fingerprint half given or absurd), LKC_ERR_NO_MEMORY or LKC_ERR_INTERNAL; *out only on
 * success. The ctx thread (or before the ctx runs). */
int lkc_dtls_new(const lkc_dtls_config_t *cfg, lkc_dtls_t **out);

/* Sets or replaces the expected peer fingerprint (the SDP answer may arrive after the
 * handshake started). Accepted until the association is connected (then LKC_ERR_STATE).
 * An algorithm we cannot check is stored and fails the association when the check is
 * due. If the handshake already finished, the check runs from an idle source on ctx
 * (on_connected or on_failed follow). Returns 0, LKC_ERR_INVALID_ARG, LKC_ERR_STATE. */
int lkc_dtls_set_remote_fingerprint(lkc_dtls_t *d, const char *algo, const char *fp);

/* Starts the handshake: a client sends its first flight, a server waits. Arms the
 * handshake deadline. Once only (LKC_ERR_STATE otherwise). */
int lkc_dtls_start(lkc_dtls_t *d);

/* Feeds one received datagram (first byte 20..63 per RFC 7983). Callbacks may run from
 * inside. A server that was not started is started by its first datagram. Returns 0,
 * LKC_ERR_INVALID_ARG (empty, not DTLS, too long), LKC_ERR_STATE (client not started,
 * failed, closed). Malformed DTLS is dropped or fails the association, never crashes. */
int lkc_dtls_input(lkc_dtls_t *d, const uint8_t *buf, size_t len);

/* Sends one application datagram (e.g. an SCTP packet) as one DTLS record. Returns 0,
 * LKC_ERR_STATE before connected or after close/failure, LKC_ERR_TOO_LARGE over
 * LKC_DTLS_MAX_WRITE, LKC_ERR_INVALID_ARG, LKC_ERR_IO. */
int lkc_dtls_write(lkc_dtls_t *d, const uint8_t *buf, size_t len);

/* Sends close_notify if the handshake finished (best effort) and enters CLOSED; stops
 * all timers; no callback follows. Idempotent; 0 always for a non-NULL d. */
int lkc_dtls_close(lkc_dtls_t *d);

/* Frees the association on the ctx thread: detaches every source; no callback runs
 * afterwards. From inside one of d's own callbacks the memory is released when the
 * callback's caller unwinds. NULL is fine. No close_notify: call close first. */
void lkc_dtls_free(lkc_dtls_t *d);

/* Current state and role. The ctx thread. */
lkc_dtls_state_t lkc_dtls_get_state(const lkc_dtls_t *d);
lkc_dtls_role_t lkc_dtls_get_role(const lkc_dtls_t *d);

/* "new", "connecting", "connected", "failed", "closed" (for stats). Any thread. */
const char *lkc_dtls_state_str(lkc_dtls_state_t state);

/* The sha-256 fingerprint of the certificate this association presents (for the
 * local SDP). Owned by d, constant until lkc_dtls_free. Any thread. */
const char *lkc_dtls_local_fingerprint(const lkc_dtls_t *d);

#endif
