/* wav_publisher: publishes a WAV file (16-bit PCM, mono or stereo) to a room.
 *
 *   wav_publisher FILE.wav ROOM [IDENTITY]
 *
 * Reads the file 20 ms at a time and hands it to an AudioSource; the source's queue
 * paces the reading (capture waits while it is full), so no timing code is needed
 * here. Leaves when the file has been sent, or on Ctrl-C. The rate must be one the
 * source takes (8000..48000 Hz, a multiple of 50); `lkc join --publish-wav` converts
 * any other. Needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET. */
#include <lkc/lkc.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) { stop = 1; }

static uint32_t le32(const uint8_t *b) { return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; }
static uint16_t le16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }

/* Walks the RIFF chunks to "fmt " and "data"; leaves `f` at the samples. */
static int read_wav_header(FILE *f, int *rate, int *channels, uint32_t *data_bytes)
{
    uint8_t h[12], c[8], fmt[16];
    if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4))
        return -1;
    int have_fmt = 0;
    while (fread(c, 1, 8, f) == 8) {
        uint32_t size = le32(c + 4);
        if (!memcmp(c, "fmt ", 4) && size >= 16) {
            if (fread(fmt, 1, 16, f) != 16 || fseek(f, (long)(size - 16 + (size & 1)), SEEK_CUR))
                return -1;
            if (le16(fmt) != 1 || le16(fmt + 14) != 16) /* PCM, 16 bits */
                return -1;
            *channels = le16(fmt + 2);
            *rate = (int)le32(fmt + 4);
            have_fmt = 1;
        } else if (!memcmp(c, "data", 4)) {
            *data_bytes = size;
            return have_fmt ? 0 : -1;
        } else if (fseek(f, (long)(size + (size & 1)), SEEK_CUR)) {
            return -1;
        }
    }
    return -1;
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
    if (argc < 3) {
        fprintf(stderr, "usage: wav_publisher FILE.wav ROOM [IDENTITY]   (with LIVEKIT_URL, LIVEKIT_API_KEY, ...)\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    int rate = 0, channels = 0;
    uint32_t left = 0;
    if (!f || read_wav_header(f, &rate, &channels, &left) != 0 || channels < 1 || channels > 2) {
        fprintf(stderr, "wav_publisher: %s is not a 16-bit PCM WAV file with 1 or 2 channels\n", argv[1]);
        return 1;
    }
    const char *url = getenv("LIVEKIT_URL");
    char *token = make_token(argv[2], argc > 3 ? argv[3] : "wav-publisher");
    if (!url || !token) {
        fprintf(stderr, "wav_publisher: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET (run `lkc server`)\n");
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    lkc_room_t *room = NULL;
    lkc_audio_source_t *src = NULL;
    lkc_track_t *track = NULL;
    lkc_err_t err = lkc_audio_source_create(rate, channels, 200, &src);
    if (err != LKC_OK)
        fprintf(stderr, "wav_publisher: the source does not take %d Hz, %d channels: %s\n", rate, channels,
                lkc_err_str(err));
    if (err == LKC_OK)
        err = lkc_room_create(NULL, &room);
    if (err == LKC_OK)
        err = lkc_room_connect(room, url, token);
    if (err == LKC_OK)
        err = lkc_room_wait_connected(room, 10000);
    if (err == LKC_OK)
        err = lkc_room_publish_audio(room, src, NULL, &track);
    lkc_free(token);
    if (err == LKC_OK) {
        printf("wav_publisher: publishing %s (%d Hz, %d channel(s)) to room %s\n", argv[1], rate, channels, argv[2]);
        fflush(stdout);
    }
    size_t frame = (size_t)rate / 50; /* 20 ms */
    int16_t pcm[48000 / 50 * 2];
    uint8_t raw[sizeof pcm];
    while (err == LKC_OK && !stop && left >= 2u * (uint32_t)channels) {
        size_t want = frame * (size_t)channels * 2;
        if (want > left)
            want = left - left % (2u * (uint32_t)channels);
        size_t got = fread(raw, 1, want, f);
        if (got < 2u * (size_t)channels)
            break;
        left -= (uint32_t)got;
        for (size_t i = 0; i < got / 2; i++) /* WAV is little-endian */
            pcm[i] = (int16_t)le16(raw + 2 * i);
        size_t frames = got / 2 / (size_t)channels;
        while (!stop && (err = lkc_audio_source_capture(src, pcm, frames, 100)) == LKC_ERR_WOULD_BLOCK) {
        }
    }
    if (err == LKC_OK && !stop) {
        lkc_audio_source_wait_for_playout(src, 5000); /* the last queued audio */
        printf("wav_publisher: done\n");
    } else if (err != LKC_OK && !stop) {
        fprintf(stderr, "wav_publisher: %s\n", lkc_err_str(err));
    }
    lkc_room_destroy(room);
    lkc_track_release(track);
    lkc_audio_source_destroy(src);
    fclose(f);
    return err == LKC_OK || stop ? 0 : 1;
}
