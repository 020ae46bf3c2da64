/* mqplane's client against raw libmosquitto, in the same run, on the same broker.
 *
 *   bench_client URL [messages]
 *
 * 1. publish call cost, QoS 0: mosquitto_publish vs mqp_client_publish vs
 *    mqp_client_publish_event (which also builds the envelope);
 * 2. end-to-end QoS 1 throughput from one client to another;
 * 3. round trip: a request and its echo, one at a time (p50/p99).
 * The raw baseline uses mosquitto_loop_start() and on_message directly: no queue, no dispatch
 * thread, no envelope. Numbers are printed, never asserted. */
#define _POSIX_C_SOURCE 200809L
#include "mqplane/mqplane.h"

#include "clock.h"

#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SETTLE_MS 2000

static char host[256];
static int port;

/* ---- raw libmosquitto ---- */

typedef struct raw {
    struct mosquitto *m;
    atomic_long received;
    atomic_bool connected;
    struct mosquitto *echo_to; /* When set, on_message answers on bench/pong. */
} raw;

static void raw_on_connect(struct mosquitto *m, void *u, int rc)
{
    (void)m;
    if (rc == 0) {
        atomic_store(&((raw *)u)->connected, true);
    }
}

static void raw_on_message(struct mosquitto *m, void *u, const struct mosquitto_message *msg)
{
    (void)m;
    raw *r = u;
    atomic_fetch_add(&r->received, 1);
    if (r->echo_to) {
        mosquitto_publish(r->echo_to, NULL, "bench/pong", msg->payloadlen, msg->payload, 1, false);
    }
}

static void raw_open(raw *r, const char *id)
{
    memset(r, 0, sizeof *r);
    r->m = mosquitto_new(id, true, r);
    mosquitto_int_option(r->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(r->m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(r->m, raw_on_connect);
    mosquitto_message_callback_set(r->m, raw_on_message);
    mosquitto_connect(r->m, host, port, 60);
    mosquitto_loop_start(r->m);
    while (!atomic_load(&r->connected)) {
        mqpx_sleep_ms(1);
    }
}

static void raw_close(raw *r)
{
    mosquitto_disconnect(r->m);
    mosquitto_loop_stop(r->m, false);
    mosquitto_destroy(r->m);
}

/* ---- mqplane ---- */

typedef struct mq {
    mqp_client *c;
    atomic_long received;
    mqp_client *echo_to;
} mq;

static int mq_on_message(mqp_client *c, const mqp_message *msg, void *u)
{
    (void)c;
    mq *q = u;
    atomic_fetch_add(&q->received, 1);
    if (q->echo_to) {
        mqp_client_publish(q->echo_to, "bench/pong", msg->payload, msg->payload_len, 1, false);
    }
    return 0;
}

static void mq_open(mq *q, const char *url, const char *id)
{
    memset(q, 0, sizeof *q);
    /* No bound on outgoing QoS 0, as raw libmosquitto has none: the same work is timed. */
    mqp_client_opts o = {.url = url,
                         .client_id = id,
                         .no_health = true,
                         .queue_capacity = 65536,
                         .out_queue_messages = SIZE_MAX,
                         .out_queue_bytes = SIZE_MAX};
    if (mqp_client_new(&q->c, &o) != MQP_OK || mqp_client_connect(q->c, 5000) != MQP_OK) {
        fprintf(stderr, "cannot connect to %s\n", url);
        exit(2);
    }
}

/* ---- measurements ---- */

static const char payload[200] = "{\"detections\":[{\"class\":\"person\",\"confidence\":0.93}]}";

static void publish_cost(const char *url, long n)
{
    raw r;
    raw_open(&r, "bench-raw-pub");
    double t0 = mqpx_mono_s();
    for (long i = 0; i < n; i++) {
        mosquitto_publish(r.m, NULL, "bench/q0", sizeof payload, payload, 0, false);
    }
    double raw_s = mqpx_mono_s() - t0;
    mqpx_sleep_ms(SETTLE_MS); /* Let the broker drain before the next phase competes for a core. */
    raw_close(&r);

    mq q;
    mq_open(&q, url, "bench-mqp-pub");
    t0 = mqpx_mono_s();
    for (long i = 0; i < n; i++) {
        mqp_client_publish(q.c, "bench/q0", payload, sizeof payload, 0, false);
    }
    double mqp_s = mqpx_mono_s() - t0;
    mqpx_sleep_ms(SETTLE_MS);
    t0 = mqpx_mono_s();
    for (long i = 0; i < n; i++) {
        mqp_client_publish_event(q.c, "bench/q0", "detections", payload, NULL, 0, false);
    }
    double ev_s = mqpx_mono_s() - t0;
    mqpx_sleep_ms(200);
    mqp_client_destroy(q.c);
    printf("publish call, QoS 0, %ld x %zu B:\n", n, sizeof payload);
    printf("  %-28s %8.0f ns/call  %9.0f calls/s\n", "raw mosquitto_publish",
           raw_s / (double)n * 1e9, (double)n / raw_s);
    printf("  %-28s %8.0f ns/call  %9.0f calls/s  (x%.2f)\n", "mqp_client_publish",
           mqp_s / (double)n * 1e9, (double)n / mqp_s, mqp_s / raw_s);
    printf("  %-28s %8.0f ns/call  %9.0f calls/s  (x%.2f)\n", "mqp_client_publish_event",
           ev_s / (double)n * 1e9, (double)n / ev_s, ev_s / raw_s);
}

static void throughput(const char *url, long n)
{
    raw rs, rp;
    raw_open(&rs, "bench-raw-sub");
    mosquitto_subscribe(rs.m, NULL, "bench/q1", 1);
    raw_open(&rp, "bench-raw-src");
    mqpx_sleep_ms(200);
    double t0 = mqpx_mono_s();
    for (long i = 0; i < n; i++) {
        mosquitto_publish(rp.m, NULL, "bench/q1", sizeof payload, payload, 1, false);
    }
    while (atomic_load(&rs.received) < n && mqpx_mono_s() - t0 < 60) {
        mqpx_sleep_ms(1);
    }
    double raw_s = mqpx_mono_s() - t0;
    long raw_got = atomic_load(&rs.received);
    raw_close(&rp);
    raw_close(&rs);

    mq qs, qp;
    mq_open(&qs, url, "bench-mqp-sub");
    mqp_client_subscribe(qs.c, "bench/q1", 1, mq_on_message, &qs);
    mq_open(&qp, url, "bench-mqp-src");
    mqpx_sleep_ms(200);
    t0 = mqpx_mono_s();
    for (long i = 0; i < n; i++) {
        mqp_client_publish(qp.c, "bench/q1", payload, sizeof payload, 1, false);
    }
    while (atomic_load(&qs.received) < n && mqpx_mono_s() - t0 < 60) {
        mqpx_sleep_ms(1);
    }
    double mqp_s = mqpx_mono_s() - t0;
    long mqp_got = atomic_load(&qs.received);
    mqp_client_destroy(qp.c);
    mqp_client_destroy(qs.c);
    printf("end to end, QoS 1, %ld x %zu B, one publisher, one subscriber:\n", n, sizeof payload);
    printf("  %-28s %9.0f msg/s  (%ld received)\n", "raw libmosquitto", (double)raw_got / raw_s,
           raw_got);
    printf("  %-28s %9.0f msg/s  (%ld received, x%.2f time)\n", "mqplane (dispatch thread)",
           (double)mqp_got / mqp_s, mqp_got, mqp_s / raw_s);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report_rtt(const char *name, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    printf("  %-28s p50 %7.1f us  p99 %7.1f us  max %7.1f us\n", name, v[n / 2] * 1e6,
           v[n * 99 / 100] * 1e6, v[n - 1] * 1e6);
}

static void round_trip(const char *url, int n)
{
    double *rtt = calloc((size_t)n, sizeof *rtt);
    /* raw: A publishes ping, B echoes pong, A waits for it. */
    raw a, b;
    raw_open(&a, "bench-raw-a");
    raw_open(&b, "bench-raw-b");
    b.echo_to = b.m;
    mosquitto_subscribe(b.m, NULL, "bench/ping", 1);
    mosquitto_subscribe(a.m, NULL, "bench/pong", 1);
    mqpx_sleep_ms(200);
    for (int i = 0; i < n; i++) {
        long want = atomic_load(&a.received) + 1;
        double t0 = mqpx_mono_s();
        mosquitto_publish(a.m, NULL, "bench/ping", 16, payload, 1, false);
        while (atomic_load(&a.received) < want) {
        }
        rtt[i] = mqpx_mono_s() - t0;
    }
    raw_close(&a);
    raw_close(&b);
    printf("round trip (QoS 1 request, QoS 1 echo), %d times:\n", n);
    report_rtt("raw libmosquitto", rtt, n);

    mq qa, qb;
    mq_open(&qa, url, "bench-mqp-a");
    mq_open(&qb, url, "bench-mqp-b");
    qb.echo_to = qb.c;
    mqp_client_subscribe(qb.c, "bench/ping", 1, mq_on_message, &qb);
    mqp_client_subscribe(qa.c, "bench/pong", 1, mq_on_message, &qa);
    mqpx_sleep_ms(200);
    for (int i = 0; i < n; i++) {
        long want = atomic_load(&qa.received) + 1;
        double t0 = mqpx_mono_s();
        mqp_client_publish(qa.c, "bench/ping", payload, 16, 1, false);
        while (atomic_load(&qa.received) < want) {
        }
        rtt[i] = mqpx_mono_s() - t0;
    }
    mqp_client_destroy(qa.c);
    mqp_client_destroy(qb.c);
    report_rtt("mqplane", rtt, n);
    free(rtt);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_client mqtt://HOST:PORT [messages]\n");
        return 64;
    }
    long n = argc > 2 ? atol(argv[2]) : 100000;
    mqp_url u;
    if (mqp_url_parse(argv[1], &u, NULL, 0) != MQP_OK || u.scheme != MQP_SCHEME_MQTT) {
        fprintf(stderr, "bench_client needs an mqtt:// URL\n");
        return 64;
    }
    snprintf(host, sizeof host, "%s", u.host);
    port = u.port;
    mqp_url_clear(&u);
    mosquitto_lib_init();
    printf("mqplane %s vs libmosquitto %d.%d.%d on %s\n\n", mqp_version(), LIBMOSQUITTO_MAJOR,
           LIBMOSQUITTO_MINOR, LIBMOSQUITTO_REVISION, argv[1]);
    publish_cost(argv[1], n);
    throughput(argv[1], n / 5);
    round_trip(argv[1], 2000);
    return 0;
}
