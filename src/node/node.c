/* The node's life: its sources and pipelines, its two planes, the frame publisher, what the
 * sources report (lost, restored), the run loop, the end. */
#define _POSIX_C_SOURCE 200809L
#include "node_internal.h"

#include "detector_plugin.h"

#include "clock.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define START_WAIT_MS 3000 /* Longest the pipelines wait for the data connection at start. */

void node_log(node *n, mqp_log_level level, const char *fmt, ...)
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

bool node_stopping(node *n)
{
    return atomic_load(&n->stop) || (n->o.stop_signal && atomic_load(n->o.stop_signal));
}

/* ---- what the sources say (on their own threads) ---- */

/* Health is retained on the data connection's topic: the last word on the sources. */
static void source_health(node *n, int id, const char *desc, bool ok, const char *event,
                          const char *reason)
{
    char what[400];
    snprintf(what, sizeof what, "source %d (%s)%s%s", id, desc, reason ? ": " : "",
             reason ? reason : "");
    if (atomic_load(&n->planes_ready)) {
        mqp_client_publish_health(mqp_dataplane_client(n->data), ok, event, what);
    }
}

static void on_source_lost(void *user, int id, const char *desc, const char *reason)
{
    node *n = user;
    node_log(n, MQP_LOG_ERR, "source %d (%s) lost: %s; reopening it", id, desc, reason);
    source_health(n, id, desc, false, "source_lost", reason);
}

static void on_source_restored(void *user, int id, const char *desc)
{
    node *n = user;
    node_log(n, MQP_LOG_NOTICE, "source %d (%s) restored", id, desc);
    source_health(n, id, desc, true, "source_restored", NULL);
}

/* ---- creation ---- */

static mqp_err open_pipeline(node *n, pipeline *p, int id, const char *spec, pixfmt format,
                             char *err, size_t errlen)
{
    p->n = n;
    p->id = id;
    mqpx_ratelimit_init(&p->failure_log, 1, FAILURE_LOG_EVERY_S);
    p->det_stats.detector = n->detector_name;
    source_opts so = {.id = id,
                      .seed = n->o.seed + (uint64_t)id,
                      .format = format, /* The detector's. */
                      .stall_timeout_s = n->o.stall_timeout_s,
                      .events = {on_source_lost, on_source_restored, n}};
    mqp_err rc = source_open(&p->src, spec, &so, err, errlen);
    if (rc == MQP_OK) {
        rc = tracker_new(&p->trk, NULL, err, errlen);
    }
    return rc;
}

/* The client has said what happened; the node adds what to do, which only it knows. */
static void on_plane_lost(mqp_client *c, mqp_err reason, void *user)
{
    if (reason == MQP_ERR_TAKEN_OVER) {
        node_log(user, MQP_LOG_ERR,
                 "node: another process uses client id '%s' on this broker (a second node "
                 "with the same --node-id, or none?): give each node its own --node-id",
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
    mqp_controlplane_opts copts = {.client = base, .on_command = node_on_command, .user = n};
    dopts.client.client_id = o->data_id; /* Each plane has its own id. */
    copts.client.client_id = o->control_id;
    if (s) {
        dopts.detections_topic = s->data_topic;
        dopts.metrics_topic = s->metrics_topic;
        dopts.full_frames_topic = s->full_frames_topic;
        dopts.qos = s->data_qos;
        dopts.client.out_queue_messages = s->data_queue_messages;
        dopts.client.out_queue_bytes = s->data_queue_bytes;
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
    atomic_store(&n->planes_ready, rc == MQP_OK);
    return rc;
}

/* Annotated frames: periodic ones need the JPEG encoder; without it only they are refused. */
static mqp_err open_frames(node *n, const node_opts *o, char *err, size_t errlen)
{
    mqp_err rc = framepub_new(&n->frames, n->data, err, errlen);
    if (rc == MQP_ERR_UNSUPPORTED && o->full_frames_fps <= 0) {
        n->frames = NULL;
        return MQP_OK;
    }
    return rc;
}

/* The detector is made for each source when its first frame gives the size; one made now, for
 * a nominal size, checks the spec (a plugin that will not load stops the node before it
 * starts) and says which pixel format the sources are to convert into. */
static mqp_err probe_detector(node *n, pixfmt *format, char *err, size_t errlen)
{
    detector *d = NULL;
    mqp_err rc = detector_open(&d, n->o.detector, 640, 480, err, errlen);
    if (rc == MQP_OK) {
        *format = d->format;
        snprintf(n->detector_name, sizeof n->detector_name, "%s", d->name);
        detector_destroy(d);
        if (n->o.detect_on_motion && strcmp(n->detector_name, "motion") == 0) {
            snprintf(err, errlen,
                     "detecting on motion needs a detector other than motion (hog, onnx:..., "
                     "plugin:...): the motion detector already runs on every frame");
            rc = MQP_ERR_INVALID;
        }
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
    n->started = mqpx_mono_s();
    pthread_mutex_init(&n->mu, NULL);
    atomic_store(&n->crop, o->crop);
    pixfmt format = PIXFMT_GRAY8;
    mqp_err rc = probe_detector(n, &format, err, errlen);
    int count = o->nsources > 0 ? o->nsources : 1;
    for (int i = 0; i < count && rc == MQP_OK; i++) {
        rc = open_pipeline(n, &n->pipes[i], i, o->nsources > 0 ? o->sources[i] : "synthetic",
                           format, err, errlen);
        n->npipes = i + 1;
    }
    if (rc == MQP_OK) {
        watchdog_init(&n->wd, n->npipes, 5.0);
        n->wd_ready = true;
        rc = open_planes(n, o, err, errlen);
    }
    if (rc == MQP_OK) {
        rc = open_frames(n, o, err, errlen);
    }
    if (rc != MQP_OK) {
        node_free(n);
        return rc;
    }
    for (int i = 0; i < n->npipes; i++) {
        node_log(n, MQP_LOG_INFO, "node: source %d is %s", i, n->pipes[i].src->description);
    }
    node_log(n, MQP_LOG_INFO, "node: broker %s",
             mqp_client_url(mqp_controlplane_client(n->control)));
    *out = n;
    return MQP_OK;
}

/* ---- running ---- */

mqp_err node_run(node *n)
{
    /* The detections of the first frames would be dropped while the data connection comes up
     * (a file read at realtime=0 would lose its start): as the reference connects before it
     * runs, give it a moment, never long. Once running, the pipelines never wait for it. */
    if (mqp_client_connect(mqp_dataplane_client(n->data), START_WAIT_MS) != MQP_OK) {
        node_log(n, MQP_LOG_NOTICE,
                 "the data plane is not connected yet: detections are dropped until it is");
    }
    atomic_store(&n->live, n->npipes);
    for (int i = 0; i < n->npipes; i++) {
        pipeline *p = &n->pipes[i];
        if (pthread_create(&p->thread, NULL, node_pipeline_main, p) != 0) {
            atomic_store(&n->stop, true);
            atomic_fetch_sub(&n->live, n->npipes - i);
            node_log(n, MQP_LOG_ERR, "cannot start the pipeline of source %d", i);
            break;
        }
        p->started = true;
    }
    /* This thread only waits, and publishes the periodic metrics. */
    double next_metrics = mqpx_mono_s() + n->o.metrics_interval_s;
    while (!node_stopping(n) && atomic_load(&n->live) > 0) {
        mqpx_sleep_ms(20);
        if (n->o.metrics_interval_s > 0 && mqpx_mono_s() >= next_metrics) {
            node_publish_metrics(n);
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
        const mqp_detector_report *d = &n->pipes[i].det_stats;
        node_log(n, MQP_LOG_INFO,
                 "source %d: detector %s ran on %llu of %llu frames (%llu skipped, %llu failed)", i,
                 n->detector_name, (unsigned long long)d->runs,
                 (unsigned long long)n->pipes[i].frames, (unsigned long long)d->skipped,
                 (unsigned long long)d->failures);
    }
    node_log(n, MQP_LOG_INFO, "stopping after %llu frames", (unsigned long long)frames);
    mqp_dataplane_stats ds;
    mqp_dataplane_stats_get(n->data, &ds);
    node_log(n, MQP_LOG_INFO,
             "data plane: %llu detections messages published, %llu messages dropped (%llu with "
             "the outgoing queue full)",
             (unsigned long long)ds.messages_published, (unsigned long long)ds.dropped,
             (unsigned long long)ds.dropped_queue_full);
    mqp_controlplane_set_status(n->control, MQP_STATUS_STOPPED);
    return rc;
}

static void *shut_down_client(void *client)
{
    mqp_client_shutdown(client);
    return NULL;
}

void node_free(node *n)
{
    if (!n) {
        return;
    }
    /* Sources first: their threads report to the planes until they are joined. */
    for (int i = 0; i < n->npipes; i++) {
        source_close(n->pipes[i].src);
        n->pipes[i].src = NULL;
    }
    framepub_free(n->frames); /* Its last frames go out before the data plane closes. */
    /* Both planes say their last word at once: cut off from the broker, each waits for it a
     * while, and one after the other the waits would add up. The data plane's client stops
     * beside the control plane, but stays allocated until the control plane is gone: a command
     * it still runs may publish on it (and is then told the client is shut down). */
    mqp_client *data = mqp_dataplane_client(n->data);
    pthread_t t;
    bool beside = data && pthread_create(&t, NULL, shut_down_client, data) == 0;
    mqp_controlplane_destroy(n->control);
    if (beside) {
        pthread_join(t, NULL);
    }
    mqp_dataplane_destroy(n->data);
    if (n->wd_ready) {
        watchdog_destroy(&n->wd);
    }
    for (int i = 0; i < n->npipes; i++) {
        node_pipeline_free(&n->pipes[i]);
    }
    pthread_mutex_destroy(&n->mu);
    free(n);
}
