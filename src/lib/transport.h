/* The layer below the client: one MQTT connection that keeps itself connected. Two
 * implementations: libmosquitto (transport_mosq.c) and the in-process broker
 * (transport_memory.c). The client core never knows which one it talks to. */
#ifndef MQP_TRANSPORT_H
#define MQP_TRANSPORT_H

#include "mqplane/client.h"

#include "log.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct mqp__transport mqp__transport;

/* A message as the transport hands it over; everything is borrowed for the call. */
typedef struct mqp__incoming {
    const char *topic;
    const void *payload;
    size_t len;
    int qos;
    bool retain;
    const uint32_t *sub_ids; /* The subscription identifiers that matched (MQTT 5), or none. */
    size_t n_sub_ids;
    const char *response_topic; /* MQTT 5 request/response, or NULL. */
    const void *correlation;
    size_t correlation_len;
    const char *content_type; /* MQTT 5, or NULL. */
    const mqp_user_prop *user_props;
    size_t n_user_props;
} mqp__incoming;

/* MQTT 5 properties of an outgoing message. */
typedef struct mqp__pub_props {
    const char *response_topic;
    const void *correlation;
    size_t correlation_len;
    const char *content_type;
    const mqp_user_prop *user_props;
    size_t n_user_props;
} mqp__pub_props;

/* What the transport tells the client. Called on the transport's own thread (for memory://,
 * on the publishing thread); the client must not call user code from them. */
typedef struct mqp__transport_events {
    void *ctx;
    /* A connection is up; session_present tells whether the broker resumed the session;
     * broker: which one of the config's urls. */
    void (*connected)(void *ctx, bool session_present, int protocol_version, size_t broker);
    /* An attempt failed or an established connection ended; detail never holds secrets.
     * was_connected tells which of the two. MQP_ERR_TAKEN_OVER: another client with our id
     * took the session (said by the broker, or told by its pattern); detail says what next. */
    void (*disconnected)(void *ctx, mqp_err reason, const char *detail, bool was_connected);
    /* A message arrived. May block: that is the backpressure of a full queue. */
    void (*message)(void *ctx, const mqp__incoming *m);
    /* Optional: a fresh last-will payload before each connection attempt (allocated with
     * mqp__malloc), or NULL to keep the current one. Library code only, never user code. */
    char *(*will_refresh)(void *ctx);
    /* Optional: a connection that followed takeovers (MQP_ERR_TAKEN_OVER) has stayed up for
     * the quiet time; the other client with our id has gone. */
    void (*settled)(void *ctx);
} mqp__transport_events;

typedef struct mqp__transport_config {
    const mqp_url *urls; /* The brokers, tried in turn (memory://: one). */
    size_t nurls;
    const char *url_redacted; /* The whole list. */
    const char *client_id;
    int keepalive_s;
    mqp_protocol protocol;
    int64_t reconnect_min_ms;
    int64_t reconnect_max_ms;
    uint32_t session_expiry_s;
    bool clean_session; /* No session: clean start, expiry 0, no stale-session discard needed. */
    const char *will_topic; /* NULL: no last will. */
    const char *will_payload;
    int will_qos;
    bool will_retain;
    const mqp_client_opts *opts; /* TLS files and flags. */
    const mqp__logger *logger;
    size_t out_max_messages; /* The outgoing QoS 0 window (outq.h); SIZE_MAX: no bound. */
    size_t out_max_bytes;
} mqp__transport_config;

/* The outgoing QoS 0 window, as the client reports it. */
typedef struct mqp__out_stats {
    size_t depth, bytes, high_water;
    uint64_t refused, lost;
} mqp__out_stats;

typedef struct mqp__transport_ops {
    mqp_err (*start)(mqp__transport *t);
    /* props may be NULL; on an MQTT 3.1.1 connection they are left out. */
    mqp_err (*publish)(mqp__transport *t, const char *topic, const void *payload, size_t len,
                       int qos, bool retain, const mqp__pub_props *props);
    /* sub_id 0 means none. Fails with MQP_ERR_NO_CONN while offline; the client re-subscribes
     * everything on each connection anyway. */
    mqp_err (*subscribe)(mqp__transport *t, const char *filter, int qos, uint32_t sub_id);
    mqp_err (*unsubscribe)(mqp__transport *t, const char *filter);
    /* Waits until every QoS 1/2 message published so far is acknowledged, and every
     * subscription and unsubscription of this connection answered. */
    mqp_err (*flush)(mqp__transport *t, int64_t timeout_ms);
    /* Optional: the outgoing QoS 0 window; without it, QoS 0 never waits (memory://). */
    void (*out_stats)(mqp__transport *t, mqp__out_stats *s);
    /* Optional, with out_stats: true, counting a refusal, when the window would refuse any
     * QoS 0 message now. */
    bool (*out_full)(mqp__transport *t);
    /* Optional: while waiting between attempts, try again now (a client about to stop). */
    void (*retry_now)(mqp__transport *t);
    /* Drops the connection (no clean DISCONNECT) and reconnects. */
    void (*force_reconnect)(mqp__transport *t);
    /* Disconnects cleanly (no last will, no lingering session) and joins its threads. */
    void (*stop)(mqp__transport *t);
    void (*destroy)(mqp__transport *t);
} mqp__transport_ops;

struct mqp__transport {
    const mqp__transport_ops *ops;
};

mqp_err mqp__transport_mosq_new(mqp__transport **out, const mqp__transport_config *cfg,
                                const mqp__transport_events *ev, char *err, size_t errlen);
mqp_err mqp__transport_memory_new(mqp__transport **out, const mqp__transport_config *cfg,
                                  const mqp__transport_events *ev, char *err, size_t errlen);

#endif
