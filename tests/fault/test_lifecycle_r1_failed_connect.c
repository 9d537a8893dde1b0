/* R1 and R8: a connect that cannot work fails with a clear error and leaves nothing
 * running: a bad URL is refused before any thread starts; a bad token or an unreachable
 * server ends the session with its reason, and no thread, timer or fd stays behind.
 * Bad arguments anywhere in the API are errors, never crashes. */
#include <openssl/hmac.h>
#include <stdatomic.h>

#include "room/test_hooks.h"
#include "base/base64.h"
#include "events.h"
#include "interop.h"

static int base_threads, base_fds;

static lkc_room_t *new_room(lkc_test_events_t *ev)
{
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.connect_timeout_ms = 5000;
    if (ev)
        lkc_test_events_install(ev, &o);
    lkc_room_t *room = NULL;
    CHECK_OK(lkc_room_create(&o, &room));
    return room;
}

static void r1_bad_url_starts_nothing(void)
{
    const char *bad[] = {"", "127.0.0.1:7880", "ftp://127.0.0.1", "ws://", "not a url at all",
                         "ws://127.0.0.1:7880/?x=1", "wss://host#frag"};
    lkc_room_t *room = new_room(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        int threads = lkc_test_thread_count();
        CHECK(lkc_room_connect(room, bad[i], "a.b.c") == LKC_ERR_INVALID_ARG, "URL \"%s\" accepted", bad[i]);
        CHECK(lkc_test_thread_count() == threads, "a thread started for the bad URL \"%s\"", bad[i]);
        CHECK_EQ_INT(lkc_room_state(room), LKC_STATE_DISCONNECTED);
    }
    CHECK_EQ_INT(lkc_room_connect(room, lkc_test_env()->url, ""), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_room_connect(room, NULL, "x"), LKC_ERR_INVALID_ARG);
    lkc_room_destroy(room);
    lkc_test_check_baseline(base_threads, base_fds, "refused connects");
}

static void expect_failure(const char *url, const char *token, lkc_failure_t want, const char *text)
{
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_t *room = new_room(ev);
    CHECK_OK(lkc_room_connect(room, url, token));
    CHECK_EQ_INT(lkc_room_wait_connected(room, 10000), LKC_ERR_CLOSED);
    CHECK(lkc_test_events_wait(ev, "disconnected", NULL, 1, 5000), "no on_disconnected");
    CHECK(lkc_room_failure_reason(room) == want, "failure %s, expected %s",
          lkc_failure_str(lkc_room_failure_reason(room)), lkc_failure_str(want));
    char msg[256];
    CHECK_OK(lkc_room_failure_message(room, msg, sizeof msg));
    CHECK(!text || strstr(msg, text), "failure message \"%s\" lacks \"%s\"", msg, text);
    CHECK(!strstr(msg, token), "the failure message contains the token");
    CHECK(lkc_test_events_count(ev, "connected", NULL) == 0, "on_connected for a failed join");
    /* the thread of the failed session ended by itself */
    lkc_test_check_baseline(base_threads, base_fds, "a failed connect (before destroy)");
    lkc_room_destroy(room);
    lkc_test_check_baseline(base_threads, base_fds, "a failed connect");
    lkc_test_events_free(ev);
}

static char *token_signed_with(const char *secret, const char *payload_json)
{
    const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char *h = lkc_base64url_encode(header, strlen(header));
    char *p = lkc_base64url_encode(payload_json, strlen(payload_json));
    char *signing = g_strdup_printf("%s.%s", h, p);
    unsigned char mac[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)signing, strlen(signing), mac, &n);
    char *s = lkc_base64url_encode(mac, n);
    char *tok = g_strdup_printf("%s.%s", signing, s);
    free(h);
    free(p);
    free(s);
    g_free(signing);
    return tok;
}

static void r1_bad_token_unauthorized(void)
{
    char *room = lkc_test_room_name("badtoken");
    char *payload = g_strdup_printf("{\"iss\":\"%s\",\"sub\":\"x\",\"nbf\":%lld,\"exp\":%lld,"
                                    "\"video\":{\"roomJoin\":true,\"room\":\"%s\"}}",
                                    lkc_test_env()->key, (long long)time(NULL), (long long)time(NULL) + 600, room);
    char *tok = token_signed_with("not-the-secret", payload);
    expect_failure(lkc_test_env()->url, tok, LKC_FAILURE_UNAUTHORIZED, NULL);
    g_free(tok);
    /* expired */
    g_free(payload);
    payload = g_strdup_printf("{\"iss\":\"%s\",\"sub\":\"x\",\"nbf\":1000,\"exp\":2000,"
                              "\"video\":{\"roomJoin\":true,\"room\":\"%s\"}}", lkc_test_env()->key, room);
    tok = token_signed_with(lkc_test_env()->secret, payload);
    expect_failure(lkc_test_env()->url, tok, LKC_FAILURE_UNAUTHORIZED, NULL);
    g_free(tok);
    g_free(payload);
    g_free(room);
}

static void r1_malformed_join_bad_token(void)
{
    /* a valid signature, but no room in the grant: the server answers 400 */
    char *payload = g_strdup_printf("{\"iss\":\"%s\",\"sub\":\"x\",\"nbf\":%lld,\"exp\":%lld,"
                                    "\"video\":{\"roomJoin\":true}}",
                                    lkc_test_env()->key, (long long)time(NULL), (long long)time(NULL) + 600);
    char *tok = token_signed_with(lkc_test_env()->secret, payload);
    expect_failure(lkc_test_env()->url, tok, LKC_FAILURE_BAD_TOKEN, "room");
    g_free(tok);
    g_free(payload);
}

static void r1_unreachable(void)
{
    int fd;
    int port = lkc_test_blackhole_open(&fd);
    lkc_test_blackhole_close(fd); /* now nothing listens there */
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d", port);
    expect_failure(url, "a.b.c", LKC_FAILURE_UNREACHABLE, NULL);
}

static void r1_timeout_when_server_never_answers(void)
{
    int fd;
    int port = lkc_test_blackhole_open(&fd);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d", port);
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    /* longer than the engine's 1 s report cadence: a media clock left due while no
     * transport exists once starved this timer for good */
    o.connect_timeout_ms = 2500;
    lkc_room_t *room = NULL;
    CHECK_OK(lkc_room_create(&o, &room));
    CHECK_OK(lkc_room_connect(room, url, "a.b.c"));
    CHECK_EQ_INT(lkc_room_wait_connected(room, 10000), LKC_ERR_CLOSED);
    CHECK_EQ_INT(lkc_room_failure_reason(room), LKC_FAILURE_TIMEOUT);
    lkc_room_destroy(room);
    lkc_test_blackhole_close(fd);
    lkc_test_check_baseline(base_threads, base_fds, "a connect timeout");
}

/* The DTLS certificate does not match the fingerprint in the SDP (a test hook alters
 * the one the server sent): the connection fails with a DTLS reason before any key is
 * used, and nothing is left behind. */
static void r1_dtls_fingerprint_mismatch(void)
{
    char *name = lkc_test_room_name("fingerprint");
    lkc_test_events_t *ev = lkc_test_events_new();
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    lkc_test_events_install(ev, &o);
    lkc_room_t *room = NULL;
    CHECK_OK(lkc_room_create(&o, &room));
    lkc__room_set_test_hooks(room, LKC__TEST_HOOK_CORRUPT_REMOTE_FINGERPRINT);
    char *tok = lkc_test_token(name, "bad-fp", NULL, NULL);
    CHECK_OK(lkc_room_connect(room, lkc_test_env()->url, tok));
    lkc_free(tok);
    CHECK_EQ_INT(lkc_room_wait_connected(room, 15000), LKC_ERR_CLOSED);
    CHECK(lkc_room_failure_reason(room) == LKC_FAILURE_DTLS, "failure %s, expected DTLS",
          lkc_failure_str(lkc_room_failure_reason(room)));
    char msg[256];
    lkc_room_failure_message(room, msg, sizeof msg);
    fprintf(stderr, "failure message: %s\n", msg);
    CHECK(strstr(msg, "fingerprint"), "the message does not say why: %s", msg);
    CHECK_EQ_INT(lkc_test_events_count(ev, "connected", NULL), 0);
    lkc_room_destroy(room);
    lkc_test_check_baseline(base_threads, base_fds, "a DTLS fingerprint mismatch");
    lkc_test_events_free(ev);
    g_free(name);
}

static void r8_bad_arguments_are_errors(void)
{
    CHECK_EQ_INT(lkc_room_create(NULL, NULL), LKC_ERR_INVALID_ARG);
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.connect_timeout_ms = -5;
    lkc_room_t *room = NULL;
    CHECK_EQ_INT(lkc_room_create(&o, &room), LKC_ERR_INVALID_ARG);
    CHECK(room == NULL, "a room was returned for bad options");
    o.connect_timeout_ms = 1000;
    o.ice_policy = (lkc_ice_policy_t)42;
    CHECK_EQ_INT(lkc_room_create(&o, &room), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_room_connect(NULL, "ws://x", "t"), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_room_close(NULL), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_room_wait_connected(NULL, 1), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_room_state(NULL), LKC_STATE_DISCONNECTED);
    lkc_room_destroy(NULL);
    room = new_room(NULL);
    lkc_room_info_t *info = NULL;
    CHECK_EQ_INT(lkc_room_get_info(room, &info), LKC_ERR_STATE); /* not joined */
    CHECK_EQ_INT(lkc_room_get_info(room, NULL), LKC_ERR_INVALID_ARG);
    char buf[8];
    CHECK_EQ_INT(lkc_room_failure_message(room, buf, 0), LKC_ERR_INVALID_ARG);
    CHECK_OK(lkc_room_close(room)); /* closing a room that never connected is fine */
    lkc_room_destroy(room);
    CHECK_STR(lkc_err_str(12345), "unknown error");
    CHECK_STR(lkc_failure_str((lkc_failure_t)999), "?");
}

static void r1_connect_twice_is_refused(void)
{
    char *name = lkc_test_room_name("twice");
    lkc_room_t *room = new_room(NULL);
    char *tok = lkc_test_token(name, "twice", NULL, NULL);
    CHECK_OK(lkc_room_connect(room, lkc_test_env()->url, tok));
    CHECK_EQ_INT(lkc_room_connect(room, lkc_test_env()->url, tok), LKC_ERR_STATE);
    CHECK_OK(lkc_room_wait_connected(room, 15000));
    CHECK_OK(lkc_room_close(room));
    /* after a close the same room connects again */
    CHECK_OK(lkc_room_connect(room, lkc_test_env()->url, tok));
    CHECK_OK(lkc_room_wait_connected(room, 15000));
    lkc_room_destroy(room);
    lkc_free(tok);
    g_free(name);
    lkc_test_check_baseline(base_threads, base_fds, "two sessions on one room");
}

int main(void)
{
    lkc_test_env();
    /* warm up GLib/GIO's process-wide threads, then take the baseline */
    base_threads = base_fds = 1 << 20;
    r1_connect_twice_is_refused();
    g_usleep(100000);
    base_threads = lkc_test_thread_count();
    base_fds = lkc_test_fd_count();
    RUN(r1_bad_url_starts_nothing);
    RUN(r8_bad_arguments_are_errors);
    RUN(r1_bad_token_unauthorized);
    RUN(r1_malformed_join_bad_token);
    RUN(r1_unreachable);
    RUN(r1_timeout_when_server_never_answers);
    RUN(r1_connect_twice_is_refused);
    RUN(r1_dtls_fingerprint_mismatch);
    return 0;
}
