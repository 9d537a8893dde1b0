/* SDP captured from livekit-server v1.13.5 and from lkc talking to it (tests/unit/data/
 * sdp/captured): each parses and round-trips, and the PeerConnection code answers the
 * server's real offer and reads the server's real answers the way the interop needs. */
#include "rtc/peer.h"
#include "rtc/sdp.h"
#include "test.h"

#define DIR LKC_SOURCE_DIR "/tests/unit/data/sdp/captured/"

static char *load(const char *name)
{
    char *text = NULL;
    CHECK(g_file_get_contents(name, &text, NULL, NULL), "cannot read %s", name);
    return text;
}

static lkc_sdp_t *parse_file(const char *name)
{
    char *text = load(name);
    char err[200] = "";
    lkc_sdp_t *s = NULL;
    CHECK(lkc_sdp_parse(text, strlen(text), &s, err, sizeof err) == LKC_OK, "%s: %s", name, err);
    char *again = lkc_sdp_write(s);
    lkc_sdp_t *s2 = NULL;
    CHECK(again && lkc_sdp_parse(again, strlen(again), &s2, err, sizeof err) == LKC_OK, "%s rewritten: %s", name, err);
    CHECK(lkc_sdp_equal(s, s2), "%s does not round-trip", name);
    lkc_sdp_free(s2);
    free(again);
    g_free(text);
    return s;
}

static void all_parse_and_round_trip(void)
{
    const char *files[] = {"server_subscriber_offer_audio.sdp", "server_subscriber_offer_data_only.sdp",
                           "server_publisher_answer_audio.sdp", "server_publisher_answer_inactive.sdp",
                           "our_publisher_offer_audio.sdp", "our_subscriber_answer_audio.sdp"};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        char *path = g_strconcat(DIR, files[i], NULL);
        lkc_sdp_free(parse_file(path));
        g_free(path);
    }
}

static void server_offer_fields(void)
{
    lkc_sdp_t *s = parse_file(DIR "server_subscriber_offer_audio.sdp");
    CHECK_EQ_INT(s->n_media, 2);
    CHECK_STR(lkc_sdp_bundle_mid(s), "0");
    CHECK_STR(s->fingerprint.algorithm, "sha-256");
    lkc_sdp_media_t *app = s->media[0], *au = s->media[1];
    CHECK_STR(app->kind, "application");
    CHECK_EQ_INT(app->sctp_port, 5000);
    CHECK_EQ_INT(app->max_message_size, 65535);
    CHECK_EQ_INT(app->n_candidates, 4); /* components 1 and 2, udp and tcp */
    CHECK(app->end_of_candidates, "end-of-candidates");
    CHECK_STR(au->kind, "audio");
    CHECK_EQ_INT(au->direction, LKC_SDP_SENDRECV); /* pion offers sendrecv, not sendonly */
    CHECK(lkc_sdp_find_rtpmap(au, "opus", 48000, 2) && lkc_sdp_find_rtpmap(au, "opus", 48000, 2)->pt == 111, "opus");
    CHECK(lkc_sdp_find_rtpmap(au, "red", 48000, 2) != NULL, "red listed");
    CHECK_EQ_INT(au->ssrcs[0].ssrc, 1102714591u);
    CHECK_STR(au->msids[0].track, "TR_AMjrHtE8HMKXKp");
    lkc_sdp_free(s);
}

static GMainContext *ctx;

static void nothing(void *u, const char *c) {}

static lkc_peer_t *make_peer(bool offerer)
{
    lkc_peer_config_t cfg = {.ctx = ctx, .offerer = offerer, .name = offerer ? "pub" : "sub",
                             .cb = {.on_local_candidate = nothing}};
    const char *lo[] = {"127.0.0.1"};
    cfg.local_addresses = lo;
    cfg.n_local_addresses = 1;
    lkc_peer_t *p = NULL;
    CHECK_OK(lkc_peer_new(&cfg, &p));
    return p;
}

static void answer_to_the_real_offer(void)
{
    lkc_peer_t *sub = make_peer(false);
    char *offer = load(DIR "server_subscriber_offer_audio.sdp");
    char *answer = NULL;
    CHECK_OK(lkc_peer_handle_offer(sub, offer, &answer));
    char err[200];
    lkc_sdp_t *a = NULL;
    CHECK(lkc_sdp_parse(answer, strlen(answer), &a, err, sizeof err) == LKC_OK, "our answer: %s", err);
    CHECK_EQ_INT(a->n_media, 2);
    CHECK_EQ_INT(a->n_bundle, 2);
    CHECK_STR(a->media[0]->kind, "application");
    lkc_sdp_media_t *au = a->media[1];
    CHECK_STR(au->mid, "1");
    CHECK_EQ_INT(au->n_fmts, 1); /* Opus only: no RED, no G.711 */
    CHECK_STR(au->fmts[0], "111");
    CHECK_EQ_INT(au->direction, LKC_SDP_RECVONLY);
    CHECK_EQ_INT(lkc_sdp_setup(a, au), LKC_SDP_SETUP_ACTIVE);
    CHECK(au->rtcp_mux, "rtcp-mux");
    const lkc_peer_audio_t *rx = lkc_peer_audio_by_mid(sub, "1");
    CHECK(rx && rx->active && rx->ssrc == 1102714591u && rx->payload_type == 111, "receiver view");
    CHECK_STR(rx->track_id, "TR_AMjrHtE8HMKXKp");
    lkc_sdp_free(a);
    free(answer);
    g_free(offer);
    lkc_peer_free(sub);
}

static void reading_the_real_answers(void)
{
    lkc_peer_t *pub = make_peer(true);
    CHECK_OK(lkc_peer_add_data_section(pub));
    const char *mid = NULL;
    CHECK_OK(lkc_peer_add_audio_sender(pub, "PA_x", "cid-1", 1234, false, &mid));
    CHECK_OK(lkc_peer_negotiate(pub));
    char *answer = load(DIR "server_publisher_answer_audio.sdp");
    CHECK_OK(lkc_peer_set_answer(pub, answer));
    const lkc_peer_audio_t *tx = lkc_peer_audio_by_mid(pub, mid);
    CHECK(tx && tx->active, "the server's answer did not accept our audio");
    CHECK_EQ_INT(tx->payload_type, 111);
    CHECK_EQ_INT(tx->audio_level_ext, 1);
    g_free(answer);
    /* the unpublish answer: the m-line inactive */
    CHECK_OK(lkc_peer_remove_audio_sender(pub, mid));
    CHECK_OK(lkc_peer_negotiate(pub));
    answer = load(DIR "server_publisher_answer_inactive.sdp");
    CHECK_OK(lkc_peer_set_answer(pub, answer));
    CHECK(!lkc_peer_audio_by_mid(pub, mid)->active, "an inactive m-line still active");
    g_free(answer);
    lkc_peer_free(pub);
}

int main(void)
{
    ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    RUN(all_parse_and_round_trip);
    RUN(server_offer_fields);
    RUN(answer_to_the_real_offer);
    RUN(reading_the_real_answers);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
    return 0;
}
