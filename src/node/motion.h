/* A motion detector that works on the pixels: a background model, a threshold, morphology,
 * connected components, and a box with a confidence per component.
 *
 * It works on cells of a few pixels (their mean), not on each pixel: motion needs no finer
 * grain, and the work falls with the square of the cell's side.
 *
 * The background is updated only where a pixel looks like background; a pixel that stays
 * foreground for absorb_frames becomes background. That clears ghosts (objects present in the
 * first frame that then move away) and absorbs objects that stop, without a warm-up period. */
#ifndef NODE_MOTION_H
#define NODE_MOTION_H

#include "detector.h"

typedef struct motion_opts {
    int threshold;     /* Gray-level difference that counts as foreground; 0: 25. */
    int min_area;      /* Smallest component kept, in pixels; 0: 150. */
    int learn_shift;   /* Background learning rate 1/2^shift; 0: 4 (1/16). */
    int absorb_frames; /* Foreground for this long becomes background; 0: 75. Must exceed the
                          frames a moving object covers a pixel (extent / speed). */
    int scale;         /* The model's cells are scale x scale pixels (1..16); 0: the smallest
                          that makes the frame at most 320 cells across (2 at 640x480, 4 at
                          1280x720). Boxes are in pixels, to a cell's precision. */
} motion_opts;

/* A detector for frames of width x height; views passed to detect() must lie inside. */
mqp_err motion_new(detector **out, int width, int height, const motion_opts *o, char *err,
                   size_t errlen);

#endif
