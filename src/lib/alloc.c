#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Countdown to the first injected failure; 0 means injection is off. */
static atomic_long fail_countdown;

static int should_fail(void)
{
    long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    if (n <= 0) {
        return 0;
    }
    if (n == 1) {
        return 1; /* Stays at 1: every allocation after the n-th fails too. */
    }
    atomic_fetch_sub_explicit(&fail_countdown, 1, memory_order_relaxed);
    return 0;
}

void mqp__alloc_fail_after(long n)
{
    atomic_store(&fail_countdown, n < 0 ? 0 : n);
}

void *mqp__malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n ? n : 1);
}

void *mqp__calloc(size_t count, size_t n)
{
    return should_fail() ? NULL : calloc(count ? count : 1, n ? n : 1);
}

void *mqp__realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n ? n : 1);
}

void mqp__free(void *p)
{
    free(p);
}

char *mqp__strndup(const char *s, size_t n)
{
    char *d = mqp__malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *mqp__strdup(const char *s)
{
    return s ? mqp__strndup(s, strlen(s)) : NULL;
}
