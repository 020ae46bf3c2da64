/* The pipeline watchdog: throughput over a sliding window, for the node and per source, and
 * per-stage latency per source. Fed by the pipeline threads, read by the control plane's
 * thread: it locks. */
#ifndef NODE_WATCHDOG_H
#define NODE_WATCHDOG_H

#include "mqplane/dataplane.h"

#include <pthread.h>
#include <stdint.h>

#define WATCHDOG_MAX_SOURCES 8
#define WATCHDOG_WINDOW      256 /* Frame completion times kept for a throughput. */

/* Completion times of the last WATCHDOG_WINDOW frames. */
typedef struct watchdog_ring {
    double done[WATCHDOG_WINDOW];
    size_t ndone;
    size_t head;
} watchdog_ring;

typedef struct watchdog {
    pthread_mutex_t mu;
    double window_s; /* Throughput is measured over at most this many seconds. */
    watchdog_ring all;
    int nsources;
    watchdog_ring per[WATCHDOG_MAX_SOURCES];
    uint64_t frames[WATCHDOG_MAX_SOURCES];
    mqp_latency_report lat[WATCHDOG_MAX_SOURCES]; /* Exponential moving averages. */
} watchdog;

void watchdog_init(watchdog *w, int nsources, double window_s);
void watchdog_destroy(watchdog *w);
/* One frame of source done at time now (monotonic seconds), with its stage latencies. */
void watchdog_frame(watchdog *w, int source_id, double now, double decode_ms, double infer_ms,
                    double e2e_ms);
/* Frames per second over the window ending at now; 0 with fewer than two frames in it. */
double watchdog_fps(watchdog *w, double now);
/* The same for one source. */
double watchdog_source_fps(watchdog *w, int source_id, double now);
/* A report for the metrics message; reports must hold WATCHDOG_MAX_SOURCES entries. */
void watchdog_report(watchdog *w, double now, mqp_metrics_report *m, mqp_latency_report *reports);

#endif
