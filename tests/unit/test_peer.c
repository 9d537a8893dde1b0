/* rtc/peer: two PeerConnections in one process (an offerer like our publisher PC and an
 * answerer like our subscriber PC), exchanging SDP and trickled candidates directly, over
 * real ICE on loopback: DTLS, data channels both ways, SRTP RTP to the right m-line,
 * renegotiation, and a fingerprint mismatch that fails the connection. */
#include "rtc/peer.h"
#include "rtc/rtp.h"
#include "rtc/srtp.h"
#include "test.h"

typedef struct side {
    const char *name;
    lkc_peer_t *peer;
    struct side *other;
    lkc_peer_state_t state;
    char reason[200];
    int channels_open;
    int messages;
    char last_label[32];
    char last_message[256];
    int rtp;
    char rtp_mid[16];
    int rtp_pt;
} side_t;

static GMainContext *ctx;

static void on_candidate(void *u, const char *c)
{
    side_t *s = u;
    if (c)
        lkc_peer_add_remote_candidate(s->other->peer, c);
    else
        lkc_peer_remote_candidates_done(s->other->peer);
}

static void on_offer(void *u, const char *sdp)
{
    side_t *s = u;
    char *answer = NULL;
    CHECK_OK(lkc_peer_handle_offer(s->other->peer, sdp, &answer));
    CHECK_OK(lkc_peer_set_answer(s->peer, answer));
    free(answer);
}

static void on_state(void *u, lkc_peer_state_t st, const char *reason)
{
    side_t *s = u;
    s->state = st;
    g_strlcpy(s->reason, reason, sizeof s->reason);
}

static void on_open(void *u, const char *label)
{
    ((side_t *)u)->channels_open++;
}

static void on_message(void *u, const char *label, bool binary, const uint8_t *d, size_t n)
{
    side_t *s = u;
    s->messages++;
    g_strlcpy(s->last_label, label, sizeof s->last_label);
    snprintf(s->last_message, sizeof s->last_message, "%.*s", (int)n, (const char *)d);
}

static void on_rtp(void *u, const char *mid, uint8_t *pkt, size_t len)
{
    side_t *s = u;
    s->rtp++;
    g_strlcpy(s->rtp_mid, mid ? mid : "(none)", sizeof s->rtp_mid);
    s->rtp_pt = pkt[1] & 0x7f;
}

static void make(side_t *s, const char *name, bool offerer, bool corrupt)
{
    memset(s, 0, sizeof *s);
    s->name = name;
    const char *lo[] = {"127.0.0.1"};
    lkc_peer_config_t cfg = {
        .ctx = ctx,
        .offerer = offerer,
        .local_addresses = lo,
        .n_local_addresses = 1,
        .test_corrupt_remote_fingerprint = corrupt,
        .name = name,
        .cb = {.on_local_candidate = on_candidate, .on_offer = on_offer, .on_state = on_state,
               .on_channel_open = on_open, .on_channel_message = on_message, .on_rtp = on_rtp},
        .user = s,
    };
    CHECK_OK(lkc_peer_new(&cfg, &s->peer));
}

static gboolean tick(gpointer data)
{
    return G_SOURCE_REMOVE;
}

static bool run_until(bool (*done)(void *), void *arg, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (!done(arg)) {
        if (g_get_monotonic_time() > deadline)
            return false;
        GSource *t = g_timeout_source_new(10);
        g_source_set_callback(t, tick, NULL, NULL);
        g_source_attach(t, ctx);
        g_main_context_iteration(ctx, TRUE);
        g_source_destroy(t);
        g_source_unref(t);
    }
    return true;
}

static side_t A, B;

static bool both_open(void *arg)
{
    return A.channels_open >= 2 && B.channels_open >= 2;
}
static bool b_has_messages(void *arg)
{
    return B.messages >= *(int *)arg;
}
static bool a_has_messages(void *arg)
{
    return A.messages >= *(int *)arg;
}
static bool b_has_rtp(void *arg)
{
    return B.rtp >= *(int *)arg;
}
static bool a_failed(void *arg)
{
    return A.state == LKC_PEER_FAILED || B.state == LKC_PEER_FAILED;
}

static int send_rtp(side_t *s, const char *mid, uint16_t seq)
{
    const lkc_peer_audio_t *au = lkc_peer_audio_by_mid(s->peer, mid);
    CHECK(au && au->active && au->payload_type >= 0, "audio m-line %s not negotiated", mid);
    uint8_t pkt[1500];
    uint8_t payload[40] = {0xf8, 0xff, 0xfe};
    lkc_rtp_header_t h = {.pt = (uint8_t)au->payload_type, .seq = seq, .timestamp = (uint32_t)seq * 960,
                          .ssrc = au->ssrc};
    int n = lkc_rtp_build(&h, payload, sizeof payload, pkt, sizeof pkt - LKC_SRTP_MAX_OVERHEAD);
    CHECK(n > 0, "rtp build: %d", n);
    return lkc_peer_send_rtp(s->peer, pkt, (size_t)n, sizeof pkt);
}

static void offer_answer_data_and_media(void)
{
    make(&A, "offerer", true, false);
    make(&B, "answerer", false, false);
    A.other = &B;
    B.other = &A;
    CHECK_OK(lkc_peer_add_data_section(A.peer));
    const char *mid = NULL;
    CHECK_OK(lkc_peer_add_audio_sender(A.peer, "stream-a", "track-a", 0x11223344, false, &mid));
    CHECK_OK(lkc_peer_open_channel(A.peer, "_reliable", true, -1));
    CHECK_OK(lkc_peer_open_channel(A.peer, "_lossy", false, 0));
    CHECK_OK(lkc_peer_negotiate(A.peer));
    CHECK(run_until(both_open, NULL, 10000), "channels did not open: A %d (%s %s), B %d (%s %s)",
          A.channels_open, lkc_peer_state_str(A.state), A.reason, B.channels_open, lkc_peer_state_str(B.state),
          B.reason);
    CHECK_EQ_INT(lkc_peer_state(A.peer), LKC_PEER_CONNECTED);
    CHECK_EQ_INT(lkc_peer_state(B.peer), LKC_PEER_CONNECTED);

    /* the answerer sees the sender's m-line with its SSRC and msid */
    const lkc_peer_audio_t *rx = lkc_peer_audio_by_mid(B.peer, mid);
    CHECK(rx && rx->active && rx->ssrc == 0x11223344, "answerer's view of the audio m-line");
    CHECK_STR(rx->track_id, "track-a");

    const char *hello = "hello over _reliable";
    CHECK_OK(lkc_peer_channel_send(A.peer, "_reliable", true, (const uint8_t *)hello, strlen(hello)));
    int want = 1;
    CHECK(run_until(b_has_messages, &want, 5000), "B got no message");
    CHECK_STR(B.last_label, "_reliable");
    CHECK_STR(B.last_message, hello);
    CHECK_OK(lkc_peer_channel_send(B.peer, "_lossy", true, (const uint8_t *)"back", 4));
    CHECK(run_until(a_has_messages, &want, 5000), "A got no message back");
    CHECK_STR(A.last_label, "_lossy");
    CHECK_EQ_INT(lkc_peer_channel_send(A.peer, "_nope", true, (const uint8_t *)"x", 1), LKC_ERR_STATE);

    for (uint16_t i = 0; i < 5; i++)
        CHECK_OK(send_rtp(&A, mid, (uint16_t)(100 + i)));
    int five = 5;
    CHECK(run_until(b_has_rtp, &five, 5000), "B got %d RTP packets", B.rtp);
    CHECK_STR(B.rtp_mid, mid);
    CHECK_EQ_INT(B.rtp_pt, 111);

    /* renegotiate: a second track; the first keeps flowing */
    const char *mid2 = NULL;
    CHECK_OK(lkc_peer_add_audio_sender(A.peer, "stream-a", "track-b", 0x55667788, true, &mid2));
    CHECK_OK(lkc_peer_negotiate(A.peer));
    CHECK_OK(lkc_peer_negotiate(A.peer)); /* a second request while one runs: queued, harmless */
    CHECK(lkc_peer_audio_by_mid(B.peer, mid2) && lkc_peer_audio_by_mid(B.peer, mid2)->stereo,
          "the second track is not stereo at the answerer");
    CHECK_OK(send_rtp(&A, mid2, 7));
    int six = 6;
    CHECK(run_until(b_has_rtp, &six, 5000), "no RTP on the second m-line");
    CHECK_STR(B.rtp_mid, mid2);

    lkc_pc_stats_t st;
    CHECK_OK(lkc_peer_get_stats(A.peer, &st));
    CHECK(st.packets_sent > 5 && st.bytes_received > 0, "stats not counted");
    CHECK_STR(st.transport, "udp");
    CHECK_STR(st.dtls_state, "connected");
    lkc_peer_free(A.peer);
    lkc_peer_free(B.peer);
}

static void fingerprint_mismatch_fails(void)
{
    make(&A, "offerer", true, false);
    make(&B, "answerer", false, true);
    A.other = &B;
    B.other = &A;
    CHECK_OK(lkc_peer_add_data_section(A.peer));
    CHECK_OK(lkc_peer_open_channel(A.peer, "_reliable", true, -1));
    CHECK_OK(lkc_peer_negotiate(A.peer));
    CHECK(run_until(a_failed, NULL, 40000), "a corrupted fingerprint did not fail the connection");
    CHECK(B.state == LKC_PEER_FAILED && strstr(B.reason, "DTLS"), "B: %s %s", lkc_peer_state_str(B.state),
          B.reason);
    CHECK(B.channels_open == 0 && A.channels_open == 0, "a channel opened despite the mismatch");
    lkc_peer_free(A.peer);
    lkc_peer_free(B.peer);
}

int main(void)
{
    ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    RUN(offer_answer_data_and_media);
    RUN(fingerprint_mismatch_fails);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
    return 0;
}
