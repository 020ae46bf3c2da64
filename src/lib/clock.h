/* Time sources: a monotonic clock for intervals and deadlines, the wall clock for stamps. */
#ifndef MQP_CLOCK_H
#define MQP_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic milliseconds since an arbitrary origin. */
int64_t mqp__now_ms(void);
/* Wall-clock seconds since the epoch, with sub-second precision. */
double mqp__wall_s(void);
/* An absolute CLOCK_MONOTONIC deadline ms from now, for pthread_cond_timedwait on a
 * condition variable created with mqp__cond_init_monotonic. */
struct timespec mqp__deadline_in(int64_t ms);

#endif
