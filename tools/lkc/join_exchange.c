/* `lkc join`: text and byte streams (--send-text, --send-file; text_received and
 * bytes_received for what arrives) and RPC (--rpc-echo, --rpc-call; rpc_request,
 * rpc_result, rpc_error). Stream and RPC handlers run on the room's engine thread. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "join.h"
#include "output.h"
#include "view.h"

#define MAX_TEXT_SHOWN (1u << 20) /* text beyond this is counted, not printed */

/* --- receiving streams ------------------------------------------------------------- */

typedef struct incoming {
    GString *text;      /* text streams */
    GChecksum *sha256;  /* byte streams */
    uint64_t bytes;
} incoming_t;

static GHashTable *incoming_of(void) /* reader -> incoming_t*; engine thread only */
{
    static GHashTable *t;
    if (!t)
        t = g_hash_table_new(g_direct_hash, g_direct_equal);
    return t;
}

static void on_open(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, void *user)
{
    incoming_t *in = g_new0(incoming_t, 1);
    if (info->is_text)
        in->text = g_string_new(NULL);
    else
        in->sha256 = g_checksum_new(G_CHECKSUM_SHA256);
    g_hash_table_insert(incoming_of(), r, in);
}

static void on_chunk(lkc_room_t *room, lkc_stream_reader_t *r, const uint8_t *data, size_t len, void *user)
{
    incoming_t *in = g_hash_table_lookup(incoming_of(), r);
    if (!in)
        return;
    in->bytes += len;
    if (in->text && in->text->len + len <= MAX_TEXT_SHOWN)
        g_string_append_len(in->text, (const char *)data, (gssize)len);
    if (in->sha256)
        g_checksum_update(in->sha256, data, len);
}

static void on_close(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, lkc_err_t status,
                     const char *reason, void *user)
{
    incoming_t *in = g_hash_table_lookup(incoming_of(), r);
    g_hash_table_remove(incoming_of(), r);
    if (!in)
        return;
    if (status != LKC_OK) {
        out_begin("stream_error");
        out_str("from", info->sender_identity);
        out_str("topic", info->topic);
        out_str("id", info->id);
        out_str("reason", reason && *reason ? reason : lkc_err_str(status));
        out_int("bytes", (int64_t)in->bytes);
        out_end();
    } else if (in->text) {
        out_begin("text_received");
        out_str("from", info->sender_identity);
        out_str("topic", info->topic);
        out_str("text", in->text->str);
        out_map("attributes", info->attributes, info->n_attributes);
        out_end();
        char line[100];
        snprintf(line, sizeof line, "%s", in->text->str);
        view_data(true, info->sender_identity, line);
    } else {
        out_begin("bytes_received");
        out_str("from", info->sender_identity);
        out_str("topic", info->topic);
        out_str("name", info->name);
        out_int("bytes", (int64_t)in->bytes);
        out_str("sha256", g_checksum_get_string(in->sha256));
        out_str("mime_type", info->mime_type);
        out_map("attributes", info->attributes, info->n_attributes);
        out_end();
        view_data(true, info->sender_identity, NULL);
    }
    if (in->text)
        g_string_free(in->text, TRUE);
    if (in->sha256)
        g_checksum_free(in->sha256);
    g_free(in);
}

static const lkc_stream_handlers_t handlers = {.on_open = on_open, .on_chunk = on_chunk, .on_close = on_close};

void join_register_stream_handlers(join_session_t *s)
{
    /* the topic of --topic (or none), and the chat topic agents and apps use */
    const char *topics[] = {s->o->topic ? s->o->topic : "", "lk.chat"};
    for (size_t i = 0; i < 2; i++) {
        if (i == 1 && strcmp(topics[0], topics[1]) == 0)
            break;
        lkc_room_register_text_stream_handler(s->room, topics[i], &handlers, s);
        lkc_room_register_byte_stream_handler(s->room, topics[i], &handlers, s);
    }
}

/* --- sending streams --------------------------------------------------------------- */

void join_send_streams(join_session_t *s)
{
    const join_opts_t *o = s->o;
    lkc_stream_options_t so;
    lkc_stream_options_init(&so);
    so.topic = o->topic;
    so.destination_identities = o->n_to ? o->to : NULL;
    so.n_destinations = o->n_to;
    so.timeout_ms = -1; /* wait for room rather than refuse when the link is slow */
    char id[LKC_STREAM_ID_LEN];
    for (size_t i = 0; i < o->n_texts; i++) {
        size_t len = strlen(o->texts[i]);
        lkc_err_t err = lkc_stream_send_text(s->room, o->texts[i], len, &so, id);
        if (err != LKC_OK) {
            cli_event_error(err, "cannot send the text stream (%zu bytes): %s", len, lkc_err_str(err));
            continue;
        }
        out_begin("text_sent");
        out_str("id", id);
        out_str("topic", o->topic ? o->topic : "");
        out_int("bytes", (int64_t)len);
        out_end();
        view_data(false, NULL, NULL);
    }
    for (size_t i = 0; i < o->n_files; i++) {
        lkc_err_t err = lkc_stream_send_file(s->room, o->files[i], &so, id);
        if (err != LKC_OK) {
            cli_event_error(err, "cannot send %s: %s", o->files[i], lkc_err_str(err));
            continue;
        }
        out_begin("file_sent");
        out_str("id", id);
        out_str("path", o->files[i]);
        out_str("topic", o->topic ? o->topic : "");
        out_end();
        view_data(false, NULL, NULL);
    }
}

/* --- RPC ------------------------------------------------------------------------------ */

static void on_echo(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    out_begin("rpc_request");
    out_str("from", req->caller_identity);
    out_str("method", req->method);
    out_str("payload", req->payload);
    out_end();
    lkc_err_t err = lkc_rpc_respond(room, inv, req->payload);
    if (err != LKC_OK)
        cli_event_error(err, "cannot answer the RPC call: %s", lkc_err_str(err));
}

void join_rpc_register(join_session_t *s)
{
    lkc_err_t err = lkc_rpc_register(s->room, "echo", on_echo, s);
    if (err != LKC_OK)
        cli_event_error(err, "cannot register RPC method echo: %s", lkc_err_str(err));
}

static void on_call_done(lkc_room_t *room, const lkc_rpc_result_t *r, void *user)
{
    char *method = user;
    if (r->error_code == 0) {
        out_begin("rpc_result");
        out_str("method", method);
        out_str("payload", r->payload);
        out_int("ms", r->round_trip_ms);
        out_end();
    } else {
        out_begin("rpc_error");
        out_str("method", method);
        out_int("code", r->error_code);
        out_str("message", r->error_message ? r->error_message : "");
        out_end();
    }
    g_free(method);
}

void join_rpc_calls(join_session_t *s)
{
    for (size_t i = 0; i < s->o->n_rpc_calls; i++) {
        /* IDENTITY:METHOD:PAYLOAD (the payload may hold more colons) */
        char **parts = g_strsplit(s->o->rpc_calls[i], ":", 3);
        char *method = g_strdup(parts[1]);
        lkc_err_t err = lkc_rpc_call_async(s->room, parts[0], parts[1], parts[2], NULL, on_call_done, method);
        if (err != LKC_OK) {
            cli_event_error(err, "cannot call %s of %s: %s", parts[1], parts[0], lkc_err_str(err));
            g_free(method);
        }
        g_strfreev(parts);
    }
}
