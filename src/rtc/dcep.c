/* DCEP (RFC 8832) message encoding and parsing. */
#include "rtc/dcep.h"

#include <stdint.h>
#include <string.h>

#include "base/log.h"
#include "lkc/error.h"

static bool channel_type_known(uint8_t t)
{
    uint8_t kind = (uint8_t)(t & ~LKC_DCEP_TYPE_UNORDERED);
    return kind == LKC_DCEP_TYPE_RELIABLE || kind == LKC_DCEP_TYPE_REXMIT ||
           kind == LKC_DCEP_TYPE_TIMED;
}

int lkc_dcep_open_set_params(lkc_dcep_open_t *o, bool ordered, int max_retransmits)
{
    if (!o || max_retransmits < -1)
        return LKC_ERR_INVALID_ARG;
    uint8_t kind = max_retransmits < 0 ? LKC_DCEP_TYPE_RELIABLE : LKC_DCEP_TYPE_REXMIT;
    o->channel_type = (uint8_t)(kind | (ordered ? 0 : LKC_DCEP_TYPE_UNORDERED));
    o->reliability = max_retransmits < 0 ? 0 : (uint32_t)max_retransmits;
    o->priority = LKC_DCEP_PRIORITY_NORMAL;
    return LKC_OK;
}

bool lkc_dcep_open_is_ordered(const lkc_dcep_open_t *o)
{
    return !(o->channel_type & LKC_DCEP_TYPE_UNORDERED);
}

int lkc_dcep_open_max_retransmits(const lkc_dcep_open_t *o)
{
    if ((o->channel_type & ~LKC_DCEP_TYPE_UNORDERED) != LKC_DCEP_TYPE_REXMIT)
        return -1;
    return o->reliability > INT32_MAX ? INT32_MAX : (int)o->reliability;
}

size_t lkc_dcep_open_size(const lkc_dcep_open_t *o)
{
    return LKC_DCEP_OPEN_HEADER_SIZE + (size_t)o->label_len + (size_t)o->protocol_len;
}

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

int lkc_dcep_encode_open(const lkc_dcep_open_t *o, uint8_t *out, size_t cap, size_t *out_len)
{
    if (!o || !out || !out_len || !channel_type_known(o->channel_type) ||
        (o->label_len && !o->label) || (o->protocol_len && !o->protocol))
        return LKC_ERR_INVALID_ARG;
    size_t n = lkc_dcep_open_size(o);
    if (cap < n)
        return LKC_ERR_TOO_LARGE;
    out[0] = LKC_DCEP_MSG_OPEN;
    out[1] = o->channel_type;
    put_u16(out + 2, o->priority);
    out[4] = (uint8_t)(o->reliability >> 24);
    out[5] = (uint8_t)(o->reliability >> 16);
    out[6] = (uint8_t)(o->reliability >> 8);
    out[7] = (uint8_t)o->reliability;
    put_u16(out + 8, o->label_len);
    put_u16(out + 10, o->protocol_len);
    if (o->label_len)
        memcpy(out + LKC_DCEP_OPEN_HEADER_SIZE, o->label, o->label_len);
    if (o->protocol_len)
        memcpy(out + LKC_DCEP_OPEN_HEADER_SIZE + o->label_len, o->protocol, o->protocol_len);
    *out_len = n;
    return LKC_OK;
}

int lkc_dcep_parse_open(const uint8_t *msg, size_t len, lkc_dcep_open_t *out)
{
    if (!msg || !out)
        return LKC_ERR_INVALID_ARG;
    if (len < LKC_DCEP_OPEN_HEADER_SIZE || msg[0] != LKC_DCEP_MSG_OPEN) {
        LKC_LOGW("rtc.dcep", "not a DATA_CHANNEL_OPEN (%zu bytes)", len);
        return LKC_ERR_PROTOCOL;
    }
    lkc_dcep_open_t o = {
        .channel_type = msg[1],
        .priority = get_u16(msg + 2),
        .reliability = (uint32_t)msg[4] << 24 | (uint32_t)msg[5] << 16 | (uint32_t)msg[6] << 8 | msg[7],
        .label_len = get_u16(msg + 8),
        .protocol_len = get_u16(msg + 10),
    };
    if (!channel_type_known(o.channel_type)) {
        LKC_LOGW("rtc.dcep", "OPEN with unknown channel type 0x%02x", o.channel_type);
        return LKC_ERR_PROTOCOL;
    }
    /* The lengths must account for the message exactly: a longer message is as suspect as
     * a shorter one. */
    if (lkc_dcep_open_size(&o) != len) {
        LKC_LOGW("rtc.dcep", "OPEN lengths %u+%u do not match its size %zu", o.label_len,
                 o.protocol_len, len);
        return LKC_ERR_PROTOCOL;
    }
    o.label = (const char *)msg + LKC_DCEP_OPEN_HEADER_SIZE;
    o.protocol = o.label + o.label_len;
    /* Callers hand these on as C strings, so an embedded NUL would silently truncate. */
    if (memchr(o.label, 0, o.label_len) || memchr(o.protocol, 0, o.protocol_len)) {
        LKC_LOGW("rtc.dcep", "OPEN label or protocol contains a NUL byte");
        return LKC_ERR_PROTOCOL;
    }
    *out = o;
    return LKC_OK;
}

int lkc_dcep_encode_ack(uint8_t *out, size_t cap, size_t *out_len)
{
    if (!out || !out_len)
        return LKC_ERR_INVALID_ARG;
    if (cap < 1)
        return LKC_ERR_TOO_LARGE;
    out[0] = LKC_DCEP_MSG_ACK;
    *out_len = 1;
    return LKC_OK;
}

int lkc_dcep_parse_ack(const uint8_t *msg, size_t len)
{
    /* RFC 8832's ACK is one byte; pion pads it to 4 (zeros). Accept trailing bytes. */
    if (!msg || len < 1 || msg[0] != LKC_DCEP_MSG_ACK) {
        LKC_LOGW("rtc.dcep", "not a DATA_CHANNEL_ACK (%zu bytes)", len);
        return LKC_ERR_PROTOCOL;
    }
    return LKC_OK;
}

int lkc_dcep_message_type(const uint8_t *msg, size_t len)
{
    return (msg && len > 0) ? msg[0] : -1;
}
