/* Data streams and RPC calls in flight through a reconnection, lkc to lkc through a
 * private livekit-server:
 * - a resume (every UDP packet of the server dropped for 10 s, loopback only): a byte
 *   stream being written arrives whole (sha256) and a slow RPC call in flight completes
 *   with its answer; both sides report a resume, none a full reconnect;
 * - a full reconnect (the server killed and started again): the stream being written
 *   ends at the reader with an error and a reason, the writer's next write says
 *   LKC_ERR_CLOSED, and the call in flight completes with an error that says so. */
#include <glib.h>
#include <pthread.h>

#include "events.h"
#include "interop.h"
#include "netfault.h"
#include "private_server.h"

#define PIECE (16 * 1024)

typedef struct rx {
    pthread_mutex_t lock;
    GChecksum *sum;
    uint64_t bytes;
    int closed;          /* on_close calls */
    lkc_err_t status;
    char reason[200];
    char sha[65];
} rx_t;

static void rx_open(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, void *user)
{
    rx_t *rx = user;
    pthread_mutex_lock(&rx->lock);
    if (rx->sum)
        g_checksum_free(rx->sum);
    rx->sum = g_checksum_new(G_CHECKSUM_SHA256);
    rx->bytes = 0;
    pthread_mutex_unlock(&rx->lock);
}

static void rx_chunk(lkc_room_t *room, lkc_stream_reader_t *r, const uint8_t *d, size_t n, void *user)
{
    rx_t *rx = user;
    pthread_mutex_lock(&rx->lock);
    g_checksum_update(rx->sum, d, n);
    rx->bytes += n;
    pthread_mutex_unlock(&rx->lock);
}

static void rx_close(lkc_room_t *room, lkc_stream_reader_t *r, const lkc_stream_info_t *info, lkc_err_t status,
                     const char *reason, void *user)
{
    rx_t *rx = user;
    pthread_mutex_lock(&rx->lock);
    rx->closed++;
    rx->status = status;
    g_strlcpy(rx->reason, reason, sizeof rx->reason);
    g_strlcpy(rx->sha, g_checksum_get_string(rx->sum), sizeof rx->sha);
    pthread_mutex_unlock(&rx->lock);
}

/* "slow": answered 4 s later from another thread */
typedef struct later {
    lkc_room_t *room;
    lkc_rpc_invocation_t inv;
} later_t;

static gpointer answer_later(gpointer p)
{
    later_t *l = p;
    g_usleep(4 * G_USEC_PER_SEC);
    lkc_rpc_respond(l->room, l->inv, "slow answer");
    g_free(l);
    return NULL;
}

static GThread *answerers[8]; /* joined before the room goes: an answer after destroy would be a bug */
static int n_answerers;

static void on_slow(lkc_room_t *room, const lkc_rpc_request_t *req, lkc_rpc_invocation_t inv, void *user)
{
    later_t *l = g_new0(later_t, 1);
    l->room = room;
    l->inv = inv;
    if (n_answerers < 8)
        answerers[n_answerers++] = g_thread_new("answer", answer_later, l);
    else
        lkc_rpc_respond(room, inv, "too many");
}

typedef struct call {
    pthread_mutex_t lock;
    bool done;
    uint32_t code;
    char payload[64];
    char message[200];
} call_t;

static void on_done(lkc_room_t *room, const lkc_rpc_result_t *r, void *user)
{
    call_t *c = user;
    pthread_mutex_lock(&c->lock);
    c->done = true;
    c->code = r->error_code;
    g_strlcpy(c->payload, r->payload ? r->payload : "", sizeof c->payload);
    g_strlcpy(c->message, r->error_message ? r->error_message : "", sizeof c->message);
    pthread_mutex_unlock(&c->lock);
}

static bool call_done(call_t *c, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 50; i++) {
        pthread_mutex_lock(&c->lock);
        bool d = c->done;
        pthread_mutex_unlock(&c->lock);
        if (d)
            return true;
        g_usleep(50000);
    }
    return false;
}

static int closed(rx_t *rx)
{
    pthread_mutex_lock(&rx->lock);
    int n = rx->closed;
    pthread_mutex_unlock(&rx->lock);
    return n;
}

/* Writes `pieces` pieces of PIECE pseudo-random bytes, 50 ms apart, hashing them; stops
 * at the first error (returned). */
static lkc_err_t write_paced(lkc_stream_writer_t *w, int pieces, GChecksum *sum, int *written)
{
    uint8_t buf[PIECE];
    for (int i = 0; i < pieces; i++) {
        for (size_t k = 0; k < PIECE; k++)
            buf[k] = (uint8_t)(k * 31 + (size_t)i * 7);
        lkc_err_t rc = lkc_stream_write(w, buf, PIECE);
        if (rc != LKC_OK)
            return rc;
        g_checksum_update(sum, buf, PIECE);
        (*written)++;
        g_usleep(50000);
    }
    return LKC_OK;
}

typedef struct writer_job {
    lkc_stream_writer_t *w;
    int pieces;
    GChecksum *sum;
    int written;
    lkc_err_t rc;
} writer_job_t;

static gpointer writer_thread(gpointer p)
{
    writer_job_t *j = p;
    j->rc = write_paced(j->w, j->pieces, j->sum, &j->written);
    return NULL;
}

static lkc_stream_writer_t *open_writer(lkc_room_t *a)
{
    const char *to[] = {"lkc-b"};
    lkc_stream_options_t o;
    lkc_stream_options_init(&o);
    o.topic = "big";
    o.name = "through-a-fault.bin";
    o.destination_identities = to;
    o.n_destinations = 1;
    o.timeout_ms = -1;
    lkc_stream_writer_t *w = NULL;
    CHECK_OK(lkc_stream_open_bytes(a, &o, &w));
    return w;
}

static void streams_and_rpc(void)
{
    lkc_test_private_server_t *srv = lkc_test_private_server_start("rc-streams", "");
    lkc_test_netfault_setup_for(srv);
    lkc_test_events_t *eva = lkc_test_events_new(), *evb = lkc_test_events_new();
    rx_t rx = {.lock = PTHREAD_MUTEX_INITIALIZER};
    lkc_room_options_t ob;
    lkc_room_options_init(&ob);
    lkc_room_t *b = NULL;
    lkc_test_events_install(evb, &ob);
    CHECK_OK(lkc_room_create(&ob, &b));
    static const lkc_stream_handlers_t h = {rx_open, rx_chunk, rx_close};
    CHECK_OK(lkc_room_register_byte_stream_handler(b, "big", &h, &rx));
    CHECK_OK(lkc_rpc_register(b, "slow", on_slow, NULL));
    char *room = lkc_test_room_name("rcs");
    char *tok = lkc_test_token(room, "lkc-b", NULL, NULL);
    CHECK_OK(lkc_room_connect(b, srv->url, tok));
    lkc_free(tok);
    CHECK_OK(lkc_room_wait_connected(b, 15000));
    lkc_room_t *a = lkc_test_join_at(srv->url, room, "lkc-a", eva, NULL);
    CHECK(lkc_test_events_wait(eva, "participant_connected", "lkc-b", 1, 15000), "lkc-a did not see lkc-b");

    /* --- a resume ------------------------------------------------------------------- */
    call_t c1 = {.lock = PTHREAD_MUTEX_INITIALIZER};
    CHECK_OK(lkc_rpc_call_async(a, "lkc-b", "slow", "1", NULL, on_done, &c1));
    writer_job_t j = {.w = open_writer(a), .pieces = 260, .sum = g_checksum_new(G_CHECKSUM_SHA256)};
    GThread *t = g_thread_new("writer", writer_thread, &j);
    g_usleep(1000000);
    lkc_test_netfault_udp_block(); /* long enough for ICE to fail: lkc resumes */
    g_usleep(10000000);
    lkc_test_netfault_udp_unblock();
    g_thread_join(t);
    CHECK(j.rc == LKC_OK, "a write during the resume failed: %s (after %d pieces)", lkc_err_str(j.rc), j.written);
    CHECK_OK(lkc_stream_close(j.w, NULL, 0));
    for (int i = 0; i < 300 && closed(&rx) == 0; i++)
        g_usleep(50000);
    CHECK(closed(&rx) == 1, "the stream did not end at lkc-b (%llu bytes so far)", (unsigned long long)rx.bytes);
    CHECK(rx.status == LKC_OK, "the stream ended with %s: %s", lkc_err_str(rx.status), rx.reason);
    CHECK(rx.bytes == (uint64_t)j.written * PIECE, "lkc-b got %llu bytes of %d", (unsigned long long)rx.bytes,
          j.written * PIECE);
    CHECK_STR(rx.sha, g_checksum_get_string(j.sum));
    CHECK(call_done(&c1, 15000), "the RPC call in flight never completed");
    CHECK(c1.code == 0 && strcmp(c1.payload, "slow answer") == 0, "the call got %u %s%s", c1.code, c1.payload,
          c1.message);
    CHECK(lkc_test_events_count(eva, "reconnected", "resume") >= 1, "lkc-a did not resume");
    CHECK_EQ_INT(lkc_test_events_count(eva, "reconnected", "full"), 0);
    fprintf(stderr, "resume: a %d KiB stream arrived whole (sha256 equal), the call in flight got its answer\n",
            j.written * PIECE / 1024);
    g_checksum_free(j.sum);

    /* --- a full reconnect ----------------------------------------------------------- */
    call_t c2 = {.lock = PTHREAD_MUTEX_INITIALIZER};
    CHECK_OK(lkc_rpc_call_async(a, "lkc-b", "slow", "2", NULL, on_done, &c2));
    lkc_stream_writer_t *w = open_writer(a);
    uint8_t piece[PIECE] = {0};
    CHECK_OK(lkc_stream_write(w, piece, sizeof piece));
    for (int i = 0; i < 100 && rx.closed == 1 && rx.bytes != PIECE; i++)
        g_usleep(50000); /* the stream is open at lkc-b */
    lkc_test_private_server_restart_same_ports(1000);
    CHECK(lkc_test_events_wait(eva, "reconnected", "full", 1, 30000), "lkc-a did not reconnect fully");
    CHECK(call_done(&c2, 15000), "the call in flight did not complete after the full reconnect");
    CHECK(c2.code != 0, "the call in flight through a full reconnect succeeded?");
    fprintf(stderr, "full reconnect: the call ended with %u (%s)\n", c2.code, c2.message);
    lkc_err_t rc = lkc_stream_write(w, piece, sizeof piece);
    CHECK(rc == LKC_ERR_CLOSED, "a write after the full reconnect gave %s", lkc_err_str(rc));
    lkc_stream_abort(w, "reconnected");
    for (int i = 0; i < 300 && closed(&rx) < 2; i++)
        g_usleep(50000);
    CHECK(closed(&rx) == 2, "the stream cut by the full reconnect did not end at lkc-b");
    CHECK(rx.status != LKC_OK && rx.reason[0], "the cut stream ended with %s, reason \"%s\"", lkc_err_str(rx.status),
          rx.reason);
    fprintf(stderr, "full reconnect: the reader ended with %s (%s); the writer's next write: %s\n",
            lkc_err_str(rx.status), rx.reason, lkc_err_str(rc));

    for (int i = 0; i < n_answerers; i++)
        g_thread_join(answerers[i]); /* an answer to a request that is gone: LKC_ERR_NOT_FOUND */
    lkc_room_destroy(a);
    lkc_room_destroy(b);
    lkc_test_netfault_teardown();
    if (rx.sum)
        g_checksum_free(rx.sum);
    lkc_test_events_free(eva);
    lkc_test_events_free(evb);
    g_free(room);
    lkc_test_private_server_stop();
}

int main(void)
{
    lkc_test_env();
    RUN(streams_and_rpc);
    return 0;
}
