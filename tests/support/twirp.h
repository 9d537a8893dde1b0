/* The server's own view, through its Twirp RoomService (POST /twirp/livekit.RoomService/
 * <Method>, JSON), so tests check what the server sees, not only what lkc says. */
#ifndef LKC_TEST_TWIRP_H
#define LKC_TEST_TWIRP_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

/* Calls `method` with a token that administers `room` (may be NULL for ListRooms).
 * Returns the response's root object (json_object_unref it); fails the test on HTTP
 * errors unless `allow_error` (then NULL). */
JsonObject *lkc_test_twirp(const char *method, const char *room, const char *body_json, bool allow_error);

/* ListParticipants: an array of participant objects (g_ptr_array_unref; elements are
 * JsonObject* refs). */
GPtrArray *lkc_test_list_participants(const char *room);
/* The participant with `identity` in such a list, or NULL. */
JsonObject *lkc_test_find_participant(GPtrArray *list, const char *identity);
void lkc_test_remove_participant(const char *room, const char *identity);
/* Whether ListRooms knows `room`. */
bool lkc_test_room_exists(const char *room);

#endif
