#define _POSIX_C_SOURCE 200809L
#include "node.h"

#include "motion.h"
#include "roi.h"
#include "source.h"
#include "tracker.h"
#include "watchdog.h"

#include "mqplane/dataplane.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TRACKS 64

struct node {
    node_opts o;
    source *src;
    detector *det;
    tracker *trk;
    roi region;
    watchdog wd;
    bool wd_ready;
    mqp_dataplane *data;
    mqp_controlplane *control;
    atomic_bool paused;
    atomic_bool stop;
    atomic_bool crop;
    pthread_mutex_t mu; /* Guards the snapshot below, read by the control plane's thread. */
    tracker_stats tstats;
    uint64_t frames;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void logf_(node *n, mqp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logf_(node *n, mqp_log_level level, const char *fmt, ...)
{
    if (!n->o.log_cb || level > (n->o.log_level ? n->o.log_level : MQP_LOG_INFO)) {
        return;
    }
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    n->o.log_cb(level, line, n->o.log_user);
}

/* ---- commands (control plane thread) ---- */

static void status_result(node *n, mqp_command_reply *r)
{
    mqp_dataplane_stats ds;
    mqp_dataplane_stats_get(n->data, &ds);
    pthread_mutex_lock(&n->mu);
    uint64_t frames = n->frames;
    size_t active = n->tstats.confirmed;
    pthread_mutex_unlock(&n->mu);
    snprintf(r->result, r->result_cap,
             "{\"pipeline\":\"%s\",\"source\":\"%s\",\"frames\":%llu,\"fps\":%.2f,"
             "\"crop\":%s,\"tracks\":%zu,\"data_plane\":{\"messages_published\":%llu,"
             "\"dropped\":%llu,\"connected\":%s,\"topic\":\"%s\"}}",
             atomic_load(&n->paused) ? "paused" : "running", n->src->description,
             (unsigned long long)frames, watchdog_fps(&n->wd, mono_s()),
             atomic_load(&n->crop) ? "true" : "false", active,
             (unsigned long long)ds.messages_published, (unsigned long long)ds.dropped,
             ds.connected ? "true" : "false", ds.topic);
}

static void stabilization_result(node *n, mqp_command_reply *r)
{
    pthread_mutex_lock(&n->mu);
    tracker_stats s = n->tstats;
    pthread_mutex_unlock(&n->mu);
    snprintf(r->result, r->result_cap,
             "{\"tracks_active\":%zu,\"tracks_confirmed\":%zu,\"tracks_created\":%llu,"
             "\"tracks_confirmed_total\":%llu,\"tracks_dropped\":%llu,"
             "\"tentative_rejected\":%llu,\"flicker_suppressed\":%llu,\"frames\":%llu}",
             s.active, s.confirmed, (unsigned long long)s.created,
             (unsigned long long)s.confirmed_total, (unsigned long long)s.dropped,
             (unsigned long long)s.rejected, (unsigned long long)s.flicker_suppressed,
             (unsigned long long)s.frames);
}

static mqp_err publish_metrics(node *n)
{
    mqp_metrics_report m;
    mqp_latency_report reps[WATCHDOG_MAX_SOURCES];
    watchdog_report(&n->wd, mono_s(), &m, reps);
    return mqp_dataplane_publish_metrics(n->data, &m);
}

static mqp_err on_command(mqp_controlplane *cp, mqp_command cmd, mqp_command_reply *r, void *user)
{
    (void)cp;
    node *n = user;
    switch (cmd) {
    case MQP_CMD_PAUSE:
        atomic_store(&n->paused, true);
        return MQP_OK;
    case MQP_CMD_RESUME:
        atomic_store(&n->paused, false);
        return MQP_OK;
    case MQP_CMD_STOP:
        atomic_store(&n->stop, true);
        return MQP_OK;
    case MQP_CMD_STATUS:
        status_result(n, r);
        return MQP_OK;
    case MQP_CMD_METRICS: {
        mqp_err rc = publish_metrics(n);
        if (rc != MQP_OK) {
            snprintf(r->error, r->error_cap, "metrics not published: the data plane is %s",
                     rc == MQP_ERR_NO_CONN ? "not connected" : mqp_strerror(rc));
        }
        return rc;
    }
    case MQP_CMD_TOGGLE_CROP: {
        bool on = !atomic_load(&n->crop);
        atomic_store(&n->crop, on);
        snprintf(r->result, r->result_cap, "{\"crop\":%s}", on ? "true" : "false");
        return MQP_OK;
    }
    case MQP_CMD_STABILIZATION_STATS:
        stabilization_result(n, r);
        return MQP_OK;
    }
    return MQP_ERR_INVALID;
}

/* ---- creation ---- */

mqp_err node_new(node **out, const node_opts *o, char *err, size_t errlen)
{
    node *n = calloc(1, sizeof *n);
    if (!n) {
        return MQP_ERR_NOMEM;
    }
    n->o = *o;
    pthread_mutex_init(&n->mu, NULL);
    atomic_store(&n->crop, o->crop);
    mqp_err rc =
        source_open(&n->src, o->source_spec ? o->source_spec : "synthetic", o->seed, err, errlen);
    if (rc == MQP_OK) {
        rc = motion_new(&n->det, n->src->width, n->src->height, NULL, err, errlen);
    }
    if (rc == MQP_OK) {
        rc = tracker_new(&n->trk, NULL, err, errlen);
    }
    if (rc != MQP_OK) {
        node_free(n);
        return rc;
    }
    roi_init(&n->region, n->src->width, n->src->height, NULL);
    watchdog_init(&n->wd, 1, 5.0);
    n->wd_ready = true;
    const mqp_mqtt_settings *s = o->mqtt;
    mqp_client_opts base = {
        .url = o->url, .log_cb = o->log_cb, .log_user = o->log_user, .log_level = o->log_level};
    if (s) {
        mqp_mqtt_settings_apply(s, &base);
        base.url = o->url ? o->url : s->url; /* The command line wins over the file. */
        base.client_id = NULL;               /* Each plane has its own id. */
    }
    mqp_dataplane_opts dopts = {.client = base};
    mqp_controlplane_opts copts = {.client = base, .on_command = on_command, .user = n};
    dopts.client.client_id = o->data_id;
    copts.client.client_id = o->control_id;
    if (s) {
        dopts.detections_topic = s->data_topic;
        dopts.metrics_topic = s->metrics_topic;
        dopts.qos = s->data_qos;
        copts.command_topic = s->command_topic;
        copts.status_topic = s->status_topic;
        copts.response_topic = s->response_topic;
    }
    rc = mqp_dataplane_new(&n->data, &dopts, err, errlen);
    if (rc == MQP_OK) {
        rc = mqp_controlplane_new(&n->control, &copts, err, errlen);
    }
    if (rc == MQP_OK) {
        rc = mqp_controlplane_start(n->control, 0);
    }
    if (rc != MQP_OK) {
        node_free(n);
        return rc;
    }
    logf_(n, MQP_LOG_INFO, "node: source %s, broker %s", n->src->description,
          mqp_client_url(mqp_controlplane_client(n->control)));
    *out = n;
    return MQP_OK;
}

/* ---- the pipeline ---- */

static bool stopping(node *n)
{
    return atomic_load(&n->stop) || (n->o.stop_signal && *n->o.stop_signal);
}

static void publish_frame(node *n, const source_frame *f, const tracked *tracks, size_t ntracks,
                          box region, bool crop)
{
    mqp_detection d[MAX_TRACKS];
    for (size_t i = 0; i < ntracks; i++) {
        const detection *t = &tracks[i].det;
        d[i] =
            (mqp_detection){t->class_name, t->confidence, t->b.x,      t->b.y,
                            t->b.w,        t->b.h,        t->class_id, (int64_t)tracks[i].track_id};
    }
    mqp_frame_info fi = {f->frame_id, 0, f->capture_wall};
    mqp_roi_info ri = {region.x, region.y, region.w, region.h, region.x, region.y};
    /* Never waits: offline, the data plane drops and counts. */
    mqp_dataplane_publish_detections(n->data, d, ntracks, &fi, crop ? &ri : NULL);
}

static mqp_err process_frame(node *n, tracked *tracks, size_t *ntracks)
{
    source_frame f;
    mqp_err rc = n->src->ops->read(n->src, &f);
    if (rc != MQP_OK) {
        return rc;
    }
    bool crop = atomic_load(&n->crop);
    if (crop != n->region.enabled) {
        roi_set_enabled(&n->region, crop);
    }
    double t0 = mono_s();
    box region = roi_next(&n->region, tracks, *ntracks);
    detection dets[MAX_TRACKS];
    size_t ndets = 0;
    rc = detector_detect(n->det, image_view_crop(f.view, region), dets, MAX_TRACKS, &ndets);
    if (rc != MQP_OK) {
        logf_(n, MQP_LOG_ERR, "detector failed on frame %llu: %s", (unsigned long long)f.frame_id,
              mqp_strerror(rc));
        ndets = 0;
    }
    roi_map_back(region, dets, ndets);
    tracker_update(n->trk, dets, ndets, tracks, MAX_TRACKS, ntracks);
    double infer_ms = (mono_s() - t0) * 1e3;
    publish_frame(n, &f, tracks, *ntracks, region, crop);
    double done = mono_s();
    watchdog_frame(&n->wd, 0, done, f.decode_ms, infer_ms, (done - f.capture_mono) * 1e3);
    pthread_mutex_lock(&n->mu);
    tracker_stats_get(n->trk, &n->tstats);
    n->frames++;
    pthread_mutex_unlock(&n->mu);
    return MQP_OK;
}

mqp_err node_run(node *n)
{
    tracked tracks[MAX_TRACKS];
    size_t ntracks = 0;
    bool running = false;
    double next_metrics = mono_s() + n->o.metrics_interval_s;
    mqp_err rc = MQP_OK;
    while (!stopping(n)) {
        if (n->o.max_frames && n->frames >= n->o.max_frames) {
            break;
        }
        if (atomic_load(&n->paused)) {
            /* Paused: frames are not read, and the tracks are forgotten (the scene moves on). */
            ntracks = 0;
            tracker_reset(n->trk);
            nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
            continue;
        }
        rc = process_frame(n, tracks, &ntracks);
        if (rc != MQP_OK) {
            logf_(n, rc == MQP_ERR_NOT_FOUND ? MQP_LOG_NOTICE : MQP_LOG_ERR, "source %s: %s",
                  n->src->description, rc == MQP_ERR_NOT_FOUND ? "ended" : mqp_strerror(rc));
            rc = rc == MQP_ERR_NOT_FOUND ? MQP_OK : rc;
            break;
        }
        if (!running) {
            running = true;
            mqp_controlplane_set_status(n->control, MQP_STATUS_RUNNING);
            logf_(n, MQP_LOG_INFO, "pipeline running");
        }
        if (n->o.metrics_interval_s > 0 && mono_s() >= next_metrics) {
            publish_metrics(n);
            next_metrics += n->o.metrics_interval_s;
        }
    }
    logf_(n, MQP_LOG_INFO, "stopping after %llu frames", (unsigned long long)n->frames);
    mqp_controlplane_set_status(n->control, MQP_STATUS_STOPPED);
    return rc;
}

void node_free(node *n)
{
    if (!n) {
        return;
    }
    mqp_controlplane_destroy(n->control);
    mqp_dataplane_destroy(n->data);
    if (n->wd_ready) {
        watchdog_destroy(&n->wd);
    }
    tracker_free(n->trk);
    detector_destroy(n->det);
    source_close(n->src);
    pthread_mutex_destroy(&n->mu);
    free(n);
}
