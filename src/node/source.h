/* Frame sources. The synthetic scene is the first; video files and RTSP streams plug in behind
 * the same interface (a later issue), each turning its frames into 8-bit grayscale views. */
#ifndef NODE_SOURCE_H
#define NODE_SOURCE_H

#include "geometry.h"

#include "mqplane/common.h"

#include <stdint.h>

typedef struct source_frame {
    image_view view;     /* Valid until the next read. */
    uint64_t frame_id;   /* Counts from 1. */
    double capture_wall; /* Epoch seconds, for the messages. */
    double capture_mono; /* Monotonic seconds, for the latencies. */
    double decode_ms;    /* Time spent producing the frame (decoding, rendering). */
} source_frame;

typedef struct source source;

typedef struct source_ops {
    /* Waits for and returns the next frame; MQP_ERR_NOT_FOUND at the end of a finite source. */
    mqp_err (*read)(source *s, source_frame *out);
    void (*destroy)(source *s);
} source_ops;

struct source {
    const source_ops *ops;
    int width;
    int height;
    double fps;
    char *description; /* For logs: "synthetic 640x480@30". */
};

/* Opens a source from its spec: "synthetic" or "synthetic:WxH@FPS" (more kinds later).
 * MQP_ERR_INVALID with a message naming the bad part; MQP_ERR_UNSUPPORTED for an unknown kind. */
mqp_err source_open(source **out, const char *spec, uint64_t seed, char *err, size_t errlen);
void source_close(source *s);

#endif
