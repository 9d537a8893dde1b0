/* `lkc devices` and the devices of `lkc join` (--mic, --speaker): declarations shared by
 * main.c, join.c, devices.c and join_devices.c. */
#ifndef LKC_CLI_JOIN_DEVICES_H
#define LKC_CLI_JOIN_DEVICES_H

#include <stdbool.h>

#include "join.h"

/* `lkc devices [--json]`. */
int cmd_devices(int argc, char **argv);

/* Opens and starts what --mic/--speaker ask for (nothing when neither), with the audio
 * processing --no-aec/--no-ns/--no-agc leave on, and a thread that publishes the
 * microphone once the room is connected, plays every remote audio track on the
 * speaker, shows the input level and restarts a device that failed. Call after
 * lkc_room_create and before connecting (a wrong device name fails before the join).
 * Returns 0, or 1 with the error printed. Main thread. */
int join_devices_start(join_session_t *s);

/* Stops the thread and the devices, unpublishes and frees everything. Safe to call when
 * nothing was started. Main thread, after lkc_room_close. */
void join_devices_stop(void);

#endif
