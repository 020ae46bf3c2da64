/* The client handle, shared by the client_*.c files. */
#ifndef MQP_CLIENT_INTERNAL_H
#define MQP_CLIENT_INTERNAL_H

#include "mqplane/client.h"

#include "client_hooks.h"
#include "dedup.h"
#include "log.h"
#include "queue.h"
#include "transport.h"

#include <pthread.h>
#include <stdatomic.h>

/* The subscription identifier of the client's own heartbeat subscription; user
 * subscriptions get identifiers from 2 up, one per distinct filter. */
#define MQP_HEARTBEAT_SUB_ID 1u

typedef struct mqp__sub {
    struct mqp__sub *next;
    char *filter;
    int qos;
    uint32_t id;
    mqp_handler_cb handler;
    void *user;
} mqp__sub;

enum mqp__state { MQP_STATE_NEW, MQP_STATE_RUNNING, MQP_STATE_STOPPING, MQP_STATE_STOPPED };

typedef struct mqp__counters {
    atomic_uint_fast64_t published, publish_failed, received, dispatched, handler_errors, unhandled,
        dropped_queue_full, dropped_duplicate, dropped_shutdown, connects, reconnects,
        connect_failures, heartbeats_sent, heartbeats_missed, takeovers;
} mqp__counters;

struct mqp_client {
    mqp_client_opts opts; /* A copy whose string members the client owns (copy_options). */
    mqp_url urls[MQP_URL_LIST_MAX]; /* The brokers, tried in turn; urls[0] sets the scheme. */
    size_t nurls;
    char url_redacted[MQP_URL_LIST_MAX * 160]; /* The whole list, passwords left out. */
    char broker[300]; /* The broker of the connection now (or last), under mu. */
    char *client_id;
    char *source;
    char *health_topic;
    char *keepalive_topic;
    mqp__logger logger;
    mqp__transport *transport;
    mqp__queue queue;
    mqp__dedup *dedup; /* Used by the dispatch thread only. */
    mqp__counters n;
    atomic_uint_fast64_t seq;

    pthread_mutex_t mu; /* Guards everything below. */
    pthread_cond_t changed;
    enum mqp__state state;
    bool connected;
    bool restoring; /* Subscriptions are being restored on a new connection. */
    bool ever_connected;
    int protocol_version;
    mqp_err last_rc;
    uint64_t failures; /* Bumped on every failed attempt, so connect() can wait for news. */
    char last_error[512];
    bool taken_over; /* The last loss was a takeover: health says so on the next connection. */
    mqp__sub *subs;
    mqp__sub *dead_subs; /* Unsubscribed, freed at destroy. */
    mqp__sub *kept;      /* Their user data, when it is the library's (user member), too. */
    uint32_t next_sub_id;

    pthread_t dispatch_thread;
    bool dispatch_started;
    pthread_t heartbeat_thread;
    bool heartbeat_started;
    bool heartbeat_stop; /* Guarded by mu; heartbeat waits on changed. */
    atomic_bool heartbeat_echo;
    char *(*will_refresh)(void *ctx); /* Set by library layers (the control plane) only. */
    void *will_refresh_ctx;
};

/* client_dispatch.c */
void *mqp__dispatch_main(void *arg);
void mqp__resubscribe_all(mqp_client *c);
void mqp__unsubscribe_all(mqp_client *c);
void mqp__subs_free(mqp_client *c);

/* client_publish.c */
mqp_err mqp__publish_health_now(mqp_client *c, bool ok, const char *event, const char *error);
/* broker: the broker it is on, said when the client has several; NULL: not said. */
char *mqp__health_json(bool ok, const char *event, const char *error, const char *broker);

/* client_heartbeat.c */
void *mqp__heartbeat_main(void *arg);

/* client.c */
void mqp__set_error(mqp_client *c, mqp_err rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
