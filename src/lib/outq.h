/* The bound on a connection's outgoing QoS 0 messages: those handed to libmosquitto and not yet
 * written to the socket. libmosquitto's own queue has no bound, so when the broker or the link
 * is slower than the publisher, QoS 0 messages would pile up in memory without end.
 *
 * A message is admitted while fewer than max_msgs are outstanding and their bytes stay within
 * max_bytes (one message is always admitted into an empty window, however large). Refused
 * messages are the newest: the outstanding ones are already serialised in libmosquitto's
 * queue, partly on the wire, and cannot be recalled. libmosquitto writes packets in order, so
 * completions arrive in the order of admission; the window is a FIFO of message ids.
 *
 * Not thread-safe: the transport guards it with its publish mutex. */
#ifndef MQP_OUTQ_H
#define MQP_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mqp__outq_entry {
    int mid;
    size_t bytes;
} mqp__outq_entry;

typedef struct mqp__outq {
    mqp__outq_entry *ring;
    size_t cap;  /* Allocated entries; grows up to max_msgs. */
    size_t head; /* The oldest outstanding entry. */
    size_t count;
    size_t bytes;
    size_t max_msgs;
    size_t max_bytes;
    size_t high_water; /* The most messages outstanding at once. */
    uint64_t refused;  /* Messages refused because the window was full. */
    uint64_t lost;     /* Admitted messages never written: the connection ended first. */
} mqp__outq;

/* max_msgs and max_bytes of SIZE_MAX mean no bound. */
void mqp__outq_init(mqp__outq *q, size_t max_msgs, size_t max_bytes);
void mqp__outq_free(mqp__outq *q);
/* True if a message of this size may go out now; counts a refusal otherwise. It also makes
 * room for the entry, so that mqp__outq_push cannot fail after libmosquitto took the message:
 * false (without counting a refusal) when that allocation fails. */
bool mqp__outq_admit(mqp__outq *q, size_t bytes, bool *nomem);
/* True, counting a refusal, when no message would be admitted now (the window holds its most
 * messages or bytes): a publisher that asks first need not build one to see it refused. */
bool mqp__outq_refuse_if_full(mqp__outq *q);
/* Records an admitted message that libmosquitto accepted under the id mid. */
void mqp__outq_push(mqp__outq *q, int mid, size_t bytes);
/* A QoS 0 message left for the socket. False if mid was not outstanding (the caller then takes
 * it for a QoS 1/2 acknowledgement). */
bool mqp__outq_complete(mqp__outq *q, int mid);
/* The connection ended: every outstanding message is lost. Returns how many. */
size_t mqp__outq_lose_all(mqp__outq *q, size_t *bytes);

#endif
