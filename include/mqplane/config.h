/**
 * @file config.h
 * @brief Configuration files: YAML with `${VAR}` expansion and environment overrides, in the
 *        shape of the reference `config.yaml` (an `mqtt:` section with `broker_host`,
 *        `broker_port`, `username`, `password`, `data_topic`, `metrics_topic`, `data_qos`, …).
 *
 * Values are addressed by dotted paths: `mqtt.broker_port`, `pipeline.sources.0`. Every error
 * names where the value came from (`config.yaml:12` or `environment MQTT_BROKER_PORT`) and its
 * key.
 *
 * Overrides, strongest first: the reference variables `MQTT_URL`, `MQTT_BROKER_HOST`,
 * `MQTT_BROKER_PORT`, `MQTT_USERNAME`, `MQTT_PASSWORD`, `MQTT_TOPIC_VERSION`,
 * `MQTT_BASE_PREFIX` for their `mqtt.` keys; then `MQP_<PATH>` for any scalar (path upper-cased,
 * dots as underscores: `MQP_MQTT_DATA_QOS`); then the file.
 */
#ifndef MQPLANE_CONFIG_H
#define MQPLANE_CONFIG_H

#include "mqplane/client.h"
#include "mqplane/common.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A loaded configuration. */
typedef struct mqp_config mqp_config;

/** Size of an error buffer that holds any configuration error message. */
#define MQP_CONFIG_ERRLEN 512

/**
 * @brief Loads a YAML file (NULL: no file, only the environment and defaults).
 * @param[out] out     The configuration; written only on success.
 * @param[in]  path    The file, or NULL.
 * @param[out] err     Message naming file, line and key on failure.
 * @param[in]  errlen  Its size.
 * @return MQP_OK; MQP_ERR_INVALID; MQP_ERR_IO when the file cannot be read; MQP_ERR_CONFIG for
 *         bad YAML, duplicate keys, a root that is not a mapping, or `${VAR}` of an unset
 *         variable without a default; MQP_ERR_NOMEM.
 */
MQP_API mqp_err mqp_config_load(mqp_config **out, const char *path, char *err, size_t errlen);

/**
 * @brief As mqp_config_load(), from text in memory; @p name is used in messages.
 */
MQP_API mqp_err mqp_config_parse(mqp_config **out, const char *text, size_t len, const char *name,
                                 char *err, size_t errlen);

/** @brief Frees a configuration. NULL is a no-op. */
MQP_API void mqp_config_free(mqp_config *cfg);

/**
 * @brief The value at a dotted path after expansion and overrides.
 * @return The string, valid while @p cfg lives; NULL when absent.
 */
MQP_API const char *mqp_config_get(const mqp_config *cfg, const char *path);

/**
 * @brief Where a value came from: "FILE:LINE" or "environment VAR".
 * @return A string valid while @p cfg lives; NULL when absent.
 */
MQP_API const char *mqp_config_origin(const mqp_config *cfg, const char *path);

/**
 * @brief An integer in [min, max]; @p def when absent.
 * @return MQP_OK; MQP_ERR_CONFIG (message names origin, key, range and value).
 */
MQP_API mqp_err mqp_config_get_int(const mqp_config *cfg, const char *path, long min, long max,
                                   long def, long *out, char *err, size_t errlen);

/**
 * @brief A number in [min, max]; @p def when absent.
 * @return MQP_OK; MQP_ERR_CONFIG.
 */
MQP_API mqp_err mqp_config_get_double(const mqp_config *cfg, const char *path, double min,
                                      double max, double def, double *out, char *err,
                                      size_t errlen);

/**
 * @brief A boolean (true/false, yes/no, on/off, 1/0); @p def when absent.
 * @return MQP_OK; MQP_ERR_CONFIG.
 */
MQP_API mqp_err mqp_config_get_bool(const mqp_config *cfg, const char *path, bool def, bool *out,
                                    char *err, size_t errlen);

/**
 * @brief Checks that every key directly under @p section is one of @p known (a NULL-terminated
 *        list), so a typo is an error instead of a silently ignored setting.
 * @return MQP_OK; MQP_ERR_CONFIG naming the first unknown key and listing the known ones.
 */
MQP_API mqp_err mqp_config_check_keys(const mqp_config *cfg, const char *section,
                                      const char *const *known, char *err, size_t errlen);

/** The `mqtt:` section, validated. Strings are valid while the configuration lives. */
typedef struct mqp_mqtt_settings {
    const char *url; /**< From `url`, or built from broker_host/port; `username` and
                          `password` (the file's, or MQTT_USERNAME/MQTT_PASSWORD) replace the
                          URL's own. NULL when none of them is set. */
    const char *client_id;
    int keepalive_s;               /**< 0 when not set. */
    const char *command_topic;     /**< Default inference/control/commands. */
    const char *status_topic;      /**< Default inference/control/status. */
    const char *response_topic;    /**< Default inference/control/responses. */
    const char *data_topic;        /**< Default inference/data/detections. */
    const char *metrics_topic;     /**< Default inference/data/metrics. */
    const char *full_frames_topic; /**< Default inference/data/full_frames. */
    int data_qos;                  /**< Default 0. */
    int control_qos;               /**< Default 1. */
    bool publish_full_frame;       /**< Default false. */
    size_t max_command_payload;    /**< Largest command, bytes: MQP_DEFAULT_MAX_COMMAND_PAYLOAD. */
    const char *control_username;  /**< The control connection's own identity, or NULL. */
    const char *control_password;
    const char *data_username; /**< The data connection's own identity, or NULL. */
    const char *data_password;
    const char *tls_ca_file;
    const char *tls_ca_path;
    const char *tls_cert_file;
    const char *tls_key_file;
    bool tls_insecure;
    double full_frame_rate;     /**< Annotated frames per second per source; default 1. */
    size_t data_queue_messages; /**< The data plane's outgoing queue bound (out_queue_messages);
                                     0: the default. Was reserved. */
    size_t data_queue_bytes;    /**< Ditto in bytes (out_queue_bytes). Was reserved. */
    MQP_RESERVED_WORDS(1);      /**< For keys to come; written as zero. */
} mqp_mqtt_settings;

/**
 * @brief Reads and validates the `mqtt:` section: unknown keys, ports, QoS levels and topic
 *        names are checked, each error naming its origin and key.
 * @return MQP_OK; MQP_ERR_CONFIG; MQP_ERR_NOMEM.
 */
MQP_API mqp_err mqp_config_mqtt(mqp_config *cfg, mqp_mqtt_settings *out, char *err, size_t errlen);

/** One key of the `mqtt:` section, as mqplane knows it. */
typedef struct mqp_config_key {
    const char *key;  /**< "data_qos" (the path is mqtt.data_qos). */
    const char *type; /**< "string", "secret", "url", "topic", "integer", "number" or
                           "boolean". */
    const char *def;  /**< The default as text; NULL for none, and for every secret. */
    const char *env;  /**< The reference's own variable for it ("MQTT_URL"), or NULL. Every key
                           also takes MQP_MQTT_<KEY> ("MQP_MQTT_DATA_QOS"). */
    const char *doc;  /**< What it is, in one line. */
    long min, max;    /**< The range of an integer (of a number, rounded toward zero); 0, 0
                           for the others. */
} mqp_config_key;

/**
 * @brief Every key of the `mqtt:` section, in the order of the schema.
 * @param[out] out  The keys, static; may be NULL.
 * @return Their number.
 * @note Safe from any thread.
 */
MQP_API size_t mqp_config_mqtt_keys(const mqp_config_key **out);

/**
 * @brief Copies the connection settings (URL, client id, keepalive, TLS) into client options,
 *        leaving members the settings do not set untouched.
 */
MQP_API void mqp_mqtt_settings_apply(const mqp_mqtt_settings *s, mqp_client_opts *o);

#ifdef __cplusplus
}
#endif

#endif
