/**
 * @file controlplane.h
 * @brief The control plane of the reference (seed 01): commands in at QoS 1, status out at
 *        QoS 1 retained with a last will, command handling isolated, bad input answered.
 *
 * Wire contract:
 * - in, `inference/control/commands`: `{"command": "pause"}` — one of MQP_CMD_LIST below (the
 *   reference's seven, and snapshot), in any letter case; optional `"request_id"` (any JSON
 *   string or number) or MQTT 5 response topic and correlation data;
 * - out, `inference/control/status`, retained: `{"status": "connected"|"running"|"paused"|
 *   "stopped"|"disconnected", "timestamp": ISO 8601, "client_id": "inference_control"}`;
 *   "disconnected" is the connection's last will; pause, resume, stop and status publish it
 *   each time they are carried out (MQP_CMD_LIST says which status);
 * - out, `inference/control/responses` (or the request's response topic):
 *   `{"request_id", "command", "ok", "status", "error"?, "result"?}` — for every command that
 *   carries a request id or response topic, for `status` and `stabilization_stats` always,
 *   and for every rejected or failed command.
 */
#ifndef MQPLANE_CONTROLPLANE_H
#define MQPLANE_CONTROLPLANE_H

#include "mqplane/client.h"
#include "mqplane/common.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The statuses, in the order of their values. Only ever appended to.
 * X(NAME, "wire name")
 */
#define MQP_STATUS_LIST(X)                                                                         \
    X(CONNECTED, "connected")                                                                      \
    X(RUNNING, "running")                                                                          \
    X(PAUSED, "paused")                                                                            \
    X(STOPPED, "stopped")                                                                          \
    X(DISCONNECTED, "disconnected")

/** The statuses of the reference. */
typedef enum mqp_status {
#define MQP__STATUS_ENUM(name, wire) MQP_STATUS_##name,
    MQP_STATUS_LIST(MQP__STATUS_ENUM)
#undef MQP__STATUS_ENUM
} mqp_status;

/**
 * The commands, in the order of their values. Only ever appended to: a new command is one line
 * here and a case in the application's handler.
 * X(NAME, "wire name", STATUS, ANSWER) — STATUS is what the command publishes on the status
 * topic each time it is carried out: a status NAME above, CURRENT (the status as it is) or NONE;
 * ANSWER is 1 when it is answered on the responses topic even without a request id.
 */
#define MQP_CMD_LIST(X)                                                                            \
    X(PAUSE, "pause", PAUSED, 0)                                                                   \
    X(RESUME, "resume", RUNNING, 0)                                                                \
    X(STOP, "stop", STOPPED, 0)                                                                    \
    X(STATUS, "status", CURRENT, 1)                                                                \
    X(METRICS, "metrics", NONE, 0)                                                                 \
    X(TOGGLE_CROP, "toggle_crop", NONE, 0)                                                         \
    X(STABILIZATION_STATS, "stabilization_stats", NONE, 1)                                         \
    X(SNAPSHOT, "snapshot", NONE, 0)

/** The commands of the reference. */
typedef enum mqp_command {
#define MQP__CMD_ENUM(name, wire, status, answer) MQP_CMD_##name,
    MQP_CMD_LIST(MQP__CMD_ENUM)
#undef MQP__CMD_ENUM
} mqp_command;

/** Number of commands. */
#define MQP_CMD_COUNT                            (0 MQP_CMD_LIST(MQP__CMD_ONE))
#define MQP__CMD_ONE(name, wire, status, answer) +1

/** @brief The wire name of a command ("pause", …), or NULL for an unknown value. */
MQP_API const char *mqp_command_name(mqp_command cmd);

/**
 * @brief Parses a command name, in any letter case.
 * @return MQP_OK; MQP_ERR_INVALID for NULL; MQP_ERR_NOT_FOUND for an unknown name.
 */
MQP_API mqp_err mqp_command_parse(const char *name, mqp_command *out);

/** @brief The wire name of a status ("running", …), or NULL for an unknown value. */
MQP_API const char *mqp_status_name(mqp_status st);

/**
 * @brief The status message: `{"status", "timestamp", "client_id"}`.
 * @param[out] out  JSON, freed with mqp_free(); written only on success.
 * @return MQP_OK; MQP_ERR_INVALID; MQP_ERR_NOMEM.
 */
MQP_API mqp_err mqp_status_json(mqp_status st, double now, const char *client_id, char **out,
                                size_t *len);

/** Where a command handler writes its answer. */
typedef struct mqp_command_reply {
    char *result;      /**< A JSON value as text for `result` (e.g. an object); "" for none. */
    size_t result_cap; /**< Size of @p result: MQP_DEFAULT_COMMAND_RESULT_MAX. */
    char *error;       /**< A message for `error` when the handler fails. */
    size_t error_cap;  /**< Size of @p error: MQP_DEFAULT_COMMAND_ERROR_MAX. */
} mqp_command_reply;

/** The control plane. */
typedef struct mqp_controlplane mqp_controlplane;

/**
 * A command handler. Runs on the control plane's dispatch thread, one command at a time.
 * @return MQP_OK when the command was carried out (pause, resume and stop then move the
 *         status); any other code fails it: logged, answered with `ok: false` and the error
 *         text, status unchanged, and the plane goes on.
 */
typedef mqp_err (*mqp_command_cb)(mqp_controlplane *cp, mqp_command cmd, mqp_command_reply *reply,
                                  void *user);

/** Control plane options; all-zero means the reference defaults. */
typedef struct mqp_controlplane_opts {
    mqp_client_opts client;     /**< Connection; client_id: MQP_DEFAULT_CONTROL_CLIENT_ID. */
    const char *command_topic;  /**< Default inference/control/commands. */
    const char *status_topic;   /**< Default inference/control/status. */
    const char *response_topic; /**< Default inference/control/responses. */
    size_t max_payload;         /**< Largest command; 0: MQP_DEFAULT_MAX_COMMAND_PAYLOAD. */
    mqp_command_cb on_command;  /**< Required. */
    void *user;
    MQP_RESERVED_WORDS(4); /**< For options to come; must be zero (see common.h). */
} mqp_controlplane_opts;

/** Counters of a control plane. */
typedef struct mqp_controlplane_stats {
    uint64_t received; /**< Messages on the command topic. */
    uint64_t ok;       /**< Commands carried out. */
    uint64_t failed;   /**< Commands whose handler failed. */
    uint64_t rejected; /**< Messages refused: oversized, not JSON, no or unknown command. */
    uint64_t status_published;
    /** Commands whose request_id was carried out already within 10 minutes (a QoS 1
     *  redelivery, a client retrying): answered again with the first answer, not run again.
     *  Was reserved. */
    uint64_t repeated;
    MQP_RESERVED_WORDS(3); /**< For counters to come; written as zero. */
} mqp_controlplane_stats;

/**
 * @brief Creates the control plane: subscribes to the command topic at QoS 1 and sets the
 *        "disconnected" status as the last will. Call mqp_controlplane_start() to connect.
 * @return MQP_OK; MQP_ERR_INVALID (no handler, bad topics); as mqp_client_new_err().
 */
MQP_API mqp_err mqp_controlplane_new(mqp_controlplane **out, const mqp_controlplane_opts *o,
                                     char *err, size_t errlen);

/**
 * @brief Connects, waiting up to @p timeout_ms (negative: forever; 0: do not wait). It keeps
 *        trying in the background after a timeout. On every connection the current status is
 *        published: "connected" on the first, whatever it is by then on later ones.
 * @return As mqp_client_connect(), or MQP_OK at once for 0.
 */
MQP_API mqp_err mqp_controlplane_start(mqp_controlplane *cp, int timeout_ms);

/**
 * @brief Sets the status and, when it changed and the plane is connected, publishes it
 *        (QoS 1, retained).
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_controlplane_set_status(mqp_controlplane *cp, mqp_status st);

/** @brief The current status. Safe from any thread. */
MQP_API mqp_status mqp_controlplane_status(mqp_controlplane *cp);

/** @brief Copies the counters. Safe from any thread. */
MQP_API void mqp_controlplane_stats_get(mqp_controlplane *cp, mqp_controlplane_stats *s);

/** @brief The underlying client. Valid while the plane lives. */
MQP_API mqp_client *mqp_controlplane_client(mqp_controlplane *cp);

/**
 * @brief Publishes "stopped" unless that is the status already, shuts down in order (no will)
 *        and frees. NULL is a no-op. Not from the command handler.
 */
MQP_API void mqp_controlplane_destroy(mqp_controlplane *cp);

#ifdef __cplusplus
}
#endif

#endif
