/* PLACEHOLDER until the stream and RPC APIs land. */
#include "join.h"

void join_send_streams(join_session_t *s) { (void)s; }
void join_rpc_calls(join_session_t *s) { (void)s; }
void join_rpc_register(join_session_t *s) { (void)s; }
void join_register_stream_handlers(join_session_t *s) { (void)s; }
