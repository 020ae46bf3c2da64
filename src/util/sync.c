#define _POSIX_C_SOURCE 200809L
#include "sync.h"

#include <time.h>

int mqpx_cond_init_monotonic(pthread_cond_t *cond)
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
