/**
 * @file envelope.h
 * @brief The event envelope of the reference (seed 05):
 *        `{"id", "type", "ts", "source", "correlation_id"?, "seq", "data"}`.
 */
#ifndef MQPLANE_ENVELOPE_H
#define MQPLANE_ENVELOPE_H

#include "mqplane/common.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What goes into an envelope. */
typedef struct mqp_event {
    const char *type;           /**< Event type, e.g. "stt.final"; required, non-empty. */
    const char *data_json;      /**< The data as JSON text (any JSON value); required. */
    size_t data_len;            /**< Length of @p data_json; 0 means strlen(). */
    const char *source;         /**< Producer name; required, non-empty. */
    const char *correlation_id; /**< Optional; omitted from the JSON when NULL. */
    uint64_t seq;               /**< Sequence number. */
    const char *id;             /**< Optional 1..64 byte id; NULL generates a uuid4 hex. */
    double ts;                  /**< Epoch seconds; 0 means now. */
} mqp_event;

/** A decoded envelope; opaque, freed with mqp_envelope_free(). */
typedef struct mqp_envelope mqp_envelope;

/** Size of an error buffer that holds any envelope error message. */
#define MQP_ENVELOPE_ERRLEN 256

/**
 * @brief Serializes an event into envelope JSON.
 * @param[in]  ev      The event.
 * @param[out] out     The JSON, NUL-terminated; free with mqp_free(). Written only on success.
 * @param[out] outlen  Its length without the NUL; may be NULL.
 * @param[out] err     Optional message buffer saying what is wrong.
 * @param[in]  errlen  Its size.
 * @return MQP_OK; MQP_ERR_INVALID for a missing type, source or data, or a bad id;
 *         MQP_ERR_JSON when @p data_json is not one valid JSON value; MQP_ERR_NOMEM.
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_envelope_encode(const mqp_event *ev, char **out, size_t *outlen, char *err,
                                    size_t errlen);

/**
 * @brief Parses and validates envelope JSON.
 *
 * Requires an object with a non-empty string `id` and `type`, a number `ts` and a `data` member;
 * `source` (string), `correlation_id` (string or null) and `seq` (non-negative integer) are
 * optional but must have those types when present. Unknown members are ignored.
 * @param[in]  payload  The bytes.
 * @param[in]  len      Their number.
 * @param[out] out      The envelope; written only on success.
 * @param[out] err      Optional message buffer naming what is wrong.
 * @param[in]  errlen   Its size.
 * @return MQP_OK; MQP_ERR_INVALID for NULL arguments; MQP_ERR_JSON for malformed JSON;
 *         MQP_ERR_ENVELOPE for valid JSON that is not an envelope; MQP_ERR_NOMEM.
 * @note Safe from any thread.
 */
MQP_API mqp_err mqp_envelope_decode(const void *payload, size_t len, mqp_envelope **out, char *err,
                                    size_t errlen);

/** @brief Frees a decoded envelope. NULL is a no-op. */
MQP_API void mqp_envelope_free(mqp_envelope *env);

/** @brief The id. Valid while the envelope lives. */
MQP_API const char *mqp_envelope_id(const mqp_envelope *env);
/** @brief The type. */
MQP_API const char *mqp_envelope_type(const mqp_envelope *env);
/** @brief The source, or NULL when absent. */
MQP_API const char *mqp_envelope_source(const mqp_envelope *env);
/** @brief The correlation id, or NULL when absent or null. */
MQP_API const char *mqp_envelope_correlation_id(const mqp_envelope *env);
/** @brief The timestamp in epoch seconds. */
MQP_API double mqp_envelope_ts(const mqp_envelope *env);
/**
 * @brief The sequence number.
 * @param[in]  env      The envelope.
 * @param[out] present  Optional: whether the envelope had one.
 * @return The number, 0 when absent.
 */
MQP_API uint64_t mqp_envelope_seq(const mqp_envelope *env, bool *present);
/**
 * @brief The data as compact JSON text.
 * @param[in]  env  The envelope.
 * @param[out] len  Optional: its length.
 * @return NUL-terminated JSON, valid while the envelope lives.
 */
MQP_API const char *mqp_envelope_data(const mqp_envelope *env, size_t *len);

/**
 * @brief Writes a random (version 4) UUID as 32 lowercase hex digits and a NUL.
 * @param[out] out 33 bytes.
 * @note Safe from any thread.
 */
MQP_API void mqp_uuid4_hex(char out[33]);

#ifdef __cplusplus
}
#endif

#endif
