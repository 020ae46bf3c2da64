/* Faults at scale against a real mosquitto (docs/RELIABILITY.md):
 * - a connection storm: 200 clients cut off by a broker restart come back spread out by the
 *   backoff's jitter, and none gives up;
 * - a slow consumer: a handler far slower than the message rate over a million QoS 0
 *   messages keeps memory bounded and counts every drop, while QoS 1 is never dropped.
 * The figures are printed; the assertions are on counts and bounds, not on speed. */
#define _GNU_SOURCE
#include "broker.h"
#include "check.h"
#include "collector.h"

#include "mqplane/client.h"
#include "mqplane/controlplane.h"

#include "alloc.h"

#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STORM_CLIENTS 200

/* Under AddressSanitizer freed memory stays in its quarantine: RSS says nothing there. */
#if defined(__SANITIZE_ADDRESS__)
#define MEMORY_MEANINGFUL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMORY_MEANINGFUL 0
#endif
#endif
#ifndef MEMORY_MEANINGFUL
#define MEMORY_MEANINGFUL 1
#endif

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmRSS: %ld", &kb) == 1) {
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    return kb;
}

static mqp_client_opts quiet_opts(const char *url, const char *id)
{
    mqp_client_opts o = test_opts(url, id);
    o.log_level = MQP_LOG_ERR; /* 200 clients' reconnection warnings say nothing new. */
    return o;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void *destroy_some(void *arg)
{
    mqp_client **c = arg;
    for (int i = 0; i < STORM_CLIENTS / 10; i++) {
        mqp_client_destroy(c[i]);
    }
    return NULL;
}

static void test_mqp_faults_connection_storm(void **state)
{
    (void)state;
    test_broker b;
    broker_start(&b, NULL);
    static mqp_client *c[STORM_CLIENTS];
    for (int i = 0; i < STORM_CLIENTS; i++) {
        char id[32];
        snprintf(id, sizeof id, "storm-%03d", i);
        mqp_client_opts o = quiet_opts(b.url, id);
        o.reconnect_min_ms = 500; /* The defaults, as a fleet of nodes has them. */
        o.reconnect_max_ms = 5000;
        char err[256];
        if (mqp_client_new_err(&c[i], &o, err, sizeof err) != MQP_OK ||
            mqp_client_start(c[i]) != MQP_OK) {
            fail_msg("client %d: %s", i, err);
        }
    }
    for (int i = 0; i < STORM_CLIENTS; i++) { /* Connecting all at once. */
        if (!wait_for(mqp_client_is_connected(c[i]), 20000)) {
            fail_msg("client %d not connected 20 s after the start", i);
        }
    }
    /* Down for 3 s: each client is somewhere in its backoff, on its own jittered schedule. */
    broker_kill(&b);
    for (int i = 0; i < STORM_CLIENTS; i++) {
        if (!wait_for(!mqp_client_is_connected(c[i]), 5000)) {
            fail_msg("client %d still connected 5 s after the broker was killed", i);
        }
    }
    mqpx_sleep_ms(3000); /* The outage itself, not a wait for a condition. */
    /* Timed from the start of the restart: a client may be back before the broker's port
     * answers the test, with a time of 0. Whether it is back is its own flag, not that time. */
    int64_t up = mqpx_mono_ms();
    broker_restart(&b);
    static int64_t back[STORM_CLIENTS];
    static bool is_back[STORM_CLIENTS];
    int n_back = 0;
    /* None gives up: each is back within two of its longest waits. */
    while (n_back < STORM_CLIENTS && mqpx_mono_ms() - up < 10000) {
        for (int i = 0; i < STORM_CLIENTS; i++) {
            if (!is_back[i] && mqp_client_is_connected(c[i])) {
                back[i] = mqpx_mono_ms() - up;
                is_back[i] = true;
                n_back++;
            }
        }
        mqpx_sleep_ms(2);
    }
    if (n_back < STORM_CLIENTS) {
        fail_msg("%d of %d clients not back 10 s after the restart", STORM_CLIENTS - n_back,
                 STORM_CLIENTS);
    }
    qsort(back, STORM_CLIENTS, sizeof back[0], cmp_i64);
    int buckets[17] = {0}; /* 250 ms each, the last one for 4 s and more. */
    for (int i = 0; i < STORM_CLIENTS; i++) {
        buckets[back[i] / 250 < 16 ? back[i] / 250 : 16]++;
    }
    printf("  storm: %d clients back after the restart in %lld..%lld ms (median %lld); "
           "per 250 ms:",
           STORM_CLIENTS, (long long)back[0], (long long)back[STORM_CLIENTS - 1],
           (long long)back[STORM_CLIENTS / 2]);
    for (int i = 0; i < 17; i++) {
        printf(" %d", buckets[i]);
    }
    printf("\n");
    /* The jitter shows: no quarter second holds even a third of the fleet. */
    for (int i = 0; i < 17; i++) {
        if (buckets[i] >= STORM_CLIENTS / 3) {
            fail_msg("%d clients came back within the same 250 ms: no jitter", buckets[i]);
        }
    }
    for (int i = 0; i < STORM_CLIENTS; i++) {
        mqp_client_stats s;
        mqp_client_stats_get(c[i], &s);
        if (s.reconnects < 1 || !s.connected) {
            fail_msg("client %d: %llu reconnections, %s", i, (unsigned long long)s.reconnects,
                     s.connected ? "connected" : "not connected");
        }
    }
    /* Ten at a time: each stop is short, but 200 in a row add up. */
    pthread_t t[10];
    for (int i = 0; i < 10; i++) {
        pthread_create(&t[i], NULL, destroy_some, &c[i * (STORM_CLIENTS / 10)]);
    }
    for (int i = 0; i < 10; i++) {
        pthread_join(t[i], NULL);
    }
    broker_cleanup(&b);
}

typedef struct slow {
    atomic_uint_fast64_t qos0, qos1;
    atomic_uint_fast64_t qos1_next; /* The sequence number the next QoS 1 message must have. */
    atomic_bool out_of_order;
} slow;

/* Far slower than the publisher: 200 us a message, some 5 000 a second. */
static int slow_cb(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    slow *s = user;
    if (m->qos == 1) {
        unsigned long long seq = strtoull(m->payload, NULL, 10);
        if (seq != atomic_fetch_add(&s->qos1_next, 1)) {
            atomic_store(&s->out_of_order, true);
        }
        atomic_fetch_add(&s->qos1, 1);
    } else {
        atomic_fetch_add(&s->qos0, 1);
    }
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
    return 0;
}

static void test_mqp_faults_slow_consumer(void **state)
{
    (void)state;
    enum { QOS0 = 1000000, QOS1 = 5000, RSS_LIMIT_KB = 64 * 1024 };
    test_broker b;
    broker_start(&b, "max_queued_messages 100000\n");
    slow s = {0};
    mqp_client_opts so = quiet_opts(b.url, "slow-consumer");
    mqp_client *sub = test_client(&so);
    assert_ok(mqp_client_subscribe(sub, "flood/#", 1, slow_cb, &s));
    assert_ok(mqp_client_sync(sub, 5000));
    mqp_client_opts po = quiet_opts(b.url, "fast-producer");
    po.no_health = true;
    mqp_client *pub = test_client(&po);
    long base = rss_kb(), peak = base;
    char payload[64];
    uint64_t full = 0;
    int64_t t0 = mqpx_mono_ms();
    for (int i = 0, q1 = 0; i < QOS0; i++) {
        int len = snprintf(payload, sizeof payload, "%d", i);
        mqp_err rc;
        /* The producer's own bound: when its queue is full it waits, so all million go out. */
        while ((rc = mqp_client_publish(pub, "flood/q0", payload, (size_t)len, 0, false)) ==
               MQP_ERR_QUEUE_FULL) {
            full++;
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
        }
        assert_ok(rc);
        if (i % (QOS0 / QOS1) == 0 && q1 < QOS1) {
            len = snprintf(payload, sizeof payload, "%d", q1++);
            assert_ok(mqp_client_publish(pub, "flood/q1", payload, (size_t)len, 1, false));
        }
        if (i % 50000 == 0) {
            long r = rss_kb();
            peak = r > peak ? r : peak;
        }
    }
    int64_t sent_ms = mqpx_mono_ms() - t0;
    assert_ok(mqp_client_sync(pub, 30000));
    mqp_client_stats st;
    /* Every QoS 1 message arrives, in order, however slow the handler. */
    if (!wait_for(atomic_load(&s.qos1) == QOS1, 60000)) {
        mqp_client_stats_get(sub, &st);
        fail_msg("%llu of %d QoS 1 messages handled; received %llu, dropped %llu",
                 (unsigned long long)atomic_load(&s.qos1), QOS1, (unsigned long long)st.received,
                 (unsigned long long)st.dropped_queue_full);
    }
    /* Then the queue drains: what arrived was either dispatched or counted as dropped. */
    assert_true(wait_for((mqp_client_stats_get(sub, &st), st.queue_depth == 0), 30000));
    mqpx_sleep_ms(200); /* The last handler call returns. */
    mqp_client_stats_get(sub, &st);
    long r = rss_kb();
    peak = r > peak ? r : peak;
    printf("  slow consumer: %d QoS 0 + %d QoS 1 sent in %lld ms (producer waited %llu times); "
           "received %llu, handled %llu QoS 0 + %llu QoS 1, dropped %llu (queue full), held "
           "back %llu QoS 1; RSS %ld -> %ld kB\n",
           QOS0, QOS1, (long long)sent_ms, (unsigned long long)full,
           (unsigned long long)st.received, (unsigned long long)atomic_load(&s.qos0),
           (unsigned long long)atomic_load(&s.qos1), (unsigned long long)st.dropped_queue_full,
           (unsigned long long)st.held_back, base, peak);
    assert_false(atomic_load(&s.out_of_order));
    assert_true(st.dropped_queue_full > 0); /* The handler was slow enough to make drops. */
    /* Every message that arrived is accounted for: handled, or dropped and counted. Handler
     * calls beyond the two subscriptions' messages are none (unhandled counts them). */
    assert_int_equal(st.received,
                     atomic_load(&s.qos0) + atomic_load(&s.qos1) + st.dropped_queue_full);
    assert_int_equal(st.received, QOS0 + QOS1); /* The broker dropped nothing on the way. */
#if MEMORY_MEANINGFUL
    assert_true(peak - base < RSS_LIMIT_KB);
#else
    printf("  (built with AddressSanitizer: memory not asserted, its quarantine holds freed "
           "blocks; its leak check stands in)\n");
#endif
    mqp_client_destroy(pub);
    mqp_client_destroy(sub);
    broker_cleanup(&b);
}

/* Counts the messages a handler saw. */
static int count_cb(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    (void)m;
    atomic_fetch_add((atomic_int *)user, 1);
    return 0;
}

/* Allocation failure from the N-th allocation on, for every N along a connection (its
 * subscriptions and health), a publish and the delivery and dispatch of what it sent, on
 * a real broker: each call fails cleanly or succeeds, nothing leaks (ASan), and once memory is
 * back the client works again by itself (a subscription it could not restore is restored by
 * connecting again). */
static void test_mqp_faults_alloc_failure_on_the_way(void **state)
{
    (void)state;
    test_broker b;
    broker_start(&b, NULL);
    int clean = 0;
    long last = 0;
    for (long n = 1; n < 400 && clean < 3; n++) {
        last = n;
        atomic_int got = 0;
        mqp_client_opts o = quiet_opts(b.url, "alloc-path");
        o.log_cb = NULL; /* Every failure on the way says so: thousands of lines. */
        mqp_client *c = NULL;
        assert_ok(mqp_client_new(&c, &o));
        assert_ok(mqp_client_subscribe(c, "a/#", 1, count_cb, &got));
        mqp__alloc_fail_after(n);
        mqp_err rc = mqp_client_connect(c, 200);
        mqp_err prc = rc == MQP_OK ? mqp_client_publish_event(c, "a/b", "t", "{}", NULL, 1, false)
                                   : MQP_ERR_NO_CONN;
        mqpx_sleep_ms(20); /* Let the dispatch thread meet the failures too. */
        mqp__alloc_fail_after(0);
        assert_true(rc == MQP_OK || rc == MQP_ERR_NOMEM || rc == MQP_ERR_TIMEOUT);
        assert_true(prc == MQP_OK || prc == MQP_ERR_NOMEM || prc == MQP_ERR_NO_CONN);
        bool whole = rc == MQP_OK && prc == MQP_OK && atomic_load(&got) == 1;
        clean = whole ? clean + 1 : 0; /* Past the end of the path: it works every time. */
        /* Memory is back: the same client connects, and what it publishes is delivered. */
        assert_true(wait_for(mqp_client_is_connected(c), 3000));
        int before = atomic_load(&got);
        assert_ok(mqp_client_publish_event(c, "a/b", "t", "{}", NULL, 1, false));
        if (!wait_for(atomic_load(&got) > before, 3000)) {
            fail_msg("allocation %ld failing on the way broke the client for good", n);
        }
        mqp_client_destroy(c);
    }
    assert_int_equal(clean, 3);
    printf("  allocation failure: every allocation from the 1st to the %ldth of a connection, a "
           "publish and its dispatch failed in turn; the client recovered each time\n",
           last - 3);
    broker_cleanup(&b);
}

/* The operator, on raw libmosquitto: its allocations are not the library's, so they never fail
 * while the control plane's do. It counts the answers per request id. */
typedef struct operator
{
    struct mosquitto *m;
    pthread_mutex_t mu;
    char last[64]; /* The request id of the last answer. */
    int answers_for[512];
    atomic_int published;
}
operator;

static void op_message(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
    (void)m;
    operator* op = u;
    const char *p = msg->payloadlen > 0 ? strstr(msg->payload, "\"request_id\":\"c") : NULL;
    if (p) {
        int n = atoi(p + 15);
        pthread_mutex_lock(&op->mu);
        if (n > 0 && n < 512) {
            op->answers_for[n]++;
        }
        pthread_mutex_unlock(&op->mu);
    }
}

static void op_publish(struct mosquitto *m, void *u, int mid)
{
    (void)m;
    (void)mid;
    atomic_fetch_add(&((operator*)u)->published, 1);
}

static int answers_for(operator* op, int n)
{
    pthread_mutex_lock(&op->mu);
    int a = op->answers_for[n];
    pthread_mutex_unlock(&op->mu);
    return a;
}

/* The command is at the broker (PUBACK) when this returns. */
static void op_send(operator* op, int n, const char *command)
{
    char json[128];
    snprintf(json, sizeof json, "{\"command\":\"%s\",\"request_id\":\"c%d\"}", command, n);
    int before = atomic_load(&op->published);
    assert_int_equal(mosquitto_publish(op->m, NULL, "inference/control/commands", (int)strlen(json),
                                       json, 1, false),
                     MOSQ_ERR_SUCCESS);
    assert_true(wait_for(atomic_load(&op->published) > before, 3000));
}

static mqp_err ok_command(mqp_controlplane *cp, mqp_command cmd, mqp_command_reply *r, void *u)
{
    (void)cp;
    (void)u;
    if (cmd == MQP_CMD_STATUS) {
        snprintf(r->result, r->result_cap, "{\"pipeline\":\"running\",\"fps\":30.0}");
    }
    return MQP_OK;
}

static void count_oom(mqp_log_level level, const char *msg, void *user)
{
    (void)level;
    if (strstr(msg, "out of memory")) {
        atomic_fetch_add((atomic_int *)user, 1);
    }
}

/* Allocation failure from the N-th allocation on, for every N along a command: its receipt,
 * dispatch, the handler's answer and its formatting, the status it changes and their
 * publication. Each command is answered, or its loss is said (an "out of memory" line and a
 * count); nothing crashes or leaks (ASan); and once memory is back the very next command is
 * answered, by the same control plane. */
static void test_mqp_faults_alloc_failure_on_a_command(void **state)
{
    (void)state;
    test_broker b;
    broker_start(&b, NULL);
    atomic_int oom = 0;
    mqp_controlplane_opts o = {.client = quiet_opts(b.url, NULL), .on_command = ok_command};
    o.client.log_cb = count_oom;
    o.client.log_user = &oom;
    mqp_controlplane *cp = NULL;
    char err[256];
    assert_ok(mqp_controlplane_new(&cp, &o, err, sizeof err));
    assert_ok(mqp_controlplane_start(cp, 5000));
    operator op = {0};
    pthread_mutex_init(&op.mu, NULL);
    mosquitto_lib_init();
    op.m = mosquitto_new("alloc-operator", true, &op);
    assert_non_null(op.m);
    mosquitto_message_callback_set(op.m, op_message);
    mosquitto_publish_callback_set(op.m, op_publish);
    assert_int_equal(mosquitto_connect(op.m, "127.0.0.1", b.port, 30), MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_subscribe(op.m, NULL, "inference/control/responses", 1),
                     MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_loop_start(op.m), MOSQ_ERR_SUCCESS);
    int id = 0;
    op_send(&op, ++id, "status"); /* The operator's subscription is in place once answered. */
    assert_true(wait_for(answers_for(&op, id) == 1, 5000));
    int clean = 0, answered = 0, said = 0;
    long n;
    for (n = 1; n < 200 && clean < 5; n++) {
        const char *cmd = n % 2 ? "pause" : "resume"; /* Each changes the retained status. */
        int oom_before = atomic_load(&oom);
        mqp__alloc_fail_after(n);
        op_send(&op, ++id, cmd);
        int failing = id;
        /* Answered, or the loss said: whichever comes, within the deadline. */
        bool done = wait_for(answers_for(&op, failing) > 0 || atomic_load(&oom) > oom_before, 3000);
        mqp__alloc_fail_after(0);
        if (!done) {
            fail_msg("allocation %ld failing: command %d neither answered nor its loss said", n,
                     failing);
        }
        if (answers_for(&op, failing) > 0) {
            answered++;
        } else {
            said++;
        }
        clean = atomic_load(&oom) == oom_before ? clean + 1 : 0;
        /* Memory is back: the next command is answered. */
        op_send(&op, ++id, "status");
        if (!wait_for(answers_for(&op, id) == 1, 5000)) {
            fail_msg("allocation %ld failing on a command broke the control plane for good", n);
        }
    }
    assert_int_equal(clean, 5);
    printf("  allocation failure on a command: every allocation from the 1st to the %ldth failed "
           "in turn; %d commands answered anyway, %d lost with an 'out of memory' line; the next "
           "one answered each time\n",
           n - 6, answered, said);
    mosquitto_loop_stop(op.m, true);
    mosquitto_destroy(op.m);
    mosquitto_lib_cleanup();
    pthread_mutex_destroy(&op.mu);
    mqp_controlplane_destroy(cp);
    broker_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_faults_connection_storm),
        cmocka_unit_test(test_mqp_faults_slow_consumer),
        cmocka_unit_test(test_mqp_faults_alloc_failure_on_the_way),
        cmocka_unit_test(test_mqp_faults_alloc_failure_on_a_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
