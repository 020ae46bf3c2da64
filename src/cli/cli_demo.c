/* mqplane demo: a private broker, a node and a live view (or a monitor's lines), stopped
 * together by pid. */
#define _GNU_SOURCE
#include "cli.h"
#include "cli_opts.h"
#include "cli_proc.h"
#include "cli_view.h"

#include "clock.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char demo_usage[] =
    "usage: mqplane demo [--seconds N] [--plain]\n"
    "\n"
    "Starts a private mosquitto on a free loopback port and an inference node on the synthetic\n"
    "scene. In a terminal it shows the live view, operated with keys (p pause, r resume, c crop,\n"
    "s snapshot, m metrics, q quit); elsewhere, or with --plain, a monitor's lines while it\n"
    "sends the node a few commands along the way. q, Ctrl-C or --seconds N stops everything it\n"
    "started, by pid. Needs mosquitto on the PATH.\n";

/* The control plane at work, while the monitor shows it: seconds after the node runs. */
static const struct {
    double at;
    const char *cmd;
} script[] = {{3, "toggle_crop"}, {6, "pause"}, {8, "resume"}, {10, "stabilization_stats"}};

typedef struct demo_opts {
    double seconds; /* 0: until Ctrl-C */
    bool plain;     /* Lines even in a terminal. */
} demo_opts;

/* What the demo started, and where. */
typedef struct demo {
    char self[4096];
    char dir[32];
    char url[64];
    char nodelog[300];
    pid_t broker, node, monitor;
} demo;

static int parse_demo(int argc, char **argv, demo_opts *o)
{
    static const struct option longopts[] = {{"seconds", required_argument, NULL, 's'},
                                             {"plain", no_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    *o = (demo_opts){0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:ph", longopts, NULL)) != -1) {
        if (c == 's') {
            if (!cli_number_arg("demo", "--seconds", optarg, 0.1, 365 * 86400, &o->seconds)) {
                return EXIT_USAGE;
            }
        } else if (c == 'p') {
            o->plain = true;
        } else {
            fputs(demo_usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? EXIT_OK : EXIT_USAGE;
        }
    }
    if (optind < argc) {
        return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
    }
    return CLI_GO;
}

/* Whether the file holds a line with s. */
static bool file_has(const char *path, const char *s)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) {
        found = strstr(line, s) != NULL;
    }
    if (f) {
        fclose(f);
    }
    return found;
}

/* One attempt on one port: the broker runs when its own log says so (mosquitto writes it once
 * its listener is bound), not merely when the port answers, which another program's broker
 * would, had it taken the port first. */
static bool broker_try(demo *d, int port)
{
    char conf[300], log[300], err[300];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", d->dir);
    snprintf(log, sizeof log, "%s/mosquitto.log", d->dir);
    snprintf(err, sizeof err, "%s/mosquitto.stderr", d->dir);
    unlink(log);
    FILE *f = fopen(conf, "w");
    if (!f) {
        return false;
    }
    fprintf(f,
            "listener %d 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"
            "log_dest file %s\n%s",
            port, log, geteuid() == 0 ? "user root\n" : "");
    fclose(f);
    char *argv[] = {"mosquitto", "-c", conf, NULL};
    d->broker = cli_spawn(argv, -1, err, false);
    for (int i = 0; i < 200 && d->broker > 0; i++) {
        if (waitpid(d->broker, NULL, WNOHANG) == d->broker) {
            d->broker = 0;
            break;
        }
        if (file_has(log, " running") && mqpx_port_open(port)) {
            snprintf(d->url, sizeof d->url, "mqtt://127.0.0.1:%d", port);
            return true;
        }
        mqpx_sleep_ms(25);
    }
    cli_stop(d->broker, "mosquitto", 5);
    d->broker = 0;
    return false;
}

static bool broker_start(demo *d)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = mqpx_free_port();
        if (port > 0 && broker_try(d, port)) {
            return true;
        }
    }
    fprintf(stderr, "mqplane demo: mosquitto did not start (is it installed? see %s/)\n", d->dir);
    return false;
}

static void run_ctl(const demo *d, const char *cmd)
{
    char err[300];
    snprintf(err, sizeof err, "%s/ctl.log", d->dir);
    int null = open("/dev/null", O_WRONLY);
    char *argv[] = {(char *)d->self, "ctl", "-b", (char *)d->url, (char *)cmd, NULL};
    pid_t pid = cli_spawn(argv, null, err, false);
    if (null >= 0) {
        close(null);
    }
    if (pid > 0) {
        waitpid(pid, NULL, 0);
    }
}

static int on_status(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    if (strstr(m->payload, "\"status\":\"running\"")) { /* The payload ends with a NUL. */
        atomic_store((atomic_bool *)user, true);
    }
    return 0;
}

/* Waits until the node's status says it runs, so the script shows commands to a node that can
 * obey them, however long it took to start. */
static bool wait_running(const demo *d, double timeout_s)
{
    static atomic_bool running;
    mqp_client_opts o = {.url = d->url, .no_health = true};
    mqp_client *c = NULL;
    if (mqp_client_new(&c, &o) != MQP_OK ||
        mqp_client_subscribe(c, MQP_TOPIC_STATUS, 1, on_status, &running) != MQP_OK) {
        mqp_client_destroy(c);
        return false;
    }
    mqp_client_start(c);
    double until = mqpx_mono_s() + timeout_s;
    while (!atomic_load(&running) && !cli_stop_requested && mqpx_mono_s() < until &&
           waitpid(d->node, NULL, WNOHANG) != d->node) {
        mqpx_sleep_ms(50);
    }
    mqp_client_destroy(c);
    return atomic_load(&running);
}

/* Runs the script until the time is up or Ctrl-C; EXIT_FAILED if the node stopped by itself. */
static int play(demo *d, const demo_opts *o, double started)
{
    if (!wait_running(d, 20) && !cli_stop_requested) {
        fprintf(stderr, "demo: the node did not start running; see %s\n", d->nodelog);
    }
    double running_at = mqpx_mono_s();
    size_t next = 0;
    while (!cli_stop_requested && !(o->seconds > 0 && mqpx_mono_s() - started >= o->seconds)) {
        if (next < sizeof script / sizeof script[0] &&
            mqpx_mono_s() - running_at >= script[next].at) {
            run_ctl(d, script[next++].cmd);
        }
        if (waitpid(d->node, NULL, WNOHANG) == d->node) {
            fprintf(stderr, "demo: the node stopped; see %s\n", d->nodelog);
            d->node = 0;
            return EXIT_FAILED;
        }
        mqpx_sleep_ms(100);
    }
    return EXIT_OK;
}

/* The view's watch on the node: it says so when the node stops by itself, and on --seconds. */
typedef struct demo_watch {
    demo *d;
    const demo_opts *o;
    double started;
    bool failed;
} demo_watch;

static bool node_alive(void *ctx, char *why, size_t len)
{
    demo_watch *w = ctx;
    if (w->o->seconds > 0 && mqpx_mono_s() - w->started >= w->o->seconds) {
        atomic_store(&cli_stop_requested, 1); /* Time is up: as Ctrl-C. */
    }
    if (w->d->node > 0 && waitpid(w->d->node, NULL, WNOHANG) == w->d->node) {
        w->d->node = 0;
        w->failed = true;
        snprintf(why, len, "the node stopped; see %s (q quits)", w->d->nodelog);
        return false;
    }
    return true;
}

/* In a terminal: the live view, on a client of the demo's own. */
static int view_demo(demo *d, const demo_opts *o, double started)
{
    static cli_session ss;
    cli_tool_opts t = {.broker = d->url, .level = MQP_LOG_ERR};
    if (!cli_session_open(&ss, "demo", &t)) {
        return EXIT_FAILED;
    }
    demo_watch w = {d, o, started, false};
    cli_view_opts vo = {.title = "demo", .alive = node_alive, .ctx = &w};
    int rc = cli_view_run(&ss, &vo);
    return rc != EXIT_OK ? rc : w.failed ? EXIT_FAILED : EXIT_OK;
}

static int run_demo(const demo_opts *o)
{
    static demo d;
    ssize_t n = readlink("/proc/self/exe", d.self, sizeof d.self - 1);
    if (n <= 0) {
        fprintf(stderr, "mqplane demo: cannot find its own executable: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    d.self[n] = '\0';
    snprintf(d.dir, sizeof d.dir, "/tmp/mqplane-demo-XXXXXX");
    if (!mkdtemp(d.dir)) {
        fprintf(stderr, "mqplane demo: cannot set up: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    snprintf(d.nodelog, sizeof d.nodelog, "%s/node.log", d.dir);
    cli_catch_stop_signals();
    double started = mqpx_mono_s();
    int rc = EXIT_FAILED;
    bool live = cli_view_wanted(o->plain);
    if (broker_start(&d)) {
        printf("demo: broker %s (pid %d), node log %s; %s stops everything\n", d.url, (int)d.broker,
               d.nodelog, live ? "q or Ctrl-C" : "Ctrl-C");
        fflush(stdout);
        char *node_argv[] = {d.self, "run", "-b", d.url, "--metrics-interval", "5", NULL};
        d.node = cli_spawn(node_argv, -1, d.nodelog, false);
        if (live) {
            rc = view_demo(&d, o, started);
        } else {
            char monerr[300];
            snprintf(monerr, sizeof monerr, "%s/monitor.log", d.dir);
            char *mon_argv[] = {d.self, "monitor", "--plain", "-b", d.url, "all", NULL};
            d.monitor = cli_spawn(mon_argv, -1, monerr, false);
            rc = play(&d, o, started);
        }
    }
    cli_stop(d.node, "node", 10); /* SIGTERM: status stopped, clean disconnects. */
    cli_stop(d.monitor, "monitor", 5);
    cli_stop(d.broker, "mosquitto", 5);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d.dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "demo: could not remove %s\n", d.dir);
    }
    printf("demo: stopped the node, %sthe broker\n", live ? "" : "the monitor and ");
    return rc;
}

int cli_demo(int argc, char **argv)
{
    demo_opts o;
    int rc = parse_demo(argc, argv, &o);
    return rc == CLI_GO ? run_demo(&o) : rc;
}
