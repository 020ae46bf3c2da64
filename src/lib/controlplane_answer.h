/* The control plane's answer to a command, built here and exposed for the unit tests of its
 * exact JSON. */
#ifndef MQP_CONTROLPLANE_ANSWER_H
#define MQP_CONTROLPLANE_ANSWER_H

#include "mqplane/controlplane.h"

#include <stdbool.h>

/* The control plane's answer: {"request_id", "command", "ok", "status", "error"?, "result"?}.
 * request_id and result are JSON text (NULL: null / left out); command and error are plain
 * strings (NULL: null / left out). Free with mqp__free; NULL when out of memory. */
char *mqp__response_json(const char *request_id, const char *command, bool ok, mqp_status st,
                         const char *error, const char *result, size_t *len);

#endif
