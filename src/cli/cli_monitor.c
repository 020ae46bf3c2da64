/* mqplane monitor: watch a node, one line per message. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "cli_opts.h"

#include "clock.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char monitor_usage[] =
    "usage: mqplane monitor [options] status|detections|metrics|health|all\n"
    "\n"
    "Prints what a node publishes, one line per message: human-readable and aligned, or the\n"
    "raw JSON with --json. Runs until Ctrl-C, or until --count messages were shown.\n"
    "\n"
    "  -b, --broker URL      broker (default MQTT_URL, else mqtt://localhost:1883)\n"
    "      --node-id ID      the node's namespace, as given to mqplane run --node-id\n"
    "  -c, --config FILE     take the broker and topics from a configuration file\n"
    "  -n, --count N         stop after N messages (exit 0)\n"
    "  -j, --json            print each message's JSON as it arrived\n"
    "  -l, --log-level L     error (default), warning, notice, info, debug\n"
    "  -h, --help            this text\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct monitor {
    bool json;
    long long count; /* 0: no limit */
    atomic_llong shown;
    double arrivals[32]; /* Recent detection arrival times, for the message rate. */
    size_t narrivals;
    pthread_mutex_t out; /* Lines come from one dispatch thread, but keep them whole anyway. */
} monitor;

static const char *sval(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "?";
}

static double nval(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void clock_prefix(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ld", ts.tv_nsec / 1000000);
}

static void describe_detections(monitor *m, const cJSON *j, char *line, size_t len)
{
    /* The rate over the last (up to) 32 messages: exact from the second message on. */
    double now = mqpx_mono_s();
    size_t cap = sizeof m->arrivals / sizeof m->arrivals[0];
    double oldest = m->narrivals < cap ? m->arrivals[0] : m->arrivals[m->narrivals % cap];
    size_t span = m->narrivals < cap ? m->narrivals : cap;
    m->arrivals[m->narrivals++ % cap] = now;
    double rate = span > 0 && now > oldest ? (double)span / (now - oldest) : 0;
    const cJSON *frame = cJSON_GetObjectItemCaseSensitive(j, "frame");
    int n =
        snprintf(line, len, "#%-6.0f frame %-6.0f %5.1f msg/s  %2.0f objects",
                 nval(j, "message_id"), nval(frame, "frame_id"), rate, nval(j, "detection_count"));
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(j, "detections"))
    {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(d, "bbox");
        if (n < 0 || (size_t)n >= len - 48) {
            break;
        }
        double tid = nval(d, "track_id");
        n += snprintf(line + n, len - (size_t)n, "  %s%.0f %s %.2f (%.0f,%.0f %.0fx%.0f)",
                      tid >= 0 ? "#" : "", tid >= 0 ? tid : 0, sval(d, "class"),
                      nval(d, "confidence"), nval(b, "x"), nval(b, "y"), nval(b, "width"),
                      nval(b, "height"));
    }
    if (cJSON_GetObjectItemCaseSensitive(j, "roi_metrics") && n > 0 && (size_t)n < len - 8) {
        snprintf(line + n, len - (size_t)n, "  [crop]");
    }
}

static void describe(monitor *m, const mqp_message *msg, const cJSON *j, char *line, size_t len)
{
    const char *t = msg->topic;
    if (strstr(t, "/status")) {
        snprintf(line, len, "status      %-13s %s", sval(j, "status"), sval(j, "client_id"));
    } else if (strstr(t, "/detections")) {
        describe_detections(m, j, line, len);
    } else if (strstr(t, "/metrics")) {
        const cJSON *r =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "latency_reports"), 0);
        snprintf(line, len,
                 "metrics     %5.1f fps  decode %.1f ms  inference %.1f ms  end to end %.1f ms",
                 nval(j, "throughput_fps"), nval(r, "frame_decoding_latency_ms"),
                 nval(r, "inference_latency_ms"), nval(r, "e2e_latency_ms"));
    } else if (strstr(t, "system/health/")) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
        snprintf(line, len, "health      %-13s %s %s", t + strlen("system/health/"),
                 cJSON_IsTrue(ok) ? "ok" : "NOT OK", sval(j, "event"));
    } else if (strstr(t, "/responses")) {
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
        snprintf(line, len, "response    %-13s %s%s%s", sval(j, "command"),
                 cJSON_IsTrue(ok) ? "ok" : "FAILED: ", cJSON_IsTrue(ok) ? "" : sval(j, "error"),
                 "");
    } else {
        snprintf(line, len, "%s", t);
    }
}

static int on_message(mqp_client *c, const mqp_message *msg, void *user)
{
    (void)c;
    monitor *m = user;
    if (m->count && atomic_load(&m->shown) >= m->count) {
        return 0;
    }
    pthread_mutex_lock(&m->out);
    if (m->json) {
        printf("%.*s\n", (int)msg->payload_len, (const char *)msg->payload);
    } else {
        char stamp[32], line[1024];
        clock_prefix(stamp, sizeof stamp);
        cJSON *j = cJSON_ParseWithLength(msg->payload, msg->payload_len);
        if (j) {
            describe(m, msg, j, line, sizeof line);
        } else {
            snprintf(line, sizeof line, "%s: not JSON (%zu bytes)", msg->topic, msg->payload_len);
        }
        cJSON_Delete(j);
        printf("%s %s\n", stamp, line);
    }
    fflush(stdout);
    pthread_mutex_unlock(&m->out);
    atomic_fetch_add(&m->shown, 1);
    return 0;
}

int cli_monitor(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"broker", required_argument, NULL, 'b'},  {"config", required_argument, NULL, 'c'},
        {"node-id", required_argument, NULL, 'N'}, {"count", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},          {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    static monitor m;
    pthread_mutex_init(&m.out, NULL);
    const char *broker = NULL, *config = NULL, *node_id = NULL;
    mqp_log_level level = MQP_LOG_ERR;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:c:n:jl:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            broker = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'N':
            node_id = optarg;
            break;
        case 'n':
            if (!cli_int_arg("monitor", "--count", optarg, 1, LLONG_MAX, &m.count)) {
                return EXIT_USAGE;
            }
            break;
        case 'j':
            m.json = true;
            break;
        case 'l':
            level = cli_log_level(optarg);
            break;
        case 'h':
            fputs(monitor_usage, stdout);
            return EXIT_OK;
        default:
            fputs(monitor_usage, stderr);
            return EXIT_USAGE;
        }
    }
    const char *what = optind == argc - 1 ? argv[optind] : NULL;
    static const char *const kinds[] = {"status", "detections", "metrics", "health", "all"};
    int kind = -1;
    for (int i = 0; what && i < 5; i++) {
        kind = strcmp(what, kinds[i]) == 0 ? i : kind;
    }
    if (kind < 0) {
        fprintf(stderr,
                "mqplane monitor: say what to watch: status, detections, metrics, "
                "health or all\n\n%s",
                monitor_usage);
        return EXIT_USAGE;
    }
    static cli_session ss;
    if (!cli_session_open(&ss, "monitor", config, node_id, broker, level)) {
        return EXIT_USAGE;
    }
    mqp_client *cl = ss.client;
    const mqp_mqtt_settings *s = &ss.s;
    char err[512];
    if (kind == 0 || kind == 4) {
        mqp_client_subscribe(cl, s->status_topic, 1, on_message, &m);
    }
    if (kind == 1 || kind == 4) {
        mqp_client_subscribe(cl, s->data_topic, 0, on_message, &m);
    }
    if (kind == 2 || kind == 4) {
        mqp_client_subscribe(cl, s->metrics_topic, 0, on_message, &m);
    }
    if (kind == 3 || kind == 4) {
        mqp_client_subscribe(cl, "system/health/+", 1, on_message, &m);
    }
    if (kind == 4) {
        mqp_client_subscribe(cl, s->response_topic, 1, on_message, &m);
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (mqp_client_connect(cl, 5000) != MQP_OK) {
        mqp_client_last_error(cl, err, sizeof err);
        fprintf(stderr, "mqplane monitor: cannot reach the broker: %s (still trying)\n", err);
    }
    while (!interrupted && !(m.count && atomic_load(&m.shown) >= m.count)) {
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    cli_session_close(&ss);
    return EXIT_OK;
}
