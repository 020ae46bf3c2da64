#include "watchdog.h"

#include <string.h>

#define EMA 0.1 /* Weight of the newest latency sample. */

void watchdog_init(watchdog *w, int nsources, double window_s)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    w->window_s = window_s > 0 ? window_s : 5.0;
    w->nsources = nsources < 1                      ? 1
                  : nsources > WATCHDOG_MAX_SOURCES ? WATCHDOG_MAX_SOURCES
                                                    : nsources;
    for (int i = 0; i < w->nsources; i++) {
        w->lat[i].source_id = i;
    }
}

void watchdog_destroy(watchdog *w)
{
    pthread_mutex_destroy(&w->mu);
}

static double ema(double old, double v, uint64_t n)
{
    return n == 0 ? v : old + EMA * (v - old);
}

static void ring_add(watchdog_ring *r, double t)
{
    r->done[r->head] = t;
    r->head = (r->head + 1) % WATCHDOG_WINDOW;
    if (r->ndone < WATCHDOG_WINDOW) {
        r->ndone++;
    }
}

static double ring_fps(const watchdog_ring *r, double now, double window_s)
{
    /* Walk back from the newest completion while it lies inside the window. */
    size_t n = 0;
    double oldest = now;
    for (size_t i = 0; i < r->ndone; i++) {
        double t = r->done[(r->head + WATCHDOG_WINDOW - 1 - i) % WATCHDOG_WINDOW];
        if (now - t > window_s) {
            break;
        }
        oldest = t;
        n++;
    }
    double span = now - oldest;
    return n >= 2 && span > 0 ? (double)(n - 1) / span : 0.0;
}

void watchdog_frame(watchdog *w, int source_id, double now, double decode_ms, double infer_ms,
                    double e2e_ms)
{
    pthread_mutex_lock(&w->mu);
    ring_add(&w->all, now);
    if (source_id >= 0 && source_id < w->nsources) {
        mqp_latency_report *l = &w->lat[source_id];
        uint64_t n = w->frames[source_id]++;
        l->frame_decoding_latency_ms = ema(l->frame_decoding_latency_ms, decode_ms, n);
        l->inference_latency_ms = ema(l->inference_latency_ms, infer_ms, n);
        l->e2e_latency_ms = ema(l->e2e_latency_ms, e2e_ms, n);
        ring_add(&w->per[source_id], now);
    }
    pthread_mutex_unlock(&w->mu);
}

double watchdog_fps(watchdog *w, double now)
{
    pthread_mutex_lock(&w->mu);
    double fps = ring_fps(&w->all, now, w->window_s);
    pthread_mutex_unlock(&w->mu);
    return fps;
}

double watchdog_source_fps(watchdog *w, int source_id, double now)
{
    if (source_id < 0 || source_id >= w->nsources) {
        return 0;
    }
    pthread_mutex_lock(&w->mu);
    double fps = ring_fps(&w->per[source_id], now, w->window_s);
    pthread_mutex_unlock(&w->mu);
    return fps;
}

void watchdog_report(watchdog *w, double now, mqp_metrics_report *m, mqp_latency_report *reports)
{
    pthread_mutex_lock(&w->mu);
    memcpy(reports, w->lat, (size_t)w->nsources * sizeof *reports);
    *m = (mqp_metrics_report){.throughput_fps = ring_fps(&w->all, now, w->window_s),
                              .reports = reports,
                              .nreports = (size_t)w->nsources,
                              .sources_count = w->nsources};
    pthread_mutex_unlock(&w->mu);
}
