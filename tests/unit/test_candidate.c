/* rtc/candidate + rtc/ice_server: candidate attribute text, RTCIceCandidateInit JSON and
 * STUN/TURN URLs, on pion-, browser- and hand-made inputs. */
#include "lkc/error.h"
#include "rtc/candidate.h"
#include "rtc/ice_server.h"
#include "test.h"

/* Parses `in`, checks it formats back to `canon`, and that `canon` is a fixed point. */
static void round_trip(const char *in, const char *canon)
{
    lkc_candidate_t c, c2;
    char out[LKC_CANDIDATE_ATTR_MAX + 1];
    CHECK_OK(lkc_candidate_parse(in, &c));
    int n = lkc_candidate_format(&c, out, sizeof out);
    CHECK(n > 0, "format of \"%s\" returned %d", in, n);
    CHECK_EQ_INT(n, strlen(out));
    CHECK_STR(out, canon);
    CHECK_OK(lkc_candidate_parse(out, &c2));
    CHECK(memcmp(&c, &c2, sizeof c) == 0, "re-parse of \"%s\" differs", out);
}

static void pion_udp_host(void)
{
    lkc_candidate_t c;
    const char *s = "candidate:1234 1 udp 2130706431 172.17.0.2 7882 typ host";
    CHECK_OK(lkc_candidate_parse(s, &c));
    CHECK_STR(c.foundation, "1234");
    CHECK_EQ_INT(c.component, 1);
    CHECK_EQ_INT(c.transport, LKC_CANDIDATE_UDP);
    CHECK_EQ_INT(c.priority, 2130706431u);
    CHECK_STR(c.address, "172.17.0.2");
    CHECK_EQ_INT(c.port, 7882);
    CHECK_EQ_INT(c.type, LKC_CANDIDATE_HOST);
    CHECK(!c.has_related, "host candidate has raddr");
    CHECK_EQ_INT(c.tcptype, LKC_CANDIDATE_TCPTYPE_NONE);
    round_trip(s, s);
    /* no prefix, "a=" prefix, upper-case transport, CRLF, extra blanks */
    round_trip("1234 1 udp 2130706431 172.17.0.2 7882 typ host", s);
    round_trip("a=candidate:1234 1 UDP 2130706431 172.17.0.2 7882 typ host\r\n", s);
    round_trip("candidate:1234  1 udp\t2130706431 172.17.0.2 7882 typ host ", s);
}

static void pion_tcp_passive(void)
{
    const char *canon =
        "candidate:3 1 tcp 1671430143 10.0.0.5 7881 typ srflx raddr 0.0.0.0 rport 0 tcptype passive";
    /* newer pion: tcptype after raddr/rport; older: before */
    round_trip(canon, canon);
    round_trip("candidate:3 1 tcp 1671430143 10.0.0.5 7881 typ srflx tcptype passive raddr 0.0.0.0 "
               "rport 0",
               canon);
    round_trip("candidate:3 1 tcp 1671430143 10.0.0.5 7881 typ srflx rport 0 tcptype passive raddr "
               "0.0.0.0",
               canon);
    lkc_candidate_t c;
    CHECK_OK(lkc_candidate_parse("candidate:2 1 tcp 1518280447 127.0.0.1 7881 typ host tcptype "
                                 "passive",
                                 &c));
    CHECK_EQ_INT(c.transport, LKC_CANDIDATE_TCP);
    CHECK_EQ_INT(c.tcptype, LKC_CANDIDATE_TCPTYPE_PASSIVE);
    CHECK_OK(lkc_candidate_parse("candidate:2 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active",
                                 &c));
    CHECK_EQ_INT(c.tcptype, LKC_CANDIDATE_TCPTYPE_ACTIVE);
    CHECK_OK(lkc_candidate_parse("candidate:2 1 tcp 1518280447 127.0.0.1 5000 typ host tcptype so",
                                 &c));
    CHECK_EQ_INT(c.tcptype, LKC_CANDIDATE_TCPTYPE_SO);
}

static void srflx_relay_ipv6_and_extensions(void)
{
    const char *srflx =
        "candidate:842163049 1 udp 1677729535 203.0.113.7 61021 typ srflx raddr 192.168.1.20 rport 61021";
    round_trip(srflx, srflx);
    lkc_candidate_t c;
    CHECK_OK(lkc_candidate_parse(srflx, &c));
    CHECK(c.has_related, "srflx lost raddr");
    CHECK_STR(c.related_address, "192.168.1.20");
    CHECK_EQ_INT(c.related_port, 61021);
    CHECK_EQ_INT(c.type, LKC_CANDIDATE_SRFLX);

    const char *v6 = "candidate:2 1 udp 2122262783 2001:db8::1 50000 typ host";
    round_trip(v6, v6);
    round_trip("candidate:4 1 udp 16777215 2001:db8::2 3478 typ relay raddr ::ffff:192.0.2.1 rport 9",
               "candidate:4 1 udp 16777215 2001:db8::2 3478 typ relay raddr ::ffff:192.0.2.1 rport 9");
    /* Chrome's extensions are skipped, not kept */
    round_trip("candidate:1 1 udp 2113937151 192.168.0.3 51000 typ host generation 0 ufrag abcd "
               "network-id 1 network-cost 10",
               "candidate:1 1 udp 2113937151 192.168.0.3 51000 typ host");
    CHECK_OK(lkc_candidate_parse("candidate:9 1 udp 1 5e1b3c6a-0f0e-4b7e-9d4e-1c2b3a4d5e6f.local "
                                 "50000 typ host",
                                 &c));
    CHECK_STR(c.address, "5e1b3c6a-0f0e-4b7e-9d4e-1c2b3a4d5e6f.local");
    CHECK_OK(lkc_candidate_parse("candidate:x 1 udp 2 10.0.0.1 1 typ prflx", &c));
    CHECK_EQ_INT(c.type, LKC_CANDIDATE_PRFLX);
    CHECK_STR(lkc_candidate_type_str(LKC_CANDIDATE_RELAY), "relay");
}

static void malformed_candidates(void)
{
    const char *bad[] = {
        "",
        "candidate:",
        "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ",            /* no type */
        "candidate:1 1 udp 2130706431 127.0.0.1 5000 type host",      /* 'type' */
        "candidate:1 1 sctp 2130706431 127.0.0.1 5000 typ host",      /* transport */
        "candidate:1 0 udp 2130706431 127.0.0.1 5000 typ host",       /* component 0 */
        "candidate:1 257 udp 2130706431 127.0.0.1 5000 typ host",     /* component */
        "candidate:1 1 udp 4294967296 127.0.0.1 5000 typ host",       /* priority > 32 bit */
        "candidate:1 1 udp -5 127.0.0.1 5000 typ host",               /* sign */
        "candidate:1 1 udp 2130706431 127.0.0.1 65536 typ host",      /* port */
        "candidate:1 1 udp 2130706431 127.0.0.1 50x typ host",        /* port */
        "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ hostile",    /* type */
        "candidate:1 1 udp 2130706431 bad/addr 5000 typ host",        /* address */
        "candidate:1 1 udp 2130706431 ..local 5000 typ host",         /* empty label */
        "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host raddr", /* dangling key */
        "candidate:1 1 udp 2130706431 1.2.3.4 5000 typ srflx raddr 1.1.1.1",   /* no rport */
        "candidate:1 1 udp 2130706431 1.2.3.4 5000 typ srflx rport 5",         /* no raddr */
        "candidate:1 1 udp 2130706431 1.2.3.4 5000 typ srflx raddr x! rport 5",/* raddr */
        "candidate:1 1 udp 2130706431 1.2.3.4 5000 typ host tcptype passive",  /* udp + tcptype */
        "candidate:1 1 tcp 2130706431 1.2.3.4 5000 typ host tcptype sideways", /* tcptype */
        "candidate:1 1 tcp 2130706431 1.2.3.4 5000 typ host tcptype active tcptype passive",
        "candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host", /* 33 chars */
        "candidate:f\xc3\xa9 1 udp 1 1.2.3.4 5 typ host",                          /* not ice-char */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        lkc_candidate_t c;
        memset(&c, 0x55, sizeof c);
        int rc = lkc_candidate_parse(bad[i], &c);
        CHECK(rc == LKC_ERR_PROTOCOL, "case %zu \"%s\" gave %d, expected LKC_ERR_PROTOCOL", i,
              bad[i], rc);
        CHECK(c.address[0] == 0 && c.port == 0, "case %zu left data in *out", i);
    }
    char longer[2048];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = 0;
    lkc_candidate_t c;
    CHECK_EQ_INT(lkc_candidate_parse(longer, &c), LKC_ERR_PROTOCOL);
    CHECK_EQ_INT(lkc_candidate_parse(NULL, &c), LKC_ERR_INVALID_ARG);

    /* formatting refuses what it cannot write, and a small buffer */
    CHECK_OK(lkc_candidate_parse("candidate:1 1 udp 1 1.2.3.4 5 typ host", &c));
    char small[10];
    CHECK_EQ_INT(lkc_candidate_format(&c, small, sizeof small), LKC_ERR_TOO_LARGE);
    CHECK_STR(small, "");
    c.address[0] = 0;
    char buf[128];
    CHECK_EQ_INT(lkc_candidate_format(&c, buf, sizeof buf), LKC_ERR_INVALID_ARG);
}

static void json_round_trip(void)
{
    lkc_candidate_init_t in = {
        .candidate = "candidate:1234 1 udp 2130706431 172.17.0.2 7882 typ host",
        .sdp_mid = "0",
        .sdp_mline_index = 0,
        .username_fragment = NULL,
    };
    char *json = NULL;
    CHECK_OK(lkc_candidate_init_encode(&in, &json));
    CHECK_STR(json, "{\"candidate\":\"candidate:1234 1 udp 2130706431 172.17.0.2 7882 typ host\","
                    "\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"usernameFragment\":null}");
    lkc_candidate_init_t out;
    CHECK_OK(lkc_candidate_init_decode(json, strlen(json), &out));
    CHECK_STR(out.candidate, in.candidate);
    CHECK_STR(out.sdp_mid, "0");
    CHECK_EQ_INT(out.sdp_mline_index, 0);
    CHECK(out.username_fragment == NULL, "usernameFragment should be null");
    lkc_candidate_init_clear(&out);
    free(json);

    lkc_candidate_init_t all_null = {.candidate = "candidate:1 1 udp 1 ::1 5 typ host",
                                     .sdp_mline_index = -1};
    CHECK_OK(lkc_candidate_init_encode(&all_null, &json));
    CHECK_STR(json, "{\"candidate\":\"candidate:1 1 udp 1 ::1 5 typ host\",\"sdpMid\":null,"
                    "\"sdpMLineIndex\":null,\"usernameFragment\":null}");
    free(json);
    lkc_candidate_init_t with_ufrag = {.candidate = "candidate:1 1 udp 1 ::1 5 typ host",
                                       .sdp_mid = "audio", .sdp_mline_index = 3,
                                       .username_fragment = "a\"b"};
    CHECK_OK(lkc_candidate_init_encode(&with_ufrag, &json));
    CHECK_OK(lkc_candidate_init_decode(json, strlen(json), &out));
    CHECK_STR(out.username_fragment, "a\"b");
    CHECK_EQ_INT(out.sdp_mline_index, 3);
    CHECK_STR(out.sdp_mid, "audio");
    lkc_candidate_init_clear(&out);
    free(json);
    CHECK_EQ_INT(lkc_candidate_init_encode(&(lkc_candidate_init_t){.sdp_mline_index = -1}, &json),
                 LKC_ERR_INVALID_ARG);
}

static void json_tolerant_decode(void)
{
    lkc_candidate_init_t out;
    /* missing optional members, and no "candidate:" prefix */
    const char *j1 = "{\"candidate\":\"1 1 udp 1 10.0.0.1 5 typ host\"}";
    CHECK_OK(lkc_candidate_init_decode(j1, strlen(j1), &out));
    CHECK_STR(out.candidate, "candidate:1 1 udp 1 10.0.0.1 5 typ host");
    CHECK(out.sdp_mid == NULL && out.username_fragment == NULL, "absent members not NULL");
    CHECK_EQ_INT(out.sdp_mline_index, -1);
    lkc_candidate_init_clear(&out);
    /* explicit nulls, unknown members, whitespace */
    const char *j2 = " { \"sdpMid\" : null, \"candidate\":\"candidate:1 1 udp 1 10.0.0.1 5 typ "
                     "host\", \"sdpMLineIndex\":null, \"usernameFragment\":null, \"x\":[1,2] } ";
    CHECK_OK(lkc_candidate_init_decode(j2, strlen(j2), &out));
    CHECK_STR(out.candidate, "candidate:1 1 udp 1 10.0.0.1 5 typ host");
    lkc_candidate_init_clear(&out);
    /* "" is end-of-candidates and stays "" */
    const char *j3 = "{\"candidate\":\"\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}";
    CHECK_OK(lkc_candidate_init_decode(j3, strlen(j3), &out));
    CHECK_STR(out.candidate, "");
    lkc_candidate_init_clear(&out);
    lkc_candidate_init_clear(&out); /* idempotent */
}

static void json_malformed(void)
{
    const char *bad[] = {
        "",
        "null",
        "[]",
        "\"candidate:1 1 udp 1 10.0.0.1 5 typ host\"",
        "{",
        "{\"candidate\":1}",
        "{\"candidate\":null}",
        "{\"sdpMid\":\"0\"}",
        "{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 5 typ host\",\"sdpMid\":0}",
        "{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 5 typ host\",\"sdpMLineIndex\":\"0\"}",
        "{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 5 typ host\",\"sdpMLineIndex\":-1}",
        "{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 5 typ host\",\"sdpMLineIndex\":0.5}",
        "{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 5 typ host\",\"usernameFragment\":{}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        lkc_candidate_init_t out;
        int rc = lkc_candidate_init_decode(bad[i], strlen(bad[i]), &out);
        CHECK(rc == LKC_ERR_PROTOCOL, "case %zu '%s' gave %d, expected LKC_ERR_PROTOCOL", i,
              bad[i], rc);
        CHECK(out.candidate == NULL && out.sdp_mid == NULL, "case %zu left strings behind", i);
    }
    /* a length shorter than the text: only the prefix is JSON, and it is cut */
    const char *j = "{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 5 typ host\"}";
    lkc_candidate_init_t out;
    CHECK_EQ_INT(lkc_candidate_init_decode(j, 10, &out), LKC_ERR_PROTOCOL);
    static char huge[8192];
    memset(huge, ' ', sizeof huge);
    CHECK_EQ_INT(lkc_candidate_init_decode(huge, sizeof huge, &out), LKC_ERR_TOO_LARGE);
}

static void ice_server_urls(void)
{
    lkc_ice_server_url_t u;
    CHECK_OK(lkc_ice_server_parse_url("stun:stun.l.google.com:19302", &u));
    CHECK_EQ_INT(u.scheme, LKC_ICE_SERVER_STUN);
    CHECK_STR(u.host, "stun.l.google.com");
    CHECK_EQ_INT(u.port, 19302);
    CHECK_EQ_INT(u.transport, LKC_ICE_SERVER_UDP);

    CHECK_OK(lkc_ice_server_parse_url("stun:127.0.0.1", &u));
    CHECK_EQ_INT(u.port, 3478);
    CHECK_OK(lkc_ice_server_parse_url("STUN:[::1]:3479", &u));
    CHECK_STR(u.host, "::1");
    CHECK_EQ_INT(u.port, 3479);
    CHECK_OK(lkc_ice_server_parse_url("stun:[2001:db8::1]", &u));
    CHECK_STR(u.host, "2001:db8::1");
    CHECK_EQ_INT(u.port, 3478);

    CHECK_OK(lkc_ice_server_parse_url("turn:192.0.2.10:3478?transport=udp", &u));
    CHECK_EQ_INT(u.scheme, LKC_ICE_SERVER_TURN);
    CHECK_STR(u.host, "192.0.2.10");
    CHECK_EQ_INT(u.transport, LKC_ICE_SERVER_UDP);
    CHECK_OK(lkc_ice_server_parse_url("turn:turn.example.com?transport=TCP", &u));
    CHECK_EQ_INT(u.port, 3478);
    CHECK_EQ_INT(u.transport, LKC_ICE_SERVER_TCP);
    CHECK_OK(lkc_ice_server_parse_url("turn:turn.example.com", &u));
    CHECK_EQ_INT(u.transport, LKC_ICE_SERVER_UDP);
    CHECK_OK(lkc_ice_server_parse_url("turns:lk.example.com:443?transport=tcp", &u));
    CHECK_EQ_INT(u.scheme, LKC_ICE_SERVER_TURNS);
    CHECK_EQ_INT(u.port, 443);
    CHECK_EQ_INT(u.transport, LKC_ICE_SERVER_TCP);
    CHECK_OK(lkc_ice_server_parse_url("turns:lk.example.com", &u));
    CHECK_EQ_INT(u.port, 5349);
    CHECK_OK(lkc_ice_server_parse_url("stuns:[::1]", &u));
    CHECK_EQ_INT(u.scheme, LKC_ICE_SERVER_STUNS);
    CHECK_STR(lkc_ice_server_scheme_str(LKC_ICE_SERVER_TURNS), "turns");

    const char *bad[] = {
        "",
        "stun",
        "http://example.com",
        "stun:",
        "stun://example.com:3478",
        "stun:example.com:",
        "stun:example.com:0",
        "stun:example.com:65536",
        "stun:example.com:34a",
        "stun:example.com:3478?transport=udp",
        "turn:user@example.com",
        "turn:example.com?transport=sctp",
        "turn:example.com?foo=bar",
        "turn:[::1",
        "turn:[nothex]:3478",
        "turn:[::1]x",
        "turn:exa mple.com",
        "turn:::1",
        "turn:-bad.example.com",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = lkc_ice_server_parse_url(bad[i], &u);
        CHECK(rc == LKC_ERR_INVALID_ARG, "URL %zu \"%s\" gave %d, expected LKC_ERR_INVALID_ARG", i,
              bad[i], rc);
        CHECK(u.host[0] == 0, "URL %zu left a host behind", i);
    }
}

int main(void)
{
    RUN(pion_udp_host);
    RUN(pion_tcp_passive);
    RUN(srflx_relay_ipv6_and_extensions);
    RUN(malformed_candidates);
    RUN(json_round_trip);
    RUN(json_tolerant_decode);
    RUN(json_malformed);
    RUN(ice_server_urls);
    return 0;
}
