/* echo_bot: plays back what the first remote participant says, one second later.
 *
 *   echo_bot ROOM [IDENTITY]
 *
 * Joins ROOM, waits for someone's audio track and publishes a track "echo" with that
 * audio delayed by one second: one second of silence goes into the source's queue
 * first, and the queue stays that full since audio comes in and goes out at the same
 * pace. Ctrl-C leaves. Needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET
 * (`lkc server` prints them). */
#include <lkc/lkc.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RATE 48000
#define DELAY_MS 1000

static volatile sig_atomic_t stop;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t subscribed = PTHREAD_COND_INITIALIZER;
static char echo_sid[64];       /* [lock] the track we echo, "" until one is subscribed */

static void on_signal(int sig) { stop = 1; }

/* Engine thread: remember the first audio track. The stream is made on the main
 * thread: lkc_audio_stream_create() is not allowed inside a handler. */
static void on_subscribed(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t, void *user)
{
    pthread_mutex_lock(&lock);
    if (t->kind == LKC_TRACK_AUDIO && !echo_sid[0]) {
        snprintf(echo_sid, sizeof echo_sid, "%s", t->sid);
        printf("echo_bot: echoing %s (track %s) one second late\n", p->identity, t->sid);
        fflush(stdout);
        pthread_cond_signal(&subscribed);
    }
    pthread_mutex_unlock(&lock);
}

/* Opens a stream of the track to echo, waiting up to 200 ms for one. The stream is
 * made outside the lock: making it needs the engine thread, which may be waiting for
 * the lock in on_subscribed(). */
static lkc_audio_stream_t *open_stream(lkc_room_t *room)
{
    char sid[64];
    pthread_mutex_lock(&lock);
    if (!echo_sid[0]) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += until.tv_nsec >= 800000000L;
        until.tv_nsec = (until.tv_nsec + 200000000L) % 1000000000L;
        pthread_cond_timedwait(&subscribed, &lock, &until);
    }
    snprintf(sid, sizeof sid, "%s", echo_sid);
    pthread_mutex_unlock(&lock);
    lkc_audio_stream_t *stream = NULL;
    if (sid[0] && lkc_audio_stream_create(room, sid, NULL, &stream) != LKC_OK) {
        pthread_mutex_lock(&lock);
        echo_sid[0] = '\0'; /* gone already: wait for the next one */
        pthread_mutex_unlock(&lock);
    }
    return stream; /* NULL: nothing to hear yet */
}

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

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: echo_bot ROOM [IDENTITY]   (with LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET)\n");
        return 2;
    }
    const char *url = getenv("LIVEKIT_URL");
    char *token = make_token(argv[1], argc > 2 ? argv[2] : "echo-bot");
    if (!url || !token) {
        fprintf(stderr, "echo_bot: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET (run `lkc server`)\n");
        lkc_free(token);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    lkc_room_options_t opts;
    lkc_room_options_init(&opts);
    opts.handlers.on_track_subscribed = on_subscribed;
    lkc_room_t *room = NULL;
    lkc_audio_source_t *src = NULL;
    lkc_audio_stream_t *stream = NULL;
    lkc_track_t *track = NULL;
    lkc_err_t err = lkc_room_create(&opts, &room);
    if (err == LKC_OK)
        err = lkc_room_connect(room, url, token);
    if (err == LKC_OK)
        err = lkc_room_wait_connected(room, 10000);
    if (err == LKC_OK) /* the delay plus slack, so capture never waits long */
        err = lkc_audio_source_create(RATE, 1, DELAY_MS + 500, &src);
    if (err == LKC_OK) {
        lkc_audio_publish_options_t po;
        lkc_audio_publish_options_init(&po, src);
        po.name = "echo";
        po.dtx = false; /* send steadily, also through pauses */
        err = lkc_room_publish_audio(room, src, &po, &track);
    }
    lkc_free(token);
    if (err != LKC_OK) {
        fprintf(stderr, "echo_bot: cannot join and publish: %s\n", lkc_err_str(err));
        goto out;
    }
    printf("echo_bot: in room %s, waiting for someone to speak\n", argv[1]);
    fflush(stdout);

    int16_t pcm[RATE / 50]; /* 20 ms */
    static const int16_t silence[RATE / 10];
    while (!stop && lkc_room_state(room) == LKC_STATE_CONNECTED) {
        if (!stream) {
            if (!(stream = open_stream(room)))
                continue;
            for (int i = 0; i < DELAY_MS / 100; i++)
                lkc_audio_source_capture(src, silence, RATE / 10, 1000);
        }
        int n = lkc_audio_stream_read(stream, pcm, RATE / 50, 200);
        if (n > 0) {
            lkc_audio_source_capture(src, pcm, (size_t)n, 1000);
        } else if (n == LKC_EOS) { /* they left or unpublished: echo whoever comes next */
            lkc_audio_stream_destroy(stream);
            stream = NULL;
            pthread_mutex_lock(&lock);
            echo_sid[0] = '\0';
            pthread_mutex_unlock(&lock);
            lkc_audio_source_clear(src);
        }
    }
out:
    lkc_room_destroy(room); /* leaves; ends the stream */
    lkc_track_release(track);
    lkc_audio_stream_destroy(stream);
    lkc_audio_source_destroy(src);
    return err == LKC_OK ? 0 : 1;
}
