#define _GNU_SOURCE
#include "sync.h"

#include <errno.h>
#include <time.h>
#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif

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

int mqpx_thread_lower_priority(int delta)
{
#ifdef __linux__
    /* On Linux PRIO_PROCESS with a thread id names that thread alone. */
    id_t tid = (id_t)gettid();
    errno = 0;
    int now = getpriority(PRIO_PROCESS, tid);
    if (now == -1 && errno) {
        return errno;
    }
    int want = now + delta > 19 ? 19 : now + delta;
    return setpriority(PRIO_PROCESS, tid, want) == 0 ? 0 : errno;
#else
    (void)delta;
    return 0;
#endif
}
