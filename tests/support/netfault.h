/* Network faults between the test and its private livekit-server (private_server.h),
 * with iptables, on the loopback interface only and only for that server's ports.
 *
 * All rules live in a chain of the test's own, LKC_T<pid>, reached from INPUT by jump
 * rules "-i lo -p tcp|udp --dport|--sport <server port>" (inserted first in INPUT). The
 * rules inside carry the same matches. Every loopback packet passes INPUT once, so a
 * DROP there is a silent loss in that direction; nothing is matched in OUTPUT, where a
 * DROP would make the sender's send() fail with EPERM, which no real network does.
 *
 * Cleanup: the chain and its jumps are removed by lkc_test_netfault_teardown(), at exit
 * (atexit: a CHECK failure exits through exit()), from handlers for SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE and SIGILL (which then pass the
 * signal on to the handler that was there before: ASan's reports still come), and from
 * the sanitizer's death callback (an ASan/UBSan/TSan report ends with _exit, not
 * exit()). Only SIGKILL escapes: the next setup removes every LKC_T<pid> chain whose
 * process is gone (and one of our own name left from an earlier run).
 *
 * One per test process. Requires iptables (scripts/setup) and root (CAP_NET_ADMIN);
 * fails the test with a message saying which is missing. Calls are from one thread. */
#ifndef LKC_TEST_NETFAULT_H
#define LKC_TEST_NETFAULT_H

#include <stdbool.h>

#include "private_server.h"

/* Creates the chain and jumps for these ports (0 = none of that kind). */
void lkc_test_netfault_setup(int signal_tcp_port, int rtc_tcp_port, int rtc_udp_port);
/* The same for a private server's http, rtc tcp and rtc udp ports. */
void lkc_test_netfault_setup_for(const lkc_test_private_server_t *srv);

/* Drops every packet to and from the signal (HTTP/WebSocket) TCP port. */
void lkc_test_netfault_signal_block(void);
void lkc_test_netfault_signal_unblock(void);
/* Drops every packet to and from the RTC UDP port (ICE/DTLS/SRTP/SCTP). */
void lkc_test_netfault_udp_block(void);
void lkc_test_netfault_udp_unblock(void);
/* Drops every packet to and from the RTC TCP (ICE/TCP) port. */
void lkc_test_netfault_rtc_tcp_block(void);
void lkc_test_netfault_rtc_tcp_unblock(void);
/* Drops each packet to or from the RTC UDP port with probability percent/100 (each
 * direction on its own: -m statistic --mode random). 0 removes the loss. */
void lkc_test_netfault_udp_loss(double percent);
/* Removes every fault (the chain stays, empty). */
void lkc_test_netfault_clear(void);

/* Removes the chain and its jumps. Safe to call twice, and before setup. */
void lkc_test_netfault_teardown(void);

/* The chain's name ("LKC_T<pid>"). */
const char *lkc_test_netfault_chain(void);
/* Packets dropped by the chain's rules so far (iptables -L -v -x counters). */
long long lkc_test_netfault_dropped(void);

/* The number of chains whose name starts with `prefix` (e.g. "LKC_T") in the filter
 * table now, and, when `text` is not NULL, a copy of `iptables -S` (g_free it). */
int lkc_test_netfault_count_chains(const char *prefix, char **text);

#endif
