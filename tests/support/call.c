#include "call.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "audio_check.h"
#include "interop.h"

#define TOPIC "seq"
#define RATE 50

struct lkc_test_call {
    lkc_test_private_server_t *srv;
    char *room_name;
    lkc_test_peer_t *py;
    lkc_test_events_t *ev_a, *ev_b;
    lkc_room_t *a, *b;
    lkc_audio_source_t *src, *src_b;
    lkc_track_t *track, *track_b;
    lkc_audio_stream_t *stream;    /* A's, of B's tone */
    lkc_audio_stream_t *stream_b;  /* B's, of A's tone */
    char stream_b_sid[64];
    pthread_t feeder, feeder_b;
    atomic_bool stop;
    lkc_test_seq_sender_t *sender;
    lkc_test_seq_receiver_t *rx_a, *rx_b;
};

typedef struct {
    lkc_test_call_t *c;
    lkc_audio_source_t *src;
    double hz;
} feeder_arg_t;

static void *feed(void *p)
{
    feeder_arg_t *f = p;
    int16_t pcm[480];
    size_t phase = 0;
    while (!atomic_load(&f->c->stop)) {
        for (size_t i = 0; i < 480; i++, phase++)
            pcm[i] = (int16_t)(8000 * sin(2 * M_PI * f->hz * (double)(phase % 48000) / 48000));
        lkc_audio_source_capture(f->src, pcm, 480, 200); /* buffered: paced by the media clock */
    }
    g_free(f);
    return NULL;
}

static void publish_tone(lkc_test_call_t *c, lkc_room_t *r, double hz, lkc_audio_source_t **src, lkc_track_t **t,
                         pthread_t *th)
{
    CHECK_OK(lkc_audio_source_create(48000, 1, 100, src));
    lkc_audio_publish_options_t po;
    lkc_audio_publish_options_init(&po, *src);
    po.dtx = false;
    CHECK_OK(lkc_room_publish_audio(r, *src, &po, t));
    feeder_arg_t *f = g_new0(feeder_arg_t, 1);
    f->c = c;
    f->src = *src;
    f->hz = hz;
    pthread_create(th, NULL, feed, f);
}

/* The sid of `identity`'s audio track as the room's model has it now ("" if none). */
static void current_track(lkc_room_t *r, const char *identity, char *sid, size_t len)
{
    snprintf(sid, len, "%s", "");
    lkc_participant_list_t *l = NULL;
    if (lkc_room_get_participants(r, &l) != LKC_OK)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].identity, identity) == 0)
            for (size_t k = 0; k < l->items[i].n_tracks; k++)
                if (l->items[i].tracks[k].kind == LKC_TRACK_AUDIO)
                    snprintf(sid, len, "%s", l->items[i].tracks[k].sid);
    lkc_participant_list_free(l);
}

/* B's stream follows A's current track (a full reconnect of A republishes it). */
static void follow_a(lkc_test_call_t *c)
{
    char sid[64];
    current_track(c->b, "lkc-a", sid, sizeof sid);
    if (!*sid || strcmp(sid, c->stream_b_sid) == 0)
        return;
    lkc_audio_stream_t *st = NULL;
    lkc_audio_stream_options_t so;
    lkc_audio_stream_options_init(&so);
    if (lkc_audio_stream_create(c->b, sid, &so, &st) != LKC_OK)
        return;
    lkc_audio_stream_destroy(c->stream_b);
    c->stream_b = st;
    snprintf(c->stream_b_sid, sizeof c->stream_b_sid, "%s", sid);
}

static char *first_track_of(lkc_test_events_t *ev, const char *identity)
{
    CHECK(lkc_test_events_wait(ev, "track_subscribed", identity, 1, 15000), "no track of %s subscribed", identity);
    GPtrArray *l = lkc_test_events_list(ev, "track_subscribed");
    char *sid = NULL;
    for (guint i = 0; i < l->len && !sid; i++) {
        lkc_test_event_t *e = g_ptr_array_index(l, i);
        if (strcmp(e->a, identity) == 0)
            sid = g_strdup(e->b);
    }
    g_ptr_array_unref(l);
    return sid;
}

lkc_test_call_t *lkc_test_call_start(const char *name, const lkc_room_options_t *opts)
{
    lkc_test_call_t *c = g_new0(lkc_test_call_t, 1);
    c->srv = lkc_test_private_server_start(name, "");
    lkc_test_netfault_setup_for(c->srv);
    c->room_name = lkc_test_room_name(name);
    c->py = lkc_test_peer_start_at(c->srv->url, c->room_name, "py", NULL);

    c->ev_a = lkc_test_events_new();
    c->ev_b = lkc_test_events_new();
    c->rx_a = lkc_test_seq_receiver_new(TOPIC);
    c->rx_b = lkc_test_seq_receiver_new(TOPIC);
    lkc_test_seq_receiver_attach(c->rx_a, c->ev_a);
    lkc_test_seq_receiver_attach(c->rx_b, c->ev_b);
    c->a = lkc_test_join_at(c->srv->url, c->room_name, "lkc-a", c->ev_a, opts);
    c->b = lkc_test_join_at(c->srv->url, c->room_name, "lkc-b", c->ev_b, NULL);

    publish_tone(c, c->a, 660, &c->src, &c->track, &c->feeder);
    publish_tone(c, c->b, 440, &c->src_b, &c->track_b, &c->feeder_b);
    char *sid = first_track_of(c->ev_a, "lkc-b");
    lkc_audio_stream_options_t so;
    lkc_audio_stream_options_init(&so);
    CHECK_OK(lkc_audio_stream_create(c->a, sid, &so, &c->stream));
    g_free(sid);
    sid = first_track_of(c->ev_b, "lkc-a");
    CHECK_OK(lkc_audio_stream_create(c->b, sid, &so, &c->stream_b));
    snprintf(c->stream_b_sid, sizeof c->stream_b_sid, "%s", sid);
    g_free(sid);
    char msg[200];
    CHECK(lkc_test_call_audio_back(c, 20000, msg, sizeof msg) >= 0, "no call before the fault: %s", msg);

    c->sender = lkc_test_seq_sender_start(c->a, "lkc", TOPIC, RATE, 0);
    lkc_test_peer_send_numbered(c->py, "py", TOPIC, RATE, 0);
    CHECK(lkc_test_seq_sender_wait_sent(c->sender, RATE, 10000), "lkc-a could not send numbered messages");
    return c;
}

lkc_test_private_server_t *lkc_test_call_server(lkc_test_call_t *c) { return c->srv; }
lkc_room_t *lkc_test_call_room(lkc_test_call_t *c) { return c->a; }
lkc_test_events_t *lkc_test_call_events(lkc_test_call_t *c) { return c->ev_a; }
lkc_test_peer_t *lkc_test_call_peer(lkc_test_call_t *c) { return c->py; }

static bool hears(lkc_audio_stream_t *st, double hz, int timeout_ms, lkc_test_heard_t *h)
{
    /* lkc_test_listen settles 0.3 s, then takes 0.2 s */
    return lkc_test_listen(st, 48000, 1, 0.2, timeout_ms + 500, h) && fabs(h->freq_hz[0] - hz) <= 5 &&
           h->rms_dbfs[0] > -30;
}

int64_t lkc_test_call_audio_back(lkc_test_call_t *c, int timeout_ms, char *msg, size_t msg_len)
{
    gint64 t0 = g_get_monotonic_time(), deadline = t0 + (gint64)timeout_ms * 1000;
    lkc_test_heard_t h = {0}, hb = {0};
    bool a_hears = false, b_hears = false;
    while (!(a_hears && b_hears) && g_get_monotonic_time() < deadline) {
        if (!a_hears)
            a_hears = hears(c->stream, 440, 300, &h);
        if (!b_hears) {
            follow_a(c);
            b_hears = hears(c->stream_b, 660, 300, &hb);
        }
    }
    if (a_hears && b_hears)
        return (g_get_monotonic_time() - t0) / 1000;
    snprintf(msg, msg_len, "%s%s (A heard %.1f Hz at %.1f dBFS, B heard %.1f Hz at %.1f dBFS)",
             a_hears ? "" : "lkc-a did not hear lkc-b's 440 Hz on its old stream; ",
             b_hears ? "" : "lkc-b did not hear lkc-a's 660 Hz", h.freq_hz[0], h.rms_dbfs[0], hb.freq_hz[0],
             hb.rms_dbfs[0]);
    return -1;
}

int64_t lkc_test_call_peer_audio_back(lkc_test_call_t *c, int timeout_ms)
{
    gint64 t0 = g_get_monotonic_time(), deadline = t0 + (gint64)timeout_ms * 1000;
    while (g_get_monotonic_time() < deadline) {
        int before = lkc_test_peer_count(c->py, "audio", "identity", "lkc-a");
        lkc_test_peer_cmd(c->py, "{\"cmd\":\"listen\",\"identity\":\"lkc-a\",\"seconds\":0.3}");
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        JsonObject *a = lkc_test_peer_wait(c->py, "audio", "identity", "lkc-a", before + 1, left > 0 ? left : 1);
        if (a && fabs(json_object_get_double_member(a, "peak_hz") - 660) <= 5)
            return (g_get_monotonic_time() - t0) / 1000;
        if (!a)
            g_usleep(100000); /* it answered "error" (no track from lkc-a yet): ask again */
    }
    return -1;
}

void lkc_test_call_finish(lkc_test_call_t *c, const char *what, bool rejoin_may_miss)
{
    long long sent_a = lkc_test_seq_sender_stop(c->sender);
    char *desc = lkc_test_seq_sender_describe(c->sender);
    JsonObject *st = lkc_test_peer_wait_numbered(c->py, "py", true, 15000);
    long long sent_py = json_object_get_int_member(st, "sent");
    char msg[400];

    /* lkc-a's messages: exactly once, in order, at the peer and at lkc-b */
    JsonObject *rep = NULL;
    /* after a rejoin some never come (sent while the receiver was out of the room) */
    int wait_s = rejoin_may_miss ? 5 : 20;
    gint64 deadline = g_get_monotonic_time() + wait_s * G_USEC_PER_SEC;
    bool py_ok = false;
    while (!py_ok && g_get_monotonic_time() < deadline) {
        rep = lkc_test_peer_seq_report(c->py, "lkc", "lkc-a", sent_a, 10000);
        py_ok = json_object_get_int_member(rep, "contiguous") >= sent_a;
        if (!py_ok)
            g_usleep(200000);
    }
    /* the peer: whatever its SDK did, never twice, never out of order; complete unless it
     * rejoined (then what was sent while it was out of the room never reached it) */
    bool py_exact = lkc_test_peer_seq_ok(rep, sent_a, msg, sizeof msg);
    long long py_missing = json_object_get_int_member(rep, "missing_count");
    bool py_rejoined = lkc_test_peer_count(c->py, "participant_disconnected", "identity", "lkc-a") > 0 ||
                       lkc_test_peer_count(c->py, "reconnecting", NULL, NULL) > 0;
    /* After a full reconnect of lkc-a (the server died, or forgot it), what the server got
     * but may not have passed on (unacknowledged, or acknowledged in the last moments) is
     * sent again under a new participant sid, which no receiver can tell from new: at least
     * once, bounded, reported. */
    bool a_full = lkc_test_events_count(c->ev_a, "reconnected", "full") > 0;
    long long py_dups = json_object_get_int_member(rep, "duplicates");
    CHECK((py_dups == 0 || ((rejoin_may_miss || a_full) && py_dups <= 20)) && json_object_get_int_member(rep, "out_of_order") == 0,
          "%s: lkc-a's numbered messages at the Python peer: %s (sender: %s)", what, msg, desc);
    if (!py_exact)
        fprintf(stderr, "%s: at the Python peer: %s%s\n", what, msg,
                py_rejoined ? " (the Python SDK reconnected itself meanwhile)" : "");
    CHECK(py_exact || rejoin_may_miss || py_rejoined, "%s: lkc-a's numbered messages at the Python peer: %s (sender: %s)",
          what, msg, desc);
    lkc_test_seq_receiver_wait(c->rx_b, "lkc-a", "lkc", sent_a, wait_s * 1000);
    lkc_test_seq_result_t rb;
    bool b_ok = lkc_test_seq_receiver_check(c->rx_b, "lkc-a", "lkc", sent_a, &rb, msg, sizeof msg);
    CHECK((rb.duplicates == 0 || ((rejoin_may_miss || a_full) && rb.duplicates <= 20)) && rb.out_of_order == 0,
          "%s: lkc-a's numbered messages at lkc-b: %s (sender: %s)", what, msg, desc);
    CHECK(b_ok || rejoin_may_miss, "%s: lkc-a's numbered messages at lkc-b: %s (sender: %s)", what, msg, desc);

    /* the peer's messages at lkc-a: in order, never twice; what the Python SDK lost is reported */
    lkc_test_seq_receiver_wait(c->rx_a, "py", "py", sent_py, rejoin_may_miss ? 3000 : 10000);
    lkc_test_seq_result_t r;
    lkc_test_seq_receiver_check(c->rx_a, "py", "py", sent_py, &r, msg, sizeof msg);
    CHECK(r.duplicates == 0 && r.out_of_order == 0, "%s: the peer's messages at lkc-a: %s", what, msg);
    lkc_test_seq_result_t rpb; /* the same at lkc-b, to tell the peer's losses from lkc-a's */
    lkc_test_seq_receiver_check(c->rx_b, "py", "py", sent_py, &rpb, NULL, 0);

    /* A's session never ended */
    CHECK_EQ_INT(lkc_test_events_count(c->ev_a, "disconnected", NULL), 0);
    CHECK_EQ_INT(lkc_room_state(c->a), LKC_STATE_CONNECTED);
    GPtrArray *rc = lkc_test_events_list(c->ev_a, "reconnected");
    GString *kinds = g_string_new("");
    for (guint i = 0; i < rc->len; i++) {
        lkc_test_event_t *e = g_ptr_array_index(rc, i);
        g_string_append_printf(kinds, "%s%s %d ms", i ? ", " : "", e->a, e->kind);
    }
    fprintf(stderr, "RESULT %s: lkc-a reconnected %u time(s) [%s]; lkc-a sent %lld: lkc-b got %lld once in order "
                    "(%lld missing, %lld twice), the Python peer %lld (%lld missing, %lld twice%s); the peer sent %lld, "
                    "lkc-a got %lld once in order (%lld missing), lkc-b %lld (%lld missing)\n",
            what, rc->len, kinds->str, sent_a, rb.distinct, rb.missing, rb.duplicates,
            (long long)json_object_get_int_member(rep, "distinct"), py_missing, py_dups,
            py_rejoined ? ", the Python SDK reconnected" : "", sent_py, r.distinct, r.missing, rpb.distinct, rpb.missing);
    g_string_free(kinds, TRUE);
    g_ptr_array_unref(rc);
    g_free(desc);

    atomic_store(&c->stop, true);
    pthread_join(c->feeder, NULL);
    pthread_join(c->feeder_b, NULL);
    lkc_test_seq_sender_free(c->sender);
    lkc_audio_stream_destroy(c->stream);
    lkc_audio_stream_destroy(c->stream_b);
    lkc_room_destroy(c->a);
    lkc_room_destroy(c->b);
    lkc_track_release(c->track);
    lkc_track_release(c->track_b);
    lkc_audio_source_destroy(c->src);
    lkc_audio_source_destroy(c->src_b);
    lkc_test_peer_stop(c->py);
    lkc_test_seq_receiver_free(c->rx_a);
    lkc_test_seq_receiver_free(c->rx_b);
    lkc_test_events_free(c->ev_a);
    lkc_test_events_free(c->ev_b);
    lkc_test_netfault_teardown();
    lkc_test_private_server_stop();
    g_free(c->room_name);
    g_free(c);
}
