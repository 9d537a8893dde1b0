/* The process-wide usrsctp stack: one lazy usrsctp_init_nothreads() for the whole process,
 * the timer tick, and the table mapping opaque association ids to their owners.
 *
 * Why ids: usrsctp hands an AF_CONN address back to conn_output and to socket upcalls,
 * sometimes after the association is gone (usrsctp #147). The address we register is a
 * random 32-bit id, looked up in a table under a mutex; a late call for a gone id is
 * dropped instead of touching freed memory.
 *
 * Why marshalling: in no-threads mode the stack's clock advances only when someone calls
 * usrsctp_handle_timers(). Every association ticks it from its own GMainContext, and the
 * elapsed time comes from one global timestamp, so the clock advances once however many
 * threads tick. A timer of association A may therefore fire on B's engine thread, and
 * conn_output or A's socket upcalls run there. Each one checks whether it runs on the
 * owner's thread (g_main_context_is_owner: act directly) or not (copy the data and post it
 * to the owner's context as an idle source; the job looks the id up again when it runs,
 * so an association freed in between drops it). This module does that for conn_output
 * and for the socket upcalls, so an association's code only ever runs on its owner's thread.
 *
 * All functions: any thread, unless noted. Only the association (sctp*.c) uses this module. */
#ifndef LKC_RTC_SCTP_STACK_H
#define LKC_RTC_SCTP_STACK_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <usrsctp.h>

/* What an association handles, always on its owner's thread. */
typedef struct lkc_sctp_stack_ops {
    /* An SCTP packet usrsctp wrote (pkt borrowed for the call). */
    void (*output)(void *obj, const uint8_t *pkt, size_t len);
    /* A message piece or notification from the socket upcall; takes ownership of data
     * (malloc'd by usrsctp: free() it). data NULL means end of file. */
    void (*receive)(void *obj, void *data, size_t len, const struct sctp_rcvinfo *rcv,
                    int flags);
    /* usrsctp has send buffer space again. */
    void (*send_space)(void *obj);
} lkc_sctp_stack_ops_t;

/* Counts one more live association, initialising usrsctp on first use (its "SCTP
 * iterator" thread starts then and stays until lkc_sctp_stack_shutdown()). Pair every
 * successful acquire with one release. */
int lkc_sctp_stack_acquire(void);
void lkc_sctp_stack_release(void);

/* Registers obj, owned by (and freed on the thread of) ctx, under a fresh non-zero id that
 * is also registered with usrsctp as an AF_CONN address; ops (static storage) get its
 * packets and upcalls. Takes a ref on ctx until unregister. Only between
 * lkc_sctp_stack_acquire() and its release (usrsctp must be running). */
int lkc_sctp_stack_register(GMainContext *ctx, void *obj, const lkc_sctp_stack_ops_t *ops,
                            uint32_t *out_id);
/* Forgets id (and deregisters the usrsctp address): no later packet or upcall reaches
 * obj, whatever usrsctp still does with the id. Call on the owner's thread. */
void lkc_sctp_stack_unregister(uint32_t id);

/* Socket set-up shared by all associations. */
#define LKC_SCTP_STACK_STREAMS_OUT 1024
#define LKC_SCTP_STACK_STREAMS_IN 2048
#define LKC_SCTP_STACK_MTU 1200 /* largest SCTP packet: fits in DTLS/UDP on any path */
#define LKC_SCTP_STACK_SOCKET_BUFFER (1024 * 1024) /* send and receive buffer, each */

/* A one-to-one AF_CONN socket, non-blocking, with the options WebRTC needs (ABORT on
 * close, no Nagle, rcvinfo, stream reset, LKC_SCTP_STACK_STREAMS_OUT/IN streams, fixed
 * MTU, the notifications sctp.c handles), bound to id:local_port. Its upcalls reach the
 * ops registered under id; the send-space upcall fires while half the send buffer is
 * free. NULL on failure (logged). Close with usrsctp_close() between enter/leave. */
struct socket *lkc_sctp_stack_socket_new(uint32_t id, uint16_t local_port);

/* While any context holds it, a 20 ms timeout source advances usrsctp's (process-wide)
 * timers: one for the whole process, running on one holder's context and moving to
 * another holder when that one releases (each wake-up costs a poll of every socket of
 * the context it runs on). Hold and release on the ctx thread, in pairs. */
void lkc_sctp_stack_ticker_hold(GMainContext *ctx);
void lkc_sctp_stack_ticker_release(GMainContext *ctx);
/* The context the ticker runs on now, NULL when none holds it (tests). */
GMainContext *lkc_sctp_stack_ticker_context(void);
/* One tick now (what the ticker source calls). */
void lkc_sctp_stack_tick(void);

/* Brackets around every call into usrsctp that may call back into us (conninput, sendv,
 * setsockopt, connect, close, handle_timers), so that code run from those callbacks can
 * tell it must not close a socket (lkc_sctp_stack_in_usrsctp(), per thread). */
void lkc_sctp_stack_enter(void);
void lkc_sctp_stack_leave(void);
bool lkc_sctp_stack_in_usrsctp(void);

/* How many callbacks were marshalled to another thread since start (diagnostics/tests). */
uint64_t lkc_sctp_stack_marshalled_count(void);

/* For library exit: when no association is alive, loops usrsctp_finish() (it fails while
 * usrsctp still holds sockets) for at most ~2 s, ticking timers in between. LKC_OK when
 * finished or never started, LKC_ERR_STATE while associations are alive, LKC_ERR_TIMEOUT
 * if usrsctp would not finish. Call from a thread that runs no association. */
int lkc_sctp_stack_shutdown(void);

#endif
