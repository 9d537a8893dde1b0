#include "view.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "output.h"

#define MAX_PEOPLE 16
#define MAX_TRACKS 6
#define MAX_LOG 6
#define METER 20
#define MAX_TRANSCRIPT 4

typedef struct vtrack {
    char sid[40];
    char kind[8];
    bool used, muted, subscribed, heard;
    double rms, hz;
} vtrack_t;

typedef struct vperson {
    char identity[64];
    char name[64];
    char kind[16];       /* "agent", "sip", ... ("" for a standard participant) */
    char agent_state[16];
    bool used;
    vtrack_t tracks[MAX_TRACKS];
} vperson_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    bool live;
    char room[64], identity[64], state[24], local[128], status[160];
    vperson_t people[MAX_PEOPLE];
    unsigned data_in, data_out;
    char last_data[128];
    char log[MAX_LOG][160];
    int n_log;
    struct { char segment[64]; char line[200]; } transcript[MAX_TRANSCRIPT];
    int n_transcript;
    int drawn_lines;   /* lines of the last render, to move back over them */
    bool has_input;    /* --mic: the microphone's level is shown */
    double input_rms;
} v;

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

void view_init(bool live, const char *room, const char *identity)
{
    pthread_mutex_lock(&lock);
    memset(&v, 0, sizeof v);
    v.live = live;
    copy(v.room, sizeof v.room, room);
    copy(v.identity, sizeof v.identity, identity);
    copy(v.state, sizeof v.state, "connecting");
    pthread_mutex_unlock(&lock);
}

bool view_live(void)
{
    pthread_mutex_lock(&lock);
    bool live = v.live;
    pthread_mutex_unlock(&lock);
    return live;
}

void view_state(const char *state)
{
    pthread_mutex_lock(&lock);
    copy(v.state, sizeof v.state, state);
    pthread_mutex_unlock(&lock);
}

void view_local(const char *text)
{
    pthread_mutex_lock(&lock);
    copy(v.local, sizeof v.local, text);
    pthread_mutex_unlock(&lock);
}

void view_status(const char *text)
{
    pthread_mutex_lock(&lock);
    copy(v.status, sizeof v.status, text);
    pthread_mutex_unlock(&lock);
}

static vperson_t *person(const char *identity, bool create)
{
    for (int i = 0; i < MAX_PEOPLE; i++)
        if (v.people[i].used && strcmp(v.people[i].identity, identity) == 0)
            return &v.people[i];
    if (!create)
        return NULL;
    for (int i = 0; i < MAX_PEOPLE; i++)
        if (!v.people[i].used) {
            memset(&v.people[i], 0, sizeof v.people[i]);
            v.people[i].used = true;
            copy(v.people[i].identity, sizeof v.people[i].identity, identity);
            return &v.people[i];
        }
    return NULL; /* more people than the view shows: they still get event lines */
}

static vtrack_t *track(const char *sid)
{
    for (int i = 0; i < MAX_PEOPLE; i++)
        for (int k = 0; v.people[i].used && k < MAX_TRACKS; k++)
            if (v.people[i].tracks[k].used && strcmp(v.people[i].tracks[k].sid, sid) == 0)
                return &v.people[i].tracks[k];
    return NULL;
}

void view_participant(const char *identity, const char *name, bool present)
{
    pthread_mutex_lock(&lock);
    vperson_t *p = person(identity, present);
    if (p && present)
        copy(p->name, sizeof p->name, name);
    else if (p)
        p->used = false;
    pthread_mutex_unlock(&lock);
}

void view_track(const char *identity, const char *sid, const char *kind, bool present)
{
    pthread_mutex_lock(&lock);
    vtrack_t *t = track(sid);
    if (!present) {
        if (t)
            t->used = false;
    } else if (!t) {
        vperson_t *p = person(identity, true);
        for (int k = 0; p && k < MAX_TRACKS; k++)
            if (!p->tracks[k].used) {
                t = &p->tracks[k];
                memset(t, 0, sizeof *t);
                t->used = true;
                copy(t->sid, sizeof t->sid, sid);
                copy(t->kind, sizeof t->kind, kind);
                break;
            }
    }
    pthread_mutex_unlock(&lock);
}

void view_track_flags(const char *sid, int muted, int subscribed)
{
    pthread_mutex_lock(&lock);
    vtrack_t *t = track(sid);
    if (t && muted >= 0)
        t->muted = muted;
    if (t && subscribed >= 0)
        t->subscribed = subscribed;
    if (t && subscribed == 0)
        t->heard = false;
    pthread_mutex_unlock(&lock);
}

void view_audio(const char *sid, double rms_dbfs, double freq_hz)
{
    pthread_mutex_lock(&lock);
    vtrack_t *t = track(sid);
    if (t) {
        t->heard = true;
        t->rms = rms_dbfs;
        t->hz = freq_hz;
    }
    pthread_mutex_unlock(&lock);
}

void view_data(bool incoming, const char *from, const char *text)
{
    pthread_mutex_lock(&lock);
    if (incoming) {
        v.data_in++;
        snprintf(v.last_data, sizeof v.last_data, "%s: %s", from && *from ? from : "(server)",
                 text ? text : "(binary)");
    } else {
        v.data_out++;
    }
    pthread_mutex_unlock(&lock);
}

void view_participant_kind(const char *identity, const char *kind)
{
    pthread_mutex_lock(&lock);
    vperson_t *p = person(identity, false);
    if (p)
        copy(p->kind, sizeof p->kind, strcmp(kind, "standard") == 0 ? "" : kind);
    pthread_mutex_unlock(&lock);
}

void view_agent_state(const char *identity, const char *state)
{
    pthread_mutex_lock(&lock);
    vperson_t *p = person(identity, false);
    if (p)
        copy(p->agent_state, sizeof p->agent_state, state);
    pthread_mutex_unlock(&lock);
}

void view_transcript(const char *identity, const char *segment_id, const char *text, bool final)
{
    pthread_mutex_lock(&lock);
    int i = 0;
    while (i < v.n_transcript && strcmp(v.transcript[i].segment, segment_id) != 0)
        i++;
    if (i == v.n_transcript) { /* a new segment: the oldest line scrolls away */
        if (v.n_transcript == MAX_TRANSCRIPT) {
            memmove(&v.transcript[0], &v.transcript[1], sizeof v.transcript[0] * (MAX_TRANSCRIPT - 1));
            v.n_transcript--;
        }
        i = v.n_transcript++;
        copy(v.transcript[i].segment, sizeof v.transcript[i].segment, segment_id);
    }
    snprintf(v.transcript[i].line, sizeof v.transcript[i].line, "%s%s: %s", identity, final ? "" : " (...)", text);
    pthread_mutex_unlock(&lock);
}

void view_log(const char *line)
{
    pthread_mutex_lock(&lock);
    if (v.n_log == MAX_LOG) {
        memmove(v.log[0], v.log[1], sizeof v.log[0] * (MAX_LOG - 1));
        v.n_log--;
    }
    copy(v.log[v.n_log++], sizeof v.log[0], line);
    pthread_mutex_unlock(&lock);
}

/* One line of the view, cut to the terminal's width so that nothing wraps (a wrapped
 * line would break the count of lines to move back over). Only ASCII is drawn. */
static void put(int width, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(int width, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *c = buf; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
    if (width > 1 && (int)strlen(buf) > width - 1)
        buf[width - 1] = '\0';
    printf("%s\x1b[K\n", buf);
    v.drawn_lines++;
}

static void meter(char *out, double rms)
{
    /* -60 dBFS .. 0 dBFS over METER cells */
    int cells = (int)((rms + 60.0) / 60.0 * METER + 0.5);
    cells = cells < 0 ? 0 : cells > METER ? METER : cells;
    for (int i = 0; i < METER; i++)
        out[i] = i < cells ? '#' : '.';
    out[METER] = '\0';
}

static void draw(bool final)
{
    struct winsize ws;
    int width = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 100;
    if (v.drawn_lines > 0)
        printf("\x1b[%dF", v.drawn_lines); /* back to the first line of the last view */
    v.drawn_lines = 0;
    put(width, "lkc  room %s  as %s  [%s]  %.1f s", v.room, v.identity, v.state, out_now_ms() / 1000.0);
    if (*v.local)
        put(width, "  you publish: %s", v.local);
    if (v.has_input) {
        char bar[METER + 1];
        meter(bar, v.input_rms);
        put(width, "  your microphone: [%s] %6.1f dBFS", bar, v.input_rms);
    }
    int shown = 0;
    for (int i = 0; i < MAX_PEOPLE; i++) {
        vperson_t *p = &v.people[i];
        if (!p->used)
            continue;
        shown++;
        put(width, "  %s%s%s%s%s%s%s", p->identity, *p->name ? " (" : "", p->name, *p->name ? ")" : "",
            *p->kind ? " [" : "", p->kind, *p->kind ? "]" : "");
        if (*p->agent_state)
            put(width, "    agent state: %s", p->agent_state);
        for (int k = 0; k < MAX_TRACKS; k++) {
            vtrack_t *t = &p->tracks[k];
            if (!t->used)
                continue;
            char bar[METER + 1];
            meter(bar, t->heard ? t->rms : -100);
            if (t->heard && !t->muted)
                put(width, "    %-5s %s [%s] %6.1f dBFS %7.1f Hz", t->kind, t->sid, bar, t->rms, t->hz);
            else
                put(width, "    %-5s %s %s", t->kind, t->sid,
                    t->muted ? "muted" : t->subscribed ? "subscribed, waiting for audio" : "not subscribed");
        }
    }
    if (!shown)
        put(width, "  nobody else here yet");
    put(width, "  data: %u received, %u sent%s%s", v.data_in, v.data_out, *v.last_data ? "; last " : "",
        v.last_data);
    if (*v.status)
        put(width, "  %s", v.status);
    if (v.n_transcript) {
        put(width, "  transcript:");
        for (int i = 0; i < v.n_transcript; i++)
            put(width, "    %s", v.transcript[i].line);
    }
    put(width, "  recent:");
    for (int i = 0; i < v.n_log; i++)
        put(width, "    %s", v.log[i]);
    if (!final)
        put(width, "  Ctrl-C leaves the room");
    printf("\x1b[J"); /* clear what a longer previous view left below */
    fflush(stdout);
}

void view_input_level(double rms_dbfs)
{
    pthread_mutex_lock(&lock);
    v.has_input = true;
    v.input_rms = rms_dbfs;
    pthread_mutex_unlock(&lock);
}

void view_render(void)
{
    pthread_mutex_lock(&lock);
    if (v.live)
        draw(false);
    pthread_mutex_unlock(&lock);
}

void view_end(void)
{
    pthread_mutex_lock(&lock);
    if (v.live) {
        draw(true);
        v.live = false; /* later output is plain lines below the view */
    }
    pthread_mutex_unlock(&lock);
}
