/* The inference node: for each source, a pipeline thread runs source -> region of interest ->
 * detector -> tracker -> data plane (and, at their rate, annotated frames to a thread that
 * encodes and publishes them); a watchdog measures them; the control plane's commands arrive
 * on its own thread and touch only flags and snapshots, so no pipeline ever waits for the
 * network, for the encoder or for another pipeline. */
#ifndef NODE_NODE_H
#define NODE_NODE_H

#include "mqplane/config.h"
#include "mqplane/controlplane.h"

#include <stdatomic.h>
#include <stdint.h>

typedef struct node_opts {
    const char *url;               /* Broker; NULL: MQTT_URL and friends. */
    const char *const *sources;    /* Source specs, one pipeline each; none: "synthetic". */
    int nsources;                  /* At most NODE_MAX_SOURCES. */
    uint64_t seed;                 /* Source i of a synthetic kind uses seed + i. */
    const char *detector;          /* Detector spec (see detector_plugin.h); NULL: "motion". */
    bool detect_on_motion;         /* Run it only where motion is seen (gate.h); not with motion. */
    int full_pass_every;           /* Gated: a full-frame pass every this many frames; 0: 30. */
    double detect_fps;             /* Detector runs per second per source at most; 0: all. */
    const mqp_mqtt_settings *mqtt; /* Topics, QoS and TLS from the configuration; may be NULL. */
    const char *control_id;        /* NULL: "inference_control". */
    const char *data_id;           /* NULL: "inference_data". */
    double metrics_interval_s;     /* 0: metrics only on the metrics command. */
    bool crop;                     /* The adaptive region of interest, at start. */
    uint64_t max_frames;           /* Per source; 0: run until stopped. */
    double full_frames_fps;        /* Annotated frames per second per source; 0: none (but a
                                      snapshot command still publishes one). */
    double stall_timeout_s;        /* A live source silent this long is lost; 0: 5. */
    const atomic_int *stop_signal; /* Set by a signal handler to stop in order. */
    mqp_log_cb log_cb;
    void *log_user;
    mqp_log_level log_level;
} node_opts;

#define NODE_MAX_SOURCES 8

typedef struct node node;

mqp_err node_new(node **out, const node_opts *o, char *err, size_t errlen);
/* Runs until stopped (stop command, signal, max_frames); MQP_OK for an orderly stop. */
mqp_err node_run(node *n);
/* Status "stopped", health "shutdown", clean disconnects, everything freed. */
void node_free(node *n);

#endif
