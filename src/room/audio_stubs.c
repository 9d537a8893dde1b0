/* Temporary: the audio API before its implementation lands (returns UNSUPPORTED). */
#include "lkc/lkc.h"

lkc_err_t lkc_audio_source_create(int r, int c, int q, lkc_audio_source_t **out) { if (out) *out = NULL; return LKC_ERR_UNSUPPORTED; }
lkc_err_t lkc_audio_source_capture(lkc_audio_source_t *s, const int16_t *p, size_t n, int t) { return LKC_ERR_UNSUPPORTED; }
void lkc_audio_source_clear(lkc_audio_source_t *s) {}
int lkc_audio_source_queued_ms(lkc_audio_source_t *s) { return 0; }
lkc_err_t lkc_audio_source_wait_for_playout(lkc_audio_source_t *s, int t) { return LKC_ERR_UNSUPPORTED; }
lkc_err_t lkc_audio_source_get_stats(lkc_audio_source_t *s, lkc_audio_source_stats_t *o) { return LKC_ERR_UNSUPPORTED; }
void lkc_audio_source_destroy(lkc_audio_source_t *s) {}
void lkc_audio_publish_options_init(lkc_audio_publish_options_t *o, const lkc_audio_source_t *s) {}
lkc_err_t lkc_room_publish_audio(lkc_room_t *r, lkc_audio_source_t *s, const lkc_audio_publish_options_t *o, lkc_track_t **out) { return LKC_ERR_UNSUPPORTED; }
lkc_err_t lkc_room_unpublish(lkc_room_t *r, lkc_track_t *t) { return LKC_ERR_UNSUPPORTED; }
lkc_err_t lkc_track_mute(lkc_track_t *t) { return LKC_ERR_UNSUPPORTED; }
lkc_err_t lkc_track_unmute(lkc_track_t *t) { return LKC_ERR_UNSUPPORTED; }
lkc_err_t lkc_track_get_sid(const lkc_track_t *t, char *b, size_t n) { return LKC_ERR_UNSUPPORTED; }
lkc_err_t lkc_room_set_subscribed(lkc_room_t *r, const char *sid, bool s) { return LKC_ERR_UNSUPPORTED; }
void lkc_audio_stream_options_init(lkc_audio_stream_options_t *o) {}
lkc_err_t lkc_audio_stream_create(lkc_room_t *r, const char *sid, const lkc_audio_stream_options_t *o, lkc_audio_stream_t **out) { return LKC_ERR_UNSUPPORTED; }
int lkc_audio_stream_read(lkc_audio_stream_t *s, int16_t *p, size_t n, int t) { return LKC_ERR_UNSUPPORTED; }
lkc_err_t lkc_audio_stream_get_stats(lkc_audio_stream_t *s, lkc_audio_stream_stats_t *o) { return LKC_ERR_UNSUPPORTED; }
void lkc_audio_stream_destroy(lkc_audio_stream_t *s) {}
