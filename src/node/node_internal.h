/* The node's parts, shared by node.c (life cycle, planes, source events), node_commands.c (the
 * control plane's side) and node_pipeline.c (one source's stages). */
#ifndef NODE_NODE_INTERNAL_H
#define NODE_NODE_INTERNAL_H

#include "node.h"

#include "detector.h"
#include "framepub.h"
#include "gate.h"
#include "roi.h"
#include "source.h"
#include "tracker.h"
#include "watchdog.h"

#include "mqplane/dataplane.h"

#include "ratelimit.h"

#define FAILURE_LOG_EVERY_S 10.0 /* A detector failing on every frame is logged this often. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define NODE_MAX_TRACKS 64

/* One source's stages, run by one thread. The detector and the region are made for the size
 * of the frames, when the first one comes (a camera's is known only then) and again if it
 * changes. */
typedef struct pipeline {
    struct node *n;
    int id;
    source *src;
    detector *detector;
    gate gate; /* Whether and where the detector runs on a frame. */
    bool gate_ready;
    tracker *trk;
    roi region;
    int width, height; /* Of the frames the stages were made for; 0: none yet. */
    tracked tracks[NODE_MAX_TRACKS];
    size_t ntracks;
    pthread_t thread;
    bool started;
    atomic_bool in_frame;  /* Processing or publishing a frame, not waiting for one (pause). */
    atomic_bool snapshot;  /* Publish the next frame annotated, whatever the rate. */
    double next_annotated; /* Monotonic time the next periodic annotated frame is due. */
    uint8_t *rgb;          /* The colour frame handed to the frame publisher. */
    size_t rgb_cap;
    mqp_err result;
    mqpx_ratelimit failure_log; /* Detector failures: one line every FAILURE_LOG_EVERY_S. */
    /* Snapshot for the control plane, guarded by node.mu. */
    tracker_stats tstats;
    uint64_t frames;
    mqp_detector_report det_stats; /* Its name is the node's detector_name. */
    int frame_width, frame_height; /* The frames' size; 0 before the first. */
} pipeline;

typedef struct node {
    node_opts o;
    char detector_name[64]; /* What the spec makes: "motion", a plugin's name. */
    pipeline pipes[NODE_MAX_SOURCES];
    int npipes;
    watchdog wd;
    bool wd_ready;
    mqp_dataplane *data;
    mqp_controlplane *control;
    framepub *frames;         /* NULL when built without JPEG support. */
    atomic_bool planes_ready; /* data and control are set (sources report before that). */
    atomic_bool paused;
    atomic_bool stop;
    atomic_bool crop;
    atomic_bool running; /* Some pipeline has processed a frame. */
    atomic_int live;     /* Pipelines still running. */
    double started;      /* Monotonic seconds node_new() ran: the uptime's start. */
    pthread_mutex_t mu;  /* Guards the pipelines' snapshots. */
} node;

void node_log(node *n, mqp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool node_stopping(node *n);

/* node_commands.c */
mqp_err node_on_command(mqp_controlplane *cp, mqp_command cmd, mqp_command_reply *r, void *user);
mqp_err node_publish_metrics(node *n);

/* node_pipeline.c */
void *node_pipeline_main(void *arg);
void node_pipeline_free(pipeline *p);

#endif
