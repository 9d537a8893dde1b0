/* agent_client: the device side of a LiveKit voice agent.
 *
 *   agent_client ROOM [IDENTITY] [--tone HZ] [--rpc METHOD:PAYLOAD] [--chat TEXT] [--duration S]
 *
 * Joins ROOM and publishes its "microphone" (a tone standing in for speech; a real device
 * feeds its microphone the same way), marked as having a pre-connect buffer: the audio of
 * the moments before an agent is there is kept and sent to the agent once it joins, so the
 * user can start talking at once. Then it prints the agent's state changes and the
 * transcript lines (the user's and the agent's), sends --chat as a chat message, and calls
 * the agent's RPC method --rpc. Ctrl-C (or --duration) leaves. Needs LIVEKIT_URL,
 * LIVEKIT_API_KEY and LIVEKIT_API_SECRET (`lkc server` prints them). */
#include <lkc/lkc.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE 48000
#define FRAME (RATE / 100) /* 10 ms */

static volatile sig_atomic_t stop;

static void on_signal(int sig) { stop = 1; }

/* Engine thread: what the agent tells us. */
static void on_agent_state(lkc_room_t *room, const lkc_participant_info_t *agent, lkc_agent_state_t state, void *user)
{
    printf("agent %s is %s\n", agent->identity, lkc_agent_state_str(state));
    fflush(stdout);
}

static void on_transcription(lkc_room_t *room, const lkc_transcription_t *t, void *user)
{
    if (t->final) { /* interim text grows until the segment is final */
        printf("transcript %s: %s\n", t->identity, t->text);
        fflush(stdout);
    }
}

static void on_participant(lkc_room_t *room, const lkc_participant_info_t *p, void *user)
{
    if (p->kind == LKC_KIND_AGENT) {
        printf("agent %s joined\n", p->identity);
        fflush(stdout);
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Once the agent is here: the pre-connect audio, the chat line, the RPC call. */
static void talk_to_agent(lkc_room_t *room, const char *agent, lkc_preconnect_buffer_t *pre, lkc_track_t *mic,
                          const char *chat, const char *rpc)
{
    char sid[64] = "";
    lkc_track_get_sid(mic, sid, sizeof sid);
    int ms = lkc_preconnect_buffer_ms(pre);
    lkc_err_t err = lkc_preconnect_buffer_send(pre, room, agent, sid, 5000);
    printf("pre-connect audio: %d ms sent to %s (%s)\n", ms, agent, lkc_err_str(err));
    if (chat) {
        err = lkc_agent_send_chat(room, chat, agent, 5000);
        printf("chat sent (%s)\n", lkc_err_str(err));
    }
    if (rpc) {
        char method[128];
        const char *colon = strchr(rpc, ':');
        snprintf(method, sizeof method, "%.*s", colon ? (int)(colon - rpc) : (int)strlen(rpc), rpc);
        lkc_rpc_result_t *r = NULL;
        err = lkc_rpc_call(room, agent, method, colon ? colon + 1 : "", NULL, &r);
        if (err != LKC_OK)
            printf("rpc %s failed: %s\n", method, lkc_err_str(err));
        else if (r->error_code)
            printf("rpc %s error %u: %s\n", method, r->error_code, r->error_message);
        else
            printf("rpc %s returned %s in %lld ms\n", method, r->payload, (long long)r->round_trip_ms);
        lkc_rpc_result_free(r);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *room_name = NULL, *identity = "device", *chat = NULL, *rpc = NULL;
    double tone = 440, duration = 0;
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tone") == 0 && i + 1 < argc)
            tone = atof(argv[++i]);
        else if (strcmp(argv[i], "--rpc") == 0 && i + 1 < argc)
            rpc = argv[++i];
        else if (strcmp(argv[i], "--chat") == 0 && i + 1 < argc)
            chat = argv[++i];
        else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc)
            duration = atof(argv[++i]);
        else if (argv[i][0] != '-' && pos == 0 && ++pos)
            room_name = argv[i];
        else if (argv[i][0] != '-' && pos == 1 && ++pos)
            identity = argv[i];
        else {
            fprintf(stderr, "usage: agent_client ROOM [IDENTITY] [--tone HZ] [--rpc METHOD:PAYLOAD] "
                            "[--chat TEXT] [--duration S]\n");
            return 2;
        }
    }
    const char *url = getenv("LIVEKIT_URL"), *key = getenv("LIVEKIT_API_KEY"), *secret = getenv("LIVEKIT_API_SECRET");
    if (!room_name || !url || !key || !secret) {
        fprintf(stderr, "agent_client: give a ROOM and set LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    lkc_token_options_t to;
    lkc_token_options_init(&to);
    to.api_key = key;
    to.api_secret = secret;
    to.identity = identity;
    to.grant.room = room_name;
    char *token = NULL;
    lkc_room_options_t ro;
    lkc_room_options_init(&ro);
    ro.handlers.on_agent_state_changed = on_agent_state;
    ro.handlers.on_transcription = on_transcription;
    ro.handlers.on_participant_connected = on_participant;
    lkc_room_t *room = NULL;
    lkc_audio_source_t *src = NULL;
    lkc_preconnect_buffer_t *pre = NULL;
    lkc_track_t *mic = NULL;
    int status = 1;
    if (lkc_token_mint(&to, &token) != LKC_OK || lkc_room_create(&ro, &room) != LKC_OK ||
        lkc_room_connect(room, url, token) != LKC_OK || lkc_room_wait_connected(room, 15000) != LKC_OK) {
        fprintf(stderr, "agent_client: cannot join %s at %s\n", room_name, url);
        goto out;
    }
    printf("agent_client: joined %s as %s\n", room_name, identity);
    fflush(stdout);
    lkc_audio_source_create(RATE, 1, 200, &src);
    lkc_preconnect_buffer_create(RATE, 1, 10000, &pre);
    lkc_audio_publish_options_t po;
    lkc_audio_publish_options_init(&po, src);
    po.name = "microphone";
    po.dtx = false; /* a steady tone is not background noise here */
    po.preconnect_buffer = true;
    if (lkc_room_publish_audio(room, src, &po, &mic) != LKC_OK) {
        fprintf(stderr, "agent_client: cannot publish the microphone\n");
        goto out;
    }
    char mic_sid[64] = "";
    lkc_track_get_sid(mic, mic_sid, sizeof mic_sid);
    printf("agent_client: microphone published (%s)\n", mic_sid);
    fflush(stdout);
    /* the "microphone": 10 ms of tone at a time, paced by the source's queue */
    char agent[128] = "";
    int16_t pcm[FRAME];
    int64_t start = now_ms(), n = 0, next_look = 0;
    while (!stop && lkc_room_state(room) != LKC_STATE_DISCONNECTED &&
           (duration <= 0 || now_ms() - start < (int64_t)(duration * 1000))) {
        for (int i = 0; i < FRAME; i++, n++)
            pcm[i] = (int16_t)(6000 * sin(2 * M_PI * tone * (double)n / RATE));
        if (!agent[0])
            lkc_preconnect_buffer_push(pre, pcm, FRAME);
        lkc_audio_source_capture(src, pcm, FRAME, 1000);
        if (!agent[0] && now_ms() >= next_look) {
            next_look = now_ms() + 200;
            if (lkc_agent_find(room, agent, sizeof agent) == LKC_OK)
                talk_to_agent(room, agent, pre, mic, chat, rpc);
        }
    }
    status = 0;
out:
    lkc_room_destroy(room);
    lkc_track_release(mic);
    lkc_audio_source_destroy(src);
    lkc_preconnect_buffer_destroy(pre);
    lkc_free(token);
    printf("agent_client: left\n");
    return status;
}
