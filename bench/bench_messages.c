/* Formatting a detections message: mqplane's hand-written writer against building the same
 * JSON with cJSON (the obvious way), in the same run. Numbers are printed, never asserted.
 *
 *   bench_messages [iterations]                                                          */
#define _POSIX_C_SOURCE 200809L
#include "mqplane/dataplane.h"

#include "clock.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static cJSON *box_json(int x, int y, int w, int h)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddNumberToObject(b, "x", x);
    cJSON_AddNumberToObject(b, "y", y);
    cJSON_AddNumberToObject(b, "width", w);
    cJSON_AddNumberToObject(b, "height", h);
    return b;
}

/* The same message as mqp_detections_json, built as a cJSON tree and printed. */
static char *with_cjson(uint64_t id, const mqp_detection *d, size_t n, const mqp_frame_info *f,
                        const mqp_roi_info *roi)
{
    char ts[40];
    mqp_iso8601(f->timestamp, ts, sizeof ts);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "timestamp", ts);
    cJSON_AddNumberToObject(r, "message_id", (double)id);
    cJSON_AddNumberToObject(r, "detection_count", (double)n);
    cJSON *arr = cJSON_AddArrayToObject(r, "detections");
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "class", d[i].class_name);
        cJSON_AddNumberToObject(o, "confidence", d[i].confidence);
        cJSON_AddItemToObject(o, "bbox", box_json(d[i].x, d[i].y, d[i].width, d[i].height));
        cJSON_AddNumberToObject(o, "class_id", d[i].class_id);
        cJSON_AddNumberToObject(o, "track_id", (double)d[i].track_id);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON *fr = cJSON_AddObjectToObject(r, "frame");
    cJSON_AddNumberToObject(fr, "frame_id", (double)f->frame_id);
    cJSON_AddNumberToObject(fr, "source_id", f->source_id);
    cJSON_AddStringToObject(fr, "timestamp", ts);
    cJSON *rm = cJSON_AddObjectToObject(r, "roi_metrics");
    cJSON_AddTrueToObject(rm, "roi_enabled");
    cJSON_AddItemToObject(rm, "roi_box", box_json(roi->x, roi->y, roi->width, roi->height));
    cJSON_AddNumberToObject(rm, "crop_offset_x", roi->offset_x);
    cJSON_AddNumberToObject(rm, "crop_offset_y", roi->offset_y);
    char *s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return s;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    mqp_detection d[5];
    for (int i = 0; i < 5; i++) {
        d[i] = (mqp_detection){"person", 0.87 + i * 0.01, 100 + i * 50, 200, 48, 96, 0, 10 + i};
    }
    mqp_frame_info f = {123456, 0, 1704106800.25};
    mqp_roi_info roi = {80, 60, 400, 300, 80, 60};
    double t0 = mqpx_mono_s();
    size_t bytes = 0;
    for (long i = 0; i < n; i++) {
        char *s;
        size_t len;
        mqp_detections_json((uint64_t)i, 1704106800.5, d, 5, &f, &roi, &s, &len);
        bytes += len;
        mqp_free(s);
    }
    double ours = mqpx_mono_s() - t0;
    t0 = mqpx_mono_s();
    size_t cbytes = 0;
    for (long i = 0; i < n; i++) {
        char *s = with_cjson((uint64_t)i, d, 5, &f, &roi);
        cbytes += s ? 1 : 0;
        cJSON_free(s);
    }
    double theirs = mqpx_mono_s() - t0;
    printf("detections message, 5 detections + roi (%zu bytes), %ld times:\n", bytes / (size_t)n,
           n);
    printf("  %-26s %7.0f ns/message\n", "cJSON tree + print", theirs / (double)n * 1e9);
    printf("  %-26s %7.0f ns/message  (x%.2f faster)\n", "mqp_detections_json",
           ours / (double)n * 1e9, theirs / ours);
    return cbytes == (size_t)n ? 0 : 1;
}
