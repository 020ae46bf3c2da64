/* mqplane ctl: send one command to a node, wait for its answer, print it. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "cli_opts.h"

#include "clock.h"
#include "json_write.h"

#include <cjson/cJSON.h>
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
          "      --node-id ID      the node's namespace, as given to mqplane run --node-id\n"
          "  -c, --config FILE     take the broker and topics from a configuration file\n"
          "  -l, --log-level L     error (default), warning, notice, info, debug\n"
          "  -h, --help            this text\n",
          to);
}

typedef struct ctl_opts {
    cli_tool_opts tool;
    double timeout_s;
    mqp_command cmd;
} ctl_opts;

static int parse_ctl(int argc, char **argv, ctl_opts *o)
{
    static const struct option longopts[] = {
        CLI_TOOL_LONGOPTS,
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (ctl_opts){.timeout_s = 5, .tool = {.level = MQP_LOG_ERR}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:t:c:l:h", longopts, NULL)) != -1) {
        if (cli_tool_opt(c, optarg, &o->tool)) {
            continue;
        }
        switch (c) {
        case 't':
            if (!cli_number_arg("ctl", "--timeout", optarg, 0.001, 3600, &o->timeout_s)) {
                return EXIT_USAGE;
            }
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
    return CLI_GO;
}

typedef struct waiter {
    char request_id[40];
    atomic_int done; /* 1: ok, 2: failed */
    char answer[MQP_DEFAULT_COMMAND_RESULT_MAX + 1024];
} waiter;

static int on_response(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    waiter *w = user;
    cJSON *j = cJSON_ParseWithLength(m->payload, m->payload_len);
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(j, "request_id");
    if (cJSON_IsString(rid) && strcmp(rid->valuestring, w->request_id) == 0 &&
        !atomic_load(&w->done)) {
        snprintf(w->answer, sizeof w->answer, "%.*s", (int)m->payload_len,
                 (const char *)m->payload);
        atomic_store(&w->done, cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")) ? 1 : 2);
    }
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

int cli_ctl(int argc, char **argv)
{
    ctl_opts o;
    int rc = parse_ctl(argc, argv, &o);
    return rc == CLI_GO ? run_ctl(&o) : rc;
}
