#include "output.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "view.h"

static bool json_mode;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static JsonBuilder *builder; /* [lock] the event being built (JSON mode) */
static GString *line;        /* [lock] the event being built (text mode) */
static int64_t start_ms;
static bool to_view;         /* [lock] the text event goes to the live view's list */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t out_now_ms(void)
{
    return mono_ms() - start_ms;
}

void out_init(bool json)
{
    json_mode = json;
    start_ms = mono_ms();
}

bool out_is_json(void)
{
    return json_mode;
}

void out_begin(const char *ev)
{
    pthread_mutex_lock(&lock);
    if (json_mode) {
        builder = json_builder_new();
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "ev");
        json_builder_add_string_value(builder, ev);
        json_builder_set_member_name(builder, "t");
        json_builder_add_int_value(builder, out_now_ms());
    } else {
        line = g_string_new(NULL);
        g_string_append_printf(line, "[%7.3f] %s", out_now_ms() / 1000.0, ev);
        /* The live view shows levels and stats itself; its list keeps the rarer events. */
        to_view = view_live() && strcmp(ev, "audio") != 0 && !g_str_has_suffix(ev, "stats");
    }
}

/* Text mode: a value with spaces, quotes or control characters is quoted and escaped
 * (so one event stays one line); UTF-8 letters stay as they are. */
static void append_text_value(const char *value)
{
    if (!value || !*value) {
        g_string_append(line, "\"\"");
        return;
    }
    bool plain = true;
    for (const unsigned char *c = (const unsigned char *)value; *c; c++)
        if (*c <= ' ' || *c == '"' || *c == '\\' || *c == 0x7f)
            plain = false;
    if (plain) {
        g_string_append(line, value);
        return;
    }
    static char keep[129];
    if (!keep[0])
        for (int i = 0; i < 128; i++)
            keep[i] = (char)(0x80 + i);
    char *esc = g_strescape(value, keep);
    g_string_append_printf(line, "\"%s\"", esc);
    g_free(esc);
}

void out_str(const char *key, const char *value)
{
    if (json_mode) {
        json_builder_set_member_name(builder, key);
        json_builder_add_string_value(builder, value ? value : "");
    } else {
        g_string_append_printf(line, " %s=", key);
        append_text_value(value);
    }
}

void out_int(const char *key, int64_t value)
{
    if (json_mode) {
        json_builder_set_member_name(builder, key);
        json_builder_add_int_value(builder, value);
    } else {
        g_string_append_printf(line, " %s=%lld", key, (long long)value);
    }
}

void out_double(const char *key, double value)
{
    if (json_mode) {
        json_builder_set_member_name(builder, key);
        json_builder_add_double_value(builder, value);
    } else {
        g_string_append_printf(line, " %s=%.1f", key, value);
    }
}

void out_bool(const char *key, bool value)
{
    if (json_mode) {
        json_builder_set_member_name(builder, key);
        json_builder_add_boolean_value(builder, value);
    } else {
        g_string_append_printf(line, " %s=%s", key, value ? "yes" : "no");
    }
}

void out_payload(const char *key, const uint8_t *data, size_t len)
{
    if (g_utf8_validate((const char *)data, (gssize)len, NULL)) {
        char *text = g_strndup((const char *)data, len);
        out_str(key, text);
        g_free(text);
    } else {
        char *b64 = g_base64_encode(data, len);
        char *k = g_strdup_printf("%s_b64", key);
        out_str(k, b64);
        g_free(k);
        g_free(b64);
    }
}

void out_strv(const char *key, const char *const *values, size_t n)
{
    if (json_mode) {
        json_builder_set_member_name(builder, key);
        json_builder_begin_array(builder);
        for (size_t i = 0; i < n; i++)
            json_builder_add_string_value(builder, values[i]);
        json_builder_end_array(builder);
    } else {
        g_string_append_printf(line, " %s=", key);
        for (size_t i = 0; i < n; i++)
            g_string_append_printf(line, "%s%s", i ? "," : "", values[i]);
    }
}

void out_map(const char *key, const lkc_kv_t *kv, size_t n)
{
    if (json_mode) {
        json_builder_set_member_name(builder, key);
        json_builder_begin_object(builder);
        for (size_t i = 0; i < n; i++) {
            json_builder_set_member_name(builder, kv[i].key);
            json_builder_add_string_value(builder, kv[i].value);
        }
        json_builder_end_object(builder);
    } else {
        g_string_append_printf(line, " %s={", key);
        for (size_t i = 0; i < n; i++)
            g_string_append_printf(line, "%s%s=%s", i ? "," : "", kv[i].key, kv[i].value);
        g_string_append_c(line, '}');
    }
}

void out_end(void)
{
    if (json_mode) {
        json_builder_end_object(builder);
        JsonNode *root = json_builder_get_root(builder);
        char *text = json_to_string(root, FALSE);
        fprintf(stdout, "%s\n", text);
        g_free(text);
        json_node_unref(root);
        g_object_unref(builder);
        builder = NULL;
    } else {
        if (to_view)
            view_log(line->str);
        else if (!view_live())
            fprintf(stdout, "%s\n", line->str);
        to_view = false;
        g_string_free(line, TRUE);
        line = NULL;
    }
    fflush(stdout);
    pthread_mutex_unlock(&lock);
}
