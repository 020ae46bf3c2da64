/**
 * @file client.h
 * @brief The centralized MQTT client: one connection built from a URL, reconnecting on its own,
 *        with an event envelope, wildcard dispatch off the network thread, a bounded incoming
 *        queue, retained health with a last will, an optional heartbeat and de-duplication,
 *        and an orderly shutdown.
 *
 * Threads: a client owns a network thread (never runs user code), a dispatch thread (runs
 * handlers and the connected/disconnected callbacks, one at a time, in arrival order) and, when
 * the heartbeat is on, a heartbeat thread. Unless a function says otherwise, a client is used by
 * one thread at a time; the publish functions are safe from any thread, including handlers.
 */
#ifndef MQPLANE_CLIENT_H
#define MQPLANE_CLIENT_H

#include "mqplane/common.h"
#include "mqplane/defaults.h"
#include "mqplane/url.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The client handle. */
typedef struct mqp_client mqp_client;

/** An MQTT 5 user property: a name and a value, both UTF-8. */
typedef struct mqp_user_prop {
    const char *name;
    const char *value;
} mqp_user_prop;

/** Most user properties a received message hands over; any beyond are left out. */
#define MQP_USER_PROPS_MAX 16

/** A message handed to a handler. Everything is borrowed for the duration of the call. */
typedef struct mqp_message {
    const char *topic;
    const void *payload; /**< Followed by a NUL byte that is not part of the payload. */
    size_t payload_len;
    int qos;
    bool retain;
    const char *response_topic;   /**< MQTT 5 request/response: where to answer, or NULL. */
    const void *correlation_data; /**< MQTT 5 correlation data to answer with, or NULL. */
    size_t correlation_len;
    const char *content_type;        /**< MQTT 5 content type ("image/jpeg"), or NULL. */
    const mqp_user_prop *user_props; /**< MQTT 5 user properties, in the order sent. */
    size_t n_user_props;             /**< At most MQP_USER_PROPS_MAX. */
} mqp_message;

/** MQTT 5 properties of a published message (left out on MQTT 3.1.1 connections). */
typedef struct mqp_publish_props {
    const char *response_topic;   /**< Where the receiver should answer, or NULL. */
    const void *correlation_data; /**< Echoed back by the receiver, or NULL. */
    size_t correlation_len;
    const char *content_type;        /**< The payload's MIME type ("image/jpeg"), or NULL. */
    const mqp_user_prop *user_props; /**< Name/value pairs; copied before the call returns. */
    size_t n_user_props;
    MQP_RESERVED_WORDS(4); /**< For properties to come; must be zero (see common.h). */
} mqp_publish_props;

/**
 * A subscription handler. Runs on the client's dispatch thread.
 * @return 0 when handled; anything else is an error, logged and counted, touching no other
 *         handler.
 */
typedef int (*mqp_handler_cb)(mqp_client *c, const mqp_message *msg, void *user);

/** Called on the dispatch thread after every successful (re)connection. */
typedef void (*mqp_connected_cb)(mqp_client *c, bool reconnect, void *user);

/** Called on the dispatch thread when an established connection is lost. */
typedef void (*mqp_disconnected_cb)(mqp_client *c, mqp_err reason, void *user);

/** Client options. All-zero means "the defaults" for every member. */
typedef struct mqp_client_opts {
    const char *url;           /**< Broker URL; NULL resolves it from the environment. */
    const char *client_id;     /**< NULL: the URL's `client_id`, else "mqplane-" + 8 random hex. */
    const char *username;      /**< Overrides the URL's and MQTT_USERNAME; NULL: keep those. */
    const char *password;      /**< Overrides the URL's and MQTT_PASSWORD; never logged. */
    const char *source;        /**< Envelope `source`; NULL: the client id. */
    int keepalive_s;           /**< MQTT keepalive; 0: the URL's, else MQP_DEFAULT_KEEPALIVE_S. */
    mqp_protocol protocol;     /**< AUTO unless the URL or this says otherwise. */
    int reconnect_min_ms;      /**< First reconnect delay step; 0: MQP_DEFAULT_RECONNECT_MIN_MS. */
    int reconnect_max_ms;      /**< Largest reconnect delay; 0: MQP_DEFAULT_RECONNECT_MAX_MS. */
    unsigned session_expiry_s; /**< MQTT 5 session kept; 0: MQP_DEFAULT_SESSION_EXPIRY_S. */
    size_t queue_capacity;     /**< Incoming queue bound; 0: MQP_DEFAULT_QUEUE_CAPACITY. */
    int drain_timeout_ms;   /**< Shutdown's wait for the queue; 0: MQP_DEFAULT_DRAIN_TIMEOUT_MS. */
    bool no_health;         /**< Publish no health and set no last will. */
    const char *will_topic; /**< A last will of your own, replacing the health "lost" one. */
    const char *will_payload; /**< Its payload (NUL-terminated). */
    int will_qos;             /**< Its QoS. */
    bool will_retain;         /**< Its retain flag. */
    int heartbeat_ms;         /**< Application heartbeat interval; 0: off. */
    int heartbeat_misses; /**< Missed beats forcing a reconnect; 0: MQP_DEFAULT_HEARTBEAT_MISSES. */
    bool dedupe;          /**< Drop incoming envelopes seen within the TTL. */
    int dedupe_ttl_ms;    /**< 0: MQP_DEFAULT_DEDUPE_TTL_MS. */
    size_t dedupe_max;    /**< 0: MQP_DEFAULT_DEDUPE_MAX. */
    const char *tls_ca_file;   /**< mqtts:// trust anchors (file); NULL with no dir: system CAs. */
    const char *tls_ca_path;   /**< mqtts:// trust anchors (directory). */
    const char *tls_cert_file; /**< Client certificate for mutual TLS. */
    const char *tls_key_file;  /**< Its private key. */
    bool tls_insecure_no_verify_hostname; /**< Skip the server name check. Dangerous. */
    mqp_log_cb log_cb;                    /**< Where log lines go; NULL: nowhere. */
    void *log_user;
    mqp_log_level log_level; /**< Most verbose level passed to log_cb; 0: MQP_LOG_INFO. */
    mqp_connected_cb on_connected;
    mqp_disconnected_cb on_disconnected;
    void *cb_user; /**< Passed to on_connected and on_disconnected. */
    /** Outgoing QoS 0 messages not yet written to the socket, at most (a stalled broker or link
     *  would otherwise fill memory); a publish beyond it fails with MQP_ERR_QUEUE_FULL and the
     *  message is dropped. 0: MQP_DEFAULT_OUT_QUEUE_MESSAGES; SIZE_MAX: no bound. QoS 1/2 are
     *  never refused. Was reserved. */
    size_t out_queue_messages;
    size_t out_queue_bytes; /**< The same in bytes; 0: MQP_DEFAULT_OUT_QUEUE_BYTES. Was reserved. */
    /** Keep no session: every connection starts clean and leaves nothing behind on the broker
     *  (MQTT 3.1.1 clean session; MQTT 5 clean start and session expiry 0). For clients with
     *  throwaway ids, such as operators' tools: a 3.1.1 broker never forgets a persistent
     *  session (RabbitMQ keeps a durable queue for each). Nothing is then queued for the client
     *  while it is offline. Was reserved. */
    bool clean_session;
    MQP_RESERVED_WORDS(5); /**< For options to come; must be zero (see common.h). */
} mqp_client_opts;

/** Counters of a client. */
typedef struct mqp_client_stats {
    uint64_t published;          /**< Messages accepted by publish calls. */
    uint64_t publish_failed;     /**< Publish calls that failed (e.g. QoS 0 while offline). */
    uint64_t received;           /**< Messages that arrived from the broker. */
    uint64_t dispatched;         /**< Handler calls made. */
    uint64_t handler_errors;     /**< Handler calls that returned an error. */
    uint64_t unhandled;          /**< Messages that matched no handler. */
    uint64_t dropped_queue_full; /**< QoS 0 messages dropped because the queue was full. */
    uint64_t dropped_duplicate;  /**< Envelopes dropped by de-duplication. */
    uint64_t dropped_shutdown;   /**< Messages not dispatched because shutdown cut the drain. */
    uint64_t held_back;          /**< QoS 1/2 messages that had to wait for queue space. */
    uint64_t connects;           /**< Successful connections, the first included. */
    uint64_t reconnects;         /**< Successful connections after the first. */
    uint64_t connect_failures;   /**< Connection attempts that failed. */
    uint64_t heartbeats_sent;
    uint64_t heartbeats_missed; /**< Beats that did not come back within the interval. */
    size_t queue_depth;
    size_t queue_high_water;
    size_t queue_capacity;
    bool connected;
    int protocol_version;       /**< 5 or 4 (3.1.1) once connected, else 0. */
    uint64_t takeovers;         /**< Sessions lost to another client using the same client id. */
    uint64_t out_queue_refused; /**< QoS 0 publishes refused: the outgoing queue was full. Was
                                     reserved, as are the four below. */
    uint64_t out_queue_lost;    /**< QoS 0 messages accepted but never written: the connection
                                     ended, or the client stopped, first. */
    size_t out_queue_depth;     /**< Outgoing QoS 0 messages not yet written, now. */
    size_t out_queue_bytes;     /**< Their bytes. */
    size_t out_queue_high_water;
    MQP_RESERVED_WORDS(3); /**< For counters to come; written as zero. */
} mqp_client_stats;

/**
 * @brief Creates a client. Nothing connects until mqp_client_start() or mqp_client_connect().
 * @param[out] out  The client; written only on success.
 * @param[in]  opts Options, copied; NULL means all defaults.
 * @return MQP_OK; MQP_ERR_INVALID for NULL @p out, out-of-range options or a client id that
 *         cannot name a topic; MQP_ERR_URL for a bad URL; MQP_ERR_NOMEM. The reason also goes
 *         to the log callback of @p opts, if any.
 * @note Use mqp_client_new_err() to get the message of a failure.
 */
MQP_API mqp_err mqp_client_new(mqp_client **out, const mqp_client_opts *opts);

/**
 * @brief As mqp_client_new(), with a buffer that receives the reason of a failure.
 * @param[out] err     Optional message buffer (never holds the password).
 * @param[in]  errlen  Its size.
 */
MQP_API mqp_err mqp_client_new_err(mqp_client **out, const mqp_client_opts *opts, char *err,
                                   size_t errlen);

/**
 * @brief Starts connecting in the background; returns at once. Reconnects on its own.
 * @return MQP_OK; MQP_ERR_STATE if already started or shut down; MQP_ERR_NOMEM; MQP_ERR_IO if a
 *         thread cannot be created.
 */
MQP_API mqp_err mqp_client_start(mqp_client *c);

/**
 * @brief Starts the client if needed and waits until it is connected.
 *
 * On a timeout the client keeps trying in the background.
 * @param[in] c           The client.
 * @param[in] timeout_ms  Longest wait; negative waits forever.
 * @return MQP_OK once connected; MQP_ERR_TIMEOUT; MQP_ERR_AUTH when the broker refused the
 *         credentials (returned at once); MQP_ERR_STATE after shutdown. mqp_client_last_error()
 *         says why the last attempt failed, or, when none has ended yet, that the broker has
 *         not answered.
 */
MQP_API mqp_err mqp_client_connect(mqp_client *c, int timeout_ms);

/**
 * @brief Publishes raw bytes.
 *
 * QoS 1/2 messages published while offline are kept and sent after the reconnection;
 * QoS 0 messages published while offline fail with MQP_ERR_NO_CONN and are counted.
 * @param[in] c        The client.
 * @param[in] topic    A valid topic name.
 * @param[in] payload  The bytes (copied); may be NULL when @p len is 0.
 * @param[in] len      Their number, at most 268435455.
 * @param[in] qos      0, 1 or 2.
 * @param[in] retain   Retain flag.
 * @return MQP_OK; MQP_ERR_INVALID; MQP_ERR_TOPIC; MQP_ERR_TOO_LARGE; MQP_ERR_NO_CONN (QoS 0
 *         while offline, or before start); MQP_ERR_SHUTDOWN after shutdown; MQP_ERR_NOMEM.
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_client_publish(mqp_client *c, const char *topic, const void *payload,
                                   size_t len, int qos, bool retain);

/**
 * @brief As mqp_client_publish(), with MQTT 5 request/response properties, e.g. to answer a
 *        request on its response topic with its correlation data.
 * @param[in] props  The properties; NULL is plain mqp_client_publish(). Left out on an MQTT
 *                   3.1.1 connection (the message itself is still sent).
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_client_publish_props(mqp_client *c, const char *topic, const void *payload,
                                         size_t len, int qos, bool retain,
                                         const mqp_publish_props *props);

/**
 * @brief Wraps JSON data in an envelope and publishes it.
 * @param[in] c               The client.
 * @param[in] topic           A valid topic name.
 * @param[in] type            Event type, non-empty.
 * @param[in] data_json       The data, one JSON value as text.
 * @param[in] correlation_id  Optional correlation id.
 * @param[in] qos             0, 1 or 2 (0 is the reference default).
 * @param[in] retain          Retain flag (false is the reference default).
 * @return As mqp_client_publish(), plus MQP_ERR_JSON for bad data.
 * @note Safe from any thread. The envelope's `seq` counts every event of this client.
 */
MQP_API mqp_err mqp_client_publish_event(mqp_client *c, const char *topic, const char *type,
                                         const char *data_json, const char *correlation_id, int qos,
                                         bool retain);

/**
 * @brief Publishes one envelope (same id and seq) to several topics, e.g. the new and the old
 *        layout of a migration (see mqp_topics_build()).
 * @param[in] topics   Topic names.
 * @param[in] ntopics  Their number, 1 or more.
 * @return As mqp_client_publish_event(); all topics are checked before anything is sent.
 */
MQP_API mqp_err mqp_client_publish_event_multi(mqp_client *c, const char *const *topics,
                                               size_t ntopics, const char *type,
                                               const char *data_json, const char *correlation_id,
                                               int qos, bool retain);

/**
 * @brief Publishes health on `system/health/<client_id>`, QoS 1, retained:
 *        `{"ok":OK,"event":EVENT,"err":ERR}` (event and err only when given).
 * @return As mqp_client_publish(); MQP_ERR_STATE when health is off (no_health).
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_client_publish_health(mqp_client *c, bool ok, const char *event,
                                          const char *error);

/**
 * @brief Registers a handler for a filter and subscribes to it (again after every reconnect).
 *
 * Every message goes to every handler whose filter matches it, once.
 * @param[in] c        The client.
 * @param[in] filter   A valid filter: `+`, `#` and `$share/GROUP/…` work.
 * @param[in] qos      Maximum QoS 0, 1 or 2.
 * @param[in] handler  The handler.
 * @param[in] user     Passed to the handler.
 * @return MQP_OK; MQP_ERR_INVALID; MQP_ERR_TOPIC; MQP_ERR_STATE after shutdown; MQP_ERR_NOMEM.
 */
MQP_API mqp_err mqp_client_subscribe(mqp_client *c, const char *filter, int qos,
                                     mqp_handler_cb handler, void *user);

/**
 * @brief Removes every handler of a filter and unsubscribes from it.
 * @return MQP_OK; MQP_ERR_INVALID; MQP_ERR_NOT_FOUND if no handler has this filter.
 */
MQP_API mqp_err mqp_client_unsubscribe(mqp_client *c, const char *filter);

/**
 * @brief Waits until the broker has acknowledged every subscription, unsubscription and QoS 1/2
 *        publish this client has made so far — e.g. to know that a subscription made after
 *        connecting is in effect before publishing a request whose answer it should catch.
 * @param[in] c           The client.
 * @param[in] timeout_ms  Longest wait.
 * @return MQP_OK; MQP_ERR_NO_CONN when not connected (subscriptions are then made on the next
 *         connection, and mqp_client_connect() returns once they are sent); MQP_ERR_TIMEOUT;
 *         MQP_ERR_INVALID.
 * @note Safe from any thread. Acknowledgements are read by the network thread, so waiting in a
 *       handler is allowed but holds up dispatch meanwhile.
 */
MQP_API mqp_err mqp_client_sync(mqp_client *c, int timeout_ms);

/**
 * @brief Drops the current connection and reconnects (as the heartbeat watchdog does).
 * @return MQP_OK; MQP_ERR_STATE when not running.
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_client_reconnect(mqp_client *c);

/**
 * @brief Shuts down in order: health "shutdown", stop accepting (unsubscribe), drain the queue
 *        (bounded by drain_timeout_ms), wait for outgoing QoS 1/2 acknowledgements, disconnect
 *        cleanly (no last will), join every thread. Idempotent.
 * @return MQP_OK; MQP_ERR_TIMEOUT if the drain or the acknowledgements ran out of time (the
 *         client is shut down all the same; stats say what was dropped).
 * @note Must not be called from a handler or callback of the same client.
 */
MQP_API mqp_err mqp_client_shutdown(mqp_client *c);

/**
 * @brief Shuts the client down if needed and frees it. NULL is a no-op.
 * @note Must not be called from a handler or callback of the same client.
 */
MQP_API void mqp_client_destroy(mqp_client *c);

/**
 * @brief Copies the counters.
 * @note Safe from any thread.
 */
MQP_API void mqp_client_stats_get(mqp_client *c, mqp_client_stats *out);

/**
 * @brief Copies the detailed message of the last connection failure or error.
 * @param[out] buf  Buffer; "" when there was none.
 * @param[in]  len  Its size.
 * @return The message length (like snprintf).
 * @note Safe from any thread. Never contains the password.
 */
MQP_API size_t mqp_client_last_error(mqp_client *c, char *buf, size_t len);

/** @brief The client id in use. Valid while the client lives. */
MQP_API const char *mqp_client_id(const mqp_client *c);

/** @brief The broker URL in use, password replaced by `***`. Valid while the client lives. */
MQP_API const char *mqp_client_url(const mqp_client *c);

/**
 * @brief Whether the client is connected now.
 * @note Safe from any thread.
 */
MQP_API bool mqp_client_is_connected(mqp_client *c);

#ifdef __cplusplus
}
#endif

#endif
