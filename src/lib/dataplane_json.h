/* The data plane's formatting, for the data plane itself: a detections message into the
 * caller's buffer when it fits, so the pipeline's publish allocates nothing. */
#ifndef MQP_DATAPLANE_JSON_H
#define MQP_DATAPLANE_JSON_H

#include "mqplane/dataplane.h"

/* As mqp_detections_batch_json(), into buf (cap bytes) when the message's bound fits there,
 * else into memory of its own (mqp__malloc): *out is buf or that memory, to be freed by the
 * caller when it is not buf. */
mqp_err mqp__detections_batch_json_in(uint64_t message_id, double now,
                                      const mqp_detections_batch *batch, char *buf, size_t cap,
                                      char **out, size_t *len);

#endif
