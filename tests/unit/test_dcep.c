/* rtc/dcep: DATA_CHANNEL_OPEN / ACK encoding and parsing (RFC 8832). */
#include "lkc/error.h"
#include "rtc/dcep.h"
#include "test.h"

static void encode_parse(const char *label, const char *protocol, bool ordered, int max_rtx,
                         lkc_dcep_open_t *parsed, uint8_t *buf, size_t cap, size_t *len)
{
    lkc_dcep_open_t o = {.label = label, .label_len = (uint16_t)strlen(label),
                         .protocol = protocol, .protocol_len = (uint16_t)strlen(protocol)};
    CHECK_OK(lkc_dcep_open_set_params(&o, ordered, max_rtx));
    CHECK_EQ_INT(lkc_dcep_open_size(&o), 12 + strlen(label) + strlen(protocol));
    CHECK_OK(lkc_dcep_encode_open(&o, buf, cap, len));
    CHECK_EQ_INT(*len, lkc_dcep_open_size(&o));
    CHECK_EQ_INT(lkc_dcep_message_type(buf, *len), LKC_DCEP_MSG_OPEN);
    CHECK_OK(lkc_dcep_parse_open(buf, *len, parsed));
    CHECK(parsed->label_len == strlen(label) && memcmp(parsed->label, label, parsed->label_len) == 0,
          "label came back as '%.*s'", parsed->label_len, parsed->label);
    CHECK(parsed->protocol_len == strlen(protocol) &&
              memcmp(parsed->protocol, protocol, parsed->protocol_len) == 0,
          "protocol came back as '%.*s'", parsed->protocol_len, parsed->protocol);
    CHECK_EQ_INT(parsed->priority, LKC_DCEP_PRIORITY_NORMAL);
}

static void open_reliable(void)
{
    uint8_t buf[64];
    size_t len;
    lkc_dcep_open_t p;
    encode_parse("_reliable", "", true, -1, &p, buf, sizeof buf, &len);
    /* Byte layout of RFC 8832 §5.1, checked once by hand. */
    static const uint8_t want[] = {0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x09, 0x00, 0x00,
                                   '_', 'r', 'e', 'l', 'i', 'a', 'b', 'l', 'e'};
    CHECK_EQ_INT(len, sizeof want);
    CHECK(memcmp(buf, want, len) == 0, "encoded bytes differ from RFC 8832 layout");
    CHECK_EQ_INT(p.channel_type, LKC_DCEP_TYPE_RELIABLE);
    CHECK(lkc_dcep_open_is_ordered(&p), "reliable channel not ordered");
    CHECK_EQ_INT(lkc_dcep_open_max_retransmits(&p), -1);
}

static void open_unordered_and_partial(void)
{
    uint8_t buf[128];
    size_t len;
    lkc_dcep_open_t p;
    /* LiveKit's lossy channel: unordered, maxRetransmits 0 -> type 0x81. */
    encode_parse("_lossy", "", false, 0, &p, buf, sizeof buf, &len);
    CHECK_EQ_INT(p.channel_type, 0x81);
    CHECK(!lkc_dcep_open_is_ordered(&p), "lossy channel ordered");
    CHECK_EQ_INT(lkc_dcep_open_max_retransmits(&p), 0);

    encode_parse("chat", "json", false, -1, &p, buf, sizeof buf, &len);
    CHECK_EQ_INT(p.channel_type, 0x80);
    CHECK_EQ_INT(lkc_dcep_open_max_retransmits(&p), -1);

    encode_parse("telemetry", "x-proto", true, 7, &p, buf, sizeof buf, &len);
    CHECK_EQ_INT(p.channel_type, 0x01);
    CHECK_EQ_INT(p.reliability, 7);
    CHECK(lkc_dcep_open_is_ordered(&p), "ordered partial channel not ordered");
    CHECK_EQ_INT(lkc_dcep_open_max_retransmits(&p), 7);

    encode_parse("", "", true, -1, &p, buf, sizeof buf, &len);
    CHECK_EQ_INT(len, 12);
    CHECK_EQ_INT(p.label_len, 0);

    /* UTF-8 labels are bytes to us. */
    encode_parse("k\xc3\xa4se", "", true, -1, &p, buf, sizeof buf, &len);
    CHECK_EQ_INT(p.label_len, 5);
}

static void open_timed_parsed(void)
{
    /* A timed channel (maxPacketLifeTime 1500 ms), unordered, as a browser may send. */
    const uint8_t msg[] = {0x03, 0x82, 0x00, 0x80, 0x00, 0x00, 0x05, 0xdc, 0x00, 0x01, 0x00, 0x02,
                           'a', 'p', 'q'};
    lkc_dcep_open_t p;
    CHECK_OK(lkc_dcep_parse_open(msg, sizeof msg, &p));
    CHECK_EQ_INT(p.channel_type, 0x82);
    CHECK_EQ_INT(p.priority, 128);
    CHECK_EQ_INT(p.reliability, 1500);
    CHECK_EQ_INT(lkc_dcep_open_max_retransmits(&p), -1);
    CHECK(p.label_len == 1 && p.label[0] == 'a', "label");
    CHECK(p.protocol_len == 2 && memcmp(p.protocol, "pq", 2) == 0, "protocol");
}

static void ack(void)
{
    uint8_t buf[4];
    size_t len = 0;
    CHECK_OK(lkc_dcep_encode_ack(buf, sizeof buf, &len));
    CHECK_EQ_INT(len, 1);
    CHECK_EQ_INT(buf[0], 0x02);
    CHECK_OK(lkc_dcep_parse_ack(buf, len));
    CHECK_EQ_INT(lkc_dcep_message_type(buf, len), LKC_DCEP_MSG_ACK);
    CHECK_EQ_INT(lkc_dcep_encode_ack(buf, 0, &len), LKC_ERR_TOO_LARGE);
    const uint8_t two[] = {0x02, 0x00}, wrong[] = {0x03};
    /* pion sends a 4-byte ACK (0x02 and three zero bytes): accepted */
    const uint8_t pion_ack[4] = {0x02, 0, 0, 0};
    CHECK_OK(lkc_dcep_parse_ack(pion_ack, sizeof pion_ack));
    CHECK_EQ_INT(lkc_dcep_parse_ack(wrong, sizeof wrong), LKC_ERR_PROTOCOL);
    CHECK_EQ_INT(lkc_dcep_parse_ack(two, 0), LKC_ERR_PROTOCOL);
    CHECK_EQ_INT(lkc_dcep_message_type(two, 0), -1);
}

static void malformed_rejected(void)
{
    uint8_t buf[64];
    size_t len;
    lkc_dcep_open_t p;
    encode_parse("label", "proto", true, -1, &p, buf, sizeof buf, &len);
    /* Every truncation fails, and so does one extra byte. */
    for (size_t n = 0; n < len; n++)
        CHECK(lkc_dcep_parse_open(buf, n, &p) == LKC_ERR_PROTOCOL, "truncated to %zu accepted", n);
    buf[len] = 'x';
    CHECK_EQ_INT(lkc_dcep_parse_open(buf, len + 1, &p), LKC_ERR_PROTOCOL);

    uint8_t bad[64];
    memcpy(bad, buf, len);
    bad[0] = 0x02; /* an ACK's type byte */
    CHECK_EQ_INT(lkc_dcep_parse_open(bad, len, &p), LKC_ERR_PROTOCOL);
    memcpy(bad, buf, len);
    bad[1] = 0x03; /* no such channel type */
    CHECK_EQ_INT(lkc_dcep_parse_open(bad, len, &p), LKC_ERR_PROTOCOL);
    memcpy(bad, buf, len);
    bad[9] = 0xff; /* label length past the end */
    CHECK_EQ_INT(lkc_dcep_parse_open(bad, len, &p), LKC_ERR_PROTOCOL);
    memcpy(bad, buf, len);
    bad[8] = 0xff, bad[9] = 0xff, bad[10] = 0xff, bad[11] = 0xff; /* 128 KiB of claims */
    CHECK_EQ_INT(lkc_dcep_parse_open(bad, len, &p), LKC_ERR_PROTOCOL);
    memcpy(bad, buf, len);
    bad[13] = 0; /* a NUL inside the label */
    CHECK_EQ_INT(lkc_dcep_parse_open(bad, len, &p), LKC_ERR_PROTOCOL);
    CHECK_EQ_INT(lkc_dcep_parse_open(NULL, 12, &p), LKC_ERR_INVALID_ARG);

    /* Encoding: too small a buffer writes nothing; bad parameters are refused. */
    lkc_dcep_open_t o = {.label = "abc", .label_len = 3};
    CHECK_OK(lkc_dcep_open_set_params(&o, true, -1));
    memset(bad, 0xee, sizeof bad);
    CHECK_EQ_INT(lkc_dcep_encode_open(&o, bad, 14, &len), LKC_ERR_TOO_LARGE);
    CHECK_EQ_INT(bad[0], 0xee);
    CHECK_EQ_INT(lkc_dcep_open_set_params(&o, true, -2), LKC_ERR_INVALID_ARG);
    o.channel_type = 0x05;
    CHECK_EQ_INT(lkc_dcep_encode_open(&o, bad, sizeof bad, &len), LKC_ERR_INVALID_ARG);
    lkc_dcep_open_t nolabel = {.label = NULL, .label_len = 2};
    CHECK_EQ_INT(lkc_dcep_encode_open(&nolabel, bad, sizeof bad, &len), LKC_ERR_INVALID_ARG);
}

int main(void)
{
    RUN(open_reliable);
    RUN(open_unordered_and_partial);
    RUN(open_timed_parsed);
    RUN(ack);
    RUN(malformed_rejected);
    return 0;
}
