/**
 * @file topic.h
 * @brief MQTT topic names and filters as the MQTT 3.1.1 and 5 specifications define them:
 *        validation and wildcard matching.
 */
#ifndef MQPLANE_TOPIC_H
#define MQPLANE_TOPIC_H

#include "mqplane/common.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest topic or filter MQTT can carry, in bytes. */
#define MQP_TOPIC_MAX 65535

/**
 * @brief Checks a topic name that a message is published to.
 *
 * A name is 1 to 65535 bytes of valid UTF-8 (no NUL, no surrogates, no overlong forms) and
 * holds no `+` or `#`.
 * @param[in] topic The name.
 * @return MQP_OK; MQP_ERR_INVALID for NULL; MQP_ERR_TOPIC when it is not a valid name.
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_topic_validate_name(const char *topic);

/**
 * @brief Checks a subscription filter.
 *
 * Rules of a name, except that `+` may fill a whole level, `#` may fill the whole last level,
 * and a shared subscription `$share/GROUP/FILTER` needs a GROUP without `/ + #` and a valid
 * FILTER.
 * @param[in] filter The filter.
 * @return MQP_OK; MQP_ERR_INVALID for NULL; MQP_ERR_TOPIC when it is not a valid filter.
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_topic_validate_filter(const char *filter);

/**
 * @brief Whether a topic name matches a filter.
 *
 * `+` matches exactly one level (possibly empty), `#` matches the parent level and any number of
 * levels below it, and a filter starting with a wildcard does not match a topic starting with
 * `$`. A `$share/GROUP/` prefix is ignored for matching.
 * @param[in] filter A valid filter.
 * @param[in] topic  A valid topic name.
 * @return true on a match; false otherwise, or if either is NULL.
 * @note Safe from any thread. Does not validate; validate untrusted input first.
 */
MQP_API bool mqp_topic_matches(const char *filter, const char *topic);

/**
 * @brief Whether [s, s+len) is valid MQTT UTF-8 (no NUL, no surrogates, no overlong forms,
 *        nothing above U+10FFFF).
 * @param[in] s    The bytes.
 * @param[in] len  Their number.
 * @return true if valid.
 */
MQP_API bool mqp_utf8_valid(const char *s, size_t len);

#ifdef __cplusplus
}
#endif

#endif
