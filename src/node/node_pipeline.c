/* One source's pipeline, on a thread of its own: read the newest frame, detect (in the region
 * of interest), track, publish the detections, and now and then hand the frame to the frame
 * publisher. Nothing here waits for the network or for another source. */
#define _POSIX_C_SOURCE 200809L
#include "node_internal.h"

#include "detector_plugin.h"

#include "clock.h"
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_TIMEOUT_MS 50 /* How often a pipeline waiting for frames looks at its flags. */

/* The detector and the region of interest for frames of w x h: made for the first frame, and
 * made again if a camera comes back with another size. */
static mqp_err ensure_stages(pipeline *p, int w, int h)
{
    if (p->detector && p->width == w && p->height == h) {
        return MQP_OK;
    }
    char err[256];
    detector *d = NULL;
    mqp_err rc = detector_open(&d, p->n->o.detector, w, h, err, sizeof err);
    if (rc != MQP_OK) {
        node_log(p->n, MQP_LOG_ERR, "source %d: cannot make a detector for %dx%d: %s", p->id, w, h,
                 err);
        return rc;
    }
    node_opts *o = &p->n->o;
    gate_opts go = {.on_motion = o->detect_on_motion,
                    .full_pass_every = o->full_pass_every,
                    .max_fps = o->detect_fps};
    if (p->gate_ready) {
        gate_free(&p->gate);
        p->gate_ready = false;
    }
    rc = gate_init(&p->gate, &go, w, h, d->input_width, d->input_height, err, sizeof err);
    if (rc != MQP_OK) {
        node_log(p->n, MQP_LOG_ERR, "source %d: cannot gate the detector for %dx%d: %s", p->id, w,
                 h, err);
        detector_destroy(d);
        return rc;
    }
    p->gate_ready = true;
    if (p->detector) {
        node_log(p->n, MQP_LOG_NOTICE, "source %d: frames are now %dx%d (were %dx%d)", p->id, w, h,
                 p->width, p->height);
    }
    detector_destroy(p->detector);
    p->detector = d;
    p->width = w;
    p->height = h;
    pthread_mutex_lock(&p->n->mu);
    p->frame_width = w;
    p->frame_height = h;
    pthread_mutex_unlock(&p->n->mu);
    roi_init(&p->region, w, h, NULL);
    p->ntracks = 0;
    tracker_reset(p->trk);
    return MQP_OK;
}

static void publish_detections(pipeline *p, const source_frame *f, box region, bool crop)
{
    mqp_detection d[NODE_MAX_TRACKS];
    for (size_t i = 0; i < p->ntracks; i++) {
        const detection *t = &p->tracks[i].det;
        d[i] = (mqp_detection){.class_name = t->class_name,
                               .confidence = t->confidence,
                               .x = t->b.x,
                               .y = t->b.y,
                               .width = t->b.w,
                               .height = t->b.h,
                               .class_id = t->class_id,
                               .track_id = (int64_t)p->tracks[i].track_id};
    }
    mqp_frame_info fi = {f->frame_id, p->id, f->capture_wall};
    mqp_roi_info ri = {region.x, region.y, region.w, region.h, region.x, region.y};
    /* Never waits: offline, the data plane drops and counts. */
    mqp_detections_batch b = {.detections = d,
                              .count = p->ntracks,
                              .frame = &fi,
                              .roi = crop ? &ri : NULL,
                              .detector = p->n->detector_name};
    mqp_dataplane_publish_batch(p->n->data, &b);
}

/* A detector that fails on a frame costs that frame its detections, nothing more: it is
 * counted, and logged at once the first time and then at most every FAILURE_LOG_EVERY_S with
 * how many went unlogged, so a detector failing on every frame does not flood the log. */
static void detector_failed(pipeline *p, uint64_t frame_id, mqp_err rc, double now)
{
    pthread_mutex_lock(&p->n->mu);
    p->det_stats.failures++;
    pthread_mutex_unlock(&p->n->mu);
    uint64_t quiet = 0;
    if (!mqpx_ratelimit_pass(&p->failure_log, now, &quiet)) {
        return;
    }
    const char *why = detector_last_error(p->detector);
    char more[64] = "";
    if (quiet) {
        snprintf(more, sizeof more, " (and %llu more since the last report)",
                 (unsigned long long)quiet);
    }
    node_log(p->n, MQP_LOG_ERR, "source %d: detector %s failed on frame %llu: %s%s", p->id,
             p->n->detector_name, (unsigned long long)frame_id, why[0] ? why : mqp_strerror(rc),
             more);
}

/* An annotated frame when one is due (the rate) or asked for (snapshot). Converting to colour
 * is the only work done here; drawing, encoding and publishing happen on the publisher's
 * thread, which takes the frame without a copy. */
static void offer_annotated(pipeline *p, const source_frame *f)
{
    node *n = p->n;
    double now = mqpx_mono_s();
    bool due = n->o.full_frames_fps > 0 && now >= p->next_annotated;
    if (!n->frames || !(due || atomic_exchange(&p->snapshot, false))) {
        return;
    }
    if (due) {
        double period = 1.0 / n->o.full_frames_fps;
        p->next_annotated =
            now - p->next_annotated < period ? p->next_annotated + period : now + period;
    }
    int w, h;
    if (p->src->ops->colour(p->src, &p->rgb, &p->rgb_cap, &w, &h) != MQP_OK) {
        return;
    }
    framepub_offer(n->frames,
                   &(framepub_frame){.source_id = p->id,
                                     .frame_id = f->frame_id,
                                     .timestamp = f->capture_wall,
                                     .width = w,
                                     .height = h,
                                     .tracks = p->tracks,
                                     .ntracks = p->ntracks},
                   &p->rgb, &p->rgb_cap);
}

static mqp_err process_frame(pipeline *p)
{
    node *n = p->n;
    source_frame f;
    mqp_err rc = source_read(p->src, &f, READ_TIMEOUT_MS);
    if (rc != MQP_OK) {
        return rc;
    }
    /* In a frame from here, not while waiting for one (a paced source waits up to a frame's
     * interval): a pause waits only for work that has begun. Marked before the flag is read
     * (both sequentially consistent): either this sees the pause or the pause sees it busy. */
    atomic_store(&p->in_frame, true);
    if (atomic_load(&n->paused)) {
        return MQP_ERR_TIMEOUT; /* Paused while it waited: the frame is not processed. */
    }
    if ((rc = ensure_stages(p, f.view.width, f.view.height)) != MQP_OK) {
        return rc;
    }
    bool crop = atomic_load(&n->crop);
    if (crop != p->region.enabled) {
        roi_set_enabled(&p->region, crop);
    }
    double t0 = mqpx_mono_s();
    box look[NODE_MAX_TRACKS]; /* The tentative tracks: the crop and the gate look there too. */
    size_t nlook = tracker_tentative(p->trk, look, NODE_MAX_TRACKS);
    box region = roi_next(&p->region, p->tracks, p->ntracks, look, nlook);
    box searched = region;
    bool run = gate_decide(&p->gate, f.view, t0, look, nlook, &searched);
    if (run) {
        detection dets[NODE_MAX_TRACKS];
        size_t ndets = 0;
        rc = detector_detect(p->detector, image_view_crop(f.view, searched), dets, NODE_MAX_TRACKS,
                             &ndets);
        if (rc != MQP_OK) {
            detector_failed(p, f.frame_id, rc, t0);
            ndets = 0;
        }
        roi_map_back(searched, dets, ndets);
        tracker_update_in(p->trk, dets, ndets, searched, (box){0, 0, p->width, p->height},
                          p->tracks, NODE_MAX_TRACKS, &p->ntracks);
    } else {
        tracker_predict(p->trk, p->tracks, NODE_MAX_TRACKS, &p->ntracks); /* Carried along. */
    }
    double infer_ms = (mqpx_mono_s() - t0) * 1e3;
    publish_detections(p, &f, region, crop);
    offer_annotated(p, &f);
    double done = mqpx_mono_s();
    watchdog_frame(&n->wd, p->id, done, f.decode_ms, infer_ms, (done - f.capture_mono) * 1e3);
    pthread_mutex_lock(&n->mu);
    tracker_stats_get(p->trk, &p->tstats);
    p->frames++;
    p->det_stats.runs += run;
    p->det_stats.skipped += !run;
    pthread_mutex_unlock(&n->mu);
    return MQP_OK;
}

/* Paused: no frames are taken (a live source goes on decoding and keeps the newest, without
 * counting what it replaces), and the tracks are forgotten: the scene moves on. */
static void idle(pipeline *p)
{
    atomic_store(&p->src->idle, true);
    p->ntracks = 0;
    tracker_reset(p->trk);
    mqpx_sleep_ms(20);
}

void *node_pipeline_main(void *arg)
{
    pipeline *p = arg;
    node *n = p->n;
    int prio = mqpx_thread_lower_priority(NODE_FRAME_WORK_NICE);
    if (prio) {
        node_log(n, MQP_LOG_DEBUG, "source %d: pipeline at the process's priority: %s", p->id,
                 strerror(prio));
    }
    while (!node_stopping(n) && !(n->o.max_frames && p->frames >= n->o.max_frames)) {
        if (atomic_load(&n->paused)) {
            idle(p);
            continue;
        }
        atomic_store(&p->src->idle, false);
        mqp_err rc = process_frame(p);
        atomic_store(&p->in_frame, false);
        if (rc == MQP_ERR_TIMEOUT) {
            continue; /* A live source between frames, or being reopened. */
        }
        if (rc != MQP_OK) {
            p->result = rc == MQP_ERR_NOT_FOUND ? MQP_OK : rc;
            node_log(n, rc == MQP_ERR_NOT_FOUND ? MQP_LOG_NOTICE : MQP_LOG_ERR,
                     "source %d (%s): %s", p->id, p->src->description,
                     rc == MQP_ERR_NOT_FOUND ? "ended" : mqp_strerror(rc));
            break;
        }
        if (!atomic_exchange(&n->running, true)) {
            mqp_controlplane_set_status(n->control, MQP_STATUS_RUNNING);
            node_log(n, MQP_LOG_INFO, "pipeline running");
        }
    }
    atomic_fetch_sub(&n->live, 1);
    return NULL;
}

void node_pipeline_free(pipeline *p)
{
    tracker_free(p->trk);
    if (p->gate_ready) {
        gate_free(&p->gate);
    }
    detector_destroy(p->detector);
    source_close(p->src);
    free(p->rgb);
}
