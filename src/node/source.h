/* Frame sources: the synthetic scene, and (built with FFmpeg) video files, RTSP cameras and
 * V4L2 devices. A source turns its frames into the format the detector takes, once per frame;
 * a live one decodes on a thread of its own and keeps only the newest frame, so a slow
 * pipeline skips frames (counted) instead of falling behind, and a camera that is lost is
 * reopened, forever, by the source itself. */
#ifndef NODE_SOURCE_H
#define NODE_SOURCE_H

#include "geometry.h"

#include "mqplane/common.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* How much lower than the node's other threads its frame work runs (each pipeline, each video
 * decoder and FFmpeg's threads under it, the frame publisher), in nice levels: when all want a
 * core, the control plane's threads and the data plane's network thread run first, so a
 * command is not answered behind a pipeline that takes all the CPU it is given. */
#define NODE_FRAME_WORK_NICE 10

typedef struct source_frame {
    image_view view;     /* Valid until the next read. */
    uint64_t frame_id;   /* Counts from 1, across reconnections. */
    double capture_wall; /* Epoch seconds, for the messages. */
    double capture_mono; /* Monotonic seconds, for the latencies. */
    double decode_ms;    /* Time spent producing the frame (reading, decoding, converting). */
} source_frame;

typedef enum source_state {
    SOURCE_OPENING = 0, /* Connecting, or between attempts. */
    SOURCE_RUNNING,
    SOURCE_LOST, /* Was running or never opened; being reopened. */
    SOURCE_ENDED /* A file that ended (without loop=1). */
} source_state;

/* "opening", "running", "lost", "ended". */
const char *source_state_name(source_state st);

typedef struct source_stats {
    source_state state;
    uint64_t frames;     /* Handed to the pipeline. */
    uint64_t skipped;    /* Replaced by newer ones before the pipeline took them. */
    uint64_t reconnects; /* Times it came back after being lost. */
    char reason[200];    /* Why it was last lost, or "". */
} source_stats;

/* Called on the source's own thread, never with a lock of the source held; maybe before
 * source_open() has returned. */
typedef struct source_events {
    void (*lost)(void *user, int source_id, const char *description, const char *reason);
    void (*restored)(void *user, int source_id, const char *description);
    void *user;
} source_events;

typedef struct source_opts {
    int id;                 /* Its source_id. */
    uint64_t seed;          /* The synthetic scene's. */
    pixfmt format;          /* What the frames are converted into. */
    double stall_timeout_s; /* A live source with no frame for this long is lost; 0: 5. */
    source_events events;
} source_opts;

typedef struct source source;

typedef struct source_ops {
    /* Waits up to timeout_ms for the next frame. MQP_ERR_TIMEOUT when none came (a live source
     * still being reopened, say); MQP_ERR_NOT_FOUND at the end of a finite source. */
    mqp_err (*read)(source *s, source_frame *out, int timeout_ms);
    /* The frame last read, in packed RGB, into buf (grown as needed: *cap bytes). For the
     * annotated frames, so the detector's format need not be colour. */
    mqp_err (*colour)(source *s, uint8_t **buf, size_t *cap, int *width, int *height);
    void (*stats)(source *s, source_stats *out);
    void (*destroy)(source *s);
} source_ops;

struct source {
    const source_ops *ops;
    int id;
    char *description; /* For logs and status, never with a password: "rtsp://u:***@cam/1". */
    atomic_bool idle;  /* The pipeline is paused: replaced frames are not counted as skipped. */
};

/* Opens a source from its spec: "synthetic[:WxH@FPS]", "file:PATH[?loop=1&realtime=0]",
 * "rtsp://…" or "rtsps://…" (?transport=udp|tcp), "v4l2:/dev/videoN". A spec that cannot work
 * (unknown kind, malformed, a file or device that is not there) fails here with a message
 * naming it: MQP_ERR_INVALID, or MQP_ERR_UNSUPPORTED for a kind this build lacks. A camera
 * that is merely down is not an error: it is opened in the background. */
mqp_err source_open(source **out, const char *spec, const source_opts *o, char *err, size_t errlen);
void source_close(source *s);

static inline mqp_err source_read(source *s, source_frame *out, int timeout_ms)
{
    return s->ops->read(s, out, timeout_ms);
}

static inline void source_stats_get(source *s, source_stats *out)
{
    s->ops->stats(s, out);
}

/* For the kinds in other files: the video kinds, from the video module (source_av_load.c),
 * loaded the first time one is opened. */
mqp_err source_av_open(source **out, const char *spec, const source_opts *o, char *err,
                       size_t errlen);

/* The video module's one entry point (source_av.c, built as video.so with FFmpeg), which
 * source_av_open() calls once it has loaded it. */
#define SOURCE_AV_MODULE_ENTRY "source_av_module_open"
typedef mqp_err source_av_module_open_fn(source **out, const char *spec, const source_opts *o,
                                         char *err, size_t errlen);
source_av_module_open_fn source_av_module_open;

#endif
