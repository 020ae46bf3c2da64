/* Small pthread helpers used by every threaded module. Part of the helpers layer (src/util). */
#ifndef MQPX_SYNC_H
#define MQPX_SYNC_H

#include <pthread.h>
#include <stdint.h>

/* A condition variable that waits against CLOCK_MONOTONIC (see mqpx_deadline_in). */
int mqpx_cond_init_monotonic(pthread_cond_t *cond);

#endif
