/* The human display of `lkc join` on a terminal: a compact view redrawn in place
 * (ANSI) a few times a second: state, participants and their tracks with a level meter
 * and the frequency heard, data counts, and the last few events. Everything else (not
 * a terminal, --json) prints plain lines and never calls view_render().
 *
 * The setters are called from room handlers, listener threads and the main thread:
 * they only update a model under a lock; view_render() (main thread) draws it. */
#ifndef LKC_CLI_VIEW_H
#define LKC_CLI_VIEW_H

#include <stdbool.h>

/* live: draw the view (stdout is a terminal and not --json). */
void view_init(bool live, const char *room, const char *identity);
bool view_live(void);

void view_state(const char *state);
void view_local(const char *text);          /* what we publish, e.g. "tone 440 Hz" */
void view_participant(const char *identity, const char *name, bool present);
void view_track(const char *identity, const char *sid, const char *kind, bool present);
void view_track_flags(const char *sid, int muted, int subscribed); /* -1: unchanged */
void view_audio(const char *sid, double rms_dbfs, double freq_hz);
void view_input_level(double rms_dbfs);   /* our microphone (--mic), after processing */
void view_data(bool incoming, const char *from, const char *text);
void view_status(const char *text);         /* one free line (stats, recording) */
void view_log(const char *line);            /* an event line for the "recent" list */
void view_participant_kind(const char *identity, const char *kind);
void view_agent_state(const char *identity, const char *state);
/* The last transcript lines, one per segment (a segment's line is replaced as it grows). */
void view_transcript(const char *identity, const char *segment_id, const char *text, bool final);

void view_render(void);
/* Draws one last time and leaves the cursor below the view. */
void view_end(void);

#endif
