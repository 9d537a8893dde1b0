/* 10 % random loss on the server's RTC UDP port for 20 s, each direction (iptables'
 * statistic match; this kernel has no netem): the session stays up, audio is concealed
 * and still heard at the right frequency during the loss, and the reliable data is
 * complete, once and in order. */
#include <math.h>

#include "audio_check.h"
#include "call.h"
#include "interop.h"

static void udp_loss_10_percent(void)
{
    lkc_test_call_t *c = lkc_test_call_start("rc-loss", NULL);
    lkc_test_netfault_udp_loss(10);
    gint64 t0 = g_get_monotonic_time();
    int heard = 0, tries = 0;
    while (g_get_monotonic_time() - t0 < 20 * G_USEC_PER_SEC) {
        char msg[300];
        tries++;
        if (lkc_test_call_audio_back(c, 3000, msg, sizeof msg) >= 0)
            heard++;
        else
            fprintf(stderr, "during the loss: %s\n", msg);
    }
    long long dropped = lkc_test_netfault_dropped();
    lkc_test_netfault_udp_loss(0);
    fprintf(stderr, "10%% UDP loss for 20 s: %lld packets dropped; audio both ways heard in %d of %d checks\n",
            dropped, heard, tries);
    CHECK(dropped > 100, "the loss rule dropped only %lld packets", dropped);
    CHECK(heard >= tries - 1, "audio was not heard in %d of %d checks during the loss", tries - heard, tries);
    CHECK_EQ_INT(lkc_test_events_count(lkc_test_call_events(c), "disconnected", NULL), 0);
    lkc_test_call_finish(c, "10% UDP loss for 20 s", false);
}

int main(void)
{
    lkc_test_env();
    RUN(udp_loss_10_percent);
    return 0;
}
