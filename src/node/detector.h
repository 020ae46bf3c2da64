/* The detector interface: the motion detector is one implementation; plugins (a neural network,
 * a remote service, through include/mqplane/detector.h) are wrapped behind the same calls. */
#ifndef NODE_DETECTOR_H
#define NODE_DETECTOR_H

#include "geometry.h"

#include "mqplane/common.h"

#include <stddef.h>

typedef struct detection {
    box b;             /* In the coordinates of the view given to detect(). */
    double confidence; /* In [0, 1]. */
    int class_id;
    const char *class_name; /* Static storage. */
} detection;

typedef struct detector detector;

typedef struct detector_ops {
    const char *name;
    /* Finds objects in view (of the detector's format). Writes at most cap detections and
     * their number to *n. */
    mqp_err (*detect)(detector *d, image_view view, detection *out, size_t cap, size_t *n);
    void (*destroy)(detector *d);
    /* Optional: why the last detect() failed, or "". */
    const char *(*last_error)(detector *d);
} detector_ops;

struct detector {
    const detector_ops *ops;
    pixfmt format;    /* What detect() takes: the source converts each frame into it, once. */
    const char *name; /* "motion", or the plugin's name. */
    int input_width;  /* The size the detector works at (0: any): a region given to it */
    int input_height; /* should be at least that big. */
};

static inline const char *detector_last_error(detector *d)
{
    const char *e = d->ops->last_error ? d->ops->last_error(d) : NULL;
    return e ? e : "";
}

static inline mqp_err detector_detect(detector *d, image_view v, detection *out, size_t cap,
                                      size_t *n)
{
    return d->ops->detect(d, v, out, cap, n);
}

static inline void detector_destroy(detector *d)
{
    if (d) {
        d->ops->destroy(d);
    }
}

#endif
