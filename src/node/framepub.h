/* The annotated-frame publisher: a thread of the node's that draws the tracked boxes on a
 * frame, encodes it as JPEG and publishes it on the full-frames topic, so that the pipelines
 * never wait for an encoder. Each source has one slot: a frame offered while the previous one
 * of its source still waits replaces it (counted), so the publisher never falls behind. */
#ifndef NODE_FRAMEPUB_H
#define NODE_FRAMEPUB_H

#include "tracker.h"

#include "mqplane/dataplane.h"

#include <stdint.h>

#define FRAMEPUB_MAX_SOURCES 8
#define FRAMEPUB_MAX_TRACKS  64
#define FRAMEPUB_QUALITY     80 /* JPEG quality. */

typedef struct framepub framepub;

typedef struct framepub_frame {
    int source_id;
    uint64_t frame_id;
    double timestamp; /* Capture time, epoch seconds. */
    int width, height;
    const tracked *tracks; /* Copied. */
    size_t ntracks;
} framepub_frame;

typedef struct framepub_stats {
    uint64_t published; /* Frames handed to the data plane. */
    uint64_t replaced;  /* Frames a newer one of the same source replaced before encoding. */
    double encode_ms;   /* Drawing and encoding one frame, moving average. */
} framepub_stats;

/* MQP_ERR_UNSUPPORTED (with a message) when built without libturbojpeg. */
mqp_err framepub_new(framepub **out, mqp_dataplane *dp, char *err, size_t errlen);
/* Hands over a frame: *rgb (width * height * 3 bytes, packed RGB) is exchanged with a buffer of
 * the publisher's, so nothing is copied and the caller gets a buffer back. Never waits. */
void framepub_offer(framepub *fp, const framepub_frame *f, uint8_t **rgb, size_t *cap);
void framepub_stats_get(framepub *fp, framepub_stats *out);
/* Publishes what still waits, stops the thread and frees. NULL is a no-op. */
void framepub_free(framepub *fp);

/* Draws and encodes one frame (the thread's work, exposed for tests and benchmarks): the JPEG
 * goes to *jpeg (grown as needed, *cap bytes), its size to *len. */
mqp_err framepub_encode(framepub *fp, uint8_t *rgb, const framepub_frame *f, uint8_t **jpeg,
                        size_t *cap, size_t *len);

#endif
