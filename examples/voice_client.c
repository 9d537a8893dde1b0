/* voice_client: talk and listen in a LiveKit room through the sound devices.
 *
 *   voice_client ROOM [IDENTITY] [--mic NAME] [--speaker NAME] [--no-aec] [--duration S]
 *
 * Publishes the microphone (the default input, or NAME from `lkc devices`) cleaned by the
 * audio processing (echo cancellation fed with what the speaker plays, noise suppression,
 * gain control) and plays everyone else in the room on the speaker, mixed. Once a second it
 * prints the microphone's level and the echo canceller's figures. Ctrl-C (or --duration)
 * leaves. Needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET (`lkc server` prints
 * them). Build with liblkc_devices (cmake -DLKC_DEVICES=ON, the default).
 *
 * The agent example can grow from this one: replace the room's other participants by an
 * agent, and the main loop's polling by its events. */
#include <lkc/devices.h>
#include <lkc/lkc.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE 48000
#define MAX_HEARD 16

static volatile sig_atomic_t stop;

static void on_signal(int sig) { stop = 1; }

/* Device threads: the device went away (the sound server stopped, a headset was
 * unplugged). The room goes on; the main loop tries the device again. */
static void on_mic_error(lkc_microphone_t *mic, lkc_err_t err, const char *message, void *user)
{
    fprintf(stderr, "voice_client: %s\n", message);
}

static void on_speaker_error(lkc_loudspeaker_t *spk, lkc_err_t err, const char *message, void *user)
{
    fprintf(stderr, "voice_client: %s\n", message);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The remote audio we play: one stream per subscribed audio track. Streams cannot be made
 * inside room handlers, so the main loop looks at the participants a few times a second. */
typedef struct heard {
    char sid[64];
    lkc_audio_stream_t *stream;
} heard_t;

static bool still_there(const lkc_participant_list_t *list, const char *sid)
{
    for (size_t i = 0; i < list->n; i++)
        for (size_t k = 0; k < list->items[i].n_tracks; k++)
            if (strcmp(list->items[i].tracks[k].sid, sid) == 0 && list->items[i].tracks[k].subscribed)
                return true;
    return false;
}

static void follow_tracks(lkc_room_t *room, lkc_loudspeaker_t *spk, heard_t *heard, size_t *n)
{
    lkc_participant_list_t *list = NULL;
    if (lkc_room_get_participants(room, &list) != LKC_OK)
        return;
    for (size_t i = 0; i < *n;) { /* gone: out of the mix, then destroyed */
        if (still_there(list, heard[i].sid)) {
            i++;
            continue;
        }
        lkc_loudspeaker_remove_stream(spk, heard[i].stream);
        lkc_audio_stream_destroy(heard[i].stream);
        heard[i] = heard[--*n];
    }
    for (size_t i = 0; i < list->n; i++)
        for (size_t k = 0; k < list->items[i].n_tracks && *n < MAX_HEARD; k++) {
            const lkc_track_info_t *t = &list->items[i].tracks[k];
            bool known = false;
            for (size_t j = 0; j < *n; j++)
                known = known || strcmp(heard[j].sid, t->sid) == 0;
            if (known || t->kind != LKC_TRACK_AUDIO || !t->subscribed)
                continue;
            lkc_audio_stream_options_t so;
            lkc_audio_stream_options_init(&so); /* 48 kHz mono: the speaker's format */
            lkc_audio_stream_t *stream = NULL;
            if (lkc_audio_stream_create(room, t->sid, &so, &stream) != LKC_OK)
                continue;
            lkc_loudspeaker_add_stream(spk, stream);
            snprintf(heard[*n].sid, sizeof heard[*n].sid, "%s", t->sid);
            heard[(*n)++].stream = stream;
            printf("voice_client: hearing %s\n", list->items[i].identity);
            fflush(stdout);
        }
    lkc_participant_list_free(list);
}

int main(int argc, char **argv)
{
    const char *room_name = NULL, *identity = "voice-client", *mic_name = NULL, *spk_name = NULL;
    bool aec = true;
    double duration = 0;
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mic") == 0 && i + 1 < argc)
            mic_name = argv[++i];
        else if (strcmp(argv[i], "--speaker") == 0 && i + 1 < argc)
            spk_name = argv[++i];
        else if (strcmp(argv[i], "--no-aec") == 0)
            aec = false;
        else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc)
            duration = atof(argv[++i]);
        else if (argv[i][0] != '-' && pos == 0 && ++pos)
            room_name = argv[i];
        else if (argv[i][0] != '-' && pos == 1 && ++pos)
            identity = argv[i];
        else {
            fprintf(stderr, "usage: voice_client ROOM [IDENTITY] [--mic NAME] [--speaker NAME] [--no-aec] "
                            "[--duration S]\n");
            return 2;
        }
    }
    const char *url = getenv("LIVEKIT_URL"), *key = getenv("LIVEKIT_API_KEY"), *secret = getenv("LIVEKIT_API_SECRET");
    if (!room_name || !url || !key || !secret) {
        fprintf(stderr, "voice_client: give a ROOM and set LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    /* The audio processing sits between the two devices: the speaker tells it what it
     * plays, the microphone's capture is cleaned of that echo. */
    lkc_apm_options_t ao;
    lkc_apm_options_init(&ao); /* 48 kHz mono, AEC + NS + AGC + high-pass */
    ao.echo_cancellation = aec;
    lkc_apm_t *apm = NULL;
    lkc_audio_source_t *src = NULL;
    lkc_microphone_t *mic = NULL;
    lkc_loudspeaker_t *spk = NULL;
    lkc_room_t *room = NULL;
    lkc_track_t *track = NULL;
    char *token = NULL;
    heard_t heard[MAX_HEARD];
    size_t n_heard = 0;
    int status = 1;

    lkc_microphone_options_t mo;
    lkc_microphone_options_init(&mo);
    mo.device = mic_name;
    mo.on_error = on_mic_error;
    lkc_loudspeaker_options_t so;
    lkc_loudspeaker_options_init(&so);
    so.device = spk_name;
    so.on_error = on_speaker_error;
    lkc_err_t err;
    if ((err = lkc_apm_create(&ao, &apm)) != LKC_OK || (err = lkc_audio_source_create(RATE, 1, 0, &src)) != LKC_OK) {
        fprintf(stderr, "voice_client: %s\n", lkc_err_str(err));
        goto out;
    }
    mo.apm = so.apm = apm;
    if ((err = lkc_microphone_open(&mo, src, &mic)) != LKC_OK || (err = lkc_loudspeaker_open(&so, &spk)) != LKC_OK) {
        fprintf(stderr, "voice_client: cannot open the %s: %s (see `lkc devices`)\n", mic ? "speaker" : "microphone",
                lkc_err_str(err));
        goto out;
    }

    lkc_token_options_t to;
    lkc_token_options_init(&to);
    to.api_key = key;
    to.api_secret = secret;
    to.identity = identity;
    to.grant.room = room_name;
    if (lkc_token_mint(&to, &token) != LKC_OK || lkc_room_create(NULL, &room) != LKC_OK ||
        lkc_room_connect(room, url, token) != LKC_OK || lkc_room_wait_connected(room, 15000) != LKC_OK) {
        fprintf(stderr, "voice_client: cannot join %s at %s\n", room_name, url);
        goto out;
    }
    lkc_audio_publish_options_t po;
    lkc_audio_publish_options_init(&po, src); /* source: microphone; DTX on (speech) */
    po.name = "microphone";
    if (lkc_room_publish_audio(room, src, &po, &track) != LKC_OK) {
        fprintf(stderr, "voice_client: cannot publish the microphone\n");
        goto out;
    }
    /* the speaker first: the canceller's far end is flowing when the microphone starts */
    if (lkc_loudspeaker_start(spk) != LKC_OK || lkc_microphone_start(mic) != LKC_OK) {
        fprintf(stderr, "voice_client: cannot start the sound devices\n");
        goto out;
    }
    char mic_dev[128], spk_dev[128];
    lkc_microphone_get_name(mic, mic_dev, sizeof mic_dev);
    lkc_loudspeaker_get_name(spk, spk_dev, sizeof spk_dev);
    printf("voice_client: in %s as %s; microphone \"%s\", speaker \"%s\"%s. Ctrl-C leaves.\n", room_name, identity,
           mic_dev, spk_dev, aec ? ", echo cancellation on" : "");
    fflush(stdout);

    int64_t start = now_ms(), next_report = start + 1000;
    while (!stop && lkc_room_state(room) != LKC_STATE_DISCONNECTED &&
           (duration <= 0 || now_ms() - start < (int64_t)(duration * 1000))) {
        follow_tracks(room, spk, heard, &n_heard);
        if (now_ms() >= next_report) {
            next_report += 1000;
            /* a device that stopped (the sound server restarted) is tried again */
            if (!lkc_microphone_is_running(mic))
                lkc_microphone_start(mic);
            if (!lkc_loudspeaker_is_running(spk))
                lkc_loudspeaker_start(spk);
            lkc_apm_stats_t st;
            lkc_apm_get_stats(apm, &st);
            printf("voice_client: microphone %6.1f dBFS, speaker %6.1f dBFS, ERLE %5.1f dB, echo delay %d ms\n",
                   lkc_microphone_level_dbfs(mic), lkc_loudspeaker_level_dbfs(spk), st.erle_db, st.delay_ms);
            fflush(stdout);
        }
        struct timespec slice = {0, 250 * 1000000L};
        nanosleep(&slice, NULL);
    }
    status = 0;
out:
    /* the devices first (they use the source, the streams and the apm), then the room */
    lkc_microphone_destroy(mic);
    lkc_loudspeaker_destroy(spk);
    for (size_t i = 0; i < n_heard; i++)
        lkc_audio_stream_destroy(heard[i].stream);
    lkc_room_destroy(room);
    lkc_track_release(track);
    lkc_audio_source_destroy(src);
    lkc_apm_destroy(apm);
    lkc_free(token);
    printf("voice_client: left\n");
    return status;
}
