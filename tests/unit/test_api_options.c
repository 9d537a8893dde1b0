/* The public API's rules for growing without breaking callers (lkc/error.h, version.h):
 * options structs carry struct_size (set by _init; 0 refused; a smaller one from an older
 * caller keeps the defaults of the fields it lacks), the version at compile and run time
 * agree, and the room's handler table sits after the scalars. */
#include <stddef.h>

#include "lkc/lkc.h"
#include "test.h"

static void version_agrees(void)
{
    CHECK_EQ_INT(lkc_version_num(), LKC_VERSION_NUM);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", LKC_VERSION_MAJOR, LKC_VERSION_MINOR, LKC_VERSION_PATCH);
    CHECK_STR(lkc_version(), want);
}

static void room_options(void)
{
    lkc_room_t *r = NULL;
    lkc_room_options_t o;
    memset(&o, 0, sizeof o); /* never initialised */
    CHECK_EQ_INT(lkc_room_create(&o, &r), LKC_ERR_INVALID_ARG);
    CHECK(r == NULL, "a refused create left a room");
    lkc_room_options_init(&o);
    CHECK_EQ_INT(o.struct_size, sizeof o);
    CHECK(offsetof(lkc_room_options_t, handlers) > offsetof(lkc_room_options_t, connect_timeout_ms),
          "the handler table must come after the scalar options");
    o.struct_size = sizeof o + 8; /* from a newer header than this library */
    CHECK_EQ_INT(lkc_room_create(&o, &r), LKC_ERR_INVALID_ARG);
    /* an older caller knew only the fields before the handlers: accepted, defaults kept */
    o.struct_size = (uint32_t)offsetof(lkc_room_options_t, handlers);
    CHECK_OK(lkc_room_create(&o, &r));
    CHECK_EQ_INT(lkc_room_state(r), LKC_STATE_DISCONNECTED);
    /* no session: waits end at once, whatever the timeout rule */
    CHECK_EQ_INT(lkc_room_wait_connected(r, 0), LKC_ERR_CLOSED);
    CHECK_EQ_INT(lkc_room_wait_connected(r, -1), LKC_ERR_CLOSED);
    lkc_room_destroy(r);
    CHECK_OK(lkc_room_create(NULL, &r)); /* NULL: the defaults */
    lkc_room_destroy(r);
}

static void data_options(void)
{
    lkc_data_options_t d;
    lkc_data_options_init(&d);
    CHECK_EQ_INT(d.struct_size, sizeof d);
    CHECK_EQ_INT(d.kind, LKC_DATA_RELIABLE);
    CHECK_EQ_INT(d.timeout_ms, 0);
    lkc_room_t *r = NULL;
    CHECK_OK(lkc_room_create(NULL, &r));
    lkc_data_options_t raw;
    memset(&raw, 0, sizeof raw);
    CHECK_EQ_INT(lkc_room_publish_data(r, "x", 1, &raw), LKC_ERR_INVALID_ARG);
    CHECK_EQ_INT(lkc_room_publish_data(r, "x", 1, &d), LKC_ERR_STATE); /* valid, not connected */
    lkc_room_destroy(r);
}

static void stream_and_publish_options(void)
{
    lkc_room_t *r = NULL;
    CHECK_OK(lkc_room_create(NULL, &r));
    lkc_audio_stream_options_t so;
    memset(&so, 0, sizeof so);
    lkc_audio_stream_t *st = NULL;
    CHECK_EQ_INT(lkc_audio_stream_create(r, "TR_x", &so, &st), LKC_ERR_INVALID_ARG);
    lkc_audio_stream_options_init(&so);
    CHECK_EQ_INT(so.struct_size, sizeof so);
    CHECK_EQ_INT(lkc_audio_stream_create(r, "TR_x", &so, &st), LKC_ERR_STATE); /* valid, no session */
    lkc_audio_source_t *src = NULL;
    CHECK_OK(lkc_audio_source_create(48000, 1, 100, &src));
    lkc_audio_publish_options_t po;
    memset(&po, 0, sizeof po);
    lkc_track_t *t = NULL;
    CHECK_EQ_INT(lkc_room_publish_audio(r, src, &po, &t), LKC_ERR_INVALID_ARG);
    lkc_audio_publish_options_init(&po, src);
    CHECK_EQ_INT(po.struct_size, sizeof po);
    CHECK_EQ_INT(lkc_room_publish_audio(r, src, &po, &t), LKC_ERR_STATE);
    lkc_audio_source_destroy(src);
    lkc_room_destroy(r);
}

static void token_options(void)
{
    lkc_token_options_t o;
    memset(&o, 0, sizeof o);
    o.api_key = "k";
    o.api_secret = "s";
    char *tok = NULL;
    CHECK_EQ_INT(lkc_token_mint(&o, &tok), LKC_ERR_INVALID_ARG);
    lkc_token_options_init(&o);
    CHECK_EQ_INT(o.struct_size, sizeof o);
    o.api_key = "k";
    o.api_secret = "s";
    o.identity = "me";
    o.grant.room = "r";
    CHECK_OK(lkc_token_mint(&o, &tok));
    lkc_free(tok);
}

int main(void)
{
    RUN(version_agrees);
    RUN(room_options);
    RUN(data_options);
    RUN(stream_and_publish_options);
    RUN(token_options);
    return 0;
}
