#include "queue.h"

#include "alloc.h"
#include "clock.h"
#include "sync.h"
#include "transport.h"

#include <string.h>

/* Copies n bytes to *p and moves *p past them; returns where they went. */
static char *put_bytes(char **p, const void *src, size_t n)
{
    char *at = *p;
    memcpy(at, src, n);
    *p += n;
    return at;
}

mqp__item *mqp__item_new_message(const mqp__incoming *m)
{
    size_t tlen = strlen(m->topic);
    size_t props = m->n_user_props * sizeof(mqp_user_prop);
    size_t ids = m->n_sub_ids * sizeof(uint32_t);
    size_t rlen = m->response_topic ? strlen(m->response_topic) + 1 : 0;
    size_t clen = m->correlation ? m->correlation_len : 0;
    size_t ctlen = m->content_type ? strlen(m->content_type) + 1 : 0;
    size_t strings = 0;
    for (size_t i = 0; i < m->n_user_props; i++) {
        strings += strlen(m->user_props[i].name) + strlen(m->user_props[i].value) + 2;
    }
    /* Layout: item | user property array | sub ids | topic NUL | payload NUL | response topic
     * NUL | content type NUL | user property strings | correlation: the pointer-sized array
     * and the ids come first for alignment. */
    mqp__item *it = mqp__malloc(sizeof *it + props + ids + tlen + 1 + m->len + 1 + rlen + ctlen +
                                strings + clen);
    if (!it) {
        return NULL;
    }
    memset(it, 0, sizeof *it);
    it->kind = MQP_ITEM_MESSAGE;
    it->qos = m->qos;
    it->retain = m->retain;
    it->user_props = (mqp_user_prop *)(void *)(it + 1);
    it->n_user_props = m->n_user_props;
    char *p = (char *)(it + 1) + props;
    it->sub_ids = (uint32_t *)(void *)p;
    it->n_sub_ids = m->n_sub_ids;
    if (ids) {
        put_bytes(&p, m->sub_ids, ids);
    }
    it->topic = put_bytes(&p, m->topic, tlen + 1);
    it->payload = p;
    if (m->len) {
        memcpy(p, m->payload, m->len);
    }
    p[m->len] = '\0';
    p += m->len + 1;
    it->payload_len = m->len;
    if (rlen) {
        it->response_topic = put_bytes(&p, m->response_topic, rlen);
    }
    if (ctlen) {
        it->content_type = put_bytes(&p, m->content_type, ctlen);
    }
    for (size_t i = 0; i < m->n_user_props; i++) {
        const char *name = put_bytes(&p, m->user_props[i].name, strlen(m->user_props[i].name) + 1);
        const char *value =
            put_bytes(&p, m->user_props[i].value, strlen(m->user_props[i].value) + 1);
        it->user_props[i] = (mqp_user_prop){name, value};
    }
    if (m->correlation) {
        it->correlation = put_bytes(&p, m->correlation, clen);
        it->correlation_len = clen;
    }
    return it;
}

mqp__item *mqp__item_new_event(enum mqp__item_kind kind)
{
    mqp__item *it = mqp__calloc(1, sizeof *it);
    if (it) {
        it->kind = kind;
    }
    return it;
}

void mqp__item_free(mqp__item *it)
{
    mqp__free(it);
}

int mqp__queue_init(mqp__queue *q, size_t capacity)
{
    memset(q, 0, sizeof *q);
    q->capacity = capacity;
    int rc = pthread_mutex_init(&q->mu, NULL);
    if (rc == 0) {
        rc = mqpx_cond_init_monotonic(&q->not_empty);
    }
    if (rc == 0) {
        rc = mqpx_cond_init_monotonic(&q->not_full);
    }
    if (rc == 0) {
        rc = mqpx_cond_init_monotonic(&q->idle);
    }
    return rc;
}

void mqp__queue_destroy(mqp__queue *q)
{
    while (q->head) {
        mqp__item *it = q->head;
        q->head = it->next;
        mqp__item_free(it);
    }
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->idle);
    pthread_mutex_destroy(&q->mu);
}

static void append(mqp__queue *q, mqp__item *it)
{
    it->next = NULL;
    if (q->tail) {
        q->tail->next = it;
    } else {
        q->head = it;
    }
    q->tail = it;
    if (it->kind == MQP_ITEM_MESSAGE) {
        q->depth++;
        if (q->depth > q->high_water) {
            q->high_water = q->depth;
        }
    }
    pthread_cond_signal(&q->not_empty);
}

mqp__push_result mqp__queue_push(mqp__queue *q, mqp__item *it)
{
    pthread_mutex_lock(&q->mu);
    if (it->kind == MQP_ITEM_MESSAGE) {
        /* The consumer itself never waits for space it alone can make (an in-process publish
         * from a handler): it goes over the bound instead of deadlocking. */
        bool self = q->has_consumer && pthread_equal(q->consumer, pthread_self());
        bool counted = false;
        while (!q->closed && q->depth >= q->capacity && !self) {
            if (it->qos == 0) {
                pthread_mutex_unlock(&q->mu);
                return MQP_DROPPED_FULL;
            }
            if (!counted) {
                q->held_back++;
                counted = true;
            }
            pthread_cond_wait(&q->not_full, &q->mu);
        }
        if (q->closed) {
            pthread_mutex_unlock(&q->mu);
            return MQP_DROPPED_CLOSED;
        }
    }
    append(q, it);
    pthread_mutex_unlock(&q->mu);
    return MQP_PUSHED;
}

mqp__item *mqp__queue_pop(mqp__queue *q)
{
    pthread_mutex_lock(&q->mu);
    if (!q->has_consumer) {
        q->consumer = pthread_self();
        q->has_consumer = true;
    }
    while (!q->head) {
        pthread_cond_wait(&q->not_empty, &q->mu);
    }
    mqp__item *it = q->head;
    q->head = it->next;
    if (!q->head) {
        q->tail = NULL;
    }
    if (it->kind == MQP_ITEM_MESSAGE) {
        q->depth--;
        pthread_cond_signal(&q->not_full);
    }
    q->busy = true;
    pthread_mutex_unlock(&q->mu);
    return it;
}

void mqp__queue_done(mqp__queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->busy = false;
    if (!q->head) {
        pthread_cond_broadcast(&q->idle);
    }
    pthread_mutex_unlock(&q->mu);
}

bool mqp__queue_wait_idle(mqp__queue *q, int64_t timeout_ms)
{
    struct timespec deadline = mqpx_deadline_in(timeout_ms);
    pthread_mutex_lock(&q->mu);
    int rc = 0;
    while ((q->head || q->busy) && rc == 0) {
        rc = pthread_cond_timedwait(&q->idle, &q->mu, &deadline);
    }
    bool idle = !q->head && !q->busy;
    pthread_mutex_unlock(&q->mu);
    return idle;
}

size_t mqp__queue_close(mqp__queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    size_t removed = 0;
    mqp__item **pp = &q->head;
    q->tail = NULL;
    while (*pp) {
        mqp__item *it = *pp;
        if (it->kind == MQP_ITEM_MESSAGE) {
            *pp = it->next;
            mqp__item_free(it);
            removed++;
        } else {
            q->tail = it;
            pp = &it->next;
        }
    }
    q->depth = 0;
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return removed;
}

void mqp__queue_stats(mqp__queue *q, size_t *depth, size_t *high_water, uint64_t *held_back)
{
    pthread_mutex_lock(&q->mu);
    *depth = q->depth;
    *high_water = q->high_water;
    *held_back = q->held_back;
    pthread_mutex_unlock(&q->mu);
}
