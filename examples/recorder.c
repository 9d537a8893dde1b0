/* recorder: records every remote audio track to its own WAV file.
 *
 *   recorder ROOM [IDENTITY] [SECONDS]
 *
 * Each audio track that gets subscribed is written to "<identity>-<track sid>.wav"
 * (16-bit PCM, mono, 48 kHz) by a thread of its own, until the track ends (its owner
 * leaves or unpublishes it) or we leave: after SECONDS, or on Ctrl-C. The WAV header is
 * written with zero sizes first and completed at the end. Needs LIVEKIT_URL,
 * LIVEKIT_API_KEY and LIVEKIT_API_SECRET (`lkc server` prints them). */
#include <lkc/lkc.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE 48000
#define MAX_TRACKS 32

typedef struct rec {
    lkc_room_t *room;
    char sid[64], path[256];
    pthread_t thread;
} rec_t;

static volatile sig_atomic_t stop;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static rec_t recs[MAX_TRACKS];
static int n_recs; /* [lock] */

static void on_signal(int sig) { stop = 1; }

static void put_le(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A 44-byte header of mono 16-bit PCM at RATE with `data_bytes` of samples. */
static void wav_header(uint8_t h[44], uint32_t data_bytes)
{
    memcpy(h, "RIFF", 4), put_le(h + 4, 36 + data_bytes, 4), memcpy(h + 8, "WAVEfmt ", 8);
    put_le(h + 16, 16, 4), put_le(h + 20, 1, 2), put_le(h + 22, 1, 2), put_le(h + 24, RATE, 4);
    put_le(h + 28, RATE * 2, 4), put_le(h + 32, 2, 2), put_le(h + 34, 16, 2);
    memcpy(h + 36, "data", 4), put_le(h + 40, data_bytes, 4);
}

/* One track: stream → file, until the stream ends (the room's close ends it too). */
static void *record(void *arg)
{
    rec_t *r = arg;
    lkc_audio_stream_t *stream = NULL;
    FILE *f = fopen(r->path, "wb");
    lkc_room_wait_connected(r->room, 10000); /* tracks there at join come before CONNECTED */
    if (!f || lkc_audio_stream_create(r->room, r->sid, NULL, &stream) != LKC_OK) {
        fprintf(stderr, "recorder: cannot record %s to %s\n", r->sid, r->path);
        if (f)
            fclose(f);
        return NULL;
    }
    uint8_t h[44];
    wav_header(h, 0);
    fwrite(h, 1, sizeof h, f);
    uint32_t bytes = 0;
    int16_t pcm[RATE / 50];
    uint8_t out[sizeof pcm];
    int n;
    while ((n = lkc_audio_stream_read(stream, pcm, RATE / 50, 500)) != LKC_EOS) {
        for (int i = 0; i < n; i++) /* n < 0: nothing came in time, loop */
            put_le(out + 2 * i, (uint16_t)pcm[i], 2);
        if (n > 0)
            bytes += (uint32_t)fwrite(out, 1, 2 * (size_t)n, f);
    }
    wav_header(h, bytes);
    fseek(f, 0, SEEK_SET);
    fwrite(h, 1, sizeof h, f);
    fclose(f);
    lkc_audio_stream_destroy(stream);
    printf("recorder: %s: %.1f s\n", r->path, bytes / 2.0 / RATE);
    fflush(stdout);
    return NULL;
}

/* Engine thread: start a recording thread (streams are not made inside handlers). */
static void on_subscribed(lkc_room_t *room, const lkc_participant_info_t *p, const lkc_track_info_t *t, void *user)
{
    pthread_mutex_lock(&lock);
    if (t->kind == LKC_TRACK_AUDIO && n_recs < MAX_TRACKS) {
        rec_t *r = &recs[n_recs];
        r->room = room;
        snprintf(r->sid, sizeof r->sid, "%s", t->sid);
        snprintf(r->path, sizeof r->path, "%s-%s.wav", p->identity, t->sid);
        if (pthread_create(&r->thread, NULL, record, r) == 0)
            n_recs++;
    }
    pthread_mutex_unlock(&lock);
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
        fprintf(stderr, "usage: recorder ROOM [IDENTITY] [SECONDS]   (with LIVEKIT_URL, LIVEKIT_API_KEY, ...)\n");
        return 2;
    }
    const char *url = getenv("LIVEKIT_URL");
    char *token = make_token(argv[1], argc > 2 ? argv[2] : "recorder");
    double seconds = argc > 3 ? atof(argv[3]) : 0;
    if (!url || !token) {
        fprintf(stderr, "recorder: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET (run `lkc server`)\n");
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    lkc_room_options_t opts;
    lkc_room_options_init(&opts);
    opts.handlers.on_track_subscribed = on_subscribed;
    lkc_room_t *room = NULL;
    lkc_err_t err = lkc_room_create(&opts, &room);
    if (err == LKC_OK)
        err = lkc_room_connect(room, url, token);
    if (err == LKC_OK)
        err = lkc_room_wait_connected(room, 10000);
    lkc_free(token);
    if (err == LKC_OK) {
        printf("recorder: in room %s%s\n", argv[1], seconds > 0 ? "" : "; Ctrl-C stops");
        fflush(stdout);
    }
    struct timespec tick = {0, 100 * 1000000L};
    for (double t = 0; err == LKC_OK && !stop && (seconds <= 0 || t < seconds); t += 0.1)
        nanosleep(&tick, NULL); /* a timer, not synchronisation: the handlers do the work */
    lkc_room_close(room); /* ends every stream: the threads finish their files */
    pthread_mutex_lock(&lock);
    int n = n_recs;
    n_recs = MAX_TRACKS; /* no more recordings */
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n; i++)
        pthread_join(recs[i].thread, NULL);
    lkc_room_destroy(room);
    return err == LKC_OK ? 0 : 1;
}
