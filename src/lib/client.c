/* Client lifecycle: creation from options and URL, start, connect with timeout, the events the
 * transport reports, statistics, and the orderly shutdown. */
#define _GNU_SOURCE
#include "client_internal.h"

#include "mqplane/defaults.h"
#include "mqplane/topic.h"
#include "mqplane/topics.h"

#include "alloc.h"
#include "clock.h"
#include "fail.h"
#include "reserved.h"
#include "rand.h"
#include "sync.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

void mqp__set_error(mqp_client *c, mqp_err rc, const char *fmt, ...)
{
    pthread_mutex_lock(&c->mu);
    c->last_rc = rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_error, sizeof c->last_error, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&c->mu);
}

/* ---- transport events (network thread) ---- */

static void push_event(mqp_client *c, enum mqp__item_kind kind, bool flag, mqp_err reason)
{
    mqp__item *it = mqp__item_new_event(kind);
    if (!it) {
        mqp__log(&c->logger, MQP_LOG_ERR, "out of memory: a %s callback is lost",
                 kind == MQP_ITEM_CONNECTED ? "connected" : "disconnected");
        return;
    }
    it->flag = flag;
    it->reason = reason;
    if (mqp__queue_push(&c->queue, it) != MQP_PUSHED) {
        mqp__item_free(it);
    }
}

static void ev_connected(void *ctx, bool session_present, int protocol_version, size_t i)
{
    mqp_client *c = ctx;
    char broker[sizeof c->broker], which[64] = "";
    mqp_url_redacted(&c->urls[i < c->nurls ? i : 0], broker, sizeof broker);
    if (c->nurls > 1) {
        snprintf(which, sizeof which, ", broker %zu of %zu", i + 1, c->nurls);
    }
    pthread_mutex_lock(&c->mu);
    snprintf(c->broker, sizeof c->broker, "%s", broker);
    bool reconnect = c->ever_connected;
    bool taken_over = c->taken_over;
    c->taken_over = false;
    c->ever_connected = true;
    c->protocol_version = protocol_version;
    c->last_rc = MQP_OK;
    c->last_error[0] = '\0';
    pthread_mutex_unlock(&c->mu);
    atomic_fetch_add(&c->n.connects, 1);
    if (reconnect) {
        atomic_fetch_add(&c->n.reconnects, 1);
    }
    mqp__log(&c->logger, MQP_LOG_INFO, "%s %s (MQTT %s, session %s%s)",
             reconnect ? "reconnected to" : "connected to", broker,
             protocol_version == 5 ? "5" : "3.1.1", session_present ? "resumed" : "new", which);
    if (c->opts.tls_insecure_no_verify_hostname && c->urls[0].scheme == MQP_SCHEME_MQTTS) {
        mqp__log(&c->logger, MQP_LOG_WARNING,
                 "TLS host name check is OFF (tls_insecure): any server with a certificate "
                 "from this CA can pose as %s",
                 broker);
    }
    /* Health first, before the client counts as connected: a shutdown that starts then sees
     * it connected and says "shutdown", which must come after (the broker keeps the last). A
     * client already stopping (one that came back to say so) says nothing but that. */
    pthread_mutex_lock(&c->mu);
    bool stopping = c->state != MQP_STATE_RUNNING;
    pthread_mutex_unlock(&c->mu);
    if (!c->opts.no_health && taken_over) {
        /* Health is shared by every client with this id: while they fight, it says so. */
        char why[200];
        snprintf(why, sizeof why, "client id '%s' is in use by another client", c->client_id);
        mqp__publish_health_now(c, false, "session_taken_over", why);
    } else if (!c->opts.no_health && !stopping) {
        mqp__publish_health_now(c, true, reconnect ? "reconnected" : "ready", NULL);
    }
    /* Subscriptions are restored even when the session was resumed: a broker restarted
     * without persistence has forgotten them, and subscribing again is harmless. The client
     * counts as connected once they are queued (see mqp__resubscribe_all). */
    mqp__resubscribe_all(c);
    push_event(c, MQP_ITEM_CONNECTED, reconnect, MQP_OK);
}

static char *ev_will_refresh(void *ctx)
{
    mqp_client *c = ctx;
    return c->will_refresh ? c->will_refresh(c->will_refresh_ctx) : NULL;
}

void mqp__client_set_will_refresh(mqp_client *c, char *(*fn)(void *ctx), void *ctx)
{
    c->will_refresh = fn;
    c->will_refresh_ctx = ctx;
}

static void ev_disconnected(void *ctx, mqp_err reason, const char *detail, bool was_connected)
{
    mqp_client *c = ctx;
    pthread_mutex_lock(&c->mu);
    c->connected = false;
    c->last_rc = reason;
    snprintf(c->last_error, sizeof c->last_error, "%s", detail);
    c->failures++;
    c->taken_over = reason == MQP_ERR_TAKEN_OVER;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->mu);
    if (!was_connected) {
        atomic_fetch_add(&c->n.connect_failures, 1);
    }
    if (reason == MQP_ERR_TAKEN_OVER) {
        atomic_fetch_add(&c->n.takeovers, 1);
    }
    mqp__log(&c->logger, reason == MQP_ERR_TAKEN_OVER ? MQP_LOG_ERR : MQP_LOG_WARNING, "%s: %s",
             mqp_err_name(reason), detail);
    if (was_connected) {
        push_event(c, MQP_ITEM_DISCONNECTED, false, reason);
    }
}

static void ev_settled(void *ctx)
{
    mqp_client *c = ctx;
    mqp__log(&c->logger, MQP_LOG_NOTICE,
             "no other client has taken client id '%s' for a while: back to normal", c->client_id);
    if (!c->opts.no_health) {
        mqp__publish_health_now(c, true, "reconnected", NULL);
    }
}

static void ev_message(void *ctx, const mqp__incoming *m)
{
    mqp_client *c = ctx;
    atomic_fetch_add(&c->n.received, 1);
    if (c->keepalive_topic && strcmp(m->topic, c->keepalive_topic) == 0) {
        atomic_store(&c->heartbeat_echo, true);
        if (m->n_sub_ids == 1 && m->sub_ids[0] == MQP_HEARTBEAT_SUB_ID) {
            return; /* Only our own heartbeat subscription wanted it. */
        }
    }
    mqp__item *it = mqp__item_new_message(m);
    if (!it) {
        atomic_fetch_add(&c->n.dropped_queue_full, 1);
        mqp__log(&c->logger, MQP_LOG_ERR, "out of memory: message on '%s' dropped", m->topic);
        return;
    }
    switch (mqp__queue_push(&c->queue, it)) {
    case MQP_PUSHED:
        break;
    case MQP_DROPPED_FULL: {
        uint64_t n = atomic_fetch_add(&c->n.dropped_queue_full, 1) + 1;
        if (n == 1 || n % 1000 == 0) {
            mqp__log(&c->logger, MQP_LOG_WARNING,
                     "incoming queue full (%zu): %llu QoS 0 "
                     "messages dropped so far",
                     c->queue.capacity, (unsigned long long)n);
        }
        mqp__item_free(it);
        break;
    }
    case MQP_DROPPED_CLOSED:
        atomic_fetch_add(&c->n.dropped_shutdown, 1);
        mqp__item_free(it);
        break;
    }
}

/* ---- creation ---- */

/* The string members of mqp_client_opts: the client keeps copies of them in c->opts. */
static const size_t owned_strings[] = {
    offsetof(mqp_client_opts, url),          offsetof(mqp_client_opts, client_id),
    offsetof(mqp_client_opts, username),     offsetof(mqp_client_opts, password),
    offsetof(mqp_client_opts, source),       offsetof(mqp_client_opts, will_topic),
    offsetof(mqp_client_opts, will_payload), offsetof(mqp_client_opts, tls_ca_file),
    offsetof(mqp_client_opts, tls_ca_path),  offsetof(mqp_client_opts, tls_cert_file),
    offsetof(mqp_client_opts, tls_key_file),
};

static const char **string_member(mqp_client_opts *o, size_t i)
{
    return (const char **)(void *)((char *)o + owned_strings[i]);
}

/* c->opts becomes a copy of o whose strings are the client's own. On failure the strings
 * copied so far are owned and the others NULL, so free_client frees exactly what it owns. */
static mqp_err copy_options(mqp_client *c, const mqp_client_opts *o)
{
    c->opts = *o;
    size_t n = sizeof owned_strings / sizeof owned_strings[0];
    for (size_t i = 0; i < n; i++) {
        *string_member(&c->opts, i) = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = *(const char *const *)(const void *)((const char *)o + owned_strings[i]);
        if (v && !(*string_member(&c->opts, i) = mqp__strdup(v))) {
            return MQP_ERR_NOMEM;
        }
    }
    return MQP_OK;
}

static void free_options(mqp_client *c)
{
    for (size_t i = 0; i < sizeof owned_strings / sizeof owned_strings[0]; i++) {
        mqp__free((void *)*string_member(&c->opts, i));
    }
}

/* Zero members take their defaults (include/mqplane/defaults.h). */
static void apply_defaults(mqp_client_opts *p)
{
    p->keepalive_s = p->keepalive_s ? p->keepalive_s : MQP_DEFAULT_KEEPALIVE_S;
    p->reconnect_min_ms = p->reconnect_min_ms ? p->reconnect_min_ms : MQP_DEFAULT_RECONNECT_MIN_MS;
    p->reconnect_max_ms = p->reconnect_max_ms ? p->reconnect_max_ms : MQP_DEFAULT_RECONNECT_MAX_MS;
    if (p->reconnect_max_ms < p->reconnect_min_ms) {
        p->reconnect_max_ms = p->reconnect_min_ms;
    }
    p->session_expiry_s = p->session_expiry_s ? p->session_expiry_s : MQP_DEFAULT_SESSION_EXPIRY_S;
    p->queue_capacity = p->queue_capacity ? p->queue_capacity : MQP_DEFAULT_QUEUE_CAPACITY;
    p->out_queue_messages =
        p->out_queue_messages ? p->out_queue_messages : MQP_DEFAULT_OUT_QUEUE_MESSAGES;
    p->out_queue_bytes = p->out_queue_bytes ? p->out_queue_bytes : MQP_DEFAULT_OUT_QUEUE_BYTES;
    p->drain_timeout_ms = p->drain_timeout_ms ? p->drain_timeout_ms : MQP_DEFAULT_DRAIN_TIMEOUT_MS;
    p->heartbeat_misses = p->heartbeat_misses ? p->heartbeat_misses : MQP_DEFAULT_HEARTBEAT_MISSES;
    p->dedupe_ttl_ms = p->dedupe_ttl_ms ? p->dedupe_ttl_ms : MQP_DEFAULT_DEDUPE_TTL_MS;
    p->dedupe_max = p->dedupe_max ? p->dedupe_max : MQP_DEFAULT_DEDUPE_MAX;
    p->log_level = p->log_level ? p->log_level : MQP_LOG_INFO;
}

static mqp_err check_opts(const mqp_client_opts *o, char *err, size_t errlen)
{
    if (MQP__CHECK_RESERVED(o, "client options", err, errlen) != MQP_OK) {
        return MQP_ERR_INVALID;
    }
    const char *bad = NULL;
    if (o->keepalive_s != 0 && (o->keepalive_s < 5 || o->keepalive_s > 65535)) {
        bad = "keepalive_s must be 5..65535";
    } else if (o->reconnect_min_ms < 0 || o->reconnect_max_ms < 0 ||
               (o->reconnect_max_ms && o->reconnect_min_ms > o->reconnect_max_ms)) {
        bad = "reconnect delays must be positive with min <= max";
    } else if (o->drain_timeout_ms < 0 || o->heartbeat_ms < 0 || o->heartbeat_misses < 0 ||
               o->dedupe_ttl_ms < 0) {
        bad = "timeouts and intervals must not be negative";
    } else if (o->protocol < MQP_PROTOCOL_AUTO || o->protocol > MQP_PROTOCOL_V311) {
        bad = "protocol must be AUTO, V5 or V311";
    } else if (o->will_topic && (o->will_qos < 0 || o->will_qos > 2)) {
        bad = "will_qos must be 0, 1 or 2";
    } else if (o->client_id && (!*o->client_id || strlen(o->client_id) > 65535)) {
        bad = "client_id must be 1 to 65535 bytes";
    }
    if (bad) {
        snprintf(err, errlen, "invalid client option: %s", bad);
        return MQP_ERR_INVALID;
    }
    return MQP_OK;
}

/* An id with '/', '+' or '#' cannot name a health topic: MQP_ERR_INVALID, not MQP_ERR_TOPIC,
 * because the bad value is an option. */
static mqp_err topic_for(const char *tmpl, const char *client_id, char **out, char *err,
                         size_t errlen)
{
    mqp_topic_var v = {"client_id", client_id, 0};
    char buf[1024];
    mqp_err rc = mqp_topic_build(tmpl, &v, 1, MQP_TOPIC_NAME, buf, sizeof buf, err, errlen);
    if (rc != MQP_OK) {
        return rc == MQP_ERR_NOMEM ? rc : MQP_ERR_INVALID;
    }
    *out = mqp__strdup(buf);
    return *out ? MQP_OK : MQP_ERR_NOMEM;
}

/* The broker's URL and who we are on it: the URL resolved (options, then environment), the
 * options' credentials over its own, its keepalive and protocol where the options left the
 * default, and the client id (options, URL, else generated). */
static mqp_err resolve_identity(mqp_client *c, bool keepalive_given, char *err, size_t errlen)
{
    mqp_client_opts *p = &c->opts;
    mqp_err rc = mqp_url_list_resolve(p->url, c->urls, MQP_URL_LIST_MAX, &c->nurls, err, errlen);
    if (rc != MQP_OK) {
        return rc;
    }
    for (size_t i = 0; p->username && i < c->nurls; i++) {
        /* Per-connection identities (a node's two planes) win, on every broker. */
        mqp_url *u = &c->urls[i];
        mqp__free(u->username);
        mqp__free(u->password);
        u->username = mqp__strdup(p->username);
        u->password = p->password ? mqp__strdup(p->password) : NULL;
        if (!u->username || (p->password && !u->password)) {
            return MQP_ERR_NOMEM;
        }
    }
    const mqp_url *first = &c->urls[0];
    mqp_url_list_redacted(c->urls, c->nurls, c->url_redacted, sizeof c->url_redacted);
    mqp_url_redacted(first, c->broker, sizeof c->broker);
    if (!keepalive_given && first->keepalive) {
        p->keepalive_s = first->keepalive;
    }
    if (p->protocol == MQP_PROTOCOL_AUTO) {
        p->protocol = first->protocol;
    }
    const char *id = p->client_id ? p->client_id : first->client_id;
    char generated[32];
    if (!id) {
        snprintf(generated, sizeof generated, "mqplane-%08x", (unsigned)mqpx_rand_u64());
        id = generated;
    }
    c->client_id = mqp__strdup(id);
    c->source = mqp__strdup(p->source ? p->source : id);
    if (!c->client_id || !c->source) {
        return MQP_ERR_NOMEM;
    }
    c->logger = (mqp__logger){p->log_cb, p->log_user, p->log_level, c->client_id};
    return MQP_OK;
}

/* Health and heartbeat topics, the de-duplication cache and the incoming queue. */
static mqp_err make_parts(mqp_client *c, char *err, size_t errlen)
{
    const mqp_client_opts *p = &c->opts;
    mqp_err rc = MQP_OK;
    if (!p->no_health &&
        (rc = topic_for(MQP_TEMPLATE_HEALTH, c->client_id, &c->health_topic, err, errlen))) {
        return rc;
    }
    if (p->heartbeat_ms &&
        (rc = topic_for(MQP_TEMPLATE_KEEPALIVE, c->client_id, &c->keepalive_topic, err, errlen))) {
        return rc;
    }
    if (p->dedupe && !(c->dedup = mqp__dedup_new(p->dedupe_ttl_ms, p->dedupe_max))) {
        return MQP_ERR_NOMEM;
    }
    return mqp__queue_init(&c->queue, p->queue_capacity) == 0 ? MQP_OK : MQP_ERR_NOMEM;
}

/* The transport, with the caller's last will or else the health "lost" one. */
static mqp_err make_transport(mqp_client *c, char *err, size_t errlen)
{
    const mqp_client_opts *p = &c->opts;
    if (p->will_topic && mqp_topic_validate_name(p->will_topic) != MQP_OK) {
        return mqp__fail(err, errlen, MQP_ERR_INVALID,
                         "invalid client option: will_topic '%s' is not a valid topic name",
                         p->will_topic);
    }
    const char *will_topic = p->will_topic ? p->will_topic : c->health_topic;
    char *will = p->will_topic
                     ? mqp__strdup(p->will_payload ? p->will_payload : "")
                     : (c->health_topic ? mqp__health_json(false, "lost", NULL, NULL) : NULL);
    if (will_topic && !will) {
        return MQP_ERR_NOMEM;
    }
    mqp__transport_config tc = {
        .urls = c->urls,
        .nurls = c->nurls,
        .url_redacted = c->url_redacted,
        .client_id = c->client_id,
        .keepalive_s = p->keepalive_s,
        .protocol = p->protocol,
        .reconnect_min_ms = p->reconnect_min_ms,
        .reconnect_max_ms = p->reconnect_max_ms,
        .session_expiry_s = p->clean_session ? 0 : p->session_expiry_s,
        .clean_session = p->clean_session,
        .will_topic = will_topic,
        .will_payload = will,
        .will_qos = p->will_topic ? p->will_qos : 1,
        .will_retain = p->will_topic ? p->will_retain : true,
        .opts = &c->opts,
        .logger = &c->logger,
        .out_max_messages = p->out_queue_messages,
        .out_max_bytes = p->out_queue_bytes,
    };
    mqp__transport_events ev = {c,          ev_connected,    ev_disconnected,
                                ev_message, ev_will_refresh, ev_settled};
    mqp_err rc = c->urls[0].scheme == MQP_SCHEME_MEMORY
                     ? mqp__transport_memory_new(&c->transport, &tc, &ev, err, errlen)
                     : mqp__transport_mosq_new(&c->transport, &tc, &ev, err, errlen);
    mqp__free(will);
    return rc;
}

static mqp_err setup(mqp_client *c, const mqp_client_opts *o, char *err, size_t errlen)
{
    mqp_err rc = check_opts(o, err, errlen);
    if (rc == MQP_OK) {
        rc = copy_options(c, o);
    }
    if (rc == MQP_OK) {
        apply_defaults(&c->opts);
        rc = resolve_identity(c, o->keepalive_s != 0, err, errlen);
    }
    if (rc == MQP_OK) {
        rc = make_parts(c, err, errlen);
    }
    return rc == MQP_OK ? make_transport(c, err, errlen) : rc;
}

static void free_client(mqp_client *c)
{
    if (c->transport) {
        c->transport->ops->destroy(c->transport);
    }
    if (c->queue.capacity) {
        mqp__queue_destroy(&c->queue);
    }
    mqp__subs_free(c);
    mqp__dedup_free(c->dedup);
    for (size_t i = 0; i < c->nurls; i++) {
        mqp_url_clear(&c->urls[i]);
    }
    free_options(c);
    mqp__free(c->client_id);
    mqp__free(c->source);
    mqp__free(c->health_topic);
    mqp__free(c->keepalive_topic);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->changed);
    mqp__free(c);
}

mqp_err mqp_client_new_err(mqp_client **out, const mqp_client_opts *opts, char *err, size_t errlen)
{
    char local[256];
    if (!err || !errlen) {
        err = local;
        errlen = sizeof local;
    }
    err[0] = '\0';
    if (!out) {
        return MQP_ERR_INVALID;
    }
    mqp_client_opts defaults = {0};
    mqp_client *c = mqp__calloc(1, sizeof *c);
    if (!c) {
        return MQP_ERR_NOMEM;
    }
    pthread_mutex_init(&c->mu, NULL);
    mqpx_cond_init_monotonic(&c->changed);
    c->next_sub_id = MQP_HEARTBEAT_SUB_ID + 1;
    mqp_err rc = setup(c, opts ? opts : &defaults, err, errlen);
    if (rc != MQP_OK) {
        if (!err[0]) {
            snprintf(err, errlen, "%s", mqp_strerror(rc));
        }
        if (opts && opts->log_cb) {
            opts->log_cb(MQP_LOG_ERR, err, opts->log_user);
        }
        free_client(c);
        return rc;
    }
    *out = c;
    return MQP_OK;
}

mqp_err mqp_client_new(mqp_client **out, const mqp_client_opts *opts)
{
    return mqp_client_new_err(out, opts, NULL, 0);
}

/* ---- running ---- */

mqp_err mqp_client_start(mqp_client *c)
{
    if (!c) {
        return MQP_ERR_INVALID;
    }
    pthread_mutex_lock(&c->mu);
    if (c->state != MQP_STATE_NEW) {
        pthread_mutex_unlock(&c->mu);
        return MQP_ERR_STATE;
    }
    c->state = MQP_STATE_RUNNING;
    pthread_mutex_unlock(&c->mu);
    /* Dispatch first, so no event can arrive before its consumer exists. */
    if (pthread_create(&c->dispatch_thread, NULL, mqp__dispatch_main, c) != 0) {
        return MQP_ERR_IO;
    }
    c->dispatch_started = true;
    if (c->keepalive_topic) {
        if (pthread_create(&c->heartbeat_thread, NULL, mqp__heartbeat_main, c) != 0) {
            return MQP_ERR_IO;
        }
        c->heartbeat_started = true;
    }
    mqp__log(&c->logger, MQP_LOG_DEBUG, "starting, broker %s", c->url_redacted);
    return c->transport->ops->start(c->transport);
}

mqp_err mqp_client_connect(mqp_client *c, int timeout_ms)
{
    if (!c) {
        return MQP_ERR_INVALID;
    }
    pthread_mutex_lock(&c->mu);
    enum mqp__state st = c->state;
    pthread_mutex_unlock(&c->mu);
    if (st == MQP_STATE_NEW) {
        mqp_err rc = mqp_client_start(c);
        if (rc != MQP_OK) {
            return rc;
        }
    } else if (st != MQP_STATE_RUNNING) {
        return MQP_ERR_STATE;
    }
    struct timespec deadline = mqpx_deadline_in(timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_lock(&c->mu);
    mqp_err rc = MQP_OK;
    while (!c->connected) {
        if (c->last_rc == MQP_ERR_AUTH) {
            rc = MQP_ERR_AUTH; /* Retrying will not fix credentials; say so now. */
            break;
        }
        if (c->state != MQP_STATE_RUNNING) {
            rc = MQP_ERR_STATE;
            break;
        }
        int w = timeout_ms < 0 ? pthread_cond_wait(&c->changed, &c->mu)
                               : pthread_cond_timedwait(&c->changed, &c->mu, &deadline);
        if (w != 0 && !c->connected) {
            rc = MQP_ERR_TIMEOUT;
            if (!c->last_error[0]) {
                /* No attempt has ended yet: the broker takes the connection but says
                 * nothing, or packets are dropped on the way. */
                snprintf(c->last_error, sizeof c->last_error,
                         "no answer from %.400s within %.1f s (a hung broker, or a firewall "
                         "dropping packets?)",
                         c->url_redacted, timeout_ms / 1000.0);
            }
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

mqp_err mqp_client_sync(mqp_client *c, int timeout_ms)
{
    if (!c || timeout_ms < 0) {
        return MQP_ERR_INVALID;
    }
    if (!mqp_client_is_connected(c)) {
        return MQP_ERR_NO_CONN;
    }
    return c->transport->ops->flush(c->transport, timeout_ms);
}

mqp_err mqp_client_reconnect(mqp_client *c)
{
    if (!c) {
        return MQP_ERR_INVALID;
    }
    pthread_mutex_lock(&c->mu);
    bool running = c->state == MQP_STATE_RUNNING;
    pthread_mutex_unlock(&c->mu);
    if (!running) {
        return MQP_ERR_STATE;
    }
    c->transport->ops->force_reconnect(c->transport);
    return MQP_OK;
}

/* A stop in the middle of a reconnection: a broker that is back within timeout_ms still hears
 * the client's last word (its shutdown health, a control plane's stopped status), instead of
 * keeping what a client that is gone said last. The next attempt is made at once. */
static bool wait_back(mqp_client *c, int timeout_ms)
{
    if (c->transport->ops->retry_now) {
        c->transport->ops->retry_now(c->transport);
    }
    struct timespec deadline = mqpx_deadline_in(timeout_ms);
    pthread_mutex_lock(&c->mu);
    while (!c->connected && pthread_cond_timedwait(&c->changed, &c->mu, &deadline) == 0) {
    }
    bool back = c->connected;
    pthread_mutex_unlock(&c->mu);
    if (back) {
        mqp__log(&c->logger, MQP_LOG_INFO, "shutdown: reconnected to %s to say so", c->broker);
    } else {
        mqp__log(&c->logger, MQP_LOG_WARNING,
                 "shutdown: %s not reachable within %d ms; it keeps what it last heard",
                 c->url_redacted, timeout_ms);
    }
    return back;
}

mqp_err mqp_client_shutdown(mqp_client *c)
{
    if (!c) {
        return MQP_ERR_INVALID;
    }
    pthread_mutex_lock(&c->mu);
    enum mqp__state st = c->state;
    if (st == MQP_STATE_RUNNING) {
        c->state = MQP_STATE_STOPPING;
        c->heartbeat_stop = true;
    } else if (st == MQP_STATE_NEW) {
        c->state = MQP_STATE_STOPPED;
    }
    bool connected = c->connected;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->mu);
    if (st != MQP_STATE_RUNNING) {
        return MQP_OK;
    }
    mqp_err rc = MQP_OK;
    if (c->heartbeat_started) {
        pthread_join(c->heartbeat_thread, NULL);
        c->heartbeat_started = false;
    }
    if (!connected && c->ever_connected) {
        connected = wait_back(c, MQP_DEFAULT_FLUSH_TIMEOUT_MS);
    }
    if (connected && !c->opts.no_health) {
        mqp__publish_health_now(c, false, "shutdown", NULL);
    }
    /* Stop accepting: the broker stops sending, and what it sent is drained. It sends all it
     * had queued for us before the UNSUBACKs, so once they are in, nothing is on its way. */
    mqp__unsubscribe_all(c);
    if (connected &&
        c->transport->ops->flush(c->transport, MQP_DEFAULT_FLUSH_TIMEOUT_MS) != MQP_OK) {
        mqp__log(&c->logger, MQP_LOG_WARNING,
                 "shutdown: unsubscriptions not acknowledged within %d ms",
                 MQP_DEFAULT_FLUSH_TIMEOUT_MS);
    }
    if (!mqp__queue_wait_idle(&c->queue, c->opts.drain_timeout_ms)) {
        rc = MQP_ERR_TIMEOUT;
        mqp__log(&c->logger, MQP_LOG_WARNING, "shutdown: queue not drained within %d ms",
                 c->opts.drain_timeout_ms);
    }
    size_t cut = mqp__queue_close(&c->queue);
    atomic_fetch_add(&c->n.dropped_shutdown, cut);
    if (connected &&
        c->transport->ops->flush(c->transport, MQP_DEFAULT_FLUSH_TIMEOUT_MS) != MQP_OK) {
        rc = MQP_ERR_TIMEOUT;
        mqp__log(&c->logger, MQP_LOG_WARNING,
                 "shutdown: outgoing QoS 1/2 messages not "
                 "acknowledged within %d ms",
                 MQP_DEFAULT_FLUSH_TIMEOUT_MS);
    }
    c->transport->ops->stop(c->transport);
    mqp__item *stop = mqp__item_new_event(MQP_ITEM_STOP);
    if (stop && mqp__queue_push(&c->queue, stop) == MQP_PUSHED) {
        pthread_join(c->dispatch_thread, NULL);
    } else {
        mqp__item_free(stop);
        pthread_detach(c->dispatch_thread); /* Out of memory: cannot tell it to stop. */
    }
    c->dispatch_started = false;
    pthread_mutex_lock(&c->mu);
    c->state = MQP_STATE_STOPPED;
    c->connected = false;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->mu);
    mqp__log(&c->logger, MQP_LOG_INFO, "shut down%s", cut ? " (queue cut short)" : "");
    return rc;
}

void mqp_client_destroy(mqp_client *c)
{
    if (!c) {
        return;
    }
    mqp_client_shutdown(c);
    free_client(c);
}

/* ---- queries ---- */

void mqp_client_stats_get(mqp_client *c, mqp_client_stats *out)
{
    if (!c || !out) {
        return;
    }
    mqp_client_stats s = {
        .published = atomic_load(&c->n.published),
        .publish_failed = atomic_load(&c->n.publish_failed),
        .received = atomic_load(&c->n.received),
        .dispatched = atomic_load(&c->n.dispatched),
        .handler_errors = atomic_load(&c->n.handler_errors),
        .unhandled = atomic_load(&c->n.unhandled),
        .dropped_queue_full = atomic_load(&c->n.dropped_queue_full),
        .dropped_duplicate = atomic_load(&c->n.dropped_duplicate),
        .dropped_shutdown = atomic_load(&c->n.dropped_shutdown),
        .connects = atomic_load(&c->n.connects),
        .reconnects = atomic_load(&c->n.reconnects),
        .connect_failures = atomic_load(&c->n.connect_failures),
        .heartbeats_sent = atomic_load(&c->n.heartbeats_sent),
        .heartbeats_missed = atomic_load(&c->n.heartbeats_missed),
        .takeovers = atomic_load(&c->n.takeovers),
        .queue_capacity = c->queue.capacity,
    };
    mqp__queue_stats(&c->queue, &s.queue_depth, &s.queue_high_water, &s.held_back);
    if (c->transport->ops->out_stats) {
        mqp__out_stats o;
        c->transport->ops->out_stats(c->transport, &o);
        s.out_queue_depth = o.depth;
        s.out_queue_bytes = o.bytes;
        s.out_queue_high_water = o.high_water;
        s.out_queue_refused = o.refused;
        s.out_queue_lost = o.lost;
    }
    pthread_mutex_lock(&c->mu);
    s.connected = c->connected;
    s.protocol_version = c->connected ? c->protocol_version : 0;
    pthread_mutex_unlock(&c->mu);
    *out = s;
}

size_t mqp_client_last_error(mqp_client *c, char *buf, size_t len)
{
    if (!c) {
        return 0;
    }
    pthread_mutex_lock(&c->mu);
    int n = snprintf(buf, len, "%s", c->last_error);
    pthread_mutex_unlock(&c->mu);
    return n < 0 ? 0 : (size_t)n;
}

const char *mqp_client_id(const mqp_client *c)
{
    return c ? c->client_id : NULL;
}

const char *mqp_client_url(const mqp_client *c)
{
    return c ? c->url_redacted : NULL;
}

bool mqp_client_is_connected(mqp_client *c)
{
    if (!c) {
        return false;
    }
    pthread_mutex_lock(&c->mu);
    bool v = c->connected;
    pthread_mutex_unlock(&c->mu);
    return v;
}
