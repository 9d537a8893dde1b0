/* RTP packet parsing and building, audio level, sequence extension. */
#include "rtc/rtp.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "base/bytes.h"
#include "lkc/error.h"


static void add_ext(lkc_rtp_packet_t *out, uint8_t id, uint8_t len, const uint8_t *data)
{
    if (out->ext_count < LKC_RTP_MAX_EXT) {
        out->ext[out->ext_count].id = id;
        out->ext[out->ext_count].len = len;
        out->ext[out->ext_count].data = data;
        out->ext_count++;
    } else if (out->ext_skipped < UINT8_MAX) {
        out->ext_skipped++;
    }
}

/* RFC 8285 §4.2: 0x00 bytes are padding; ID 15 ends processing of the block. */
static int parse_one_byte(const uint8_t *d, size_t n, lkc_rtp_packet_t *out)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = d[i];
        if (b == 0) {
            i++;
            continue;
        }
        uint8_t id = b >> 4;
        size_t len = (size_t)(b & 0x0f) + 1;
        if (id == 15)
            break;
        if (id == 0) /* a padding byte must be all zero */
            return LKC_ERR_PROTOCOL;
        i++;
        if (len > n - i)
            return LKC_ERR_PROTOCOL;
        add_ext(out, id, (uint8_t)len, d + i);
        i += len;
    }
    return LKC_OK;
}

/* RFC 8285 §4.3: ID byte, length byte (0..255), data; 0x00 ID bytes are padding. */
static int parse_two_byte(const uint8_t *d, size_t n, lkc_rtp_packet_t *out)
{
    size_t i = 0;
    while (i < n) {
        uint8_t id = d[i];
        if (id == 0) {
            i++;
            continue;
        }
        if (n - i < 2)
            return LKC_ERR_PROTOCOL;
        size_t len = d[i + 1];
        i += 2;
        if (len > n - i)
            return LKC_ERR_PROTOCOL;
        add_ext(out, id, (uint8_t)len, len ? d + i : NULL);
        i += len;
    }
    return LKC_OK;
}

int lkc_rtp_parse(const uint8_t *buf, size_t len, lkc_rtp_packet_t *out)
{
    if (!buf || !out)
        return LKC_ERR_INVALID_ARG;
    if (len < LKC_RTP_HEADER_LEN)
        return LKC_ERR_PROTOCOL;
    out->version = buf[0] >> 6;
    if (out->version != LKC_RTP_VERSION)
        return LKC_ERR_PROTOCOL;
    out->padding = (buf[0] & 0x20) != 0;
    out->extension = (buf[0] & 0x10) != 0;
    out->csrc_count = buf[0] & 0x0f;
    out->marker = (buf[1] & 0x80) != 0;
    out->pt = buf[1] & 0x7f;
    out->seq = lkc_rd16(buf + 2);
    out->timestamp = lkc_rd32(buf + 4);
    out->ssrc = lkc_rd32(buf + 8);
    out->ext_profile = 0;
    out->ext_block = NULL;
    out->ext_block_len = 0;
    out->ext_count = 0;
    out->ext_skipped = 0;
    out->padding_len = 0;

    size_t off = LKC_RTP_HEADER_LEN;
    if ((size_t)out->csrc_count * 4 > len - off)
        return LKC_ERR_PROTOCOL;
    for (unsigned i = 0; i < out->csrc_count; i++, off += 4)
        out->csrc[i] = lkc_rd32(buf + off);

    if (out->extension) {
        if (len - off < 4)
            return LKC_ERR_PROTOCOL;
        out->ext_profile = lkc_rd16(buf + off);
        size_t blen = (size_t)lkc_rd16(buf + off + 2) * 4;
        off += 4;
        if (blen > len - off)
            return LKC_ERR_PROTOCOL;
        out->ext_block = buf + off;
        out->ext_block_len = blen;
        int rc = LKC_OK;
        if (out->ext_profile == LKC_RTP_EXT_PROFILE_ONE_BYTE)
            rc = parse_one_byte(buf + off, blen, out);
        else if ((out->ext_profile & 0xfff0) == LKC_RTP_EXT_PROFILE_TWO_BYTE)
            rc = parse_two_byte(buf + off, blen, out);
        if (rc)
            return rc;
        off += blen;
    }

    size_t end = len;
    if (out->padding) {
        /* The count includes itself, so 0 is malformed; it may not reach the header. */
        uint8_t pad = buf[len - 1];
        if (pad == 0 || pad > len - off)
            return LKC_ERR_PROTOCOL;
        out->padding_len = pad;
        end -= pad;
    }
    out->header_len = off;
    out->payload = buf + off;
    out->payload_len = end - off;
    return LKC_OK;
}

const lkc_rtp_ext_t *lkc_rtp_find_ext(const lkc_rtp_packet_t *p, uint8_t id)
{
    if (!p)
        return NULL;
    for (unsigned i = 0; i < p->ext_count; i++)
        if (p->ext[i].id == id)
            return &p->ext[i];
    return NULL;
}

/* Size of the extension block (incl. its 4-byte header) and the form to use. */
static int ext_block_size(const lkc_rtp_header_t *h, bool *one_byte, size_t *size)
{
    *one_byte = true;
    *size = 0;
    if (h->ext_count == 0)
        return LKC_OK;
    if (!h->ext)
        return LKC_ERR_INVALID_ARG;
    for (size_t i = 0; i < h->ext_count; i++) {
        const lkc_rtp_ext_t *e = &h->ext[i];
        if (e->id == 0 || (e->len && !e->data))
            return LKC_ERR_INVALID_ARG;
        if (e->id > 14 || e->len < 1 || e->len > 16)
            *one_byte = false;
    }
    size_t body = 0;
    for (size_t i = 0; i < h->ext_count; i++)
        body += (*one_byte ? 1u : 2u) + h->ext[i].len;
    body = (body + 3) & ~(size_t)3;
    if (body / 4 > UINT16_MAX)
        return LKC_ERR_TOO_LARGE;
    *size = 4 + body;
    return LKC_OK;
}

static int header_size(const lkc_rtp_header_t *h, bool *one_byte, size_t *ext_size)
{
    if (!h || h->pt > 127 || h->csrc_count > LKC_RTP_MAX_CSRC || (h->csrc_count && !h->csrc))
        return LKC_ERR_INVALID_ARG;
    int rc = ext_block_size(h, one_byte, ext_size);
    if (rc)
        return rc;
    return (int)(LKC_RTP_HEADER_LEN + 4 * h->csrc_count + *ext_size);
}

int lkc_rtp_header_size(const lkc_rtp_header_t *h)
{
    bool one_byte;
    size_t ext_size;
    return header_size(h, &one_byte, &ext_size);
}

int lkc_rtp_build(const lkc_rtp_header_t *h, const uint8_t *payload, size_t payload_len,
                  uint8_t *buf, size_t cap)
{
    bool one_byte;
    size_t ext_size;
    int hlen = header_size(h, &one_byte, &ext_size);
    if (hlen < 0)
        return hlen;
    if (!buf || (payload_len && !payload))
        return LKC_ERR_INVALID_ARG;
    size_t total = (size_t)hlen;
    if (payload_len > (size_t)INT_MAX - total - h->padding_len)
        return LKC_ERR_TOO_LARGE;
    total += payload_len + h->padding_len;
    if (total > cap)
        return LKC_ERR_TOO_LARGE;

    buf[0] = (uint8_t)(LKC_RTP_VERSION << 6 | (h->padding_len ? 0x20 : 0) |
                       (h->ext_count ? 0x10 : 0) | h->csrc_count);
    buf[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
    lkc_wr16(buf + 2, h->seq);
    lkc_wr32(buf + 4, h->timestamp);
    lkc_wr32(buf + 8, h->ssrc);
    size_t off = LKC_RTP_HEADER_LEN;
    for (size_t i = 0; i < h->csrc_count; i++, off += 4)
        lkc_wr32(buf + off, h->csrc[i]);

    if (h->ext_count) {
        lkc_wr16(buf + off, one_byte ? LKC_RTP_EXT_PROFILE_ONE_BYTE : LKC_RTP_EXT_PROFILE_TWO_BYTE);
        lkc_wr16(buf + off + 2, (uint16_t)((ext_size - 4) / 4));
        size_t p = off + 4;
        for (size_t i = 0; i < h->ext_count; i++) {
            const lkc_rtp_ext_t *e = &h->ext[i];
            if (one_byte) {
                buf[p++] = (uint8_t)(e->id << 4 | (e->len - 1));
            } else {
                buf[p++] = e->id;
                buf[p++] = e->len;
            }
            if (e->len)
                memcpy(buf + p, e->data, e->len);
            p += e->len;
        }
        memset(buf + p, 0, off + ext_size - p); /* zero bytes are padding in both forms */
        off += ext_size;
    }
    if (payload_len)
        memcpy(buf + off, payload, payload_len);
    off += payload_len;
    if (h->padding_len) {
        memset(buf + off, 0, h->padding_len - 1u);
        buf[off + h->padding_len - 1] = h->padding_len;
        off += h->padding_len;
    }
    return (int)off;
}

bool lkc_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
    if (!buf || len < 2)
        return false;
    uint8_t pt = buf[1] & 0x7f;
    return pt >= 64 && pt <= 95;
}

uint8_t lkc_rtp_audio_level_byte(bool voice, int level_dbov)
{
    if (level_dbov < 0)
        level_dbov = 0;
    if (level_dbov > LKC_RTP_AUDIO_LEVEL_SILENT)
        level_dbov = LKC_RTP_AUDIO_LEVEL_SILENT;
    return (uint8_t)((voice ? 0x80 : 0) | level_dbov);
}

int lkc_rtp_audio_level_parse(const uint8_t *data, size_t len, bool *voice, uint8_t *level_dbov)
{
    if (!data && len)
        return LKC_ERR_INVALID_ARG;
    if (len < 1)
        return LKC_ERR_PROTOCOL;
    if (voice)
        *voice = (data[0] & 0x80) != 0;
    if (level_dbov)
        *level_dbov = data[0] & 0x7f;
    return LKC_OK;
}

uint8_t lkc_rtp_audio_level_dbov(const int16_t *pcm, size_t n)
{
    if (!pcm || n == 0)
        return LKC_RTP_AUDIO_LEVEL_SILENT;
    /* Integer sum of squares: exact, and 2^30 per sample leaves room for 2^33 samples. */
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t s = pcm[i];
        sum += (uint64_t)(s * s);
    }
    if (sum == 0)
        return LKC_RTP_AUDIO_LEVEL_SILENT;
    double mean_sq = (double)sum / (double)n;
    /* 0 dBov = the RMS of a full-scale square wave, 32768. */
    double db = -10.0 * log10(mean_sq / (32768.0 * 32768.0));
    if (!(db < LKC_RTP_AUDIO_LEVEL_SILENT)) /* also catches NaN */
        return LKC_RTP_AUDIO_LEVEL_SILENT;
    if (db <= 0.0)
        return 0;
    return (uint8_t)lround(db);
}

int64_t lkc_rtp_seq_extend(lkc_rtp_seq_extender_t *e, uint16_t seq)
{
    if (!e->started) {
        e->started = true;
        e->highest = seq;
        return seq;
    }
    int64_t ext = lkc_rtp_seq_unwrap(e->highest, seq);
    if (ext > e->highest)
        e->highest = ext;
    return ext;
}
