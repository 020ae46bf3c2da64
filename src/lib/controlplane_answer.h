/* The control plane's reading of a command and its answer, exposed for the unit tests of the
 * exact JSON and for the fuzzer of the reading (tests/fuzz). */
#ifndef MQP_CONTROLPLANE_ANSWER_H
#define MQP_CONTROLPLANE_ANSWER_H

#include "mqplane/controlplane.h"

#include <stdbool.h>

/* The control plane's answer: {"request_id", "command", "ok", "status", "error"?, "result"?}.
 * request_id and result are JSON text (NULL: null / left out); command and error are plain
 * strings (NULL: null / left out). Free with mqp__free; NULL when out of memory. */
char *mqp__response_json(const char *request_id, const char *command, bool ok, mqp_status st,
                         const char *error, const char *result, size_t *len);

/* A command message, read and checked: size, JSON, an object, `command` a known name,
 * `request_id` a string or number. On success *cmd is the command; on failure why says what
 * is wrong. Either way *request_id is the request id as JSON text (free with cJSON_free), or
 * NULL when there is none or the payload is not that far readable. */
bool mqp__command_read(const void *payload, size_t len, size_t max_payload, mqp_command *cmd,
                       char **request_id, char *why, size_t whylen);

#endif
