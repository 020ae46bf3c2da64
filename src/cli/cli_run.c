/* mqplane run: the inference node. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "cli_opts.h"

#include "node.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char run_usage[] =
    "usage: mqplane run [options]\n"
    "\n"
    "Runs an inference node: frames from the source go through the motion detector and the\n"
    "tracker, detections go out on the data plane (QoS 0), commands come in on the control\n"
    "plane (QoS 1). Stops in order on SIGINT, SIGTERM or the stop command.\n"
    "\n"
    "  -c, --config FILE          YAML configuration (mqtt: section; see docs/CLIENT.md)\n"
    "  -b, --broker URL           broker, e.g. mqtt://user:pass@host:1883; overrides MQTT_URL\n"
    "                             and the configuration (default mqtt://localhost:1883)\n"
    "  -s, --source SPEC          synthetic (default) or synthetic:WIDTHxHEIGHT@FPS; repeat\n"
    "                             for several sources, one pipeline each (source_id 0, 1, ...)\n"
    "      --seed N               seed of the synthetic scene (default 1)\n"
    "  -n, --node-id ID           namespace the topics (inference/ID/control/commands, ...)\n"
    "                             and client ids, so many nodes can share one broker\n"
    "      --crop                 start with the adaptive region of interest on\n"
    "      --metrics-interval S   publish metrics every S seconds (default: on command only)\n"
    "      --frames N             stop after N frames (default: run until stopped)\n"
    "  -l, --log-level LEVEL      error, warning, notice, info (default), debug\n"
    "  -h, --help                 this text\n";

/* The command line, read whole before anything starts. */
typedef struct run_opts {
    node_opts node;
    const char *config, *node_id;
    const char *sources[NODE_MAX_SOURCES];
} run_opts;

static const struct option run_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"broker", required_argument, NULL, 'b'},
    {"source", required_argument, NULL, 's'},
    {"seed", required_argument, NULL, 'S'},
    {"crop", no_argument, NULL, 'C'},
    {"node-id", required_argument, NULL, 'n'},
    {"metrics-interval", required_argument, NULL, 'M'},
    {"frames", required_argument, NULL, 'F'},
    {"log-level", required_argument, NULL, 'l'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_run(int argc, char **argv, run_opts *o)
{
    memset(o, 0, sizeof *o);
    node_opts *n = &o->node;
    n->seed = 1;
    n->log_cb = cli_log;
    n->log_level = MQP_LOG_INFO;
    n->sources = o->sources;
    long long v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:b:s:n:l:h", run_options, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case 'b':
            n->url = optarg;
            break;
        case 's':
            if (n->nsources == NODE_MAX_SOURCES) {
                return cli_usage_error("run", "%s: a node runs at most %d sources", optarg,
                                       NODE_MAX_SOURCES);
            }
            o->sources[n->nsources++] = optarg;
            break;
        case 'S':
            if (!cli_int_arg("run", "--seed", optarg, 0, LLONG_MAX, &v)) {
                return EXIT_USAGE;
            }
            n->seed = (uint64_t)v;
            break;
        case 'C':
            n->crop = true;
            break;
        case 'n':
            o->node_id = optarg;
            break;
        case 'M':
            if (!cli_number_arg("run", "--metrics-interval", optarg, 0.1, 86400,
                                &n->metrics_interval_s)) {
                return EXIT_USAGE;
            }
            break;
        case 'F':
            if (!cli_int_arg("run", "--frames", optarg, 1, LLONG_MAX, &v)) {
                return EXIT_USAGE;
            }
            n->max_frames = (uint64_t)v;
            break;
        case 'l':
            n->log_level = cli_log_level(optarg);
            break;
        case 'h':
            fputs(run_usage, stdout);
            return EXIT_OK;
        default:
            fputs(run_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
    }
    return CLI_GO;
}

static int run_run(run_opts *o)
{
    char err[MQP_CONFIG_ERRLEN];
    mqp_config *cfg = NULL;
    mqp_mqtt_settings mqtt;
    if (mqp_config_load(&cfg, o->config, err, sizeof err) != MQP_OK ||
        mqp_config_mqtt(cfg, &mqtt, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "mqplane run: %s\n", err);
        mqp_config_free(cfg);
        return EXIT_USAGE;
    }
    static cli_namespace ns;
    if (!cli_apply_node_id(o->node_id, &mqtt, &ns, "run")) {
        mqp_config_free(cfg);
        return EXIT_USAGE;
    }
    if (o->node_id) {
        o->node.control_id = ns.control_id;
        o->node.data_id = ns.data_id;
    }
    o->node.mqtt = &mqtt;
    o->node.stop_signal = &cli_stop_requested;
    cli_catch_stop_signals();
    node *n = NULL;
    mqp_err rc = node_new(&n, &o->node, err, sizeof err);
    if (rc != MQP_OK) {
        fprintf(stderr, "mqplane run: %s\n", err[0] ? err : mqp_strerror(rc));
        mqp_config_free(cfg);
        return rc == MQP_ERR_URL || rc == MQP_ERR_INVALID || rc == MQP_ERR_UNSUPPORTED
                   ? EXIT_USAGE
                   : EXIT_FAILED;
    }
    rc = node_run(n);
    node_free(n);
    mqp_config_free(cfg);
    return rc == MQP_OK ? EXIT_OK : EXIT_FAILED;
}

int cli_run(int argc, char **argv)
{
    static run_opts o;
    int rc = parse_run(argc, argv, &o);
    return rc == CLI_GO ? run_run(&o) : rc;
}
