/* mqplane bench: load for the benchmarks (bench/), through the real planes.
 *   publish  detections messages through the data plane and its formatting, as fast as it
 *            goes or at a rate; one line of figures at the end.
 *   rtt      pause and resume, alternately, to a running node, each timed until its status
 *            says so; the distribution at the end.
 * Figures are printed on one line of key=value pairs, for scripts (bench/run.sh). */
#define _GNU_SOURCE
#include "cli.h"
#include "cli_opts.h"

#include "clock.h"
#include "sync.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_DETECTIONS 256
#define ROOM_POLL_US   50 /* --wait-for-room: how often a full window is looked at again. */

static void usage(FILE *to)
{
    fputs("usage: mqplane bench publish|rtt [options]\n"
          "\n"
          "  publish   publish detections messages through the data plane (its formatting and\n"
          "            its bounded queue), then disconnect; prints\n"
          "            calls_per_s=R published=N dropped=D cpu_s=C seconds=S [waits=W]\n"
          "  rtt       pause/resume alternately at QoS 1 to a running node, each timed until\n"
          "            its status says so; prints p50_ms p90_ms p99_ms max_ms over_10ms count\n"
          "\n"
          "  -b, --broker URL      broker (default MQTT_URL, else mqtt://localhost:1883)\n"
          "  -n, --count N         messages (publish, default 100000; 0: until SIGINT/SIGTERM)\n"
          "                        or round trips (rtt, default 200)\n"
          "  -k, --detections K    detections per message (publish, default 5)\n"
          "  -r, --rate R          messages per second (publish; default: as fast as it goes)\n"
          "      --wait-for-room   publish: when the outgoing queue is full, wait for room\n"
          "                        instead of dropping (the data plane's capacity, not its\n"
          "                        drops; a node never waits)\n"
          "      --client-id ID    publish's client id (default mqplane-bench-PID: never a\n"
          "                        node's inference_data)\n"
          "      --node-id ID      the node's namespace, as given to mqplane run --node-id\n"
          "  -c, --config FILE     take the broker and topics from a configuration file\n"
          "  -t, --timeout S       rtt: seconds to wait for each status (default 5)\n"
          "  -l, --log-level L     error (default), warning, notice, info, debug\n"
          "  -h, --help            this text\n",
          to);
}

typedef struct bench_opts {
    cli_tool_opts tool;
    const char *what, *client_id;
    long long count;
    int detections;
    double rate, timeout_s;
    bool wait_for_room;
} bench_opts;

static int parse_bench(int argc, char **argv, bench_opts *o)
{
    static const struct option longopts[] = {
        CLI_TOOL_LONGOPTS,
        {"count", required_argument, NULL, 'n'},
        {"detections", required_argument, NULL, 'k'},
        {"rate", required_argument, NULL, 'r'},
        {"client-id", required_argument, NULL, 'I'},
        {"wait-for-room", no_argument, NULL, 'W'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (bench_opts){.count = -1, .detections = 5, .timeout_s = 5, .tool = {.level = MQP_LOG_ERR}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:n:k:r:c:t:l:h", longopts, NULL)) != -1) {
        if (cli_tool_opt(c, optarg, &o->tool)) {
            continue;
        }
        bool ok = true;
        switch (c) {
        case 'n':
            ok = cli_int_arg("bench", "--count", optarg, 0, 1000000000000LL, &o->count);
            break;
        case 'k':
            ok =
                cli_int_arg_int("bench", "--detections", optarg, 0, MAX_DETECTIONS, &o->detections);
            break;
        case 'r':
            ok = cli_number_arg("bench", "--rate", optarg, 0.001, 1e9, &o->rate);
            break;
        case 'I':
            o->client_id = optarg;
            break;
        case 'W':
            o->wait_for_room = true;
            break;
        case 't':
            ok = cli_number_arg("bench", "--timeout", optarg, 0.001, 3600, &o->timeout_s);
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
        if (!ok) {
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1 ||
        (strcmp(argv[optind], "publish") != 0 && strcmp(argv[optind], "rtt") != 0)) {
        return cli_usage_error("bench", "%s%s", optind >= argc ? "publish or rtt?" : "unknown: ",
                               optind >= argc ? "" : argv[optind]);
    }
    o->what = argv[optind];
    if (o->count < 0) {
        o->count = o->what[0] == 'p' ? 100000 : 200;
    }
    if (o->what[0] == 'r' && o->count == 0) {
        return cli_usage_error("bench", "rtt needs --count of at least 1");
    }
    return CLI_GO;
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

/* Detections as a tracker reports them: people and cars moving a little each message. */
static void fill_detections(mqp_detection *d, int k, long long i)
{
    static const struct {
        const char *name;
        int id; /* COCO's. */
    } classes[] = {{"person", 0}, {"car", 2}, {"bicycle", 1}, {"dog", 16}};
    for (int j = 0; j < k; j++) {
        d[j] = (mqp_detection){.class_name = classes[j % 4].name,
                               .confidence = 0.55 + 0.4 * (double)((i * 7 + j * 13) % 100) / 100,
                               .x = (int)((i + j * 97) % 560),
                               .y = (int)((i / 2 + j * 61) % 380),
                               .width = 48 + j * 8,
                               .height = 96 + j * 4,
                               .class_id = classes[j % 4].id,
                               .track_id = 1000 + j};
    }
}

static int bench_publish(const bench_opts *o, cli_session *ss)
{
    char id[64];
    snprintf(id, sizeof id, "mqplane-bench-%ld", (long)getpid());
    mqp_dataplane_opts dopts = {.client = {.log_cb = cli_log, .log_level = o->tool.level}};
    mqp_mqtt_settings_apply(&ss->s, &dopts.client);
    dopts.client.url = o->tool.broker ? o->tool.broker : ss->s.url;
    dopts.client.client_id = o->client_id ? o->client_id : id;
    dopts.detections_topic = ss->s.data_topic;
    dopts.metrics_topic = ss->s.metrics_topic;
    mqp_dataplane *dp = NULL;
    char err[512];
    if (mqp_dataplane_new(&dp, &dopts, err, sizeof err) != MQP_OK) {
        fprintf(stderr, "mqplane bench: %s\n", err);
        return EXIT_USAGE;
    }
    mqp_client *c = mqp_dataplane_client(dp);
    if (mqp_client_connect(c, 5000) != MQP_OK) {
        mqp_client_last_error(c, err, sizeof err);
        fprintf(stderr, "mqplane bench: cannot reach the broker: %s\n", err);
        mqp_dataplane_destroy(dp);
        return EXIT_NO_BROKER;
    }
    cli_catch_stop_signals();
    static mqp_detection d[MAX_DETECTIONS];
    double cpu0 = cpu_seconds(), t0 = mqpx_mono_s();
    long long i = 0, waits = 0;
    for (; (o->count == 0 || i < o->count) && !atomic_load(&cli_stop_requested); i++) {
        if (o->rate > 0) {
            double due = t0 + (double)i / o->rate, now = mqpx_mono_s();
            if (due - now >= 0.001) { /* Ahead by a millisecond or more: wait; else go on. */
                mqpx_sleep_ms((int)((due - now) * 1000));
            }
        }
        fill_detections(d, o->detections, i);
        mqp_frame_info f = {.frame_id = (uint64_t)i, .source_id = 0, .timestamp = mqpx_wall_s()};
        while (mqp_dataplane_publish_detections(dp, d, (size_t)o->detections, &f, NULL) ==
                   MQP_ERR_QUEUE_FULL &&
               o->wait_for_room && !atomic_load(&cli_stop_requested)) {
            waits++;
            mqpx_sleep_us(ROOM_POLL_US); /* A full window drains in milliseconds. */
        }
    }
    double seconds = mqpx_mono_s() - t0, cpu = cpu_seconds() - cpu0;
    mqp_dataplane_stats s;
    mqp_dataplane_stats_get(dp, &s);
    mqp_dataplane_destroy(dp); /* Disconnects cleanly. */
    printf("calls_per_s=%.0f published=%llu dropped=%llu cpu_s=%.3f seconds=%.3f%s",
           seconds > 0 ? (double)i / seconds : 0, (unsigned long long)s.messages_published,
           (unsigned long long)(s.dropped - (unsigned long long)waits), cpu, seconds,
           o->wait_for_room ? "" : "\n");
    if (o->wait_for_room) {
        printf(" waits=%lld\n", waits);
    }
    return EXIT_OK;
}

/* ---- rtt ---- */

typedef struct watch {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    unsigned long seen; /* Status messages received. */
    char last[16];      /* The last one's status. */
} watch;

static int on_status(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    watch *w = user;
    const char *p = memmem(m->payload, m->payload_len, "\"status\":\"", 10);
    pthread_mutex_lock(&w->mu);
    w->last[0] = '\0';
    if (p) {
        p += 10;
        size_t left = m->payload_len - (size_t)(p - (const char *)m->payload), n = 0;
        while (n < left && n + 1 < sizeof w->last && p[n] != '"') {
            n++;
        }
        memcpy(w->last, p, n);
        w->last[n] = '\0';
    }
    w->seen++;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

/* Sends cmd and waits for a status message saying want, received after the send. */
static double round_trip(cli_session *ss, watch *w, const char *cmd, const char *want,
                         int timeout_ms)
{
    char payload[96];
    int len = snprintf(payload, sizeof payload, "{\"command\":\"%s\"}", cmd);
    pthread_mutex_lock(&w->mu);
    unsigned long before = w->seen;
    pthread_mutex_unlock(&w->mu);
    double t0 = mqpx_mono_s();
    if (mqp_client_publish(ss->client, ss->s.command_topic, payload, (size_t)len, 1, false) !=
        MQP_OK) {
        return -1;
    }
    struct timespec deadline = mqpx_deadline_in(timeout_ms);
    pthread_mutex_lock(&w->mu);
    bool got = false;
    while (!(got = w->seen > before && strcmp(w->last, want) == 0) &&
           pthread_cond_timedwait(&w->changed, &w->mu, &deadline) == 0) {
    }
    got = got || (w->seen > before && strcmp(w->last, want) == 0);
    pthread_mutex_unlock(&w->mu);
    return got ? (mqpx_mono_s() - t0) * 1000 : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bench_rtt(const bench_opts *o, cli_session *ss)
{
    static watch w = {.mu = PTHREAD_MUTEX_INITIALIZER};
    if (mqpx_cond_init_monotonic(&w.changed) != 0) {
        fprintf(stderr, "mqplane bench: cannot make a condition variable\n");
        return EXIT_FAILED;
    }
    if (!cli_session_connect(ss, "bench", 5000, false)) {
        return EXIT_NO_BROKER;
    }
    if (mqp_client_subscribe(ss->client, ss->s.status_topic, 1, on_status, &w) != MQP_OK ||
        mqp_client_sync(ss->client, 5000) != MQP_OK) {
        fprintf(stderr, "mqplane bench: cannot subscribe to %s\n", ss->s.status_topic);
        return EXIT_NO_BROKER;
    }
    double *ms = calloc((size_t)o->count, sizeof *ms);
    if (!ms) {
        fprintf(stderr, "mqplane bench: out of memory\n");
        return EXIT_FAILED;
    }
    int timeout_ms = (int)(o->timeout_s * 1000);
    int rc = EXIT_OK;
    long long n = 0;
    for (; n < o->count && !atomic_load(&cli_stop_requested); n++) {
        bool pause = n % 2 == 0;
        ms[n] = round_trip(ss, &w, pause ? "pause" : "resume", pause ? "paused" : "running",
                           timeout_ms);
        if (ms[n] < 0) {
            fprintf(stderr,
                    "mqplane bench: round trip %lld: no '%s' status within %.1f s (is a "
                    "node running there?)\n",
                    n + 1, pause ? "paused" : "running", o->timeout_s);
            rc = EXIT_NO_BROKER;
            break;
        }
    }
    if (n % 2 == 1 || rc != EXIT_OK) { /* Leave the node running, as it was found. */
        round_trip(ss, &w, "resume", "running", timeout_ms);
    }
    if (rc == EXIT_OK && n > 0) {
        long long over = 0;
        for (long long i = 0; i < n; i++) {
            over += ms[i] > 10;
        }
        qsort(ms, (size_t)n, sizeof *ms, cmp_double);
#define PCT(p) ms[(size_t)((double)(n - 1) * (p) + 0.5)]
        printf("p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f over_10ms=%lld count=%lld\n",
               PCT(0.5), PCT(0.9), PCT(0.99), ms[n - 1], over, n);
#undef PCT
    }
    free(ms);
    return rc;
}

int cli_bench(int argc, char **argv)
{
    bench_opts o;
    int rc = parse_bench(argc, argv, &o);
    if (rc != CLI_GO) {
        return rc;
    }
    static cli_session ss;
    if (!cli_session_open(&ss, "bench", &o.tool)) {
        return EXIT_USAGE;
    }
    rc = o.what[0] == 'p' ? bench_publish(&o, &ss) : bench_rtt(&o, &ss);
    cli_session_close(&ss);
    return rc;
}
