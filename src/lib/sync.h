/* Small pthread helpers used by every threaded module. */
#ifndef MQP_SYNC_H
#define MQP_SYNC_H

#include <pthread.h>
#include <stdint.h>

/* A condition variable that waits against CLOCK_MONOTONIC (see mqpx_deadline_in). */
int mqp__cond_init_monotonic(pthread_cond_t *cond);

#endif
