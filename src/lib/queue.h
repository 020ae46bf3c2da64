/* The bounded incoming queue between the network thread and the dispatch thread.
 *
 * Messages count against the capacity; lifecycle events do not. When the queue is full a
 * QoS 0 message is dropped (and counted), while a QoS 1/2 message makes the pushing thread wait
 * for space: the network thread stops reading, which is backpressure to the broker. */
#ifndef MQP_QUEUE_H
#define MQP_QUEUE_H

#include "mqplane/client.h"
#include "mqplane/common.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum mqp__item_kind { MQP_ITEM_MESSAGE, MQP_ITEM_CONNECTED, MQP_ITEM_DISCONNECTED, MQP_ITEM_STOP };

typedef struct mqp__item {
    struct mqp__item *next;
    enum mqp__item_kind kind;
    int qos;
    bool retain;
    bool flag;      /* CONNECTED: a reconnection. */
    mqp_err reason; /* DISCONNECTED: why. */
    char *topic;    /* Points into the same allocation. */
    char *payload;  /* Ditto, NUL-terminated. */
    size_t payload_len;
    size_t n_sub_ids;
    uint32_t *sub_ids;    /* Ditto. */
    char *response_topic; /* Ditto, or NULL. */
    char *correlation;    /* Ditto, or NULL. */
    size_t correlation_len;
    char *content_type;        /* Ditto, or NULL. */
    mqp_user_prop *user_props; /* Ditto: the array, then its strings. */
    size_t n_user_props;
} mqp__item;

struct mqp__incoming;
/* One allocation holding the item and copies of everything the message points to. */
mqp__item *mqp__item_new_message(const struct mqp__incoming *m);
mqp__item *mqp__item_new_event(enum mqp__item_kind kind);
void mqp__item_free(mqp__item *it);

typedef enum mqp__push_result {
    MQP_PUSHED,
    MQP_DROPPED_FULL,  /* A QoS 0 message met a full queue. */
    MQP_DROPPED_CLOSED /* The queue is closed (shutdown). */
} mqp__push_result;

typedef struct mqp__queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    pthread_cond_t idle; /* Signalled when the consumer finishes an item and the queue is empty. */
    mqp__item *head;
    mqp__item *tail;
    size_t depth; /* Messages only. */
    size_t capacity;
    size_t high_water;
    uint64_t held_back; /* QoS 1/2 pushes that had to wait for space, counted as they start. */
    bool busy;          /* The consumer is working on an item. */
    bool closed;
    pthread_t consumer;
    bool has_consumer;
} mqp__queue;

int mqp__queue_init(mqp__queue *q, size_t capacity);
void mqp__queue_destroy(mqp__queue *q);
/* Takes ownership of it unless the result is a drop, in which case the caller frees it. */
mqp__push_result mqp__queue_push(mqp__queue *q, mqp__item *it);
/* Blocks for the next item; the consumer calls mqp__queue_done after handling it. */
mqp__item *mqp__queue_pop(mqp__queue *q);
void mqp__queue_done(mqp__queue *q);
/* Waits until the queue is empty and the consumer idle; false on timeout. */
bool mqp__queue_wait_idle(mqp__queue *q, int64_t timeout_ms);
/* Refuses further messages and wakes anyone waiting for space; returns the messages still
 * queued, which are removed (events stay). */
size_t mqp__queue_close(mqp__queue *q);
void mqp__queue_stats(mqp__queue *q, size_t *depth, size_t *high_water, uint64_t *held_back);

#endif
