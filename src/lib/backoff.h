/* Reconnect delays: exponential with "equal jitter". Step n has a base of
 * min(max, min * 2^n); the delay is drawn uniformly from [base/2, base], so clients that lost
 * the same broker at the same moment do not come back at the same moment. */
#ifndef MQP_BACKOFF_H
#define MQP_BACKOFF_H

#include <stdint.h>

typedef struct mqp__backoff {
    int64_t min_ms;
    int64_t max_ms;
    unsigned attempt;
} mqp__backoff;

void mqp__backoff_init(mqp__backoff *b, int64_t min_ms, int64_t max_ms);
/* The delay before the next attempt; each call moves one step up. */
int64_t mqp__backoff_next(mqp__backoff *b);
/* Back to the first step, after a successful connection. */
void mqp__backoff_reset(mqp__backoff *b);

#endif
