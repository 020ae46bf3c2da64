/* The outgoing QoS 0 window (outq.h). */
#include "outq.h"

#include "alloc.h"

#include <string.h>

#define FIRST_CAP 64

void mqp__outq_init(mqp__outq *q, size_t max_msgs, size_t max_bytes)
{
    *q = (mqp__outq){.max_msgs = max_msgs ? max_msgs : 1, .max_bytes = max_bytes};
}

void mqp__outq_free(mqp__outq *q)
{
    mqp__free(q->ring);
    q->ring = NULL;
    q->cap = q->count = q->head = q->bytes = 0;
}

/* Room for one more entry: the ring doubles (up to max_msgs), keeping its order. */
static bool reserve(mqp__outq *q)
{
    if (q->count < q->cap) {
        return true;
    }
    size_t cap = q->cap ? q->cap * 2 : FIRST_CAP;
    if (cap > q->max_msgs) {
        cap = q->max_msgs;
    }
    mqp__outq_entry *ring = mqp__malloc(cap * sizeof *ring);
    if (!ring) {
        return false;
    }
    for (size_t i = 0; i < q->count; i++) {
        ring[i] = q->ring[(q->head + i) % q->cap];
    }
    mqp__free(q->ring);
    q->ring = ring;
    q->cap = cap;
    q->head = 0;
    return true;
}

bool mqp__outq_admit(mqp__outq *q, size_t bytes, bool *nomem)
{
    *nomem = false;
    bool fits = q->count == 0 || (q->count < q->max_msgs && q->bytes <= q->max_bytes &&
                                  bytes <= q->max_bytes - q->bytes);
    if (!fits) {
        q->refused++;
        return false;
    }
    if (!reserve(q)) {
        *nomem = true;
        return false;
    }
    return true;
}

bool mqp__outq_refuse_if_full(mqp__outq *q)
{
    bool full = q->count > 0 && (q->count >= q->max_msgs || q->bytes >= q->max_bytes);
    q->refused += full;
    return full;
}

void mqp__outq_push(mqp__outq *q, int mid, size_t bytes)
{
    if (q->count >= q->cap) {
        return; /* Not admitted: cannot happen when admit came first. */
    }
    q->ring[(q->head + q->count) % q->cap] = (mqp__outq_entry){mid, bytes};
    q->count++;
    q->bytes += bytes;
    if (q->count > q->high_water) {
        q->high_water = q->count;
    }
}

static void pop(mqp__outq *q)
{
    q->bytes -= q->ring[q->head].bytes;
    q->head = (q->head + 1) % q->cap;
    q->count--;
}

bool mqp__outq_complete(mqp__outq *q, int mid)
{
    /* The oldest, in all but the rarest case; ids wrap at 65535, so a later message may share
     * an id with a QoS 1 message still unacknowledged, which the caller checks first. */
    for (size_t i = 0; i < q->count; i++) {
        if (q->ring[(q->head + i) % q->cap].mid == mid) {
            for (size_t k = 0; k <= i; k++) {
                pop(q); /* Written in order: any older entry has gone out too. */
            }
            return true;
        }
    }
    return false;
}

size_t mqp__outq_lose_all(mqp__outq *q, size_t *bytes)
{
    size_t n = q->count;
    if (bytes) {
        *bytes = q->bytes;
    }
    q->lost += n;
    q->count = q->head = q->bytes = 0;
    return n;
}
