#include "tracker.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct track {
    uint64_t id;
    detection det;
    double vx, vy; /* Smoothed motion of the box origin, pixels per frame. */
    box seen;      /* The box last detected, */
    int since;     /* this many frames ago. */
    int hits;
    int misses;
    int age;
    bool confirmed;
    bool matched;
} track;

struct tracker {
    tracker_opts o;
    track *tracks;
    size_t ntracks;
    uint64_t next_id;
    tracker_stats st;
};

mqp_err tracker_new(tracker **out, const tracker_opts *opts, char *err, size_t errlen)
{
    tracker_opts o = opts ? *opts : (tracker_opts){0};
    o.iou_threshold = o.iou_threshold > 0 ? o.iou_threshold : 0.3;
    o.confirm_hits = o.confirm_hits ? o.confirm_hits : 3;
    o.drop_misses = o.drop_misses ? o.drop_misses : 5;
    o.max_tracks = o.max_tracks ? o.max_tracks : 64;
    if (o.iou_threshold > 1 || o.confirm_hits < 1 || o.drop_misses < 1 || o.max_tracks < 1) {
        snprintf(err, errlen,
                 "tracker: iou_threshold must be in (0, 1], confirm_hits, "
                 "drop_misses and max_tracks at least 1");
        return MQP_ERR_INVALID;
    }
    tracker *t = calloc(1, sizeof *t);
    if (!t || !(t->tracks = calloc((size_t)o.max_tracks, sizeof *t->tracks))) {
        free(t);
        return MQP_ERR_NOMEM;
    }
    t->o = o;
    t->next_id = 1;
    *out = t;
    return MQP_OK;
}

void tracker_free(tracker *t)
{
    if (t) {
        free(t->tracks);
        free(t);
    }
}

void tracker_reset(tracker *t)
{
    t->ntracks = 0;
}

static box predict(const track *k)
{
    box b = k->det.b;
    b.x += (int)(k->vx + (k->vx >= 0 ? 0.5 : -0.5));
    b.y += (int)(k->vy + (k->vy >= 0 ? 0.5 : -0.5));
    return b;
}

typedef struct pair {
    double iou;
    size_t t;
    size_t d;
} pair;

static int by_iou_desc(const void *a, const void *b)
{
    double x = ((const pair *)a)->iou, y = ((const pair *)b)->iou;
    return (x < y) - (x > y);
}

/* Greedy assignment, best IoU first: simple, and optimal enough when objects are apart. */
static void match(tracker *t, const detection *dets, size_t ndets, bool *det_used)
{
    size_t cap = t->ntracks * ndets;
    pair *pairs = cap ? malloc(cap * sizeof *pairs) : NULL;
    size_t np = 0;
    for (size_t i = 0; pairs && i < t->ntracks; i++) {
        box p = predict(&t->tracks[i]);
        for (size_t j = 0; j < ndets; j++) {
            double iou = box_iou(p, dets[j].b);
            if (iou >= t->o.iou_threshold) {
                pairs[np++] = (pair){iou, i, j};
            }
        }
    }
    if (np > 1) {
        qsort(pairs, np, sizeof *pairs, by_iou_desc);
    }
    for (size_t k = 0; k < np; k++) {
        track *tr = &t->tracks[pairs[k].t];
        if (tr->matched || det_used[pairs[k].d]) {
            continue;
        }
        const detection *d = &dets[pairs[k].d];
        /* Exponential smoothing of the velocity keeps one noisy box from throwing it off; it
         * is measured from the box last detected, however many frames ago (the detector may
         * not run on every frame). */
        double dt = tr->since > 0 ? tr->since : 1;
        tr->vx = 0.6 * tr->vx + 0.4 * (d->b.x - tr->seen.x) / dt;
        tr->vy = 0.6 * tr->vy + 0.4 * (d->b.y - tr->seen.y) / dt;
        tr->det = *d;
        tr->seen = d->b;
        tr->since = 0;
        tr->matched = true;
        tr->hits++;
        tr->misses = 0;
        det_used[pairs[k].d] = true;
    }
    free(pairs);
}

/* A track the detector did not look at this frame: most of its predicted box lies in the
 * frame but outside the region searched. One leaving the frame was looked for: it is missed. */
static bool unsearched(const track *tr, box searched, box frame)
{
    box p = predict(tr);
    int area = box_area(p);
    return 2 * box_area(box_intersection(p, frame)) >= area &&
           2 * box_area(box_intersection(p, searched)) < area;
}

/* The confirmed tracks to out (at most cap), their number to *n; the statistics of a frame
 * (looked: the detector ran on it). */
static void report(tracker *t, tracked *out, size_t cap, size_t *n, bool looked);

void tracker_update(tracker *t, const detection *dets, size_t ndets, tracked *out, size_t cap,
                    size_t *n)
{
    box everywhere = {INT32_MIN / 4, INT32_MIN / 4, INT32_MAX / 2, INT32_MAX / 2};
    tracker_update_in(t, dets, ndets, everywhere, everywhere, out, cap, n);
}

void tracker_update_in(tracker *t, const detection *dets, size_t ndets, box searched, box frame,
                       tracked *out, size_t cap, size_t *n)
{
    t->st.frames++;
    bool *used = calloc(ndets ? ndets : 1, sizeof *used);
    for (size_t i = 0; i < t->ntracks; i++) {
        t->tracks[i].matched = false;
        t->tracks[i].age++;
        t->tracks[i].since++;
    }
    if (used) {
        match(t, dets, ndets, used);
    }
    /* Age the unmatched; confirm the matched; drop what has been missing too long. A track
     * outside the region searched is only moved on: it was not missed, it was not looked for. */
    size_t keep = 0;
    for (size_t i = 0; i < t->ntracks; i++) {
        track *tr = &t->tracks[i];
        if (!tr->matched) {
            tr->misses += !unsearched(tr, searched, frame);
            tr->det.b = predict(tr);
        }
        if (!tr->confirmed && tr->hits >= t->o.confirm_hits) {
            tr->confirmed = true;
            t->st.confirmed_total++;
        }
        if (tr->misses > t->o.drop_misses || (!tr->confirmed && tr->misses > 0)) {
            /* Tentative tracks get no grace: noise rarely repeats in the same place. */
            if (tr->confirmed) {
                t->st.dropped++;
            } else {
                t->st.rejected++;
            }
            continue;
        }
        t->tracks[keep++] = *tr;
    }
    t->ntracks = keep;
    for (size_t j = 0; used && j < ndets; j++) {
        if (used[j] || t->ntracks >= (size_t)t->o.max_tracks) {
            continue;
        }
        t->tracks[t->ntracks++] = (track){
            .id = t->next_id++, .det = dets[j], .seen = dets[j].b, .hits = 1, .matched = true};
        t->st.created++;
        if (t->o.confirm_hits == 1) {
            t->tracks[t->ntracks - 1].confirmed = true;
            t->st.confirmed_total++;
        }
    }
    free(used);
    report(t, out, cap, n, true);
}

void tracker_predict(tracker *t, tracked *out, size_t cap, size_t *n)
{
    t->st.frames++;
    for (size_t i = 0; i < t->ntracks; i++) {
        track *tr = &t->tracks[i];
        tr->matched = false;
        tr->age++;
        tr->since++;
        tr->det.b = predict(tr);
    }
    report(t, out, cap, n, false);
}

static void report(tracker *t, tracked *out, size_t cap, size_t *n, bool looked)
{
    size_t k = 0, confirmed = 0;
    for (size_t i = 0; i < t->ntracks; i++) {
        const track *tr = &t->tracks[i];
        if (!tr->confirmed) {
            continue;
        }
        confirmed++;
        if (!tr->matched && looked) {
            t->st.flicker_suppressed++; /* Not seen where the detector looked. */
        }
        if (k < cap) {
            out[k++] = (tracked){tr->id, tr->det, !tr->matched, tr->hits, tr->age};
        }
    }
    *n = k;
    t->st.active = t->ntracks;
    t->st.confirmed = confirmed;
}

size_t tracker_tentative(const tracker *t, box *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < t->ntracks && k < cap; i++) {
        if (!t->tracks[i].confirmed) {
            out[k++] = predict(&t->tracks[i]);
        }
    }
    return k;
}

void tracker_stats_get(const tracker *t, tracker_stats *s)
{
    *s = t->st;
}
