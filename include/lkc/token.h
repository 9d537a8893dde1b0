/* lkc: access tokens (JWT, HS256) for tools, tests and apps that hold an API key.
 * Apps in production usually get their token from their own backend instead. */
#ifndef LKC_TOKEN_H
#define LKC_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lkc/error.h"
#include "lkc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A key/value string pair (participant attributes). */
typedef struct lkc_kv {
    const char *key;
    const char *value;
} lkc_kv_t;

/** The "video" grant of a LiveKit token. */
typedef struct lkc_video_grant {
    bool room_join;        /**< may join `room` (needed for lkc_room_connect) */
    const char *room;      /**< the room name; required for room_join and room_admin */
    bool can_publish;
    bool can_subscribe;
    bool can_publish_data;
    bool can_update_own_metadata;
    bool room_admin;       /**< server API on `room` (ListParticipants, RemoveParticipant, ...) */
    bool room_list;        /**< server API ListRooms */
    bool room_create;      /**< server API CreateRoom/DeleteRoom */
    bool hidden;
} lkc_video_grant_t;

/** Token options. Fill with lkc_token_options_init() first. */
typedef struct lkc_token_options {
    uint32_t struct_size;      /**< set by lkc_token_options_init(); 0 is refused */
    const char *api_key;       /**< becomes `iss`; required */
    const char *api_secret;    /**< the HMAC key; required, never logged */
    const char *identity;      /**< becomes `sub`; required for joining */
    const char *name;          /**< display name, optional */
    const char *metadata;      /**< participant metadata, optional */
    const lkc_kv_t *attributes;/**< participant attributes, optional */
    size_t n_attributes;
    int64_t ttl_seconds;       /**< validity; 0 means 6 hours; negative, or an expiry
                                    (now + ttl) after the year 9999: LKC_ERR_INVALID_ARG */
    int64_t now;               /**< unix seconds used for nbf/exp; 0 means the current time */
    lkc_video_grant_t grant;
} lkc_token_options_t;

/** Fills `o` with defaults: room_join, can_publish, can_subscribe, can_publish_data
 *  true, ttl 6 h, everything else empty. Any thread. */
LKC_API void lkc_token_options_init(lkc_token_options_t *o);

/** Mints an HS256 JWT. On success `*out_token` is a NUL-terminated string the caller
 *  frees with lkc_free(). LKC_ERR_INVALID_ARG when the key, secret, or (with
 *  room_join) identity or room is missing, or when ttl_seconds is negative or would put
 *  the expiry past 9999-12-31T23:59:59Z (e.g. INT64_MAX: such a token would overflow and
 *  be born expired; nothing is minted). Any thread; no I/O. */
LKC_API lkc_err_t lkc_token_mint(const lkc_token_options_t *o, char **out_token);

#ifdef __cplusplus
}
#endif
#endif
