/* STUB: replaced by the RPC work (see rpc.h). */
#include "room/rpc.h"

struct lkc__rpc {
    lkc_room_t *room;
    lkc__rpc_ports_t ports;
};

lkc__rpc_t *lkc__rpc_new(lkc_room_t *room, GMainContext *ctx, const lkc__rpc_ports_t *ports)
{
    (void)ctx;
    lkc__rpc_t *r = g_new0(lkc__rpc_t, 1);
    r->room = room;
    r->ports = *ports;
    return r;
}
void lkc__rpc_free(lkc__rpc_t *r) { g_free(r); }
void lkc__rpc_on_packet(lkc__rpc_t *r, const Livekit__DataPacket *dp, const char *sender) { (void)r; (void)dp; (void)sender; }
void lkc__rpc_on_text(lkc__rpc_t *r, const lkc_stream_info_t *info, const char *text, size_t len) { (void)r; (void)info; (void)text; (void)len; }
void lkc__rpc_command(lkc__rpc_t *r, void *cmd) { (void)r; (void)cmd; }
int lkc__rpc_call_command(lkc__rpc_t *r, void *cmd) { (void)r; (void)cmd; return LKC_ERR_UNSUPPORTED; }
void lkc__rpc_on_model_changed(lkc__rpc_t *r) { (void)r; }
void lkc__rpc_on_restart(lkc__rpc_t *r) { (void)r; }
const lkc_stream_handlers_t *lkc__rpc_stream_handlers(void) { static const lkc_stream_handlers_t h = {0}; return &h; }
