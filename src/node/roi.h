/* The adaptive region of interest (toggle_crop): when on, the detector runs on a crop around
 * the tracked objects, grown by a margin, and its boxes are mapped back to the full frame.
 * With nothing tracked it falls back to the full frame, and every full_frame_every frames it
 * looks at the whole frame anyway, so an object entering outside the crop is still found; the
 * crop holds the tracks not yet confirmed too, so such an object is confirmed in the frames
 * that follow (seen on a full frame only, it never would be). */
#ifndef NODE_ROI_H
#define NODE_ROI_H

#include "tracker.h"

typedef struct roi_opts {
    int margin;           /* Pixels added on each side of the tracked boxes; 0: 32. */
    int full_frame_every; /* 0: 15; 1 means always the full frame. */
} roi_opts;

typedef struct roi {
    roi_opts o;
    int width;
    int height;
    bool enabled;
    uint64_t frames;
    box current; /* The region of the latest roi_next(). */
} roi;

void roi_init(roi *r, int width, int height, const roi_opts *o);
void roi_set_enabled(roi *r, bool on);
/* The region for the next frame, from the tracks of the previous one and the predicted boxes of
 * the tentative ones (tracker_tentative). */
box roi_next(roi *r, const tracked *tracks, size_t n, const box *tentative, size_t ntentative);
/* Moves detections found in a view of region into full-frame coordinates. */
void roi_map_back(box region, detection *dets, size_t n);

#endif
