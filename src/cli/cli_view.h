/* The live terminal view of mqplane monitor and mqplane demo: a full screen redrawn in place
 * (ncurses), at most 10 times a second whatever the message rate, that an operator reads at a
 * glance and operates with single keys. Without a terminal (a pipe, a file, CI), or with
 * --plain, the tools print lines instead. */
#ifndef CLI_VIEW_H
#define CLI_VIEW_H

#include "cli.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cli_view_opts {
    const char *title;   /* "monitor", "demo": shown in the header. */
    const char *node_id; /* The namespace given, or NULL for the default one. */
    /* demo: false, and why in why, once something the view depends on has ended (the node);
     * the view then says so. NULL: nothing to watch. */
    bool (*alive)(void *ctx, char *why, size_t len);
    void *ctx;
} cli_view_opts;

/* Whether this build has the view (ncurses), and standard output is a terminal it can use. */
bool cli_view_wanted(bool plain);

/* Runs the view on the session's client (not yet connected) until q, Ctrl-C or SIGTERM, then
 * closes the session. Subscribes to the node's status, health, detections, metrics and
 * answers; keys send pause, resume, toggle_crop, snapshot and metrics with a request id.
 * Returns an exit status. */
int cli_view_run(cli_session *ss, const cli_view_opts *o);

#endif
