/* mqplane ctl: send one command to a node, wait for its answer, print it. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "cli_opts.h"

#include "json_write.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char ctl_usage[] =
    "usage: mqplane ctl [options] COMMAND\n"
    "\n"
    "Sends COMMAND (pause, resume, stop, status, metrics, toggle_crop, stabilization_stats)\n"
    "with a request id, waits for the node's answer and prints it as JSON.\n"
    "Exit status: 0 the node answered ok; 1 it answered with an error; 2 no broker or no\n"
    "answer in time; 64 bad arguments.\n"
    "\n"
    "  -b, --broker URL      broker (default MQTT_URL, else mqtt://localhost:1883)\n"
    "  -t, --timeout S       seconds to wait for the answer (default 5)\n"
    "      --node-id ID      the node's namespace, as given to mqplane run --node-id\n"
    "  -c, --config FILE     take the broker and topics from a configuration file\n"
    "  -l, --log-level L     error (default), warning, notice, info, debug\n"
    "  -h, --help            this text\n";

typedef struct waiter {
    char request_id[40];
    atomic_int done; /* 1: ok, 2: failed */
    char answer[65536 + 1024];
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

int cli_ctl(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 't'},
        {"config", required_argument, NULL, 'c'},
        {"node-id", required_argument, NULL, 'N'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *broker = NULL, *config = NULL, *node_id = NULL;
    double timeout = 5;
    mqp_log_level level = MQP_LOG_ERR;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:t:c:l:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            broker = optarg;
            break;
        case 't':
            if (!cli_number_arg("ctl", "--timeout", optarg, 0.001, 3600, &timeout)) {
                return EXIT_USAGE;
            }
            break;
        case 'c':
            config = optarg;
            break;
        case 'N':
            node_id = optarg;
            break;
        case 'l':
            level = cli_log_level(optarg);
            break;
        case 'h':
            fputs(ctl_usage, stdout);
            return EXIT_OK;
        default:
            fputs(ctl_usage, stderr);
            return EXIT_USAGE;
        }
    }
    mqp_command cmd;
    if (optind != argc - 1 || mqp_command_parse(argv[optind], &cmd) != MQP_OK) {
        fprintf(stderr, "mqplane ctl: %s%s\n\n%s",
                optind >= argc ? "which command?" : "unknown command ",
                optind >= argc ? "" : argv[optind], ctl_usage);
        return EXIT_USAGE;
    }
    static cli_session ss;
    if (!cli_session_open(&ss, "ctl", config, node_id, broker, level)) {
        return EXIT_USAGE;
    }
    static waiter w;
    mqp_uuid4_hex(w.request_id);
    mqp_client *cl = ss.client;
    const mqp_mqtt_settings *s = &ss.s;
    char err[512];
    int rc = EXIT_NO_BROKER;
    mqp_client_subscribe(cl, s->response_topic, 1, on_response, &w);
    if (mqp_client_connect(cl, (int)(timeout * 1000)) != MQP_OK) {
        mqp_client_last_error(cl, err, sizeof err);
        fprintf(stderr, "mqplane ctl: cannot reach the broker: %s\n", err);
    } else {
        char payload[128];
        mqpx_jw j;
        mqpx_jw_init(&j, payload, sizeof payload);
        mqpx_jw_object(&j);
        mqpx_jw_key(&j, "command");
        mqpx_jw_string(&j, mqp_command_name(cmd));
        mqpx_jw_key(&j, "request_id");
        mqpx_jw_string(&j, w.request_id);
        mqpx_jw_end(&j);
        mqp_client_publish(cl, s->command_topic, payload, j.len, 1, false);
        for (double waited = 0; !atomic_load(&w.done) && waited < timeout; waited += 0.01) {
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        }
        int done = atomic_load(&w.done);
        if (done) {
            printf("%s\n", w.answer);
            rc = done == 1 ? EXIT_OK : EXIT_FAILED;
        } else {
            fprintf(stderr,
                    "mqplane ctl: no answer to '%s' within %g s on %s (is a node "
                    "running and subscribed to %s?)\n",
                    mqp_command_name(cmd), timeout, mqp_client_url(cl), s->command_topic);
        }
    }
    cli_session_close(&ss);
    return rc;
}
