/* The data plane's messages, written by hand into one buffer: this runs for every frame, so
 * no snprintf on the way (src/util/number_write.c) and the date and time of a second worked out
 * once for all the messages of that second. */
#define _POSIX_C_SOURCE 200809L
#include "mqplane/dataplane.h"

#include "alloc.h"
#include "dataplane_json.h"
#include "buf.h"
#include "json_write.h"
#include "number_write.h"
#include "reserved.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The local date and time of one second, "YYYY-MM-DDTHH:MM:SS", per thread: localtime_r and
 * strftime cost more than the rest of a message, and a camera's messages come 30 to a second.
 * (A change of TZ while running shows from the next second on.) */
typedef struct second_text {
    bool valid;
    time_t sec;
    size_t len;
    char text[32];
} second_text;

static const second_text *local_second(time_t t)
{
    static _Thread_local second_text c;
    if (!c.valid || c.sec != t) {
        struct tm tm;
        c.valid = false;
        if (!localtime_r(&t, &tm) ||
            !(c.len = strftime(c.text, sizeof c.text, "%Y-%m-%dT%H:%M:%S", &tm))) {
            return NULL;
        }
        c.sec = t;
        c.valid = true;
    }
    return &c;
}

size_t mqp_iso8601(double epoch_s, char *buf, size_t len)
{
    /* Beyond some 30 000 years a time_t cannot be told from the double. */
    if (!buf || len < 27 || !isfinite(epoch_s) || fabs(epoch_s) > 1e12) {
        return 0;
    }
    double whole = floor(epoch_s);
    time_t t = (time_t)whole;
    long usec = lround((epoch_s - whole) * 1e6);
    if (usec >= 1000000) {
        t++;
        usec -= 1000000;
    }
    const second_text *s = local_second(t);
    if (!s || s->len + 8 > len) {
        return 0;
    }
    memcpy(buf, s->text, s->len);
    buf[s->len] = '.';
    mqpx_write_padded(buf + s->len + 1, (uint32_t)usec, 6);
    buf[s->len + 7] = '\0';
    return s->len + 7;
}

/* ---- the detections message: one allocation, sized first, then written with a cursor ---- */

/* Copies a literal and moves the cursor past it (the copy of a known size is inlined). */
#define PUT(p, lit) ((void)memcpy((p), (lit), sizeof(lit) - 1), (p) += sizeof(lit) - 1)

/* Room for a number, a time stamp in quotes, and a JSON string of n bytes. */
#define NUM_ROOM        MQPX_NUMBER_MAX
#define STAMP_ROOM      (2 + 40)
#define STRING_ROOM(n)  (2 + 6 * (n))
#define BOX_ROOM        (sizeof "{\"x\":,\"y\":,\"width\":,\"height\":}" + 4 * NUM_ROOM)
#define DETECTION_FIXED 160 /* The keys and punctuation of one detection. */
#define MESSAGE_FIXED   256 /* Those of the rest, roi_metrics included. */

static char *w_stamp(char *p, double epoch_s)
{
    *p++ = '"';
    p += mqp_iso8601(epoch_s, p, 40);
    *p++ = '"';
    return p;
}

static char *w_int(char *p, int64_t v)
{
    return p + mqpx_write_i64(p, v);
}

/* A float as JSON ("%.6g"): always with a point or an exponent, so readers see a float, not an
 * int; NaN and infinities, which JSON cannot hold, as null. */
static char *w_double(char *p, double v)
{
    if (!isfinite(v)) {
        PUT(p, "null");
        return p;
    }
    size_t n = mqpx_write_g6(p, v);
    if (!memchr(p, '.', n) && !memchr(p, 'e', n)) {
        p[n++] = '.';
        p[n++] = '0';
    }
    return p + n;
}

/* The same into a growing buffer, for the messages that are not per frame (metrics). */
static void put_double(mqp__buf *b, double v)
{
    char tmp[NUM_ROOM + 2];
    mqp__buf_append(b, tmp, (size_t)(w_double(tmp, v) - tmp));
}

static void put_stamp(mqp__buf *b, double epoch_s)
{
    char tmp[STAMP_ROOM];
    mqp__buf_append(b, tmp, (size_t)(w_stamp(tmp, epoch_s) - tmp));
}

static char *w_string(char *p, const char *s, size_t n)
{
    *p++ = '"';
    p += mqpx_json_escape(p, 6 * n, s, n);
    *p++ = '"';
    return p;
}

static char *w_box(char *p, int x, int y, int w, int h)
{
    PUT(p, "{\"x\":");
    p = w_int(p, x);
    PUT(p, ",\"y\":");
    p = w_int(p, y);
    PUT(p, ",\"width\":");
    p = w_int(p, w);
    PUT(p, ",\"height\":");
    p = w_int(p, h);
    *p++ = '}';
    return p;
}

mqp_err mqp_detections_json(uint64_t message_id, double now, const mqp_detection *dets, size_t n,
                            const mqp_frame_info *frame, const mqp_roi_info *roi, char **out,
                            size_t *len)
{
    mqp_detections_batch b = {.detections = dets, .count = n, .frame = frame, .roi = roi};
    return mqp_detections_batch_json(message_id, now, &b, out, len);
}

mqp_err mqp__detections_batch_json_in(uint64_t message_id, double now,
                                      const mqp_detections_batch *batch, char *buf, size_t cap,
                                      char **out, size_t *len)
{
    if (!batch || (!batch->detections && batch->count) || !batch->frame || !out ||
        MQP__CHECK_RESERVED(batch, "detections batch", NULL, 0) != MQP_OK) {
        return MQP_ERR_INVALID;
    }
    const mqp_detection *dets = batch->detections;
    size_t n = batch->count;
    const mqp_frame_info *frame = batch->frame;
    const mqp_roi_info *roi = batch->roi;
    size_t detector_len = batch->detector ? strlen(batch->detector) : 0;
    /* The most it can take: every number at its longest, every string escaped at 6 bytes a
     * byte. A bound that cannot overflow: class names and the detector's name are C strings
     * in memory, n is an array's length. */
    size_t room = MESSAGE_FIXED + 2 * STAMP_ROOM + 6 * NUM_ROOM + BOX_ROOM;
    for (size_t i = 0; i < n; i++) {
        const char *cls = dets[i].class_name ? dets[i].class_name : "unknown";
        room += DETECTION_FIXED + STRING_ROOM(strlen(cls)) + STRING_ROOM(detector_len) +
                4 * NUM_ROOM + BOX_ROOM;
    }
    char *json = room <= cap ? buf : mqp__malloc(room);
    if (!json) {
        return MQP_ERR_NOMEM;
    }
    char *p = json;
    PUT(p, "{\"timestamp\":");
    p = w_stamp(p, now);
    PUT(p, ",\"message_id\":");
    p += mqpx_write_u64(p, message_id);
    PUT(p, ",\"detection_count\":");
    p += mqpx_write_u64(p, n);
    PUT(p, ",\"detections\":[");
    for (size_t i = 0; i < n; i++) {
        const mqp_detection *d = &dets[i];
        const char *cls = d->class_name ? d->class_name : "unknown";
        if (i) {
            *p++ = ',';
        }
        PUT(p, "{\"class\":");
        p = w_string(p, cls, strlen(cls));
        PUT(p, ",\"confidence\":");
        p = w_double(p, d->confidence);
        PUT(p, ",\"bbox\":");
        p = w_box(p, d->x, d->y, d->width, d->height);
        PUT(p, ",\"class_id\":");
        if (d->class_id >= 0) {
            p = w_int(p, d->class_id);
        } else {
            PUT(p, "null");
        }
        if (d->track_id >= 0) {
            PUT(p, ",\"track_id\":");
            p = w_int(p, d->track_id);
        }
        if (batch->detector) {
            PUT(p, ",\"detector\":");
            p = w_string(p, batch->detector, detector_len);
        }
        *p++ = '}';
    }
    PUT(p, "],\"frame\":{\"frame_id\":");
    p += mqpx_write_u64(p, frame->frame_id);
    PUT(p, ",\"source_id\":");
    p = w_int(p, frame->source_id);
    PUT(p, ",\"timestamp\":");
    p = w_stamp(p, frame->timestamp);
    *p++ = '}';
    if (roi) {
        PUT(p, ",\"roi_metrics\":{\"roi_enabled\":true,\"roi_box\":");
        p = w_box(p, roi->x, roi->y, roi->width, roi->height);
        PUT(p, ",\"crop_offset_x\":");
        p = w_int(p, roi->offset_x);
        PUT(p, ",\"crop_offset_y\":");
        p = w_int(p, roi->offset_y);
        *p++ = '}';
    }
    *p++ = '}';
    *p = '\0';
    *out = json;
    if (len) {
        *len = (size_t)(p - json);
    }
    return MQP_OK;
}

mqp_err mqp_detections_batch_json(uint64_t message_id, double now,
                                  const mqp_detections_batch *batch, char **out, size_t *len)
{
    return mqp__detections_batch_json_in(message_id, now, batch, NULL, 0, out, len);
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
