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

void watchdog_frame(watchdog *w, int source_id, double now, double decode_ms, double infer_ms,
                    double e2e_ms)
{
    pthread_mutex_lock(&w->mu);
    w->done[w->head] = now;
    w->head = (w->head + 1) % WATCHDOG_WINDOW;
    if (w->ndone < WATCHDOG_WINDOW) {
        w->ndone++;
    }
    if (source_id >= 0 && source_id < w->nsources) {
        mqp_latency_report *l = &w->lat[source_id];
        l->frame_decoding_latency_ms = ema(l->frame_decoding_latency_ms, decode_ms, w->frames);
        l->inference_latency_ms = ema(l->inference_latency_ms, infer_ms, w->frames);
        l->e2e_latency_ms = ema(l->e2e_latency_ms, e2e_ms, w->frames);
    }
    w->frames++;
    pthread_mutex_unlock(&w->mu);
}

static double fps_locked(const watchdog *w, double now)
{
    /* Walk back from the newest completion while it lies inside the window. */
    size_t n = 0;
    double oldest = now;
    for (size_t i = 0; i < w->ndone; i++) {
        double t = w->done[(w->head + WATCHDOG_WINDOW - 1 - i) % WATCHDOG_WINDOW];
        if (now - t > w->window_s) {
            break;
        }
        oldest = t;
        n++;
    }
    double span = now - oldest;
    return n >= 2 && span > 0 ? (double)(n - 1) / span : 0.0;
}

double watchdog_fps(watchdog *w, double now)
{
    pthread_mutex_lock(&w->mu);
    double fps = fps_locked(w, now);
    pthread_mutex_unlock(&w->mu);
    return fps;
}

void watchdog_report(watchdog *w, double now, mqp_metrics_report *m, mqp_latency_report *reports)
{
    pthread_mutex_lock(&w->mu);
    memcpy(reports, w->lat, (size_t)w->nsources * sizeof *reports);
    *m = (mqp_metrics_report){.throughput_fps = fps_locked(w, now),
                              .reports = reports,
                              .nreports = (size_t)w->nsources,
                              .sources_count = w->nsources};
    pthread_mutex_unlock(&w->mu);
}
