/* Subscriptions and the dispatch thread: every message goes to every matching handler, once,
 * on this thread; a handler's error is logged and counted and touches no other handler. */
#include "client_internal.h"

#include "mqplane/envelope.h"
#include "mqplane/topic.h"

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "hash.h"

#include <stdio.h>
#include <string.h>

#define INLINE_TARGETS 16

typedef struct target {
    mqp_handler_cb handler;
    void *user;
    const char *filter; /* For log lines; stays valid: filters are freed only at destroy. */
} target;

mqp_err mqp_client_subscribe(mqp_client *c, const char *filter, int qos, mqp_handler_cb handler,
                             void *user)
{
    if (!c || !filter || !handler || qos < 0 || qos > 2) {
        return MQP_ERR_INVALID;
    }
    if (mqp_topic_validate_filter(filter) != MQP_OK) {
        mqp__set_error(c, MQP_ERR_TOPIC, "invalid subscription filter '%s'", filter);
        return MQP_ERR_TOPIC;
    }
    mqp__sub *s = mqp__calloc(1, sizeof *s);
    char *copy = mqp__strdup(filter);
    if (!s || !copy) {
        mqp__free(s);
        mqp__free(copy);
        return MQP_ERR_NOMEM;
    }
    pthread_mutex_lock(&c->mu);
    if (c->state == MQP_STATE_STOPPING || c->state == MQP_STATE_STOPPED) {
        pthread_mutex_unlock(&c->mu);
        mqp__free(s);
        mqp__free(copy);
        return MQP_ERR_STATE;
    }
    /* One subscription identifier per distinct filter, so each copy the broker sends for an
     * overlapping subscription reaches only the handlers of that subscription. */
    uint32_t id = 0;
    int had_qos = -1; /* The QoS the broker already has for this filter, if any. */
    mqp__sub **tail = &c->subs;
    for (mqp__sub *e = c->subs; e; e = e->next) {
        if (strcmp(e->filter, filter) == 0) {
            id = e->id;
            had_qos = e->qos > had_qos ? e->qos : had_qos;
        }
        tail = &e->next;
    }
    *s = (mqp__sub){NULL, copy, qos, id ? id : c->next_sub_id++, handler, user};
    *tail = s;
    bool connected = c->connected || c->restoring;
    int max_qos = qos > had_qos ? qos : had_qos;
    pthread_mutex_unlock(&c->mu);
    if (connected && qos > had_qos) {
        /* Offline, the subscription is made on connection; a failure here is retried then. */
        c->transport->ops->subscribe(c->transport, filter, max_qos, s->id);
    }
    mqp__log(&c->logger, MQP_LOG_DEBUG, "subscribed '%s' (QoS %d, id %u)", filter, qos, s->id);
    return MQP_OK;
}

mqp_err mqp_client_unsubscribe(mqp_client *c, const char *filter)
{
    if (!c || !filter) {
        return MQP_ERR_INVALID;
    }
    pthread_mutex_lock(&c->mu);
    size_t removed = 0;
    for (mqp__sub **pp = &c->subs; *pp;) {
        mqp__sub *s = *pp;
        if (strcmp(s->filter, filter) == 0) {
            /* Kept on a list freed at destroy: the dispatch thread may still hold its filter. */
            *pp = s->next;
            s->next = c->dead_subs;
            c->dead_subs = s;
            removed++;
        } else {
            pp = &s->next;
        }
    }
    bool connected = c->connected;
    pthread_mutex_unlock(&c->mu);
    if (!removed) {
        return MQP_ERR_NOT_FOUND;
    }
    if (connected) {
        c->transport->ops->unsubscribe(c->transport, filter);
    }
    return MQP_OK;
}

typedef struct sub_copy {
    char *filter;
    int qos;
    uint32_t id;
} sub_copy;

/* Copies the distinct filters (each at the highest QoS asked for it) and marks the client as
 * restoring, in one critical section: a subscription registered from then on sends its own
 * SUBSCRIBE, one registered before is in the copy, so each is sent once. The copies are
 * subscribed outside the lock, because a transport may deliver retained messages
 * synchronously and they may wait for queue space. */
static size_t snapshot(mqp_client *c, sub_copy **out, bool *complete)
{
    pthread_mutex_lock(&c->mu);
    size_t n = 0;
    for (mqp__sub *s = c->subs; s; s = s->next) {
        n++;
    }
    sub_copy *v = n ? mqp__calloc(n, sizeof *v) : NULL;
    bool ok = n == 0 || v;
    size_t k = 0;
    for (mqp__sub *s = c->subs; s && ok; s = s->next) {
        size_t i = 0;
        while (i < k && strcmp(v[i].filter, s->filter) != 0) {
            i++;
        }
        if (i == k) {
            char *filter = mqp__strdup(s->filter);
            ok = filter != NULL;
            if (ok) {
                v[k++] = (sub_copy){filter, s->qos, s->id};
            }
        } else if (s->qos > v[i].qos) {
            v[i].qos = s->qos;
        }
    }
    if (!ok) {
        mqp__log(&c->logger, MQP_LOG_ERR, "out of memory: subscriptions not restored");
    }
    c->restoring = true;
    pthread_mutex_unlock(&c->mu);
    *complete = ok;
    *out = v;
    return k;
}

/* One subscription of a new connection; false if it could not even be sent (out of memory):
 * the connection then lacks it, and must be made again. Offline (MQP_ERR_NO_CONN) is fine:
 * the next connection restores everything anyway. */
static bool restore(mqp_client *c, const char *filter, int qos, uint32_t id)
{
    mqp_err rc = c->transport->ops->subscribe(c->transport, filter, qos, id);
    if (rc != MQP_OK && rc != MQP_ERR_NO_CONN) {
        mqp__log(&c->logger, MQP_LOG_ERR, "cannot restore the subscription to '%s' (%s)", filter,
                 mqp_err_name(rc));
        return false;
    }
    return true;
}

void mqp__resubscribe_all(mqp_client *c)
{
    bool all = !c->keepalive_topic || restore(c, c->keepalive_topic, 0, MQP_HEARTBEAT_SUB_ID);
    sub_copy *v;
    bool complete;
    size_t n = snapshot(c, &v, &complete);
    all = all && complete;
    for (size_t i = 0; i < n; i++) {
        all = restore(c, v[i].filter, v[i].qos, v[i].id) && all;
        mqp__free(v[i].filter);
    }
    mqp__free(v);
    if (!all) {
        /* Connected without a subscription, it would never hear what that one brings. */
        mqp__log(&c->logger, MQP_LOG_ERR, "a subscription is missing: connecting again");
        c->transport->ops->force_reconnect(c->transport);
    }
    /* Connected only now: the SUBSCRIBEs are queued ahead of anything the caller publishes
     * after mqp_client_connect() returns, so the broker applies them first. */
    pthread_mutex_lock(&c->mu);
    c->restoring = false;
    c->connected = true;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->mu);
}

void mqp__unsubscribe_all(mqp_client *c)
{
    pthread_mutex_lock(&c->mu);
    for (mqp__sub *s = c->subs; s; s = s->next) {
        c->transport->ops->unsubscribe(c->transport, s->filter);
    }
    pthread_mutex_unlock(&c->mu);
    if (c->keepalive_topic) {
        c->transport->ops->unsubscribe(c->transport, c->keepalive_topic);
    }
}

static void free_list(mqp__sub *s)
{
    while (s) {
        mqp__sub *next = s->next;
        mqp__free(s->filter);
        mqp__free(s);
        s = next;
    }
}

void mqp__subs_free(mqp_client *c)
{
    free_list(c->subs);
    free_list(c->dead_subs);
    for (mqp__sub *k = c->kept, *next; k; k = next) {
        next = k->next;
        mqp__free(k->user);
        mqp__free(k);
    }
    c->subs = c->dead_subs = c->kept = NULL;
}

void mqp__client_keep_until_destroy(mqp_client *c, void *p)
{
    mqp__sub *k = mqp__calloc(1, sizeof *k);
    if (!k) {
        return; /* Leaked rather than freed under a handler that may still run. */
    }
    k->user = p;
    pthread_mutex_lock(&c->mu);
    k->next = c->kept;
    c->kept = k;
    pthread_mutex_unlock(&c->mu);
}

static bool has_id(const mqp__item *it, uint32_t id)
{
    for (size_t i = 0; i < it->n_sub_ids; i++) {
        if (it->sub_ids[i] == id) {
            return true;
        }
    }
    return false;
}

/* The envelope key of the reference deduplicator: type|id|seq=N, or a hash of the data when
 * the envelope has no sequence number. Messages that are not envelopes are never dropped. */
static bool is_duplicate(mqp_client *c, const mqp__item *it)
{
    mqp_envelope *env = NULL;
    if (mqp_envelope_decode(it->payload, it->payload_len, &env, NULL, 0) != MQP_OK) {
        return false;
    }
    mqp__buf key;
    mqp__buf_init(&key);
    bool has_seq;
    uint64_t seq = mqp_envelope_seq(env, &has_seq);
    mqp__buf_printf(&key, "%s|%s|", mqp_envelope_type(env), mqp_envelope_id(env));
    if (has_seq) {
        mqp__buf_printf(&key, "seq=%llu", (unsigned long long)seq);
    } else {
        size_t n;
        const char *data = mqp_envelope_data(env, &n);
        mqp__buf_printf(&key, "hash=%016llx", (unsigned long long)mqpx_fnv1a(data, n));
    }
    bool dup = !key.failed && mqp__dedup_check(c->dedup, key.data, key.len, mqpx_mono_ms());
    mqp__buf_free(&key);
    mqp_envelope_free(env);
    return dup;
}

static void deliver(mqp_client *c, const mqp__item *it)
{
    if (c->dedup && is_duplicate(c, it)) {
        atomic_fetch_add(&c->n.dropped_duplicate, 1);
        return;
    }
    target inline_targets[INLINE_TARGETS];
    target *targets = inline_targets;
    size_t n = 0, cap = INLINE_TARGETS;
    pthread_mutex_lock(&c->mu);
    for (mqp__sub *s = c->subs; s; s = s->next) {
        bool match = it->n_sub_ids ? has_id(it, s->id) : mqp_topic_matches(s->filter, it->topic);
        if (!match) {
            continue;
        }
        if (n == cap) {
            size_t ncap = cap * 2;
            target *t = mqp__malloc(ncap * sizeof *t);
            if (!t) {
                mqp__log(&c->logger, MQP_LOG_ERR, "out of memory: '%s' reaches only %zu handlers",
                         it->topic, n);
                break;
            }
            memcpy(t, targets, n * sizeof *t);
            if (targets != inline_targets) {
                mqp__free(targets);
            }
            targets = t;
            cap = ncap;
        }
        targets[n++] = (target){s->handler, s->user, s->filter};
    }
    pthread_mutex_unlock(&c->mu);
    if (n == 0) {
        atomic_fetch_add(&c->n.unhandled, 1);
    }
    mqp_message msg = {.topic = it->topic,
                       .payload = it->payload,
                       .payload_len = it->payload_len,
                       .qos = it->qos,
                       .retain = it->retain,
                       .response_topic = it->response_topic,
                       .correlation_data = it->correlation,
                       .correlation_len = it->correlation_len,
                       .content_type = it->content_type,
                       .user_props = it->user_props,
                       .n_user_props = it->n_user_props};
    for (size_t i = 0; i < n; i++) {
        int rc = targets[i].handler(c, &msg, targets[i].user);
        atomic_fetch_add(&c->n.dispatched, 1);
        if (rc != 0) {
            atomic_fetch_add(&c->n.handler_errors, 1);
            mqp__log(&c->logger, MQP_LOG_WARNING, "handler for '%s' failed (%d) on '%s'",
                     targets[i].filter, rc, it->topic);
        }
    }
    if (targets != inline_targets) {
        mqp__free(targets);
    }
}

void *mqp__dispatch_main(void *arg)
{
    mqp_client *c = arg;
    for (;;) {
        mqp__item *it = mqp__queue_pop(&c->queue);
        enum mqp__item_kind kind = it->kind;
        if (kind == MQP_ITEM_MESSAGE) {
            deliver(c, it);
        } else if (kind == MQP_ITEM_CONNECTED && c->opts.on_connected) {
            c->opts.on_connected(c, it->flag, c->opts.cb_user);
        } else if (kind == MQP_ITEM_DISCONNECTED && c->opts.on_disconnected) {
            c->opts.on_disconnected(c, it->reason, c->opts.cb_user);
        }
        mqp__item_free(it);
        mqp__queue_done(&c->queue);
        if (kind == MQP_ITEM_STOP) {
            return NULL;
        }
    }
}
