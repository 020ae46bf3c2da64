/* The stabilizer: an IoU tracker with hysteresis. A detection that matches no track starts a
 * tentative one; a track is confirmed after confirm_hits matches and dropped after drop_misses
 * frames without one. Only confirmed tracks are reported, each with a stable track id, and a
 * confirmed track that misses a frame is still reported where it is predicted to be: one
 * missing detection does not make an object blink. */
#ifndef NODE_TRACKER_H
#define NODE_TRACKER_H

#include "detector.h"

#include <stdint.h>

typedef struct tracker_opts {
    double iou_threshold; /* Smallest IoU that matches a detection to a track; 0: 0.3. */
    int confirm_hits;     /* 0: 3 */
    int drop_misses;      /* 0: 5 */
    int max_tracks;       /* 0: 64 */
} tracker_opts;

typedef struct tracked {
    uint64_t track_id;
    detection det;  /* The latest box (predicted when missed) in frame coordinates. */
    bool predicted; /* No detection matched this frame. */
    int hits;
    int age;
} tracked;

typedef struct tracker_stats {
    size_t active;               /* Tracks alive, tentative or confirmed. */
    size_t confirmed;            /* Of which confirmed. */
    uint64_t created;            /* Tracks started. */
    uint64_t confirmed_total;    /* Tracks that ever reached confirmation. */
    uint64_t dropped;            /* Confirmed tracks that ended. */
    uint64_t rejected;           /* Tentative tracks that ended unconfirmed: suppressed noise. */
    uint64_t flicker_suppressed; /* Reports of a confirmed track in a frame it was not seen. */
    uint64_t frames;
} tracker_stats;

typedef struct tracker tracker;

mqp_err tracker_new(tracker **out, const tracker_opts *o, char *err, size_t errlen);
void tracker_free(tracker *t);
/* Feeds one frame's detections; writes the confirmed tracks (at most cap) to out and their
 * number to *n. */
void tracker_update(tracker *t, const detection *dets, size_t ndets, tracked *out, size_t cap,
                    size_t *n);
/* The same for a detector that looked only at the region searched of the frame: a track in the
 * frame but outside that region is moved along its prediction without counting a miss (motion
 * gating looks where things move); one leaving the frame is missed as ever. */
void tracker_update_in(tracker *t, const detection *dets, size_t ndets, box searched, box frame,
                       tracked *out, size_t cap, size_t *n);
/* A frame the detector did not run on: every track moves along its prediction; none is
 * missed, none confirmed; confirmed ones are reported (as predicted). */
void tracker_predict(tracker *t, tracked *out, size_t cap, size_t *n);
/* The boxes of the tentative tracks (seen, not yet confirmed), at most cap: where a gated
 * detector should look again, so that what it found once is confirmed or rejected soon. */
size_t tracker_tentative(const tracker *t, box *out, size_t cap);
void tracker_stats_get(const tracker *t, tracker_stats *s);
/* Forgets every track (statistics are kept). */
void tracker_reset(tracker *t);

#endif
