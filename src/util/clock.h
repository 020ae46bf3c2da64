/* Time: a monotonic clock for intervals and deadlines, the wall clock for stamps, and a sleep
 * that a signal does not cut short. Part of the helpers layer (src/util). */
#ifndef MQPX_CLOCK_H
#define MQPX_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic milliseconds since an arbitrary origin. */
int64_t mqpx_mono_ms(void);
/* Monotonic seconds, with sub-second precision. */
double mqpx_mono_s(void);
/* Wall-clock seconds since the epoch, with sub-second precision. */
double mqpx_wall_s(void);
/* An absolute CLOCK_MONOTONIC deadline ms from now (negative: now), for
 * pthread_cond_timedwait on a condition variable that uses the monotonic clock. */
struct timespec mqpx_deadline_in(int64_t ms);
/* Sleeps ms milliseconds (us microseconds), resuming after a signal. */
void mqpx_sleep_ms(int ms);
void mqpx_sleep_us(int64_t us);

#endif
