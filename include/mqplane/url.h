/**
 * @file url.h
 * @brief Broker URLs:
 * `mqtt://[user[:password]@]host[:port][?client_id=…&keepalive=…&protocol=5|311]`, `mqtts://…`
 * (TLS) and `memory://NAME` (the in-process broker).
 */
#ifndef MQPLANE_URL_H
#define MQPLANE_URL_H

#include "mqplane/common.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** URL schemes. */
typedef enum mqp_scheme {
    MQP_SCHEME_MQTT = 0, /**< Plain TCP, default port MQP_DEFAULT_PORT. */
    MQP_SCHEME_MQTTS,    /**< TLS, default port MQP_DEFAULT_TLS_PORT. */
    MQP_SCHEME_MEMORY    /**< In-process broker named by the host part. */
} mqp_scheme;

/** MQTT protocol selection. */
typedef enum mqp_protocol {
    MQP_PROTOCOL_AUTO = 0, /**< MQTT 5, falling back to 3.1.1 when the broker refuses 5. */
    MQP_PROTOCOL_V5,       /**< MQTT 5 only. */
    MQP_PROTOCOL_V311      /**< MQTT 3.1.1 only. */
} mqp_protocol;

/** A parsed broker URL. Strings are owned; release with mqp_url_clear(). */
typedef struct mqp_url {
    mqp_scheme scheme;
    char *host;      /**< Host name or address, IPv6 without brackets; memory broker name. */
    int port;        /**< 1..65535; 0 for memory://. */
    char *username;  /**< Percent-decoded, or NULL. */
    char *password;  /**< Percent-decoded, or NULL. Never logged. */
    char *client_id; /**< From `?client_id=`, or NULL. */
    int keepalive;   /**< Seconds from `?keepalive=`, or 0 when not given. */
    mqp_protocol protocol;
} mqp_url;

/** Size of an error buffer that always holds a full URL error message. */
#define MQP_URL_ERRLEN 256

/**
 * @brief Parses a broker URL.
 * @param[in]  text    The URL.
 * @param[out] out     The parsed URL; written only on success.
 * @param[out] err     Optional buffer for a message that names the bad part (never the password).
 * @param[in]  errlen  Size of @p err.
 * @return MQP_OK; MQP_ERR_INVALID for NULL arguments; MQP_ERR_URL for a malformed URL;
 *         MQP_ERR_NOMEM.
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_url_parse(const char *text, mqp_url *out, char *err, size_t errlen);

/**
 * @brief Resolves the broker URL the way every mqplane program does.
 *
 * Uses @p text if not NULL, else `MQTT_URL`, else builds one from `MQTT_BROKER_HOST`
 * (default MQP_DEFAULT_HOST) and `MQTT_BROKER_PORT` (default MQP_DEFAULT_PORT). In every case
 * `MQTT_USERNAME` and `MQTT_PASSWORD` fill a username and password that the URL leaves unset.
 * @param[in]  text    A URL, or NULL to use the environment.
 * @param[out] out     The parsed URL; written only on success.
 * @param[out] err     Optional buffer for a message naming the bad part and where it came from.
 * @param[in]  errlen  Size of @p err.
 * @return As mqp_url_parse().
 * @note Reads the environment: not safe against concurrent setenv().
 */
MQP_API mqp_err mqp_url_resolve(const char *text, mqp_url *out, char *err, size_t errlen);

/**
 * @brief Writes the URL with the password replaced by `***`, for logs and messages.
 * @param[in]  url  The URL.
 * @param[out] buf  The buffer; always NUL-terminated when @p len > 0.
 * @param[in]  len  Size of @p buf.
 * @return The length the full string needs, not counting the NUL (like snprintf).
 */
MQP_API size_t mqp_url_redacted(const mqp_url *url, char *buf, size_t len);

/** Most brokers a list may name. */
#define MQP_URL_LIST_MAX 8

/**
 * @brief Parses a broker list: one URL, or several separated by commas
 *        (`mqtt://a:1883,mqtt://b:1883`), tried in turn for failover.
 *
 * A comma separates two URLs when a scheme follows it (spaces around it are allowed); a comma
 * inside a URL is percent-encoded anyway. The brokers of a list share their scheme (all
 * `mqtt://` or all `mqtts://`; `memory://` stands alone) and the first URL's `client_id`,
 * `keepalive` and `protocol`: a later URL may repeat them, not change them.
 * @param[in]  text   The list.
 * @param[out] out    Up to @p cap URLs (release each with mqp_url_clear()); written only on
 *                    success.
 * @param[in]  cap    Room in @p out; at most MQP_URL_LIST_MAX are taken.
 * @param[out] count  How many.
 * @param[out] err    Optional message buffer naming the broker at fault (never a password).
 * @param[in]  errlen Its size.
 * @return MQP_OK; MQP_ERR_INVALID for NULL arguments; MQP_ERR_URL for a bad list or URL;
 *         MQP_ERR_NOMEM.
 */
MQP_API mqp_err mqp_url_list_parse(const char *text, mqp_url *out, size_t cap, size_t *count,
                                   char *err, size_t errlen);

/**
 * @brief As mqp_url_resolve() for a broker list: @p text, else `MQTT_URL`, else
 *        `MQTT_BROKER_HOST`/`MQTT_BROKER_PORT`; `MQTT_USERNAME` and `MQTT_PASSWORD` fill what
 *        each URL leaves unset.
 * @return As mqp_url_list_parse().
 */
MQP_API mqp_err mqp_url_list_resolve(const char *text, mqp_url *out, size_t cap, size_t *count,
                                     char *err, size_t errlen);

/**
 * @brief The list as mqp_url_redacted() writes each URL, comma-separated.
 * @return The length it needed, as snprintf().
 */
MQP_API size_t mqp_url_list_redacted(const mqp_url *urls, size_t n, char *buf, size_t len);

/**
 * @brief Frees the strings of a URL and zeroes it. NULL is a no-op.
 * @param[in,out] url The URL.
 */
MQP_API void mqp_url_clear(mqp_url *url);

#ifdef __cplusplus
}
#endif

#endif
