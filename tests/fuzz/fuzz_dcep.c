/* libFuzzer target for rtc/dcep: the input is one message received on a data channel's
 * stream with PPID 50 (DATA_CHANNEL_OPEN or _ACK). Besides "never crash, never leak", DCEP
 * is small enough to check against RFC 8832 written out here:
 *   - parse_open accepts exactly: type 0x03, a known channel type (0x00/0x01/0x02, maybe
 *     | 0x80), label and protocol lengths that add up to the message, no NUL in either;
 *   - an accepted OPEN borrows label/protocol from the input and encodes back to the very
 *     same bytes (and refuses a buffer one byte short);
 *   - the reliability readers agree with the type byte, and set_params of what they read
 *     gives the same type back;
 *   - parse_ack accepts any message starting with 0x02 (pion pads it), and message_type
 *     is the first byte.
 * A broken contract aborts.
 *
 * Built by CMake: fuzz_dcep with -DLKC_FUZZ=ON (clang), fuzz_replay_dcep in every build. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lkc/error.h"
#include "lkc/log.h"
#include "rtc/dcep.h"

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_dcep: " __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

static void quiet(lkc_log_level_t level, const char *module, const char *line, void *user)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 8832 §5.1, independently of dcep.c. */
static bool valid_open(const uint8_t *m, size_t n)
{
    if (n < 12 || m[0] != LKC_DCEP_MSG_OPEN)
        return false;
    uint8_t kind = m[1] & 0x7f;
    if (kind != 0x00 && kind != 0x01 && kind != 0x02)
        return false;
    size_t ll = (size_t)m[8] << 8 | m[9], pl = (size_t)m[10] << 8 | m[11];
    if (12 + ll + pl != n)
        return false;
    return !memchr(m + 12, 0, ll + pl);
}

static void check_open(const uint8_t *data, size_t size, const lkc_dcep_open_t *o)
{
    const char *base = (const char *)data;
    if (o->label != base + 12 || o->protocol != o->label + o->label_len ||
        12u + o->label_len + o->protocol_len != size || lkc_dcep_open_size(o) != size)
        FAIL("OPEN label %u + protocol %u bytes do not cover %zu", o->label_len, o->protocol_len, size);
    if (o->channel_type != data[1] || o->priority != (data[2] << 8 | data[3]) ||
        o->reliability != ((uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 | (uint32_t)data[6] << 8 | data[7]))
        FAIL("OPEN fields differ from the bytes");

    bool ordered = lkc_dcep_open_is_ordered(o);
    if (ordered != !(o->channel_type & LKC_DCEP_TYPE_UNORDERED))
        FAIL("ordered %d for type 0x%02x", ordered, o->channel_type);
    int rtx = lkc_dcep_open_max_retransmits(o);
    uint8_t kind = o->channel_type & 0x7f;
    if (kind == LKC_DCEP_TYPE_REXMIT) {
        if (rtx != (o->reliability > INT32_MAX ? INT32_MAX : (int)o->reliability))
            FAIL("max_retransmits %d for reliability %u", rtx, o->reliability);
    } else if (rtx != -1) {
        FAIL("max_retransmits %d for type 0x%02x", rtx, o->channel_type);
    }
    if (kind != LKC_DCEP_TYPE_TIMED) {
        lkc_dcep_open_t p = *o;
        if (lkc_dcep_open_set_params(&p, ordered, rtx) != LKC_OK || p.channel_type != o->channel_type ||
            lkc_dcep_open_max_retransmits(&p) != rtx || p.label != o->label || p.label_len != o->label_len)
            FAIL("set_params(%d, %d) gave type 0x%02x, not 0x%02x", ordered, rtx, p.channel_type,
                 o->channel_type);
    }

    uint8_t *buf = malloc(size);
    if (!buf)
        abort();
    size_t len = 0;
    if (lkc_dcep_encode_open(o, buf, size - 1, &len) != LKC_ERR_TOO_LARGE || len != 0)
        FAIL("encoding into a buffer one byte short did not say TOO_LARGE");
    if (lkc_dcep_encode_open(o, buf, size, &len) != LKC_OK || len != size || memcmp(buf, data, size) != 0)
        FAIL("encode(parse(x)) is not x");
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        lkc_set_log(LKC_LOG_ERROR, quiet, NULL);
        init = 1;
    }
    int type = lkc_dcep_message_type(data, size);
    if (type != (size ? data[0] : -1))
        FAIL("message_type %d", type);

    bool ack = size >= 1 && data[0] == LKC_DCEP_MSG_ACK;
    if ((lkc_dcep_parse_ack(data, size) == LKC_OK) != ack)
        FAIL("parse_ack disagrees (first byte 0x%02x, %zu bytes)", size ? data[0] : 0, size);

    lkc_dcep_open_t o;
    memset(&o, 0, sizeof o);
    int rc = lkc_dcep_parse_open(data, size, &o);
    bool want = valid_open(data, size);
    if ((rc == LKC_OK) != want || (rc != LKC_OK && rc != LKC_ERR_PROTOCOL))
        FAIL("parse_open returned %d for a%s OPEN", rc, want ? " valid" : "n invalid");
    if (rc == LKC_OK)
        check_open(data, size, &o);

    uint8_t one[4];
    size_t len = 0;
    if (lkc_dcep_encode_ack(one, sizeof one, &len) != LKC_OK || len != 1 || lkc_dcep_parse_ack(one, len) != LKC_OK)
        FAIL("ACK does not round-trip");
    return 0;
}
