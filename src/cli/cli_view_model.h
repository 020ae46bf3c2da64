/* What the live view shows, kept from the node's messages: its status and health, each
 * source's rates and latencies, the tracked boxes of the latest detections, and the last few
 * events. Updated from the client's dispatch thread, read by the view's drawing under mu. */
#ifndef CLI_VIEW_MODEL_H
#define CLI_VIEW_MODEL_H

#include "mqplane/client.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIEW_MAX_SOURCES 8
#define VIEW_MAX_TRACKS  32
#define VIEW_MAX_EVENTS  8
#define VIEW_RATE_WINDOW 32 /* Detections messages a source's rates are measured over. */

typedef struct view_track {
    long id; /* -1: not tracked. */
    char cls[24];
    double confidence;
    int x, y, w, h;
    double first_seen; /* Monotonic seconds this view first saw the track id. */
} view_track;

typedef struct view_source {
    bool seen;
    char description[96];   /* From the status answer, or "". */
    char state[16];         /* "running", "lost", ...; "" until known. */
    int width, height;      /* The frames' size, from the status answer; 0: not known. */
    int extent_w, extent_h; /* The farthest box edges seen: the map's size when not known. */
    double arrivals[VIEW_RATE_WINDOW]; /* Monotonic arrival times of its detections messages. */
    double counts[VIEW_RATE_WINDOW];   /* Detections in each. */
    size_t narrivals;
    double decode_ms, infer_ms, e2e_ms; /* From the latest metrics; < 0: not known. */
    long long skipped; /* Frames skipped, from the latest metrics; -1: not known. */
    bool crop;         /* The latest detections carried roi_metrics. */
    view_track tracks[VIEW_MAX_TRACKS];
    size_t ntracks;
} view_source;

typedef struct view_health {
    char client[64];
    bool ok;
    char event[32];
    double at;
} view_health;

typedef struct view_model {
    pthread_mutex_t mu;
    char status[16];  /* The retained status: "running", "paused", ...; "" until one came. */
    double status_at; /* Monotonic seconds it arrived. */
    view_health health[4];
    size_t nhealth;
    double uptime_s, uptime_at; /* The node's uptime in its last status answer, and when. */
    view_source src[VIEW_MAX_SOURCES];
    char events[VIEW_MAX_EVENTS][160];
    double event_at[VIEW_MAX_EVENTS]; /* Wall-clock seconds, for the time shown. */
    size_t nevents;                   /* Ever added; the last VIEW_MAX_EVENTS are kept. */
    long long messages;               /* Every message the view took in. */
    double last_metrics;              /* Monotonic seconds the latest metrics came; 0: none. */
} view_model;

void view_model_init(view_model *m);
void view_model_free(view_model *m);

/* One of the node's messages, by the feed it came on. Each takes the lock. */
void view_model_status(view_model *m, const mqp_message *msg);
void view_model_health(view_model *m, const mqp_message *msg);
void view_model_detections(view_model *m, const mqp_message *msg);
void view_model_metrics(view_model *m, const mqp_message *msg);
/* An answer on the responses topic: an event, and a status answer's sources and sizes. */
void view_model_response(view_model *m, const mqp_message *msg);

/* An event line (takes the lock). */
void view_model_event(view_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A source's detections messages (frames) and detections per second over its latest
 * messages; 0 with fewer than two, or when the newest is older than stale_s. */
void view_source_rates(const view_source *s, double now, double stale_s, double *fps,
                       double *dets_per_s);

#endif
