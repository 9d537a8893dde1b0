/* rtc/dtls and rtc/cert: two associations in one process on one GMainContext, the
 * send() of each feeding the input() of the other through a simulated wire that can
 * drop datagrams. Both role assignments, SRTP keys, data, fingerprints, timeouts,
 * garbage and freeing at awkward moments. */
#include <glib.h>

#include "base/clock.h"
#include "base/rand.h"
#include "lkc/error.h"
#include "rtc/cert.h"
#include "rtc/dtls.h"
#include "rtc/srtp.h"
#include "test.h"

static GMainContext *ctx;

enum free_point { FREE_NEVER, FREE_IN_SEND, FREE_IN_CONNECTED, FREE_IN_DATA, FREE_IN_FAILED };

typedef struct endpoint endpoint_t;
struct endpoint {
    const char *name;
    lkc_dtls_t *d;
    endpoint_t *peer;
    unsigned drop_mask; /* bit i set: drop the i-th datagram sent (a lost flight) */
    bool mute;      /* drop every outgoing datagram */
    int sent, dropped;
    int connected;
    lkc_srtp_keys_t keys;
    int failed;
    char reason[256];
    int closed;
    int data_count;
    GByteArray *rx;
    enum free_point free_at;
    bool freed;
    int calls_after_free;
};

/* ---------------------------------------------------------------- the wire */

typedef struct {
    endpoint_t *to;
    GBytes *bytes;
} packet_t;

static GQueue wire = G_QUEUE_INIT;

static void wire_clear(void)
{
    packet_t *p;
    while ((p = g_queue_pop_head(&wire))) {
        g_bytes_unref(p->bytes);
        g_free(p);
    }
}

/* Delivers one datagram if any is in flight, else runs one iteration of ctx (a
 * ticking source bounds how long that can block). */
static void pump_once(void)
{
    packet_t *p = g_queue_pop_head(&wire);
    if (p) {
        size_t n;
        const uint8_t *b = g_bytes_get_data(p->bytes, &n);
        if (p->to && p->to->d)
            lkc_dtls_input(p->to->d, b, n);
        g_bytes_unref(p->bytes);
        g_free(p);
        return;
    }
    g_main_context_iteration(ctx, TRUE);
}

static void pump_for(int ms)
{
    int64_t end = lkc_mono_ms() + ms;
    while (lkc_mono_ms() < end)
        pump_once();
}

#define PUMP_UNTIL(cond, ms)                                                                       \
    do {                                                                                           \
        int64_t _end = lkc_mono_ms() + (ms);                                                       \
        while (!(cond)) {                                                                          \
            CHECK(lkc_mono_ms() < _end, "still not (%s) after %d ms", #cond, (int)(ms));           \
            pump_once();                                                                           \
        }                                                                                          \
    } while (0)

static gboolean tick(gpointer u)
{
    return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- callbacks */

static void free_self(endpoint_t *ep)
{
    lkc_dtls_free(ep->d);
    ep->d = NULL;
    ep->freed = true;
}

static void cb_send(void *user, const uint8_t *buf, size_t len)
{
    endpoint_t *ep = user;
    if (ep->freed)
        ep->calls_after_free++;
    ep->sent++;
    int index = ep->sent - 1;
    if (ep->mute || (index < 32 && (ep->drop_mask >> index) & 1u)) {
        ep->dropped++;
    } else {
        packet_t *p = g_new0(packet_t, 1);
        p->to = ep->peer;
        p->bytes = g_bytes_new(buf, len);
        g_queue_push_tail(&wire, p);
    }
    if (ep->free_at == FREE_IN_SEND)
        free_self(ep);
}

static void cb_connected(void *user, const lkc_srtp_keys_t *keys)
{
    endpoint_t *ep = user;
    if (ep->freed)
        ep->calls_after_free++;
    ep->connected++;
    ep->keys = *keys;
    if (ep->free_at == FREE_IN_CONNECTED)
        free_self(ep);
}

static void cb_data(void *user, const uint8_t *buf, size_t len)
{
    endpoint_t *ep = user;
    if (ep->freed)
        ep->calls_after_free++;
    ep->data_count++;
    g_byte_array_append(ep->rx, buf, (guint)len);
    if (ep->free_at == FREE_IN_DATA)
        free_self(ep);
}

static void cb_failed(void *user, const char *reason)
{
    endpoint_t *ep = user;
    if (ep->freed)
        ep->calls_after_free++;
    ep->failed++;
    snprintf(ep->reason, sizeof ep->reason, "%s", reason ? reason : "(null)");
    if (ep->free_at == FREE_IN_FAILED)
        free_self(ep);
}

static void cb_closed(void *user)
{
    endpoint_t *ep = user;
    if (ep->freed)
        ep->calls_after_free++;
    ep->closed++;
}

/* ---------------------------------------------------------------- set-up */

static char own_fp[LKC_CERT_FP_SIZE]; /* both ends share the process certificate */

static void ep_init(endpoint_t *ep, const char *name, endpoint_t *peer)
{
    memset(ep, 0, sizeof *ep);
    ep->name = name;
    ep->peer = peer;
    ep->rx = g_byte_array_new();
}

static lkc_dtls_config_t config_for(endpoint_t *ep, lkc_dtls_role_t role)
{
    lkc_dtls_config_t c = {
        .ctx = ctx,
        .role = role,
        .remote_fp_algo = "sha-256",
        .remote_fp = own_fp,
        .retransmit_ms = 50,
        .send = cb_send,
        .on_connected = cb_connected,
        .on_data = cb_data,
        .on_failed = cb_failed,
        .on_closed = cb_closed,
        .user = ep,
    };
    return c;
}

static void ep_open(endpoint_t *ep, const lkc_dtls_config_t *c)
{
    CHECK_OK(lkc_dtls_new(c, &ep->d));
    CHECK_EQ_INT(lkc_dtls_get_state(ep->d), LKC_DTLS_NEW);
}

/* Frees the association and proves it left no source behind on ctx. */
static void ep_close(endpoint_t *ep)
{
    if (ep->d) {
        gpointer key = ep->d;
        lkc_dtls_free(ep->d);
        ep->d = NULL;
        ep->freed = true;
        CHECK(g_main_context_find_source_by_user_data(ctx, key) == NULL, "%s left a source on ctx",
              ep->name);
    }
    if (ep->rx)
        g_byte_array_unref(ep->rx);
    ep->rx = NULL;
}

static void start_both(endpoint_t *a, endpoint_t *b)
{
    CHECK_OK(lkc_dtls_start(a->d));
    CHECK_OK(lkc_dtls_start(b->d));
}

static void send_and_expect(endpoint_t *from, endpoint_t *to, size_t len)
{
    uint8_t *buf = g_malloc(len);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 31 + len);
    int before = to->data_count;
    guint off = to->rx->len;
    CHECK_OK(lkc_dtls_write(from->d, buf, len));
    PUMP_UNTIL(to->data_count == before + 1, 2000);
    CHECK(to->rx->len == off + len && memcmp(to->rx->data + off, buf, len) == 0,
          "%s received %u bytes, not the %zu sent by %s", to->name, to->rx->len - off, len, from->name);
    g_free(buf);
}

static void check_keys_cross_match(const endpoint_t *a, const endpoint_t *b)
{
    CHECK_EQ_INT(a->keys.profile, b->keys.profile);
    CHECK_EQ_INT(a->keys.master_len, b->keys.master_len);
    size_t kl = 0, sl = 0;
    CHECK_OK(lkc_srtp_profile_lengths(a->keys.profile, &kl, &sl));
    CHECK_EQ_INT(a->keys.master_len, kl + sl);
    CHECK(memcmp(a->keys.local, b->keys.remote, a->keys.master_len) == 0, "%s local != %s remote", a->name,
          b->name);
    CHECK(memcmp(a->keys.remote, b->keys.local, a->keys.master_len) == 0, "%s remote != %s local", a->name,
          b->name);
    CHECK(memcmp(a->keys.local, a->keys.remote, a->keys.master_len) != 0, "local and remote keys equal");
}

/* ---------------------------------------------------------------- tests */

static void handshake_data_close(lkc_dtls_role_t a_role)
{
    endpoint_t a, b;
    ep_init(&a, "A", &b);
    ep_init(&b, "B", &a);
    lkc_dtls_config_t ca = config_for(&a, a_role);
    lkc_dtls_config_t cb = config_for(&b, a_role == LKC_DTLS_CLIENT ? LKC_DTLS_SERVER : LKC_DTLS_CLIENT);
    /* SDP spellings vary: algorithm and hex case must not matter. */
    char lower[LKC_CERT_FP_SIZE];
    for (size_t i = 0; i < sizeof lower; i++)
        lower[i] = g_ascii_tolower(own_fp[i]);
    cb.remote_fp_algo = "SHA-256";
    cb.remote_fp = lower;
    ep_open(&a, &ca);
    ep_open(&b, &cb);
    CHECK_STR(lkc_dtls_local_fingerprint(a.d), own_fp);
    CHECK_EQ_INT(lkc_dtls_get_role(a.d), a_role);

    uint8_t one = 1;
    CHECK_EQ_INT(lkc_dtls_write(a.d, &one, 1), LKC_ERR_STATE);
    start_both(&a, &b);
    CHECK_STR(lkc_dtls_state_str(lkc_dtls_get_state(a.d)), "connecting");
    PUMP_UNTIL(a.connected && b.connected, 5000);
    CHECK(a.failed == 0 && b.failed == 0, "failed: A \"%s\" B \"%s\"", a.reason, b.reason);
    CHECK_STR(lkc_dtls_state_str(lkc_dtls_get_state(a.d)), "connected");
    CHECK_STR(lkc_dtls_state_str(lkc_dtls_get_state(b.d)), "connected");
    CHECK_EQ_INT(a.keys.profile, LKC_SRTP_AEAD_AES_128_GCM); /* first in the server's list */
    check_keys_cross_match(&a, &b);

    send_and_expect(&a, &b, 1);
    send_and_expect(&b, &a, 1);
    send_and_expect(&a, &b, 1200);
    send_and_expect(&b, &a, LKC_DTLS_MAX_WRITE);
    uint8_t big[LKC_DTLS_MAX_WRITE + 1] = {0};
    CHECK_EQ_INT(lkc_dtls_write(a.d, big, sizeof big), LKC_ERR_TOO_LARGE);
    CHECK_EQ_INT(lkc_dtls_start(a.d), LKC_ERR_STATE);
    CHECK_EQ_INT(lkc_dtls_set_remote_fingerprint(a.d, "sha-256", own_fp), LKC_ERR_STATE);

    /* close: close_notify reaches the peer, which reports on_closed; no callback here. */
    CHECK_OK(lkc_dtls_close(a.d));
    CHECK_OK(lkc_dtls_close(a.d));
    CHECK_STR(lkc_dtls_state_str(lkc_dtls_get_state(a.d)), "closed");
    CHECK_EQ_INT(lkc_dtls_write(a.d, &one, 1), LKC_ERR_STATE);
    PUMP_UNTIL(b.closed == 1, 2000);
    CHECK_EQ_INT(lkc_dtls_get_state(b.d), LKC_DTLS_CLOSED);
    CHECK(a.closed == 0 && a.failed == 0 && b.failed == 0, "unexpected callbacks after close");
    ep_close(&a);
    ep_close(&b);
    wire_clear();
}

static void handshake_a_client(void)
{
    handshake_data_close(LKC_DTLS_CLIENT);
}

static void handshake_a_server(void)
{
    handshake_data_close(LKC_DTLS_SERVER);
}

/* Connects a client and a server with the given SRTP offers; returns when both are up. */
static void connect_pair(endpoint_t *c, endpoint_t *s, const char *client_profiles, const char *server_profiles)
{
    ep_init(c, "client", s);
    ep_init(s, "server", c);
    lkc_dtls_config_t cc = config_for(c, LKC_DTLS_CLIENT);
    lkc_dtls_config_t cs = config_for(s, LKC_DTLS_SERVER);
    cc.srtp_profiles = client_profiles;
    cs.srtp_profiles = server_profiles;
    ep_open(c, &cc);
    ep_open(s, &cs);
    start_both(c, s);
    PUMP_UNTIL((c->connected && s->connected) || c->failed || s->failed, 5000);
    CHECK(c->connected && s->connected, "not connected: client \"%s\" server \"%s\"", c->reason, s->reason);
}

static void close_pair(endpoint_t *a, endpoint_t *b)
{
    ep_close(a);
    ep_close(b);
    wire_clear();
}

/* SRTP sessions made from each side's handshake keys understand each other. */
static void srtp_round_trip(const endpoint_t *x, const endpoint_t *y)
{
    lkc_srtp_t *sx = NULL, *sy = NULL;
    CHECK_OK(lkc_srtp_new(&x->keys, &sx));
    CHECK_OK(lkc_srtp_new(&y->keys, &sy));
    uint8_t pkt[100 + LKC_SRTP_MAX_OVERHEAD] = {0x80, 111, 0, 1, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
    for (int i = 12; i < 100; i++)
        pkt[i] = (uint8_t)i;
    int n = lkc_srtp_protect_rtp(sx, pkt, 100, sizeof pkt);
    CHECK(n > 100, "protect: %d", n);
    CHECK_EQ_INT(lkc_srtp_unprotect_rtp(sy, pkt, (size_t)n), 100);
    CHECK(pkt[50] == 50, "payload garbled");
    uint8_t rtcp[28 + LKC_SRTP_MAX_OVERHEAD] = {0x80, 200, 0, 6, 0xde, 0xad, 0xbe, 0xef};
    n = lkc_srtp_protect_rtcp(sy, rtcp, 28, sizeof rtcp);
    CHECK(n > 28, "protect_rtcp: %d", n);
    CHECK_EQ_INT(lkc_srtp_unprotect_rtcp(sx, rtcp, (size_t)n), 28);
    lkc_srtp_free(sx);
    lkc_srtp_free(sy);
}

static void srtp_profiles_negotiated(void)
{
    const struct {
        const char *client, *server;
        lkc_srtp_profile_t expect;
    } cases[] = {
        {"SRTP_AES128_CM_SHA1_80", NULL, LKC_SRTP_AES128_CM_SHA1_80},
        {"SRTP_AEAD_AES_128_GCM", NULL, LKC_SRTP_AEAD_AES_128_GCM},
        {"SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM", "SRTP_AEAD_AES_256_GCM", LKC_SRTP_AEAD_AES_256_GCM},
        /* The server's order decides. */
        {"SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", NULL, LKC_SRTP_AEAD_AES_128_GCM},
        {NULL, "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", LKC_SRTP_AES128_CM_SHA1_80},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        endpoint_t c, s;
        connect_pair(&c, &s, cases[i].client, cases[i].server);
        CHECK(c.keys.profile == cases[i].expect, "case %zu: negotiated %s, expected %s", i,
              lkc_srtp_profile_name(c.keys.profile), lkc_srtp_profile_name(cases[i].expect));
        check_keys_cross_match(&c, &s);
        srtp_round_trip(&c, &s);
        close_pair(&c, &s);
    }
}

/* Each flight is one datagram here (the certificates are small): the client sends
 * ClientHello, then Certificate..Finished; the server ServerHello..Done, then
 * ChangeCipherSpec+Finished. Losing any of them, or several, is repaired by the
 * retransmission timer (or, for the server's last flight, by its answer to the
 * client's retransmission). */
static void retransmission_recovers_lost_flights(void)
{
    const unsigned drops[][2] = {{1, 0}, {0, 1}, {2, 0}, {0, 2}, {3, 3}, {5, 2}};
    for (size_t i = 0; i < sizeof drops / sizeof *drops; i++) {
        endpoint_t c, s;
        ep_init(&c, "client", &s);
        ep_init(&s, "server", &c);
        c.drop_mask = drops[i][0];
        s.drop_mask = drops[i][1];
        lkc_dtls_config_t cc = config_for(&c, LKC_DTLS_CLIENT);
        lkc_dtls_config_t cs = config_for(&s, LKC_DTLS_SERVER);
        ep_open(&c, &cc);
        ep_open(&s, &cs);
        start_both(&c, &s);
        PUMP_UNTIL((c.connected && s.connected) || c.failed || s.failed, 10000);
        CHECK(c.connected && s.connected, "drop masks %u/%u: client \"%s\" server \"%s\"", drops[i][0],
              drops[i][1], c.reason, s.reason);
        CHECK(c.dropped == __builtin_popcount(drops[i][0]) && s.dropped == __builtin_popcount(drops[i][1]),
              "drop masks %u/%u: only %d/%d dropped", drops[i][0], drops[i][1], c.dropped, s.dropped);
        check_keys_cross_match(&c, &s);
        send_and_expect(&c, &s, 300);
        close_pair(&c, &s);
    }
}

static void late_fingerprint(void)
{
    endpoint_t c, s;
    ep_init(&c, "client", &s);
    ep_init(&s, "server", &c);
    lkc_dtls_config_t cc = config_for(&c, LKC_DTLS_CLIENT);
    lkc_dtls_config_t cs = config_for(&s, LKC_DTLS_SERVER);
    cs.remote_fp_algo = NULL;
    cs.remote_fp = NULL;
    ep_open(&c, &cc);
    ep_open(&s, &cs);
    start_both(&c, &s);
    PUMP_UNTIL(c.connected, 5000);
    /* The client may send at once; the server holds the data back, unverified. */
    uint8_t early[] = "early data";
    CHECK_OK(lkc_dtls_write(c.d, early, sizeof early));
    pump_for(100);
    CHECK(s.connected == 0 && s.data_count == 0 && s.failed == 0, "server acted without a fingerprint");
    CHECK_EQ_INT(lkc_dtls_get_state(s.d), LKC_DTLS_CONNECTING);
    CHECK_EQ_INT(lkc_dtls_write(s.d, early, 1), LKC_ERR_STATE);

    CHECK_EQ_INT(lkc_dtls_set_remote_fingerprint(s.d, "sha-256", NULL), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_dtls_set_remote_fingerprint(s.d, "sha-256", own_fp));
    CHECK(s.connected == 0, "on_connected ran inside set_remote_fingerprint");
    PUMP_UNTIL(s.connected == 1, 2000);
    check_keys_cross_match(&c, &s);
    PUMP_UNTIL(s.data_count == 1, 2000);
    CHECK(s.rx->len == sizeof early && memcmp(s.rx->data, early, sizeof early) == 0, "early data lost");
    send_and_expect(&s, &c, 10);
    close_pair(&c, &s);

    /* A late fingerprint that does not match fails, and no keys are handed out. */
    ep_init(&c, "client", &s);
    ep_init(&s, "server", &c);
    ep_open(&c, &cc);
    ep_open(&s, &cs);
    start_both(&c, &s);
    PUMP_UNTIL(c.connected, 5000);
    char wrong[LKC_CERT_FP_SIZE];
    memcpy(wrong, own_fp, sizeof wrong);
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    CHECK_OK(lkc_dtls_set_remote_fingerprint(s.d, "sha-256", wrong));
    PUMP_UNTIL(s.failed == 1, 2000);
    CHECK(s.connected == 0 && strstr(s.reason, "fingerprint"), "reason \"%s\"", s.reason);
    close_pair(&c, &s);
}

static void expect_failure(const char *algo, const char *fp, lkc_dtls_role_t checker_role, const char *needle)
{
    endpoint_t x, y;
    ep_init(&x, "checker", &y);
    ep_init(&y, "other", &x);
    lkc_dtls_config_t cx = config_for(&x, checker_role);
    lkc_dtls_config_t cy = config_for(&y, checker_role == LKC_DTLS_CLIENT ? LKC_DTLS_SERVER : LKC_DTLS_CLIENT);
    cx.remote_fp_algo = algo;
    cx.remote_fp = fp;
    ep_open(&x, &cx);
    ep_open(&y, &cy);
    start_both(&x, &y);
    PUMP_UNTIL(x.failed, 5000);
    CHECK(x.connected == 0, "%s: on_connected despite a bad fingerprint", algo);
    static const uint8_t zero[sizeof x.keys.local];
    CHECK(memcmp(x.keys.local, zero, sizeof zero) == 0, "keys handed out");
    CHECK(strstr(x.reason, needle) != NULL, "reason \"%s\" lacks \"%s\"", x.reason, needle);
    CHECK_EQ_INT(lkc_dtls_get_state(x.d), LKC_DTLS_FAILED);
    uint8_t one = 1;
    CHECK_EQ_INT(lkc_dtls_write(x.d, &one, 1), LKC_ERR_STATE);
    pump_for(50);
    CHECK_EQ_INT(x.failed, 1);
    close_pair(&x, &y);
}

static void fingerprint_checks(void)
{
    char wrong[LKC_CERT_FP_SIZE];
    memcpy(wrong, own_fp, sizeof wrong);
    wrong[sizeof wrong - 2] = wrong[sizeof wrong - 2] == '0' ? '1' : '0';
    expect_failure("sha-256", wrong, LKC_DTLS_CLIENT, "fingerprint mismatch");
    expect_failure("sha-256", wrong, LKC_DTLS_SERVER, "fingerprint mismatch");
    expect_failure("md5", "00:11", LKC_DTLS_SERVER, "unsupported fingerprint algorithm");
    expect_failure("sha-3000", own_fp, LKC_DTLS_CLIENT, "unsupported fingerprint algorithm");
    expect_failure("sha-1", own_fp, LKC_DTLS_CLIENT, "fingerprint mismatch"); /* right digest, wrong algorithm */

    /* The other algorithms we can check work when the digest is right. */
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    char fp[LKC_CERT_FP_SIZE];
    CHECK_OK(lkc_cert_acquire(&cert, &key, fp));
    CHECK_STR(fp, own_fp);
    const char *algos[] = {"sha-1", "sha-384", "sha-512"};
    for (size_t i = 0; i < 3; i++) {
        char digest[LKC_CERT_FP_MAX];
        CHECK_OK(lkc_cert_digest(cert, algos[i], digest, sizeof digest));
        endpoint_t c, s;
        ep_init(&c, "client", &s);
        ep_init(&s, "server", &c);
        lkc_dtls_config_t cc = config_for(&c, LKC_DTLS_CLIENT);
        lkc_dtls_config_t cs = config_for(&s, LKC_DTLS_SERVER);
        cc.remote_fp_algo = cs.remote_fp_algo = algos[i];
        cc.remote_fp = cs.remote_fp = digest;
        ep_open(&c, &cc);
        ep_open(&s, &cs);
        start_both(&c, &s);
        PUMP_UNTIL((c.connected && s.connected) || c.failed || s.failed, 5000);
        CHECK(c.connected && s.connected, "%s: \"%s\" / \"%s\"", algos[i], c.reason, s.reason);
        close_pair(&c, &s);
    }
    char small[10];
    CHECK_EQ_INT(lkc_cert_digest(cert, "sha-256", small, sizeof small), LKC_ERR_TOO_LARGE);
    CHECK_EQ_INT(lkc_cert_digest(cert, "md5", small, sizeof small), LKC_ERR_UNSUPPORTED);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static void silent_peer_times_out(void)
{
    for (int r = 0; r < 2; r++) {
        lkc_dtls_role_t role = r == 0 ? LKC_DTLS_CLIENT : LKC_DTLS_SERVER;
        endpoint_t x, nobody;
        ep_init(&x, "lonely", &nobody);
        ep_init(&nobody, "nobody", NULL);
        x.mute = true;
        lkc_dtls_config_t cx = config_for(&x, role);
        cx.handshake_timeout_ms = 300;
        ep_open(&x, &cx);
        int64_t t0 = lkc_mono_ms();
        CHECK_OK(lkc_dtls_start(x.d));
        PUMP_UNTIL(x.failed, 5000);
        int64_t took = lkc_mono_ms() - t0;
        CHECK(took >= 290 && took < 2000, "failed after %lld ms, bound 300", (long long)took);
        CHECK(strstr(x.reason, "timed out") != NULL, "reason \"%s\"", x.reason);
        if (role == LKC_DTLS_CLIENT)
            CHECK(x.sent >= 2, "client sent %d flights in 300 ms with a 50 ms retransmission timer", x.sent);
        CHECK_EQ_INT(lkc_dtls_input(x.d, (const uint8_t *)"\x16\xfe\xfd", 3), LKC_ERR_STATE);
        int sent = x.sent;
        pump_for(200);
        CHECK(x.sent == sent && x.failed == 1 && x.connected == 0, "activity after failure");
        ep_close(&x);
        ep_close(&nobody);
        wire_clear();
    }
}

static void bad_arguments(void)
{
    endpoint_t x;
    ep_init(&x, "x", NULL);
    lkc_dtls_config_t c = config_for(&x, LKC_DTLS_CLIENT);
    lkc_dtls_t *d = NULL;
    CHECK_EQ_INT(lkc_dtls_new(NULL, &d), LKC_ERR_INVALID_ARG);
    lkc_dtls_config_t bad = c;
    bad.ctx = NULL;
    CHECK_EQ_INT(lkc_dtls_new(&bad, &d), LKC_ERR_INVALID_ARG);
    bad = c;
    bad.send = NULL;
    CHECK_EQ_INT(lkc_dtls_new(&bad, &d), LKC_ERR_INVALID_ARG);
    bad = c;
    bad.remote_fp = NULL; /* algorithm without a value */
    CHECK_EQ_INT(lkc_dtls_new(&bad, &d), LKC_ERR_INVALID_ARG);
    bad = c;
    bad.role = (lkc_dtls_role_t)7;
    CHECK_EQ_INT(lkc_dtls_new(&bad, &d), LKC_ERR_INVALID_ARG);
    bad = c;
    bad.srtp_profiles = "SRTP_NONSENSE";
    CHECK_EQ_INT(lkc_dtls_new(&bad, &d), LKC_ERR_INVALID_ARG);
    CHECK(d == NULL, "out set on failure");

    ep_open(&x, &c);
    uint8_t dtls[] = {22, 0xfe, 0xfd, 0, 0};
    CHECK_EQ_INT(lkc_dtls_input(x.d, dtls, sizeof dtls), LKC_ERR_STATE); /* client not started */
    CHECK_EQ_INT(lkc_dtls_input(x.d, NULL, 5), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_dtls_input(x.d, dtls, 0), LKC_ERR_INVALID_ARG);
    const uint8_t not_dtls[] = {0, 1, 19, 64, 128, 191, 255};
    for (size_t i = 0; i < sizeof not_dtls; i++)
        CHECK_EQ_INT(lkc_dtls_input(x.d, &not_dtls[i], 1), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_dtls_write(x.d, dtls, sizeof dtls), LKC_ERR_STATE);
    CHECK_EQ_INT(lkc_dtls_write(x.d, NULL, 1), LKC_ERR_INVALID_ARG);
    char huge[400];
    memset(huge, 'A', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    CHECK_EQ_INT(lkc_dtls_set_remote_fingerprint(x.d, "sha-256", huge), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_dtls_set_remote_fingerprint(x.d, "", own_fp), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_dtls_close(x.d)); /* close before start: no callbacks, nothing sent */
    CHECK_EQ_INT(lkc_dtls_start(x.d), LKC_ERR_STATE);
    CHECK(x.sent == 0 && x.failed == 0 && x.closed == 0, "activity from a closed, never started object");
    CHECK_STR(lkc_dtls_state_str(LKC_DTLS_NEW), "new");
    CHECK_STR(lkc_dtls_state_str(LKC_DTLS_FAILED), "failed");
    lkc_dtls_free(NULL);
    ep_close(&x);
}

/* Random "DTLS" datagrams: to a fresh server and to a connected pair. */
static void garbage_input(void)
{
    uint8_t buf[1500];
    endpoint_t x, y;
    ep_init(&x, "server", &y);
    ep_init(&y, "nobody", NULL);
    lkc_dtls_config_t c = config_for(&x, LKC_DTLS_SERVER);
    ep_open(&x, &c);
    int fed = 0;
    for (int i = 0; i < 3000 && lkc_dtls_get_state(x.d) <= LKC_DTLS_CONNECTING; i++, fed++) {
        size_t len = 1 + lkc_random_u32() % sizeof buf;
        lkc_random_bytes(buf, len);
        buf[0] = (uint8_t)(20 + buf[0] % 44);
        if (i % 3 == 0 && len > 13) { /* plausible record headers reach deeper */
            buf[0] = (uint8_t)(20 + i % 4);
            buf[1] = 0xfe;
            buf[2] = 0xfd;
        }
        int rc = lkc_dtls_input(x.d, buf, len);
        CHECK(rc == LKC_OK || rc == LKC_ERR_STATE, "input returned %d", rc);
        if (i == 0)
            CHECK(lkc_dtls_get_state(x.d) != LKC_DTLS_NEW, "server not started by its first datagram");
    }
    lkc_dtls_state_t st = lkc_dtls_get_state(x.d);
    CHECK(st == LKC_DTLS_CONNECTING || (st == LKC_DTLS_FAILED && x.failed == 1 && x.reason[0]),
          "fresh server in state %s after garbage (failed %d)", lkc_dtls_state_str(st), x.failed);
    fprintf(stderr, "fresh server: %s after %d garbage datagrams%s%s\n", lkc_dtls_state_str(st), fed,
            x.failed ? ": " : "", x.reason);
    ep_close(&x);
    ep_close(&y);
    wire_clear();

    /* A connected association drops records it cannot authenticate and keeps going. */
    endpoint_t cl, sv;
    connect_pair(&cl, &sv, NULL, NULL);
    for (int i = 0; i < 3000; i++) {
        size_t len = 13 + lkc_random_u32() % (sizeof buf - 13);
        lkc_random_bytes(buf, len);
        buf[0] = (uint8_t)(20 + i % 4); /* change_cipher_spec, alert, handshake, data */
        buf[1] = 0xfe;
        buf[2] = 0xfd;
        buf[3] = 0;
        buf[4] = 1; /* the current epoch, so the MAC check is what rejects it */
        buf[11] = (uint8_t)((len - 13) >> 8);
        buf[12] = (uint8_t)(len - 13);
        endpoint_t *to = (i & 1) ? &cl : &sv;
        CHECK_OK(lkc_dtls_input(to->d, buf, len));
    }
    CHECK(cl.failed == 0 && sv.failed == 0, "garbage failed the association: \"%s\" / \"%s\"", cl.reason,
          sv.reason);
    CHECK(cl.data_count == 0 && sv.data_count == 0, "garbage delivered as data");
    /* Records too short for the AEAD nonce and tag, each before a datagram of its own
     * (OpenSSL 3.0.19 alone fails the read after such a record). */
    for (size_t body = 1; body < 24; body++) {
        for (uint8_t type = 20; type <= 23; type++) {
            uint8_t rec[13 + 24] = {type, 0xfe, 0xfd, 0, 1};
            lkc_random_bytes(rec + 5, 6);
            rec[12] = (uint8_t)body;
            lkc_random_bytes(rec + 13, body);
            CHECK_OK(lkc_dtls_input(sv.d, rec, 13 + body));
            CHECK_OK(lkc_dtls_input(cl.d, rec, 13 + body));
            send_and_expect(&cl, &sv, 1);
        }
    }
    send_and_expect(&cl, &sv, 500);
    send_and_expect(&sv, &cl, 500);
    close_pair(&cl, &sv);
}

static void free_during_handshake(void)
{
    /* A client whose flights go nowhere has its retransmission timer armed. */
    endpoint_t x, nobody;
    ep_init(&x, "client", &nobody);
    ep_init(&nobody, "nobody", NULL);
    x.mute = true;
    lkc_dtls_config_t c = config_for(&x, LKC_DTLS_CLIENT);
    ep_open(&x, &c);
    CHECK_OK(lkc_dtls_start(x.d));
    pump_for(120);
    CHECK(x.sent >= 2, "no retransmission seen (%d sent)", x.sent);
    ep_close(&x); /* checks that no source is left */
    pump_for(200);
    CHECK_EQ_INT(x.calls_after_free, 0);
    ep_close(&nobody);
    wire_clear();

    /* Freed half-way: the server has the ClientHello and answered; the answer is in flight. */
    endpoint_t c2, s2;
    ep_init(&c2, "client", &s2);
    ep_init(&s2, "server", &c2);
    lkc_dtls_config_t cc = config_for(&c2, LKC_DTLS_CLIENT);
    lkc_dtls_config_t cs = config_for(&s2, LKC_DTLS_SERVER);
    ep_open(&c2, &cc);
    ep_open(&s2, &cs);
    start_both(&c2, &s2);
    pump_once(); /* deliver the ClientHello */
    CHECK(!g_queue_is_empty(&wire), "server did not answer");
    ep_close(&c2);
    ep_close(&s2);
    pump_for(150); /* in-flight datagrams find nobody */
    CHECK(c2.calls_after_free == 0 && s2.calls_after_free == 0, "callback after free");
    wire_clear();
}

static void free_inside_callbacks(void)
{
    const enum free_point points[] = {FREE_IN_SEND, FREE_IN_CONNECTED, FREE_IN_DATA};
    for (size_t i = 0; i < 3; i++) {
        for (int who = 0; who < 2; who++) {
            endpoint_t c, s;
            ep_init(&c, "client", &s);
            ep_init(&s, "server", &c);
            endpoint_t *victim = who ? &s : &c, *other = who ? &c : &s;
            victim->free_at = points[i];
            lkc_dtls_config_t cc = config_for(&c, LKC_DTLS_CLIENT);
            lkc_dtls_config_t cs = config_for(&s, LKC_DTLS_SERVER);
            ep_open(&c, &cc);
            ep_open(&s, &cs);
            start_both(&c, &s);
            if (points[i] == FREE_IN_DATA) {
                PUMP_UNTIL(c.connected && s.connected, 5000);
                uint8_t m[3] = {1, 2, 3};
                CHECK_OK(lkc_dtls_write(other->d, m, sizeof m));
                CHECK_OK(lkc_dtls_write(other->d, m, sizeof m)); /* a second one finds nobody */
            }
            PUMP_UNTIL(victim->freed, 5000);
            pump_for(100);
            CHECK(victim->calls_after_free == 0, "%s: %d callbacks after a free in callback %zu", victim->name,
                  victim->calls_after_free, i);
            ep_close(&c);
            ep_close(&s);
            wire_clear();
        }
    }
    /* ... and inside on_failed (timeout). */
    endpoint_t x, nobody;
    ep_init(&x, "client", &nobody);
    ep_init(&nobody, "nobody", NULL);
    x.mute = true;
    x.free_at = FREE_IN_FAILED;
    lkc_dtls_config_t c = config_for(&x, LKC_DTLS_CLIENT);
    c.handshake_timeout_ms = 100;
    ep_open(&x, &c);
    CHECK_OK(lkc_dtls_start(x.d));
    PUMP_UNTIL(x.freed, 3000);
    pump_for(150);
    CHECK_EQ_INT(x.calls_after_free, 0);
    ep_close(&x);
    ep_close(&nobody);
    wire_clear();
}

static void cert_fingerprint_shape(void)
{
    char fp[LKC_CERT_FP_SIZE];
    CHECK_OK(lkc_cert_fingerprint(fp));
    CHECK_EQ_INT(strlen(fp), 95);
    for (size_t i = 0; i < 95; i++) {
        if (i % 3 == 2)
            CHECK(fp[i] == ':', "no ':' at %zu in %s", i, fp);
        else
            CHECK(g_ascii_isxdigit(fp[i]) && !g_ascii_islower(fp[i]), "bad hex at %zu in %s", i, fp);
    }
    /* Made once: the same until released; a new one afterwards. */
    char again[LKC_CERT_FP_SIZE];
    CHECK_OK(lkc_cert_fingerprint(again));
    CHECK_STR(again, fp);
    lkc_cert_release();
    CHECK_OK(lkc_cert_fingerprint(again));
    CHECK(strcmp(again, fp) != 0, "release did not drop the certificate");
}

int main(void)
{
    ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    GSource *t = g_timeout_source_new(5);
    g_source_set_callback(t, tick, NULL, NULL);
    g_source_attach(t, ctx);
    CHECK_OK(lkc_srtp_global_init());

    RUN(cert_fingerprint_shape);
    CHECK_OK(lkc_cert_fingerprint(own_fp));
    RUN(handshake_a_client);
    RUN(handshake_a_server);
    RUN(srtp_profiles_negotiated);
    RUN(retransmission_recovers_lost_flights);
    RUN(late_fingerprint);
    RUN(fingerprint_checks);
    RUN(silent_peer_times_out);
    RUN(bad_arguments);
    RUN(garbage_input);
    RUN(free_during_handshake);
    RUN(free_inside_callbacks);

    g_source_destroy(t);
    g_source_unref(t);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
    lkc_cert_release();
    lkc_srtp_global_shutdown();
    return 0;
}
