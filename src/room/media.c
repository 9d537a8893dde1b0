#include "room/media.h"

#include "base/clock.h"
#include "base/rand.h"
#include "rtc/srtp.h"

#define REPORT_US 1000000

struct lkc_media {
    lkc_media_clock_t *clock;
    lkc__local_tracks_t *local;
    lkc__remote_tracks_t *remote;
    lkc_peer_t *subscriber;   /* our receiver reports go out here */
    bool transport;           /* the peers exist */
    int64_t last_report_us;
    uint32_t rr_ssrc;
    char cname[32];
};

static void send_reports(lkc_media_t *m, int64_t now)
{
    lkc__local_tracks_send_reports(m->local, now);
    lkc_rtcp_report_block_t rb[16];
    size_t n = lkc__remote_tracks_report_blocks(m->remote, now, rb, G_N_ELEMENTS(rb));
    if (n == 0)
        return;
    lkc_rtcp_compound_t c = {.ssrc = m->rr_ssrc, .rb = rb, .rb_count = n, .cname = m->cname};
    uint8_t buf[1024 + LKC_SRTP_MAX_OVERHEAD];
    int len = lkc_rtcp_build_compound(buf, sizeof buf - LKC_SRTP_MAX_OVERHEAD, &c);
    if (len > 0)
        lkc_peer_send_rtcp(m->subscriber, buf, (size_t)len, sizeof buf);
}

/* Runs what is due: senders with frames, receivers at their playout times, reports once
 * a second; returns the earliest time anything is due next. */
static int64_t on_clock(void *data, int64_t now)
{
    lkc_media_t *m = data;
    /* The report cadence advances with or without a transport: a deadline left in the
     * past would make this high-priority source ready forever and starve the rest. */
    bool report = now - m->last_report_us >= REPORT_US;
    if (report)
        m->last_report_us = now;
    int64_t next = m->last_report_us + REPORT_US;
    if (!m->transport || !m->local || !m->remote)
        return next;
    next = MIN(next, lkc__local_tracks_run(m->local, now));
    next = MIN(next, lkc__remote_tracks_run(m->remote, now));
    if (report)
        send_reports(m, now);
    return next;
}

lkc_media_t *lkc__media_new(GMainContext *ctx)
{
    lkc_media_t *m = g_new0(lkc_media_t, 1);
    do
        m->rr_ssrc = lkc_random_u32();
    while (m->rr_ssrc == 0);
    g_snprintf(m->cname, sizeof m->cname, "lkc-%08x", m->rr_ssrc);
    m->last_report_us = lkc_mono_us();
    m->clock = lkc_media_clock_new(ctx, on_clock, m);
    return m;
}

lkc_media_clock_t *lkc__media_clock(lkc_media_t *m)
{
    return m->clock;
}

void lkc__media_attach(lkc_media_t *m, lkc__local_tracks_t *local, lkc__remote_tracks_t *remote)
{
    m->local = local;
    m->remote = remote;
}

void lkc__media_set_peers(lkc_media_t *m, lkc_peer_t *publisher, lkc_peer_t *subscriber)
{
    (void)publisher; /* senders are bound to it at publish time */
    m->subscriber = subscriber;
    m->transport = subscriber != NULL;
}

void lkc__media_free(lkc_media_t *m)
{
    if (!m)
        return;
    lkc_media_clock_free(m->clock);
    g_free(m);
}
