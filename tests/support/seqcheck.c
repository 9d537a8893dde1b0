#include "seqcheck.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sync.h"
#include "test.h"

/* ---- sender ---------------------------------------------------------------------- */

#define MAX_EPISODES 32

typedef struct episode { /* one number refused one or more times with one code */
    long long n;
    int code;
    long long times;
    long long first_ms, last_ms;
} episode_t;

struct lkc_test_seq_sender {
    lkc_room_t *room;
    char *prefix;
    char *topic;
    int rate;
    long long count;
    pthread_t thread;
    bool joined;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    lkc_test_seq_sender_stats_t st;
    episode_t episodes[MAX_EPISODES];
    int n_episodes;
    long long episodes_dropped;
    gint64 t0_us;
};

static long long since_ms(const lkc_test_seq_sender_t *s)
{
    return (g_get_monotonic_time() - s->t0_us) / 1000;
}

static void note_refusal(lkc_test_seq_sender_t *s, long long n, int code, long long run)
{
    long long t = since_ms(s);
    s->st.refused++;
    int idx = code < 0 && -code < LKC_TEST_SEQ_CODES ? -code : 0;
    s->st.refused_by_code[idx]++;
    if (s->st.first_refusal_ms < 0)
        s->st.first_refusal_ms = t;
    s->st.last_refusal_ms = t;
    if (run > s->st.most_refusals_of_one)
        s->st.most_refusals_of_one = run;
    episode_t *last = s->n_episodes ? &s->episodes[s->n_episodes - 1] : NULL;
    if (last && last->n == n && last->code == code) {
        last->times++;
        last->last_ms = t;
    } else if (s->n_episodes < MAX_EPISODES) {
        s->episodes[s->n_episodes++] = (episode_t){.n = n, .code = code, .times = 1, .first_ms = t, .last_ms = t};
    } else {
        s->episodes_dropped++;
    }
}

static void *sender_main(void *arg)
{
    lkc_test_seq_sender_t *s = arg;
    lkc_data_options_t o;
    lkc_data_options_init(&o);
    o.kind = LKC_DATA_RELIABLE;
    o.topic = s->topic;
    o.timeout_ms = -1;
    const gint64 period_us = 1000000 / s->rate;
    gint64 due = g_get_monotonic_time();
    long long n = 1, refusals_of_n = 0;
    pthread_mutex_lock(&s->lock);
    while (!s->stop && (s->count == 0 || s->st.sent < s->count)) {
        /* wait for the next tick (or stop) */
        gint64 wait_us = due - g_get_monotonic_time();
        if (wait_us > 0) {
            struct timespec dl;
            lkc_deadline_after(&dl, (wait_us + 999) / 1000);
            pthread_cond_timedwait(&s->cond, &s->lock, &dl);
            continue;
        }
        due += period_us;
        if (due < g_get_monotonic_time() - 1000000) /* far behind (a long blocked call): no burst */
            due = g_get_monotonic_time();
        pthread_mutex_unlock(&s->lock);

        char msg[160];
        int len = snprintf(msg, sizeof msg, "%s-%lld", s->prefix, n);
        gint64 c0 = g_get_monotonic_time();
        lkc_err_t rc = lkc_room_publish_data(s->room, msg, (size_t)len, &o);
        long long call_ms = (g_get_monotonic_time() - c0) / 1000;

        pthread_mutex_lock(&s->lock);
        s->st.calls++;
        if (call_ms > s->st.longest_call_ms)
            s->st.longest_call_ms = call_ms;
        if (rc == LKC_OK) {
            s->st.sent = n;
            n++;
            refusals_of_n = 0;
        } else {
            note_refusal(s, n, (int)rc, ++refusals_of_n);
        }
        pthread_cond_broadcast(&s->cond);
    }
    s->st.running = false;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

lkc_test_seq_sender_t *lkc_test_seq_sender_start(lkc_room_t *room, const char *prefix, const char *topic,
                                                 int rate_per_s, long long count)
{
    CHECK(room && prefix && rate_per_s > 0 && rate_per_s <= 1000000, "seq sender: bad arguments");
    lkc_test_seq_sender_t *s = g_new0(lkc_test_seq_sender_t, 1);
    s->room = room;
    s->prefix = g_strdup(prefix);
    s->topic = topic ? g_strdup(topic) : NULL;
    s->rate = rate_per_s;
    s->count = count;
    s->st.first_refusal_ms = s->st.last_refusal_ms = -1;
    s->st.running = true;
    s->t0_us = g_get_monotonic_time();
    pthread_mutex_init(&s->lock, NULL);
    lkc_cond_init_monotonic(&s->cond);
    CHECK(pthread_create(&s->thread, NULL, sender_main, s) == 0, "seq sender: cannot start a thread");
    return s;
}

bool lkc_test_seq_sender_wait_sent(lkc_test_seq_sender_t *s, long long n, int timeout_ms)
{
    struct timespec dl;
    lkc_deadline_after(&dl, timeout_ms);
    pthread_mutex_lock(&s->lock);
    while (s->st.sent < n && s->st.running && pthread_cond_timedwait(&s->cond, &s->lock, &dl) == 0)
        ;
    bool ok = s->st.sent >= n;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

long long lkc_test_seq_sender_stop(lkc_test_seq_sender_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (!s->joined) {
        pthread_join(s->thread, NULL);
        s->joined = true;
    }
    return s->st.sent;
}

void lkc_test_seq_sender_get_stats(lkc_test_seq_sender_t *s, lkc_test_seq_sender_stats_t *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->st;
    pthread_mutex_unlock(&s->lock);
}

char *lkc_test_seq_sender_describe(lkc_test_seq_sender_t *s)
{
    pthread_mutex_lock(&s->lock);
    GString *g = g_string_new(NULL);
    g_string_append_printf(g, "sender '%s': %lld accepted (1..%lld) in %lld calls, %lld refused", s->prefix,
                           s->st.sent, s->st.sent, s->st.calls, s->st.refused);
    if (s->st.refused) {
        g_string_append(g, " (");
        bool first = true;
        for (int i = 0; i < LKC_TEST_SEQ_CODES; i++) {
            if (!s->st.refused_by_code[i])
                continue;
            g_string_append_printf(g, "%s%s %lld", first ? "" : ", ", i ? lkc_err_str((lkc_err_t)-i) : "other",
                                   s->st.refused_by_code[i]);
            first = false;
        }
        g_string_append_printf(g, "; at most %lld for one number; from %lld to %lld ms)", s->st.most_refusals_of_one,
                               s->st.first_refusal_ms, s->st.last_refusal_ms);
    }
    g_string_append_printf(g, ", longest call %lld ms", s->st.longest_call_ms);
    for (int i = 0; i < s->n_episodes; i++) {
        const episode_t *e = &s->episodes[i];
        g_string_append_printf(g, "\n  #%lld refused %lld x %s (%lld..%lld ms)", e->n, e->times,
                               lkc_err_str((lkc_err_t)e->code), e->first_ms, e->last_ms);
    }
    if (s->episodes_dropped)
        g_string_append_printf(g, "\n  (%lld more refusal episodes not listed)", s->episodes_dropped);
    pthread_mutex_unlock(&s->lock);
    return g_string_free(g, FALSE);
}

void lkc_test_seq_sender_free(lkc_test_seq_sender_t *s)
{
    if (!s)
        return;
    lkc_test_seq_sender_stop(s);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    g_free(s->prefix);
    g_free(s->topic);
    g_free(s);
}

/* ---- receiver -------------------------------------------------------------------- */

typedef struct stream {
    GArray *arrivals;   /* long long, in arrival order */
    GHashTable *seen;   /* number -> times (both as pointers) */
    long long highest;
    long long contiguous;
    long long duplicates, out_of_order;
} stream_t;

struct lkc_test_seq_receiver {
    char *topic;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    GHashTable *streams; /* "sender\x1fprefix" -> stream_t* */
    GHashTable *fed_while_attaching; /* lkc_test_event_t* fed by the hook during attach */
};

static void stream_free(gpointer p)
{
    stream_t *st = p;
    g_array_unref(st->arrivals);
    g_hash_table_unref(st->seen);
    g_free(st);
}

lkc_test_seq_receiver_t *lkc_test_seq_receiver_new(const char *topic)
{
    lkc_test_seq_receiver_t *rx = g_new0(lkc_test_seq_receiver_t, 1);
    rx->topic = topic ? g_strdup(topic) : NULL;
    pthread_mutex_init(&rx->lock, NULL);
    lkc_cond_init_monotonic(&rx->cond);
    rx->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stream_free);
    return rx;
}

void lkc_test_seq_receiver_free(lkc_test_seq_receiver_t *rx)
{
    if (!rx)
        return;
    g_hash_table_unref(rx->streams);
    pthread_mutex_destroy(&rx->lock);
    pthread_cond_destroy(&rx->cond);
    g_free(rx->topic);
    g_free(rx);
}

static char *key_of(const char *sender, const char *prefix, size_t prefix_len)
{
    return g_strdup_printf("%s\x1f%.*s", sender ? sender : "", (int)prefix_len, prefix);
}

static stream_t *stream_get(lkc_test_seq_receiver_t *rx, char *key /* taken */, bool create)
{
    stream_t *st = g_hash_table_lookup(rx->streams, key);
    if (!st && create) {
        st = g_new0(stream_t, 1);
        st->arrivals = g_array_new(FALSE, FALSE, sizeof(long long));
        st->seen = g_hash_table_new(g_direct_hash, g_direct_equal);
        g_hash_table_insert(rx->streams, key, st);
        return st;
    }
    g_free(key);
    return st;
}

void lkc_test_seq_receiver_feed(lkc_test_seq_receiver_t *rx, const char *sender, const char *topic,
                                const void *payload, size_t len)
{
    if (rx->topic && strcmp(rx->topic, topic ? topic : "") != 0)
        return;
    const char *p = payload;
    if (!p || len < 3 || len > 200)
        return;
    size_t dash = len;
    while (dash > 0 && p[dash - 1] != '-')
        dash--;
    if (dash < 2 || dash == len) /* needs a non-empty prefix and digits */
        return;
    long long n = 0;
    for (size_t i = dash; i < len; i++) {
        if (p[i] < '0' || p[i] > '9' || n > (1LL << 40))
            return;
        n = n * 10 + (p[i] - '0');
    }
    if (n < 1)
        return;
    pthread_mutex_lock(&rx->lock);
    stream_t *st = stream_get(rx, key_of(sender, p, dash - 1), true);
    g_array_append_val(st->arrivals, n);
    gpointer k = GSIZE_TO_POINTER((gsize)n);
    gsize times = GPOINTER_TO_SIZE(g_hash_table_lookup(st->seen, k));
    g_hash_table_insert(st->seen, k, GSIZE_TO_POINTER(times + 1));
    if (times > 0)
        st->duplicates++;
    else if (n < st->highest)
        st->out_of_order++;
    if (n > st->highest)
        st->highest = n;
    while (g_hash_table_contains(st->seen, GSIZE_TO_POINTER((gsize)(st->contiguous + 1))))
        st->contiguous++;
    pthread_cond_broadcast(&rx->cond);
    pthread_mutex_unlock(&rx->lock);
}

static void feed_event(lkc_test_seq_receiver_t *rx, const lkc_test_event_t *e)
{
    if (strcmp(e->type, "data") != 0 || !e->payload)
        return;
    gsize n;
    const void *d = g_bytes_get_data(e->payload, &n);
    lkc_test_seq_receiver_feed(rx, e->a, e->b, d, n);
}

static void on_event(lkc_test_events_t *ev, const lkc_test_event_t *e, lkc_room_t *room, void *user)
{
    (void)ev;
    (void)room;
    lkc_test_seq_receiver_t *rx = user;
    pthread_mutex_lock(&rx->lock);
    if (rx->fed_while_attaching)
        g_hash_table_add(rx->fed_while_attaching, (gpointer)e);
    pthread_mutex_unlock(&rx->lock);
    feed_event(rx, e);
}

void lkc_test_seq_receiver_attach(lkc_test_seq_receiver_t *rx, lkc_test_events_t *ev)
{
    /* the hook first, then what was recorded before it, less what the hook already fed */
    pthread_mutex_lock(&rx->lock);
    rx->fed_while_attaching = g_hash_table_new(g_direct_hash, g_direct_equal);
    pthread_mutex_unlock(&rx->lock);
    lkc_test_events_on_record(ev, on_event, rx);
    GPtrArray *before = lkc_test_events_list(ev, "data");
    for (guint i = 0; i < before->len; i++) {
        const lkc_test_event_t *e = g_ptr_array_index(before, i);
        pthread_mutex_lock(&rx->lock);
        bool fed = g_hash_table_contains(rx->fed_while_attaching, e);
        pthread_mutex_unlock(&rx->lock);
        if (!fed)
            feed_event(rx, e);
    }
    g_ptr_array_unref(before);
    pthread_mutex_lock(&rx->lock);
    g_hash_table_unref(rx->fed_while_attaching);
    rx->fed_while_attaching = NULL;
    pthread_mutex_unlock(&rx->lock);
}

bool lkc_test_seq_receiver_wait(lkc_test_seq_receiver_t *rx, const char *sender, const char *prefix, long long n,
                                int timeout_ms)
{
    struct timespec dl;
    lkc_deadline_after(&dl, timeout_ms);
    char *key = key_of(sender, prefix, strlen(prefix));
    pthread_mutex_lock(&rx->lock);
    bool ok;
    for (;;) {
        stream_t *st = g_hash_table_lookup(rx->streams, key);
        ok = st && st->contiguous >= n;
        if (ok || pthread_cond_timedwait(&rx->cond, &rx->lock, &dl) != 0)
            break;
    }
    if (!ok) { /* one last look after the timeout */
        stream_t *st = g_hash_table_lookup(rx->streams, key);
        ok = st && st->contiguous >= n;
    }
    pthread_mutex_unlock(&rx->lock);
    g_free(key);
    return ok;
}

#define LIST_MAX 10

static void append_list(GString *g, const char *label, long long total, const long long *items, int n_items)
{
    g_string_append_printf(g, "; %s %lld (", label, total);
    for (int i = 0; i < n_items; i++)
        g_string_append_printf(g, "%s%lld", i ? ", " : "", items[i]);
    g_string_append(g, total > n_items ? ", ...)" : ")");
}

bool lkc_test_seq_receiver_check(lkc_test_seq_receiver_t *rx, const char *sender, const char *prefix,
                                 long long expected, lkc_test_seq_result_t *out, char *msg, size_t msg_len)
{
    lkc_test_seq_result_t r = {.expected = expected};
    long long missing[LIST_MAX], dups[LIST_MAX], late[LIST_MAX], extra[LIST_MAX];
    int n_missing = 0, n_dups = 0, n_late = 0, n_extra = 0;
    pthread_mutex_lock(&rx->lock);
    char *key = key_of(sender, prefix, strlen(prefix));
    stream_t *st = g_hash_table_lookup(rx->streams, key);
    g_free(key);
    if (st) {
        r.received = st->arrivals->len;
        r.distinct = g_hash_table_size(st->seen);
        r.contiguous = st->contiguous;
        r.duplicates = st->duplicates;
        r.out_of_order = st->out_of_order;
        if (st->arrivals->len) {
            r.first = g_array_index(st->arrivals, long long, 0);
            r.last = g_array_index(st->arrivals, long long, st->arrivals->len - 1);
        }
        /* walk the arrivals again for the examples */
        GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
        long long highest = 0;
        for (guint i = 0; i < st->arrivals->len; i++) {
            long long n = g_array_index(st->arrivals, long long, i);
            gpointer k = GSIZE_TO_POINTER((gsize)n);
            if (g_hash_table_contains(seen, k)) {
                if (n_dups < LIST_MAX)
                    dups[n_dups++] = n;
            } else if (n < highest) {
                if (n_late < LIST_MAX)
                    late[n_late++] = n;
            }
            if (n > expected) {
                r.unexpected++;
                if (n_extra < LIST_MAX)
                    extra[n_extra++] = n;
            }
            g_hash_table_add(seen, k);
            if (n > highest)
                highest = n;
        }
        g_hash_table_unref(seen);
    }
    for (long long n = 1; n <= expected; n++) {
        if (st && g_hash_table_contains(st->seen, GSIZE_TO_POINTER((gsize)n)))
            continue;
        r.missing++;
        if (n_missing < LIST_MAX)
            missing[n_missing++] = n;
    }
    pthread_mutex_unlock(&rx->lock);

    bool ok = r.missing == 0 && r.duplicates == 0 && r.out_of_order == 0 && r.unexpected == 0;
    if (out)
        *out = r;
    if (msg && msg_len) {
        GString *g = g_string_new(NULL);
        g_string_append_printf(g, "from %s, '%s-<n>': %lld of 1..%lld arrived (%lld messages; first %lld, last %lld)",
                               sender, prefix, r.distinct - r.unexpected, expected, r.received, r.first, r.last);
        if (ok) {
            g_string_append(g, ", each once, in order");
        } else {
            if (r.missing)
                append_list(g, "missing", r.missing, missing, n_missing);
            if (r.duplicates)
                append_list(g, "duplicates", r.duplicates, dups, n_dups);
            if (r.out_of_order)
                append_list(g, "out of order (arrived after a higher number)", r.out_of_order, late, n_late);
            if (r.unexpected)
                append_list(g, "above what was sent", r.unexpected, extra, n_extra);
        }
        g_strlcpy(msg, g->str, msg_len);
        g_string_free(g, TRUE);
    }
    return ok;
}
