/**
 * @file defaults.h
 * @brief Every default of mqplane, named once (as coreMQTT's core_mqtt_config_defaults.h).
 *
 * An option left zero in an options struct, or a key missing from the configuration, takes the
 * value named here; headers and docs cite these names rather than repeat the numbers. Each may
 * be overridden when building mqplane itself (`-DMQP_DEFAULT_KEEPALIVE_S=30`); applications
 * set the options instead.
 */
#ifndef MQPLANE_DEFAULTS_H
#define MQPLANE_DEFAULTS_H

/* ---- the broker ---- */

/** Host when neither a URL nor MQTT_BROKER_HOST says. */
#ifndef MQP_DEFAULT_HOST
#define MQP_DEFAULT_HOST "localhost"
#endif
/** Port of mqtt:// when the URL has none. */
#ifndef MQP_DEFAULT_PORT
#define MQP_DEFAULT_PORT 1883
#endif
/** Port of mqtts:// when the URL has none. */
#ifndef MQP_DEFAULT_TLS_PORT
#define MQP_DEFAULT_TLS_PORT 8883
#endif

/* ---- a client (mqp_client_opts) ---- */

/** MQTT keepalive, seconds. */
#ifndef MQP_DEFAULT_KEEPALIVE_S
#define MQP_DEFAULT_KEEPALIVE_S 60
#endif
/** First reconnect delay step, ms; step n has a base of min * 2^n, capped. */
#ifndef MQP_DEFAULT_RECONNECT_MIN_MS
#define MQP_DEFAULT_RECONNECT_MIN_MS 500
#endif
/** Largest reconnect delay, ms; also the first wait after a session takeover. */
#ifndef MQP_DEFAULT_RECONNECT_MAX_MS
#define MQP_DEFAULT_RECONNECT_MAX_MS 5000
#endif
/** After takeovers the waits grow up to this many times the reconnect maximum. */
#ifndef MQP_TAKEOVER_WAIT_FACTOR
#define MQP_TAKEOVER_WAIT_FACTOR 12
#endif
/** MQTT 5 session kept by the broker across an outage, seconds. */
#ifndef MQP_DEFAULT_SESSION_EXPIRY_S
#define MQP_DEFAULT_SESSION_EXPIRY_S 3600
#endif
/** Bound of the incoming queue, messages. */
#ifndef MQP_DEFAULT_QUEUE_CAPACITY
#define MQP_DEFAULT_QUEUE_CAPACITY 1024
#endif
/** Bound of the outgoing QoS 0 messages not yet written to the socket, messages. */
#ifndef MQP_DEFAULT_OUT_QUEUE_MESSAGES
#define MQP_DEFAULT_OUT_QUEUE_MESSAGES 1024
#endif
/** The same bound in bytes (payload and topic). */
#ifndef MQP_DEFAULT_OUT_QUEUE_BYTES
#define MQP_DEFAULT_OUT_QUEUE_BYTES 8388608
#endif
/** Longest shutdown waits for the incoming queue to drain, ms. */
#ifndef MQP_DEFAULT_DRAIN_TIMEOUT_MS
#define MQP_DEFAULT_DRAIN_TIMEOUT_MS 5000
#endif
/** Longest shutdown waits for the broker's acknowledgements, ms. */
#ifndef MQP_DEFAULT_FLUSH_TIMEOUT_MS
#define MQP_DEFAULT_FLUSH_TIMEOUT_MS 2000
#endif
/** Longest a connection attempt waits for the broker's CONNACK, ms. */
#ifndef MQP_DEFAULT_CONNACK_TIMEOUT_MS
#define MQP_DEFAULT_CONNACK_TIMEOUT_MS 10000
#endif
/** Heartbeats missed in a row before the connection is rebuilt. */
#ifndef MQP_DEFAULT_HEARTBEAT_MISSES
#define MQP_DEFAULT_HEARTBEAT_MISSES 3
#endif
/** How long a seen envelope is remembered by de-duplication, ms. */
#ifndef MQP_DEFAULT_DEDUPE_TTL_MS
#define MQP_DEFAULT_DEDUPE_TTL_MS 30000
#endif
/** How many envelopes de-duplication remembers at most. */
#ifndef MQP_DEFAULT_DEDUPE_MAX
#define MQP_DEFAULT_DEDUPE_MAX 2048
#endif

/* ---- the planes (seed 01) ---- */

/** Client id of the control plane. */
#ifndef MQP_DEFAULT_CONTROL_CLIENT_ID
#define MQP_DEFAULT_CONTROL_CLIENT_ID "inference_control"
#endif
/** Client id of the data plane. */
#ifndef MQP_DEFAULT_DATA_CLIENT_ID
#define MQP_DEFAULT_DATA_CLIENT_ID "inference_data"
#endif
/** Largest command payload the control plane accepts, bytes. */
#ifndef MQP_DEFAULT_MAX_COMMAND_PAYLOAD
#define MQP_DEFAULT_MAX_COMMAND_PAYLOAD 65536
#endif
/** Room a command handler has for its result (JSON), bytes. */
#ifndef MQP_DEFAULT_COMMAND_RESULT_MAX
#define MQP_DEFAULT_COMMAND_RESULT_MAX 65536
#endif
/** Room a command handler has for its error message, bytes. */
#ifndef MQP_DEFAULT_COMMAND_ERROR_MAX
#define MQP_DEFAULT_COMMAND_ERROR_MAX 512
#endif
/** QoS of detections and metrics. */
#ifndef MQP_DEFAULT_DATA_QOS
#define MQP_DEFAULT_DATA_QOS 0
#endif

#endif
