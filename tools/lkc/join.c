/* `lkc join`: join a room and stay until --duration passes or Ctrl-C (a clean leave
 * on SIGINT/SIGTERM), publishing a tone or a file, recording what is heard, sending
 * data, and printing what happens: JSON lines (--json), a live view on a terminal, or
 * plain lines. Options and the main loop; the handlers are in join_events.c. */
#include <getopt.h>
#include <glib.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "join.h"
#include "join_devices.h"
#include "output.h"
#include "view.h"

#define TICK_MS 100

static int usage(FILE *to)
{
    fprintf(to,
            "usage: lkc join [--url U] (--token T | --room R --identity I [--name N]) [options]\n"
            "  --duration S        leave after S seconds (default: stay until Ctrl-C)\n"
            "  --publish-tone HZ   publish a sine tone (mono, 48 kHz, about -12 dBFS)\n"
            "  --publish-wav FILE  publish a sound file (WAV, FLAC, Ogg...; any rate and channels)\n"
            "  --loop              with --publish-wav: start again at the end\n"
            "  --dtx               let Opus stop sending during silence (off: it also stops on\n"
            "                      steady tones, which it takes for background noise)\n"
            "  --record FILE.wav   record everything heard, mixed (mono, 48 kHz)\n"
            "  --send-data TEXT    send TEXT once someone is here (repeatable)\n"
            "  --topic T           the topic of --send-data\n"
            "  --lossy             send unreliably (default: reliable, ordered)\n"
            "  --to IDENTITY       send to this participant only (repeatable)\n"
            "  --send-text TEXT    send TEXT as a text stream (on --topic; repeatable)\n"
            "  --send-file PATH    send a file as a byte stream (on --topic)\n"
            "  --rpc-echo          answer RPC method \"echo\" with its payload\n"
            "  --rpc-call ID:METHOD:PAYLOAD  call METHOD of participant ID (repeatable)\n"
            "  --set-attribute K=V set one of our attributes (repeatable; empty V deletes K)\n"
            "  --set-metadata S    set our metadata\n"
            "  --mic[=NAME]        publish a microphone (default input; NAME or id: `lkc devices`)\n"
            "  --speaker[=NAME]    play everyone heard on a speaker (default output)\n"
            "  --no-aec, --no-ns, --no-agc  turn off echo cancellation, noise suppression or\n"
            "                      gain control of --mic (all on by default; AEC with --speaker)\n"
            "  --stats             print stats every 2 s (--stats-interval S to change)\n"
            "  --json              events as JSON lines on stdout\n"
            "  --connect-timeout MS  give up joining after MS (default 10000)\n"
            "The URL comes from --url or LIVEKIT_URL; with --room/--identity the token is minted\n"
            "from LIVEKIT_API_KEY and LIVEKIT_API_SECRET.\n");
    return to == stdout ? -1 : 2;
}

/* --- options --------------------------------------------------------------------- */

static bool parse_seconds(const char *s, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < 0)
        return false;
    *out = v;
    return true;
}

static int parse(int argc, char **argv, join_opts_t *o)
{
    enum { O_URL = 256, O_TOKEN, O_ROOM, O_IDENTITY, O_NAME, O_DURATION, O_JSON, O_CTIMEOUT, O_TONE, O_WAV,
           O_LOOP, O_RECORD, O_SEND, O_TOPIC, O_LOSSY, O_TO, O_RPC, O_STATS, O_STATS_INT, O_DTX, O_HELP,
           O_SEND_TEXT, O_SEND_FILE, O_RPC_CALL, O_SET_ATTR, O_SET_META, O_MIC, O_SPEAKER, O_NO_AEC, O_NO_NS,
           O_NO_AGC };
    static const struct option opts[] = {
        {"url", required_argument, 0, O_URL},           {"token", required_argument, 0, O_TOKEN},
        {"room", required_argument, 0, O_ROOM},         {"identity", required_argument, 0, O_IDENTITY},
        {"name", required_argument, 0, O_NAME},         {"duration", required_argument, 0, O_DURATION},
        {"json", no_argument, 0, O_JSON},               {"connect-timeout", required_argument, 0, O_CTIMEOUT},
        {"publish-tone", required_argument, 0, O_TONE}, {"publish-wav", required_argument, 0, O_WAV},
        {"loop", no_argument, 0, O_LOOP},               {"record", required_argument, 0, O_RECORD},
        {"send-data", required_argument, 0, O_SEND},    {"topic", required_argument, 0, O_TOPIC},
        {"lossy", no_argument, 0, O_LOSSY},             {"to", required_argument, 0, O_TO},
        {"rpc-echo", no_argument, 0, O_RPC},            {"stats", no_argument, 0, O_STATS},
        {"stats-interval", required_argument, 0, O_STATS_INT}, {"dtx", no_argument, 0, O_DTX},
        {"help", no_argument, 0, O_HELP},
        {"send-text", required_argument, 0, O_SEND_TEXT}, {"send-file", required_argument, 0, O_SEND_FILE},
        {"rpc-call", required_argument, 0, O_RPC_CALL},   {"set-attribute", required_argument, 0, O_SET_ATTR},
        {"set-metadata", required_argument, 0, O_SET_META},
        {"mic", optional_argument, 0, O_MIC},             {"speaker", optional_argument, 0, O_SPEAKER},
        {"no-aec", no_argument, 0, O_NO_AEC}, {"no-ns", no_argument, 0, O_NO_NS}, {"no-agc", no_argument, 0, O_NO_AGC},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->connect_timeout_ms = 10000;
    o->stats_interval = 2.0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_URL: o->url = optarg; break;
        case O_TOKEN: o->token = optarg; break;
        case O_ROOM: o->room = optarg; break;
        case O_IDENTITY: o->identity = optarg; break;
        case O_NAME: o->name = optarg; break;
        case O_DURATION:
            if (!parse_seconds(optarg, &o->duration))
                return cli_error("--duration wants seconds, e.g. 10 or 2.5 (got \"%s\")", optarg);
            break;
        case O_JSON: o->json = true; break;
        case O_CTIMEOUT: o->connect_timeout_ms = atoi(optarg); break;
        case O_TONE:
            if (!parse_seconds(optarg, &o->tone_hz) || o->tone_hz < 1 || o->tone_hz > 20000)
                return cli_error("--publish-tone wants a frequency in Hz between 1 and 20000 (got \"%s\")", optarg);
            break;
        case O_WAV: o->wav = optarg; break;
        case O_LOOP: o->loop = true; break;
        case O_DTX: o->dtx = true; break;
        case O_RECORD: o->record = optarg; break;
        case O_SEND:
            if (o->n_sends == JOIN_MAX_LIST)
                return cli_error("at most %d --send-data", JOIN_MAX_LIST);
            o->sends[o->n_sends++] = optarg;
            break;
        case O_TOPIC: o->topic = optarg; break;
        case O_LOSSY: o->lossy = true; break;
        case O_TO:
            if (o->n_to == JOIN_MAX_LIST)
                return cli_error("at most %d --to", JOIN_MAX_LIST);
            o->to[o->n_to++] = optarg;
            break;
        case O_RPC: o->rpc_echo = true; break;
        case O_SEND_TEXT:
            if (o->n_texts == JOIN_MAX_LIST)
                return cli_error("at most %d --send-text", JOIN_MAX_LIST);
            o->texts[o->n_texts++] = optarg;
            break;
        case O_SEND_FILE:
            if (o->n_files == JOIN_MAX_LIST)
                return cli_error("at most %d --send-file", JOIN_MAX_LIST);
            if (access(optarg, R_OK) != 0)
                return cli_error("--send-file: cannot read \"%s\"", optarg);
            o->files[o->n_files++] = optarg;
            break;
        case O_RPC_CALL: {
            const char *a = strchr(optarg, ':'), *b = a ? strchr(a + 1, ':') : NULL;
            if (!a || !b || a == optarg || b == a + 1)
                return cli_error("--rpc-call wants IDENTITY:METHOD:PAYLOAD (got \"%s\")", optarg);
            if (o->n_rpc_calls == JOIN_MAX_LIST)
                return cli_error("at most %d --rpc-call", JOIN_MAX_LIST);
            o->rpc_calls[o->n_rpc_calls++] = optarg;
            break;
        }
        case O_SET_ATTR: {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg)
                return cli_error("--set-attribute wants KEY=VALUE (got \"%s\")", optarg);
            if (o->n_attributes == JOIN_MAX_LIST)
                return cli_error("at most %d --set-attribute", JOIN_MAX_LIST);
            *eq = '\0'; /* argv is ours to cut */
            o->attributes[o->n_attributes].key = optarg;
            o->attributes[o->n_attributes++].value = eq + 1;
            break;
        }
        case O_SET_META: o->metadata = optarg; break;
        case O_MIC:
        case O_SPEAKER: {
            /* --mic=NAME, or --mic NAME: join takes no positional arguments, so a word
             * after it that is not an option is its device */
            const char *name = optarg;
            if (!name && optind < argc && argv[optind][0] != '-')
                name = argv[optind++];
            *(c == O_MIC ? &o->mic : &o->speaker) = true;
            *(c == O_MIC ? &o->mic_name : &o->speaker_name) = name;
            break;
        }
        case O_NO_AEC: o->no_aec = true; break;
        case O_NO_NS: o->no_ns = true; break;
        case O_NO_AGC: o->no_agc = true; break;
        case O_STATS: o->stats = true; break;
        case O_STATS_INT:
            if (!parse_seconds(optarg, &o->stats_interval) || o->stats_interval < 0.1)
                return cli_error("--stats-interval wants seconds, at least 0.1 (got \"%s\")", optarg);
            o->stats = true;
            break;
        case O_HELP: return usage(stdout);
        default: return usage(stderr);
        }
    }
    if (optind < argc)
        return cli_error("unexpected argument \"%s\" (see `lkc join --help`)", argv[optind]);
    if (o->tone_hz > 0 && o->wav)
        return cli_error("choose one of --publish-tone and --publish-wav");
    if (o->loop && !o->wav)
        return cli_error("--loop goes with --publish-wav");
    if (!o->url)
        o->url = getenv("LIVEKIT_URL");
    if (!o->url || !*o->url)
        return cli_error("no URL: set LIVEKIT_URL or pass --url, or run `lkc server` in another terminal");
    if (!o->token && (!o->room || !o->identity)) {
        cli_error("pass --token, or --room and --identity (with LIVEKIT_API_KEY/SECRET set)");
        return usage(stderr);
    }
    return 0;
}

/* --- what to do next, for the common failures ----------------------------------- */

/* The server's reason for refusing a token quotes the token; a token is a credential,
 * so anything shaped like a JWT ("eyJ" + base64url and dots) becomes "<token>". */
static void redact_tokens(char *msg)
{
    static const char mark[] = "<token>";
    char *p, *from = msg;
    while ((p = strstr(from, "eyJ")) != NULL) {
        char *end = p;
        while (*end && (g_ascii_isalnum(*end) || *end == '-' || *end == '_' || *end == '.'))
            end++;
        if (end - p >= (ptrdiff_t)sizeof mark) { /* never longer than what it replaces */
            memmove(p + sizeof mark - 1, end, strlen(end) + 1);
            memcpy(p, mark, sizeof mark - 1);
            end = p + sizeof mark - 1;
        }
        from = end;
    }
}

static const char *advice(lkc_failure_t f)
{
    switch (f) {
    case LKC_FAILURE_UNREACHABLE:
        return "is the server running? Check the URL, or run `lkc server` in another terminal";
    case LKC_FAILURE_UNAUTHORIZED:
        return "check LIVEKIT_API_KEY / LIVEKIT_API_SECRET (they must match the server's keys) or the token";
    case LKC_FAILURE_BAD_TOKEN: return "the token needs an identity and a room";
    case LKC_FAILURE_TLS: return "the server's certificate was not accepted (wrong host name or CA?)";
    case LKC_FAILURE_TIMEOUT: return "the server did not answer in time; is the URL a LiveKit server?";
    case LKC_FAILURE_DUPLICATE_IDENTITY: return "another participant joined with the same identity";
    case LKC_FAILURE_MEDIA:
        return "no network path for media: is UDP blocked? A local `lkc server` works on 127.0.0.1";
    default: return NULL;
    }
}

static void print_summary(lkc_room_t *room)
{
    lkc_participant_list_t *list = NULL;
    lkc_room_info_t *info = NULL;
    lkc_participant_info_t *me = NULL;
    if (lkc_room_get_info(room, &info) != LKC_OK || lkc_room_get_local_participant(room, &me) != LKC_OK ||
        lkc_room_get_participants(room, &list) != LKC_OK)
        goto out;
    printf("room      %s (%s), %u participant(s)\n", info->name, info->sid, info->num_participants);
    printf("you       %s (%s)\n", me->identity, me->sid);
    for (size_t i = 0; i < list->n; i++) {
        const lkc_participant_info_t *p = &list->items[i];
        printf("other     %s (%s)%s%s, %zu track(s)\n", p->identity, p->sid, *p->name ? " name=" : "", p->name,
               p->n_tracks);
    }
    if (list->n == 0)
        printf("others    none yet\n");
    fflush(stdout);
out:
    lkc_participant_list_free(list);
    lkc_room_info_free(info);
    lkc_participant_info_free(me);
}

/* --- publishing ------------------------------------------------------------------ */

static void on_published(void *user, const char *track_sid)
{
    const join_opts_t *o = user;
    out_begin("published");
    out_str("track_sid", track_sid);
    out_str("source", o->wav ? o->wav : "tone");
    if (o->tone_hz > 0)
        out_double("freq_hz", o->tone_hz);
    out_end();
    char text[160];
    if (o->wav)
        snprintf(text, sizeof text, "%s%s (%s)", o->wav, o->loop ? ", looping" : "", track_sid);
    else
        snprintf(text, sizeof text, "tone %.0f Hz (%s)", o->tone_hz, track_sid);
    view_local(text);
}

static void on_pub_error(void *user, lkc_err_t err, const char *message)
{
    cli_event_error(err, "%s", message);
}

static void on_pub_finished(void *user)
{
    out_begin("publish_done");
    out_end();
    view_local("(file finished)");
}

static void start_publishing(join_session_t *s)
{
    cli_pub_opts_t po = {
        .room = s->room, .tone_hz = s->o->tone_hz, .file = s->o->wav, .loop = s->o->loop, .dtx = s->o->dtx,
        .on_published = on_published, .on_error = on_pub_error, .on_finished = on_pub_finished,
        .user = (void *)s->o,
    };
    char msg[400];
    lkc_err_t err = cli_pub_start(&po, &s->pub, msg, sizeof msg);
    if (err != LKC_OK)
        cli_event_error(err, "%s", msg);
}

/* --- data -------------------------------------------------------------------------- */

/* --send-data waits for an audience: every --to identity, or anyone, fully joined
 * (ACTIVE), since data sent to an empty room is lost. */
static bool audience_here(lkc_room_t *room, const join_opts_t *o)
{
    lkc_participant_list_t *list = NULL;
    if (lkc_room_get_participants(room, &list) != LKC_OK)
        return false;
    size_t found = 0, active = 0;
    for (size_t i = 0; i < list->n; i++) {
        if (list->items[i].state != LKC_PARTICIPANT_ACTIVE)
            continue;
        active++;
        for (size_t k = 0; k < o->n_to; k++)
            if (strcmp(list->items[i].identity, o->to[k]) == 0)
                found++;
    }
    lkc_participant_list_free(list);
    return o->n_to ? found >= o->n_to : active > 0;
}

static void send_all(join_session_t *s)
{
    const join_opts_t *o = s->o;
    lkc_data_options_t d = {.struct_size = sizeof(lkc_data_options_t), 
        .kind = o->lossy ? LKC_DATA_LOSSY : LKC_DATA_RELIABLE, .topic = o->topic,
        .destination_identities = o->n_to ? o->to : NULL, .n_destinations = o->n_to,
        .timeout_ms = -1, /* wait for room rather than refuse when the link is slow */
    };
    for (size_t i = 0; i < o->n_sends; i++) {
        size_t len = strlen(o->sends[i]);
        lkc_err_t err = lkc_room_publish_data(s->room, o->sends[i], len, &d);
        if (err != LKC_OK) {
            cli_event_error(err, "cannot send data (%zu bytes): %s%s", len, lkc_err_str(err),
                            err == LKC_ERR_TOO_LARGE ? "; send less at a time" : "");
            continue;
        }
        out_begin("data_sent");
        out_str("topic", o->topic ? o->topic : "");
        out_bool("reliable", !o->lossy);
        out_int("bytes", (int64_t)len);
        if (o->n_to)
            out_strv("to", o->to, o->n_to);
        out_end();
        view_data(false, NULL, NULL);
    }
}

/* --rpc-call waits for each callee to be in the room (ACTIVE). */
static bool calls_audience_here(lkc_room_t *room, const join_opts_t *o)
{
    lkc_participant_list_t *list = NULL;
    if (lkc_room_get_participants(room, &list) != LKC_OK)
        return false;
    bool all = true;
    for (size_t k = 0; k < o->n_rpc_calls && all; k++) {
        size_t idlen = (size_t)(strchr(o->rpc_calls[k], ':') - o->rpc_calls[k]);
        bool found = false;
        for (size_t i = 0; i < list->n && !found; i++)
            found = list->items[i].state == LKC_PARTICIPANT_ACTIVE && strlen(list->items[i].identity) == idlen &&
                    strncmp(list->items[i].identity, o->rpc_calls[k], idlen) == 0;
        all = found;
    }
    lkc_participant_list_free(list);
    return all;
}

/* --- main -------------------------------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Library log lines would tear the live view: show them in its list instead. */
static void log_to_view(lkc_log_level_t level, const char *module, const char *line, void *user)
{
    char buf[200];
    snprintf(buf, sizeof buf, "lkc %s %s: %s", lkc_log_level_str(level), module, line);
    view_log(buf);
}

/* Stays in the room until the duration, a signal or the end of the session. */
static void stay(join_session_t *s, const sigset_t *sigs)
{
    const join_opts_t *o = s->o;
    int64_t start = mono_ms(), next_stats = start + (int64_t)(o->stats_interval * 1000), next_draw = start;
    bool sent = o->n_sends == 0 && o->n_texts == 0 && o->n_files == 0;
    bool called = o->n_rpc_calls == 0;
    struct timespec slice = {0, TICK_MS * 1000000L};
    while (lkc_room_state(s->room) != LKC_STATE_DISCONNECTED) {
        int64_t now = mono_ms();
        if (o->duration > 0 && now - start >= (int64_t)(o->duration * 1000))
            break;
        if (!sent && audience_here(s->room, o)) {
            send_all(s);
            join_send_streams(s);
            sent = true;
        }
        if (!called && calls_audience_here(s->room, o)) {
            join_rpc_calls(s);
            called = true;
        }
        cli_recorder_tick(s->rec);
        join_reap_listeners(s);
        if (o->stats && now >= next_stats) {
            join_emit_stats(s);
            next_stats += (int64_t)(o->stats_interval * 1000);
        }
        if (now >= next_draw) {
            view_render();
            next_draw = now + 250;
        }
        int sig = sigtimedwait(sigs, NULL, &slice);
        if (sig == SIGINT || sig == SIGTERM)
            break;
    }
    if (!sent)
        cli_event_error(LKC_ERR_STATE, "--send-data/--send-text/--send-file were not sent: %s joined before the end",
                        o->n_to ? "not every --to participant" : "nobody else");
    if (!called)
        cli_event_error(LKC_ERR_STATE, "--rpc-call was not made: a callee did not join before the end");
}

int cmd_join(int argc, char **argv)
{
    join_opts_t o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc; /* -1: --help was printed */
    if (o.wav) { /* a missing or unreadable file is a usage error: say so before joining */
        char msg[400];
        if (cli_pub_check_file(o.wav, msg, sizeof msg) != LKC_OK)
            return cli_error("%s", msg);
    }
    out_init(o.json);
    view_init(!o.json && isatty(STDOUT_FILENO), o.room ? o.room : "(from token)",
              o.identity ? o.identity : "(from token)");
    bool logging_to_view = view_live();
    if (logging_to_view)
        lkc_set_log(lkc_log_level(), log_to_view, NULL);
    char *minted = NULL;
    const char *token = o.token;
    if (!token) {
        minted = cli_mint_join_token(o.room, o.identity, o.name, NULL, NULL, 0, 0);
        if (!minted)
            return 1;
        token = minted;
    }
    /* Ctrl-C and SIGTERM are taken by this thread only (sigtimedwait); the room's and
     * our own threads inherit the blocked mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    join_session_t s;
    memset(&s, 0, sizeof s);
    s.o = &o;
    pthread_mutex_init(&s.lock, NULL);
    int status = 0;
    if (o.record) {
        char msg[300];
        s.rec = cli_recorder_open(o.record, CLI_LISTEN_RATE, msg, sizeof msg);
        if (!s.rec) {
            lkc_free(minted);
            return cli_error("%s", msg);
        }
    }
    lkc_room_options_t ro;
    lkc_room_options_init(&ro);
    ro.connect_timeout_ms = o.connect_timeout_ms;
    join_set_handlers(&ro, &s);
    lkc_err_t err = lkc_room_create(&ro, &s.room);
    if (err == LKC_OK) { /* before the join, so nothing that arrives early is missed */
        join_register_stream_handlers(&s);
        if (o.rpc_echo)
            join_rpc_register(&s);
    }
    if (err == LKC_OK && join_devices_start(&s) != 0) { /* a wrong device fails before the join */
        lkc_free(minted);
        status = 1;
        goto out;
    }
    if (err == LKC_OK)
        err = lkc_room_connect(s.room, o.url, token);
    lkc_free(minted);
    if (err != LKC_OK) {
        status = cli_error("cannot connect to \"%s\": %s%s", o.url, lkc_err_str(err),
                           err == LKC_ERR_INVALID_ARG ? " (the URL must start with ws://, wss://, http:// or https://)"
                                                      : "");
        goto out;
    }
    err = lkc_room_wait_connected(s.room, o.connect_timeout_ms + 2000);
    if (err == LKC_OK) {
        if (!o.json && !view_live())
            print_summary(s.room);
        join_apply_local(&s);
        if (o.tone_hz > 0 || o.wav)
            start_publishing(&s);
        stay(&s, &sigs);
    }
    lkc_failure_t reason = lkc_room_failure_reason(s.room);
    char msg[256] = "";
    lkc_room_failure_message(s.room, msg, sizeof msg);
    redact_tokens(msg);
    bool failed = lkc_room_state(s.room) == LKC_STATE_DISCONNECTED && reason != LKC_FAILURE_NONE;
    /* Close first: it ends the streams and a publish still waiting for the server. */
    lkc_room_close(s.room);
    cli_pub_stop(s.pub);
    join_stop_listeners(&s);
    join_devices_stop();
    view_end();
    if (logging_to_view)
        lkc_set_log(lkc_log_level(), NULL, NULL);
    if (!o.json && o.record)
        printf("recorded %.1f s to %s\n", cli_recorder_seconds(s.rec), o.record);
    out_begin("disconnected");
    out_str("reason", failed ? lkc_failure_str(reason) : "client_initiated");
    if (failed && *msg)
        out_str("message", msg);
    out_end();
    if (failed || err != LKC_OK) {
        const char *next = advice(reason);
        cli_error("%s%s%s%s%s", err == LKC_ERR_TIMEOUT ? "connect timed out" : lkc_failure_str(reason),
                  *msg ? ": " : "", msg, next ? "; " : "", next ? next : "");
        status = 1;
    }
out:
    lkc_room_destroy(s.room);
    cli_recorder_close(s.rec);
    pthread_mutex_destroy(&s.lock);
    return status;
}
