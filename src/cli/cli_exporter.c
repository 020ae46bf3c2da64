/* mqplane exporter: the fleet's status, health, metrics and detections, from the broker, as
 * Prometheus metrics on /metrics (libmicrohttpd serves them; cli_exporter_model.c keeps and
 * renders them). Every namespace is watched: the reference topics and inference/+/... */
#define _GNU_SOURCE
#include "cli.h"
#include "cli_exporter_model.h"
#include "cli_fleet.h"
#include "cli_opts.h"

#include "clock.h"
#include "number.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifdef MQP_HAVE_MICROHTTPD
#include <microhttpd.h>
#endif

#define DEFAULT_LISTEN "127.0.0.1:9108"
#define NO_SYS_AFTER_S 30.0 /* Three of mosquitto's default sys_interval. */

static const char exporter_usage[] =
    "usage: mqplane exporter [options]\n"
    "\n"
    "Watches every node on the broker (the reference topics and every --node-id namespace):\n"
    "status, health, metrics and detections, and the broker's own $SYS figures, and serves\n"
    "them as Prometheus metrics on http://LISTEN/metrics. Nodes publish metrics when run with\n"
    "--metrics-interval S.\n"
    "Runs until Ctrl-C or SIGTERM.\n"
    "\n"
    "  -b, --broker URL      broker (default MQTT_URL, else mqtt://localhost:1883)\n"
    "  -L, --listen ADDR     HOST:PORT to serve on (default " DEFAULT_LISTEN "; [::1]:PORT for\n"
    "                        IPv6, 0.0.0.0:PORT for every interface)\n"
    "  -c, --config FILE     take the broker and topics from a configuration file\n"
    "  -l, --log-level L     error (default), warning, notice, info, debug\n"
    "      --migration-notice S, --migration-quiet S\n"
    "                        while migrating topic layouts (MQTT_TOPIC_PREVIOUS_VERSION set),\n"
    "                        the exporter counts seed 04's voice topics on both layouts\n"
    "                        (mqplane_migration_*): notices every S s (default 60; -l notice\n"
    "                        shows them), droppable after S s of silence (default 600)\n"
    "  -h, --help            this text\n";

typedef struct exporter_opts {
    cli_tool_opts tool;
    cli_migration_opts migration;
    const char *listen;
} exporter_opts;

static int parse_exporter(int argc, char **argv, exporter_opts *o)
{
    static const struct option longopts[] = {
        CLI_TOOL_LONGOPTS,
        CLI_MIGRATION_LONGOPTS,
        {"listen", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (exporter_opts){.tool = {.level = MQP_LOG_ERR}, .listen = DEFAULT_LISTEN};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:c:l:L:h", longopts, NULL)) != -1) {
        bool bad = false;
        if (cli_tool_opt(c, optarg, &o->tool)) {
            continue;
        }
        if (cli_migration_opt("exporter", c, optarg, &o->migration, &bad)) {
            if (bad) {
                return EXIT_USAGE;
            }
            continue;
        }
        if (c == 'L') {
            o->listen = optarg;
        } else {
            fputs(exporter_usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? EXIT_OK : EXIT_USAGE;
        }
    }
    if (o->tool.node_id) {
        return cli_usage_error("exporter", "--node-id: the exporter watches every namespace");
    }
    if (optind < argc) {
        return cli_usage_error("exporter", "unexpected argument '%s'", argv[optind]);
    }
    return CLI_GO;
}

/* HOST:PORT or [HOST]:PORT into a socket address; false with why in err. */
static bool parse_listen(const char *text, struct sockaddr_storage *sa, char *err, size_t len)
{
    char host[256];
    const char *colon = strrchr(text, ':');
    const char *h = text, *h_end = colon;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':') {
            snprintf(err, len, "'%s': expected [ADDRESS]:PORT", text);
            return false;
        }
        h = text + 1;
        h_end = close;
        colon = close + 1;
    }
    long long port;
    if (!colon || h_end == h || (size_t)(h_end - h) >= sizeof host ||
        mqpx_parse_int(colon + 1, 1, 65535, &port) != MQPX_NUM_OK) {
        snprintf(err, len, "'%s': expected HOST:PORT with a port 1..65535", text);
        return false;
    }
    memcpy(host, h, (size_t)(h_end - h));
    host[h_end - h] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char service[8];
    snprintf(service, sizeof service, "%lld", port);
    int rc = getaddrinfo(host, service, &hints, &ai);
    if (rc != 0 || !ai) {
        snprintf(err, len, "'%s': cannot resolve '%s': %s", text, host, gai_strerror(rc));
        return false;
    }
    memcpy(sa, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return true;
}

#ifdef MQP_HAVE_MICROHTTPD

typedef struct server {
    exp_model *m;
    mqp_client *client;
    mqp_migration *migration; /* NULL unless migrating. */
    exp_migration layouts;    /* Its layouts' names. */
} server;

/* The migration's counts into the model, before a rendering. */
static void snapshot_migration(server *s)
{
    if (!s->migration) {
        return;
    }
    exp_migration g = s->layouts;
    size_t n = mqp_migration_stats(s->migration, g.st, EXP_MAX_TEMPLATES);
    g.n = n < EXP_MAX_TEMPLATES ? n : EXP_MAX_TEMPLATES;
    g.droppable = mqp_migration_droppable(s->migration);
    exp_model_migration(s->m, &g);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **req)
{
    (void)version;
    (void)upload;
    (void)upload_len;
    (void)req;
    server *s = cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", strdup("GET only\n"), 9);
    }
    if (strcmp(url, "/metrics") == 0) {
        snapshot_migration(s);
        size_t len = 0;
        char *body =
            exp_model_render(s->m, mqpx_mono_s(), mqp_client_is_connected(s->client), &len);
        if (!body) {
            return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
                         strdup("out of memory\n"), 14);
        }
        return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len);
    }
    if (strcmp(url, "/") == 0) {
        static const char page[] = "mqplane exporter: the metrics are on /metrics\n";
        return reply(conn, MHD_HTTP_OK, "text/plain", strdup(page), sizeof page - 1);
    }
    return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", strdup("not found: try /metrics\n"), 24);
}

static int run_exporter(const exporter_opts *o)
{
    char err[512];
    struct sockaddr_storage sa = {0};
    if (!parse_listen(o->listen, &sa, err, sizeof err)) {
        return cli_usage_error("exporter", "--listen %s", err);
    }
    static cli_session ss;
    if (!cli_session_open(&ss, "exporter", &o->tool)) {
        return EXIT_USAGE;
    }
    static exp_model m;
    exp_model_init(&m);
    static fleet_sub subs[FLEET_SUBS];
    if (!cli_fleet_subscribe(&ss, &m, FLEET_HEALTH | FLEET_METRICS | FLEET_DETECTIONS | FLEET_SYS,
                             subs)) {
        cli_session_close(&ss);
        return EXIT_USAGE;
    }
    server srv = {&m, ss.client, NULL, {.on = true}};
    mqp_topics layout;
    if (!cli_migration_open(&ss, "exporter", &o->migration, NULL, NULL, &layout, &srv.migration)) {
        cli_session_close(&ss);
        exp_model_free(&m);
        return EXIT_USAGE;
    }
    snprintf(srv.layouts.current, sizeof srv.layouts.current, "%s", layout.version);
    snprintf(srv.layouts.previous, sizeof srv.layouts.previous, "%s", layout.previous_version);
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &srv,
                                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                            MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr,
                "mqplane exporter: cannot serve on %s (in use, or not an address of this "
                "machine?)\n",
                o->listen);
        mqp_migration_free(srv.migration);
        cli_session_close(&ss);
        exp_model_free(&m);
        return EXIT_USAGE;
    }
    cli_catch_stop_signals();
    cli_session_connect(&ss, "exporter", 5000, true);
    fprintf(stderr, "mqplane exporter: serving http://%s/metrics\n", o->listen);
    double connected_since = 0;
    bool said_no_sys = false;
    while (!cli_stop_requested) {
        mqpx_sleep_ms(50);
        double now = mqpx_mono_s();
        connected_since =
            mqp_client_is_connected(ss.client) ? (connected_since ? connected_since : now) : 0;
        pthread_mutex_lock(&m.mu);
        bool no_sys = m.broker.last_seen == 0;
        pthread_mutex_unlock(&m.mu);
        if (!said_no_sys && no_sys && connected_since && now - connected_since >= NO_SYS_AFTER_S) {
            said_no_sys = true;
            fprintf(stderr,
                    "mqplane exporter: no $SYS figures from the broker in %.0f s: it does not "
                    "publish them (RabbitMQ; mosquitto with sys_interval 0), or this user may not "
                    "read $SYS/# (the shipped ACL lets operator and monitor); "
                    "mqplane_broker_sys_seen is 0\n",
                    NO_SYS_AFTER_S);
        }
    }
    MHD_stop_daemon(d);
    mqp_migration_free(srv.migration);
    cli_session_close(&ss);
    exp_model_free(&m);
    return EXIT_OK;
}

#else

static int run_exporter(const exporter_opts *o)
{
    (void)o;
    fprintf(stderr, "mqplane exporter: not built: this mqplane was built without libmicrohttpd "
                    "(install libmicrohttpd-dev and build again)\n");
    (void)parse_listen;
    return EXIT_USAGE;
}

#endif

int cli_exporter(int argc, char **argv)
{
    exporter_opts o;
    int rc = parse_exporter(argc, argv, &o);
    return rc == CLI_GO ? run_exporter(&o) : rc;
}
