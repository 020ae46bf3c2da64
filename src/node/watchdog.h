/* The pipeline watchdog: throughput over a sliding window and per-stage latency per source.
 * Fed by the pipeline thread, read by the control plane's thread: it locks. */
#ifndef NODE_WATCHDOG_H
#define NODE_WATCHDOG_H

#include "mqplane/dataplane.h"

#include <pthread.h>
#include <stdint.h>

#define WATCHDOG_MAX_SOURCES 8
#define WATCHDOG_WINDOW      256 /* Frame completion times kept for the throughput. */

typedef struct watchdog {
    pthread_mutex_t mu;
    double window_s; /* Throughput is measured over at most this many seconds. */
    double done[WATCHDOG_WINDOW];
    size_t ndone;
    size_t head;
    int nsources;
    mqp_latency_report lat[WATCHDOG_MAX_SOURCES]; /* Exponential moving averages. */
    uint64_t frames;
} watchdog;

void watchdog_init(watchdog *w, int nsources, double window_s);
void watchdog_destroy(watchdog *w);
/* One frame of source done at time now (monotonic seconds), with its stage latencies. */
void watchdog_frame(watchdog *w, int source_id, double now, double decode_ms, double infer_ms,
                    double e2e_ms);
/* Frames per second over the window ending at now; 0 with fewer than two frames in it. */
double watchdog_fps(watchdog *w, double now);
/* A report for the metrics message; reports must hold WATCHDOG_MAX_SOURCES entries. */
void watchdog_report(watchdog *w, double now, mqp_metrics_report *m, mqp_latency_report *reports);

#endif
