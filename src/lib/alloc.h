/* The internal allocator: every allocation in the library goes through here so tests can
 * make the n-th allocation fail and check that nothing leaks or crashes. */
#ifndef MQP_ALLOC_H
#define MQP_ALLOC_H

#include <stddef.h>

void *mqp__malloc(size_t n);
void *mqp__calloc(size_t count, size_t n);
void *mqp__realloc(void *p, size_t n);
void mqp__free(void *p);
char *mqp__strdup(const char *s);
char *mqp__strndup(const char *s, size_t n);

/* Test hook: the n-th allocation from now (1-based) and every later one fail; 0 disables. */
void mqp__alloc_fail_after(long n);

#endif
