/* The data plane: formatting plus a client of its own that publishes without ever waiting.
 * The reference drops a message when it is not connected; so does this, and counts it. When
 * the broker or the link is slower than the pipeline, the client's outgoing queue bound
 * (out_queue_messages/bytes) refuses the newest messages, counted apart. */
#include "mqplane/dataplane.h"
#include "mqplane/defaults.h"

#include "mqplane/topic.h"
#include "mqplane/topics.h"

#include "alloc.h"
#include "client_hooks.h"
#include "dataplane_json.h"
#include "clock.h"
#include "fail.h"
#include "reserved.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* A detections message formatted on the pipeline's stack: 5 detections take some 750 bytes,
 * and the bound the formatter works to is about twice that. */
#define DETECTIONS_ON_STACK 8192

struct mqp_dataplane {
    mqp_client *client;
    char *detections_topic;
    char *metrics_topic;
    char *full_frames_topic;
    int qos;
    atomic_uint_fast64_t next_id;
    atomic_uint_fast64_t published;
    atomic_uint_fast64_t metrics;
    atomic_uint_fast64_t dropped;
    atomic_uint_fast64_t dropped_full;
    atomic_uint_fast64_t frames;
};

mqp_err mqp_dataplane_new(mqp_dataplane **out, const mqp_dataplane_opts *o, char *err,
                          size_t errlen)
{
    mqp_dataplane_opts d = o ? *o : (mqp_dataplane_opts){0};
    d.detections_topic = d.detections_topic ? d.detections_topic : MQP_TOPIC_DETECTIONS;
    d.metrics_topic = d.metrics_topic ? d.metrics_topic : MQP_TOPIC_METRICS;
    d.full_frames_topic = d.full_frames_topic ? d.full_frames_topic : MQP_TOPIC_FULL_FRAMES;
    d.client.client_id = d.client.client_id ? d.client.client_id : MQP_DEFAULT_DATA_CLIENT_ID;
    if (!out) {
        return MQP_ERR_INVALID;
    }
    if (MQP__CHECK_RESERVED(&d, "data plane options", err, errlen) != MQP_OK) {
        return MQP_ERR_INVALID;
    }
    if (d.qos < 0 || d.qos > 2) {
        return mqp__fail(err, errlen, MQP_ERR_INVALID, "data plane: qos must be 0, 1 or 2");
    }
    if (mqp_topic_validate_name(d.detections_topic) != MQP_OK ||
        mqp_topic_validate_name(d.metrics_topic) != MQP_OK ||
        mqp_topic_validate_name(d.full_frames_topic) != MQP_OK) {
        return mqp__fail(err, errlen, MQP_ERR_INVALID,
                         "data plane: topics must be valid topic "
                         "names (no '+', '#', not empty)");
    }
    mqp_dataplane *dp = mqp__calloc(1, sizeof *dp);
    if (!dp || !(dp->detections_topic = mqp__strdup(d.detections_topic)) ||
        !(dp->metrics_topic = mqp__strdup(d.metrics_topic)) ||
        !(dp->full_frames_topic = mqp__strdup(d.full_frames_topic))) {
        mqp_dataplane_destroy(dp);
        return MQP_ERR_NOMEM;
    }
    dp->qos = d.qos;
    atomic_store(&dp->next_id, 1);
    mqp_err rc = mqp_client_new_err(&dp->client, &d.client, err, errlen);
    if (rc == MQP_OK) {
        rc = mqp_client_start(dp->client);
    }
    if (rc != MQP_OK) {
        mqp_dataplane_destroy(dp);
        return rc;
    }
    *out = dp;
    return MQP_OK;
}

/* Offline, or with the outgoing window full, a message is dropped before it is formatted:
 * formatting a message nobody will receive is wasted work on the pipeline thread (at full
 * speed, most of its work). QoS 1 and 2 are not windowed. */
static mqp_err drop_early(mqp_dataplane *dp)
{
    if (!mqp_client_is_connected(dp->client)) {
        atomic_fetch_add(&dp->dropped, 1);
        return MQP_ERR_NO_CONN;
    }
    if (dp->qos == 0 && mqp__client_out_full(dp->client)) {
        atomic_fetch_add(&dp->dropped, 1);
        atomic_fetch_add(&dp->dropped_full, 1);
        return MQP_ERR_QUEUE_FULL;
    }
    return MQP_OK;
}

static mqp_err count(mqp_dataplane *dp, mqp_err rc, atomic_uint_fast64_t *counter)
{
    atomic_fetch_add(rc == MQP_OK ? counter : &dp->dropped, 1);
    if (rc == MQP_ERR_QUEUE_FULL) {
        atomic_fetch_add(&dp->dropped_full, 1);
    }
    return rc;
}

/* Sends what a formatter produced, or counts its failure as a drop. */
static mqp_err send_formatted(mqp_dataplane *dp, mqp_err formatted, const char *topic, char *json,
                              size_t len, atomic_uint_fast64_t *counter)
{
    mqp_err rc = formatted == MQP_OK
                     ? mqp_client_publish(dp->client, topic, json, len, dp->qos, false)
                     : formatted;
    mqp__free(json);
    return count(dp, rc, counter);
}

mqp_err mqp_dataplane_publish_detections(mqp_dataplane *dp, const mqp_detection *dets, size_t n,
                                         const mqp_frame_info *frame, const mqp_roi_info *roi)
{
    mqp_detections_batch b = {.detections = dets, .count = n, .frame = frame, .roi = roi};
    return mqp_dataplane_publish_batch(dp, &b);
}

mqp_err mqp_dataplane_publish_batch(mqp_dataplane *dp, const mqp_detections_batch *b)
{
    if (!dp) {
        return MQP_ERR_INVALID;
    }
    mqp_err early = drop_early(dp);
    if (early != MQP_OK) {
        return early;
    }
    char stack[DETECTIONS_ON_STACK]; /* A few dozen detections; more are allocated. */
    char *json = NULL;
    size_t len = 0;
    uint64_t id = atomic_fetch_add(&dp->next_id, 1);
    mqp_err rc =
        mqp__detections_batch_json_in(id, mqpx_wall_s(), b, stack, sizeof stack, &json, &len);
    rc = rc == MQP_OK
             ? mqp_client_publish(dp->client, dp->detections_topic, json, len, dp->qos, false)
             : rc;
    if (json != stack) {
        mqp__free(json);
    }
    return count(dp, rc, &dp->published);
}

mqp_err mqp_dataplane_publish_metrics(mqp_dataplane *dp, const mqp_metrics_report *m)
{
    if (!dp) {
        return MQP_ERR_INVALID;
    }
    mqp_err early = drop_early(dp);
    if (early != MQP_OK) {
        return early;
    }
    mqp_metrics_report with = *m;
    mqp_dataplane_stats own;
    if (!with.data_plane) {
        mqp_dataplane_stats_get(dp, &own);
        with.data_plane = &own;
    }
    char *json = NULL;
    size_t len = 0;
    mqp_err rc = mqp_metrics_json(mqpx_wall_s(), &with, &json, &len);
    return send_formatted(dp, rc, dp->metrics_topic, json, len, &dp->metrics);
}

mqp_err mqp_dataplane_publish_frame(mqp_dataplane *dp, const void *jpeg, size_t len,
                                    const mqp_frame_info *frame)
{
    if (!dp || !jpeg || !len || !frame) {
        return MQP_ERR_INVALID;
    }
    mqp_err early = drop_early(dp);
    if (early != MQP_OK) {
        return early;
    }
    char source[24], id[24], stamp[40];
    snprintf(source, sizeof source, "%d", frame->source_id);
    snprintf(id, sizeof id, "%llu", (unsigned long long)frame->frame_id);
    mqp_iso8601(frame->timestamp, stamp, sizeof stamp);
    mqp_user_prop props[] = {{"source_id", source}, {"frame_id", id}, {"timestamp", stamp}};
    mqp_publish_props pp = {.content_type = "image/jpeg", .user_props = props, .n_user_props = 3};
    mqp_err rc =
        mqp_client_publish_props(dp->client, dp->full_frames_topic, jpeg, len, dp->qos, false, &pp);
    return count(dp, rc, &dp->frames);
}

void mqp_dataplane_stats_get(mqp_dataplane *dp, mqp_dataplane_stats *s)
{
    if (!dp || !s) {
        return;
    }
    mqp_client_stats cs;
    mqp_client_stats_get(dp->client, &cs);
    *s = (mqp_dataplane_stats){
        .dropped_queue_full = atomic_load(&dp->dropped_full),
        .unsent_lost = cs.out_queue_lost,
        .messages_published = atomic_load(&dp->published),
        .metrics_published = atomic_load(&dp->metrics),
        .dropped = atomic_load(&dp->dropped),
        .connected = cs.connected,
        .topic = dp->detections_topic,
        .frames_published = atomic_load(&dp->frames),
    };
}

mqp_client *mqp_dataplane_client(mqp_dataplane *dp)
{
    return dp ? dp->client : NULL;
}

void mqp_dataplane_destroy(mqp_dataplane *dp)
{
    if (!dp) {
        return;
    }
    mqp_client_destroy(dp->client);
    mqp__free(dp->detections_topic);
    mqp__free(dp->metrics_topic);
    mqp__free(dp->full_frames_topic);
    mqp__free(dp);
}
