#define _POSIX_C_SOURCE 200809L
#include "sync.h"

#include "clock.h"

#include <time.h>

int mqp__cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc == 0) {
        rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (rc == 0) {
            rc = pthread_cond_init(cond, &attr);
        }
        pthread_condattr_destroy(&attr);
    }
    return rc;
}

int mqp__cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *mu, int64_t ms)
{
    struct timespec ts = mqp__deadline_in(ms);
    return pthread_cond_timedwait(cond, mu, &ts);
}
