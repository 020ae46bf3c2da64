/**
 * @file topics.h
 * @brief Topic templates with named placeholders, versioned layouts, presets for the reference
 *        layouts, and migrations between layouts.
 *
 * A template is literal text with placeholders such as `{room_id}`:
 * `{version}/{base_prefix}/room/{room_id}/session/{session_id}/{topic_type}`. Every substituted
 * value is validated and an error names the placeholder at fault.
 */
#ifndef MQPLANE_TOPICS_H
#define MQPLANE_TOPICS_H

#include "mqplane/common.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The versioned voice-assistant layout of the reference (seed 04). */
#define MQP_TEMPLATE_VOICE                                                                         \
    "{version}/{base_prefix}/room/{room_id}/session/{session_id}/{topic_type}"
/** Retained health of a client (seed 05). */
#define MQP_TEMPLATE_HEALTH "system/health/{client_id}"
/** Application heartbeat of a client (seed 05). */
#define MQP_TEMPLATE_KEEPALIVE "system/keepalive/{client_id}"
/** Per-node namespace for the inference topics, opt-in. */
#define MQP_TEMPLATE_NODE "{prefix}/{node_id}/{plane}/{name}"

/** The inference node's wire contract (seed 01), unversioned by default. */
#define MQP_TOPIC_COMMANDS    "inference/control/commands"
#define MQP_TOPIC_STATUS      "inference/control/status"
#define MQP_TOPIC_RESPONSES   "inference/control/responses"
#define MQP_TOPIC_DETECTIONS  "inference/data/detections"
#define MQP_TOPIC_METRICS     "inference/data/metrics"
#define MQP_TOPIC_FULL_FRAMES "inference/data/full_frames"

/** Value flags of a placeholder. */
enum {
    /** The value may be empty; the level it fills then disappears with its separator. */
    MQP_VAR_OPTIONAL = 1u << 0,
    /** The value may span levels ("transcript/interim"); no level may be empty. */
    MQP_VAR_MULTILEVEL = 1u << 1
};

/** A placeholder value. */
typedef struct mqp_topic_var {
    const char *name;  /**< Placeholder name without braces, e.g. "room_id". */
    const char *value; /**< Its value; for filters "+" or "#" as a whole level are allowed. */
    unsigned flags;    /**< MQP_VAR_* flags. */
} mqp_topic_var;

/** What a template is built into. */
typedef enum mqp_topic_kind {
    MQP_TOPIC_NAME = 0, /**< A topic to publish to: no wildcards. */
    MQP_TOPIC_FILTER    /**< A subscription filter: values may be "+" or "#". */
} mqp_topic_kind;

/** Size of an error buffer that holds any template error message. */
#define MQP_TOPICS_ERRLEN 256

/**
 * @brief Builds a topic name or filter from a template.
 * @param[in]  tmpl    The template.
 * @param[in]  vars    Placeholder values; each placeholder of @p tmpl needs one.
 * @param[in]  nvars   Number of @p vars.
 * @param[in]  kind    MQP_TOPIC_NAME or MQP_TOPIC_FILTER.
 * @param[out] out     Buffer for the result; written only on success.
 * @param[in]  cap     Size of @p out.
 * @param[out] err     Optional buffer for a message naming the placeholder at fault.
 * @param[in]  errlen  Size of @p err.
 * @return MQP_OK; MQP_ERR_INVALID for bad arguments, a malformed template or a placeholder
 *         with no value; MQP_ERR_TOPIC when a value is empty, holds `/ + #` or NUL or invalid
 *         UTF-8, or the result is longer than MQP_TOPIC_MAX; MQP_ERR_TOO_LARGE when @p cap is
 *         too small.
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_topic_build(const char *tmpl, const mqp_topic_var *vars, size_t nvars,
                                mqp_topic_kind kind, char *out, size_t cap, char *err,
                                size_t errlen);

/** A versioned layout: the values of `{version}` and `{base_prefix}`. */
typedef struct mqp_topics {
    char version[32];          /**< "v1"; "" is the legacy unversioned layout. */
    char base_prefix[128];     /**< "voice_assistant" by default. */
    bool migrating;            /**< Also publish to and subscribe on the previous layout. */
    char previous_version[32]; /**< The layout migrated from; "" is the unversioned one. */
} mqp_topics;

/**
 * @brief Fills a layout from arguments, the environment and the defaults, in that order.
 *
 * `MQTT_TOPIC_VERSION` (default `v1`; set but empty means the legacy unversioned layout),
 * `MQTT_BASE_PREFIX` (default `voice_assistant`), and `MQTT_TOPIC_PREVIOUS_VERSION`, which when
 * set (even empty) turns on the migration from that layout.
 * @param[out] t            The layout; written only on success.
 * @param[in]  version      A version, or NULL for the environment.
 * @param[in]  base_prefix  A prefix, or NULL for the environment.
 * @return MQP_OK; MQP_ERR_INVALID for a NULL @p t; MQP_ERR_TOPIC for a version or prefix that is
 *         not a single valid level (the prefix may span levels) or is too long.
 * @note Reads the environment: not safe against concurrent setenv().
 */
MQP_API mqp_err mqp_topics_init(mqp_topics *t, const char *version, const char *base_prefix);

/**
 * @brief Builds a template in every layout that is live: the current one and, while migrating,
 *        the previous one. `{version}` and `{base_prefix}` come from @p t.
 * @param[in]  t       The layout.
 * @param[in]  tmpl    The template.
 * @param[in]  vars    The other placeholder values.
 * @param[in]  nvars   Their number.
 * @param[in]  kind    Name or filter.
 * @param[out] outs    Two buffers of @p cap bytes: current layout first, then previous.
 * @param[in]  cap     Size of each buffer.
 * @param[out] count   1, or 2 while migrating (1 when the previous layout is the current one);
 *                     written only on success.
 * @param[out] err     Optional error message buffer.
 * @param[in]  errlen  Size of @p err.
 * @return As mqp_topic_build().
 */
MQP_API mqp_err mqp_topics_build(const mqp_topics *t, const char *tmpl, const mqp_topic_var *vars,
                                 size_t nvars, mqp_topic_kind kind, char *outs[2], size_t cap,
                                 size_t *count, char *err, size_t errlen);

/**
 * @brief The voice-assistant topic of a session: `{version}/{base_prefix}/room/R/session/S/TYPE`.
 * @param[in]  t           The layout (its current version only).
 * @param[in]  room_id     Room, one level.
 * @param[in]  session_id  Session, one level.
 * @param[in]  topic_type  Type, one or more levels ("state", "transcript/interim").
 * @param[out] out         Result buffer.
 * @param[in]  cap         Its size.
 * @param[out] err         Optional error message buffer.
 * @param[in]  errlen      Its size.
 * @return As mqp_topic_build().
 */
MQP_API mqp_err mqp_topics_voice(const mqp_topics *t, const char *room_id, const char *session_id,
                                 const char *topic_type, char *out, size_t cap, char *err,
                                 size_t errlen);

/**
 * @brief A filter for the voice-assistant topics of a room: every session
 *        (`…/room/R/session/+/#`) when @p session_id is NULL, else one session (`…/session/S/#`).
 * @return As mqp_topic_build().
 */
MQP_API mqp_err mqp_topics_voice_filter(const mqp_topics *t, const char *room_id,
                                        const char *session_id, char *out, size_t cap, char *err,
                                        size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
