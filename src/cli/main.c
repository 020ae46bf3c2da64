#define _POSIX_C_SOURCE 200809L
/* mqplane: run an inference node, and operate one. */
#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdbool.h>
#include <time.h>

static const char usage[] =
    "usage: mqplane COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  run      run an inference node (synthetic scene by default)\n"
    "  ctl      send a command to a node and print its answer\n"
    "  monitor  watch a node: a live view in a terminal, else a line per message\n"
    "  demo     a private broker and a node, shown live (q or Ctrl-C stops all)\n"
    "  exporter every node on the broker as Prometheus metrics (/metrics)\n"
    "  services up|down|status|logs: the broker, with the shipped dev or prod configuration\n"
    "  config   keys: every configuration key; check FILE: what a configuration amounts to\n"
    "  bench    publish|rtt: load through the real planes, for the benchmarks (bench/)\n"
    "\n"
    "  mqplane COMMAND --help   options of a command\n"
    "  mqplane --version\n"
    "\n"
    "exit status: 0 success; 1 the command failed; 2 no broker or no answer in time;\n"
    "3 (services status) not running; 64 bad arguments or configuration.\n";

/* Read by other threads than the one the signal lands on: an atomic, which (lock-free) may be
 * stored from a signal handler, where a volatile sig_atomic_t is only for the same thread. */
atomic_int cli_stop_requested;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler may store only a lock-free atomic");

static void on_stop_signal(int sig)
{
    (void)sig;
    atomic_store(&cli_stop_requested, 1);
}

void cli_catch_stop_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A closed terminal stops in order too (demo then stops what it started), unless the
     * process was started to ignore it (nohup). */
    struct sigaction hup;
    if (sigaction(SIGHUP, NULL, &hup) == 0 && hup.sa_handler != SIG_IGN) {
        sigaction(SIGHUP, &sa, NULL);
    }
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mqplane %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see mqplane %s --help)\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

void cli_log(mqp_log_level level, const char *msg, void *user)
{
    (void)user;
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%H:%M:%S", &tm);
    fprintf(stderr, "%s %-7s %s\n", ts, mqp_log_level_name(level), msg);
}

mqp_log_level cli_log_level(const char *name)
{
    mqp_log_level l;
    if (mqp_log_level_parse(name, &l) != MQP_OK) {
        fprintf(stderr, "mqplane: unknown log level '%s' (error, warning, notice, info, debug)\n",
                name);
        exit(EXIT_USAGE);
    }
    return l;
}

bool cli_node_topic(const char *node_id, const char *plane, const char *name, mqp_topic_kind kind,
                    char *buf, size_t len, char *err, size_t errlen)
{
    mqp_topic_var v[] = {{"prefix", "inference", 0},
                         {"node_id", node_id, 0},
                         {"plane", plane, 0},
                         {"name", name, 0}};
    return mqp_topic_build(MQP_TEMPLATE_NODE, v, 4, kind, buf, len, err, errlen) == MQP_OK;
}

bool cli_apply_node_id(const char *node_id, mqp_mqtt_settings *s, cli_namespace *ns,
                       const char *cmd)
{
    if (!node_id) {
        return true;
    }
    static const struct {
        const char *plane, *name;
    } names[] = {{"control", "commands"}, {"control", "status"}, {"control", "responses"},
                 {"data", "detections"},  {"data", "metrics"},   {"data", "full_frames"}};
    const char **slots[] = {&s->command_topic, &s->status_topic,  &s->response_topic,
                            &s->data_topic,    &s->metrics_topic, &s->full_frames_topic};
    for (size_t i = 0; i < 6; i++) {
        char err[MQP_TOPICS_ERRLEN];
        if (!cli_node_topic(node_id, names[i].plane, names[i].name, MQP_TOPIC_NAME, ns->topics[i],
                            sizeof ns->topics[i], err, sizeof err)) {
            fprintf(stderr, "mqplane %s: --node-id '%s': %s\n", cmd, node_id, err);
            return false;
        }
        *slots[i] = ns->topics[i];
    }
    snprintf(ns->control_id, sizeof ns->control_id, "inference_control-%s", node_id);
    snprintf(ns->data_id, sizeof ns->data_id, "inference_data-%s", node_id);
    return true;
}

void cli_duration(char *buf, size_t len, double s)
{
    if (s < 120) {
        snprintf(buf, len, "%.0f s", s);
    } else if (s < 7200) {
        snprintf(buf, len, "%.0f min", s / 60);
    } else if (s < 172800) {
        snprintf(buf, len, "%.1f h", s / 3600);
    } else {
        snprintf(buf, len, "%.1f days", s / 86400);
    }
}

bool cli_tool_opt(int c, const char *arg, cli_tool_opts *t)
{
    switch (c) {
    case 'b':
        t->broker = arg;
        return true;
    case 'c':
        t->config = arg;
        return true;
    case 'N':
        t->node_id = arg;
        return true;
    case 'l':
        t->level = cli_log_level(arg);
        return true;
    default:
        return false;
    }
}

bool cli_session_open(cli_session *ss, const char *cmd, const cli_tool_opts *t)
{
    const char *config = t->config, *node_id = t->node_id, *broker = t->broker;
    mqp_log_level level = t->level ? t->level : MQP_LOG_ERR;
    memset(ss, 0, sizeof *ss);
    char err[MQP_CONFIG_ERRLEN];
    if (mqp_config_load(&ss->cfg, config, err, sizeof err) != MQP_OK ||
        mqp_config_mqtt(ss->cfg, &ss->s, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "mqplane %s: %s\n", cmd, err);
        cli_session_close(ss);
        return false;
    }
    if (!cli_apply_node_id(node_id, &ss->s, &ss->ns, cmd)) {
        cli_session_close(ss);
        return false;
    }
    mqp_client_opts o = {
        .no_health = true, .clean_session = true, .log_cb = cli_log, .log_level = level};
    mqp_mqtt_settings_apply(&ss->s, &o);
    o.client_id = NULL;
    o.url = broker ? broker : ss->s.url;
    if (o.tls_insecure_no_verify_hostname && level < MQP_LOG_WARNING) {
        /* The library says it at every connection, at a level these tools hide by default. */
        fprintf(stderr,
                "mqplane %s: warning: TLS host name check is OFF (tls_insecure): any server "
                "with a certificate from this CA can pose as the broker\n",
                cmd);
    }
    if (mqp_client_new_err(&ss->client, &o, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "mqplane %s: %s\n", cmd, err);
        cli_session_close(ss);
        return false;
    }
    return true;
}

bool cli_session_connect(cli_session *ss, const char *cmd, int timeout_ms, bool still_trying)
{
    if (mqp_client_connect(ss->client, timeout_ms) == MQP_OK) {
        return true;
    }
    char err[512];
    mqp_client_last_error(ss->client, err, sizeof err);
    fprintf(stderr, "mqplane %s: cannot reach the broker: %s%s\n", cmd, err,
            still_trying ? " (still trying)" : "");
    return false;
}

void cli_session_close(cli_session *ss)
{
    mqp_client_destroy(ss->client);
    mqp_config_free(ss->cfg);
    ss->client = NULL;
    ss->cfg = NULL;
}

int main(int argc, char **argv)
{
    /* A broken pipe (e.g. `mqplane ... | head`) must not kill the process mid-shutdown. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mqplane %s\n", mqp_version());
        return EXIT_OK;
    }
    if (strcmp(argv[1], "run") == 0) {
        return cli_run(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "ctl") == 0) {
        return cli_ctl(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "monitor") == 0) {
        return cli_monitor(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "demo") == 0) {
        return cli_demo(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "services") == 0) {
        return cli_services(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "config") == 0) {
        return cli_config(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "bench") == 0) {
        return cli_bench(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "exporter") == 0) {
        return cli_exporter(argc - 1, argv + 1);
    }
    fprintf(stderr, "mqplane: unknown command '%s'\n\n%s", argv[1], usage);
    return EXIT_USAGE;
}
