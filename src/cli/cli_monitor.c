/* mqplane monitor: watch a node: the live view in a terminal (cli_view.c), else one line per
 * message. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "cli_fleet.h"
#include "cli_json.h"
#include "cli_opts.h"
#include "cli_view.h"

#include "clock.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char monitor_usage[] =
    "usage: mqplane monitor [options] status|detections|metrics|health|full_frames|all|migration\n"
    "       mqplane monitor [options] --fleet\n"
    "\n"
    "In a terminal, shows a live view of the node (status, health, each source's rates and\n"
    "latencies, a map of the tracked boxes, the last events) and operates it with keys:\n"
    "p pause, r resume, c crop, s snapshot, m metrics, tab next source, q quit. Elsewhere\n"
    "(a pipe, a file), or with --plain, prints what the node publishes, one line per message:\n"
    "human-readable and aligned, or the raw JSON with --json. Runs until Ctrl-C (q), or until\n"
    "--count messages were shown (lines only).\n"
    "full_frames (annotated JPEG frames; not part of all) prints a line per frame, and with\n"
    "--out DIR saves each as DIR/source<ID>-frame<N>.jpg.\n"
    "migration (lines only; MQTT_TOPIC_PREVIOUS_VERSION set) prints seed 04's voice messages\n"
    "on both topic layouts, each with its layout, the library's notices of what still comes\n"
    "on the previous one, and its counts every --migration-notice S (default 60).\n"
    "--fleet prints every node on the broker (found by its retained status, the reference\n"
    "topics and every --node-id namespace), one line each: status, age of its latest message,\n"
    "fps and sources (from its metrics: run nodes with --metrics-interval), health events;\n"
    "every --interval S (default 2), --count tables.\n"
    "\n"
    "  -b, --broker URL      broker (default MQTT_URL, else mqtt://localhost:1883)\n"
    "      --node-id ID      the node's namespace, as given to mqplane run --node-id\n"
    "  -c, --config FILE     take the broker and topics from a configuration file\n"
    "  -n, --count N         stop after N messages (exit 0)\n"
    "  -j, --json            print each message's JSON as it arrived (lines)\n"
    "  -p, --plain           lines even in a terminal\n"
    "  -o, --out DIR         full_frames: save the frames in DIR (made if needed)\n"
    "  -F, --fleet           every node, a line each (see above)\n"
    "  -i, --interval S      --fleet: seconds between tables (default 2)\n"
    "  -l, --log-level L     error (default; notice for migration), warning, notice, info,\n"
    "                        debug\n"
    "      --migration-notice S, --migration-quiet S\n"
    "                        migration: notices every S s (default 60); the previous layout\n"
    "                        droppable after S s of silence (default 600)\n"
    "  -h, --help            this text\n";

typedef struct monitor {
    bool json;
    long long count;     /* 0: no limit */
    const char *out_dir; /* full_frames: where to save them, or NULL. */
    atomic_llong shown;
    double arrivals[32]; /* Recent detection arrival times, for the message rate. */
    size_t narrivals;
    pthread_mutex_t out; /* Lines come from one dispatch thread, but keep them whole anyway. */
} monitor;

static const char *sval(const cJSON *o, const char *k)
{
    return cli_json_str(o, k, "?");
}

static double nval(const cJSON *o, const char *k)
{
    return cli_json_num(o, k, -1);
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

static void describe_status(const mqp_message *msg, const cJSON *j, char *line, size_t len)
{
    (void)msg;
    snprintf(line, len, "status      %-13s %s", sval(j, "status"), sval(j, "client_id"));
}

static void describe_metrics(const mqp_message *msg, const cJSON *j, char *line, size_t len)
{
    (void)msg;
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "latency_reports"), 0);
    snprintf(line, len,
             "metrics     %5.1f fps  decode %.1f ms  inference %.1f ms  end to end %.1f ms",
             nval(j, "throughput_fps"), nval(r, "frame_decoding_latency_ms"),
             nval(r, "inference_latency_ms"), nval(r, "e2e_latency_ms"));
}

static void describe_health(const mqp_message *msg, const cJSON *j, char *line, size_t len)
{
    const char *id = strrchr(msg->topic, '/'); /* The client id is the last level. */
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
    snprintf(line, len, "health      %-13s %s %s", id ? id + 1 : msg->topic,
             cJSON_IsTrue(ok) ? "ok" : "NOT OK", sval(j, "event"));
}

static void describe_response(const mqp_message *msg, const cJSON *j, char *line, size_t len)
{
    (void)msg;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
    snprintf(line, len, "response    %-13s %s%s", sval(j, "command"),
             cJSON_IsTrue(ok) ? "ok" : "FAILED: ", cJSON_IsTrue(ok) ? "" : sval(j, "error"));
}

/* A subscription of the monitor: which feed it is. */
typedef struct watch {
    monitor *m;
    cli_feed f;
} watch;

static void describe(watch *w, const mqp_message *msg, const cJSON *j, char *line, size_t len)
{
    switch (w->f) {
    case CLI_FEED_STATUS:
        describe_status(msg, j, line, len);
        break;
    case CLI_FEED_DETECTIONS:
        describe_detections(w->m, j, line, len);
        break;
    case CLI_FEED_METRICS:
        describe_metrics(msg, j, line, len);
        break;
    case CLI_FEED_HEALTH:
        describe_health(msg, j, line, len);
        break;
    case CLI_FEED_RESPONSES:
        describe_response(msg, j, line, len);
        break;
    case CLI_FEED_FRAMES: /* Not JSON: see on_frame. */
    case CLI_FEEDS:
        break;
    }
}

/* The value of a user property, or "?". */
static const char *user_prop(const mqp_message *msg, const char *name)
{
    for (size_t i = 0; i < msg->n_user_props; i++) {
        if (strcmp(msg->user_props[i].name, name) == 0) {
            return msg->user_props[i].value;
        }
    }
    return "?";
}

/* An annotated frame: a line, and with --out a file named by its source and frame. */
static void on_frame(monitor *m, const mqp_message *msg, char *line, size_t len)
{
    const char *source = user_prop(msg, "source_id");
    const char *frame = user_prop(msg, "frame_id");
    int n = snprintf(line, len, "frame       source %s #%s  %s  %.1f KB", source, frame,
                     msg->content_type ? msg->content_type : "?", (double)msg->payload_len / 1024);
    if (!m->out_dir || n < 0 || (size_t)n >= len) {
        return;
    }
    char path[4096];
    bool named = strspn(source, "0123456789") == strlen(source) &&
                 strspn(frame, "0123456789") == strlen(frame);
    snprintf(path, sizeof path, "%s/source%s-frame%s.jpg", m->out_dir, named ? source : "x",
             named ? frame : "x");
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(msg->payload, 1, msg->payload_len, f) == msg->payload_len;
    if (f && fclose(f) != 0) {
        ok = false;
    }
    snprintf(line + n, len - (size_t)n, "  %s %s", ok ? "saved" : "NOT SAVED", path);
}

static int on_message(mqp_client *c, const mqp_message *msg, void *user)
{
    (void)c;
    watch *w = user;
    monitor *m = w->m;
    if (m->count && atomic_load(&m->shown) >= m->count) {
        return 0;
    }
    pthread_mutex_lock(&m->out);
    if (w->f == CLI_FEED_FRAMES) {
        char stamp[32], line[4200];
        clock_prefix(stamp, sizeof stamp);
        on_frame(m, msg, line, sizeof line);
        printf("%s %s\n", stamp, line);
        fflush(stdout);
        pthread_mutex_unlock(&m->out);
        atomic_fetch_add(&m->shown, 1);
        return 0;
    }
    if (m->json) {
        printf("%.*s\n", (int)msg->payload_len, (const char *)msg->payload);
    } else {
        char stamp[32], line[1024];
        clock_prefix(stamp, sizeof stamp);
        cJSON *j = cJSON_ParseWithLength(msg->payload, msg->payload_len);
        if (j) {
            describe(w, msg, j, line, sizeof line);
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

#define FEED(f)        (1u << (f))
#define FEED_MIGRATION (1u << 31) /* Not a node's feed: the voice topics on both layouts. */

/* The words the command line takes, and the feeds each one watches. */
static const struct {
    const char *name;
    unsigned feeds;
} choices[] = {
    {"status", FEED(CLI_FEED_STATUS)},
    {"detections", FEED(CLI_FEED_DETECTIONS)},
    {"metrics", FEED(CLI_FEED_METRICS)},
    {"health", FEED(CLI_FEED_HEALTH)},
    {"full_frames", FEED(CLI_FEED_FRAMES)},
    {"all", FEED(CLI_FEED_STATUS) | FEED(CLI_FEED_DETECTIONS) | FEED(CLI_FEED_METRICS) |
                FEED(CLI_FEED_HEALTH) | FEED(CLI_FEED_RESPONSES)},
    {"migration", FEED_MIGRATION},
};

typedef struct monitor_opts {
    cli_tool_opts tool;
    cli_migration_opts migration;
    bool fleet;
    double interval_s;
    long long count;
    bool json, plain;
    const char *out;
    unsigned feeds;
} monitor_opts;

static int parse_monitor(int argc, char **argv, monitor_opts *o)
{
    static const struct option longopts[] = {
        CLI_TOOL_LONGOPTS,
        CLI_MIGRATION_LONGOPTS,
        {"count", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"plain", no_argument, NULL, 'p'},
        {"out", required_argument, NULL, 'o'},
        {"fleet", no_argument, NULL, 'F'},
        {"interval", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (monitor_opts){.tool = {.level = MQP_LOG_ERR}, .interval_s = 2};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:c:n:jpo:Fi:l:h", longopts, NULL)) != -1) {
        bool bad = false;
        if (cli_tool_opt(c, optarg, &o->tool)) {
            continue;
        }
        if (cli_migration_opt("monitor", c, optarg, &o->migration, &bad)) {
            if (bad) {
                return EXIT_USAGE;
            }
            continue;
        }
        switch (c) {
        case 'n':
            if (!cli_int_arg("monitor", "--count", optarg, 1, LLONG_MAX, &o->count)) {
                return EXIT_USAGE;
            }
            break;
        case 'j':
            o->json = true;
            break;
        case 'p':
            o->plain = true;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'F':
            o->fleet = true;
            break;
        case 'i':
            if (!cli_number_arg("monitor", "--interval", optarg, 0.1, 3600, &o->interval_s)) {
                return EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(monitor_usage, stdout);
            return EXIT_OK;
        default:
            fputs(monitor_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (o->fleet) {
        if (optind < argc || o->tool.node_id) {
            return cli_usage_error("monitor", "--fleet watches every node: no %s",
                                   optind < argc ? argv[optind] : "--node-id");
        }
        return CLI_GO;
    }
    const char *what = optind == argc - 1 ? argv[optind] : NULL;
    for (size_t i = 0; what && i < sizeof choices / sizeof choices[0]; i++) {
        if (strcmp(what, choices[i].name) == 0) {
            o->feeds = choices[i].feeds;
        }
    }
    if (!o->feeds) {
        fprintf(stderr,
                "mqplane monitor: say what to watch: status, detections, metrics, "
                "health, full_frames, all or migration\n\n%s",
                monitor_usage);
        return EXIT_USAGE;
    }
    if (o->feeds == FEED_MIGRATION && (!o->tool.level || o->tool.level < MQP_LOG_NOTICE)) {
        o->tool.level = MQP_LOG_NOTICE; /* The library's notices are what migration is for. */
    }
    return CLI_GO;
}

bool cli_feed_topics_of(const mqp_mqtt_settings *s, cli_feed_topics *t)
{
    mqp_topic_var any = {"client_id", "+", 0};
    char err[MQP_TOPICS_ERRLEN];
    if (mqp_topic_build(MQP_TEMPLATE_HEALTH, &any, 1, MQP_TOPIC_FILTER, t->health, sizeof t->health,
                        err, sizeof err) != MQP_OK) {
        fprintf(stderr, "mqplane: %s\n", err);
        return false;
    }
    const char *topics[CLI_FEEDS] = {
        [CLI_FEED_STATUS] = s->status_topic,      [CLI_FEED_DETECTIONS] = s->data_topic,
        [CLI_FEED_METRICS] = s->metrics_topic,    [CLI_FEED_HEALTH] = t->health,
        [CLI_FEED_RESPONSES] = s->response_topic, [CLI_FEED_FRAMES] = s->full_frames_topic};
    static const int qos[CLI_FEEDS] = {
        [CLI_FEED_STATUS] = 1, [CLI_FEED_HEALTH] = 1, [CLI_FEED_RESPONSES] = 1};
    for (int f = 0; f < CLI_FEEDS; f++) {
        t->topic[f] = topics[f];
        t->qos[f] = qos[f];
    }
    return true;
}

/* Subscribes to each feed asked for. */
static bool subscribe_feeds(mqp_client *cl, const mqp_mqtt_settings *s, unsigned feeds,
                            watch *watches, monitor *m)
{
    static cli_feed_topics t;
    if (!cli_feed_topics_of(s, &t)) {
        return false;
    }
    for (cli_feed f = CLI_FEED_STATUS; f < CLI_FEEDS; f++) {
        if (feeds & FEED(f)) {
            watches[f] = (watch){m, f};
            mqp_client_subscribe(cl, t.topic[f], t.qos[f], on_message, &watches[f]);
        }
    }
    return true;
}

/* ---- migration: the voice topics on both layouts ---- */

typedef struct voice_watch {
    monitor *m;
    mqp_topics layout;
    char current_root[200];
} voice_watch;

static int on_voice(mqp_client *c, const mqp_message *msg, void *user)
{
    (void)c;
    voice_watch *v = user;
    monitor *m = v->m;
    if (m->count && atomic_load(&m->shown) >= m->count) {
        return 0;
    }
    bool current = strncmp(msg->topic, v->current_root, strlen(v->current_root)) == 0;
    const char *version = current ? v->layout.version : v->layout.previous_version;
    char stamp[32];
    clock_prefix(stamp, sizeof stamp);
    pthread_mutex_lock(&m->out);
    printf("%s [%s] %s %.*s%s\n", stamp, cli_layout_name(version), msg->topic,
           msg->payload_len > 160 ? 160 : (int)msg->payload_len, (const char *)msg->payload,
           msg->payload_len > 160 ? "…" : "");
    fflush(stdout);
    pthread_mutex_unlock(&m->out);
    atomic_fetch_add(&m->shown, 1);
    return 0;
}

static void print_migration_counts(monitor *m, mqp_migration *mig, const mqp_topics *t)
{
    mqp_migration_stat st[4];
    size_t n = mqp_migration_stats(mig, st, 4);
    char stamp[32];
    clock_prefix(stamp, sizeof stamp);
    pthread_mutex_lock(&m->out);
    for (size_t i = 0; i < n && i < 4; i++) {
        printf("%s %s: %llu on %s, %llu on %s (previous)", stamp, st[i].name,
               (unsigned long long)st[i].received[0], cli_layout_name(t->version),
               (unsigned long long)st[i].received[1], cli_layout_name(t->previous_version));
        if (st[i].previous_age_s >= 0) {
            printf(", the previous layout last heard %.0f s ago", st[i].previous_age_s);
        }
        printf("%s\n", mqp_migration_droppable(mig) ? ": it can be dropped" : "");
    }
    fflush(stdout);
    pthread_mutex_unlock(&m->out);
}

static int run_migration(cli_session *ss, const monitor_opts *o, monitor *m)
{
    static voice_watch v;
    v.m = m;
    mqp_migration *mig = NULL;
    if (!cli_migration_open(ss, "monitor", &o->migration, on_voice, &v, &v.layout, &mig)) {
        cli_session_close(ss);
        return EXIT_USAGE;
    }
    if (!mig) {
        fprintf(stderr, "mqplane monitor migration: the topic layout is not migrating: set "
                        "MQTT_TOPIC_PREVIOUS_VERSION to the layout migrated from (\"\" for the "
                        "legacy, unversioned one)\n");
        cli_session_close(ss);
        return EXIT_USAGE;
    }
    snprintf(v.current_root, sizeof v.current_root, "%s%s%s/room/", v.layout.version,
             v.layout.version[0] ? "/" : "", v.layout.base_prefix);
    cli_catch_stop_signals();
    cli_session_connect(ss, "monitor", 5000, true);
    int every_ms = (o->migration.notice_s ? o->migration.notice_s : 60) * 1000, waited = 0;
    while (!cli_stop_requested && !(m->count && atomic_load(&m->shown) >= m->count)) {
        mqpx_sleep_ms(20);
        if ((waited += 20) >= every_ms) {
            waited = 0;
            print_migration_counts(m, mig, &v.layout);
        }
    }
    print_migration_counts(m, mig, &v.layout);
    mqp_migration_free(mig);
    cli_session_close(ss);
    return EXIT_OK;
}

/* ---- --fleet: every node, a line each ---- */

static void print_fleet(exp_model *fm)
{
    char stamp[32];
    clock_prefix(stamp, sizeof stamp);
    pthread_mutex_lock(&fm->mu);
    size_t up = 0;
    for (size_t i = 0; i < fm->nnodes; i++) {
        up += strcmp(fm->nodes[i].status, "running") == 0;
    }
    printf("%s %zu node%s, %zu running\n", stamp, fm->nnodes, fm->nnodes == 1 ? "" : "s", up);
    printf("  %-20s %-13s %8s %7s %7s  %s\n", "NODE", "STATUS", "SINCE", "FPS", "SOURCES",
           "HEALTH");
    for (size_t i = 0; i < fm->nnodes; i++) {
        const exp_node *n = &fm->nodes[i];
        char fps[16] = "-", sources[16] = "-", age[16], health[160] = "";
        if (n->has_metrics) {
            int k = 0;
            for (int s = 0; s < EXP_MAX_SOURCES; s++) {
                k += n->src[s].reported;
            }
            snprintf(fps, sizeof fps, "%.1f", n->fps);
            snprintf(sources, sizeof sources, "%d", k);
        }
        double since = n->status_since > 0 ? mqpx_wall_s() - n->status_since : -1;
        if (since < 0) {
            snprintf(age, sizeof age, "-");
        } else {
            cli_duration(age, sizeof age, since);
        }
        size_t o = 0;
        for (size_t c = 0; c < fm->nclients && o < sizeof health; c++) {
            const exp_client *cl = &fm->clients[c];
            if (cl->node_known && strcmp(cl->node, n->id) == 0) {
                const char *conn = strstr(cl->id, "control") ? "control" : "data";
                o += (size_t)snprintf(health + o, sizeof health - o, "%s%s %s", o ? ", " : "", conn,
                                      cl->event);
            }
        }
        printf("  %-20s %-13s %8s %7s %7s  %s\n", cli_fleet_name(n->id),
               n->status[0] ? n->status : "?", age, fps, sources, health[0] ? health : "-");
    }
    if (fm->dropped_nodes) {
        printf("  (and more nodes than the %d shown: %llu messages of others left out)\n",
               EXP_MAX_NODES, (unsigned long long)fm->dropped_nodes);
    }
    pthread_mutex_unlock(&fm->mu);
    fflush(stdout);
}

static int run_fleet_view(cli_session *ss, const monitor_opts *o)
{
    static exp_model fm;
    static fleet_sub subs[FLEET_SUBS];
    exp_model_init(&fm);
    if (!cli_fleet_subscribe(ss, &fm, FLEET_HEALTH | FLEET_METRICS, subs)) {
        cli_session_close(ss);
        exp_model_free(&fm);
        return EXIT_USAGE;
    }
    cli_catch_stop_signals();
    int rc = EXIT_OK;
    if (!cli_session_connect(ss, "monitor", 5000, true) && o->count) {
        rc = EXIT_NO_BROKER; /* A script asked for tables it cannot have. */
    } else {
        cli_fleet_settle(ss, &fm, 300, 3000);
    }
    /* Each table after an interval of listening: rates and metrics need one. */
    for (long long shown = 0; rc == EXIT_OK && !cli_stop_requested;) {
        for (double until = mqpx_mono_s() + o->interval_s;
             !cli_stop_requested && mqpx_mono_s() < until;) {
            mqpx_sleep_ms(20);
        }
        print_fleet(&fm);
        if (o->count && ++shown >= o->count) {
            break;
        }
    }
    cli_session_close(ss);
    exp_model_free(&fm);
    return rc;
}

static int run_monitor(const monitor_opts *o)
{
    static monitor m;
    static watch watches[CLI_FEEDS];
    pthread_mutex_init(&m.out, NULL);
    m.json = o->json;
    m.out_dir = o->out;
    if (o->out && mkdir(o->out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "mqplane monitor: --out %s: %s\n", o->out, strerror(errno));
        return EXIT_USAGE;
    }
    m.count = o->count;
    static cli_session ss;
    if (!cli_session_open(&ss, "monitor", &o->tool)) {
        return EXIT_USAGE;
    }
    if (o->fleet) {
        return run_fleet_view(&ss, o);
    }
    if (o->feeds == FEED_MIGRATION) {
        return run_migration(&ss, o, &m);
    }
    /* The view shows every feed but annotated frames; a count or JSON means lines. */
    if (!o->json && !o->count && o->feeds != FEED(CLI_FEED_FRAMES) && cli_view_wanted(o->plain)) {
        cli_catch_stop_signals();
        cli_view_opts vo = {.title = "monitor", .node_id = o->tool.node_id};
        return cli_view_run(&ss, &vo);
    }
    mqp_client *cl = ss.client;
    if (!subscribe_feeds(cl, &ss.s, o->feeds, watches, &m)) {
        cli_session_close(&ss);
        return EXIT_USAGE;
    }
    cli_catch_stop_signals();
    cli_session_connect(&ss, "monitor", 5000, true);
    while (!cli_stop_requested && !(m.count && atomic_load(&m.shown) >= m.count)) {
        mqpx_sleep_ms(20);
    }
    cli_session_close(&ss);
    return EXIT_OK;
}

int cli_monitor(int argc, char **argv)
{
    monitor_opts o;
    int rc = parse_monitor(argc, argv, &o);
    return rc == CLI_GO ? run_monitor(&o) : rc;
}
