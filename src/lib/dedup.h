/* A TTL cache of message keys that answers "seen this one already?" for de-duplication.
 * Entries expire after ttl_ms; the oldest is evicted when max entries are held. */
#ifndef MQP_DEDUP_H
#define MQP_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mqp__dedup mqp__dedup;

/* NULL on allocation failure. */
mqp__dedup *mqp__dedup_new(int64_t ttl_ms, size_t max_entries);
void mqp__dedup_free(mqp__dedup *d);
/* True if key was recorded within the TTL (a duplicate); otherwise records it and returns
 * false. A key that cannot be recorded for lack of memory counts as new. */
bool mqp__dedup_check(mqp__dedup *d, const char *key, size_t len, int64_t now_ms);
size_t mqp__dedup_size(const mqp__dedup *d);

#endif
