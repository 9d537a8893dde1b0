/* rtc/sdp: parse and write on hand-made texts shaped like what livekit-server
 * (pion), Chrome and lkc itself send; builders, lookups, copy; malformed input. */
#include "lkc/error.h"
#include "rtc/sdp.h"
#include "test.h"

#define DATA LKC_SOURCE_DIR "/tests/unit/data/sdp/"
/* a minimal valid session part, and one audio section after it */
#define HEAD "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define AUDIO HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"

/* ---- helpers ------------------------------------------------------------------------ */

static char *read_text(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, DATA "%s", name);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL, "cannot open %s", path);
    char *buf = malloc(1 << 20);
    CHECK(buf != NULL, "malloc");
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static char *to_crlf(const char *lf)
{
    char *out = malloc(strlen(lf) * 2 + 1), *o = out;
    CHECK(out != NULL, "malloc");
    for (const char *c = lf; *c; c++) {
        if (*c == '\n')
            *o++ = '\r';
        *o++ = *c;
    }
    *o = '\0';
    return out;
}

static lkc_sdp_t *parse_ok(const char *text, size_t len, const char *what)
{
    char err[256];
    lkc_sdp_t *s = NULL;
    int rc = lkc_sdp_parse(text, len, &s, err, sizeof err);
    CHECK(rc == 0 && s != NULL, "parse of %s failed: %d (%s) \"%s\"", what, rc, lkc_test_err_str(rc), err);
    return s;
}

/* True when `line` is one of the lines of `text` (CRLF or LF). */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && p[len - 1] == '\r')
            len--;
        if (len == n && memcmp(p, line, n) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* Index of the first line starting with `prefix` at or after line `from`, or -1. */
static int line_index(const char *text, const char *prefix, int from)
{
    int i = 0;
    for (const char *p = text; p && *p; i++) {
        if (i >= from && strncmp(p, prefix, strlen(prefix)) == 0)
            return i;
        const char *e = strchr(p, '\n');
        p = e ? e + 1 : NULL;
    }
    return -1;
}

/* Every line of a is in b, ignoring `except` lines (NULL: none). */
static void lines_subset(const char *a, const char *b, const char *except, const char *what)
{
    for (const char *p = a; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && p[len - 1] == '\r')
            len--;
        char line[1024];
        CHECK(len < sizeof line, "line too long in test");
        memcpy(line, p, len);
        line[len] = '\0';
        if (len && !(except && strcmp(line, except) == 0))
            CHECK(has_line(b, line), "%s: line \"%s\" is missing", what, line);
        p = e ? e + 1 : NULL;
    }
}

/* The round-trip properties on one text; returns the parsed model (caller frees).
 * same_lines: every line survives verbatim (false for texts whose numbers or
 * spacing the writer normalises). */
static lkc_sdp_t *round_trip(const char *text, size_t len, const char *what, bool same_lines)
{
    lkc_sdp_t *a = parse_ok(text, len, what);
    char *w = lkc_sdp_write(a);
    CHECK(w != NULL, "write of %s failed", what);
    CHECK(strstr(w, "\r\n") && !strstr(w, "\n\n") && w[strlen(w) - 1] == '\n', "%s: not CRLF", what);
    for (const char *c = w; (c = strchr(c, '\n')); c++)
        CHECK(c > w && c[-1] == '\r', "%s: bare LF in output", what);
    lkc_sdp_t *b = parse_ok(w, strlen(w), "written text");
    CHECK(lkc_sdp_equal(a, b), "%s: parse(write(parse(x))) differs from parse(x)", what);
    char *w2 = lkc_sdp_write(b);
    CHECK(w2 && strcmp(w, w2) == 0, "%s: writing is not stable:\n%s\n---\n%s", what, w, w2 ? w2 : "");
    /* Nothing lost, nothing invented (except a=sendrecv made explicit). */
    if (same_lines) {
        lines_subset(text, w, NULL, what);
        lines_subset(w, text, "a=sendrecv", what);
    }
    lkc_sdp_t *c = lkc_sdp_copy(a);
    CHECK(c && lkc_sdp_equal(a, c), "%s: copy differs", what);
    lkc_sdp_free(c);
    lkc_sdp_free(b);
    free(w);
    free(w2);
    return a;
}

static lkc_sdp_t *load(const char *name, char **text_out)
{
    size_t len;
    char *text = read_text(name, &len);
    lkc_sdp_t *s = round_trip(text, len, name, true);
    /* CRLF and LF give the same model */
    char *crlf = to_crlf(text);
    lkc_sdp_t *s2 = parse_ok(crlf, strlen(crlf), name);
    CHECK(lkc_sdp_equal(s, s2), "%s: CRLF and LF versions differ", name);
    lkc_sdp_free(s2);
    free(crlf);
    if (text_out)
        *text_out = text;
    else
        free(text);
    return s;
}

/* ---- realistic texts ---------------------------------------------------------------- */

static void subscriber_offer(void)
{
    lkc_sdp_t *s = load("lk_subscriber_offer.sdp", NULL);
    CHECK_STR(s->origin.username, "-");
    CHECK(s->origin.sess_id == 6541238797305442831ULL, "sess id %llu",
          (unsigned long long)s->origin.sess_id);
    CHECK_EQ_INT(s->origin.sess_version, 2);
    CHECK_STR(s->origin.address, "0.0.0.0");
    CHECK_STR(s->name, "-");
    CHECK_STR(s->timing, "0 0");
    CHECK_EQ_INT(s->n_bundle, 3);
    CHECK_STR(s->bundle[0], "0");
    CHECK_STR(s->bundle[2], "2");
    CHECK_STR(s->fingerprint.algorithm, "sha-256");
    CHECK(strncmp(s->fingerprint.value, "A5:4D:CA", 8) == 0 && strlen(s->fingerprint.value) == 95,
          "fingerprint %s", s->fingerprint.value);
    CHECK(s->extmap_allow_mixed, "extmap-allow-mixed");
    CHECK_STR(s->msid_semantic, "WMS *");
    CHECK(s->ice_ufrag == NULL && s->setup == LKC_SDP_SETUP_NONE, "no session-level ufrag/setup");
    CHECK_EQ_INT(s->n_attrs, 0);
    CHECK_EQ_INT(s->n_media, 3);

    lkc_sdp_media_t *app = s->media[0];
    CHECK_STR(app->kind, "application");
    CHECK_EQ_INT(app->port, 9);
    CHECK_STR(app->proto, "UDP/DTLS/SCTP");
    CHECK_EQ_INT(app->n_fmts, 1);
    CHECK_STR(app->fmts[0], "webrtc-datachannel");
    CHECK_STR(app->conn, "IN IP4 0.0.0.0");
    CHECK_STR(app->mid, "0");
    CHECK_EQ_INT(app->setup, LKC_SDP_SETUP_ACTPASS);
    CHECK_EQ_INT(app->direction, LKC_SDP_SENDRECV);
    CHECK_EQ_INT(app->sctp_port, 5000);
    CHECK(app->has_max_message_size && app->max_message_size == 65535, "max-message-size");
    CHECK_STR(app->ice_ufrag, "xKqPmWbrRtYvZaaS");
    CHECK_STR(app->ice_pwd, "hWbQzMnTrLkJcXvPsDfGaYuEoIpRwQtZ");
    CHECK_EQ_INT(app->n_candidates, 3);
    CHECK_STR(app->candidates[0], "candidate:2981361843 1 udp 2130706431 192.168.1.23 7882 typ host");
    CHECK_STR(app->candidates[2],
              "candidate:1502478127 1 tcp 1671430143 192.168.1.23 7881 typ host tcptype passive");
    CHECK(app->end_of_candidates, "end-of-candidates");
    CHECK(!lkc_sdp_media_is_rtp(app), "application is not RTP");

    lkc_sdp_media_t *red = s->media[1];
    CHECK_STR(red->kind, "audio");
    CHECK(lkc_sdp_media_is_rtp(red), "audio is RTP");
    CHECK_EQ_INT(red->n_fmts, 2);
    CHECK_STR(red->fmts[0], "63");
    CHECK_STR(red->fmts[1], "111");
    CHECK_EQ_INT(red->direction, LKC_SDP_SENDONLY);
    CHECK(red->rtcp_mux && red->rtcp_rsize, "rtcp-mux/rsize");
    CHECK_EQ_INT(red->n_rtpmaps, 2);
    CHECK_EQ_INT(red->rtpmaps[0].pt, 63);
    CHECK_STR(red->rtpmaps[0].encoding, "red");
    CHECK_EQ_INT(red->rtpmaps[0].clock, 48000);
    CHECK_EQ_INT(red->rtpmaps[0].channels, 2);
    CHECK_STR(lkc_sdp_find_fmtp(red, 63), "111/111");
    CHECK_STR(lkc_sdp_find_fmtp(red, 111), "minptime=10;useinbandfec=1");
    CHECK_EQ_INT(red->n_rtcpfbs, 0);
    CHECK_EQ_INT(red->n_extmaps, 1);
    CHECK_EQ_INT(red->extmaps[0].id, 1);
    CHECK(!red->extmaps[0].has_direction && red->extmaps[0].params == NULL, "extmap extras");
    CHECK_STR(red->extmaps[0].uri, "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time");
    CHECK_EQ_INT(red->n_ssrcs, 4);
    CHECK_EQ_INT(red->ssrcs[0].ssrc, 1234567);
    CHECK_STR(red->ssrcs[0].attr, "cname");
    CHECK_STR(red->ssrcs[0].value, "PA_aB3dE5fG7hJ9|TR_AMkL2mN4pQ6r");
    CHECK_STR(red->ssrcs[1].attr, "msid");
    CHECK_STR(red->ssrcs[1].value, "PA_aB3dE5fG7hJ9|TR_AMkL2mN4pQ6r TR_AMkL2mN4pQ6r");
    CHECK_STR(red->ssrcs[2].attr, "mslabel");
    CHECK_STR(red->ssrcs[3].attr, "label");
    CHECK_STR(red->ssrcs[3].value, "TR_AMkL2mN4pQ6r");
    CHECK_EQ_INT(red->n_msids, 1);
    CHECK_STR(red->msids[0].stream, "PA_aB3dE5fG7hJ9|TR_AMkL2mN4pQ6r");
    CHECK_STR(red->msids[0].track, "TR_AMkL2mN4pQ6r");
    CHECK_EQ_INT(red->n_candidates, 1);

    lkc_sdp_media_t *opus = s->media[2];
    CHECK_STR(opus->mid, "2");
    CHECK_EQ_INT(opus->n_fmts, 1);
    CHECK_STR(lkc_sdp_find_fmtp(opus, 111), "minptime=10;useinbandfec=1;sprop-stereo=1");
    CHECK_EQ_INT(opus->n_rtcpfbs, 1);
    CHECK_EQ_INT(opus->rtcpfbs[0].pt, 111);
    CHECK_STR(opus->rtcpfbs[0].value, "nack");
    CHECK(opus->ssrcs[0].ssrc == 3735928559u, "32-bit ssrc %u", (unsigned)opus->ssrcs[0].ssrc);
    lkc_sdp_free(s);
}

static void publisher_answer(void)
{
    lkc_sdp_t *s = load("lk_publisher_answer.sdp", NULL);
    CHECK_EQ_INT(s->origin.sess_version, 3);
    CHECK_EQ_INT(s->n_media, 2);
    lkc_sdp_media_t *a = s->media[0];
    CHECK_STR(a->kind, "audio");
    CHECK_EQ_INT(a->direction, LKC_SDP_RECVONLY);
    CHECK_EQ_INT(a->setup, LKC_SDP_SETUP_ACTIVE);
    CHECK_STR(lkc_sdp_find_fmtp(a, 111), "minptime=10;useinbandfec=1;usedtx=1");
    CHECK_EQ_INT(a->n_extmaps, 2);
    CHECK_STR(a->extmaps[0].uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
    CHECK_EQ_INT(a->extmaps[1].id, 2);
    CHECK_STR(a->extmaps[1].uri, "urn:ietf:params:rtp-hdrext:sdes:mid");
    CHECK_EQ_INT(a->n_ssrcs, 0);
    CHECK_EQ_INT(a->n_candidates, 3);
    CHECK_STR(a->candidates[1],
              "candidate:1822338890 1 udp 1694498815 203.0.113.7 7882 typ srflx raddr 10.0.0.5 rport 7882");
    CHECK(a->end_of_candidates, "end-of-candidates");
    lkc_sdp_media_t *d = s->media[1];
    CHECK_STR(d->mid, "1");
    CHECK_EQ_INT(d->setup, LKC_SDP_SETUP_ACTIVE);
    CHECK_EQ_INT(d->max_message_size, 65535);
    /* effective transport values: all media-level here */
    lkc_sdp_media_t *master = lkc_sdp_bundle_master(s);
    CHECK(master == a, "BUNDLE master is mid 0");
    CHECK_STR(lkc_sdp_ice_ufrag(s, master), "GkTbPnQzWrXyVcLm");
    CHECK_EQ_INT(lkc_sdp_setup(s, master), LKC_SDP_SETUP_ACTIVE);
    CHECK_STR(lkc_sdp_fingerprint(s, master)->value, s->fingerprint.value); /* session fallback */
    lkc_sdp_free(s);
}

/* Our publisher offer built with the builders must come out exactly as the sample
 * file: that pins the line order pion needs (msid before ssrc, ...). */
static void our_offer_from_builders(void)
{
    const char *cid = "2c8d3f4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
    lkc_sdp_t *s = lkc_sdp_new();
    CHECK(s != NULL, "new");
    CHECK(s->origin.sess_id < (1ULL << 63), "session id below 2^63");
    s->origin.sess_id = 4611731400430051336ULL;
    CHECK_OK(lkc_sdp_add_bundle_mid(s, "0"));
    CHECK_OK(lkc_sdp_add_bundle_mid(s, "1"));
    CHECK_OK(lkc_sdp_set_fingerprint(&s->fingerprint, "sha-256",
                                     "27:A0:AE:B3:FE:E9:23:2F:8A:F2:21:1F:9E:E4:91:C5:B1:0B:EC:B5:"
                                     "56:3B:FC:1E:6F:93:42:7E:CB:C8:FE:29"));
    s->extmap_allow_mixed = true;

    lkc_sdp_media_t *a = lkc_sdp_add_media(s, "audio", 9, "UDP/TLS/RTP/SAVPF");
    lkc_sdp_media_t *d = lkc_sdp_add_media(s, "application", 9, "UDP/DTLS/SCTP");
    CHECK(a && d, "add_media");
    /* added in a scrambled order: the writer decides the order */
    CHECK_OK(lkc_sdp_media_add_ssrc(a, 2857402312u, "cname", "lkcX9y8Z7w6V5u4T"));
    CHECK_OK(lkc_sdp_media_add_candidate(a, "candidate:1 1 UDP 2015363327 192.168.1.50 54321 typ host"));
    CHECK_OK(lkc_sdp_media_add_ssrc(a, 2857402312u, "msid", "lkc-mic 2c8d3f4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"));
    CHECK_OK(lkc_sdp_media_add_msid(a, "lkc-mic", cid));
    CHECK_OK(lkc_sdp_media_add_rtcpfb(a, 111, "nack"));
    CHECK_OK(lkc_sdp_media_add_fmtp(a, 111, "minptime=10;useinbandfec=1"));
    CHECK_OK(lkc_sdp_media_add_rtpmap(a, 111, "opus", 48000, 2));
    CHECK_OK(lkc_sdp_media_add_format(a, "111"));
    CHECK_OK(lkc_sdp_media_add_extmap(a, 1, -1, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", NULL));
    CHECK_OK(lkc_sdp_media_add_extmap(a, 2, -1, "urn:ietf:params:rtp-hdrext:sdes:mid", NULL));
    /* without the prefix: stored with it */
    CHECK_OK(lkc_sdp_media_add_candidate(a, "2 1 TCP 1015022847 192.168.1.50 9 typ host tcptype active"));
    a->direction = LKC_SDP_SENDONLY;
    a->rtcp_mux = a->rtcp_rsize = true;
    CHECK_OK(lkc_sdp_media_add_format(d, "webrtc-datachannel"));
    d->sctp_port = 5000;
    d->has_max_message_size = true;
    d->max_message_size = 65536;
    lkc_sdp_media_t *both[] = {a, d};
    for (int i = 0; i < 2; i++) {
        CHECK_OK(lkc_sdp_set_str(&both[i]->mid, i == 0 ? "0" : "1"));
        CHECK_OK(lkc_sdp_set_str(&both[i]->ice_ufrag, "Lk7cQ2"));
        CHECK_OK(lkc_sdp_set_str(&both[i]->ice_pwd, "vH3nR8sT1wY6zB4cD9fG2kM5pQ7x"));
        CHECK_OK(lkc_sdp_set_str(&both[i]->ice_options, "trickle"));
        both[i]->setup = LKC_SDP_SETUP_ACTPASS;
    }

    char *w = lkc_sdp_write(s);
    CHECK(w != NULL, "write");
    size_t len;
    char *file = read_text("our_publisher_offer.sdp", &len);
    char *expect = to_crlf(file);
    CHECK(strcmp(w, expect) == 0, "builder output differs from the sample:\n%s", w);
    /* and the sample parses to the same model */
    lkc_sdp_t *parsed = load("our_publisher_offer.sdp", NULL);
    CHECK(lkc_sdp_equal(s, parsed), "built and parsed models differ");
    CHECK(line_index(w, "a=msid:", 0) < line_index(w, "a=ssrc:", 0), "msid must precede ssrc");
    lkc_sdp_free(parsed);
    free(expect);
    free(file);
    free(w);
    lkc_sdp_free(s);
}

static void reoffer_inactive_and_rejected(void)
{
    lkc_sdp_t *s = load("lk_subscriber_reoffer.sdp", NULL);
    CHECK_EQ_INT(s->origin.sess_version, 3);
    CHECK_EQ_INT(s->n_media, 4);
    CHECK_STR(s->ice_ufrag, "NewUfragAfterRestart");
    CHECK_EQ_INT(s->setup, LKC_SDP_SETUP_ACTPASS);
    lkc_sdp_media_t *freed = lkc_sdp_find_mid(s, "1");
    CHECK(freed == s->media[1], "find mid 1");
    CHECK_EQ_INT(freed->direction, LKC_SDP_INACTIVE);
    CHECK_EQ_INT(freed->n_ssrcs, 0);
    CHECK_EQ_INT(freed->n_msids, 0);
    lkc_sdp_media_t *reused = lkc_sdp_find_mid(s, "2");
    CHECK_EQ_INT(reused->direction, LKC_SDP_SENDONLY);
    CHECK_EQ_INT(reused->ssrcs[0].ssrc, 99887766);
    CHECK_STR(reused->msids[0].track, "TR_AMr3us3dTr4ck");
    lkc_sdp_media_t *rej = lkc_sdp_find_mid(s, "3");
    CHECK(rej && rej->port == 0, "port 0 section");
    CHECK_EQ_INT(rej->direction, LKC_SDP_INACTIVE);
    CHECK_EQ_INT(rej->rtpmaps[0].channels, 0);
    /* media-level absent: session-level values apply */
    CHECK_STR(lkc_sdp_ice_ufrag(s, reused), "NewUfragAfterRestart");
    CHECK_STR(lkc_sdp_ice_pwd(s, reused), "NewPasswordAfterIceRestart0123456");
    CHECK_EQ_INT(lkc_sdp_setup(s, reused), LKC_SDP_SETUP_ACTPASS);
    CHECK(lkc_sdp_fingerprint(s, reused) == &s->fingerprint, "session fingerprint");
    CHECK(lkc_sdp_find_mid(s, "9") == NULL, "unknown mid");
    lkc_sdp_free(s);
}

static void chrome_offer(void)
{
    char *text;
    lkc_sdp_t *s = load("chrome_offer.sdp", &text);
    CHECK_STR(s->msid_semantic, " WMS 7f6c1b8e-42d0-4a3c-9b5e-1d2c3b4a5f60");
    CHECK_EQ_INT(s->n_media, 3);
    lkc_sdp_media_t *a = s->media[0], *v = s->media[1], *d = s->media[2];
    CHECK_EQ_INT(a->n_fmts, 8);
    CHECK_EQ_INT(a->n_rtpmaps, 8);
    CHECK_STR(a->ice_options, "trickle");
    CHECK_EQ_INT(a->n_attrs, 1);
    CHECK_STR(a->attrs[0].name, "rtcp");
    CHECK_STR(a->attrs[0].value, "9 IN IP4 0.0.0.0");
    CHECK_EQ_INT(a->n_candidates, 2);
    CHECK(strstr(a->candidates[0], "network-cost 10") != NULL, "candidate kept whole");
    const lkc_sdp_rtpmap_t *r = lkc_sdp_find_rtpmap(a, "OPUS", 48000, 2);
    CHECK(r && r->pt == 111, "opus/48000/2 by case-insensitive name");
    CHECK(lkc_sdp_find_rtpmap(a, "opus", 48000, 1) == NULL, "opus is 2 channels here");
    r = lkc_sdp_find_rtpmap(a, "pcmu", 8000, 1);
    CHECK(r && r->pt == 0 && r->channels == 0, "PCMU/8000 counts as 1 channel");
    r = lkc_sdp_find_rtpmap(a, "telephone-event", 8000, 0);
    CHECK(r && r->pt == 126, "telephone-event at 8000");
    CHECK(lkc_sdp_find_rtpmap(a, "H264", 0, 0) == NULL, "no H264");
    CHECK_EQ_INT(v->n_lines, 1);
    CHECK_EQ_INT(v->lines[0].type, 'b');
    CHECK_STR(v->lines[0].value, "AS:2500");
    CHECK_EQ_INT(v->n_rtcpfbs, 5);
    CHECK_STR(v->rtcpfbs[4].value, "nack pli");
    CHECK_EQ_INT(v->n_ssrc_groups, 1);
    CHECK_STR(v->ssrc_groups[0].semantics, "FID");
    CHECK_EQ_INT(v->ssrc_groups[0].n_ssrcs, 2);
    CHECK_EQ_INT(v->ssrc_groups[0].ssrcs[1], 632943048);
    CHECK_EQ_INT(v->n_extmaps, 6);
    CHECK(v->extmaps[4].has_direction && v->extmaps[4].direction == LKC_SDP_SENDRECV, "extmap dir");
    CHECK_EQ_INT(v->extmaps[4].id, 5);
    CHECK_STR(lkc_sdp_find_fmtp(v, 97), "apt=96");
    CHECK(d->mid && strcmp(d->mid, "2") == 0 && d->max_message_size == 262144, "data section");
    CHECK_EQ_INT(d->direction, LKC_SDP_SENDRECV); /* no attribute: the default */

    /* writer order within the (reordered) audio section */
    char *w = lkc_sdp_write(s);
    int m0 = line_index(w, "m=audio", 0);
    CHECK(line_index(w, "c=", m0) == m0 + 1, "c= right after m=");
    CHECK(line_index(w, "a=mid:0", m0) == m0 + 2, "mid first");
    int msid = line_index(w, "a=msid:", m0), ssrc = line_index(w, "a=ssrc:", m0);
    int cand = line_index(w, "a=candidate:", m0), rtcp = line_index(w, "a=rtcp:", m0);
    CHECK(msid > 0 && msid < ssrc && ssrc < cand && cand < rtcp, "order msid %d ssrc %d cand %d unknown %d",
          msid, ssrc, cand, rtcp);
    int rtpmap111 = line_index(w, "a=rtpmap:111", m0), fb111 = line_index(w, "a=rtcp-fb:111", m0);
    int rtpmap63 = line_index(w, "a=rtpmap:63", m0);
    CHECK(rtpmap111 < fb111 && fb111 < rtpmap63, "codec lines grouped per payload type");
    CHECK(line_index(w, "v=0", 0) == 0 && line_index(w, "o=", 0) == 1 && line_index(w, "s=", 0) == 2 &&
              line_index(w, "t=", 0) == 3 && line_index(w, "a=group:BUNDLE", 0) == 4,
          "session line order");
    free(w);
    free(text);
    lkc_sdp_free(s);
}

static void unknowns_are_kept(void)
{
    lkc_sdp_t *s = load("misc_unknowns.sdp", NULL);
    CHECK_STR(s->origin.username, "alice");
    CHECK_STR(s->name, "A session with the rarer lines");
    CHECK_EQ_INT(s->n_lines, 7); /* i u e c b, second t, r */
    CHECK_EQ_INT(s->lines[5].type, 't');
    CHECK(s->ice_lite, "ice-lite");
    CHECK_STR(s->ice_options, "trickle ice2");
    CHECK_EQ_INT(s->n_bundle, 0);
    CHECK(lkc_sdp_bundle_master(s) == s->media[0], "no group: first section");
    CHECK(lkc_sdp_bundle_mid(s) == NULL, "no BUNDLE mid");
    CHECK_STR(lkc_sdp_find_attr(s, NULL, "x-session-flag"), "");
    CHECK_STR(lkc_sdp_find_attr(s, NULL, "x-session-kv"), "some value with spaces");
    CHECK_STR(lkc_sdp_find_attr(s, NULL, "group"), "LS 0 1");
    CHECK_STR(lkc_sdp_find_attr(s, NULL, "fingerprint"),
              "sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB");
    CHECK_STR(s->fingerprint.algorithm, "sha-256");
    lkc_sdp_media_t *v = s->media[0];
    CHECK_EQ_INT(v->port, 9);
    CHECK_EQ_INT(v->port_count, 2);
    CHECK_EQ_INT(v->n_lines, 3);
    CHECK_EQ_INT(v->direction, LKC_SDP_RECVONLY);
    CHECK(!v->rtcp_mux, "rtcp-mux with a value is not the flag");
    CHECK_STR(lkc_sdp_find_attr(s, v, "rtcp-mux"), "unexpected-value");
    CHECK_STR(lkc_sdp_find_attr(s, v, "simulcast"), "send f;h");
    CHECK_EQ_INT(v->rtcpfbs[0].pt, -1);
    CHECK(v->extmaps[0].has_direction && v->extmaps[0].direction == LKC_SDP_RECVONLY, "extmap dir");
    CHECK_STR(v->extmaps[0].params, "with params");
    lkc_sdp_media_t *t = lkc_sdp_find_mid(s, "t");
    CHECK(t && t->conn == NULL && t->port == 0, "text section without c=");
    CHECK(t->msids[0].track == NULL, "msid without track");
    CHECK(t->ssrcs[0].value == NULL && strcmp(t->ssrcs[1].value, "") == 0, "ssrc attr forms");
    lkc_sdp_media_t *msrp = lkc_sdp_find_mid(s, "msrp");
    CHECK(msrp && !lkc_sdp_media_is_rtp(msrp) && strcmp(msrp->fmts[0], "*") == 0, "generic section");
    CHECK(msrp->end_of_candidates, "end-of-candidates");
    CHECK_EQ_INT(msrp->n_attrs, 2);
    lkc_sdp_free(s);
}

/* Odd but valid texts (several found by the fuzzer) keep the round-trip contract. */
static void odd_but_valid(void)
{
    static const char *const texts[] = {
        /* leading zeros in payload types, on the m= line and in attributes */
        HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 0126 007\r\na=rtpmap:0126 telephone-event/8000\r\n"
             "a=rtpmap:7 LPC/8000\r\n",
        /* runs of spaces between tokens, blank lines, no final newline */
        "v=0\n\no=-  1 2 IN IP4 0.0.0.0\ns=\nt=0 0\na=group:BUNDLE  a   b\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=mid:a\na=sctp-port:  5000",
        /* tabs are not separators; unknown values keep their spaces */
        HEAD "a=x-tab:\tvalue\twith tabs \r\na=x-colon::\r\n",
        /* extra BUNDLE groups and empty groups stay generic */
        HEAD "a=group:BUNDLE\r\na=group:BUNDLE 0\r\na=group:BUNDLE 1\r\n",
        /* a second fingerprint without a value, a second msid-semantic */
        HEAD "a=fingerprint:sha-256 AA:BB\r\na=fingerprint\r\na=msid-semantic\r\n"
             "a=msid-semantic:WMS x\r\n",
        /* a bare CR at the end of the last line only */
        HEAD "a=x-last\r",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char what[32];
        snprintf(what, sizeof what, "odd text %zu", i);
        lkc_sdp_free(round_trip(texts[i], strlen(texts[i]), what, false));
    }
    lkc_sdp_t *s = parse_ok(texts[0], strlen(texts[0]), "leading zeros");
    CHECK(s->media[0]->rtpmaps[0].pt == 126 && lkc_sdp_find_rtpmap(s->media[0], "lpc", 0, 0)->pt == 7,
          "payload types read as numbers");
    lkc_sdp_free(s);
    s = parse_ok(texts[1], strlen(texts[1]), "spaces");
    CHECK_EQ_INT(s->n_bundle, 2);
    CHECK_STR(s->bundle[1], "b");
    CHECK_STR(s->name, "");
    CHECK_EQ_INT(s->media[0]->sctp_port, 5000);
    lkc_sdp_free(s);
}

/* ---- builders, copy, writer refusals --------------------------------------------------- */

static void builders_and_refusals(void)
{
    lkc_sdp_t *s = lkc_sdp_new();
    CHECK(s != NULL, "new");
    char *w = lkc_sdp_write(s);
    CHECK(w && strncmp(w, "v=0\r\no=- ", 9) == 0 && strstr(w, " 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"),
          "empty session: %s", w ? w : "(null)");
    free(w);
    CHECK_EQ_INT(lkc_sdp_set_str(&s->ice_pwd, "pwd\r\na=evil"), LKC_ERR_INVALID_ARG);
    CHECK(s->ice_pwd == NULL, "refused value not stored");
    CHECK_EQ_INT(lkc_sdp_add_attr(s, "x", "bell\a"), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(s->n_attrs, 0);
    CHECK_EQ_INT(lkc_sdp_media_add_rtpmap(NULL, 111, "opus", 48000, 2), LKC_ERR_INVALID_ARG);
    lkc_sdp_media_t *m = lkc_sdp_add_media(s, "audio", 9, "UDP/TLS/RTP/SAVPF");
    CHECK(m != NULL, "add media");
    CHECK_EQ_INT(lkc_sdp_media_add_rtpmap(m, 128, "opus", 48000, 2), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_sdp_media_add_rtpmap(m, 111, "opus", 0, 2), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_sdp_media_add_extmap(m, 0, -1, "urn:x", NULL), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_sdp_set_fingerprint(&m->fingerprint, "sha-256", NULL), LKC_ERR_INVALID_ARG);
    /* a section without formats cannot be written */
    CHECK(lkc_sdp_write(s) == NULL, "wrote an m= line without formats");
    CHECK_OK(lkc_sdp_media_add_format(m, "111"));
    CHECK_OK(lkc_sdp_set_str(&m->mid, "a b")); /* a space would split the BUNDLE list */
    CHECK(lkc_sdp_write(s) == NULL, "wrote a mid with a space");
    CHECK_OK(lkc_sdp_set_str(&m->mid, "a"));
    CHECK_OK(lkc_sdp_media_add_format(m, "opus")); /* RTP formats are payload types */
    CHECK(lkc_sdp_write(s) == NULL, "wrote a non-numeric RTP format");
    free(m->fmts[1]);
    m->n_fmts = 1;
    m->fmts[1] = NULL;
    CHECK_OK(lkc_sdp_media_add_attr(m, "x-tab", "a\tb"));
    CHECK_OK(lkc_sdp_add_attr(s, "x-flag", NULL));
    CHECK_EQ_INT(lkc_sdp_add_attr(s, "", "v"), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_sdp_add_line(s, 'b', "CT:64"));
    w = lkc_sdp_write(s);
    CHECK(w && has_line(w, "a=x-tab:a\tb") && has_line(w, "a=x-flag") && has_line(w, "b=CT:64"),
          "unknowns written: %s", w ? w : "(null)");
    lkc_sdp_t *p = parse_ok(w, strlen(w), "builder output");
    CHECK(lkc_sdp_equal(s, p), "builder model survives a round trip");
    lkc_sdp_t *c = lkc_sdp_copy(s);
    CHECK(c && lkc_sdp_equal(c, s), "copy");
    c->media[0]->direction = LKC_SDP_INACTIVE;
    CHECK(!lkc_sdp_equal(c, s), "a changed copy is not equal");
    CHECK(s->media[0]->direction == LKC_SDP_SENDRECV, "copy is deep");
    lkc_sdp_free(c);
    lkc_sdp_free(p);
    free(w);
    lkc_sdp_free(s);
    lkc_sdp_free(NULL);
    CHECK(lkc_sdp_write(NULL) == NULL && lkc_sdp_copy(NULL) == NULL, "NULL input");
    CHECK(lkc_sdp_find_mid(NULL, "0") == NULL && lkc_sdp_bundle_master(NULL) == NULL, "NULL lookups");
    CHECK_STR(lkc_sdp_dir_str(LKC_SDP_RECVONLY), "recvonly");
    CHECK_EQ_INT(lkc_sdp_dir_parse("inactive"), LKC_SDP_INACTIVE);
    CHECK_EQ_INT(lkc_sdp_setup_parse("passive"), LKC_SDP_SETUP_PASSIVE);
    CHECK(lkc_sdp_setup_str(LKC_SDP_SETUP_NONE) == NULL, "no setup string");
}

/* ---- malformed input -------------------------------------------------------------------- */


static void malformed_table(void)
{
    static const struct {
        const char *text;
        const char *expect; /* a piece of the error message */
    } cases[] = {
        {"", "first line must be v=0"},
        {"\r\n\r\n", "first line must be v=0"},
        {"o=- 1 2 IN IP4 0.0.0.0\r\nv=0\r\n", "line 1: the first line must be v=0"},
        {"v=1\r\n", "the first line must be v=0"},
        {"v=0\r\nthis line has no equals sign\r\n", "line 2: expected <letter>=<value>"},
        {"v=0\r\n=0\r\n", "line 2: expected"},
        {"v=0\r\nO=- 1 2 IN IP4 0.0.0.0\r\n", "expected <letter>=<value>"},
        {"v=0\r\nx=unknown\r\n", "line 2: unknown line type x="},
        {"v=0\r\nv=0\r\n", "a second v= line"},
        {"v=0\r\no=- 1 2 IN IP4\r\n", "line 2: o= needs 6 fields"},
        {"v=0\r\no=- abc 2 IN IP4 0.0.0.0\r\n", "session id and version must be numbers"},
        {"v=0\r\no=- 1 18446744073709551616 IN IP4 0.0.0.0\r\n", "must be numbers"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\nt=0 0\r\n", "missing s= line"},
        {"v=0\r\ns=-\r\nt=0 0\r\n", "missing o= line"},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\n", "missing t= line"},
        {HEAD "s=again\r\n", "line 5: a second s= line"},
        {HEAD "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", "line 5: m= needs <media> <port> <proto> <format>"},
        {HEAD "m=audio\r\n", "m= needs"},
        {HEAD "m=audio 9 RTP/AVP   \r\n", "m= needs"},
        {HEAD "a=ice-options:   \r\n", "a=ice-options needs a value"},
        {HEAD "m=audio nine UDP/TLS/RTP/SAVPF 111\r\n", "m= port must be a number"},
        {HEAD "m=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n", "m= port must be a number 0..65535"},
        {HEAD "m=audio -9 UDP/TLS/RTP/SAVPF 111\r\n", "m= port must be a number"},
        {HEAD "m=audio 9/0 UDP/TLS/RTP/SAVPF 111\r\n", "port count"},
        {HEAD "m=audio 9 UDP/TLS/RTP/SAVPF opus\r\n", "payload types must be numbers 0..127"},
        {HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 111 128\r\n", "payload types must be numbers 0..127"},
        {AUDIO "t=0 0\r\n", "line 6: t= is not allowed in an m= section"},
        {AUDIO "a=rtpmap:111 opus\r\n", "line 6: a=rtpmap:111 without a clock rate"},
        {AUDIO "a=rtpmap:111 /48000\r\n", "without a clock rate"},
        {AUDIO "a=rtpmap:opus 111/48000\r\n", "a=rtpmap: payload type must be a number"},
        {AUDIO "a=rtpmap:111 opus/fast/2\r\n", "bad clock rate"},
        {AUDIO "a=rtpmap:111 opus/0/2\r\n", "bad clock rate"},
        {AUDIO "a=rtpmap:111 opus/48000/0\r\n", "channel count must be 1..255"},
        {AUDIO "a=rtpmap:111 opus/48000/2 extra\r\n", "a=rtpmap must be"},
        {AUDIO "a=rtpmap:111 opus/48000/2\r\na=rtpmap:111 opus/48000/2\r\n",
         "line 7: duplicate a=rtpmap for payload type 111"},
        {AUDIO "a=rtpmap\r\n", "a=rtpmap needs a value"},
        {AUDIO "a=fmtp:x minptime=10\r\n", "a=fmtp: payload type must be a number"},
        {AUDIO "a=rtcp-fb:111\r\n", "a=rtcp-fb needs a feedback type"},
        {AUDIO "a=rtcp-fb:-1 nack\r\n", "a=rtcp-fb: payload type"},
        {AUDIO "a=extmap:abc urn:x\r\n", "a=extmap: id must be a number"},
        {AUDIO "a=extmap:0 urn:x\r\n", "a=extmap: id must be a number"},
        {AUDIO "a=extmap:1\r\n", "a=extmap must be"},
        {AUDIO "a=extmap:1/sideways urn:x\r\n", "a=extmap: unknown direction"},
        {AUDIO "a=ssrc:abc cname:x\r\n", "a=ssrc: ssrc must be a 32-bit number"},
        {AUDIO "a=ssrc:4294967296 cname:x\r\n", "a=ssrc: ssrc must be a 32-bit number"},
        {AUDIO "a=ssrc:1\r\n", "a=ssrc must be <ssrc> <attribute>"},
        {AUDIO "a=ssrc:1 two words:x\r\n", "a=ssrc must be"},
        {AUDIO "a=ssrc-group:FID\r\n", "a=ssrc-group must be"},
        {AUDIO "a=ssrc-group:FID 1 x\r\n", "a=ssrc-group: ssrc must be"},
        {AUDIO "a=msid:\r\n", "a=msid must be"},
        {AUDIO "a=msid:a b c\r\n", "a=msid must be"},
        {AUDIO "a=mid:0\r\na=mid:1\r\n", "line 7: duplicate a=mid"},
        {AUDIO "a=mid:0\r\n" "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n", "line 8: a=mid: mid used by"},
        {AUDIO "a=mid\r\n", "a=mid needs a value"},
        {AUDIO "a=mid:a b\r\n", "a=mid needs one value"},
        {AUDIO "a=sendonly\r\na=recvonly\r\n", "line 7: more than one direction attribute"},
        {AUDIO "a=setup:sometimes\r\n", "a=setup must be actpass, active, passive or holdconn"},
        {AUDIO "a=setup:active\r\na=setup:active\r\n", "duplicate a=setup"},
        {AUDIO "a=ice-ufrag:\r\n", "a=ice-ufrag needs one value"},
        {AUDIO "a=ice-pwd:one two\r\n", "a=ice-pwd needs one value"},
        {AUDIO "a=fingerprint:sha-256\r\n", "a=fingerprint needs an algorithm and a value"},
        {AUDIO "a=candidate:\r\n", "empty a=candidate"},
        {AUDIO "a=:value\r\n", "a= line without an attribute name"},
        {AUDIO "a=\r\n", "a= line without an attribute name"},
        {HEAD "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=sctp-port:0\r\n",
         "a=sctp-port must be a number 1..65535"},
        {HEAD "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=sctp-port:port\r\n", "a=sctp-port"},
        {HEAD "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=max-message-size:-1\r\n",
         "a=max-message-size must be a number"},
        {HEAD "a=ice-ufrag:a\r\na=ice-ufrag:b\r\n", "line 6: duplicate a=ice-ufrag"},
        {HEAD "a=x\x01y\r\n", "line 5: control character"},
        {HEAD "a=x\ry\r\n", "control character"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[256] = "untouched";
        lkc_sdp_t *s = (lkc_sdp_t *)&err; /* must be reset to NULL */
        int rc = lkc_sdp_parse(cases[i].text, strlen(cases[i].text), &s, err, sizeof err);
        CHECK(rc == LKC_ERR_PROTOCOL, "case %zu (%s): rc %d, expected LKC_ERR_PROTOCOL", i,
              cases[i].expect, rc);
        CHECK(s == NULL, "case %zu: *out not NULL on failure", i);
        CHECK(strstr(err, cases[i].expect) != NULL, "case %zu: error \"%s\", expected \"%s\"", i, err,
              cases[i].expect);
    }
    /* the ICE password never shows up in an error message */
    const char *secret = AUDIO "a=ice-pwd:TopSecretPassword123\r\na=rtpmap:TopSecretPassword123\r\n";
    char err[256];
    lkc_sdp_t *s = NULL;
    CHECK(lkc_sdp_parse(secret, strlen(secret), &s, err, sizeof err) == LKC_ERR_PROTOCOL, "rejected");
    CHECK(strstr(err, "TopSecret") == NULL, "error echoes input: %s", err);
    /* NUL inside the text: the length rules, not the terminator */
    const char nul[] = HEAD "a=x\0y\r\n";
    CHECK(lkc_sdp_parse(nul, sizeof nul - 1, &s, err, sizeof err) == LKC_ERR_PROTOCOL && s == NULL,
          "NUL byte accepted");
    CHECK(strstr(err, "line 5") != NULL, "NUL error: %s", err);
    /* not NUL-terminated at len: only len bytes are read */
    const char cut[] = HEAD "a=x-last:1";
    CHECK_OK(lkc_sdp_parse(cut, sizeof cut - 3, &s, err, sizeof err));
    CHECK_STR(lkc_sdp_find_attr(s, NULL, "x-last"), "");
    lkc_sdp_free(s);
    /* argument errors */
    CHECK_EQ_INT(lkc_sdp_parse("v=0", 3, NULL, NULL, 0), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_sdp_parse(NULL, 5, &s, NULL, 0), LKC_ERR_INVALID_ARG);
    /* a tiny error buffer is filled, truncated and terminated */
    char tiny[8];
    CHECK(lkc_sdp_parse("v=2", 3, &s, tiny, sizeof tiny) == LKC_ERR_PROTOCOL, "v=2");
    CHECK(strlen(tiny) == 7, "tiny err \"%s\"", tiny);
}

static void limits(void)
{
    char err[256];
    lkc_sdp_t *s = NULL;
    size_t big = LKC_SDP_MAX_INPUT + 1;
    char *text = malloc(big + 1);
    CHECK(text != NULL, "malloc");
    /* over 1 MiB */
    memset(text, 'a', big);
    memcpy(text, "v=0\n", 4);
    CHECK_EQ_INT(lkc_sdp_parse(text, big, &s, err, sizeof err), LKC_ERR_TOO_LARGE);
    CHECK(s == NULL && strstr(err, "limit"), "too large: %s", err);
    /* one very long line */
    size_t n = (size_t)snprintf(text, big, HEAD "a=x:");
    memset(text + n, 'v', LKC_SDP_MAX_LINE);
    memcpy(text + n + LKC_SDP_MAX_LINE, "\r\n", 3);
    CHECK_EQ_INT(lkc_sdp_parse(text, strlen(text), &s, err, sizeof err), LKC_ERR_PROTOCOL);
    CHECK(strstr(err, "line 5: longer than"), "long line: %s", err);
    /* too many m= sections */
    n = (size_t)snprintf(text, big, HEAD);
    for (int i = 0; i <= LKC_SDP_MAX_MEDIA; i++)
        n += (size_t)snprintf(text + n, big - n, "m=audio 0 RTP/AVP 0\r\n");
    CHECK_EQ_INT(lkc_sdp_parse(text, n, &s, err, sizeof err), LKC_ERR_PROTOCOL);
    CHECK(strstr(err, "more than 1024 m= sections"), "media cap: %s", err);
    /* exactly at the cap is fine */
    size_t one = strlen("m=audio 0 RTP/AVP 0\r\n");
    CHECK_OK(lkc_sdp_parse(text, n - one, &s, err, sizeof err));
    CHECK_EQ_INT(s->n_media, LKC_SDP_MAX_MEDIA);
    lkc_sdp_free(s);
    /* too many lines in one section */
    n = (size_t)snprintf(text, big, HEAD "m=audio 0 RTP/AVP 0\r\n");
    for (int i = 0; i <= LKC_SDP_MAX_SECTION_LINES; i++)
        n += (size_t)snprintf(text + n, big - n, "a=x\r\n");
    CHECK_EQ_INT(lkc_sdp_parse(text, n, &s, err, sizeof err), LKC_ERR_PROTOCOL);
    CHECK(strstr(err, "lines in one section"), "section cap: %s", err);
    /* a full section still round-trips although the writer adds a=sendrecv to it */
    lkc_sdp_free(round_trip(text, n - strlen("a=x\r\n"), "full section", true));
    /* too many formats */
    n = (size_t)snprintf(text, big, HEAD "m=application 9 X");
    for (int i = 0; i <= LKC_SDP_MAX_FORMATS; i++)
        n += (size_t)snprintf(text + n, big - n, " f%d", i);
    CHECK_EQ_INT(lkc_sdp_parse(text, n, &s, err, sizeof err), LKC_ERR_PROTOCOL);
    CHECK(strstr(err, "formats"), "format cap: %s", err);
    free(text);
}

int main(void)
{
    RUN(subscriber_offer);
    RUN(publisher_answer);
    RUN(our_offer_from_builders);
    RUN(reoffer_inactive_and_rejected);
    RUN(chrome_offer);
    RUN(unknowns_are_kept);
    RUN(odd_but_valid);
    RUN(builders_and_refusals);
    RUN(malformed_table);
    RUN(limits);
    return 0;
}
