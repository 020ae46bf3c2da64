/* The in-process broker and its transport. Brokers live in a process-wide registry by name and
 * outlive their clients, so a test can query what was published after the clients are gone.
 *
 * Delivery happens on the publishing thread, after the broker lock is released: a receiving
 * client may block its publisher for backpressure, and must not block the whole broker. */
#define _POSIX_C_SOURCE 200809L
#include "transport.h"

#include "mqplane/memory.h"
#include "mqplane/topic.h"

#include "alloc.h"
#include "clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

typedef struct mem_msg {
    struct mem_msg *next;
    char *topic;
    char *payload;
    size_t len;
    int qos;
    bool retain;
} mem_msg;

typedef struct mem_sub {
    struct mem_sub *next;
    char *filter;
    int qos;
} mem_sub;

typedef struct mem_session mem_session;

typedef struct mem_broker {
    struct mem_broker *next;
    char *name;
    pthread_mutex_t mu;
    mem_session *sessions;
    mem_msg *retained;
    mem_msg *history;
    mem_msg **history_tail;
    size_t share_turn; /* Rotates shared-subscription deliveries among group members. */
} mem_broker;

struct mem_session {
    mqp__transport base;
    mem_session *next; /* In the broker's list, while connected. */
    mem_broker *broker;
    mqp__transport_events ev;
    const mqp__logger *log;
    char *client_id;
    char *will_topic;
    char *will_payload;
    int will_qos;
    bool will_retain;
    mem_sub *subs;
    atomic_bool in_start;    /* Connecting now: a reconnection asked for meanwhile waits, */
    atomic_bool restart_due; /* and is made when that one is done (no recursion). */
    bool connected;
    unsigned deliveries; /* Publishers delivering to this session right now. */
    pthread_cond_t idle; /* Signalled when deliveries drops to 0. */
};

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static mem_broker *registry;

static mem_broker *find_broker(const char *name, bool create)
{
    pthread_mutex_lock(&registry_mu);
    mem_broker *b = registry;
    while (b && strcmp(b->name, name) != 0) {
        b = b->next;
    }
    if (!b && create && (b = mqp__calloc(1, sizeof *b))) {
        if (!(b->name = mqp__strdup(name))) {
            mqp__free(b);
            b = NULL;
        } else {
            pthread_mutex_init(&b->mu, NULL);
            b->history_tail = &b->history;
            b->next = registry;
            registry = b;
        }
    }
    pthread_mutex_unlock(&registry_mu);
    return b;
}

static mem_msg *msg_new(const char *topic, const void *payload, size_t len, int qos, bool retain)
{
    mem_msg *m = mqp__calloc(1, sizeof *m);
    if (!m) {
        return NULL;
    }
    m->topic = mqp__strdup(topic);
    m->payload = mqp__malloc(len + 1);
    if (!m->topic || !m->payload) {
        mqp__free(m->topic);
        mqp__free(m->payload);
        mqp__free(m);
        return NULL;
    }
    if (len) {
        memcpy(m->payload, payload, len);
    }
    m->payload[len] = '\0';
    m->len = len;
    m->qos = qos;
    m->retain = retain;
    return m;
}

static void msg_free_list(mem_msg *m)
{
    while (m) {
        mem_msg *next = m->next;
        mqp__free(m->topic);
        mqp__free(m->payload);
        mqp__free(m);
        m = next;
    }
}

static bool is_shared(const char *filter)
{
    return strncmp(filter, "$share/", 7) == 0;
}

/* The highest QoS among a session's plain subscriptions matching topic, or -1. */
static int session_qos(const mem_session *s, const char *topic)
{
    int q = -1;
    for (const mem_sub *sub = s->subs; sub; sub = sub->next) {
        if (sub->qos > q && !is_shared(sub->filter) && mqp_topic_matches(sub->filter, topic)) {
            q = sub->qos;
        }
    }
    return q;
}

typedef struct recipient {
    mem_session *s;
    int qos;
} recipient;

/* Adds s to the recipients, or raises its QoS if it is there: one copy per session. */
static void add_recipient(recipient *r, size_t *n, mem_session *s, int qos)
{
    for (size_t i = 0; i < *n; i++) {
        if (r[i].s == s) {
            r[i].qos = qos > r[i].qos ? qos : r[i].qos;
            return;
        }
    }
    s->deliveries++;
    r[(*n)++] = (recipient){s, qos};
}

static const mem_sub *find_sub(const mem_session *s, const char *filter)
{
    for (const mem_sub *sub = s->subs; sub; sub = sub->next) {
        if (strcmp(sub->filter, filter) == 0) {
            return sub;
        }
    }
    return NULL;
}

/* Shared subscriptions ($share/GROUP/FILTER): each group gets a matching message once, handed
 * to its members in turn. Called with the broker locked. */
static void add_shared_recipients(mem_broker *b, recipient *r, size_t *n, const char *topic,
                                  int qos)
{
    for (mem_session *s = b->sessions; s; s = s->next) {
        for (const mem_sub *sub = s->subs; sub; sub = sub->next) {
            if (!is_shared(sub->filter) || !mqp_topic_matches(sub->filter, topic)) {
                continue;
            }
            /* Handle each group at its first member in session order only. */
            bool seen_earlier = false;
            size_t members = 0;
            for (mem_session *o = b->sessions; o; o = o->next) {
                if (find_sub(o, sub->filter)) {
                    seen_earlier = seen_earlier || (o != s && members == 0);
                    members++;
                }
            }
            if (seen_earlier) {
                continue;
            }
            size_t pick = b->share_turn++ % members;
            for (mem_session *o = b->sessions; o; o = o->next) {
                const mem_sub *m = find_sub(o, sub->filter);
                if (m && pick-- == 0) {
                    add_recipient(r, n, o, m->qos < qos ? m->qos : qos);
                    break;
                }
            }
        }
    }
}

static void deliver_to(recipient *r, size_t n, mem_broker *b, const mqp__incoming *m)
{
    for (size_t i = 0; i < n; i++) {
        mqp__incoming in = *m;
        in.qos = r[i].qos;
        r[i].s->ev.message(r[i].s->ev.ctx, &in);
    }
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < n; i++) {
        if (--r[i].s->deliveries == 0) {
            pthread_cond_broadcast(&r[i].s->idle);
        }
    }
    pthread_mutex_unlock(&b->mu);
}

static mqp_err broker_publish(mem_broker *b, const char *topic, const void *payload, size_t len,
                              int qos, bool retain, const mqp__pub_props *rp)
{
    mem_msg *rec = msg_new(topic, payload, len, qos, retain);
    mem_msg *keep = retain && len ? msg_new(topic, payload, len, qos, true) : NULL;
    if (!rec || (retain && len && !keep)) {
        msg_free_list(rec);
        msg_free_list(keep);
        return MQP_ERR_NOMEM;
    }
    pthread_mutex_lock(&b->mu);
    *b->history_tail = rec;
    b->history_tail = &rec->next;
    if (retain) {
        /* Replace any retained message on the topic; an empty payload just deletes it. */
        for (mem_msg **pp = &b->retained; *pp; pp = &(*pp)->next) {
            if (strcmp((*pp)->topic, topic) == 0) {
                mem_msg *old = *pp;
                *pp = old->next;
                old->next = NULL;
                msg_free_list(old);
                break;
            }
        }
        if (keep) {
            keep->next = b->retained;
            b->retained = keep;
        }
    }
    size_t n = 0, cap = 0;
    for (mem_session *s = b->sessions; s; s = s->next) {
        cap++;
    }
    recipient *r = cap ? mqp__malloc(cap * sizeof *r) : NULL;
    if (cap && !r) {
        pthread_mutex_unlock(&b->mu);
        return MQP_ERR_NOMEM;
    }
    for (mem_session *s = b->sessions; s; s = s->next) {
        int q = session_qos(s, topic);
        if (q >= 0) {
            add_recipient(r, &n, s, q < qos ? q : qos);
        }
    }
    add_shared_recipients(b, r, &n, topic, qos);
    pthread_mutex_unlock(&b->mu);
    /* Delivered messages do not carry the retain flag, as on a real broker. */
    mqp__incoming in = {.topic = topic, .payload = payload, .len = len, .qos = qos};
    if (rp) {
        in.response_topic = rp->response_topic;
        in.correlation = rp->correlation;
        in.correlation_len = rp->correlation_len;
        in.content_type = rp->content_type;
        in.user_props = rp->user_props;
        in.n_user_props =
            rp->n_user_props < MQP_USER_PROPS_MAX ? rp->n_user_props : MQP_USER_PROPS_MAX;
    }
    deliver_to(r, n, b, &in);
    mqp__free(r);
    return MQP_OK;
}

/* ---- transport operations ---- */

static void start_once(mem_session *s);
static void leave(mem_session *s, bool clean);

/* Connections are made synchronously, so the client's connected callback runs inside this
 * call; a reconnection it asks for (a subscription it could not restore, out of memory) is
 * made after it returns, a millisecond later, at most RESTARTS times: this runs on the caller's
 * thread, and memory that does not come back must not hold it for ever. */
#define RESTARTS 3
static mqp_err op_start(mqp__transport *base)
{
    mem_session *s = (mem_session *)base;
    atomic_store(&s->in_start, true);
    start_once(s);
    for (int i = 0; i < RESTARTS && atomic_exchange(&s->restart_due, false); i++) {
        mqpx_sleep_ms(1);
        leave(s, false);
        s->ev.disconnected(s->ev.ctx, MQP_ERR_CONN_LOST, "connection dropped on request", true);
        start_once(s);
    }
    atomic_store(&s->in_start, false);
    return MQP_OK;
}

static void start_once(mem_session *s)
{
    mem_broker *b = s->broker;
    pthread_mutex_lock(&b->mu);
    /* A second client with the same id takes over, as on a real broker. */
    mem_session *old = NULL;
    for (mem_session **pp = &b->sessions; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->client_id, s->client_id) == 0) {
            old = *pp;
            *pp = old->next;
            old->connected = false;
            break;
        }
    }
    s->connected = true;
    s->next = b->sessions;
    b->sessions = s;
    pthread_mutex_unlock(&b->mu);
    if (old) {
        /* Like mosquitto: the displaced connection did not say goodbye, so its will fires. */
        if (old->will_topic) {
            broker_publish(b, old->will_topic, old->will_payload, strlen(old->will_payload),
                           old->will_qos, old->will_retain, NULL);
        }
        char why[300];
        snprintf(why, sizeof why,
                 "client id '%s' is in use by another client: the broker handed it our session "
                 "(session taken over)",
                 old->client_id);
        old->ev.disconnected(old->ev.ctx, MQP_ERR_TAKEN_OVER, why, true);
    }
    s->ev.connected(s->ev.ctx, false, 5, 0);
}

static mqp_err op_publish(mqp__transport *base, const char *topic, const void *payload, size_t len,
                          int qos, bool retain, const mqp__pub_props *rp)
{
    mem_session *s = (mem_session *)base;
    pthread_mutex_lock(&s->broker->mu);
    bool connected = s->connected;
    pthread_mutex_unlock(&s->broker->mu);
    if (!connected) {
        return MQP_ERR_NO_CONN;
    }
    return broker_publish(s->broker, topic, payload, len, qos, retain, rp);
}

static mqp_err op_subscribe(mqp__transport *base, const char *filter, int qos, uint32_t sub_id)
{
    (void)sub_id; /* Each message reaches a session once; the client matches by topic. */
    mem_session *s = (mem_session *)base;
    mem_broker *b = s->broker;
    pthread_mutex_lock(&b->mu);
    if (!s->connected) {
        pthread_mutex_unlock(&b->mu);
        return MQP_ERR_NO_CONN;
    }
    mem_sub *sub = s->subs;
    while (sub && strcmp(sub->filter, filter) != 0) {
        sub = sub->next;
    }
    bool is_new = sub == NULL; /* Retained messages go to new subscriptions only, as mqplane
                                  asks of an MQTT 5 broker. */
    if (!sub) {
        sub = mqp__calloc(1, sizeof *sub);
        if (!sub || !(sub->filter = mqp__strdup(filter))) {
            mqp__free(sub);
            pthread_mutex_unlock(&b->mu);
            return MQP_ERR_NOMEM;
        }
        sub->next = s->subs;
        s->subs = sub;
    }
    sub->qos = qos;
    /* Retained messages matching the new subscription, copied under the lock and delivered
     * after it, with the retain flag set. */
    mem_msg *copies = NULL, **tail = &copies;
    /* Shared subscriptions get no retained messages (MQTT 5 section 4.8.2). */
    for (mem_msg *m = is_new && !is_shared(filter) ? b->retained : NULL; m; m = m->next) {
        if (mqp_topic_matches(filter, m->topic)) {
            mem_msg *c = msg_new(m->topic, m->payload, m->len, m->qos < qos ? m->qos : qos, true);
            if (c) {
                *tail = c;
                tail = &c->next;
            }
        }
    }
    s->deliveries++;
    pthread_mutex_unlock(&b->mu);
    for (mem_msg *m = copies; m; m = m->next) {
        mqp__incoming in = {
            .topic = m->topic, .payload = m->payload, .len = m->len, .qos = m->qos, .retain = true};
        s->ev.message(s->ev.ctx, &in);
    }
    msg_free_list(copies);
    pthread_mutex_lock(&b->mu);
    if (--s->deliveries == 0) {
        pthread_cond_broadcast(&s->idle);
    }
    pthread_mutex_unlock(&b->mu);
    return MQP_OK;
}

static mqp_err op_unsubscribe(mqp__transport *base, const char *filter)
{
    mem_session *s = (mem_session *)base;
    pthread_mutex_lock(&s->broker->mu);
    for (mem_sub **pp = &s->subs; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->filter, filter) == 0) {
            mem_sub *old = *pp;
            *pp = old->next;
            mqp__free(old->filter);
            mqp__free(old);
            break;
        }
    }
    pthread_mutex_unlock(&s->broker->mu);
    return MQP_OK;
}

static mqp_err op_flush(mqp__transport *base, int64_t timeout_ms)
{
    (void)base;
    (void)timeout_ms;
    return MQP_OK; /* Delivery is synchronous: nothing is ever outstanding. */
}

/* Leaves the broker: cleanly (no will) or as a lost connection (the will is published). */
static void leave(mem_session *s, bool clean)
{
    mem_broker *b = s->broker;
    pthread_mutex_lock(&b->mu);
    bool was = s->connected;
    for (mem_session **pp = &b->sessions; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    s->connected = false;
    while (s->deliveries > 0) {
        pthread_cond_wait(&s->idle, &b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    if (was && !clean && s->will_topic) {
        broker_publish(b, s->will_topic, s->will_payload, strlen(s->will_payload), s->will_qos,
                       s->will_retain, NULL);
    }
}

static void op_force_reconnect(mqp__transport *base)
{
    mem_session *s = (mem_session *)base;
    if (atomic_load(&s->in_start)) {
        atomic_store(&s->restart_due, true);
        return;
    }
    leave(s, false);
    s->ev.disconnected(s->ev.ctx, MQP_ERR_CONN_LOST, "connection dropped on request", true);
    op_start(base);
}

static void op_stop(mqp__transport *base)
{
    leave((mem_session *)base, true);
}

static void op_destroy(mqp__transport *base)
{
    mem_session *s = (mem_session *)base;
    if (!s) {
        return;
    }
    leave(s, true);
    while (s->subs) {
        mem_sub *sub = s->subs;
        s->subs = sub->next;
        mqp__free(sub->filter);
        mqp__free(sub);
    }
    pthread_cond_destroy(&s->idle);
    mqp__free(s->client_id);
    mqp__free(s->will_topic);
    mqp__free(s->will_payload);
    mqp__free(s);
}

static const mqp__transport_ops memory_ops = {
    .start = op_start,
    .publish = op_publish,
    .subscribe = op_subscribe,
    .unsubscribe = op_unsubscribe,
    .flush = op_flush,
    .force_reconnect = op_force_reconnect,
    .stop = op_stop,
    .destroy = op_destroy,
};

mqp_err mqp__transport_memory_new(mqp__transport **out, const mqp__transport_config *cfg,
                                  const mqp__transport_events *ev, char *err, size_t errlen)
{
    mem_broker *b = find_broker(cfg->urls[0].host, true);
    mem_session *s = b ? mqp__calloc(1, sizeof *s) : NULL;
    if (!s) {
        snprintf(err, errlen, "out of memory creating %s", cfg->url_redacted);
        return MQP_ERR_NOMEM;
    }
    s->base.ops = &memory_ops;
    s->broker = b;
    s->ev = *ev;
    s->log = cfg->logger;
    pthread_cond_init(&s->idle, NULL);
    s->client_id = mqp__strdup(cfg->client_id);
    if (cfg->will_topic) {
        s->will_topic = mqp__strdup(cfg->will_topic);
        s->will_payload = mqp__strdup(cfg->will_payload);
        s->will_qos = cfg->will_qos;
        s->will_retain = cfg->will_retain;
    }
    if (!s->client_id || (cfg->will_topic && (!s->will_topic || !s->will_payload))) {
        op_destroy(&s->base);
        return MQP_ERR_NOMEM;
    }
    *out = &s->base;
    return MQP_OK;
}

/* ---- queries ---- */

static size_t visit(const char *name, const char *filter, mqp_memory_visit_cb cb, void *user,
                    bool retained)
{
    if (!name || !filter) {
        return 0;
    }
    mem_broker *b = find_broker(name, false);
    if (!b) {
        return 0;
    }
    size_t n = 0;
    pthread_mutex_lock(&b->mu);
    for (mem_msg *m = retained ? b->retained : b->history; m; m = m->next) {
        if (!mqp_topic_matches(filter, m->topic)) {
            continue;
        }
        n++;
        mqp_memory_message mm = {m->topic, m->payload, m->len, m->qos, m->retain};
        if (cb && !cb(&mm, user)) {
            break;
        }
    }
    pthread_mutex_unlock(&b->mu);
    return n;
}

size_t mqp_memory_published(const char *name, const char *filter, mqp_memory_visit_cb cb,
                            void *user)
{
    return visit(name, filter, cb, user, false);
}

size_t mqp_memory_retained(const char *name, const char *filter, mqp_memory_visit_cb cb, void *user)
{
    return visit(name, filter, cb, user, true);
}

void mqp_memory_reset(const char *name)
{
    mem_broker *b = name ? find_broker(name, false) : NULL;
    if (!b) {
        return;
    }
    pthread_mutex_lock(&b->mu);
    msg_free_list(b->history);
    msg_free_list(b->retained);
    b->history = b->retained = NULL;
    b->history_tail = &b->history;
    pthread_mutex_unlock(&b->mu);
}
