/* The node's side of the control plane: each command, on the control plane's dispatch thread.
 * Commands touch only flags and the pipelines' snapshots, never a pipeline's own state. */
#include "node_internal.h"

#include "clock.h"
#include "json_write.h"

#include <stdio.h>
#include <string.h>

#define PAUSE_WAIT_MS 2000 /* Longest a pause waits for the frames in progress. */

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

/* Each source as the status answer shows it. */
static void source_status(node *n, mqpx_jw *w, double now)
{
    mqpx_jw_key(w, "source_status");
    mqpx_jw_array(w);
    for (int i = 0; i < n->npipes; i++) {
        source_stats st;
        source_stats_get(n->pipes[i].src, &st);
        pthread_mutex_lock(&n->mu);
        mqp_detector_report det = n->pipes[i].det_stats;
        int fw = n->pipes[i].frame_width, fh = n->pipes[i].frame_height;
        pthread_mutex_unlock(&n->mu);
        mqpx_jw_object(w);
        mqpx_jw_key(w, "source_id");
        mqpx_jw_int(w, i);
        mqpx_jw_key(w, "source");
        mqpx_jw_string(w, n->pipes[i].src->description);
        mqpx_jw_key(w, "state");
        mqpx_jw_string(w, source_state_name(st.state));
        mqpx_jw_key(w, "fps");
        mqpx_jw_double(w, watchdog_source_fps(&n->wd, i, now), 2);
        mqpx_jw_key(w, "frames");
        mqpx_jw_uint(w, st.frames);
        mqpx_jw_key(w, "skipped");
        mqpx_jw_uint(w, st.skipped);
        mqpx_jw_key(w, "reconnects");
        mqpx_jw_uint(w, st.reconnects);
        if (st.reason[0]) {
            mqpx_jw_key(w, "last_error");
            mqpx_jw_string(w, st.reason);
        }
        mqpx_jw_key(w, "detector");
        mqpx_jw_string(w, n->detector_name);
        mqpx_jw_key(w, "detector_runs");
        mqpx_jw_uint(w, det.runs);
        mqpx_jw_key(w, "detector_failures");
        mqpx_jw_uint(w, det.failures);
        mqpx_jw_key(w, "detector_skipped");
        mqpx_jw_uint(w, det.skipped);
        if (fw > 0) { /* Known once a frame came; last, after the fields scripts knew. */
            mqpx_jw_key(w, "width");
            mqpx_jw_int(w, fw);
            mqpx_jw_key(w, "height");
            mqpx_jw_int(w, fh);
        }
        mqpx_jw_end(w);
    }
    mqpx_jw_end(w);
}

static mqp_err status_result(node *n, mqp_command_reply *r)
{
    mqp_dataplane_stats ds;
    mqp_dataplane_stats_get(n->data, &ds);
    mqp_client_stats cs;
    mqp_client_stats_get(mqp_dataplane_client(n->data), &cs);
    uint64_t frames;
    size_t tracks;
    tracker_stats sum;
    totals(n, &frames, &tracks, &sum);
    double now = mqpx_mono_s();
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
    source_status(n, &w, now);
    mqpx_jw_key(&w, "frames");
    mqpx_jw_uint(&w, frames);
    mqpx_jw_key(&w, "fps");
    mqpx_jw_double(&w, watchdog_fps(&n->wd, now), 2);
    mqpx_jw_key(&w, "crop");
    mqpx_jw_bool(&w, atomic_load(&n->crop));
    mqpx_jw_key(&w, "tracks");
    mqpx_jw_uint(&w, tracks);
    mqpx_jw_key(&w, "data_plane");
    mqpx_jw_object(&w);
    mqpx_jw_key(&w, "messages_published");
    mqpx_jw_uint(&w, ds.messages_published);
    mqpx_jw_key(&w, "frames_published");
    mqpx_jw_uint(&w, ds.frames_published);
    mqpx_jw_key(&w, "dropped");
    mqpx_jw_uint(&w, ds.dropped);
    mqpx_jw_key(&w, "dropped_queue_full");
    mqpx_jw_uint(&w, ds.dropped_queue_full);
    mqpx_jw_key(&w, "unsent_lost");
    mqpx_jw_uint(&w, ds.unsent_lost);
    mqpx_jw_key(&w, "queued");
    mqpx_jw_uint(&w, cs.out_queue_depth);
    mqpx_jw_key(&w, "queued_bytes");
    mqpx_jw_uint(&w, cs.out_queue_bytes);
    mqpx_jw_key(&w, "connected");
    mqpx_jw_bool(&w, ds.connected);
    mqpx_jw_key(&w, "topic");
    mqpx_jw_string(&w, ds.topic);
    mqpx_jw_end(&w);
    mqpx_jw_key(&w, "uptime_s"); /* Last, after the fields scripts knew. */
    mqpx_jw_double(&w, now - n->started, 1);
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

mqp_err node_publish_metrics(node *n)
{
    mqp_metrics_report m;
    mqp_latency_report reps[WATCHDOG_MAX_SOURCES];
    mqp_detector_report dets[WATCHDOG_MAX_SOURCES] = {{0}};
    watchdog_report(&n->wd, mqpx_mono_s(), &m, reps);
    for (size_t i = 0; i < m.nreports && i < (size_t)n->npipes; i++) {
        source_stats st;
        source_stats_get(n->pipes[i].src, &st);
        reps[i].frames_skipped = st.skipped;
        pthread_mutex_lock(&n->mu);
        dets[i] = n->pipes[i].det_stats; /* Report i is source i's. */
        pthread_mutex_unlock(&n->mu);
    }
    m.detectors = dets;
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
    node_log(n, MQP_LOG_WARNING, "pause: a frame still in progress after %d ms", PAUSE_WAIT_MS);
}

static mqp_err metrics_command(node *n, mqp_command_reply *r)
{
    mqp_err rc = node_publish_metrics(n);
    if (rc != MQP_OK) {
        snprintf(r->error, r->error_cap, "metrics not published: the data plane is %s",
                 rc == MQP_ERR_NO_CONN ? "not connected" : mqp_strerror(rc));
    }
    return rc;
}

static mqp_err toggle_crop(node *n, mqp_command_reply *r)
{
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

/* Each pipeline publishes its next frame annotated, whatever the rate. */
static mqp_err snapshot(node *n, mqp_command_reply *r)
{
    if (!n->frames) {
        snprintf(r->error, r->error_cap,
                 "snapshot: this mqplane was built without JPEG support (libturbojpeg)");
        return MQP_ERR_UNSUPPORTED;
    }
    for (int i = 0; i < n->npipes; i++) {
        atomic_store(&n->pipes[i].snapshot, true);
    }
    mqpx_jw w;
    mqpx_jw_init(&w, r->result, r->result_cap);
    mqpx_jw_object(&w);
    mqpx_jw_key(&w, "snapshot");
    mqpx_jw_int(&w, n->npipes); /* Sources that will each publish one annotated frame. */
    mqpx_jw_end(&w);
    return finish_result(&w, r, "snapshot");
}

mqp_err node_on_command(mqp_controlplane *cp, mqp_command cmd, mqp_command_reply *r, void *user)
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
    case MQP_CMD_METRICS:
        return metrics_command(n, r);
    case MQP_CMD_TOGGLE_CROP:
        return toggle_crop(n, r);
    case MQP_CMD_STABILIZATION_STATS:
        return stabilization_result(n, r);
    case MQP_CMD_SNAPSHOT:
        return snapshot(n, r);
    }
    return MQP_ERR_INVALID;
}
