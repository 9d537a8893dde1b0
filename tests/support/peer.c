#include "peer.h"

#include <gio/gio.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include "base/sync.h"
#include "interop.h"

struct lkc_test_peer {
    GSubprocess *proc;
    GOutputStream *in;
    GDataInputStream *out;
    GThread *reader;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    GPtrArray *events; /* JsonObject*, refs held */
    bool eof;
    char *identity;
};

static gpointer reader_main(gpointer data)
{
    lkc_test_peer_t *p = data;
    char *line;
    while ((line = g_data_input_stream_read_line_utf8(p->out, NULL, NULL, NULL))) {
        JsonParser *parser = json_parser_new();
        if (json_parser_load_from_data(parser, line, -1, NULL) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
            JsonObject *o = json_object_ref(json_node_get_object(json_parser_get_root(parser)));
            if (g_getenv("LKC_TEST_VERBOSE"))
                fprintf(stderr, "peer %s: %s\n", p->identity, line);
            const char *ev = json_object_get_string_member_with_default(o, "event", "");
            if (strcmp(ev, "error") == 0)
                fprintf(stderr, "peer %s reported: %s\n", p->identity, line);
            pthread_mutex_lock(&p->lock);
            g_ptr_array_add(p->events, o);
            pthread_cond_broadcast(&p->cond);
            pthread_mutex_unlock(&p->lock);
        } else {
            fprintf(stderr, "peer %s (not JSON): %s\n", p->identity, line);
        }
        g_object_unref(parser);
        g_free(line);
    }
    pthread_mutex_lock(&p->lock);
    p->eof = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

lkc_test_peer_t *lkc_test_peer_start(const char *room, const char *identity, const char *const *extra_args)
{
    return lkc_test_peer_start_at(lkc_test_env()->url, room, identity, extra_args);
}

lkc_test_peer_t *lkc_test_peer_start_at(const char *url, const char *room, const char *identity,
                                        const char *const *extra_args)
{
    const lkc_test_env_t *env = lkc_test_env();
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)LKC_SOURCE_DIR "/.tools/venv/bin/python");
    g_ptr_array_add(argv, (char *)LKC_SOURCE_DIR "/tests/support/peer.py");
    const char *fixed[] = {"--url", url, "--api-key", env->key, "--api-secret", env->secret,
                           "--room", room, "--identity", identity};
    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_ptr_array_add(argv, (char *)fixed[i]);
    for (size_t i = 0; extra_args && extra_args[i]; i++)
        g_ptr_array_add(argv, (char *)extra_args[i]);
    g_ptr_array_add(argv, NULL);
    GError *err = NULL;
    lkc_test_peer_t *p = g_new0(lkc_test_peer_t, 1);
    p->identity = g_strdup(identity);
    p->proc = g_subprocess_newv((const char *const *)argv->pdata,
                                G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &err);
    g_ptr_array_unref(argv);
    CHECK(p->proc, "cannot start the Python peer: %s (run scripts/setup)", err ? err->message : "?");
    p->in = g_subprocess_get_stdin_pipe(p->proc);
    p->out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p->proc));
    pthread_mutex_init(&p->lock, NULL);
    lkc_cond_init_monotonic(&p->cond);
    p->events = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    p->reader = g_thread_new("peer-reader", reader_main, p);
    CHECK(lkc_test_peer_wait(p, "connected", NULL, NULL, 1, 60000), "the Python peer %s did not connect", identity);
    return p;
}

void lkc_test_peer_cmd(lkc_test_peer_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *full = g_strconcat(line, "\n", NULL);
    GError *err = NULL;
    bool ok = g_output_stream_write_all(p->in, full, strlen(full), NULL, NULL, &err) &&
              g_output_stream_flush(p->in, NULL, &err);
    CHECK(ok, "cannot send a command to the peer: %s", err ? err->message : "?");
    g_free(full);
    g_free(line);
}

static bool matches(JsonObject *o, const char *event, const char *key, const char *value)
{
    if (strcmp(json_object_get_string_member_with_default(o, "event", ""), event) != 0)
        return false;
    if (!key)
        return true;
    if (!json_object_has_member(o, key))
        return false;
    JsonNode *n = json_object_get_member(o, key);
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING &&
           strcmp(json_node_get_string(n), value) == 0;
}

static JsonObject *nth_locked(lkc_test_peer_t *p, const char *event, const char *key, const char *value, int n,
                              int *count)
{
    int seen = 0;
    for (guint i = 0; i < p->events->len; i++) {
        JsonObject *o = g_ptr_array_index(p->events, i);
        if (matches(o, event, key, value) && ++seen == n)
            return o;
    }
    if (count)
        *count = seen;
    return NULL;
}

JsonObject *lkc_test_peer_wait(lkc_test_peer_t *p, const char *event, const char *key, const char *value, int n,
                               int timeout_ms)
{
    struct timespec deadline;
    lkc_deadline_after(&deadline, timeout_ms);
    pthread_mutex_lock(&p->lock);
    JsonObject *found;
    while (!(found = nth_locked(p, event, key, value, n, NULL)) && !p->eof &&
           pthread_cond_timedwait(&p->cond, &p->lock, &deadline) == 0)
        ;
    pthread_mutex_unlock(&p->lock);
    return found;
}

int lkc_test_peer_count(lkc_test_peer_t *p, const char *event, const char *key, const char *value)
{
    int count = 0;
    pthread_mutex_lock(&p->lock);
    JsonObject *all = nth_locked(p, event, key, value, G_MAXINT, &count);
    pthread_mutex_unlock(&p->lock);
    (void)all;
    return count;
}

GPtrArray *lkc_test_peer_events(lkc_test_peer_t *p, const char *event)
{
    GPtrArray *out = g_ptr_array_new();
    pthread_mutex_lock(&p->lock);
    for (guint i = 0; i < p->events->len; i++) {
        JsonObject *o = g_ptr_array_index(p->events, i);
        if (matches(o, event, NULL, NULL))
            g_ptr_array_add(out, o);
    }
    pthread_mutex_unlock(&p->lock);
    return out;
}

void lkc_test_peer_stop(lkc_test_peer_t *p)
{
    if (!p)
        return;
    const char leave[] = "{\"cmd\":\"leave\"}\n";
    g_output_stream_write_all(p->in, leave, sizeof leave - 1, NULL, NULL, NULL);
    g_output_stream_close(p->in, NULL, NULL);
    pthread_mutex_lock(&p->lock);
    struct timespec deadline;
    lkc_deadline_after(&deadline, 10000);
    while (!p->eof && pthread_cond_timedwait(&p->cond, &p->lock, &deadline) == 0)
        ;
    bool exited = p->eof;
    pthread_mutex_unlock(&p->lock);
    if (!exited)
        g_subprocess_force_exit(p->proc);
    g_subprocess_wait(p->proc, NULL, NULL);
    g_thread_join(p->reader);
    g_object_unref(p->out);
    g_object_unref(p->proc);
    g_ptr_array_unref(p->events);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    g_free(p->identity);
    g_free(p);
}

void lkc_test_peer_send_numbered(lkc_test_peer_t *p, const char *prefix, const char *topic, int rate_per_s,
                                 long long count)
{
    lkc_test_peer_cmd(p, "{\"cmd\":\"send_numbered\",\"prefix\":\"%s\",\"topic\":\"%s\",\"rate\":%d,\"count\":%lld}",
                      prefix, topic ? topic : "", rate_per_s, count);
}

JsonObject *lkc_test_peer_wait_numbered(lkc_test_peer_t *p, const char *prefix, bool stop, int timeout_ms)
{
    if (stop)
        lkc_test_peer_cmd(p, "{\"cmd\":\"stop_numbered\",\"prefix\":\"%s\"}", prefix);
    JsonObject *o = lkc_test_peer_wait(p, "numbered_stopped", "prefix", prefix, 1, timeout_ms);
    CHECK(o, "the Python peer %s did not report numbered_stopped for '%s' within %d ms", p->identity, prefix,
          timeout_ms);
    return o;
}

JsonObject *lkc_test_peer_seq_report(lkc_test_peer_t *p, const char *prefix, const char *sender, long long expected,
                                     int timeout_ms)
{
    int before = lkc_test_peer_count(p, "seq_report", "prefix", prefix);
    if (sender)
        lkc_test_peer_cmd(p, "{\"cmd\":\"seq_report\",\"prefix\":\"%s\",\"sender\":\"%s\",\"expected\":%lld}",
                          prefix, sender, expected);
    else
        lkc_test_peer_cmd(p, "{\"cmd\":\"seq_report\",\"prefix\":\"%s\",\"expected\":%lld}", prefix,
                          expected);
    JsonObject *o = lkc_test_peer_wait(p, "seq_report", "prefix", prefix, before + 1, timeout_ms);
    CHECK(o, "the Python peer %s sent no seq_report for '%s' within %d ms", p->identity, prefix, timeout_ms);
    return o;
}

bool lkc_test_peer_seq_ok(JsonObject *report, long long expected, char *msg, size_t msg_len)
{
    long long distinct = json_object_get_int_member_with_default(report, "distinct", -1),
              count = json_object_get_int_member_with_default(report, "count", -1),
              missing = json_object_get_int_member_with_default(report, "missing_count", -1),
              dups = json_object_get_int_member_with_default(report, "duplicates", -1),
              late = json_object_get_int_member_with_default(report, "out_of_order", -1),
              highest = json_object_get_int_member_with_default(report, "highest", -1);
    bool ok = missing == 0 && dups == 0 && late == 0 && highest == expected && distinct == expected &&
              count == expected;
    if (msg && msg_len) {
        GString *g = g_string_new(NULL);
        g_string_append_printf(g, "the Python peer got '%s-<n>'%s%s: %lld of 1..%lld (%lld messages, highest %lld)",
                               json_object_get_string_member_with_default(report, "prefix", "?"),
                               *json_object_get_string_member_with_default(report, "sender", "") ? " from " : "",
                               json_object_get_string_member_with_default(report, "sender", ""), distinct, expected,
                               count, highest);
        if (ok) {
            g_string_append(g, ", each once, in order");
        } else {
            g_string_append_printf(g, "; missing %lld", missing);
            JsonArray *list = json_object_has_member(report, "missing")
                                  ? json_object_get_array_member(report, "missing")
                                  : NULL;
            if (list && json_array_get_length(list)) {
                g_string_append(g, " (");
                guint n = json_array_get_length(list);
                for (guint i = 0; i < n && i < 10; i++)
                    g_string_append_printf(g, "%s%lld", i ? ", " : "", (long long)json_array_get_int_element(list, i));
                g_string_append(g, n > 10 || missing > 10 ? ", ...)" : ")");
            }
            g_string_append_printf(g, "; duplicates %lld; out of order %lld", dups, late);
        }
        g_strlcpy(msg, g->str, msg_len);
        g_string_free(g, TRUE);
    }
    return ok;
}
