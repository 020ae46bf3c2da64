/* The data plane's messages, written by hand into one buffer: this runs for every frame. */
#define _POSIX_C_SOURCE 200809L
#include "mqplane/dataplane.h"

#include "alloc.h"
#include "buf.h"
#include "reserved.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

size_t mqp_iso8601(double epoch_s, char *buf, size_t len)
{
    if (!buf || len < 27 || !isfinite(epoch_s)) {
        return 0;
    }
    double whole = floor(epoch_s);
    time_t t = (time_t)whole;
    long usec = lround((epoch_s - whole) * 1e6);
    if (usec >= 1000000) {
        t++;
        usec -= 1000000;
    }
    struct tm tm;
    if (!localtime_r(&t, &tm)) {
        return 0;
    }
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    int m = snprintf(buf + n, len - n, ".%06ld", usec);
    return m < 0 ? 0 : n + (size_t)m;
}

/* A float as JSON: always with a point or an exponent, so readers see a float, not an int;
 * NaN and infinities, which JSON cannot hold, as null. */
static void put_double(mqp__buf *b, double v)
{
    if (!isfinite(v)) {
        mqp__buf_puts(b, "null");
        return;
    }
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.6g", v);
    mqp__buf_append(b, tmp, (size_t)n);
    if (!strpbrk(tmp, ".e")) {
        mqp__buf_puts(b, ".0");
    }
}

static void put_stamp(mqp__buf *b, double epoch_s)
{
    char ts[40];
    size_t n = mqp_iso8601(epoch_s, ts, sizeof ts);
    mqp__buf_putc(b, '"');
    mqp__buf_append(b, ts, n);
    mqp__buf_putc(b, '"');
}

static void put_box(mqp__buf *b, int x, int y, int w, int h)
{
    mqp__buf_printf(b, "{\"x\":%d,\"y\":%d,\"width\":%d,\"height\":%d}", x, y, w, h);
}

mqp_err mqp_detections_json(uint64_t message_id, double now, const mqp_detection *dets, size_t n,
                            const mqp_frame_info *frame, const mqp_roi_info *roi, char **out,
                            size_t *len)
{
    mqp_detections_batch b = {.detections = dets, .count = n, .frame = frame, .roi = roi};
    return mqp_detections_batch_json(message_id, now, &b, out, len);
}

mqp_err mqp_detections_batch_json(uint64_t message_id, double now,
                                  const mqp_detections_batch *batch, char **out, size_t *len)
{
    if (!batch || (!batch->detections && batch->count) || !batch->frame || !out ||
        MQP__CHECK_RESERVED(batch, "detections batch", NULL, 0) != MQP_OK) {
        return MQP_ERR_INVALID;
    }
    const mqp_detection *dets = batch->detections;
    size_t n = batch->count;
    const mqp_frame_info *frame = batch->frame;
    const mqp_roi_info *roi = batch->roi;
    mqp__buf b;
    mqp__buf_init(&b);
    mqp__buf_reserve(&b, 192 + n * 140);
    mqp__buf_puts(&b, "{\"timestamp\":");
    put_stamp(&b, now);
    mqp__buf_printf(&b, ",\"message_id\":%llu,\"detection_count\":%zu,\"detections\":[",
                    (unsigned long long)message_id, n);
    for (size_t i = 0; i < n; i++) {
        const mqp_detection *d = &dets[i];
        const char *cls = d->class_name ? d->class_name : "unknown";
        mqp__buf_puts(&b, i ? ",{\"class\":" : "{\"class\":");
        mqp__buf_json_string(&b, cls, strlen(cls));
        mqp__buf_puts(&b, ",\"confidence\":");
        put_double(&b, d->confidence);
        mqp__buf_puts(&b, ",\"bbox\":");
        put_box(&b, d->x, d->y, d->width, d->height);
        if (d->class_id >= 0) {
            mqp__buf_printf(&b, ",\"class_id\":%d", d->class_id);
        } else {
            mqp__buf_puts(&b, ",\"class_id\":null");
        }
        if (d->track_id >= 0) {
            mqp__buf_printf(&b, ",\"track_id\":%lld", (long long)d->track_id);
        }
        if (batch->detector) {
            mqp__buf_puts(&b, ",\"detector\":");
            mqp__buf_json_string(&b, batch->detector, strlen(batch->detector));
        }
        mqp__buf_putc(&b, '}');
    }
    mqp__buf_printf(&b, "],\"frame\":{\"frame_id\":%llu,\"source_id\":%d,\"timestamp\":",
                    (unsigned long long)frame->frame_id, frame->source_id);
    put_stamp(&b, frame->timestamp);
    mqp__buf_putc(&b, '}');
    if (roi) {
        mqp__buf_puts(&b, ",\"roi_metrics\":{\"roi_enabled\":true,\"roi_box\":");
        put_box(&b, roi->x, roi->y, roi->width, roi->height);
        mqp__buf_printf(&b, ",\"crop_offset_x\":%d,\"crop_offset_y\":%d}", roi->offset_x,
                        roi->offset_y);
    }
    mqp__buf_putc(&b, '}');
    char *json = mqp__buf_take(&b, len);
    if (!json) {
        return MQP_ERR_NOMEM;
    }
    *out = json;
    return MQP_OK;
}

mqp_err mqp_metrics_json(double now, const mqp_metrics_report *m, char **out, size_t *len)
{
    if (!m || (!m->reports && m->nreports) || !out ||
        MQP__CHECK_RESERVED(m, "metrics report", NULL, 0) != MQP_OK) {
        return MQP_ERR_INVALID;
    }
    mqp__buf b;
    mqp__buf_init(&b);
    mqp__buf_puts(&b, "{\"timestamp\":");
    put_stamp(&b, now);
    mqp__buf_puts(&b, ",\"throughput_fps\":");
    put_double(&b, m->throughput_fps);
    mqp__buf_puts(&b, ",\"latency_reports\":[");
    for (size_t i = 0; i < m->nreports; i++) {
        const mqp_latency_report *r = &m->reports[i];
        mqp__buf_printf(&b, "%s{\"source_id\":%d,\"frame_decoding_latency_ms\":", i ? "," : "",
                        r->source_id);
        put_double(&b, r->frame_decoding_latency_ms);
        mqp__buf_puts(&b, ",\"inference_latency_ms\":");
        put_double(&b, r->inference_latency_ms);
        mqp__buf_puts(&b, ",\"e2e_latency_ms\":");
        put_double(&b, r->e2e_latency_ms);
        mqp__buf_printf(&b, ",\"frames_skipped\":%llu", (unsigned long long)r->frames_skipped);
        if (m->detectors) {
            const mqp_detector_report *d = &m->detectors[i];
            const char *name = d->detector ? d->detector : "unknown";
            mqp__buf_puts(&b, ",\"detector\":");
            mqp__buf_json_string(&b, name, strlen(name));
            mqp__buf_printf(&b,
                            ",\"detector_runs\":%llu,\"detector_failures\":%llu,"
                            "\"detector_skipped\":%llu",
                            (unsigned long long)d->runs, (unsigned long long)d->failures,
                            (unsigned long long)d->skipped);
        }
        mqp__buf_putc(&b, '}');
    }
    mqp__buf_printf(&b, "],\"sources_count\":%d", m->sources_count);
    if (m->data_plane) {
        const mqp_dataplane_stats *d = m->data_plane;
        mqp__buf_printf(&b,
                        ",\"data_plane\":{\"published\":%llu,\"dropped\":%llu,"
                        "\"dropped_queue_full\":%llu,\"unsent_lost\":%llu}",
                        (unsigned long long)(d->messages_published + d->metrics_published +
                                             d->frames_published),
                        (unsigned long long)d->dropped, (unsigned long long)d->dropped_queue_full,
                        (unsigned long long)d->unsent_lost);
    }
    mqp__buf_putc(&b, '}');
    char *json = mqp__buf_take(&b, len);
    if (!json) {
        return MQP_ERR_NOMEM;
    }
    *out = json;
    return MQP_OK;
}
