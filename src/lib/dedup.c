#include "dedup.h"

#include "alloc.h"
#include "hash.h"

#include <string.h>

/* Entries live in a ring in insertion order, which is also expiry order because every entry
 * has the same TTL: expiring and evicting both pop from the head. A chained hash indexes
 * them by key. */
typedef struct entry {
    uint64_t hash;
    int64_t expires_ms;
    char *key;
    size_t len;
    struct entry *next_in_bucket;
} entry;

struct mqp__dedup {
    int64_t ttl_ms;
    size_t max;
    entry *ring;
    size_t head;
    size_t count;
    entry **buckets;
    size_t nbuckets; /* A power of two. */
};

mqp__dedup *mqp__dedup_new(int64_t ttl_ms, size_t max_entries)
{
    if (ttl_ms <= 0 || max_entries == 0) {
        return NULL;
    }
    mqp__dedup *d = mqp__calloc(1, sizeof *d);
    if (!d) {
        return NULL;
    }
    d->ttl_ms = ttl_ms;
    d->max = max_entries;
    d->nbuckets = 16;
    while (d->nbuckets < max_entries) {
        d->nbuckets *= 2;
    }
    d->ring = mqp__calloc(max_entries, sizeof *d->ring);
    d->buckets = mqp__calloc(d->nbuckets, sizeof *d->buckets);
    if (!d->ring || !d->buckets) {
        mqp__dedup_free(d);
        return NULL;
    }
    return d;
}

static void unlink_entry(mqp__dedup *d, entry *e)
{
    entry **pp = &d->buckets[e->hash & (d->nbuckets - 1)];
    while (*pp && *pp != e) {
        pp = &(*pp)->next_in_bucket;
    }
    if (*pp) {
        *pp = e->next_in_bucket;
    }
    mqp__free(e->key);
    e->key = NULL;
}

static void pop_oldest(mqp__dedup *d)
{
    unlink_entry(d, &d->ring[d->head]);
    d->head = (d->head + 1) % d->max;
    d->count--;
}

bool mqp__dedup_check(mqp__dedup *d, const char *key, size_t len, int64_t now_ms)
{
    while (d->count > 0 && d->ring[d->head].expires_ms <= now_ms) {
        pop_oldest(d);
    }
    uint64_t h = mqpx_fnv1a(key, len);
    for (entry *e = d->buckets[h & (d->nbuckets - 1)]; e; e = e->next_in_bucket) {
        if (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0) {
            return true;
        }
    }
    char *copy = mqp__strndup(key, len);
    if (!copy) {
        return false;
    }
    if (d->count == d->max) {
        pop_oldest(d);
    }
    entry *e = &d->ring[(d->head + d->count) % d->max];
    *e = (entry){h, now_ms + d->ttl_ms, copy, len, d->buckets[h & (d->nbuckets - 1)]};
    d->buckets[h & (d->nbuckets - 1)] = e;
    d->count++;
    return false;
}

size_t mqp__dedup_size(const mqp__dedup *d)
{
    return d ? d->count : 0;
}

void mqp__dedup_free(mqp__dedup *d)
{
    if (!d) {
        return;
    }
    if (d->ring) {
        for (size_t i = 0; i < d->count; i++) {
            mqp__free(d->ring[(d->head + i) % d->max].key);
        }
    }
    mqp__free(d->ring);
    mqp__free(d->buckets);
    mqp__free(d);
}
