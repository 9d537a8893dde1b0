/* wss:// : the signal connection over TLS (a TLS-terminating relay in front of the real
 * server, with a throw-away certificate). lkc verifies the server's certificate and host
 * name: an untrusted certificate, or a trusted one for another name, fails with
 * LKC_FAILURE_TLS; with the certificate's CA given (ca_file) the join completes. */
#include <gio/gio.h>

#include "interop.h"

static char dir[256];

static void make_cert(const char *name, const char *san)
{
    char *cmd = g_strdup_printf("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                                "-subj /CN=%s -addext subjectAltName=%s -days 1 -keyout %s/%s.key -out "
                                "%s/%s.pem 2>/dev/null",
                                name, san, dir, name, dir, name);
    CHECK(system(cmd) == 0, "openssl could not make a certificate: %s", cmd);
    g_free(cmd);
}

typedef struct {
    GSubprocess *proc;
    int port;
} proxy_t;

static proxy_t start_proxy(const char *name)
{
    const char *port_s = strrchr(lkc_test_env()->url, ':');
    char cert[300], key[300];
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, name);
    snprintf(key, sizeof key, "%s/%s.key", dir, name);
    GError *err = NULL;
    proxy_t p = {0};
    p.proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err,
                              LKC_SOURCE_DIR "/.tools/venv/bin/python", LKC_SOURCE_DIR "/tests/support/tls_proxy.py",
                              "--cert", cert, "--key", key, "--target-port", port_s + 1, NULL);
    CHECK(p.proc, "cannot start the TLS relay: %s", err ? err->message : "?");
    GDataInputStream *out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p.proc));
    char *line = g_data_input_stream_read_line_utf8(out, NULL, NULL, NULL);
    CHECK(line && sscanf(line, "listening %d", &p.port) == 1, "the TLS relay did not start: %s", line ? line : "");
    g_free(line);
    g_object_unref(out);
    return p;
}

static void stop_proxy(proxy_t *p)
{
    g_output_stream_close(g_subprocess_get_stdin_pipe(p->proc), NULL, NULL);
    g_subprocess_wait(p->proc, NULL, NULL);
    g_object_unref(p->proc);
}

static lkc_err_t join_over(int port, const char *ca_file, lkc_room_t **out)
{
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.ca_file = ca_file;
    o.connect_timeout_ms = 8000;
    CHECK_OK(lkc_room_create(&o, out));
    char url[64];
    snprintf(url, sizeof url, "wss://127.0.0.1:%d", port);
    char *room = lkc_test_room_name("wss");
    char *tok = lkc_test_token(room, "lkc-tls", NULL, NULL);
    CHECK_OK(lkc_room_connect(*out, url, tok));
    lkc_free(tok);
    g_free(room);
    return lkc_room_wait_connected(*out, 15000);
}

static void wss_verifies_the_server(void)
{
    snprintf(dir, sizeof dir, "%s/wss-test", LKC_BINARY_DIR);
    g_mkdir_with_parents(dir, 0700);
    make_cert("loopback", "IP:127.0.0.1");
    make_cert("other", "DNS:other.example");

    proxy_t p = start_proxy("loopback");
    lkc_room_t *r = NULL;
    /* not trusted: the system CAs do not know this certificate */
    CHECK_EQ_INT(join_over(p.port, NULL, &r), LKC_ERR_CLOSED);
    CHECK(lkc_room_failure_reason(r) == LKC_FAILURE_TLS, "untrusted certificate: failure %s, expected TLS",
          lkc_failure_str(lkc_room_failure_reason(r)));
    char msg[256];
    lkc_room_failure_message(r, msg, sizeof msg);
    fprintf(stderr, "untrusted: %s\n", msg);
    lkc_room_destroy(r);

    /* trusted through ca_file: the whole join works over wss */
    char ca[300];
    snprintf(ca, sizeof ca, "%s/loopback.pem", dir);
    CHECK_OK(join_over(p.port, ca, &r));
    lkc_participant_info_t *me = NULL;
    CHECK_OK(lkc_room_get_local_participant(r, &me));
    CHECK_STR(me->identity, "lkc-tls");
    lkc_participant_info_free(me);
    lkc_room_destroy(r);
    stop_proxy(&p);

    /* trusted, but issued for another name: refused */
    p = start_proxy("other");
    snprintf(ca, sizeof ca, "%s/other.pem", dir);
    CHECK_EQ_INT(join_over(p.port, ca, &r), LKC_ERR_CLOSED);
    CHECK(lkc_room_failure_reason(r) == LKC_FAILURE_TLS, "wrong host name: failure %s, expected TLS",
          lkc_failure_str(lkc_room_failure_reason(r)));
    lkc_room_failure_message(r, msg, sizeof msg);
    fprintf(stderr, "wrong name: %s\n", msg);
    lkc_room_destroy(r);
    stop_proxy(&p);

    /* a CA file that does not exist is a bad argument, caught before anything starts */
    lkc_room_options_t o;
    lkc_room_options_init(&o);
    o.ca_file = "/nonexistent/ca.pem";
    CHECK_OK(lkc_room_create(&o, &r));
    char *tok = lkc_test_token("wss-x", "x", NULL, NULL);
    lkc_err_t rc = lkc_room_connect(r, "wss://127.0.0.1:1", tok);
    lkc_free(tok);
    CHECK(rc == LKC_OK || rc == LKC_ERR_INVALID_ARG, "connect with a missing CA file: %s", lkc_err_str(rc));
    if (rc == LKC_OK) {
        CHECK_EQ_INT(lkc_room_wait_connected(r, 5000), LKC_ERR_CLOSED);
        CHECK(lkc_room_failure_reason(r) != LKC_FAILURE_NONE, "no failure reason");
    }
    lkc_room_destroy(r);
}

int main(void)
{
    lkc_test_env();
    RUN(wss_verifies_the_server);
    return 0;
}
