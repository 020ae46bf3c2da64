/**
 * @file migration.h
 * @brief Seeing a topic-layout migration through (seed 04, steps 1 to 4): subscribe and
 *        publish templates on every live layout, count what comes and goes on each, and say
 *        when the previous layout has fallen silent so that it can be dropped.
 *
 * A migration wraps a client and a layout (mqp_topics). While the layout is migrating, every
 * template subscribed through it is subscribed on the current and the previous layout, and
 * every message published through it goes to both. Received and sent messages are counted per
 * template and layout (mqp_migration_stats()). On the client's log, at NOTICE level:
 *
 *     voice: 3 messages on layout '' (legacy) in the last 60 s, from display_action (2), state (1)
 *
 * every notice interval while the previous layout still carries traffic, and once
 *
 *     no traffic on the previous layout '' (legacy) for 10 min: it can be dropped
 *
 * when nothing came on it for the quiet time (counted from the migration's start, or from the
 * last such message); a message on it after that is logged too. A layout that is not migrating
 * subscribes and publishes on its current layout only, counted, without notices.
 */
#ifndef MQPLANE_MIGRATION_H
#define MQPLANE_MIGRATION_H

#include "mqplane/client.h"
#include "mqplane/common.h"
#include "mqplane/topics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The migration handle. */
typedef struct mqp_migration mqp_migration;

/** Migration options. All-zero means the defaults. */
typedef struct mqp_migration_opts {
    int notice_interval_s; /**< A notice this often while the previous layout carries traffic;
                                0: 60. */
    int quiet_s;           /**< Silence on the previous layout after which it can be dropped;
                                0: 600. */
    MQP_RESERVED_WORDS(4); /**< For options to come; must be zero (see common.h). */
} mqp_migration_opts;

/** Longest template name, NUL included. */
#define MQP_MIGRATION_NAME_MAX 48
/** Most templates a migration watches. */
#define MQP_MIGRATION_TEMPLATES_MAX 32

/** What went each way for one template. Index 0 is the current layout, 1 the previous one. */
typedef struct mqp_migration_stat {
    char name[MQP_MIGRATION_NAME_MAX]; /**< The template's name, as subscribed or published. */
    uint64_t received[2];              /**< Messages received on each layout. */
    uint64_t sent[2];                  /**< Messages published on each layout. */
    double previous_age_s;             /**< Seconds since the last message received on the previous
                                            layout; -1 when none came. */
    MQP_RESERVED_WORDS(4);
} mqp_migration_stat;

/**
 * @brief Creates a migration over a client and a layout (both borrowed: the client must
 *        outlive it; the layout is copied).
 * @return MQP_OK; MQP_ERR_INVALID for NULL arguments, negative options or non-zero reserved
 *         words; MQP_ERR_NOMEM.
 */
MQP_API mqp_err mqp_migration_new(mqp_migration **out, mqp_client *c, const mqp_topics *t,
                                  const mqp_migration_opts *opts);

/**
 * @brief Subscribes a template on every live layout, with one handler for both.
 * @param[in] m      The migration.
 * @param[in] name   The template's name in the counts and notices (e.g. "voice"), at most
 *                   MQP_MIGRATION_NAME_MAX - 1 bytes; a name already used adds to its counts.
 * @param[in] tmpl   The template (its `{version}` and `{base_prefix}` come from the layout).
 * @param[in] vars   The other placeholders' values; "+" and "#" allowed.
 * @param[in] nvars  Their number.
 * @param[in] qos    0, 1 or 2.
 * @param[in] cb     The handler, on the client's dispatch thread.
 * @param[in] user   Passed to @p cb.
 * @param[out] err   Optional message buffer (MQP_TOPICS_ERRLEN bytes is enough).
 * @param[in] errlen Its size.
 * @return MQP_OK; MQP_ERR_INVALID; MQP_ERR_TOPIC for a bad value (named in @p err);
 *         MQP_ERR_TOO_LARGE past MQP_MIGRATION_TEMPLATES_MAX; as mqp_client_subscribe().
 * @note The filters are the migration's: mqp_migration_free() unsubscribes them.
 */
MQP_API mqp_err mqp_migration_subscribe(mqp_migration *m, const char *name, const char *tmpl,
                                        const mqp_topic_var *vars, size_t nvars, int qos,
                                        mqp_handler_cb cb, void *user, char *err, size_t errlen);

/**
 * @brief Publishes raw bytes to a template on every live layout (the current one first).
 * @return As mqp_migration_subscribe() for the names, then as mqp_client_publish(); on a
 *         failure on the previous layout the current one was published (and counted).
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_migration_publish(mqp_migration *m, const char *name, const char *tmpl,
                                      const mqp_topic_var *vars, size_t nvars, const void *payload,
                                      size_t len, int qos, bool retain, char *err, size_t errlen);

/**
 * @brief The counts, one per template, in the order first used.
 * @param[out] out  Up to @p cap entries.
 * @return How many templates there are (which may be more than @p cap).
 * @note Safe from any thread.
 */
MQP_API size_t mqp_migration_stats(mqp_migration *m, mqp_migration_stat *out, size_t cap);

/**
 * @brief Whether the previous layout has been silent for the quiet time: false while not
 *        migrating, or before anything was subscribed.
 */
MQP_API bool mqp_migration_droppable(mqp_migration *m);

/**
 * @brief Stops the notices, unsubscribes the migration's filters and frees it. NULL is fine.
 * @note Waits for a handler of its own that is running; once it returns, none runs again. Not
 *       from within one of its handlers, and before the client is destroyed.
 */
MQP_API void mqp_migration_free(mqp_migration *m);

#ifdef __cplusplus
}
#endif

#endif
