/* Publishing: raw payloads, enveloped events (to one topic or several at once) and health. */
#include "client_internal.h"

#include "mqplane/envelope.h"
#include "mqplane/topic.h"

#include "alloc.h"
#include "buf.h"
#include "reserved.h"

#include <stdio.h>
#include <string.h>

#define MQTT_PAYLOAD_MAX 268435455u

static mqp_err check_state(mqp_client *c)
{
    pthread_mutex_lock(&c->mu);
    enum mqp__state st = c->state;
    pthread_mutex_unlock(&c->mu);
    /* STOPPING still publishes: shutdown's own health message goes out then. */
    return st == MQP_STATE_STOPPED ? MQP_ERR_SHUTDOWN : MQP_OK;
}

static mqp_err send_one(mqp_client *c, const char *topic, const void *payload, size_t len, int qos,
                        bool retain, const mqp__pub_props *props)
{
    mqp_err rc = c->transport->ops->publish(c->transport, topic, payload, len, qos, retain, props);
    if (rc == MQP_OK) {
        atomic_fetch_add(&c->n.published, 1);
    } else {
        atomic_fetch_add(&c->n.publish_failed, 1);
    }
    return rc;
}

static mqp_err check_publish_args(mqp_client *c, const char *topic, const void *payload, size_t len,
                                  int qos)
{
    if (!topic || (!payload && len) || qos < 0 || qos > 2) {
        return MQP_ERR_INVALID;
    }
    if (len > MQTT_PAYLOAD_MAX) {
        mqp__set_error(c, MQP_ERR_TOO_LARGE, "payload of %zu bytes is over MQTT's %u", len,
                       MQTT_PAYLOAD_MAX);
        return MQP_ERR_TOO_LARGE;
    }
    if (mqp_topic_validate_name(topic) != MQP_OK) {
        mqp__set_error(c, MQP_ERR_TOPIC, "cannot publish to '%.200s': not a valid topic name",
                       topic);
        return MQP_ERR_TOPIC;
    }
    return check_state(c);
}

mqp_err mqp_client_publish_props(mqp_client *c, const char *topic, const void *payload, size_t len,
                                 int qos, bool retain, const mqp_publish_props *props)
{
    if (!c || (props && props->correlation_len && !props->correlation_data) ||
        (props && props->n_user_props && !props->user_props)) {
        return MQP_ERR_INVALID;
    }
    if (props && MQP__CHECK_RESERVED(props, "publish properties", NULL, 0) != MQP_OK) {
        mqp__set_error(c, MQP_ERR_INVALID, "publish properties: reserved space is set");
        return MQP_ERR_INVALID;
    }
    for (size_t i = 0; props && i < props->n_user_props; i++) {
        if (!props->user_props[i].name || !props->user_props[i].value) {
            mqp__set_error(c, MQP_ERR_INVALID, "user property %zu has no name or no value", i);
            return MQP_ERR_INVALID;
        }
    }
    if (props && props->response_topic && mqp_topic_validate_name(props->response_topic)) {
        mqp__set_error(c, MQP_ERR_TOPIC, "response topic '%.200s' is not a valid topic name",
                       props->response_topic);
        return MQP_ERR_TOPIC;
    }
    mqp_err rc = check_publish_args(c, topic, payload, len, qos);
    if (rc != MQP_OK) {
        return rc;
    }
    mqp__pub_props rp = {0};
    if (props) {
        rp =
            (mqp__pub_props){props->response_topic, props->correlation_data, props->correlation_len,
                             props->content_type,   props->user_props,       props->n_user_props};
    }
    return send_one(c, topic, payload, len, qos, retain, props ? &rp : NULL);
}

bool mqp__client_out_full(mqp_client *c)
{
    if (!c->transport->ops->out_full || !c->transport->ops->out_full(c->transport)) {
        return false;
    }
    atomic_fetch_add(&c->n.publish_failed, 1);
    return true;
}

mqp_err mqp_client_publish(mqp_client *c, const char *topic, const void *payload, size_t len,
                           int qos, bool retain)
{
    return mqp_client_publish_props(c, topic, payload, len, qos, retain, NULL);
}

mqp_err mqp_client_publish_event_multi(mqp_client *c, const char *const *topics, size_t ntopics,
                                       const char *type, const char *data_json,
                                       const char *correlation_id, int qos, bool retain)
{
    if (!c || !topics || ntopics == 0) {
        return MQP_ERR_INVALID;
    }
    for (size_t i = 0; i < ntopics; i++) {
        mqp_err rc = check_publish_args(c, topics[i], "", 0, qos);
        if (rc != MQP_OK) {
            return rc;
        }
    }
    mqp_event ev = {
        .type = type,
        .data_json = data_json,
        .source = c->source,
        .correlation_id = correlation_id,
        .seq = atomic_fetch_add(&c->seq, 1) + 1,
    };
    char err[MQP_ENVELOPE_ERRLEN];
    char *json = NULL;
    size_t len = 0;
    mqp_err rc = mqp_envelope_encode(&ev, &json, &len, err, sizeof err);
    if (rc != MQP_OK) {
        mqp__set_error(c, rc, "%s", err);
        return rc;
    }
    for (size_t i = 0; i < ntopics && rc == MQP_OK; i++) {
        rc = send_one(c, topics[i], json, len, qos, retain, NULL);
    }
    mqp__free(json);
    return rc;
}

mqp_err mqp_client_publish_event(mqp_client *c, const char *topic, const char *type,
                                 const char *data_json, const char *correlation_id, int qos,
                                 bool retain)
{
    return mqp_client_publish_event_multi(c, &topic, 1, type, data_json, correlation_id, qos,
                                          retain);
}

char *mqp__health_json(bool ok, const char *event, const char *error, const char *broker)
{
    mqp__buf b;
    mqp__buf_init(&b);
    mqp__buf_puts(&b, ok ? "{\"ok\":true" : "{\"ok\":false");
    if (event) {
        mqp__buf_puts(&b, ",\"event\":");
        mqp__buf_json_string(&b, event, strlen(event));
    }
    if (error) {
        mqp__buf_puts(&b, ",\"err\":");
        mqp__buf_json_string(&b, error, strlen(error));
    }
    if (broker) {
        mqp__buf_puts(&b, ",\"broker\":");
        mqp__buf_json_string(&b, broker, strlen(broker));
    }
    mqp__buf_putc(&b, '}');
    return mqp__buf_take(&b, NULL);
}

mqp_err mqp__publish_health_now(mqp_client *c, bool ok, const char *event, const char *error)
{
    char broker[sizeof c->broker];
    pthread_mutex_lock(&c->mu);
    snprintf(broker, sizeof broker, "%s", c->broker);
    pthread_mutex_unlock(&c->mu);
    char *json = mqp__health_json(ok, event, error, c->nurls > 1 && broker[0] ? broker : NULL);
    if (!json) {
        return MQP_ERR_NOMEM;
    }
    mqp_err rc = send_one(c, c->health_topic, json, strlen(json), 1, true, NULL);
    mqp__free(json);
    return rc;
}

mqp_err mqp_client_publish_health(mqp_client *c, bool ok, const char *event, const char *error)
{
    if (!c) {
        return MQP_ERR_INVALID;
    }
    if (!c->health_topic) {
        return MQP_ERR_STATE;
    }
    mqp_err rc = check_state(c);
    return rc == MQP_OK ? mqp__publish_health_now(c, ok, event, error) : rc;
}
