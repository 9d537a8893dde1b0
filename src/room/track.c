/* The lkc_track_t object (a local publication) that the application, the room's list
 * and the engine share: references, the publish outcome, detaching from a destroyed
 * room. */
#include "room/audio_internal.h"

lkc_track_t *lkc__track_ref(lkc_track_t *t)
{
    g_atomic_int_inc(&t->refs);
    return t;
}

void lkc__track_unref(lkc_track_t *t)
{
    if (!t || !g_atomic_int_dec_and_test(&t->refs))
        return;
    lkc__audio_source_unref(t->src);
    g_free(t->name);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    g_free(t);
}

void lkc__track_unref_notify(gpointer t)
{
    lkc__track_unref(t);
}

void lkc__track_publish_done(lkc_track_t *t, int rc)
{
    pthread_mutex_lock(&t->lock);
    if (t->publish_rc == 1) {
        t->publish_rc = rc;
        pthread_cond_broadcast(&t->cond);
    }
    pthread_mutex_unlock(&t->lock);
}

void lkc__track_publish_cmd_free(gpointer p)
{
    lkc_track_t *t = p;
    if (!atomic_load(&t->publish_taken))
        lkc__track_publish_done(t, LKC_ERR_CLOSED); /* it never ran: the session ended first */
    lkc__track_unref(t);
}

void lkc__track_detach_room(lkc_track_t *t)
{
    pthread_mutex_lock(&t->lock);
    t->room = NULL;
    pthread_mutex_unlock(&t->lock);
}
