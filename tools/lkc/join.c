/* `lkc join`: join a room and stay until --duration passes or Ctrl-C, printing what
 * happens (JSON lines with --json). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "output.h"

typedef struct join_opts {
    const char *url;
    const char *token;
    const char *room;
    const char *identity;
    const char *name;
    double duration;     /* seconds; <= 0: until Ctrl-C */
    bool json;
    int connect_timeout_ms;
} join_opts_t;

static int usage(void)
{
    fprintf(stderr,
            "usage: lkc join [--url U] (--token T | --room R --identity I [--name N]) [options]\n"
            "  --duration S   leave after S seconds (default: stay until Ctrl-C)\n"
            "  --json         write events as JSON lines to stdout\n"
            "The URL comes from --url or LIVEKIT_URL; with --room/--identity the token is minted\n"
            "from LIVEKIT_API_KEY and LIVEKIT_API_SECRET.\n");
    return 2;
}

/* --- events ------------------------------------------------------------------------ */

static void print_participant(const char *ev, const lkc_participant_info_t *p)
{
    out_begin(ev);
    out_str("identity", p->identity);
    out_str("sid", p->sid);
    out_str("name", p->name);
    if (p->metadata && *p->metadata)
        out_str("metadata", p->metadata);
    out_end();
}

static void on_connected(lkc_room_t *room, const lkc_room_info_t *info, const lkc_participant_info_t *local,
                         void *user)
{
    out_begin("connected");
    out_str("room", info->name);
    out_str("room_sid", info->sid);
    out_str("identity", local ? local->identity : "");
    out_str("sid", local ? local->sid : "");
    out_end();
}

static void on_participant_connected(lkc_room_t *room, const lkc_participant_info_t *p, void *user)
{
    print_participant("participant_connected", p);
}

static void on_participant_disconnected(lkc_room_t *room, const lkc_participant_info_t *p, void *user)
{
    out_begin("participant_disconnected");
    out_str("identity", p->identity);
    out_end();
}

static void on_track_published(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                               void *user)
{
    out_begin("track_published");
    out_str("participant", p->identity);
    out_str("track_sid", t->sid);
    out_str("kind", lkc_track_kind_str(t->kind));
    out_str("source", lkc_track_source_str(t->source));
    out_end();
}

static void on_track_unpublished(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                                 void *user)
{
    out_begin("track_unpublished");
    out_str("participant", p->identity);
    out_str("track_sid", t->sid);
    out_end();
}

static void on_track_muted(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                           void *user)
{
    out_begin("track_muted");
    out_str("participant", p->identity);
    out_str("track_sid", t->sid);
    out_end();
}

static void on_track_unmuted(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t,
                             void *user)
{
    out_begin("track_unmuted");
    out_str("participant", p->identity);
    out_str("track_sid", t->sid);
    out_end();
}

/* --- what to do next, for the common failures ----------------------------------- */

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
    default: return NULL;
    }
}

static void print_summary(lkc_room_t *room)
{
    if (out_is_json())
        return;
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

/* --- main ----------------------------------------------------------------------------- */

static int parse(int argc, char **argv, join_opts_t *o)
{
    static const struct option opts[] = {
        {"url", required_argument, 0, 'u'},      {"token", required_argument, 0, 'T'},
        {"room", required_argument, 0, 'r'},     {"identity", required_argument, 0, 'i'},
        {"name", required_argument, 0, 'n'},     {"duration", required_argument, 0, 'd'},
        {"json", no_argument, 0, 'j'},           {"connect-timeout", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->connect_timeout_ms = 10000;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': o->url = optarg; break;
        case 'T': o->token = optarg; break;
        case 'r': o->room = optarg; break;
        case 'i': o->identity = optarg; break;
        case 'n': o->name = optarg; break;
        case 'd': o->duration = atof(optarg); break;
        case 'j': o->json = true; break;
        case 'c': o->connect_timeout_ms = atoi(optarg); break;
        default: return usage();
        }
    }
    if (!o->url)
        o->url = getenv("LIVEKIT_URL");
    if (!o->url || !*o->url)
        return cli_error("no URL: set LIVEKIT_URL or pass --url, or run `lkc server` in another terminal");
    if (!o->token && (!o->room || !o->identity)) {
        cli_error("pass --token, or --room and --identity (with LIVEKIT_API_KEY/SECRET set)");
        return usage();
    }
    return 0;
}

int cmd_join(int argc, char **argv)
{
    join_opts_t o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    out_init(o.json);
    char *minted = NULL;
    const char *token = o.token;
    if (!token) {
        minted = cli_mint_join_token(o.room, o.identity, o.name, NULL, NULL, 0, 0);
        if (!minted)
            return 1;
        token = minted;
    }
    /* Ctrl-C and SIGTERM are taken by this thread only (sigtimedwait below); the room's
     * threads inherit the blocked mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    lkc_room_options_t ro;
    lkc_room_options_init(&ro);
    ro.connect_timeout_ms = o.connect_timeout_ms;
    ro.handlers.on_connected = on_connected;
    ro.handlers.on_participant_connected = on_participant_connected;
    ro.handlers.on_participant_disconnected = on_participant_disconnected;
    ro.handlers.on_track_published = on_track_published;
    ro.handlers.on_track_unpublished = on_track_unpublished;
    ro.handlers.on_track_muted = on_track_muted;
    ro.handlers.on_track_unmuted = on_track_unmuted;
    lkc_room_t *room = NULL;
    lkc_err_t err = lkc_room_create(&ro, &room);
    if (err == LKC_OK)
        err = lkc_room_connect(room, o.url, token);
    lkc_free(minted);
    if (err != LKC_OK) {
        lkc_room_destroy(room);
        return cli_error("cannot connect to \"%s\": %s", o.url, lkc_err_str(err));
    }
    err = lkc_room_wait_connected(room, o.connect_timeout_ms + 2000);
    int status = 0;
    if (err == LKC_OK) {
        print_summary(room);
        struct timespec slice = {0, 200 * 1000000L};
        double waited = 0;
        while (lkc_room_state(room) != LKC_STATE_DISCONNECTED && (o.duration <= 0 || waited < o.duration)) {
            int sig = sigtimedwait(&sigs, NULL, &slice);
            if (sig == SIGINT || sig == SIGTERM)
                break;
            waited += 0.2;
        }
    }
    lkc_failure_t reason = lkc_room_failure_reason(room);
    char msg[256];
    lkc_room_failure_message(room, msg, sizeof msg);
    bool failed = lkc_room_state(room) == LKC_STATE_DISCONNECTED && reason != LKC_FAILURE_NONE;
    lkc_room_close(room);
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
    lkc_room_destroy(room);
    return status;
}
