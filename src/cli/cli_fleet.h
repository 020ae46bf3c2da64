/* The fleet as the operators' tools see it: every node on the broker, on the reference topics
 * and in every --node-id namespace, found by its messages and kept in an exp_model
 * (cli_exporter_model.c): the exporter, mqplane monitor --fleet and mqplane ctl --all. */
#ifndef CLI_FLEET_H
#define CLI_FLEET_H

#include "cli.h"
#include "cli_exporter_model.h"

/* What to watch besides the retained statuses. */
enum {
    FLEET_HEALTH = 1u << 0,
    FLEET_METRICS = 1u << 1,
    FLEET_DETECTIONS = 1u << 2, /* Every frame of every node: the exporter's counts. */
    FLEET_SYS = 1u << 3,        /* The broker's $SYS figures. */
};

/* One subscription's routing (kept by the caller, FLEET_SUBS of them, for the client's life). */
typedef struct fleet_sub {
    exp_model *m;
    void (*take)(exp_model *m, const char *node, const char *payload, size_t len);
    bool namespaced; /* inference/<node id>/...: the node is the topic's second level. */
    bool sys;
} fleet_sub;
#define FLEET_SUBS 8

/* Subscribes ss's client to the statuses and what `what` asks for, into m. False, said, on a
 * topic that cannot be built. */
bool cli_fleet_subscribe(cli_session *ss, exp_model *m, unsigned what, fleet_sub subs[FLEET_SUBS]);

/* Waits until the retained statuses have come: connected and subscribed, then no new node for
 * quiet_ms (the broker sends what it retains right after its SUBACK), max_ms at most. */
void cli_fleet_settle(cli_session *ss, exp_model *m, int quiet_ms, int max_ms);

/* How a node is named to people: its id, "default" for the reference topics. */
const char *cli_fleet_name(const char *id);

#endif
