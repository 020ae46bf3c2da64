/**
 * @file dataplane.h
 * @brief The data plane of the reference (seed 02): detections and metrics published at QoS 0
 *        on a connection of their own, never blocking the pipeline, with counted statistics.
 *
 * Wire contract (unchanged from the reference):
 * - `inference/data/detections`: `{"timestamp", "message_id", "detection_count",
 *   "detections": [{"class", "confidence", "bbox": {"x","y","width","height"}, "class_id",
 *   "track_id"?, "detector"?}], "frame": {"frame_id", "source_id", "timestamp"},
 *   "roi_metrics"?: {"roi_enabled", "roi_box": {…}, "crop_offset_x", "crop_offset_y"}}`
 *   (`detector`, which detector made the box, is mqplane's addition; readers of the reference
 *   schema ignore it).
 * - `inference/data/metrics`: `{"timestamp", "throughput_fps", "latency_reports": [{
 *   "source_id", "frame_decoding_latency_ms", "inference_latency_ms", "e2e_latency_ms"}],
 *   "sources_count"}`; mqplane adds `frames_skipped` to each latency report, and, when the
 *   report carries them, `detector`, `detector_runs`, `detector_failures` and
 *   `detector_skipped`.
 * Timestamps are ISO 8601 local time with microseconds and no offset, as Python's
 * `datetime.now().isoformat()` writes them: `2024-01-15T10:30:00.123456`.
 */
#ifndef MQPLANE_DATAPLANE_H
#define MQPLANE_DATAPLANE_H

#include "mqplane/client.h"
#include "mqplane/common.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One detection. */
typedef struct mqp_detection {
    const char *class_name;  /**< `class`; NULL is written as "unknown". */
    double confidence;       /**< In [0, 1]. */
    int x, y, width, height; /**< `bbox`, full-frame pixels. */
    int class_id;            /**< `class_id`; negative is written as null. */
    int64_t track_id;        /**< `track_id` once stabilized; negative leaves it out. */
} mqp_detection;

/** The frame the detections belong to. */
typedef struct mqp_frame_info {
    uint64_t frame_id;
    int source_id;
    double timestamp; /**< Capture time, epoch seconds. */
} mqp_frame_info;

/** The adaptive crop, reported while it is on. */
typedef struct mqp_roi_info {
    int x, y, width, height; /**< `roi_box`. */
    int offset_x, offset_y;  /**< `crop_offset_x`, `crop_offset_y`. */
} mqp_roi_info;

/** One source's latencies. */
typedef struct mqp_latency_report {
    int source_id;
    double frame_decoding_latency_ms;
    double inference_latency_ms;
    double e2e_latency_ms;
    uint64_t frames_skipped; /**< `frames_skipped` (beyond the reference): frames the source
                                  had newer ones for before the pipeline could take them. */
} mqp_latency_report;

/** One source's detector, written into its latency report (beyond the reference). */
typedef struct mqp_detector_report {
    const char *detector; /**< `detector`: its name. */
    uint64_t runs;        /**< `detector_runs`: frames it ran on. */
    uint64_t failures;    /**< `detector_failures`: runs that failed; their frames went on
                               without detections. */
    uint64_t skipped;     /**< `detector_skipped`: frames it was not run on (a rate cap, motion
                               gating). */
} mqp_detector_report;

/** A watchdog report. */
typedef struct mqp_metrics_report {
    double throughput_fps;
    const mqp_latency_report *reports;
    size_t nreports;
    int sources_count;
    const mqp_detector_report *detectors;         /**< nreports of them, one per report; NULL: left
                                                       out. Was reserved. */
    const struct mqp_dataplane_stats *data_plane; /**< The `data_plane` object; NULL: left out
                                                       (mqp_dataplane_publish_metrics() fills
                                                       it with its own). Was reserved. */
    MQP_RESERVED_WORDS(2);                        /**< For fields to come; must be zero. */
} mqp_metrics_report;

/**
 * @brief Writes an ISO 8601 local timestamp with microseconds: `2024-01-15T10:30:00.123456`.
 * @param[in]  epoch_s  Epoch seconds.
 * @param[out] buf      At least 27 bytes.
 * @param[in]  len      Size of @p buf.
 * @return Characters written, or 0 if @p len is too small.
 * @note Safe from any thread.
 */
MQP_API size_t mqp_iso8601(double epoch_s, char *buf, size_t len);

/**
 * @brief The detections message as JSON.
 * @param[in]  message_id  Increasing message number.
 * @param[in]  now         Message time, epoch seconds.
 * @param[in]  dets        Detections (may be NULL when @p n is 0).
 * @param[in]  n           Their number.
 * @param[in]  frame       The frame.
 * @param[in]  roi         The crop, or NULL when it is off (then `roi_metrics` is left out).
 * @param[out] out         The JSON; free with mqp_free(). Written only on success.
 * @param[out] len         Its length; may be NULL.
 * @return MQP_OK; MQP_ERR_INVALID; MQP_ERR_NOMEM.
 */
MQP_API mqp_err mqp_detections_json(uint64_t message_id, double now, const mqp_detection *dets,
                                    size_t n, const mqp_frame_info *frame, const mqp_roi_info *roi,
                                    char **out, size_t *len);

/** A detections message, everything in it: what mqp_detections_batch_json() and
 *  mqp_dataplane_publish_batch() take, so that fields to come need no new function. */
typedef struct mqp_detections_batch {
    const mqp_detection *detections; /**< May be NULL when count is 0. */
    size_t count;
    const mqp_frame_info *frame; /**< Required. */
    const mqp_roi_info *roi;     /**< NULL while the crop is off. */
    const char *detector;        /**< Written as `detector` on each detection; NULL: left out. */
    MQP_RESERVED_WORDS(4);       /**< For fields to come; must be zero (see common.h). */
} mqp_detections_batch;

/**
 * @brief The detections message of a batch as JSON; as mqp_detections_json(), which is this
 *        with the detector left out.
 * @return MQP_OK; MQP_ERR_INVALID (no frame, detections NULL with a count, reserved space
 *         set); MQP_ERR_NOMEM.
 */
MQP_API mqp_err mqp_detections_batch_json(uint64_t message_id, double now,
                                          const mqp_detections_batch *b, char **out, size_t *len);

/**
 * @brief The metrics message as JSON. Same conventions as mqp_detections_json().
 */
MQP_API mqp_err mqp_metrics_json(double now, const mqp_metrics_report *m, char **out, size_t *len);

/** The data plane. */
typedef struct mqp_dataplane mqp_dataplane;

/** Data plane options; all-zero means the reference defaults. */
typedef struct mqp_dataplane_opts {
    mqp_client_opts client;        /**< Connection; client_id: MQP_DEFAULT_DATA_CLIENT_ID. */
    const char *detections_topic;  /**< Default inference/data/detections. */
    const char *metrics_topic;     /**< Default inference/data/metrics. */
    int qos;                       /**< Default 0. */
    const char *full_frames_topic; /**< Default inference/data/full_frames. */
    MQP_RESERVED_WORDS(3);         /**< For options to come; must be zero (see common.h). */
} mqp_dataplane_opts;

/** Data plane statistics (the reference's get_stats, and more). */
typedef struct mqp_dataplane_stats {
    uint64_t messages_published; /**< Detections messages handed to the connection. */
    uint64_t metrics_published;
    uint64_t dropped; /**< Messages dropped (offline, outgoing queue full, or failed), never
                           retried. */
    bool connected;
    const char *topic;           /**< The detections topic; valid while the plane lives. */
    uint64_t frames_published;   /**< Annotated frames handed to the connection. */
    uint64_t dropped_queue_full; /**< Of dropped: the outgoing queue was full (a stalled broker
                                      or link). Was reserved. */
    uint64_t unsent_lost;        /**< Handed to the connection, never sent: it ended, or the plane
                                      stopped, first. Was reserved. */
    MQP_RESERVED_WORDS(1);       /**< For counters to come; written as zero. */
} mqp_dataplane_stats;

/**
 * @brief Creates the data plane and starts connecting in the background.
 * @return MQP_OK; MQP_ERR_INVALID (bad topic or QoS); as mqp_client_new_err().
 */
MQP_API mqp_err mqp_dataplane_new(mqp_dataplane **out, const mqp_dataplane_opts *o, char *err,
                                  size_t errlen);

/**
 * @brief Publishes one detections message. Never blocks: offline, the message is dropped and
 *        counted (MQP_ERR_NO_CONN).
 * @note Safe from any thread; message ids increase in call order.
 */
MQP_API mqp_err mqp_dataplane_publish_detections(mqp_dataplane *dp, const mqp_detection *dets,
                                                 size_t n, const mqp_frame_info *frame,
                                                 const mqp_roi_info *roi);

/** @brief Publishes one detections message from a batch; like
 *         mqp_dataplane_publish_detections(), which is this with the detector left out. */
MQP_API mqp_err mqp_dataplane_publish_batch(mqp_dataplane *dp, const mqp_detections_batch *b);

/** @brief Publishes one metrics message; like mqp_dataplane_publish_detections(). */
MQP_API mqp_err mqp_dataplane_publish_metrics(mqp_dataplane *dp, const mqp_metrics_report *m);

/**
 * @brief Publishes one annotated frame on the full-frames topic: the raw image (a JPEG, as the
 *        most-used open-source NVR sends it: no base64, no JSON), with MQTT 5 content type
 *        `image/jpeg` and user properties `source_id`, `frame_id` and `timestamp` (ISO 8601, as
 *        the other messages). Like mqp_dataplane_publish_detections(): offline it is dropped
 *        and counted.
 * @return MQP_OK; MQP_ERR_INVALID; MQP_ERR_NO_CONN; as mqp_client_publish().
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_dataplane_publish_frame(mqp_dataplane *dp, const void *jpeg, size_t len,
                                            const mqp_frame_info *frame);

/** @brief Copies the statistics. Safe from any thread. */
MQP_API void mqp_dataplane_stats_get(mqp_dataplane *dp, mqp_dataplane_stats *s);

/** @brief The underlying client (health, statistics). Valid while the plane lives. */
MQP_API mqp_client *mqp_dataplane_client(mqp_dataplane *dp);

/** @brief Shuts down and frees. NULL is a no-op. */
MQP_API void mqp_dataplane_destroy(mqp_dataplane *dp);

#ifdef __cplusplus
}
#endif

#endif
