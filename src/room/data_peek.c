/* The protobuf wire format, just enough of it (see data_peek.h): varints, and skipping
 * fields of every wire type. Every length is checked against what is left. */
#include "room/data_peek.h"

#include <string.h>

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} cursor_t;

static bool varint(cursor_t *c, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (c->p >= c->end)
            return false;
        uint8_t b = *c->p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false; /* more than 10 bytes */
}

/* The next field: its number, wire type, and for a length-delimited one its bytes. */
static bool field(cursor_t *c, uint32_t *num, unsigned *type, const uint8_t **data, size_t *len, uint64_t *val)
{
    uint64_t tag;
    if (!varint(c, &tag) || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
        return false;
    *num = (uint32_t)(tag >> 3);
    *type = (unsigned)(tag & 7);
    *data = NULL;
    *len = 0;
    *val = 0;
    switch (*type) {
    case 0: return varint(c, val);
    case 1:
        if (c->end - c->p < 8)
            return false;
        c->p += 8;
        return true;
    case 2: {
        uint64_t n;
        if (!varint(c, &n) || n > (uint64_t)(c->end - c->p))
            return false;
        *data = c->p;
        *len = (size_t)n;
        c->p += n;
        return true;
    }
    case 5:
        if (c->end - c->p < 4)
            return false;
        c->p += 4;
        return true;
    default: return false; /* groups (3, 4) are not used by LiveKit; 6, 7 do not exist */
    }
}

static bool is_value_field(uint32_t n)
{
    return n == 2 || (n >= 6 && n <= 15) || n >= 18;
}

bool lkc__data_peek(const uint8_t *buf, size_t len, lkc__data_peek_t *out)
{
    memset(out, 0, sizeof *out);
    if (!buf && len)
        return false;
    cursor_t c = {buf, buf + len};
    const uint8_t *chunk = NULL;
    size_t chunk_len = 0;
    while (c.p < c.end) {
        uint32_t num;
        unsigned type;
        const uint8_t *data;
        size_t n;
        uint64_t val;
        if (!field(&c, &num, &type, &data, &n, &val))
            return false;
        if (num == 16 && type == 0)
            out->sequence = (uint32_t)val;
        else if (num == 17 && type == 2) {
            out->sid = data;
            out->sid_len = n;
        } else if (type == 2 && is_value_field(num)) {
            out->value_field = num;
            chunk = num == LKC__DATA_PEEK_STREAM_CHUNK ? data : NULL;
            chunk_len = n;
        }
    }
    if (out->value_field != LKC__DATA_PEEK_STREAM_CHUNK)
        return true;
    cursor_t cc = {chunk, chunk + chunk_len};
    while (cc.p < cc.end) {
        uint32_t num;
        unsigned type;
        const uint8_t *data;
        size_t n;
        uint64_t val;
        if (!field(&cc, &num, &type, &data, &n, &val))
            return false;
        if (num == 1 && type == 2) {
            out->stream_id = data;
            out->stream_id_len = n;
        }
    }
    return true;
}
