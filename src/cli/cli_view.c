/* The live terminal view (cli_view.h): the node's messages go into a model on the client's
 * dispatch thread (cli_view_model.c); this thread alone talks to the terminal, redrawing the
 * whole screen from the model every 100 ms and reading keys in between. */
#define _GNU_SOURCE
#include "cli_view.h"

#include "cli_view_model.h"

#include "clock.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MQP_HAVE_NCURSES
#include <curses.h>
#endif

#define FRAME_MS       100 /* At most 10 redraws a second. */
#define MIN_COLS       80
#define MIN_LINES      20
#define STALE_S        2.0 /* A source with no detections for this long shows 0 fps. */
#define SIZE_RETRY_S   3.0 /* Ask the node's status again while a frame size is not known... */
#define SIZE_RETRIES   10  /* ...this many times at most. */
#define METRICS_IDLE_S 6.0 /* No metrics for this long: ask for them (latencies, skips). */

#ifndef MQP_HAVE_NCURSES

bool cli_view_wanted(bool plain)
{
    (void)plain;
    return false;
}

int cli_view_run(cli_session *ss, const cli_view_opts *o)
{
    (void)ss;
    (void)o;
    fprintf(stderr, "mqplane: this build has no live view (ncurses): install libncurses-dev "
                    "and build again\n");
    return EXIT_USAGE;
}

#else

bool cli_view_wanted(bool plain)
{
    const char *term = getenv("TERM");
    return !plain && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO) && term && *term &&
           strcmp(term, "dumb") != 0;
}

/* ---- the feeds ---- */

typedef void (*take_fn)(view_model *m, const mqp_message *msg);

typedef struct feed {
    view_model *m;
    take_fn take;
} feed;

static int on_feed(mqp_client *c, const mqp_message *msg, void *user)
{
    (void)c;
    feed *f = user;
    f->take(f->m, msg);
    return 0;
}

/* Every feed but the annotated frames. */
static bool subscribe(cli_session *ss, view_model *m, feed *feeds)
{
    static cli_feed_topics t;
    if (!cli_feed_topics_of(&ss->s, &t)) {
        return false;
    }
    const take_fn takes[CLI_FEEDS] = {[CLI_FEED_STATUS] = view_model_status,
                                      [CLI_FEED_DETECTIONS] = view_model_detections,
                                      [CLI_FEED_METRICS] = view_model_metrics,
                                      [CLI_FEED_HEALTH] = view_model_health,
                                      [CLI_FEED_RESPONSES] = view_model_response};
    for (cli_feed f = CLI_FEED_STATUS; f < CLI_FEEDS; f++) {
        feeds[f] = (feed){m, takes[f]};
        if (takes[f] &&
            mqp_client_subscribe(ss->client, t.topic[f], t.qos[f], on_feed, &feeds[f]) != MQP_OK) {
            fprintf(stderr, "mqplane: cannot subscribe to %s\n", t.topic[f]);
            return false;
        }
    }
    return true;
}

/* ---- commands ---- */

typedef struct view {
    cli_session *ss;
    const cli_view_opts *o;
    view_model m;
    int shown;     /* The source on the map. */
    unsigned sent; /* Commands sent, for request ids. */
    double asked_status, asked_metrics;
    int size_asks;
    bool ended; /* alive() said no. */
    char ended_why[160];
} view;

/* Sends a command with a request id; background ones ("view-bg-…") are not shown as events. */
static void send_command(view *v, const char *cmd, bool background)
{
    char id[48], payload[160];
    snprintf(id, sizeof id, "view-%s%d-%u", background ? "bg-" : "", (int)getpid(), ++v->sent);
    int len =
        snprintf(payload, sizeof payload, "{\"command\":\"%s\",\"request_id\":\"%s\"}", cmd, id);
    if (!background) { /* Before it goes: the answer may come back before publish returns. */
        view_model_event(&v->m, "sent %s (%s)", cmd, id);
    }
    mqp_err rc =
        mqp_client_publish(v->ss->client, v->ss->s.command_topic, payload, (size_t)len, 1, false);
    if (!background && rc != MQP_OK) {
        view_model_event(&v->m, "could not send %s: %s", cmd, mqp_strerror(rc));
    }
}

/* What the view asks for by itself: the status answer (sources, frame sizes, uptime) at the
 * start and while a frame size is unknown, and metrics when none come on their own. */
static void ask_node(view *v, double now)
{
    if (!mqp_client_is_connected(v->ss->client)) {
        return;
    }
    pthread_mutex_lock(&v->m.mu);
    bool size_unknown = !v->asked_status;
    for (int i = 0; i < VIEW_MAX_SOURCES; i++) {
        size_unknown = size_unknown || (v->m.src[i].seen && !v->m.src[i].width);
    }
    bool metrics_idle =
        now - (v->m.last_metrics > 0 ? v->m.last_metrics : v->asked_metrics) > METRICS_IDLE_S;
    pthread_mutex_unlock(&v->m.mu);
    if (size_unknown && v->size_asks < SIZE_RETRIES && now - v->asked_status >= SIZE_RETRY_S) {
        v->asked_status = now;
        v->size_asks++;
        send_command(v, "status", true);
    }
    if (metrics_idle && now - v->asked_metrics >= METRICS_IDLE_S) {
        v->asked_metrics = now;
        send_command(v, "metrics", true);
    }
}

/* ---- drawing ---- */

enum { C_OK = 1, C_BAD, C_WARN, C_DIM, C_TRACK0 };
#define TRACK_COLOURS 6

static attr_t colour(int pair)
{
    return has_colors() ? (attr_t)COLOR_PAIR(pair) : 0;
}

static void colours(void)
{
    if (!has_colors()) {
        return;
    }
    start_color();
    use_default_colors();
    init_pair(C_OK, COLOR_GREEN, -1);
    init_pair(C_BAD, COLOR_RED, -1);
    init_pair(C_WARN, COLOR_YELLOW, -1);
    init_pair(C_DIM, COLOR_BLUE, -1);
    const short tracks[TRACK_COLOURS] = {COLOR_CYAN,  COLOR_MAGENTA, COLOR_YELLOW,
                                         COLOR_GREEN, COLOR_RED,     COLOR_WHITE};
    for (int i = 0; i < TRACK_COLOURS; i++) {
        init_pair((short)(C_TRACK0 + i), tracks[i], -1);
    }
}

static attr_t track_colour(long id)
{
    return colour(C_TRACK0 + (int)((id < 0 ? 0 : id) % TRACK_COLOURS));
}

static void duration(double s, char *buf, size_t len)
{
    long t = (long)s;
    if (t < 60) {
        snprintf(buf, len, "%lds", t);
    } else if (t < 3600) {
        snprintf(buf, len, "%ldm %02lds", t / 60, t % 60);
    } else {
        snprintf(buf, len, "%ldh %02ldm", t / 3600, (t / 60) % 60);
    }
}

static attr_t status_colour(const char *st)
{
    return strcmp(st, "running") == 0                                  ? colour(C_OK)
           : strcmp(st, "paused") == 0 || strcmp(st, "connected") == 0 ? colour(C_WARN)
                                                                       : colour(C_BAD);
}

/* Rows 0 and 1: who, and how the node is. */
static void draw_header(view *v, double now)
{
    view_model *m = &v->m;
    bool up = mqp_client_is_connected(v->ss->client);
    attron(A_BOLD);
    mvprintw(0, 0, "mqplane %s", v->o->title);
    attroff(A_BOLD);
    printw("   broker %s (%s)   node %s", mqp_client_url(v->ss->client),
           up ? "connected" : "NOT CONNECTED",
           v->o->node_id ? v->o->node_id : "(default namespace)");
    move(1, 0);
    printw("status ");
    if (m->status[0]) {
        char age[32];
        duration(now - m->status_at, age, sizeof age);
        attron(A_BOLD | status_colour(m->status));
        for (const char *c = m->status; *c; c++) {
            addch((chtype)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c));
        }
        attroff(A_BOLD | status_colour(m->status));
        printw(" (%s ago)", age);
    } else {
        printw("none yet");
    }
    if (m->uptime_at > 0) {
        char upt[32];
        duration(m->uptime_s + now - m->uptime_at, upt, sizeof upt);
        printw("   uptime %s", upt);
    }
    printw("   health");
    if (!m->nhealth) {
        printw(" none yet");
    }
    for (size_t i = 0; i < m->nhealth; i++) {
        printw(" %s ", m->health[i].client);
        attr_t c = colour(m->health[i].ok ? C_OK : C_BAD);
        attron(c);
        printw("%s", m->health[i].ok ? "ok" : "NOT OK");
        attroff(c);
        printw(" %s", m->health[i].event);
    }
    if (v->ended) {
        attron(A_BOLD | colour(C_BAD));
        mvprintw(2, 0, "%s", v->ended_why);
        attroff(A_BOLD | colour(C_BAD));
    }
}

/* From row 3: a line per source. Returns the next free row. */
static int draw_sources(view *v, int row, double now)
{
    attron(A_UNDERLINE);
    mvprintw(row++, 0, "%-4s %-8s %7s %8s %8s %8s %8s %7s %6s %-5s %s", "src", "state", "fps",
             "skipped", "decode", "infer", "e2e", "det/s", "boxes", "crop", "source");
    attroff(A_UNDERLINE);
    int shown = 0;
    for (int i = 0; i < VIEW_MAX_SOURCES; i++) {
        const view_source *s = &v->m.src[i];
        if (!s->seen) {
            continue;
        }
        double fps, dets;
        view_source_rates(s, now, STALE_S, &fps, &dets);
        char dec[16] = "-", inf[16] = "-", e2e[16] = "-", sk[24] = "-";
        if (s->decode_ms >= 0) {
            snprintf(dec, sizeof dec, "%.1fms", s->decode_ms);
            snprintf(inf, sizeof inf, "%.1fms", s->infer_ms);
            snprintf(e2e, sizeof e2e, "%.1fms", s->e2e_ms);
        }
        if (s->skipped >= 0) {
            snprintf(sk, sizeof sk, "%lld", s->skipped);
        }
        if (i == v->shown) {
            attron(A_BOLD);
        }
        mvprintw(row++, 0, "%-4d %-8s %7.1f %8s %8s %8s %8s %7.1f %6zu %-5s %.*s", i,
                 s->state[0] ? s->state : "-", fps, sk, dec, inf, e2e, dets, s->ntracks,
                 s->crop ? "on" : "off", COLS > 84 ? COLS - 84 : 0, s->description);
        attroff(A_BOLD);
        shown++;
    }
    if (!shown) {
        mvprintw(row++, 0, "(no source has reported yet)");
    }
    return row;
}

static void hline_at(int y, int x0, int x1, chtype ch)
{
    for (int x = x0; x <= x1; x++) {
        mvaddch(y, x, ch);
    }
}

static void vline_at(int x, int y0, int y1, chtype ch)
{
    for (int y = y0; y <= y1; y++) {
        mvaddch(y, x, ch);
    }
}

static void rect(int y0, int x0, int y1, int x1)
{
    hline_at(y0, x0, x1, ACS_HLINE);
    hline_at(y1, x0, x1, ACS_HLINE);
    vline_at(x0, y0, y1, ACS_VLINE);
    vline_at(x1, y0, y1, ACS_VLINE);
    mvaddch(y0, x0, ACS_ULCORNER);
    mvaddch(y0, x1, ACS_URCORNER);
    mvaddch(y1, x0, ACS_LLCORNER);
    mvaddch(y1, x1, ACS_LRCORNER);
}

/* The shown source's frame scaled into rows [top, top + h) and columns [0, w), each tracked
 * box drawn and labelled with its track id. */
static void draw_map(view *v, int top, int h, int w)
{
    const view_source *s = &v->m.src[v->shown];
    int fw = s->width > 0 ? s->width : (s->extent_w + 63) / 64 * 64;
    int fh = s->height > 0 ? s->height : (s->extent_h + 47) / 48 * 48;
    rect(top, 0, top + h - 1, w - 1);
    char title[160];
    snprintf(title, sizeof title, " source %d%s%s, %dx%d%s ", v->shown,
             s->description[0] ? ": " : "", s->description, fw, fh,
             s->width > 0 ? "" : " (from the boxes)");
    mvprintw(top, 2, "%.*s", w > 4 ? w - 4 : 0, title);
    int ih = h - 2, iw = w - 2;
    if (fw <= 0 || fh <= 0 || ih < 2 || iw < 4) {
        return;
    }
    for (size_t i = 0; i < s->ntracks; i++) {
        const view_track *t = &s->tracks[i];
        int x0 = 1 + t->x * iw / fw, x1 = 1 + (t->x + t->w) * iw / fw;
        int y0 = top + 1 + t->y * ih / fh, y1 = top + 1 + (t->y + t->h) * ih / fh;
        x1 = x1 > iw ? iw : x1;
        y1 = y1 > top + ih ? top + ih : y1;
        x0 = x0 > x1 ? x1 : x0;
        y0 = y0 > y1 ? y1 : y0;
        attr_t c = track_colour(t->id);
        attron(c);
        if (x1 > x0 && y1 > y0) {
            rect(y0, x0, y1, x1);
        } else {
            mvaddch(y0, x0, ACS_DIAMOND);
        }
        attron(A_BOLD);
        if (t->id >= 0) {
            mvprintw(y0, x0 + 1 <= x1 ? x0 + 1 : x0, "#%ld", t->id);
        } else {
            mvprintw(y0, x0 + 1 <= x1 ? x0 + 1 : x0, "%.6s", t->cls);
        }
        attroff(A_BOLD | c);
    }
}

/* The shown source's tracked objects, at (top, left), at most rows lines. */
static void draw_tracks(view *v, int top, int left, int rows, double now)
{
    const view_source *s = &v->m.src[v->shown];
    attron(A_UNDERLINE);
    mvprintw(top, left, "%-7s %-10s %5s %-20s %6s", "track", "class", "conf", "box", "age");
    attroff(A_UNDERLINE);
    for (size_t i = 0; i < s->ntracks && (int)i < rows - 1; i++) {
        const view_track *t = &s->tracks[i];
        char id[16], box[32], age[16];
        snprintf(id, sizeof id, t->id >= 0 ? "#%ld" : "-", t->id);
        snprintf(box, sizeof box, "%d,%d %dx%d", t->x, t->y, t->w, t->h);
        duration(now - t->first_seen, age, sizeof age);
        attron(track_colour(t->id));
        mvprintw(top + 1 + (int)i, left, "%-7s", id);
        attroff(track_colour(t->id));
        printw(" %-10.10s %5.2f %-20s %6s", t->cls, t->confidence, box, age);
    }
    if (!s->ntracks) {
        mvprintw(top + 1, left, "(nothing tracked)");
    }
}

static void draw_events(view *v, int top, int rows)
{
    view_model *m = &v->m;
    attron(A_UNDERLINE);
    mvprintw(top, 0, "events");
    attroff(A_UNDERLINE);
    size_t n = m->nevents < VIEW_MAX_EVENTS ? m->nevents : VIEW_MAX_EVENTS;
    size_t show = n < (size_t)(rows - 1) ? n : (size_t)(rows - 1);
    for (size_t k = 0; k < show; k++) {
        size_t i = (m->nevents - show + k) % VIEW_MAX_EVENTS;
        time_t t = (time_t)m->event_at[i];
        struct tm tm;
        localtime_r(&t, &tm);
        char when[16];
        strftime(when, sizeof when, "%H:%M:%S", &tm);
        attr_t c =
            strstr(m->events[i], "FAILED") || strstr(m->events[i], "NOT") ? colour(C_BAD) : 0;
        attron(c);
        mvprintw(top + 1 + (int)k, 0, "%s %.*s", when, COLS - 10, m->events[i]);
        attroff(c);
    }
}

static void draw_keys(void)
{
    attron(A_REVERSE);
    mvprintw(LINES - 1, 0,
             " p pause  r resume  c crop  s snapshot  m metrics  tab next source  "
             "q quit ");
    attroff(A_REVERSE);
}

static void draw(view *v)
{
    erase();
    if (COLS < MIN_COLS || LINES < MIN_LINES) {
        mvprintw(0, 0, "The terminal is %dx%d: the view needs %dx%d (q quits).", COLS, LINES,
                 MIN_COLS, MIN_LINES);
        refresh();
        return;
    }
    double now = mqpx_mono_s();
    pthread_mutex_lock(&v->m.mu);
    if (!v->m.src[v->shown].seen) {
        for (int i = 0; i < VIEW_MAX_SOURCES; i++) {
            if (v->m.src[i].seen) {
                v->shown = i;
                break;
            }
        }
    }
    draw_header(v, now);
    int row = draw_sources(v, 3, now) + 1;
    int events = 6;                       /* Its title and five lines. */
    int map_h = LINES - 1 - events - row; /* Down to the events, above the keys. */
    const int table_w = 52;
    bool beside = COLS - table_w - 2 >= 40; /* The tracks beside the map, or under it. */
    int tracks_under = beside ? 0 : 6;
    map_h -= tracks_under;
    if (map_h >= 5) {
        int map_w = beside ? COLS - table_w - 2 : COLS;
        const view_source *s = &v->m.src[v->shown];
        int fw = s->width > 0 ? s->width : s->extent_w,
            fh = s->height > 0 ? s->height : s->extent_h;
        if (fw > 0 && fh > 0) { /* Cells are about twice as tall as wide. */
            int fit = (map_h - 2) * 2 * fw / fh + 2;
            map_w = fit < map_w ? (fit > 20 ? fit : 20) : map_w;
        }
        draw_map(v, row, map_h, map_w);
        if (beside) {
            draw_tracks(v, row, map_w + 2, map_h, now);
        } else {
            draw_tracks(v, row + map_h, 0, tracks_under, now);
        }
    }
    draw_events(v, LINES - 1 - events, events);
    pthread_mutex_unlock(&v->m.mu);
    draw_keys();
    refresh();
}

/* ---- keys ---- */

/* False to quit. */
static bool key(view *v, int ch)
{
    switch (ch) {
    case 'q':
    case 'Q':
        return false;
    case 'p':
        send_command(v, "pause", false);
        break;
    case 'r':
        send_command(v, "resume", false);
        break;
    case 'c':
        send_command(v, "toggle_crop", false);
        break;
    case 's':
        send_command(v, "snapshot", false);
        break;
    case 'm':
        send_command(v, "metrics", false);
        break;
    case '\t':
        pthread_mutex_lock(&v->m.mu);
        for (int k = 1; k <= VIEW_MAX_SOURCES; k++) {
            int i = (v->shown + k) % VIEW_MAX_SOURCES;
            if (v->m.src[i].seen) {
                v->shown = i;
                break;
            }
        }
        pthread_mutex_unlock(&v->m.mu);
        break;
    case KEY_RESIZE:
        clear(); /* ncurses has the new size: the next draw fills it. */
        break;
    default:
        break;
    }
    return true;
}

int cli_view_run(cli_session *ss, const cli_view_opts *o)
{
    static view v; /* Its model is the feeds' user data: it must outlive the client. */
    memset(&v, 0, sizeof v);
    v.ss = ss;
    v.o = o;
    view_model_init(&v.m);
    static feed feeds[CLI_FEEDS];
    if (!subscribe(ss, &v.m, feeds)) {
        return EXIT_USAGE;
    }
    if (!cli_session_connect(ss, v.o->title, 5000, true)) {
        mqpx_sleep_ms(1500); /* Long enough to read the reason; the view goes on trying. */
    }
    setlocale(LC_ALL, ""); /* Line-drawing characters in a UTF-8 terminal. */
    if (!initscr()) {
        fprintf(stderr, "mqplane: cannot start the terminal view\n");
        return EXIT_FAILED;
    }
    cbreak(); /* Keys at once; Ctrl-C still a signal. */
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    timeout(FRAME_MS);
    colours();
    view_model_event(&v.m, "watching %s", mqp_client_url(ss->client));
    bool go = true;
    double next_draw = 0;
    while (go && !cli_stop_requested) {
        double now = mqpx_mono_s();
        if (now >= next_draw) { /* Every FRAME_MS, however many messages or keys came. */
            next_draw = now + FRAME_MS / 1000.0;
            ask_node(&v, now);
            if (!v.ended && o->alive && !o->alive(o->ctx, v.ended_why, sizeof v.ended_why)) {
                v.ended = true;
                view_model_event(&v.m, "%s", v.ended_why);
            }
            draw(&v);
        }
        int wait_ms = (int)((next_draw - mqpx_mono_s()) * 1000);
        timeout(wait_ms > 0 ? wait_ms : 0);
        int ch = getch(); /* A key, or the next frame's time. */
        if (ch != ERR) {
            go = key(&v, ch);
        }
    }
    endwin();
    cli_session_close(ss); /* Before the model goes: the feeds write into it. */
    view_model_free(&v.m);
    return EXIT_OK;
}

#endif
