/* rtc/sctp: two associations in one process, the packets of each handed to the other's
 * input from an idle source (as a network would), no DTLS in between. */
#include <glib.h>

#include "lkc/error.h"
#include "rtc/sctp.h"
#include "rtc/sctp_stack.h"
#include "test.h"

typedef struct msg {
    uint16_t sid;
    bool binary;
    size_t len;
    uint8_t *data;
} msg_t;

typedef struct opened {
    uint16_t sid;
    char label[64];
    char protocol[64];
    bool ordered;
    int max_rtx;
} opened_t;

typedef struct side {
    const char *name;
    GMainContext *ctx;
    lkc_sctp_t *s;
    struct side *peer;
    GQueue inbox; /* GBytes: packets on their way to this side */
    GSource *deliver_src;
    bool connected;
    bool closed;
    char reason[128];
    opened_t opened[16];
    int n_opened;
    uint16_t closed_ids[16];
    int n_closed;
    GPtrArray *msgs; /* msg_t */
    size_t max_packet;
    int off_thread;           /* callbacks that ran on a thread not owning ctx */
    bool free_self_on_closed; /* free this side from inside on_closed */
    bool free_self_on_msg;    /* ... or from inside on_message */
    bool echo;                /* send every message back on the same stream */
    int sendable;             /* on_sendable calls */
} side_t;

static void note_thread(side_t *x)
{
    if (!g_main_context_is_owner(x->ctx))
        x->off_thread++;
}

static void msg_free(gpointer p)
{
    msg_t *m = p;
    g_free(m->data);
    g_free(m);
}

static gboolean deliver_run(gpointer p)
{
    side_t *x = p;
    g_source_unref(x->deliver_src);
    x->deliver_src = NULL;
    GBytes *b;
    while ((b = g_queue_pop_head(&x->inbox))) {
        gsize n;
        const uint8_t *d = g_bytes_get_data(b, &n);
        if (x->s)
            CHECK_OK(lkc_sctp_input(x->s, d, n));
        g_bytes_unref(b);
    }
    return G_SOURCE_REMOVE;
}

static void cb_send(void *user, const uint8_t *pkt, size_t len)
{
    side_t *x = user, *to = x->peer;
    note_thread(x);
    if (len > x->max_packet)
        x->max_packet = len;
    if (!to || !to->s)
        return; /* the other side is gone: the packet is lost */
    g_queue_push_tail(&to->inbox, g_bytes_new(pkt, len));
    if (!to->deliver_src) {
        to->deliver_src = g_idle_source_new();
        g_source_set_callback(to->deliver_src, deliver_run, to, NULL);
        g_source_attach(to->deliver_src, to->ctx);
    }
}

static void cb_connected(void *user)
{
    side_t *x = user;
    note_thread(x);
    CHECK(!x->connected, "%s: on_connected twice", x->name);
    x->connected = true;
}

static void cb_channel_open(void *user, uint16_t sid, const char *label, const char *protocol,
                            bool ordered, int max_rtx)
{
    side_t *x = user;
    note_thread(x);
    CHECK(x->n_opened < 16, "too many channels");
    opened_t *o = &x->opened[x->n_opened++];
    o->sid = sid;
    g_strlcpy(o->label, label, sizeof o->label);
    g_strlcpy(o->protocol, protocol, sizeof o->protocol);
    o->ordered = ordered;
    o->max_rtx = max_rtx;
}

static void cb_message(void *user, uint16_t sid, bool binary, const uint8_t *data, size_t len)
{
    side_t *x = user;
    note_thread(x);
    CHECK(data != NULL, "%s: NULL data", x->name);
    msg_t *m = g_new0(msg_t, 1);
    *m = (msg_t){.sid = sid, .binary = binary, .len = len, .data = g_memdup2(data, len)};
    g_ptr_array_add(x->msgs, m);
    if (x->echo)
        CHECK_OK(lkc_sctp_send(x->s, sid, binary, data, len));
    if (x->free_self_on_msg) {
        lkc_sctp_free(x->s);
        x->s = NULL;
    }
}

static void cb_channel_closed(void *user, uint16_t sid)
{
    side_t *x = user;
    note_thread(x);
    CHECK(x->n_closed < 16, "too many closes");
    x->closed_ids[x->n_closed++] = sid;
}

static void cb_sendable(void *user)
{
    side_t *x = user;
    note_thread(x);
    x->sendable++;
}

static void cb_closed(void *user, const char *reason)
{
    side_t *x = user;
    note_thread(x);
    CHECK(!x->closed, "%s: on_closed twice", x->name);
    x->closed = true;
    g_strlcpy(x->reason, reason, sizeof x->reason);
    if (x->free_self_on_closed) {
        lkc_sctp_free(x->s);
        x->s = NULL;
    }
}

static void side_init(side_t *x, const char *name, GMainContext *ctx, side_t *peer,
                      bool dtls_client, uint32_t remote_max)
{
    memset(x, 0, sizeof *x);
    x->name = name;
    x->ctx = ctx;
    x->peer = peer;
    x->msgs = g_ptr_array_new_with_free_func(msg_free);
    g_queue_init(&x->inbox);
    lkc_sctp_config_t cfg = {
        .ctx = ctx,
        .dtls_client = dtls_client,
        .remote_max_message_size = remote_max,
        .cb = {.send = cb_send, .on_connected = cb_connected, .on_channel_open = cb_channel_open,
               .on_message = cb_message, .on_channel_closed = cb_channel_closed,
               .on_closed = cb_closed, .on_sendable = cb_sendable},
        .user = x,
    };
    CHECK_OK(lkc_sctp_new(&cfg, &x->s));
}

static void side_free(side_t *x)
{
    lkc_sctp_free(x->s);
    x->s = NULL;
    if (x->deliver_src) {
        g_source_destroy(x->deliver_src);
        g_source_unref(x->deliver_src);
        x->deliver_src = NULL;
    }
    g_queue_clear_full(&x->inbox, (GDestroyNotify)g_bytes_unref);
    g_ptr_array_unref(x->msgs);
    x->msgs = NULL;
}

/* Iterates ctx until cond holds; a failure after ms milliseconds says what was awaited. */
#define WAIT_FOR(ctx, cond, ms)                                                          \
    do {                                                                                 \
        int64_t _dl = g_get_monotonic_time() + (int64_t)(ms)*1000;                       \
        while (!(cond)) {                                                                \
            CHECK(g_get_monotonic_time() < _dl, "timed out after %d ms waiting for %s",  \
                  (int)(ms), #cond);                                                     \
            g_main_context_iteration((ctx), TRUE);                                       \
        }                                                                                \
    } while (0)

/* Runs what is ready without blocking (after the objects and their timers are gone). */
static void drain(GMainContext *ctx)
{
    for (int i = 0; i < 1000 && g_main_context_iteration(ctx, FALSE); i++) {
    }
}

static gboolean keep_awake(gpointer p)
{
    return G_SOURCE_CONTINUE;
}

/* A context owned by the calling thread, with a 20 ms wake-up so WAIT_FOR never blocks
 * for long even when no association (and so no ticker) is alive. */
static GMainContext *context_new(GSource **awake)
{
    GMainContext *ctx = g_main_context_new();
    CHECK(g_main_context_acquire(ctx), "could not acquire a fresh context");
    *awake = g_timeout_source_new(20);
    g_source_set_callback(*awake, keep_awake, NULL, NULL);
    g_source_attach(*awake, ctx);
    return ctx;
}

static void context_free(GMainContext *ctx, GSource *awake)
{
    g_source_destroy(awake);
    g_source_unref(awake);
    drain(ctx);
    g_main_context_release(ctx);
    g_main_context_unref(ctx);
}

/* Threads of this process; with prefix, only those whose name starts with it. */
static int count_threads(const char *prefix)
{
    GDir *d = g_dir_open("/proc/self/task", 0, NULL);
    CHECK(d != NULL, "cannot list /proc/self/task");
    int n = 0;
    const char *tid;
    while ((tid = g_dir_read_name(d))) {
        char *path = g_strdup_printf("/proc/self/task/%s/comm", tid), *comm = NULL;
        if (!prefix || (g_file_get_contents(path, &comm, NULL, NULL) && g_str_has_prefix(comm, prefix)))
            n++;
        g_free(comm);
        g_free(path);
    }
    g_dir_close(d);
    return n;
}

static const opened_t *find_opened(const side_t *x, const char *label)
{
    for (int i = 0; i < x->n_opened; i++)
        if (strcmp(x->opened[i].label, label) == 0)
            return &x->opened[i];
    return NULL;
}

static void check_opened(const side_t *x, const char *label, uint16_t sid, const char *protocol,
                         bool ordered, int max_rtx)
{
    const opened_t *o = find_opened(x, label);
    CHECK(o != NULL, "%s never saw channel '%s' open", x->name, label);
    CHECK(o->sid == sid, "%s: '%s' on stream %u, expected %u", x->name, label, o->sid, sid);
    CHECK_STR(o->protocol, protocol);
    CHECK(o->ordered == ordered, "%s: '%s' ordered=%d", x->name, label, o->ordered);
    CHECK(o->max_rtx == max_rtx, "%s: '%s' max_retransmits=%d, expected %d", x->name, label,
          o->max_rtx, max_rtx);
}

static const msg_t *last_msg(const side_t *x)
{
    CHECK(x->msgs->len > 0, "%s has no message", x->name);
    return g_ptr_array_index(x->msgs, x->msgs->len - 1);
}

static void fill(uint8_t *buf, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

static bool matches(const msg_t *m, size_t n, uint32_t seed)
{
    if (m->len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (m->data[i] != (uint8_t)(seed * 31 + i * 7 + (i >> 8)))
            return false;
    return true;
}

static int init_threads;

static void bad_arguments(void)
{
    CHECK_EQ_INT(count_threads("SCTP"), 0);
    lkc_sctp_t *s = NULL;
    lkc_sctp_config_t cfg = {0};
    CHECK_EQ_INT(lkc_sctp_new(NULL, &s), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_sctp_new(&cfg, &s), LKC_ERR_INVALID_ARG); /* no ctx, no send */
    CHECK(s == NULL, "an object came out of a failed new");
    CHECK_EQ_INT(lkc_sctp_send(NULL, 0, true, NULL, 0), LKC_ERR_INVALID_ARG);
    lkc_sctp_free(NULL);
}

/* The main scenario on one context: channels both ways, messages of every kind and size,
 * the size limit, closing a channel, then freeing one side. */
static void channels_messages_and_close(void)
{
    GSource *awake;
    GMainContext *ctx = context_new(&awake);
    side_t a, b;
    /* A may send B up to B's own limit; B uses the default 64 KiB towards A. */
    side_init(&a, "A", ctx, &b, true, LKC_SCTP_LOCAL_MAX_MESSAGE_SIZE);
    init_threads = count_threads(NULL);
    side_init(&b, "B", ctx, &a, false, 0);
    CHECK_EQ_INT(lkc_sctp_max_message_size(a.s), LKC_SCTP_LOCAL_MAX_MESSAGE_SIZE);
    CHECK_EQ_INT(lkc_sctp_max_message_size(b.s), 65536);

    /* Opened before the association exists: queued, sent on connect. DTLS client: even. */
    uint16_t rel = 99, lossy = 99, chat = 99;
    CHECK_OK(lkc_sctp_open_channel(a.s, "_reliable", NULL, true, -1, &rel));
    CHECK_OK(lkc_sctp_open_channel(a.s, "_lossy", "", false, 0, &lossy));
    CHECK_EQ_INT(rel, 0);
    CHECK_EQ_INT(lossy, 2);
    CHECK_OK(lkc_sctp_send(a.s, rel, false, (const uint8_t *)"early", 5));
    CHECK(lkc_sctp_buffered_amount(a.s) > 0, "nothing buffered before connect");

    CHECK_OK(lkc_sctp_start(a.s));
    CHECK_OK(lkc_sctp_start(b.s));
    CHECK_EQ_INT(lkc_sctp_start(a.s), LKC_ERR_STATE);
    WAIT_FOR(ctx, a.connected && b.connected, 5000);
    WAIT_FOR(ctx, a.n_opened == 2 && b.n_opened == 2 && b.msgs->len == 1, 5000);
    check_opened(&b, "_reliable", 0, "", true, -1);
    check_opened(&b, "_lossy", 2, "", false, 0);
    check_opened(&a, "_reliable", 0, "", true, -1); /* ours, after the ACK */
    check_opened(&a, "_lossy", 2, "", false, 0);
    CHECK(last_msg(&b)->len == 5 && memcmp(last_msg(&b)->data, "early", 5) == 0,
          "the message queued before connect did not arrive first");
    CHECK_EQ_INT(lkc_sctp_buffered_amount(a.s), 0);

    /* The DTLS server's channel gets an odd id; its protocol and PR setting come across. */
    CHECK_OK(lkc_sctp_open_channel(b.s, "chat", "proto-x", true, 3, &chat));
    CHECK_EQ_INT(chat, 1);
    WAIT_FOR(ctx, a.n_opened == 3 && b.n_opened == 3, 5000);
    check_opened(&a, "chat", 1, "proto-x", true, 3);
    check_opened(&b, "chat", 1, "proto-x", true, 3);

    /* Both directions, both kinds, on either side's channels, and empty messages. */
    g_ptr_array_set_size(a.msgs, 0);
    g_ptr_array_set_size(b.msgs, 0);
    CHECK_OK(lkc_sctp_send(a.s, rel, false, (const uint8_t *)"hello", 5));
    CHECK_OK(lkc_sctp_send(a.s, rel, true, (const uint8_t *)"\x00\x01\x02", 3));
    CHECK_OK(lkc_sctp_send(a.s, rel, false, NULL, 0));
    CHECK_OK(lkc_sctp_send(a.s, rel, true, NULL, 0));
    CHECK_OK(lkc_sctp_send(b.s, chat, true, (const uint8_t *)"bin", 3));
    CHECK_OK(lkc_sctp_send(b.s, rel, false, (const uint8_t *)"on A's channel", 14));
    CHECK_OK(lkc_sctp_send(b.s, chat, false, NULL, 0));
    WAIT_FOR(ctx, b.msgs->len == 4 && a.msgs->len == 3, 5000);
    const msg_t *m = g_ptr_array_index(b.msgs, 0);
    CHECK(m->sid == rel && !m->binary && m->len == 5 && !memcmp(m->data, "hello", 5), "string A->B");
    m = g_ptr_array_index(b.msgs, 1);
    CHECK(m->binary && m->len == 3 && !memcmp(m->data, "\x00\x01\x02", 3), "binary A->B");
    m = g_ptr_array_index(b.msgs, 2);
    CHECK(!m->binary && m->len == 0, "empty string A->B: binary=%d len=%zu", m->binary, m->len);
    m = g_ptr_array_index(b.msgs, 3);
    CHECK(m->binary && m->len == 0, "empty binary A->B: binary=%d len=%zu", m->binary, m->len);
    m = g_ptr_array_index(a.msgs, 0);
    CHECK(m->sid == chat && m->binary && m->len == 3, "binary B->A");
    m = g_ptr_array_index(a.msgs, 1);
    CHECK(m->sid == rel && !m->binary && m->len == 14, "string B->A on A's channel");
    m = g_ptr_array_index(a.msgs, 2);
    CHECK(m->sid == chat && !m->binary && m->len == 0, "empty string B->A");

    /* Lossy (unordered, no retransmission) delivers on a lossless link. */
    g_ptr_array_set_size(b.msgs, 0);
    for (int i = 0; i < 5; i++)
        CHECK_OK(lkc_sctp_send(a.s, lossy, true, (const uint8_t *)"lossy", 5));
    WAIT_FOR(ctx, b.msgs->len == 5, 5000);
    CHECK_EQ_INT(last_msg(&b)->sid, lossy);

    /* Large messages arrive whole: 60 KB in one delivery, 200 KB reassembled from the
     * partial deliveries usrsctp makes past 64 KiB. */
    size_t big = 200 * 1000;
    uint8_t *buf = g_malloc(big + 1);
    g_ptr_array_set_size(b.msgs, 0);
    fill(buf, 60 * 1000, 1);
    CHECK_OK(lkc_sctp_send(a.s, rel, true, buf, 60 * 1000));
    fill(buf, big, 2);
    CHECK_OK(lkc_sctp_send(a.s, rel, true, buf, big));
    WAIT_FOR(ctx, b.msgs->len == 2, 10000);
    CHECK(matches(g_ptr_array_index(b.msgs, 0), 60 * 1000, 1), "60 KB message damaged");
    CHECK(matches(g_ptr_array_index(b.msgs, 1), big, 2), "200 KB message damaged (len %zu)",
          ((const msg_t *)g_ptr_array_index(b.msgs, 1))->len);

    /* Over the peer's limit: refused whole, and the channel keeps working. */
    g_ptr_array_set_size(a.msgs, 0);
    CHECK_EQ_INT(lkc_sctp_send(b.s, chat, true, buf, 65537), LKC_ERR_TOO_LARGE);
    CHECK_EQ_INT(lkc_sctp_send(a.s, rel, true, buf, LKC_SCTP_LOCAL_MAX_MESSAGE_SIZE + 1),
                 LKC_ERR_TOO_LARGE);
    CHECK_EQ_INT(lkc_sctp_buffered_amount(b.s), 0);
    fill(buf, 65536, 3);
    CHECK_OK(lkc_sctp_send(b.s, chat, true, buf, 65536));
    CHECK_OK(lkc_sctp_send(b.s, chat, false, (const uint8_t *)"after", 5));
    WAIT_FOR(ctx, a.msgs->len == 2, 5000);
    CHECK(matches(g_ptr_array_index(a.msgs, 0), 65536, 3), "64 KiB message damaged");
    CHECK_EQ_INT(last_msg(&a)->len, 5);
    g_free(buf);

    CHECK_EQ_INT(lkc_sctp_send(a.s, 100, true, (const uint8_t *)"x", 1), LKC_ERR_STATE);
    CHECK(a.max_packet <= 1200 && b.max_packet <= 1200, "SCTP packets over the 1200 MTU: %zu/%zu",
          a.max_packet, b.max_packet);

    /* Closing a channel resets both directions; both sides are told; the id is reused
     * only after that. */
    CHECK_OK(lkc_sctp_close_channel(a.s, lossy));
    CHECK_EQ_INT(lkc_sctp_send(a.s, lossy, true, (const uint8_t *)"x", 1), LKC_ERR_STATE);
    CHECK_EQ_INT(lkc_sctp_close_channel(a.s, lossy), LKC_ERR_STATE);
    WAIT_FOR(ctx, a.n_closed == 1 && b.n_closed == 1, 5000);
    CHECK_EQ_INT(a.closed_ids[0], lossy);
    CHECK_EQ_INT(b.closed_ids[0], lossy);
    CHECK_EQ_INT(lkc_sctp_send(b.s, lossy, true, (const uint8_t *)"x", 1), LKC_ERR_STATE);
    uint16_t again = 99;
    CHECK_OK(lkc_sctp_open_channel(a.s, "again", "", true, -1, &again));
    CHECK(again % 2 == 0 && again != rel, "new channel on stream %u", again);
    WAIT_FOR(ctx, find_opened(&b, "again") && a.n_opened == 4, 5000);
    CHECK_OK(lkc_sctp_send(a.s, again, false, (const uint8_t *)"x", 1));

    /* Freeing A aborts the association: B hears of it. */
    lkc_sctp_free(a.s);
    a.s = NULL;
    WAIT_FOR(ctx, b.closed, 5000);
    CHECK(strlen(b.reason) > 0, "empty close reason");
    CHECK_EQ_INT(lkc_sctp_send(b.s, chat, true, (const uint8_t *)"x", 1), LKC_ERR_CLOSED);
    CHECK_EQ_INT(lkc_sctp_open_channel(b.s, "late", "", true, -1, NULL), LKC_ERR_CLOSED);
    CHECK(!a.closed, "A got on_closed after its own free");
    CHECK_EQ_INT(a.off_thread + b.off_thread, 0);
    side_free(&a);
    side_free(&b);
    context_free(ctx, awake);
}

/* 1000 reliable messages back-to-back: more than usrsctp's send buffer, so most wait in
 * our FIFO; all arrive, complete and in order. */
static void burst_in_order(void)
{
    GSource *awake;
    GMainContext *ctx = context_new(&awake);
    side_t a, b;
    side_init(&a, "A", ctx, &b, true, 0);
    side_init(&b, "B", ctx, &a, false, 0);
    uint16_t rel, lossy;
    CHECK_OK(lkc_sctp_open_channel(a.s, "_reliable", "", true, -1, &rel));
    CHECK_OK(lkc_sctp_open_channel(a.s, "_lossy", "", false, 0, &lossy));
    CHECK_OK(lkc_sctp_start(a.s));
    CHECK_OK(lkc_sctp_start(b.s));
    WAIT_FOR(ctx, a.n_opened == 2 && b.n_opened == 2, 5000);

    enum { COUNT = 1000, SIZE = 2000 };
    uint8_t buf[SIZE];
    int64_t t0 = g_get_monotonic_time();
    for (uint32_t i = 0; i < COUNT; i++) {
        fill(buf, SIZE, i);
        CHECK_OK(lkc_sctp_send(a.s, rel, true, buf, SIZE));
    }
    size_t buffered = lkc_sctp_buffered_amount(a.s);
    CHECK(buffered > 0, "nothing was buffered: the FIFO was not exercised");
    CHECK_EQ_INT(lkc_sctp_channel_buffered_amount(a.s, rel), buffered);
    /* A lossy message does not queue behind them: it is refused, not delayed. */
    CHECK_EQ_INT(lkc_sctp_send(a.s, lossy, true, buf, 10), LKC_ERR_WOULD_BLOCK);
    WAIT_FOR(ctx, b.msgs->len == COUNT, 30000);
    for (uint32_t i = 0; i < COUNT; i++)
        CHECK(matches(g_ptr_array_index(b.msgs, i), SIZE, i), "message %u out of order or damaged", i);
    CHECK_EQ_INT(lkc_sctp_buffered_amount(a.s), 0);
    fprintf(stderr, "   %d x %d bytes in %.0f ms (%zu bytes were buffered)\n", COUNT, SIZE,
            (g_get_monotonic_time() - t0) / 1000.0, buffered);
    CHECK_EQ_INT(a.off_thread + b.off_thread, 0);
    side_free(&a);
    side_free(&b);
    context_free(ctx, awake);
}

/* More than LKC_SCTP_MAX_BUFFERED at once: the send that would pass the bound is refused
 * (nothing taken), on_sendable follows once the FIFO has drained to half, and every
 * message taken arrives in order. */
static void fifo_bound_and_sendable(void)
{
    GSource *awake;
    GMainContext *ctx = context_new(&awake);
    side_t a, b;
    side_init(&a, "A", ctx, &b, true, 0);
    side_init(&b, "B", ctx, &a, false, 0);
    uint16_t rel;
    CHECK_OK(lkc_sctp_open_channel(a.s, "_reliable", "", true, -1, &rel));
    CHECK_OK(lkc_sctp_start(a.s));
    CHECK_OK(lkc_sctp_start(b.s));
    WAIT_FOR(ctx, a.n_opened == 1 && b.n_opened == 1, 5000);

    enum { SIZE = 60000 };
    static uint8_t buf[SIZE];
    uint32_t taken = 0;
    int rc;
    for (;;) {
        fill(buf, SIZE, taken);
        rc = lkc_sctp_send(a.s, rel, true, buf, SIZE);
        if (rc != LKC_OK)
            break;
        taken++;
        CHECK(taken < 1000, "60 MB taken without a refusal");
    }
    CHECK_EQ_INT(rc, LKC_ERR_WOULD_BLOCK);
    CHECK(lkc_sctp_buffered_amount(a.s) <= LKC_SCTP_MAX_BUFFERED, "FIFO over its bound: %zu",
          lkc_sctp_buffered_amount(a.s));
    CHECK_EQ_INT(a.sendable, 0);
    WAIT_FOR(ctx, a.sendable == 1, 30000);
    CHECK(lkc_sctp_buffered_amount(a.s) <= LKC_SCTP_MAX_BUFFERED / 2, "on_sendable with %zu buffered",
          lkc_sctp_buffered_amount(a.s));
    fill(buf, SIZE, taken);
    CHECK_OK(lkc_sctp_send(a.s, rel, true, buf, SIZE)); /* the refused one, again */
    taken++;
    WAIT_FOR(ctx, b.msgs->len == taken, 60000);
    for (uint32_t i = 0; i < taken; i++)
        CHECK(matches(g_ptr_array_index(b.msgs, i), SIZE, i), "message %u out of order or damaged", i);
    CHECK_EQ_INT(a.sendable, 1); /* once per refusal */
    fprintf(stderr, "   %u x %d bytes taken before the refusal and after on_sendable\n", taken, SIZE);
    side_free(&a);
    side_free(&b);
    context_free(ctx, awake);
}

/* lkc_sctp_free() from inside the object's own callbacks, called from inside usrsctp. */
static void free_from_callbacks(void)
{
    GSource *awake;
    GMainContext *ctx = context_new(&awake);
    side_t a, b;
    side_init(&a, "A", ctx, &b, true, 0);
    side_init(&b, "B", ctx, &a, false, 0);
    uint16_t rel;
    CHECK_OK(lkc_sctp_open_channel(a.s, "_reliable", "", true, -1, &rel));
    CHECK_OK(lkc_sctp_start(a.s));
    CHECK_OK(lkc_sctp_start(b.s));
    WAIT_FOR(ctx, a.n_opened == 1 && b.n_opened == 1, 5000);

    /* B frees itself on the first message; the next ones find nobody. */
    b.free_self_on_msg = true;
    CHECK_OK(lkc_sctp_send(a.s, rel, true, (const uint8_t *)"1", 1));
    CHECK_OK(lkc_sctp_send(a.s, rel, true, (const uint8_t *)"2", 1));
    WAIT_FOR(ctx, b.s == NULL, 5000);
    CHECK_EQ_INT(b.msgs->len, 1);
    CHECK_OK(lkc_sctp_send(a.s, rel, true, (const uint8_t *)"3", 1));
    drain(ctx);
    CHECK_EQ_INT(b.msgs->len, 1);
    side_free(&a);
    side_free(&b);

    /* A new pair: B frees itself from on_closed when A goes away. B never calls start:
     * A's INIT starts it (a socket that has not connected would answer with an ABORT). */
    side_init(&a, "A", ctx, &b, true, 0);
    side_init(&b, "B", ctx, &a, false, 0);
    CHECK_OK(lkc_sctp_start(a.s));
    WAIT_FOR(ctx, a.connected && b.connected, 5000);
    b.free_self_on_closed = true;
    lkc_sctp_free(a.s);
    a.s = NULL;
    WAIT_FOR(ctx, b.closed && b.s == NULL, 5000);
    drain(ctx);
    CHECK_EQ_INT(a.off_thread + b.off_thread, 0);
    side_free(&a);
    side_free(&b);
    context_free(ctx, awake);
}

/* A second "room" on its own thread and context, running while the main one waits. */
typedef struct room {
    GThread *thread;
    gint ready;    /* its pair is up */
    gint stop;     /* main asks it to finish */
    int echoes;
    int off_thread;
} room_t;

static gpointer room_main(gpointer p)
{
    room_t *r = p;
    GSource *awake;
    GMainContext *ctx = context_new(&awake);
    g_main_context_push_thread_default(ctx);
    side_t a, b;
    side_init(&a, "A2", ctx, &b, true, 0);
    side_init(&b, "B2", ctx, &a, false, 0);
    b.echo = true;
    uint16_t sid;
    CHECK_OK(lkc_sctp_open_channel(a.s, "room2", "", true, -1, &sid));
    CHECK_OK(lkc_sctp_start(a.s));
    CHECK_OK(lkc_sctp_start(b.s));
    WAIT_FOR(ctx, a.n_opened == 1 && b.n_opened == 1, 5000);
    for (int i = 0; i < 20; i++) {
        CHECK_OK(lkc_sctp_send(a.s, sid, true, (const uint8_t *)"ping", 4));
        WAIT_FOR(ctx, a.msgs->len == (guint)i + 1, 5000);
    }
    r->echoes = (int)a.msgs->len;
    g_atomic_int_set(&r->ready, 1);
    /* Keep ticking the shared clock until main is done with its checks. */
    WAIT_FOR(ctx, g_atomic_int_get(&r->stop), 20000);
    r->off_thread = a.off_thread + b.off_thread;
    side_free(&a);
    side_free(&b);
    g_main_context_pop_thread_default(ctx);
    context_free(ctx, awake);
    return NULL;
}

/* While we do not iterate our context, waits until another thread's tick has fired one of
 * our timers and posted the result to us. */
static void wait_for_marshalling(void)
{
    uint64_t before = lkc_sctp_stack_marshalled_count();
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (lkc_sctp_stack_marshalled_count() == before) {
        CHECK(g_get_monotonic_time() < deadline, "no timer of room 1 fired on room 2's thread");
        g_usleep(1000); /* waiting for the other thread, not for our own context */
    }
}

/* Two rooms on two threads share the stack's clock, whose one ticker runs on the context
 * of the room that held it first (room 2 here). A timer of the main room that fires on
 * the other thread's tick must reach the main room on its own thread. */
static void two_rooms_two_threads(void)
{
    room_t room = {0};
    room.thread = g_thread_new("room2", room_main, &room);
    int64_t ready_by = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (!g_atomic_int_get(&room.ready)) {
        CHECK(g_get_monotonic_time() < ready_by, "room 2 never got its pair up");
        g_usleep(1000); /* waiting for the other thread */
    }
    GSource *awake;
    GMainContext *ctx = context_new(&awake);
    side_t a, b;
    side_init(&a, "A1", ctx, &b, true, 0);
    side_init(&b, "B1", ctx, &a, false, 0);
    b.echo = true;
    uint16_t sid;
    CHECK_OK(lkc_sctp_open_channel(a.s, "room1", "", true, -1, &sid));
    CHECK_OK(lkc_sctp_start(a.s));
    CHECK_OK(lkc_sctp_start(b.s));
    WAIT_FOR(ctx, a.n_opened == 1 && b.n_opened == 1, 10000);

    /* After the echo, A1 owes B1 a delayed SACK (a 200 ms timer). We stop iterating our
     * context, so only room 2's ticks can fire it: it must be marshalled to us. */
    CHECK_OK(lkc_sctp_send(a.s, sid, true, (const uint8_t *)"ping", 4));
    WAIT_FOR(ctx, a.msgs->len == 1, 5000);
    wait_for_marshalling();
    /* Now the marshalled packets are delivered here, and the rooms keep working. */
    for (int i = 2; i <= 10; i++) {
        CHECK_OK(lkc_sctp_send(a.s, sid, true, (const uint8_t *)"ping", 4));
        WAIT_FOR(ctx, a.msgs->len == (guint)i, 5000);
    }
    /* Once more, but free both sides before the marshalled job runs: it must find the id
     * gone and drop the packet. */
    CHECK_OK(lkc_sctp_send(a.s, sid, true, (const uint8_t *)"ping", 4));
    WAIT_FOR(ctx, a.msgs->len == 11, 5000);
    wait_for_marshalling();
    CHECK_EQ_INT(a.off_thread + b.off_thread, 0);
    side_free(&a);
    side_free(&b);
    drain(ctx);

    /* A new pair here, then room 2 goes: the ticker moves to the one context still
     * holding it, ours, and our timers keep firing. */
    side_init(&a, "A3", ctx, &b, true, 0);
    side_init(&b, "B3", ctx, &a, false, 0);
    b.echo = true;
    CHECK_OK(lkc_sctp_open_channel(a.s, "room1b", "", true, -1, &sid));
    CHECK_OK(lkc_sctp_start(a.s));
    CHECK_OK(lkc_sctp_start(b.s));
    WAIT_FOR(ctx, a.n_opened == 1 && b.n_opened == 1, 10000);
    CHECK(lkc_sctp_stack_ticker_context() != ctx, "the ticker should run on room 2's context");
    g_atomic_int_set(&room.stop, 1);
    g_thread_join(room.thread);
    CHECK_EQ_INT(room.echoes, 20);
    CHECK_EQ_INT(room.off_thread, 0);
    CHECK(lkc_sctp_stack_ticker_context() == ctx, "the ticker did not move to the remaining room");
    for (int i = 1; i <= 10; i++) {
        CHECK_OK(lkc_sctp_send(a.s, sid, true, (const uint8_t *)"ping", 4));
        WAIT_FOR(ctx, a.msgs->len == (guint)i, 5000);
    }
    CHECK_EQ_INT(a.off_thread + b.off_thread, 0);
    side_free(&a);
    side_free(&b);
    drain(ctx);
    CHECK(lkc_sctp_stack_ticker_context() == NULL, "the ticker outlived every association");
    context_free(ctx, awake);
}

static void threads_back_to_baseline(void)
{
    /* usrsctp's iterator thread started once and stays; nothing else of ours remains.
     * No-threads mode: it is usrsctp's only thread (no timer, no raw-socket readers). */
    CHECK_EQ_INT(count_threads(NULL), init_threads);
    CHECK_EQ_INT(count_threads("SCTP"), 1);
    CHECK_OK(lkc_sctp_stack_shutdown());
    CHECK_EQ_INT(count_threads("SCTP"), 0);
    CHECK_EQ_INT(count_threads(NULL), init_threads - 1);
    CHECK_OK(lkc_sctp_stack_shutdown()); /* idempotent */

    /* The stack starts again on demand after a shutdown. */
    GSource *awake;
    GMainContext *ctx = context_new(&awake);
    side_t a, b;
    side_init(&a, "A", ctx, &b, true, 0);
    side_init(&b, "B", ctx, &a, false, 0);
    CHECK_OK(lkc_sctp_start(a.s));
    CHECK_OK(lkc_sctp_start(b.s));
    WAIT_FOR(ctx, a.connected && b.connected, 5000);
    CHECK_EQ_INT(lkc_sctp_stack_shutdown(), LKC_ERR_STATE); /* associations alive */
    side_free(&a);
    side_free(&b);
    context_free(ctx, awake);
    CHECK_OK(lkc_sctp_stack_shutdown());
    CHECK_EQ_INT(count_threads("SCTP"), 0);
}

int main(void)
{
    RUN(bad_arguments);
    RUN(channels_messages_and_close);
    RUN(burst_in_order);
    RUN(fifo_bound_and_sendable);
    RUN(free_from_callbacks);
    RUN(two_rooms_two_threads);
    RUN(threads_back_to_baseline);
    return 0;
}
