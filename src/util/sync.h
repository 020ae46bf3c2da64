/* Small pthread helpers used by every threaded module. Part of the helpers layer (src/util). */
#ifndef MQPX_SYNC_H
#define MQPX_SYNC_H

#include <pthread.h>
#include <stdint.h>

/* A condition variable that waits against CLOCK_MONOTONIC (see mqpx_deadline_in). */
int mqpx_cond_init_monotonic(pthread_cond_t *cond);

/* The calling thread yields to the process's others: its nice value raised by delta (to 19 at
 * most; lowering one's own priority needs no privilege). On Linux, where a thread has its own
 * nice value; elsewhere nothing. Returns 0, or an errno. */
int mqpx_thread_lower_priority(int delta);

#endif
