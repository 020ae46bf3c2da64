/* What mqplane exporter knows of the fleet, from the nodes' messages, and its rendering in the
 * Prometheus text format (version 0.0.4). Updated from the client's dispatch thread, rendered
 * from the HTTP server's thread, both under mu. */
#ifndef CLI_EXPORTER_MODEL_H
#define CLI_EXPORTER_MODEL_H

#include "mqplane/migration.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXP_MAX_NODES   1024 /* A site or two; beyond, counted as left out. */
#define EXP_MAX_SOURCES 8
#define EXP_MAX_CLIENTS 2048

typedef struct exp_source {
    bool reported;                               /* A metrics report named it. */
    double decode_s, infer_s, e2e_s;             /* Latencies, in seconds (Prometheus' unit). */
    double skipped, runs, failures, det_skipped; /* As the node counts them. */
    uint64_t frames, detections;                 /* Counted here, from its detections. */
} exp_source;

typedef struct exp_node {
    char id[128]; /* The namespace's node id; "" for the default namespace. */
    char status[16];
    double status_since; /* Epoch seconds of its status' timestamp; 0: none. */
    double last_seen;    /* Monotonic seconds of its latest message. */
    bool has_metrics;
    double fps;
    double published, dropped, dropped_full, unsent_lost;
    exp_source src[EXP_MAX_SOURCES];
} exp_node;

typedef struct exp_client {
    char id[128];
    char node[128]; /* The node it belongs to, by its id's form; "" for the default one. */
    bool node_known;
    bool ok;
    char event[32];
    uint64_t reconnects; /* "reconnected" events seen. */
} exp_client;

/* The broker's own figures, from its $SYS/broker/... topics (mosquitto publishes them every
 * sys_interval seconds; RabbitMQ does not, and an ACL may hide them). */
typedef enum exp_sys {
    SYS_UPTIME,
    SYS_CLIENTS_CONNECTED,
    SYS_CLIENTS_MAXIMUM,
    SYS_MESSAGES_RECEIVED,
    SYS_MESSAGES_SENT,
    SYS_BYTES_RECEIVED,
    SYS_BYTES_SENT,
    SYS_RETAINED,
    SYS_STORED,
    SYS_HEAP,
    SYS_LOAD_RECEIVED_1MIN,
    SYS_LOAD_SENT_1MIN,
    SYS_FIGURES
} exp_sys;

typedef struct exp_broker {
    bool has[SYS_FIGURES];
    double v[SYS_FIGURES];
    double last_seen;  /* Monotonic seconds of the latest $SYS message; 0: none yet. */
    uint64_t restarts; /* Times its uptime went back. */
} exp_broker;

/* A topic-layout migration the exporter watches (MQTT_TOPIC_PREVIOUS_VERSION), as the
 * library counts it: a snapshot taken before each rendering. */
#define EXP_MAX_TEMPLATES 8
typedef struct exp_migration {
    bool on;
    char current[32], previous[32]; /* The layouts' versions; "" is the legacy one. */
    mqp_migration_stat st[EXP_MAX_TEMPLATES];
    size_t n;
    bool droppable;
} exp_migration;

typedef struct exp_model {
    pthread_mutex_t mu;
    exp_broker broker;
    exp_migration migration;
    exp_node nodes[EXP_MAX_NODES];
    size_t nnodes;
    exp_client clients[EXP_MAX_CLIENTS];
    size_t nclients;
    uint64_t messages, bad_messages, dropped_nodes;
} exp_model;

void exp_model_init(exp_model *m);
void exp_model_free(exp_model *m);

/* A message of node `node` ("" for the default namespace). Each takes the lock. */
void exp_model_status(exp_model *m, const char *node, const char *payload, size_t len);
void exp_model_metrics(exp_model *m, const char *node, const char *payload, size_t len);
void exp_model_detections(exp_model *m, const char *node, const char *payload, size_t len);
/* A health message of client `client` (the last level of its topic). */
void exp_model_health(exp_model *m, const char *client, const char *payload, size_t len);

/* A message on $SYS/broker/... (the topic whole); others are left alone. */
void exp_model_sys(exp_model *m, const char *topic, const char *payload, size_t len);

/* The migration's figures now (under the lock): what exp_model_render shows of it. */
void exp_model_migration(exp_model *m, const exp_migration *now);

/* The Prometheus text of everything known, now (monotonic seconds), into a buffer it
 * allocates (free()); NULL when out of memory. connected: the exporter's own connection. */
char *exp_model_render(exp_model *m, double now, bool connected, size_t *len);

#endif
