/* R7 and R9 for data streams, with two lkc rooms on the test server (A sends, B reads):
 * - B is destroyed while threads are blocked in lkc_stream_read on its open streams
 *   (several at once, some readers unbounded): every read returns LKC_ERR_CLOSED within
 *   1 s, no handler runs after the destroy began (not even on_close), and the readers the
 *   app still holds stay usable after the room is gone (ASan: no use after free);
 * - B is closed (lkc_room_close) with a stream open: the reader ends ("the room was
 *   closed");
 * - the sender leaves mid-stream: B's reader ends with "the sender left the room";
 * - A is destroyed while a writer is open, while another thread is blocked in
 *   lkc_stream_write for room in the data queue and a third is in a 12 MiB
 *   lkc_stream_send_bytes: both return promptly, the open writer's next write and its
 *   close return LKC_ERR_CLOSED (the writer outlived its room).
 * The thread and fd counts are back at the baseline (taken after the first case) at the end. */
#include <pthread.h>
#include <stdatomic.h>

#include "events.h"
#include "interop.h"
#include "lkc/stream.h"

#define STREAMS 3
#define PROMPT_US (1000 * 1000)

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    lkc_stream_reader_t *readers[16];
    int opened, closed, closed_ok;
    int last_status;
    char last_reason[128];
} seen_t;

static void on_open(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, void *user)
{
    seen_t *s = user;
    pthread_mutex_lock(&s->lock);
    if (s->opened < 16)
        s->readers[s->opened] = lkc_stream_reader_ref(r);
    s->opened++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void on_close(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, lkc_err_t st,
                     const char *reason, void *user)
{
    seen_t *s = user;
    pthread_mutex_lock(&s->lock);
    s->closed++;
    if (st == LKC_OK)
        s->closed_ok++;
    s->last_status = st;
    g_strlcpy(s->last_reason, reason, sizeof s->last_reason);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static const lkc_stream_handlers_t pull = {on_open, NULL, on_close};

static void seen_init(seen_t *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
}

static void seen_clear(seen_t *s)
{
    for (int i = 0; i < s->opened && i < 16; i++)
        lkc_stream_reader_unref(s->readers[i]);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
}

static bool wait_count(seen_t *s, int *field, int n, int timeout_ms)
{
    int64_t end = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;
    pthread_mutex_lock(&s->lock);
    while (*field < n && g_get_monotonic_time() < end) {
        pthread_mutex_unlock(&s->lock);
        g_usleep(5000);
        pthread_mutex_lock(&s->lock);
    }
    bool ok = *field >= n;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

typedef struct {
    lkc_stream_reader_t *r;
    int timeout_ms;
    int rc;
    int64_t returned_us;
    uint64_t got;
} reader_t;

static void *read_thread(void *p)
{
    reader_t *rd = p;
    uint8_t buf[4096];
    int n;
    while ((n = lkc_stream_read(rd->r, buf, sizeof buf, rd->timeout_ms)) > 0)
        rd->got += (uint64_t)n;
    rd->rc = n;
    rd->returned_us = g_get_monotonic_time();
    return NULL;
}

static lkc_room_t *join_with(const char *room, const char *identity, lkc_test_events_t *ev, seen_t *s)
{
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    lkc_test_events_install(ev, &o);
    lkc_room_t *r = NULL;
    CHECK_OK(lkc_room_create(&o, &r));
    if (s)
        CHECK_OK(lkc_room_register_byte_stream_handler(r, "t", &pull, s));
    char *tok = lkc_test_token(room, identity, NULL, NULL);
    CHECK_OK(lkc_room_connect(r, lkc_test_env()->url, tok));
    lkc_free(tok);
    CHECK_OK(lkc_room_wait_connected(r, 15000));
    return r;
}

static lkc_stream_writer_t *open_and_write(lkc_room_t *a, size_t n)
{
    lkc_stream_options_t o;
    lkc_stream_options_init(&o);
    o.topic = "t";
    lkc_stream_writer_t *w = NULL;
    CHECK_OK(lkc_stream_open_bytes(a, &o, &w));
    uint8_t *d = g_malloc0(n);
    CHECK_OK(lkc_stream_write(w, d, n));
    g_free(d);
    return w;
}

/* Readers blocked in read; B is destroyed under them. */
static void destroy_under_readers(void)
{
    char *room = lkc_test_room_name("r7-streams");
    lkc_test_events_t *ea = lkc_test_events_new(), *eb = lkc_test_events_new();
    seen_t s;
    seen_init(&s);
    lkc_room_t *b = join_with(room, "b", eb, &s);
    lkc_room_t *a = join_with(room, "a", ea, NULL);
    CHECK(lkc_test_events_wait(ea, "participant_connected", "b", 1, 15000), "a sees b");
    lkc_stream_writer_t *w[STREAMS];
    for (int i = 0; i < STREAMS; i++)
        w[i] = open_and_write(a, 1000);
    CHECK(wait_count(&s, &s.opened, STREAMS, 10000), "b opened %d of %d streams", s.opened, STREAMS);
    reader_t rd[STREAMS * 2];
    pthread_t th[STREAMS * 2];
    for (int i = 0; i < STREAMS * 2; i++) {
        rd[i] = (reader_t){.r = s.readers[i % STREAMS], .timeout_ms = i % 2 ? 20000 : -1, .rc = 1};
        CHECK(pthread_create(&th[i], NULL, read_thread, &rd[i]) == 0, "pthread_create");
    }
    /* every reader has had what there was and now waits */
    int64_t until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < until &&
           lkc_stream_reader_received(s.readers[0]) + lkc_stream_reader_received(s.readers[1]) +
                   lkc_stream_reader_received(s.readers[2]) < 3000)
        g_usleep(5000);
    g_usleep(200000);
    int64_t t0 = g_get_monotonic_time();
    lkc_room_destroy(b);
    /* no handler runs once destroy was asked for (not even on_close); the readers end */
    CHECK_EQ_INT(s.closed, 0);
    for (int i = 0; i < STREAMS * 2; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(rd[i].rc, LKC_ERR_CLOSED);
        CHECK(rd[i].returned_us - t0 < PROMPT_US, "read %d returned %lld us after the destroy began", i,
              (long long)(rd[i].returned_us - t0));
    }
    /* the readers outlive the room */
    for (int i = 0; i < STREAMS; i++) {
        uint8_t buf[8];
        CHECK_EQ_INT(lkc_stream_read(s.readers[i], buf, sizeof buf, -1), LKC_ERR_CLOSED);
        CHECK(*lkc_stream_reader_error(s.readers[i]), "a reason");
        CHECK_EQ_INT(lkc_stream_reader_received(s.readers[i]), 1000);
    }
    fprintf(stderr, "destroy under %d blocked reads: the end reason is \"%s\"\n", STREAMS * 2,
            lkc_stream_reader_error(s.readers[0]));
    for (int i = 0; i < STREAMS; i++)
        CHECK_OK(lkc_stream_close(w[i], NULL, 0)); /* b is gone; a still sends */
    seen_clear(&s);
    lkc_room_destroy(a);
    lkc_test_events_free(ea);
    lkc_test_events_free(eb);
    g_free(room);
}

/* B closes with a stream open; then the sender leaves mid-stream. */
static void close_and_sender_leaves(void)
{
    char *room = lkc_test_room_name("r7-streams-2");
    lkc_test_events_t *ea = lkc_test_events_new(), *eb = lkc_test_events_new();
    seen_t s;
    seen_init(&s);
    lkc_room_t *b = join_with(room, "b", eb, &s);
    lkc_room_t *a = join_with(room, "a", ea, NULL);
    CHECK(lkc_test_events_wait(ea, "participant_connected", "b", 1, 15000), "a sees b");
    lkc_stream_writer_t *w = open_and_write(a, 100);
    CHECK(wait_count(&s, &s.opened, 1, 10000), "b opened the stream");
    CHECK_OK(lkc_room_close(b));
    CHECK_EQ_INT(s.closed, 1);
    CHECK_EQ_INT(s.last_status, LKC_ERR_CLOSED);
    CHECK_STR(s.last_reason, "the room was closed");
    CHECK_OK(lkc_stream_close(w, NULL, 0));

    /* B again (handlers kept across sessions), the sender leaves mid-stream */
    char *tok = lkc_test_token(room, "b", NULL, NULL);
    CHECK_OK(lkc_room_connect(b, lkc_test_env()->url, tok));
    lkc_free(tok);
    CHECK_OK(lkc_room_wait_connected(b, 15000));
    CHECK(lkc_test_events_wait(ea, "participant_connected", "b", 2, 15000), "a sees b again");
    CHECK(lkc_test_events_wait(eb, "participant_connected", "a", 1, 15000), "b sees a");
    w = open_and_write(a, 100);
    CHECK(wait_count(&s, &s.opened, 2, 10000), "b opened the second stream");
    reader_t rd = {.r = s.readers[1], .timeout_ms = -1, .rc = 1};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, read_thread, &rd) == 0, "pthread_create");
    CHECK_OK(lkc_room_close(a)); /* a leaves; its writer is left open */
    CHECK(wait_count(&s, &s.closed, 2, 15000), "b's stream did not end when its sender left");
    pthread_join(th, NULL);
    CHECK_EQ_INT(rd.rc, LKC_ERR_CLOSED);
    CHECK_EQ_INT(rd.got, 100);
    CHECK_STR(s.last_reason, "the sender left the room");
    CHECK_STR(lkc_stream_reader_error(s.readers[1]), "the sender left the room");
    /* the writer of a closed room */
    CHECK_EQ_INT(lkc_stream_write(w, "x", 1), LKC_ERR_STATE);
    lkc_room_destroy(a);
    CHECK_EQ_INT(lkc_stream_write(w, "x", 1), LKC_ERR_CLOSED);
    CHECK_EQ_INT(lkc_stream_close(w, NULL, 0), LKC_ERR_CLOSED);
    lkc_room_destroy(b);
    seen_clear(&s);
    lkc_test_events_free(ea);
    lkc_test_events_free(eb);
    g_free(room);
}

typedef struct {
    lkc_stream_writer_t *w;
    int rc;
    int64_t returned_us;
    int writes;
} writer_t;

static void *write_thread(void *p)
{
    writer_t *wr = p;
    uint8_t *d = g_malloc0(1 << 20);
    while ((wr->rc = lkc_stream_write(wr->w, d, 1 << 20)) == LKC_OK)
        wr->writes++;
    wr->returned_us = g_get_monotonic_time();
    g_free(d);
    return NULL;
}

typedef struct {
    lkc_room_t *room;
    int rc;
    int64_t returned_us;
} sender_t;

static void *send_thread(void *p)
{
    sender_t *sd = p;
    size_t n = 12u << 20; /* more than lkc's queue: sent in parts, each waiting for room */
    uint8_t *d = g_malloc0(n);
    lkc_stream_options_t o;
    lkc_stream_options_init(&o);
    o.topic = "t";
    o.compress = false;
    sd->rc = lkc_stream_send_bytes(sd->room, d, n, &o, NULL);
    sd->returned_us = g_get_monotonic_time();
    g_free(d);
    return NULL;
}

/* A is destroyed with a writer blocked for room in the data queue, a one-shot send under
 * way in another thread, and another writer open. */
static void destroy_under_writer(void)
{
    char *room = lkc_test_room_name("r7-streams-3");
    lkc_test_events_t *ea = lkc_test_events_new(), *eb = lkc_test_events_new();
    lkc_room_t *b = join_with(room, "b", eb, NULL); /* reads nothing: chunks dropped undecoded */
    lkc_room_t *a = join_with(room, "a", ea, NULL);
    CHECK(lkc_test_events_wait(ea, "participant_connected", "b", 1, 15000), "a sees b");
    lkc_stream_writer_t *idle = open_and_write(a, 10);
    lkc_stream_writer_t *busy = open_and_write(a, 10); /* timeout -1: waits for room */
    writer_t wr = {.w = busy, .rc = 1};
    pthread_t th, th2;
    CHECK(pthread_create(&th, NULL, write_thread, &wr) == 0, "pthread_create");
    sender_t sd = {.room = a, .rc = 1};
    CHECK(pthread_create(&th2, NULL, send_thread, &sd) == 0, "pthread_create");
    g_usleep(500000); /* 1 MiB writes, far faster than the network: the queue is full */
    int64_t t0 = g_get_monotonic_time();
    lkc_room_destroy(a);
    pthread_join(th, NULL);
    pthread_join(th2, NULL);
    fprintf(stderr, "one-shot send of 12 MiB under way: %s %lld us after the destroy began\n", lkc_err_str(sd.rc),
            (long long)(sd.returned_us - t0));
    CHECK(sd.rc == LKC_ERR_CLOSED || sd.rc == LKC_ERR_STATE, "the send returned %s", lkc_err_str(sd.rc));
    CHECK(sd.returned_us - t0 < 3 * PROMPT_US, "the send returned late");
    fprintf(stderr, "writer blocked for room: %d MiB taken, then %s %lld us after the destroy began\n",
            wr.writes, lkc_err_str(wr.rc), (long long)(wr.returned_us - t0));
    CHECK(wr.rc == LKC_ERR_CLOSED || wr.rc == LKC_ERR_STATE, "the blocked write returned %s", lkc_err_str(wr.rc));
    CHECK(wr.returned_us - t0 < 3 * PROMPT_US, "the blocked write returned late");
    CHECK_EQ_INT(lkc_stream_write(idle, "x", 1), LKC_ERR_CLOSED);
    CHECK_EQ_INT(lkc_stream_abort(idle, "bye"), LKC_ERR_CLOSED);
    CHECK_EQ_INT(lkc_stream_close(busy, NULL, 0), LKC_ERR_CLOSED);
    lkc_room_destroy(b);
    lkc_test_events_free(ea);
    lkc_test_events_free(eb);
    g_free(room);
}

int main(void)
{
    lkc_test_env();
    RUN(destroy_under_readers);
    /* the baseline after a first pair of rooms: process-wide threads (GLib's, the SCTP
     * stack's) start with the first one and stay */
    int threads = lkc_test_thread_count(), fds = lkc_test_fd_count();
    RUN(close_and_sender_leaves);
    RUN(destroy_under_writer);
    lkc_test_check_baseline(threads, fds, "the data stream lifecycle tests");
    return 0;
}
