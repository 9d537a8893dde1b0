/* STUB: replaced by the data streams work (see streams.h). */
#include "room/streams.h"

struct lkc__streams {
    lkc_room_t *room;
    lkc__streams_ports_t ports;
};

lkc__streams_t *lkc__streams_new(lkc_room_t *room, GMainContext *ctx, const lkc__streams_ports_t *ports)
{
    (void)ctx;
    lkc__streams_t *s = g_new0(lkc__streams_t, 1);
    s->room = room;
    s->ports = *ports;
    return s;
}
void lkc__streams_free(lkc__streams_t *s) { g_free(s); }
void lkc__streams_on_packet(lkc__streams_t *s, const Livekit__DataPacket *dp, const char *sender) { (void)s; (void)dp; (void)sender; }
bool lkc__streams_wants_chunk(const lkc__streams_t *s, const char *stream_id, size_t len) { (void)s; (void)stream_id; (void)len; return false; }
void lkc__streams_command(lkc__streams_t *s, void *cmd) { (void)s; (void)cmd; }
int lkc__streams_call_command(lkc__streams_t *s, void *cmd) { (void)s; (void)cmd; return LKC_ERR_UNSUPPORTED; }
void lkc__streams_on_model_changed(lkc__streams_t *s) { (void)s; }
void lkc__streams_on_restart(lkc__streams_t *s) { (void)s; }
