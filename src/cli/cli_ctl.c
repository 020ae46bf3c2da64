/* mqplane ctl: send one command to a node, wait for its answer, print it; or to every node
 * found by its retained status (--all, or --node-id with a pattern), one answer each. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "cli_fleet.h"
#include "cli_opts.h"

#include "clock.h"
#include "json_write.h"

#include <cjson/cJSON.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fputs("usage: mqplane ctl [options] COMMAND\n\nSends COMMAND (", to);
    for (int i = 0; i < MQP_CMD_COUNT; i++) {
        fprintf(to, "%s%s", i ? ", " : "", mqp_command_name((mqp_command)i));
    }
    fputs(")\nwith a request id, waits for the node's answer and prints it as JSON.\n"
          "Exit status: 0 the node answered ok; 1 it answered with an error; 2 no broker or no\n"
          "answer in time; 64 bad arguments.\n"
          "\n"
          "  -b, --broker URL      broker (default MQTT_URL, else mqtt://localhost:1883)\n"
          "  -t, --timeout S       seconds to wait for the answer (default 5)\n"
          "      --node-id ID      the node's namespace, as given to mqplane run --node-id; a\n"
          "                        pattern (cam*, site-?-[0-9]) sends to every namespaced node\n"
          "                        that matches, as --all does\n"
          "  -a, --all             every node found by its retained status (the reference\n"
          "                        topics and every namespace), each with its own request id;\n"
          "                        prints one line per node (NAME ANSWER), says which did not\n"
          "                        answer, and skips stopped and disconnected ones. Exit 0 all\n"
          "                        answered ok, 1 one answered with an error, 2 one did not\n"
          "                        answer (or none was found)\n"
          "  -c, --config FILE     take the broker and topics from a configuration file\n"
          "  -l, --log-level L     error (default), warning, notice, info, debug\n"
          "  -h, --help            this text\n",
          to);
}

typedef struct ctl_opts {
    cli_tool_opts tool;
    double timeout_s;
    mqp_command cmd;
    bool all;
    const char *pattern; /* --node-id with glob characters: namespaced nodes that match. */
} ctl_opts;

static int parse_ctl(int argc, char **argv, ctl_opts *o)
{
    static const struct option longopts[] = {
        CLI_TOOL_LONGOPTS,
        {"timeout", required_argument, NULL, 't'},
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (ctl_opts){.timeout_s = 5, .tool = {.level = MQP_LOG_ERR}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:t:c:l:ah", longopts, NULL)) != -1) {
        if (cli_tool_opt(c, optarg, &o->tool)) {
            continue;
        }
        switch (c) {
        case 't':
            if (!cli_number_arg("ctl", "--timeout", optarg, 0.001, 3600, &o->timeout_s)) {
                return EXIT_USAGE;
            }
            break;
        case 'a':
            o->all = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || mqp_command_parse(argv[optind], &o->cmd) != MQP_OK) {
        fprintf(stderr, "mqplane ctl: %s%s\n\n",
                optind >= argc ? "which command?" : "unknown command ",
                optind >= argc ? "" : argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (o->tool.node_id && strpbrk(o->tool.node_id, "*?[")) {
        o->pattern = o->tool.node_id;
        o->tool.node_id = NULL; /* Not a namespace of one node. */
    } else if (o->all && o->tool.node_id) {
        return cli_usage_error("ctl", "--all with --node-id %s: give one, or a pattern",
                               o->tool.node_id);
    }
    return CLI_GO;
}

typedef struct waiter {
    char request_id[40];
    atomic_int done; /* 1: ok, 2: failed */
    char answer[MQP_DEFAULT_COMMAND_RESULT_MAX + 1024];
} waiter;

/* The answer m, parsed as j, if it is the one w waits for. */
static void take_answer(waiter *w, const mqp_message *m, const cJSON *j)
{
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(j, "request_id");
    if (cJSON_IsString(rid) && strcmp(rid->valuestring, w->request_id) == 0 &&
        !atomic_load(&w->done)) {
        snprintf(w->answer, sizeof w->answer, "%.*s", (int)m->payload_len,
                 (const char *)m->payload);
        atomic_store(&w->done, cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")) ? 1 : 2);
    }
}

static int on_response(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    cJSON *j = cJSON_ParseWithLength(m->payload, m->payload_len);
    take_answer(user, m, j);
    cJSON_Delete(j);
    return 0;
}

/* Publishes the command with the waiter's request id. */
static mqp_err send_command(mqp_client *cl, const char *topic, mqp_command cmd, const waiter *w)
{
    char payload[128];
    mqpx_jw j;
    mqpx_jw_init(&j, payload, sizeof payload);
    mqpx_jw_object(&j);
    mqpx_jw_key(&j, "command");
    mqpx_jw_string(&j, mqp_command_name(cmd));
    mqpx_jw_key(&j, "request_id");
    mqpx_jw_string(&j, w->request_id);
    mqpx_jw_end(&j);
    return mqp_client_publish(cl, topic, payload, j.len, 1, false);
}

static int run_ctl(const ctl_opts *o)
{
    static cli_session ss;
    if (!cli_session_open(&ss, "ctl", &o->tool)) {
        return EXIT_USAGE;
    }
    static waiter w;
    mqp_uuid4_hex(w.request_id);
    mqp_client *cl = ss.client;
    const mqp_mqtt_settings *s = &ss.s;
    int rc = EXIT_NO_BROKER;
    mqp_client_subscribe(cl, s->response_topic, 1, on_response, &w);
    if (cli_session_connect(&ss, "ctl", (int)(o->timeout_s * 1000), false)) {
        send_command(cl, s->command_topic, o->cmd, &w);
        double until = mqpx_mono_s() + o->timeout_s;
        while (!atomic_load(&w.done) && mqpx_mono_s() < until) {
            mqpx_sleep_ms(10);
        }
        int done = atomic_load(&w.done);
        if (done) {
            printf("%s\n", w.answer);
            rc = done == 1 ? EXIT_OK : EXIT_FAILED;
        } else {
            fprintf(stderr,
                    "mqplane ctl: no answer to '%s' within %g s on %s (is a node "
                    "running and subscribed to %s?)\n",
                    mqp_command_name(o->cmd), o->timeout_s, mqp_client_url(cl), s->command_topic);
        }
    }
    cli_session_close(&ss);
    return rc;
}

/* ---- every node: --all, or --node-id PATTERN ---- */

typedef struct target {
    char id[128];
    char status[16];
    bool sent;
    waiter w;
} target;

typedef struct fleet_wait {
    target *t;
    atomic_size_t n; /* Published once the targets are filled in. */
} fleet_wait;

static int on_fleet_response(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    fleet_wait *f = user;
    cJSON *j = cJSON_ParseWithLength(m->payload, m->payload_len); /* Once, not once a node. */
    for (size_t i = 0, n = atomic_load(&f->n); j && i < n; i++) {
        take_answer(&f->t[i].w, m, j); /* Each takes only its own request id. */
    }
    cJSON_Delete(j);
    return 0;
}

/* The nodes the fleet has that the options ask for, live or not, into t (at most cap). */
static size_t pick_targets(exp_model *m, const ctl_opts *o, target *t, size_t cap)
{
    size_t n = 0;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->nnodes && n < cap; i++) {
        const exp_node *node = &m->nodes[i];
        if (!node->status[0] ||
            (o->pattern && (!node->id[0] || fnmatch(o->pattern, node->id, 0) != 0))) {
            continue;
        }
        target *x = &t[n++];
        memset(x, 0, sizeof *x);
        snprintf(x->id, sizeof x->id, "%s", node->id);
        snprintf(x->status, sizeof x->status, "%s", node->status);
        mqp_uuid4_hex(x->w.request_id);
    }
    pthread_mutex_unlock(&m->mu);
    return n;
}

static bool command_topic_of(const cli_session *ss, const char *id, char *buf, size_t len)
{
    char err[MQP_TOPICS_ERRLEN];
    if (!*id) {
        snprintf(buf, len, "%s", ss->s.command_topic);
        return true;
    }
    return cli_node_topic(id, "control", "commands", MQP_TOPIC_NAME, buf, len, err, sizeof err);
}

/* One line per node; the exit status of them all. */
static int report(const ctl_opts *o, const target *t, size_t n)
{
    int rc = EXIT_OK;
    size_t answered = 0, sent = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = cli_fleet_name(t[i].id);
        int done = atomic_load(&t[i].w.done);
        if (!t[i].sent) {
            printf("%-24s not sent: its retained status is %s\n", name, t[i].status);
            continue;
        }
        sent++;
        if (done) {
            answered++;
            printf("%-24s %s\n", name, t[i].w.answer);
            rc = rc == EXIT_OK && done == 2 ? EXIT_FAILED : rc;
        } else {
            printf("%-24s no answer within %g s\n", name, o->timeout_s);
            rc = EXIT_NO_BROKER;
        }
    }
    fprintf(stderr, "mqplane ctl: %s to %zu node%s: %zu answered, %zu did not%s\n",
            mqp_command_name(o->cmd), sent, sent == 1 ? "" : "s", answered, sent - answered,
            n > sent ? ", the others are not running" : "");
    return sent ? rc : EXIT_NO_BROKER;
}

static int run_fleet(const ctl_opts *o)
{
    static cli_session ss;
    if (!cli_session_open(&ss, "ctl", &o->tool)) {
        return EXIT_USAGE;
    }
    static exp_model m;
    exp_model_init(&m);
    static fleet_sub subs[FLEET_SUBS];
    static target targets[EXP_MAX_NODES];
    static fleet_wait f = {.t = targets};
    char responses[256], err[MQP_TOPICS_ERRLEN];
    int rc = EXIT_USAGE;
    if (!cli_fleet_subscribe(&ss, &m, 0, subs) ||
        !cli_node_topic("+", "control", "responses", MQP_TOPIC_FILTER, responses, sizeof responses,
                        err, sizeof err)) {
        goto out;
    }
    mqp_client_subscribe(ss.client, ss.s.response_topic, 1, on_fleet_response, &f);
    mqp_client_subscribe(ss.client, responses, 1, on_fleet_response, &f);
    rc = EXIT_NO_BROKER;
    if (!cli_session_connect(&ss, "ctl", (int)(o->timeout_s * 1000), false)) {
        goto out;
    }
    cli_fleet_settle(&ss, &m, 300, 3000);
    size_t n = pick_targets(&m, o, targets, EXP_MAX_NODES);
    if (!n) {
        fprintf(stderr,
                "mqplane ctl: no node%s%s found on %s (none has a retained status on %s or "
                "inference/+/control/status)\n",
                o->pattern ? " matching " : "", o->pattern ? o->pattern : "",
                mqp_client_url(ss.client), ss.s.status_topic);
        goto out;
    }
    atomic_store(&f.n, n); /* Answers are matched from now on. */
    for (size_t i = 0; i < n; i++) {
        char topic[256];
        bool live = strcmp(targets[i].status, "stopped") != 0 &&
                    strcmp(targets[i].status, "disconnected") != 0;
        targets[i].sent = live && command_topic_of(&ss, targets[i].id, topic, sizeof topic) &&
                          send_command(ss.client, topic, o->cmd, &targets[i].w) == MQP_OK;
    }
    for (double until = mqpx_mono_s() + o->timeout_s; mqpx_mono_s() < until; mqpx_sleep_ms(10)) {
        size_t waiting = 0;
        for (size_t i = 0; i < n; i++) {
            waiting += targets[i].sent && !atomic_load(&targets[i].w.done);
        }
        if (!waiting) {
            break;
        }
    }
    rc = report(o, targets, n);
    pthread_mutex_lock(&m.mu);
    unsigned long long beyond = (unsigned long long)m.dropped_nodes;
    pthread_mutex_unlock(&m.mu);
    if (beyond) {
        fprintf(stderr,
                "mqplane ctl: more nodes than the %d this tool keeps: %llu messages of others were "
                "left out, and those nodes got no command\n",
                EXP_MAX_NODES, beyond);
        rc = EXIT_NO_BROKER;
    }
out:
    cli_session_close(&ss);
    exp_model_free(&m);
    return rc;
}

int cli_ctl(int argc, char **argv)
{
    ctl_opts o;
    int rc = parse_ctl(argc, argv, &o);
    return rc != CLI_GO ? rc : o.all || o.pattern ? run_fleet(&o) : run_ctl(&o);
}
