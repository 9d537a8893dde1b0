/* libFuzzer target for rtc/candidate. The input is read two ways, as both reach lkc from
 * the network: as an "a=candidate:" attribute (up to its first NUL) and as the
 * RTCIceCandidateInit JSON of a trickle message (whose candidate text is then parsed as
 * transport.c does). Besides "never crash, never leak", it checks:
 *   - parse: a failure is PROTOCOL and leaves *out zeroed; a success holds fields in range;
 *   - format(parse(x)) parses to the same candidate, formatting again gives the same text,
 *     and a buffer one byte short is TOO_LARGE with an empty string;
 *   - to_nice gives a NiceCandidate exactly for IP-literal addresses, and from_nice of it
 *     keeps foundation, priority, type, transport/tcptype and the address;
 *   - JSON: a failure is PROTOCOL (TOO_LARGE over 4 KiB) with nothing held; a success has
 *     "" or a "candidate:..." text, and decode(encode(d)) = d.
 * A broken contract aborts.
 *
 * Built by CMake: fuzz_candidate with -DLKC_FUZZ=ON (clang), fuzz_replay_candidate in every
 * build. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lkc/error.h"
#include "lkc/log.h"
#include "rtc/candidate.h"

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_candidate: " __VA_ARGS__);                                           \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

#define JSON_MAX 4096 /* candidate.c refuses longer JSON with TOO_LARGE */

static void quiet(lkc_log_level_t level, const char *module, const char *line, void *user)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_candidate(const lkc_candidate_t *a, const lkc_candidate_t *b)
{
    return strcmp(a->foundation, b->foundation) == 0 && a->component == b->component &&
           a->transport == b->transport && a->priority == b->priority &&
           strcmp(a->address, b->address) == 0 && a->port == b->port && a->type == b->type &&
           a->has_related == b->has_related &&
           (!a->has_related ||
            (strcmp(a->related_address, b->related_address) == 0 && a->related_port == b->related_port)) &&
           a->tcptype == b->tcptype;
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* The address as binary, when it is an IP literal. */
static int ip_literal(const char *s, unsigned char bin[16])
{
    memset(bin, 0, 16);
    if (inet_pton(AF_INET, s, bin) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, s, bin) == 1)
        return AF_INET6;
    return 0;
}

/* libnice reads addresses with getaddrinfo(AI_NUMERICHOST), which also takes the inet_aton
 * forms ("127.1", "2130706433", "0x7f.0.0.1", "127.0.001"). candidate.c lets those through
 * as DNS names, so to_nice returns an IPv4 candidate for them although candidate.h says
 * names give NULL (reported; tests/fuzz/findings/candidate-inet-aton). Tolerated here. */
static bool inet_aton_form(const char *s, unsigned char bin[16])
{
    struct in_addr a;
    memset(bin, 0, 16);
    if (inet_aton(s, &a) == 0)
        return false;
    memcpy(bin, &a, sizeof a);
    return true;
}

static void check_nice(const lkc_candidate_t *c)
{
    unsigned char want[16], got[16];
    int family = ip_literal(c->address, want);
    NiceCandidate *nc = lkc_candidate_to_nice(c, 7);
    if (!nc) {
        if (family)
            FAIL("IP literal '%s' refused by to_nice", c->address);
        return;
    }
    if (!family && inet_aton_form(c->address, want))
        family = AF_INET;
    if (!family)
        FAIL("to_nice took '%s', which is not an IP literal", c->address);
    if (nc->stream_id != 7 || nc->component_id != 1)
        FAIL("to_nice stream %u component %u", nc->stream_id, nc->component_id);
    lkc_candidate_t back;
    lkc_candidate_from_nice(nc, &back);
    lkc_candidate_tcptype_t tcptype =
        c->transport == LKC_CANDIDATE_TCP && c->tcptype == LKC_CANDIDATE_TCPTYPE_NONE ? LKC_CANDIDATE_TCPTYPE_PASSIVE
                                                                                      : c->tcptype;
    if (strcmp(back.foundation, c->foundation) != 0 || back.priority != c->priority || back.type != c->type ||
        back.transport != c->transport || back.tcptype != tcptype || back.has_related ||
        back.port != (c->port ? c->port : 9))
        FAIL("from_nice(to_nice(c)) differs for '%s'", c->address);
    if (ip_literal(back.address, got) != family || memcmp(want, got, 16) != 0)
        FAIL("address '%s' came back as '%s'", c->address, back.address);
    nice_candidate_free(nc);
}

static void check_attr(const char *attr)
{
    lkc_candidate_t c;
    memset(&c, 0xa5, sizeof c);
    int rc = lkc_candidate_parse(attr, &c);
    if (rc != LKC_OK) {
        if (rc != LKC_ERR_PROTOCOL || !all_zero(&c, sizeof c))
            FAIL("parse failed with %d and left *out dirty", rc);
        return;
    }
    size_t flen = strnlen(c.foundation, sizeof c.foundation), alen = strnlen(c.address, sizeof c.address);
    if (flen == 0 || flen > LKC_CANDIDATE_FOUNDATION_MAX || alen == 0 || alen > LKC_CANDIDATE_ADDRESS_MAX ||
        c.component < 1 || c.component > 256 || (unsigned)c.type > LKC_CANDIDATE_RELAY ||
        (unsigned)c.transport > LKC_CANDIDATE_TCP || (unsigned)c.tcptype > LKC_CANDIDATE_TCPTYPE_SO ||
        (c.transport == LKC_CANDIDATE_UDP && c.tcptype != LKC_CANDIDATE_TCPTYPE_NONE) ||
        (c.has_related && !c.related_address[0]))
        FAIL("parsed candidate out of range");

    char text[1024], again[1024];
    int n = lkc_candidate_format(&c, text, sizeof text);
    if (n <= 0 || (size_t)n != strlen(text) || strncmp(text, "candidate:", 10) != 0)
        FAIL("format of a parsed candidate: %d", n);
    char small[1024];
    if (lkc_candidate_format(&c, small, (size_t)n) != LKC_ERR_TOO_LARGE || small[0] != '\0')
        FAIL("format into %d bytes did not say TOO_LARGE", n);
    lkc_candidate_t d;
    rc = lkc_candidate_parse(text, &d);
    /* parse reads at most LKC_CANDIDATE_ATTR_MAX characters; "candidate:" added to an input
     * that came without it, or a long raddr, can take the formatted text past that. */
    if (rc != LKC_OK && n > LKC_CANDIDATE_ATTR_MAX)
        return;
    if (rc != LKC_OK)
        FAIL("formatted text does not parse: %s", text);
    if (!same_candidate(&c, &d))
        FAIL("round trip changed the candidate: %s", text);
    if (lkc_candidate_format(&d, again, sizeof again) != n || strcmp(text, again) != 0)
        FAIL("formatting is not stable: %s / %s", text, again);
    check_nice(&c);
}

/* json-glib 1.6 reads C octal escapes ("\\200") inside JSON strings, so decode can hand out
 * text that is not UTF-8, which encode then writes as JSON that json-glib refuses to parse
 * (reported; tests/fuzz/findings/candidate-json-octal-escape). Tolerated here. */
static bool utf8(const char *s)
{
    return !s || g_utf8_validate(s, -1, NULL);
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_json(const uint8_t *data, size_t size)
{
    lkc_candidate_init_t init;
    int rc = lkc_candidate_init_decode((const char *)data, size, &init);
    if (rc != LKC_OK) {
        if ((rc != LKC_ERR_PROTOCOL && rc != LKC_ERR_TOO_LARGE) || (rc == LKC_ERR_TOO_LARGE) != (size > JSON_MAX) ||
            init.candidate || init.sdp_mid || init.username_fragment || init.sdp_mline_index != -1)
            FAIL("decode failed with %d and left something behind", rc);
        return;
    }
    if (!init.candidate || (init.candidate[0] && strncmp(init.candidate, "candidate:", 10) != 0) ||
        init.sdp_mline_index < -1 || init.sdp_mline_index > 65535)
        FAIL("decoded init out of range");
    if (init.candidate[0])
        check_attr(init.candidate); /* as transport.c hands it to the ICE agent */

    char *json = NULL;
    if (lkc_candidate_init_encode(&init, &json) != LKC_OK || !json)
        FAIL("decoded init cannot be encoded");
    lkc_candidate_init_t back;
    rc = lkc_candidate_init_decode(json, strlen(json), &back);
    /* Encoding names every member and may escape more than the input did: a text near the
     * 4 KiB cap can come back over it. The "candidate:" prefix added to a 512-character
     * candidate takes it past what decode reads. */
    bool too_long = strlen(json) > JSON_MAX || strlen(init.candidate) > LKC_CANDIDATE_ATTR_MAX;
    bool not_utf8 = !utf8(init.candidate) || !utf8(init.sdp_mid) || !utf8(init.username_fragment);
    if (rc != LKC_OK && !too_long && !not_utf8)
        FAIL("encoded init does not decode: %s", json);
    if (rc == LKC_OK) {
        if (!same_str(init.candidate, back.candidate) || !same_str(init.sdp_mid, back.sdp_mid) ||
            !same_str(init.username_fragment, back.username_fragment) ||
            init.sdp_mline_index != back.sdp_mline_index)
            FAIL("decode(encode(d)) differs: %s", json);
        lkc_candidate_init_clear(&back);
    }
    free(json);
    lkc_candidate_init_clear(&init);
    if (init.candidate || init.sdp_mid || init.username_fragment || init.sdp_mline_index != -1)
        FAIL("clear left something behind");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        lkc_set_log(LKC_LOG_ERROR, quiet, NULL);
        init = 1;
    }
    char *attr = malloc(size + 1);
    if (!attr)
        abort();
    memcpy(attr, data, size);
    attr[size] = '\0';
    check_attr(attr);
    free(attr);
    check_json(data, size);
    return 0;
}
