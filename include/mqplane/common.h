/**
 * @file common.h
 * @brief Error codes, logging levels and memory helpers shared by every mqplane module.
 *
 * Includes only standard headers. Every other public header includes this one.
 */
#ifndef MQPLANE_COMMON_H
#define MQPLANE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MQP_STATIC)
#define MQP_API
#elif defined(__GNUC__)
#define MQP_API __attribute__((visibility("default")))
#else
#define MQP_API
#endif

/**
 * ABI growth. Every options and statistics struct ends with `reserved` space: a member added
 * later takes its place, so a struct's size and the offset of every member never change within
 * a major version (the soname's number; 0 while the version is 0.x). Leave the space zero (as
 * `{...}` initializers and memset do): a function that takes options refuses non-zero reserved
 * space with MQP_ERR_INVALID, so a program built against a newer header that sets a new option
 * fails loudly on an older library instead of having its option ignored. Structs the library
 * hands out by pointer (mqp_message) may grow at their end. Records passed in arrays
 * (mqp_detection and the like) have no reserved space: they change only with the major
 * version. tests/unit/test_abi.c holds the sizes and offsets.
 */
#define MQP_RESERVED_WORDS(n) uint64_t reserved[n]

/** Library version as a string, e.g. "0.1.0". */
#define MQP_VERSION_STRING "0.1.0"

/**
 * The error list. Codes are only ever appended; a code's number never changes.
 * X(NAME, value, "message")
 */
#define MQP_ERR_LIST(X)                                                                            \
    X(OK, 0, "success")                                                                            \
    X(INVALID, 1, "invalid argument")                                                              \
    X(NOMEM, 2, "out of memory")                                                                   \
    X(URL, 3, "malformed broker URL")                                                              \
    X(TOPIC, 4, "invalid topic or filter")                                                         \
    X(JSON, 5, "malformed JSON")                                                                   \
    X(ENVELOPE, 6, "invalid event envelope")                                                       \
    X(TIMEOUT, 7, "timed out")                                                                     \
    X(NO_CONN, 8, "not connected to the broker")                                                   \
    X(CONN_REFUSED, 9, "connection refused")                                                       \
    X(AUTH, 10, "not authorized by the broker")                                                    \
    X(PROTOCOL, 11, "MQTT protocol error or protocol version refused")                             \
    X(TLS, 12, "TLS error")                                                                        \
    X(DNS, 13, "host name lookup failed")                                                          \
    X(IO, 14, "I/O error")                                                                         \
    X(CONFIG, 15, "invalid configuration")                                                         \
    X(STATE, 16, "operation not valid in the current state")                                       \
    X(TOO_LARGE, 17, "payload or topic too large")                                                 \
    X(QUEUE_FULL, 18, "queue full")                                                                \
    X(NOT_FOUND, 19, "not found")                                                                  \
    X(UNSUPPORTED, 20, "not supported")                                                            \
    X(HANDLER, 21, "handler reported an error")                                                    \
    X(SHUTDOWN, 22, "client is shut down")                                                         \
    X(BROKER, 23, "broker error")                                                                  \
    X(CONN_LOST, 24, "connection lost")                                                            \
    X(DUPLICATE, 25, "duplicate message")                                                          \
    X(TAKEN_OVER, 26, "another client with the same client id took over the session")

/** Error codes returned by every mqplane function that can fail. */
typedef enum mqp_err {
#define MQP__ERR_ENUM(name, value, msg) MQP_ERR_##name = value,
    MQP_ERR_LIST(MQP__ERR_ENUM)
#undef MQP__ERR_ENUM
} mqp_err;

/** Alias for success. */
#define MQP_OK MQP_ERR_OK

/**
 * @brief A human-readable description of an error code.
 * @param[in] err The code.
 * @return A static string; "unknown error" for a code not in the list.
 * @note Safe from any thread.
 */
MQP_API const char *mqp_strerror(mqp_err err);

/**
 * @brief The symbolic name of an error code, e.g. "MQP_ERR_TIMEOUT".
 * @param[in] err The code.
 * @return A static string; "MQP_ERR_UNKNOWN" for a code not in the list.
 * @note Safe from any thread.
 */
MQP_API const char *mqp_err_name(mqp_err err);

/** Log levels, numerically equal to syslog's. */
typedef enum mqp_log_level {
    MQP_LOG_ERR = 3,
    MQP_LOG_WARNING = 4,
    MQP_LOG_NOTICE = 5,
    MQP_LOG_INFO = 6,
    MQP_LOG_DEBUG = 7
} mqp_log_level;

/**
 * Log callback. The library never prints; it hands each line here.
 * @param level  A syslog level.
 * @param msg    The line, without a trailing newline; borrowed for the call.
 * @param user   The pointer given with the callback.
 * @note Called from any library thread, including the network thread: it must be
 *       thread-safe, quick, and must not call back into the client that logged.
 */
typedef void (*mqp_log_cb)(mqp_log_level level, const char *msg, void *user);

/**
 * @brief The name of a log level ("error", "warning", "notice", "info", "debug").
 * @param[in] level The level.
 * @return A static string.
 */
MQP_API const char *mqp_log_level_name(mqp_log_level level);

/**
 * @brief Parses a log level name as accepted on command lines and in configs.
 * @param[in]  name  "error", "warning", "notice", "info" or "debug" (case-insensitive).
 * @param[out] out   The level; written only on success.
 * @return MQP_OK, or MQP_ERR_INVALID for an unknown name.
 */
MQP_API mqp_err mqp_log_level_parse(const char *name, mqp_log_level *out);

/**
 * @brief Frees memory that an mqplane function returned to the caller.
 * @param[in] ptr The memory; NULL is a no-op.
 */
MQP_API void mqp_free(void *ptr);

/**
 * @brief The library version string (MQP_VERSION_STRING of the built library).
 * @return A static string.
 */
MQP_API const char *mqp_version(void);

#ifdef __cplusplus
}
#endif

#endif
