#define _POSIX_C_SOURCE 200809L
#include "node.h"

#include "motion.h"
#include "roi.h"
#include "source.h"
#include "tracker.h"
#include "watchdog.h"

#include "mqplane/dataplane.h"

#include "clock.h"
#include "json_write.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TRACKS    64
#define PAUSE_WAIT_MS 2000 /* Longest a pause waits for the frames in progress. */

typedef struct node node;

/* One source's stages, run by one thread. */
typedef struct pipeline {
    node *n;
    int id;
    source *src;
    detector *det;
    tracker *trk;
    roi region;
    tracked tracks[MAX_TRACKS];
    size_t ntracks;
    pthread_t thread;
    bool started;
    atomic_bool in_frame; /* Reading, processing or publishing a frame (see pause_pipelines). */
    mqp_err result;
    /* Snapshot for the control plane, guarded by node.mu. */
    tracker_stats tstats;
    uint64_t frames;
} pipeline;

struct node {
    node_opts o;
    pipeline pipes[NODE_MAX_SOURCES];
    int npipes;
    watchdog wd;
    bool wd_ready;
    mqp_dataplane *data;
    mqp_controlplane *control;
    atomic_bool paused;
    atomic_bool stop;
    atomic_bool crop;
    atomic_bool running; /* Some pipeline has processed a frame. */
    atomic_int live;     /* Pipelines still running. */
    pthread_mutex_t mu;  /* Guards the pipelines' snapshots. */
};

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

static void totals(node *n, uint64_t *frames, size_t *tracks, tracker_stats *sum)
{
    *frames = 0;
    *tracks = 0;
    memset(sum, 0, sizeof *sum);
    pthread_mutex_lock(&n->mu);
    for (int i = 0; i < n->npipes; i++) {
        const tracker_stats *t = &n->pipes[i].tstats;
        *frames += n->pipes[i].frames;
        *tracks += t->confirmed;
        sum->active += t->active;
        sum->confirmed += t->confirmed;
        sum->created += t->created;
        sum->confirmed_total += t->confirmed_total;
        sum->dropped += t->dropped;
        sum->rejected += t->rejected;
        sum->flicker_suppressed += t->flicker_suppressed;
        sum->frames += t->frames;
    }
    pthread_mutex_unlock(&n->mu);
}

/* Writes the finished answer, or says why there is none: a handler's result must be JSON. */
static mqp_err finish_result(mqpx_jw *w, mqp_command_reply *r, const char *what)
{
    if (mqpx_jw_done(w)) {
        return MQP_OK;
    }
    r->result[0] = '\0';
    snprintf(r->error, r->error_cap, "the %s answer does not fit in %zu bytes", what,
             r->result_cap);
    return MQP_ERR_TOO_LARGE;
}

static mqp_err status_result(node *n, mqp_command_reply *r)
{
    mqp_dataplane_stats ds;
    mqp_dataplane_stats_get(n->data, &ds);
    uint64_t frames;
    size_t tracks;
    tracker_stats sum;
    totals(n, &frames, &tracks, &sum);
    mqpx_jw w;
    mqpx_jw_init(&w, r->result, r->result_cap);
    mqpx_jw_object(&w);
    mqpx_jw_key(&w, "pipeline");
    mqpx_jw_string(&w, atomic_load(&n->paused) ? "paused" : "running");
    mqpx_jw_key(&w, "sources");
    mqpx_jw_array(&w);
    for (int i = 0; i < n->npipes; i++) {
        mqpx_jw_string(&w, n->pipes[i].src->description);
    }
    mqpx_jw_end(&w);
    mqpx_jw_key(&w, "frames");
    mqpx_jw_uint(&w, frames);
    mqpx_jw_key(&w, "fps");
    mqpx_jw_double(&w, watchdog_fps(&n->wd, mqpx_mono_s()), 2);
    mqpx_jw_key(&w, "crop");
    mqpx_jw_bool(&w, atomic_load(&n->crop));
    mqpx_jw_key(&w, "tracks");
    mqpx_jw_uint(&w, tracks);
    mqpx_jw_key(&w, "data_plane");
    mqpx_jw_object(&w);
    mqpx_jw_key(&w, "messages_published");
    mqpx_jw_uint(&w, ds.messages_published);
    mqpx_jw_key(&w, "dropped");
    mqpx_jw_uint(&w, ds.dropped);
    mqpx_jw_key(&w, "connected");
    mqpx_jw_bool(&w, ds.connected);
    mqpx_jw_key(&w, "topic");
    mqpx_jw_string(&w, ds.topic);
    mqpx_jw_end(&w);
    mqpx_jw_end(&w);
    return finish_result(&w, r, "status");
}

static mqp_err stabilization_result(node *n, mqp_command_reply *r)
{
    uint64_t frames;
    size_t tracks;
    tracker_stats s;
    totals(n, &frames, &tracks, &s);
    const struct {
        const char *key;
        uint64_t value;
    } fields[] = {{"tracks_active", s.active},
                  {"tracks_confirmed", s.confirmed},
                  {"tracks_created", s.created},
                  {"tracks_confirmed_total", s.confirmed_total},
                  {"tracks_dropped", s.dropped},
                  {"tentative_rejected", s.rejected},
                  {"flicker_suppressed", s.flicker_suppressed},
                  {"frames", s.frames}};
    mqpx_jw w;
    mqpx_jw_init(&w, r->result, r->result_cap);
    mqpx_jw_object(&w);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        mqpx_jw_key(&w, fields[i].key);
        mqpx_jw_uint(&w, fields[i].value);
    }
    mqpx_jw_end(&w);
    return finish_result(&w, r, "stabilization_stats");
}

static mqp_err publish_metrics(node *n)
{
    mqp_metrics_report m;
    mqp_latency_report reps[WATCHDOG_MAX_SOURCES];
    watchdog_report(&n->wd, mqpx_mono_s(), &m, reps);
    return mqp_dataplane_publish_metrics(n->data, &m);
}

/* Pauses, and returns once no pipeline is in a frame, so that the "paused" status that follows
 * means no more detections: a pipeline marks itself in a frame before it looks at the flag
 * (both sequentially consistent), so either it sees the flag or this sees it busy. */
static void pause_pipelines(node *n)
{
    atomic_store(&n->paused, true);
    for (int waited = 0; waited < PAUSE_WAIT_MS; waited++) {
        bool busy = false;
        for (int i = 0; i < n->npipes; i++) {
            busy = busy || atomic_load(&n->pipes[i].in_frame);
        }
        if (!busy) {
            return;
        }
        mqpx_sleep_ms(1);
    }
    logf_(n, MQP_LOG_WARNING, "pause: a frame still in progress after %d ms", PAUSE_WAIT_MS);
}

static mqp_err on_command(mqp_controlplane *cp, mqp_command cmd, mqp_command_reply *r, void *user)
{
    (void)cp;
    node *n = user;
    switch (cmd) {
    case MQP_CMD_PAUSE:
        pause_pipelines(n);
        return MQP_OK;
    case MQP_CMD_RESUME:
        atomic_store(&n->paused, false);
        return MQP_OK;
    case MQP_CMD_STOP:
        atomic_store(&n->stop, true);
        return MQP_OK;
    case MQP_CMD_STATUS:
        return status_result(n, r);
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
        mqpx_jw w;
        mqpx_jw_init(&w, r->result, r->result_cap);
        mqpx_jw_object(&w);
        mqpx_jw_key(&w, "crop");
        mqpx_jw_bool(&w, on);
        mqpx_jw_end(&w);
        return finish_result(&w, r, "toggle_crop");
    }
    case MQP_CMD_STABILIZATION_STATS:
        return stabilization_result(n, r);
    }
    return MQP_ERR_INVALID;
}

/* ---- creation ---- */

static mqp_err open_pipeline(node *n, pipeline *p, int id, const char *spec, char *err,
                             size_t errlen)
{
    p->n = n;
    p->id = id;
    mqp_err rc = source_open(&p->src, spec, n->o.seed + (uint64_t)id, err, errlen);
    if (rc == MQP_OK) {
        rc = motion_new(&p->det, p->src->width, p->src->height, NULL, err, errlen);
    }
    if (rc == MQP_OK) {
        rc = tracker_new(&p->trk, NULL, err, errlen);
    }
    if (rc == MQP_OK) {
        roi_init(&p->region, p->src->width, p->src->height, NULL);
    }
    return rc;
}

/* The client has said what happened; the node adds what to do, which only it knows. */
static void on_plane_lost(mqp_client *c, mqp_err reason, void *user)
{
    if (reason == MQP_ERR_TAKEN_OVER) {
        logf_(user, MQP_LOG_ERR,
              "node: another process uses client id '%s' on this broker (a second node with "
              "the same --node-id, or none?): give each node its own --node-id",
              mqp_client_id(c));
    }
}

static mqp_err open_planes(node *n, const node_opts *o, char *err, size_t errlen)
{
    const mqp_mqtt_settings *s = o->mqtt;
    mqp_client_opts base = {.url = o->url,
                            .log_cb = o->log_cb,
                            .log_user = o->log_user,
                            .log_level = o->log_level,
                            .on_disconnected = on_plane_lost,
                            .cb_user = n};
    if (s) {
        mqp_mqtt_settings_apply(s, &base);
        base.url = o->url ? o->url : s->url; /* The command line wins over the file. */
    }
    mqp_dataplane_opts dopts = {.client = base};
    mqp_controlplane_opts copts = {.client = base, .on_command = on_command, .user = n};
    dopts.client.client_id = o->data_id; /* Each plane has its own id. */
    copts.client.client_id = o->control_id;
    if (s) {
        dopts.detections_topic = s->data_topic;
        dopts.metrics_topic = s->metrics_topic;
        dopts.qos = s->data_qos;
        copts.command_topic = s->command_topic;
        copts.status_topic = s->status_topic;
        copts.response_topic = s->response_topic;
        copts.max_payload = s->max_command_payload;
        /* Least privilege: each plane may have an identity of its own (see deploy/acl). */
        copts.client.username = s->control_username;
        copts.client.password = s->control_password;
        dopts.client.username = s->data_username;
        dopts.client.password = s->data_password;
    }
    mqp_err rc = mqp_dataplane_new(&n->data, &dopts, err, errlen);
    if (rc == MQP_OK) {
        rc = mqp_controlplane_new(&n->control, &copts, err, errlen);
    }
    if (rc == MQP_OK) {
        rc = mqp_controlplane_start(n->control, 0);
    }
    return rc;
}

mqp_err node_new(node **out, const node_opts *o, char *err, size_t errlen)
{
    if (o->nsources > NODE_MAX_SOURCES) {
        snprintf(err, errlen, "%d sources given; a node runs at most %d", o->nsources,
                 NODE_MAX_SOURCES);
        return MQP_ERR_INVALID;
    }
    node *n = calloc(1, sizeof *n);
    if (!n) {
        return MQP_ERR_NOMEM;
    }
    n->o = *o;
    pthread_mutex_init(&n->mu, NULL);
    atomic_store(&n->crop, o->crop);
    mqp_err rc = MQP_OK;
    int count = o->nsources > 0 ? o->nsources : 1;
    for (int i = 0; i < count && rc == MQP_OK; i++) {
        rc = open_pipeline(n, &n->pipes[i], i, o->nsources > 0 ? o->sources[i] : "synthetic", err,
                           errlen);
        n->npipes = i + 1;
    }
    if (rc == MQP_OK) {
        watchdog_init(&n->wd, n->npipes, 5.0);
        n->wd_ready = true;
        rc = open_planes(n, o, err, errlen);
    }
    if (rc != MQP_OK) {
        node_free(n);
        return rc;
    }
    for (int i = 0; i < n->npipes; i++) {
        logf_(n, MQP_LOG_INFO, "node: source %d is %s", i, n->pipes[i].src->description);
    }
    logf_(n, MQP_LOG_INFO, "node: broker %s", mqp_client_url(mqp_controlplane_client(n->control)));
    *out = n;
    return MQP_OK;
}

/* ---- the pipelines ---- */

static bool stopping(node *n)
{
    return atomic_load(&n->stop) || (n->o.stop_signal && *n->o.stop_signal);
}

static void publish_frame(pipeline *p, const source_frame *f, box region, bool crop)
{
    mqp_detection d[MAX_TRACKS];
    for (size_t i = 0; i < p->ntracks; i++) {
        const detection *t = &p->tracks[i].det;
        d[i] = (mqp_detection){
            t->class_name, t->confidence, t->b.x,      t->b.y,
            t->b.w,        t->b.h,        t->class_id, (int64_t)p->tracks[i].track_id};
    }
    mqp_frame_info fi = {f->frame_id, p->id, f->capture_wall};
    mqp_roi_info ri = {region.x, region.y, region.w, region.h, region.x, region.y};
    /* Never waits: offline, the data plane drops and counts. */
    mqp_dataplane_publish_detections(p->n->data, d, p->ntracks, &fi, crop ? &ri : NULL);
}

static mqp_err process_frame(pipeline *p)
{
    node *n = p->n;
    source_frame f;
    mqp_err rc = p->src->ops->read(p->src, &f);
    if (rc != MQP_OK) {
        return rc;
    }
    bool crop = atomic_load(&n->crop);
    if (crop != p->region.enabled) {
        roi_set_enabled(&p->region, crop);
    }
    double t0 = mqpx_mono_s();
    box region = roi_next(&p->region, p->tracks, p->ntracks);
    detection dets[MAX_TRACKS];
    size_t ndets = 0;
    rc = detector_detect(p->det, image_view_crop(f.view, region), dets, MAX_TRACKS, &ndets);
    if (rc != MQP_OK) {
        logf_(n, MQP_LOG_ERR, "source %d: detector failed on frame %llu: %s", p->id,
              (unsigned long long)f.frame_id, mqp_strerror(rc));
        ndets = 0;
    }
    roi_map_back(region, dets, ndets);
    tracker_update(p->trk, dets, ndets, p->tracks, MAX_TRACKS, &p->ntracks);
    double infer_ms = (mqpx_mono_s() - t0) * 1e3;
    publish_frame(p, &f, region, crop);
    double done = mqpx_mono_s();
    watchdog_frame(&n->wd, p->id, done, f.decode_ms, infer_ms, (done - f.capture_mono) * 1e3);
    pthread_mutex_lock(&n->mu);
    tracker_stats_get(p->trk, &p->tstats);
    p->frames++;
    pthread_mutex_unlock(&n->mu);
    return MQP_OK;
}

static void *pipeline_main(void *arg)
{
    pipeline *p = arg;
    node *n = p->n;
    while (!stopping(n) && !(n->o.max_frames && p->frames >= n->o.max_frames)) {
        atomic_store(&p->in_frame, true);
        if (atomic_load(&n->paused)) {
            /* Paused: no frames are read, and the tracks are forgotten (the scene moves on). */
            atomic_store(&p->in_frame, false);
            p->ntracks = 0;
            tracker_reset(p->trk);
            mqpx_sleep_ms(20);
            continue;
        }
        mqp_err rc = process_frame(p);
        atomic_store(&p->in_frame, false);
        if (rc != MQP_OK) {
            p->result = rc == MQP_ERR_NOT_FOUND ? MQP_OK : rc;
            logf_(n, rc == MQP_ERR_NOT_FOUND ? MQP_LOG_NOTICE : MQP_LOG_ERR, "source %d (%s): %s",
                  p->id, p->src->description, rc == MQP_ERR_NOT_FOUND ? "ended" : mqp_strerror(rc));
            break;
        }
        if (!atomic_exchange(&n->running, true)) {
            mqp_controlplane_set_status(n->control, MQP_STATUS_RUNNING);
            logf_(n, MQP_LOG_INFO, "pipeline running");
        }
    }
    atomic_fetch_sub(&n->live, 1);
    return NULL;
}

mqp_err node_run(node *n)
{
    atomic_store(&n->live, n->npipes);
    for (int i = 0; i < n->npipes; i++) {
        pipeline *p = &n->pipes[i];
        if (pthread_create(&p->thread, NULL, pipeline_main, p) != 0) {
            atomic_store(&n->stop, true);
            atomic_fetch_sub(&n->live, n->npipes - i);
            logf_(n, MQP_LOG_ERR, "cannot start the pipeline of source %d", i);
            break;
        }
        p->started = true;
    }
    /* This thread only waits, and publishes the periodic metrics. */
    double next_metrics = mqpx_mono_s() + n->o.metrics_interval_s;
    while (!stopping(n) && atomic_load(&n->live) > 0) {
        mqpx_sleep_ms(20);
        if (n->o.metrics_interval_s > 0 && mqpx_mono_s() >= next_metrics) {
            publish_metrics(n);
            next_metrics += n->o.metrics_interval_s;
        }
    }
    atomic_store(&n->stop, true);
    mqp_err rc = MQP_OK;
    uint64_t frames = 0;
    for (int i = 0; i < n->npipes; i++) {
        if (n->pipes[i].started) {
            pthread_join(n->pipes[i].thread, NULL);
            n->pipes[i].started = false;
        }
        rc = rc == MQP_OK ? n->pipes[i].result : rc;
        frames += n->pipes[i].frames;
    }
    logf_(n, MQP_LOG_INFO, "stopping after %llu frames", (unsigned long long)frames);
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
    for (int i = 0; i < n->npipes; i++) {
        tracker_free(n->pipes[i].trk);
        detector_destroy(n->pipes[i].det);
        source_close(n->pipes[i].src);
    }
    pthread_mutex_destroy(&n->mu);
    free(n);
}
