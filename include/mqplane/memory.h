/**
 * @file memory.h
 * @brief The in-process broker behind `memory://NAME` URLs, for users' own unit tests.
 *
 * Clients created with the same `memory://NAME` in one process see each other's messages with
 * real topic matching, QoS downgrade to the subscription's, and retained messages. Everything
 * published is also recorded, and the functions here query it — the reference's "testing
 * without a live broker", e.g. "what was published to `+/display_action`?".
 */
#ifndef MQPLANE_MEMORY_H
#define MQPLANE_MEMORY_H

#include "mqplane/common.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A recorded message; borrowed for the duration of the visit. */
typedef struct mqp_memory_message {
    const char *topic;
    const void *payload; /**< NUL-terminated; the NUL is not part of the payload. */
    size_t payload_len;
    int qos;
    bool retain;
} mqp_memory_message;

/** Visitor; return false to stop early. */
typedef bool (*mqp_memory_visit_cb)(const mqp_memory_message *msg, void *user);

/**
 * @brief Visits, oldest first, the messages published on broker @p name to topics matching
 *        @p filter.
 * @param[in] name    The broker name (the NAME of `memory://NAME`).
 * @param[in] filter  A topic filter, e.g. `#` or `+/display_action`.
 * @param[in] cb      Visitor; NULL just counts.
 * @param[in] user    Passed to @p cb.
 * @return The number of matching messages visited (0 for an unknown broker).
 * @note Safe from any thread. The visitor must not publish to the same broker.
 */
MQP_API size_t mqp_memory_published(const char *name, const char *filter, mqp_memory_visit_cb cb,
                                    void *user);

/**
 * @brief Visits the retained messages of broker @p name whose topics match @p filter.
 * @return The number visited.
 * @note Safe from any thread.
 */
MQP_API size_t mqp_memory_retained(const char *name, const char *filter, mqp_memory_visit_cb cb,
                                   void *user);

/**
 * @brief Forgets the history and the retained messages of broker @p name (connected clients
 *        stay connected and subscribed).
 * @note Safe from any thread.
 */
MQP_API void mqp_memory_reset(const char *name);

#ifdef __cplusplus
}
#endif

#endif
