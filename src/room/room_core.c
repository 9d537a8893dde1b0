/* The room's blocked-caller accounting (R9): destroy never frees what a blocked caller
 * still holds. */
#include "room/room_core.h"

bool lkc__room_enter(lkc_room_t *room)
{
    pthread_mutex_lock(&room->lock);
    bool ok = !room->closing;
    if (ok)
        room->callers++;
    pthread_mutex_unlock(&room->lock);
    return ok;
}

void lkc__room_leave(lkc_room_t *room)
{
    pthread_mutex_lock(&room->lock);
    if (--room->callers == 0 && room->closing)
        pthread_cond_broadcast(&room->cond);
    pthread_mutex_unlock(&room->lock);
}

void lkc__room_close_callers(lkc_room_t *room)
{
    pthread_mutex_lock(&room->lock);
    room->closing = true;
    pthread_cond_broadcast(&room->cond);
    while (room->callers > 0)
        pthread_cond_wait(&room->cond, &room->lock);
    pthread_mutex_unlock(&room->lock);
}
