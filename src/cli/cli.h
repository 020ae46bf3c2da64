/* The mqplane command line: one executable, one file per subcommand (like curl's tool_*). */
#ifndef CLI_H
#define CLI_H

#include "mqplane/mqplane.h"

#include <signal.h>
#include <stdatomic.h>

/* Exit statuses, documented in mqplane --help and docs/OPERATIONS.md. */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,    /* The command ran and failed (a command answered ok: false). */
    EXIT_NO_BROKER = 2, /* Could not connect, or no answer in time. */
    EXIT_USAGE = 64     /* Bad arguments or configuration. */
};

/* Each subcommand is parse_X(argc, argv, &opts), which returns CLI_GO or an exit status (help,
 * a bad argument), then run_X(&opts), which does the work: the command line is read whole
 * before anything happens. */
#define CLI_GO (-1)

int cli_run(int argc, char **argv);
int cli_ctl(int argc, char **argv);
int cli_monitor(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_services(int argc, char **argv);
int cli_config(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_exporter(int argc, char **argv);

/* Topics and client ids of a node namespace (--node-id), filled into s. Owns the strings. */
typedef struct cli_namespace {
    char topics[6][256];
    char control_id[128];
    char data_id[128];
} cli_namespace;

/* A topic of node node_id's namespace, inference/<id>/<plane>/<name> (MQP_TEMPLATE_NODE); with
 * node_id "+" and MQP_TOPIC_FILTER, the filter for every namespace. False with why in err. */
bool cli_node_topic(const char *node_id, const char *plane, const char *name, mqp_topic_kind kind,
                    char *buf, size_t len, char *err, size_t errlen);

/* With a node id, points s's topics at inference/<id>/...; prints the error and returns false
 * for an id that is not one topic level. A NULL id changes nothing. */
bool cli_apply_node_id(const char *node_id, mqp_mqtt_settings *s, cli_namespace *ns,
                       const char *cmd);

/* What an operator's tool (ctl, monitor) works with: the configuration's settings in a node's
 * namespace, and a client of its own for the broker. */
typedef struct cli_session {
    mqp_config *cfg;
    mqp_mqtt_settings s;
    cli_namespace ns;
    mqp_client *client;
} cli_session;

/* The options every operator's tool (ctl, monitor, bench) takes: -b/--broker URL,
 * -c/--config FILE, --node-id ID, -l/--log-level L. CLI_TOOL_LONGOPTS goes into the tool's
 * getopt_long table (short options "b:c:l:"), and cli_tool_opt() takes what getopt returned:
 * true when it was one of them (stored in t; a bad log level exits with EXIT_USAGE). */
typedef struct cli_tool_opts {
    const char *broker, *config, *node_id;
    mqp_log_level level; /* MQP_LOG_ERR unless given (0 counts as not given). */
} cli_tool_opts;
/* clang-format off */
#define CLI_TOOL_LONGOPTS                         \
    {"broker", required_argument, NULL, 'b'},     \
    {"config", required_argument, NULL, 'c'},     \
    {"node-id", required_argument, NULL, 'N'},    \
    {"log-level", required_argument, NULL, 'l'}
/* clang-format on */
bool cli_tool_opt(int c, const char *arg, cli_tool_opts *t);

/* Loads the configuration (may be NULL), applies the namespace (may be NULL) and creates a
 * client with a fresh id and no health, so it never takes over a node's connection. Prints
 * the reason and returns false on a bad configuration, node id or URL. */
bool cli_session_open(cli_session *ss, const char *cmd, const cli_tool_opts *t);
/* Connects within timeout_ms; on failure prints "mqplane CMD: cannot reach the broker: WHY"
 * (with "(still trying)" when the caller keeps the client going) and returns false. */
bool cli_session_connect(cli_session *ss, const char *cmd, int timeout_ms, bool still_trying);
void cli_session_close(cli_session *ss);

/* Watching a topic-layout migration (cli_migration.c), for exporter and monitor: the layout of
 * the environment (MQTT_TOPIC_VERSION, MQTT_BASE_PREFIX, MQTT_TOPIC_PREVIOUS_VERSION) and, while
 * it migrates, seed 04's voice template subscribed on both layouts through mqp_migration:
 * counted per layout, with its notices on the tool's log. CLI_MIGRATION_LONGOPTS
 * (--migration-notice S, --migration-quiet S) go into the tool's getopt_long table, and
 * cli_migration_opt() takes what getopt returned: true when it was one of them (a bad value
 * sets *bad). */
typedef struct cli_migration_opts {
    int notice_s, quiet_s; /* 0: the library's defaults (60, 600). */
} cli_migration_opts;
enum { CLI_OPT_MIGRATION_NOTICE = 0x4d00, CLI_OPT_MIGRATION_QUIET };
/* clang-format off */
#define CLI_MIGRATION_LONGOPTS                                                       \
    {"migration-notice", required_argument, NULL, CLI_OPT_MIGRATION_NOTICE},         \
    {"migration-quiet", required_argument, NULL, CLI_OPT_MIGRATION_QUIET}
/* clang-format on */
bool cli_migration_opt(const char *cmd, int c, const char *arg, cli_migration_opts *o, bool *bad);
/* The layout into *t; while it migrates, a migration watching the voice template (each message
 * also to cb, which may be NULL) into *out, else *out = NULL. False, said, on a bad layout. */
bool cli_migration_open(cli_session *ss, const char *cmd, const cli_migration_opts *o,
                        mqp_handler_cb cb, void *user, mqp_topics *t, mqp_migration **out);
/* "legacy" for the unversioned layout's version "", else the version. */
static inline const char *cli_layout_name(const char *version)
{
    return *version ? version : "legacy";
}

/* A span of seconds for people: "42 s", "12 min", "3.5 h", "9 days". */
void cli_duration(char *buf, size_t len, double s);

/* Set by SIGINT, SIGTERM and SIGHUP (unless ignored, as under nohup) once
 * cli_catch_stop_signals() ran: the long-running subcommands
 * (run, monitor, demo) poll it and stop in order. */
extern atomic_int cli_stop_requested;
void cli_catch_stop_signals(void);

/* What an operator's tool (monitor, the live view) may watch of a node: each feed one
 * subscription, its topic in the session's namespace and its QoS; health is every client's
 * (MQP_TEMPLATE_HEALTH, any client id). */
typedef enum cli_feed {
    CLI_FEED_STATUS,
    CLI_FEED_DETECTIONS,
    CLI_FEED_METRICS,
    CLI_FEED_HEALTH,
    CLI_FEED_RESPONSES,
    CLI_FEED_FRAMES,
    CLI_FEEDS
} cli_feed;
typedef struct cli_feed_topics {
    char health[256];
    const char *topic[CLI_FEEDS];
    int qos[CLI_FEEDS];
} cli_feed_topics;
/* Fills t from s (whose strings it points to); prints why and returns false if the health
 * filter cannot be built. */
bool cli_feed_topics_of(const mqp_mqtt_settings *s, cli_feed_topics *t);

/* Prints "mqplane CMD: MESSAGE" and "(see mqplane CMD --help)" to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints library and CLI log lines to stderr with a time and a level. */
void cli_log(mqp_log_level level, const char *msg, void *user);
/* The -v/--log-level value; exits with EXIT_USAGE on a bad name. */
mqp_log_level cli_log_level(const char *name);

#endif
