/* Reconnect delays: exponential with "equal jitter". Step n has a base of
 * min(max, min * 2^n); the delay is drawn uniformly from [base/2, base], so clients that lost
 * the same broker at the same moment do not come back at the same moment. */
#ifndef MQPX_BACKOFF_H
#define MQPX_BACKOFF_H

#include <stdint.h>

typedef struct mqpx_backoff {
    int64_t min_ms;
    int64_t max_ms;
    unsigned attempt;
} mqpx_backoff;

void mqpx_backoff_init(mqpx_backoff *b, int64_t min_ms, int64_t max_ms);
/* The delay before the next attempt; each call moves one step up. */
int64_t mqpx_backoff_next(mqpx_backoff *b);
/* Back to the first step, after a successful connection. */
void mqpx_backoff_reset(mqpx_backoff *b);

#endif
