/* Rate-limited logging: the first `burst` events of each window pass, the rest are counted and
 * said with the next event that passes (or whenever the caller takes the count), so a flood of
 * bad input or of failures costs one line per window instead of one per event. Not
 * thread-safe; the caller's clock. Part of the helpers layer (src/util). */
#ifndef MQPX_RATELIMIT_H
#define MQPX_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct mqpx_ratelimit {
    double window_s;
    unsigned burst;
    double window_end; /* The current window ends here; 0: no event yet. */
    unsigned passed;   /* Events let through in this window. */
    uint64_t held;     /* Events held back and not yet said. */
} mqpx_ratelimit;

void mqpx_ratelimit_init(mqpx_ratelimit *r, unsigned burst, double window_s);
/* An event at now (seconds): true if it is to be logged, *held then being how many were held
 * back before it (to be said with it); false if it is held back, and counted. */
bool mqpx_ratelimit_pass(mqpx_ratelimit *r, double now, uint64_t *held);
/* The events held back and not yet said, which are then counted as said. */
uint64_t mqpx_ratelimit_take_held(mqpx_ratelimit *r);

#endif
