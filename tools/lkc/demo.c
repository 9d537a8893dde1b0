/* `lkc demo` (what `make demo` runs): two lkc participants in one process, alice and
 * bob, join one room; each publishes a tone (440 and 660 Hz) and measures the
 * frequency it hears from the other; alice pings bob over data and bob answers. It
 * prints what it measured and exits 0 when every check passed. With no LIVEKIT_URL it
 * starts a local livekit-server first. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "listen.h"
#include "publish.h"

#define PINGS 5
#define PING_TIMEOUT_MS 3000
#define AUDIO_TIMEOUT_MS 15000
#define FREQ_TOLERANCE_HZ 5.0
#define MIN_LEVEL_DBFS (-22.0) /* the tones are sines peaking at -12 dBFS: -15 dBFS RMS */
#define GOOD_REPORTS 2         /* consecutive good one-second reports make a pass */
#define PING_TOPIC "lkc-demo-ping"
#define PONG_TOPIC "lkc-demo-pong"

typedef struct party {
    const char *identity;
    double tone_hz, expect_hz;  /* what it sends, what it should hear */
    lkc_room_t *room;
    cli_pub_t *pub;
    cli_listener_t *listener;   /* [lock] */
    double heard_hz, heard_dbfs;/* [lock] the last report */
    int good_in_row;            /* [lock] */
    char error[300];            /* [lock] the first error */
} party_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;     /* CLOCK_MONOTONIC; signalled on every report and pong */
static int64_t ping_sent_ns[PINGS];   /* [lock] */
static double rtt_ms[PINGS];          /* [lock] < 0 until answered */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool heard_ok(const party_t *p)
{
    return p->good_in_row >= GOOD_REPORTS;
}

/* Waits on `cond` until `done(arg)` or `ms` passed. Caller holds `lock`. */
static bool wait_until(bool (*done)(void *), void *arg, int ms)
{
    int64_t end = mono_ns() + (int64_t)ms * 1000000;
    while (!done(arg)) {
        if (mono_ns() >= end)
            return false;
        struct timespec ts = {.tv_sec = end / 1000000000, .tv_nsec = end % 1000000000};
        pthread_cond_timedwait(&cond, &lock, &ts);
    }
    return true;
}

static void set_error(party_t *p, const char *msg)
{
    pthread_mutex_lock(&lock);
    if (!p->error[0])
        snprintf(p->error, sizeof p->error, "%s", msg);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

/* --- hearing ------------------------------------------------------------------------ */

static void on_report(void *user, const char *participant, const char *track_sid, double dbfs, double hz)
{
    party_t *p = user;
    pthread_mutex_lock(&lock);
    p->heard_hz = hz;
    p->heard_dbfs = dbfs;
    bool good = dbfs > MIN_LEVEL_DBFS && hz > p->expect_hz - FREQ_TOLERANCE_HZ && hz < p->expect_hz + FREQ_TOLERANCE_HZ;
    p->good_in_row = good ? p->good_in_row + 1 : 0;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

static void on_listen_error(void *user, lkc_err_t err, const char *message)
{
    set_error(user, message);
}

static void on_pub_error(void *user, lkc_err_t err, const char *message)
{
    set_error(user, message);
}

static void on_track_subscribed(lkc_room_t *room, const lkc_participant_info_t *who, const lkc_track_info_t *t,
                                void *user)
{
    party_t *p = user;
    if (t->kind != LKC_TRACK_AUDIO)
        return;
    cli_listen_opts_t lo = {.room = room, .participant = who->identity, .track_sid = t->sid,
                            .on_report = on_report, .on_error = on_listen_error, .user = p};
    pthread_mutex_lock(&lock);
    if (!p->listener)
        p->listener = cli_listener_start(&lo);
    pthread_mutex_unlock(&lock);
}

/* --- data: bob answers every ping; alice times the answers ----------------------- */

static void on_data(lkc_room_t *room, const lkc_data_packet_t *d, void *user)
{
    party_t *p = user;
    if (strcmp(d->topic, PING_TOPIC) == 0) {
        const char *to[1] = {d->sender_identity};
        lkc_data_options_t o = {.struct_size = sizeof(lkc_data_options_t), .topic = PONG_TOPIC, .destination_identities = to, .n_destinations = 1};
        lkc_room_publish_data(room, d->payload, d->len, &o); /* the same bytes back */
    } else if (strcmp(d->topic, PONG_TOPIC) == 0) {
        char buf[16] = "";
        memcpy(buf, d->payload, d->len < sizeof buf - 1 ? d->len : sizeof buf - 1);
        int seq = atoi(buf);
        int64_t now = mono_ns();
        pthread_mutex_lock(&lock);
        if (seq >= 0 && seq < PINGS && rtt_ms[seq] < 0)
            rtt_ms[seq] = (double)(now - ping_sent_ns[seq]) / 1e6;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
    }
    (void)p;
}

static bool pong_in(void *arg)
{
    return rtt_ms[*(int *)arg] >= 0;
}

/* Sends the pings one after the other; returns how many were answered. */
static int ping(party_t *from, const char *to_identity, double *min, double *median, double *max)
{
    const char *to[1] = {to_identity};
    lkc_data_options_t o = {.struct_size = sizeof(lkc_data_options_t), .topic = PING_TOPIC, .destination_identities = to, .n_destinations = 1};
    int answered = 0;
    double sorted[PINGS];
    for (int i = 0; i < PINGS; i++) {
        char payload[16];
        int n = snprintf(payload, sizeof payload, "%d", i);
        pthread_mutex_lock(&lock);
        rtt_ms[i] = -1;
        ping_sent_ns[i] = mono_ns();
        pthread_mutex_unlock(&lock);
        if (lkc_room_publish_data(from->room, payload, (size_t)n, &o) != LKC_OK)
            continue;
        pthread_mutex_lock(&lock);
        if (wait_until(pong_in, &i, PING_TIMEOUT_MS))
            sorted[answered++] = rtt_ms[i];
        pthread_mutex_unlock(&lock);
    }
    for (int i = 1; i < answered; i++) /* insertion sort: five numbers */
        for (int k = i; k > 0 && sorted[k] < sorted[k - 1]; k--) {
            double t = sorted[k];
            sorted[k] = sorted[k - 1];
            sorted[k - 1] = t;
        }
    if (answered) {
        *min = sorted[0];
        *median = sorted[answered / 2];
        *max = sorted[answered - 1];
    }
    return answered;
}

/* --- the run -------------------------------------------------------------------------- */

static lkc_err_t join(party_t *p, const char *url, const char *room_name)
{
    char *token = cli_mint_join_token(room_name, p->identity, p->identity, NULL, NULL, 0, 600);
    if (!token)
        return LKC_ERR_INVALID_ARG;
    lkc_room_options_t ro;
    lkc_room_options_init(&ro);
    ro.user = p;
    ro.handlers.on_track_subscribed = on_track_subscribed;
    ro.handlers.on_data_received = on_data;
    lkc_err_t err = lkc_room_create(&ro, &p->room);
    if (err == LKC_OK)
        err = lkc_room_connect(p->room, url, token);
    lkc_free(token);
    return err;
}

static bool both_heard(void *arg)
{
    party_t *ps = arg;
    return (heard_ok(&ps[0]) || ps[0].error[0]) && (heard_ok(&ps[1]) || ps[1].error[0]);
}

static void print_join(const party_t *p)
{
    lkc_timeline_t tl;
    if (lkc_room_get_timeline(p->room, &tl) != LKC_OK || tl.connected_ms < 0) {
        printf("  %-5s did not finish joining\n", p->identity);
        return;
    }
    printf("  %-5s joined in %lld ms (signal %lld ms, join response %lld ms, media + data channels %lld ms)\n",
           p->identity, (long long)tl.connected_ms, (long long)tl.signal_open_ms, (long long)tl.join_received_ms,
           (long long)(tl.connected_ms - tl.join_received_ms));
}

/* Prints what `p` heard; returns whether it passed. */
static bool print_heard(const party_t *p, const party_t *other)
{
    bool ok = heard_ok(p);
    if (p->error[0] && !ok)
        printf("  %-5s FAILED: %s\n", p->identity, p->error);
    else if (p->heard_dbfs <= -100.0 && !ok)
        printf("  %-5s heard nothing from %s (expected %.0f Hz): FAILED\n", p->identity, other->identity,
               p->expect_hz);
    else
        printf("  %-5s hears %.1f Hz at %.1f dBFS (%s sends %.0f Hz): %s\n", p->identity, p->heard_hz,
               p->heard_dbfs, other->identity, other->tone_hz, ok ? "ok" : "FAILED");
    return ok;
}

int cmd_demo(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: lkc demo   (uses LIVEKIT_URL/KEY/SECRET when set, else a local server)\n");
        return 2;
    }
    int64_t t0 = mono_ns();
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cond, &ca);
    pthread_condattr_destroy(&ca);

    cli_server_t srv = {0};
    const char *url = getenv("LIVEKIT_URL");
    bool local = !url || !*url;
    if (local) {
        if (cli_server_start(&srv, true) != 0)
            return 1;
        url = srv.url;
        setenv("LIVEKIT_API_KEY", "devkey", 1);
        setenv("LIVEKIT_API_SECRET", "secret", 1);
    }
    char room_name[64];
    srand((unsigned)(mono_ns() ^ getpid()));
    snprintf(room_name, sizeof room_name, "lkc-demo-%04x", rand() & 0xffff);
    party_t ps[2] = {
        {.identity = "alice", .tone_hz = 440, .expect_hz = 660, .heard_dbfs = -100},
        {.identity = "bob", .tone_hz = 660, .expect_hz = 440, .heard_dbfs = -100},
    };
    printf("lkc demo: alice and bob, two lkc participants in this one process, join room \"%s\"\n"
           "on %s%s.\n"
           "Each publishes a tone (alice 440 Hz, bob 660 Hz) and measures the frequency it hears from\n"
           "the other; alice pings bob %d times over the data channel and bob answers each ping.\n\n",
           room_name, url, local ? " (a local livekit-server started for the demo)" : "", PINGS);
    fflush(stdout);

    bool ok = true;
    const char *failure = NULL;
    for (int i = 0; i < 2 && !failure; i++)
        if (join(&ps[i], url, room_name) != LKC_OK)
            failure = "cannot start joining (bad URL or credentials?)";
    for (int i = 0; i < 2 && !failure; i++)
        if (lkc_room_wait_connected(ps[i].room, 15000) != LKC_OK)
            failure = "a participant could not join";
    if (failure) {
        char msg[256] = "";
        for (int i = 0; i < 2; i++)
            if (ps[i].room && lkc_room_state(ps[i].room) != LKC_STATE_CONNECTED && !msg[0])
                lkc_room_failure_message(ps[i].room, msg, sizeof msg);
        fprintf(stderr, "lkc demo: %s%s%s\n", failure, msg[0] ? ": " : "", msg);
        ok = false;
        goto out;
    }
    print_join(&ps[0]);
    print_join(&ps[1]);

    for (int i = 0; i < 2; i++) {
        cli_pub_opts_t po = {.room = ps[i].room, .tone_hz = ps[i].tone_hz, .on_error = on_pub_error, .user = &ps[i]};
        char msg[300];
        if (cli_pub_start(&po, &ps[i].pub, msg, sizeof msg) != LKC_OK)
            set_error(&ps[i], msg);
    }

    double lo = 0, med = 0, hi = 0;
    int answered = ping(&ps[0], "bob", &lo, &med, &hi);
    if (answered == PINGS)
        printf("  data  alice -> bob -> alice: %d/%d answered, round trip median %.1f ms (min %.1f, max %.1f)\n",
               answered, PINGS, med, lo, hi);
    else
        printf("  data  alice -> bob -> alice: only %d/%d pings answered: FAILED\n", answered, PINGS);
    ok = answered == PINGS;

    pthread_mutex_lock(&lock);
    wait_until(both_heard, ps, AUDIO_TIMEOUT_MS);
    pthread_mutex_unlock(&lock);
    pthread_mutex_lock(&lock);
    ok = print_heard(&ps[0], &ps[1]) && ok;
    ok = print_heard(&ps[1], &ps[0]) && ok;
    pthread_mutex_unlock(&lock);

out:
    /* Leave (which ends the streams), then stop our threads. */
    for (int i = 0; i < 2; i++)
        if (ps[i].room)
            lkc_room_close(ps[i].room);
    for (int i = 0; i < 2; i++) {
        cli_pub_stop(ps[i].pub);
        cli_listener_stop(ps[i].listener);
        lkc_room_destroy(ps[i].room);
    }
    cli_server_stop(&srv);
    double secs = (double)(mono_ns() - t0) / 1e9;
    if (ok)
        printf("\ndemo passed in %.1f s. Try it yourself: `build/lkc server` in one terminal, then in two others\n"
               "  build/lkc join --room demo --identity alice --publish-tone 440\n"
               "  build/lkc join --room demo --identity bob --publish-tone 660\n"
               "(with LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET exported as `lkc server` prints).\n",
               secs);
    else
        printf("\ndemo FAILED after %.1f s (see above). Run with LKC_LOG=debug for the library's view.\n", secs);
    pthread_cond_destroy(&cond);
    return ok ? 0 : 1;
}
