/* Whether, and where, the detector runs on a frame: a cap on its runs per second, and motion
 * gating. Gated, the (expensive) detector runs only on frames where a motion detector sees
 * change, on the region around it (padded, at least the detector's input size), and on the
 * whole frame every full_pass_every frames, so that objects standing still are found again;
 * the tracker carries the objects in between. Where the tracker holds an object seen once and
 * not yet confirmed, the detector looks again at once, whether or not it moves. */
#ifndef NODE_GATE_H
#define NODE_GATE_H

#include "detector.h"

typedef struct gate_opts {
    bool on_motion;      /* Gate by motion. */
    int full_pass_every; /* Gated: a pass where the frame is every this many frames; 0: 30. */
    double max_fps;      /* Detector runs per second at most; 0: every frame. */
    int margin;          /* Pixels around the motion; 0: 32. */
} gate_opts;

typedef struct gate {
    gate_opts o;
    detector *motion; /* Gated: the motion detector, fed every frame. */
    int width, height;
    int min_w, min_h; /* The detector's input size: a region is at least that. */
    int since_full;   /* Frames since the last full pass. */
    double next_run;  /* Monotonic time the rate cap allows the next run. */
} gate;

/* For frames of width x height and a detector working at min_w x min_h (0: any). */
mqp_err gate_init(gate *g, const gate_opts *o, int width, int height, int min_w, int min_h,
                  char *err, size_t errlen);
void gate_free(gate *g);
/* Whether the detector runs on this frame (in the detector's format) at monotonic time now.
 * *region holds where it would look (the crop, or the frame); gated, it becomes the region
 * around the motion and the nlook boxes of look (tentative tracks), unless this is a full
 * pass. */
bool gate_decide(gate *g, image_view frame, double now, const box *look, size_t nlook, box *region);

#endif
