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
    "Runs an inference node: frames from the source go through the detector and the tracker,\n"
    "detections go out on the data plane (QoS 0), commands come in on the control\n"
    "plane (QoS 1). Stops in order on SIGINT, SIGTERM or the stop command.\n"
    "\n"
    "  -c, --config FILE          YAML configuration (mqtt: section; see docs/CLIENT.md)\n"
    "  -b, --broker URL           broker, e.g. mqtt://user:pass@host:1883; overrides MQTT_URL\n"
    "                             and the configuration (default mqtt://localhost:1883);\n"
    "                             URL,URL,... several, tried in turn for failover\n"
    "  -s, --source SPEC          what to watch; repeat for several sources, one pipeline each\n"
    "                             (source_id 0, 1, ...), else pipeline.sources of the config:\n"
    "                               synthetic[:WIDTHxHEIGHT@FPS]   the built-in scene (default;\n"
    "                                 ?realtime=0: unpaced, for benchmarks)\n"
    "                               file:PATH[?loop=1&realtime=0]  a video file, at its own rate\n"
    "                               rtsp://[user:pass@]host[:port]/path[?transport=udp|tcp]\n"
    "                               rtsps://...                    (a go2rtc stream works)\n"
    "                               v4l2:/dev/videoN               a camera on this machine\n"
    "      --stall-timeout S      a live source silent this long is lost and reopened (default 5)\n"
    "  -d, --detector SPEC        what finds the objects (else pipeline.detector of the config):\n"
    "                               motion                         changed pixels (default)\n"
    "                               hog[?key=value&...]            OpenCV's people detector\n"
    "                               onnx:MODEL.onnx[?key=value&...] a YOLO model (OpenCV DNN)\n"
    "                               plugin:PATH.so[?key=value&...] a detector plugin\n"
    "                             (options of each: docs/DETECTORS.md)\n"
    "      --detect-on WHAT       every frame (all, default) or only where motion is seen\n"
    "                             (motion): the detector then runs on the region that moved\n"
    "                             and on the whole frame every --full-pass-every frames\n"
    "      --full-pass-every N    with --detect-on motion: a full-frame pass every N frames\n"
    "                             (default 30), so objects standing still are found again\n"
    "      --detect-fps F         at most F detector runs per second per source (default: every\n"
    "                             frame); the tracker carries the boxes in between\n"
    "      --full-frames[=RATE]   publish annotated frames (JPEG) on inference/data/full_frames,\n"
    "                             RATE per second per source (default 1; the config's\n"
    "                             mqtt.publish_full_frame and mqtt.full_frame_rate do the same)\n"
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
    /* Given on the command line, else taken from the configuration's pipeline section, then
     * checked alike (run_detection). */
    const char *detect_on, *detect_fps, *full_pass_every;
    const char *sources[NODE_MAX_SOURCES];
    bool full_frames_given; /* --full-frames, which wins over the configuration. */
} run_opts;

static const struct option run_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"broker", required_argument, NULL, 'b'},
    {"source", required_argument, NULL, 's'},
    {"detector", required_argument, NULL, 'd'},
    {"detect-on", required_argument, NULL, 'G'},
    {"detect-fps", required_argument, NULL, 'R'},
    {"full-pass-every", required_argument, NULL, 'P'},
    {"seed", required_argument, NULL, 'S'},
    {"crop", no_argument, NULL, 'C'},
    {"node-id", required_argument, NULL, 'n'},
    {"metrics-interval", required_argument, NULL, 'M'},
    {"frames", required_argument, NULL, 'F'},
    {"stall-timeout", required_argument, NULL, 'T'},
    {"full-frames", optional_argument, NULL, 'J'},
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
    while ((c = getopt_long(argc, argv, "c:b:s:d:n:l:h", run_options, NULL)) != -1) {
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
        case 'd':
            n->detector = optarg;
            break;
        case 'G':
            o->detect_on = optarg;
            break;
        case 'R':
            o->detect_fps = optarg;
            break;
        case 'P':
            o->full_pass_every = optarg;
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
        case 'T':
            if (!cli_number_arg("run", "--stall-timeout", optarg, 0.1, 3600, &n->stall_timeout_s)) {
                return EXIT_USAGE;
            }
            break;
        case 'J':
            n->full_frames_fps = 1;
            o->full_frames_given = true;
            if (optarg &&
                !cli_number_arg("run", "--full-frames", optarg, 0.01, 1000, &n->full_frames_fps)) {
                return EXIT_USAGE;
            }
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

/* Without --source: the configuration's pipeline.sources list, else the reference's
 * pipeline.rtsp_url (seed 03: a go2rtc stream), else the synthetic scene. */
static bool sources_from_config(run_opts *o, const mqp_config *cfg)
{
    node_opts *n = &o->node;
    for (int i = 0;; i++) {
        char path[64];
        snprintf(path, sizeof path, "pipeline.sources.%d", i);
        const char *spec = mqp_config_get(cfg, path);
        if (!spec) {
            break;
        }
        if (n->nsources == NODE_MAX_SOURCES) {
            fprintf(stderr, "mqplane run: %s: a node runs at most %d sources\n",
                    mqp_config_origin(cfg, path), NODE_MAX_SOURCES);
            return false;
        }
        o->sources[n->nsources++] = spec;
    }
    const char *rtsp = mqp_config_get(cfg, "pipeline.rtsp_url");
    if (n->nsources == 0 && rtsp) {
        o->sources[n->nsources++] = rtsp;
    }
    return true;
}

/* The detection settings: each from the command line, else the configuration's pipeline
 * section (a message names where a bad value came from). */
static bool detection_settings(run_opts *o, const mqp_config *cfg)
{
    struct {
        const char **value;
        const char *option, *key;
    } s[] = {{&o->node.detector, "--detector", "pipeline.detector"},
             {&o->detect_on, "--detect-on", "pipeline.detect_on"},
             {&o->detect_fps, "--detect-fps", "pipeline.detect_fps"},
             {&o->full_pass_every, "--full-pass-every", "pipeline.full_pass_every"}};
    const char *from[4];
    for (size_t i = 0; i < 4; i++) {
        from[i] = s[i].option;
        if (!*s[i].value && (*s[i].value = mqp_config_get(cfg, s[i].key))) {
            from[i] = mqp_config_origin(cfg, s[i].key);
        }
    }
    node_opts *n = &o->node;
    if (o->detect_on && strcmp(o->detect_on, "all") != 0 && strcmp(o->detect_on, "motion") != 0) {
        fprintf(stderr, "mqplane run: %s: expected all or motion, got '%s'\n", from[1],
                o->detect_on);
        return false;
    }
    n->detect_on_motion = o->detect_on && strcmp(o->detect_on, "motion") == 0;
    return (!o->detect_fps ||
            cli_number_arg("run", from[2], o->detect_fps, 0.01, 1000, &n->detect_fps)) &&
           (!o->full_pass_every ||
            cli_int_arg_int("run", from[3], o->full_pass_every, 1, 100000, &n->full_pass_every));
}

static int run_run(run_opts *o)
{
    char err[1024]; /* A detector's reason may be long: a model's, with how to export it. */
    mqp_config *cfg = NULL;
    mqp_mqtt_settings mqtt;
    if (mqp_config_load(&cfg, o->config, err, sizeof err) != MQP_OK ||
        mqp_config_mqtt(cfg, &mqtt, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "mqplane run: %s\n", err);
        mqp_config_free(cfg);
        return EXIT_USAGE;
    }
    if ((o->node.nsources == 0 && !sources_from_config(o, cfg))) {
        mqp_config_free(cfg);
        return EXIT_USAGE;
    }
    if (!detection_settings(o, cfg)) {
        mqp_config_free(cfg);
        return EXIT_USAGE;
    }
    if (!o->full_frames_given && mqtt.publish_full_frame) {
        o->node.full_frames_fps = mqtt.full_frame_rate;
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
