/* data_chat: a line chat over LiveKit data packets.
 *
 *   data_chat ROOM [IDENTITY]
 *
 * Every line typed (stdin) goes to everyone in ROOM (reliable, topic "chat"); what
 * others send is printed as "identity: text". End of input or Ctrl-C leaves the room.
 * Needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET (`lkc server` prints them). */
#include <lkc/lkc.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mints a join token from the API key and secret in the environment. */
static char *make_token(const char *room, const char *identity)
{
    lkc_token_options_t o;
    lkc_token_options_init(&o);
    o.api_key = getenv("LIVEKIT_API_KEY");
    o.api_secret = getenv("LIVEKIT_API_SECRET");
    o.identity = identity;
    o.grant.room = room;
    char *token = NULL;
    if (!o.api_key || !o.api_secret || lkc_token_mint(&o, &token) != LKC_OK)
        return NULL;
    return token;
}

/* Runs on the room's engine thread: print and return quickly. */
static void on_data(lkc_room_t *room, const lkc_data_packet_t *d, void *user)
{
    const char *who = *d->sender_identity ? d->sender_identity : "(server)";
    if (strcmp(d->topic, "chat") == 0)
        printf("%s: %.*s\n", who, (int)d->len, (const char *)d->payload);
    else
        printf("%s [%s]: %zu bytes\n", who, d->topic, d->len);
    fflush(stdout);
}

static void on_joined(lkc_room_t *room, const lkc_participant_info_t *p, void *user)
{
    printf("* %s is here\n", p->identity);
    fflush(stdout);
}

static void on_left(lkc_room_t *room, const lkc_participant_info_t *p, void *user)
{
    printf("* %s left\n", p->identity);
    fflush(stdout);
}

static void on_sigint(int sig)
{
    (void)sig; /* only interrupts fgets() below, which then returns NULL */
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: data_chat ROOM [IDENTITY]   (with LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET)\n");
        return 2;
    }
    const char *url = getenv("LIVEKIT_URL");
    char *token = make_token(argv[1], argc > 2 ? argv[2] : "chatter");
    if (!url || !token) {
        fprintf(stderr, "data_chat: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET (run `lkc server`)\n");
        lkc_free(token);
        return 1;
    }
    /* No SA_RESTART: Ctrl-C makes the blocking read return, and we leave cleanly. */
    struct sigaction sa = {.sa_handler = on_sigint};
    sigaction(SIGINT, &sa, NULL);

    lkc_room_options_t opts;
    lkc_room_options_init(&opts);
    opts.handlers.on_data_received = on_data;
    opts.handlers.on_participant_connected = on_joined;
    opts.handlers.on_participant_disconnected = on_left;
    lkc_room_t *room = NULL;
    lkc_err_t err = lkc_room_create(&opts, &room);
    if (err == LKC_OK)
        err = lkc_room_connect(room, url, token);
    if (err == LKC_OK)
        err = lkc_room_wait_connected(room, 10000);
    lkc_free(token);
    if (err != LKC_OK) {
        char why[256] = "";
        if (room)
            lkc_room_failure_message(room, why, sizeof why);
        fprintf(stderr, "data_chat: cannot join: %s %s\n", lkc_failure_str(lkc_room_failure_reason(room)), why);
        lkc_room_destroy(room);
        return 1;
    }
    printf("* joined %s; type a line and press Enter to send it\n", argv[1]);
    fflush(stdout);

    lkc_data_options_t d = {.struct_size = sizeof(lkc_data_options_t), .kind = LKC_DATA_RELIABLE, .topic = "chat", .timeout_ms = 5000};
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        err = lkc_room_publish_data(room, line, strlen(line), &d);
        if (err != LKC_OK)
            fprintf(stderr, "data_chat: not sent: %s\n", lkc_err_str(err));
    }
    lkc_room_destroy(room); /* leaves the room; bounded even on a dead network */
    return 0;
}
