/* Publish/subscribe through the client, on mosquitto and on memory://. */
#define _GNU_SOURCE
#include "fixture.h"

#include "mqplane/client.h"
#include "mqplane/envelope.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <unistd.h>

static void test_mqp_client_new_bad_arguments(void **state)
{
    (void)state;
    mqp_client *c = NULL;
    char err[256];
    assert_rc(mqp_client_new(NULL, NULL), MQP_ERR_INVALID);
    mqp_client_opts o = {.url = "mqtt://u:hunter2@host:99999"};
    assert_rc(mqp_client_new_err(&c, &o, err, sizeof err), MQP_ERR_URL);
    assert_null(c);
    assert_non_null(strstr(err, "port '99999'"));
    assert_null(strstr(err, "hunter2"));
    o = (mqp_client_opts){.url = "memory://x", .client_id = "a/b"};
    assert_rc(mqp_client_new_err(&c, &o, err, sizeof err), MQP_ERR_INVALID);
    assert_non_null(strstr(err, "{client_id}"));
    o = (mqp_client_opts){.url = "memory://x", .keepalive_s = 2};
    assert_rc(mqp_client_new_err(&c, &o, err, sizeof err), MQP_ERR_INVALID);
    assert_non_null(strstr(err, "keepalive"));
    mqp_client_destroy(NULL);
}

static void test_mqp_client_subscribe_bad_arguments(void **state)
{
    fixture *f = *state;
    mqp_client_opts o = test_opts(fixture_url(f), "badargs");
    mqp_client *c = test_client(&o);
    collector *col = collector_new();
    assert_rc(mqp_client_subscribe(c, NULL, 0, collector_cb, col), MQP_ERR_INVALID);
    assert_rc(mqp_client_subscribe(c, "a/#", 3, collector_cb, col), MQP_ERR_INVALID);
    assert_rc(mqp_client_subscribe(c, "a/#", 0, NULL, col), MQP_ERR_INVALID);
    assert_rc(mqp_client_subscribe(c, "a/#/b", 0, collector_cb, col), MQP_ERR_TOPIC);
    assert_rc(mqp_client_publish(c, "a/+", "x", 1, 0, false), MQP_ERR_TOPIC);
    assert_rc(mqp_client_publish(c, "a", NULL, 1, 0, false), MQP_ERR_INVALID);
    assert_rc(mqp_client_publish(c, "a", "x", 1, 3, false), MQP_ERR_INVALID);
    assert_rc(mqp_client_unsubscribe(c, "never/subscribed"), MQP_ERR_NOT_FOUND);
    assert_rc(mqp_client_sync(NULL, 10), MQP_ERR_INVALID);
    assert_rc(mqp_client_sync(c, -1), MQP_ERR_INVALID);
    assert_ok(mqp_client_sync(c, 1000)); /* Nothing outstanding: at once. */
    char err[256];
    mqp_client_last_error(c, err, sizeof err);
    assert_non_null(strstr(err, "'a/+'"));
    mqp_client_destroy(c);
    assert_rc(mqp_client_publish(NULL, "a", "x", 1, 0, false), MQP_ERR_INVALID);
    mqp_client_opts off = test_opts(fixture_url(f), "never-started");
    mqp_client *n = NULL;
    assert_ok(mqp_client_new(&n, &off));
    assert_rc(mqp_client_sync(n, 10), MQP_ERR_NO_CONN);
    mqp_client_destroy(n);
    collector_free(col);
}

static void test_mqp_client_subscribe_wildcards(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "wild-sub");
    mqp_client *sub = test_client(&o);
    collector *plus = collector_new(), *hash = collector_new(), *other = collector_new();
    assert_ok(mqp_client_subscribe(sub, "sensors/+/temp", 1, collector_cb, plus));
    assert_ok(mqp_client_subscribe(sub, "sensors/#", 1, collector_cb, hash));
    assert_ok(mqp_client_subscribe(sub, "other/x", 1, collector_cb, other));
    o = test_opts(url, "wild-pub");
    mqp_client *pub = test_client(&o);
    assert_ok(mqp_client_sync(sub, 5000)); /* The broker has the (un)subscriptions. */
    assert_ok(mqp_client_publish(pub, "sensors/k1/temp", "21.5", 4, 1, false));
    assert_ok(mqp_client_publish(pub, "sensors/k1/hum", "40", 2, 1, false));
    assert_ok(mqp_client_publish(pub, "sensors", "root", 4, 1, false));
    assert_ok(mqp_client_publish(pub, "other/y", "no", 2, 1, false));
    assert_true(wait_for(collector_count(hash) == 3, 3000));
    assert_true(wait_for(collector_count(plus) == 1, 3000));
    mqpx_sleep_ms(100); /* Anything extra (a second copy of an overlap) would arrive now. */
    assert_int_equal(collector_count(plus), 1);
    assert_int_equal(collector_count(hash), 3);
    assert_int_equal(collector_count(other), 0);
    collected c0 = collector_get(plus, 0);
    assert_string_equal(c0.topic, "sensors/k1/temp");
    assert_string_equal(c0.payload, "21.5");
    assert_int_equal(c0.qos, 1);
    collected h2 = collector_get(hash, 2);
    assert_string_equal(h2.topic, "sensors"); /* '#' matches its parent level. */

    mqp_client_stats s;
    mqp_client_stats_get(sub, &s);
    assert_int_equal(s.dispatched, 4);
    assert_int_equal(s.handler_errors, 0);
    assert_true(s.connected);
    assert_int_equal(s.protocol_version, 5);

    /* After unsubscribing, nothing more reaches that handler. */
    assert_ok(mqp_client_unsubscribe(sub, "sensors/#"));
    assert_ok(mqp_client_sync(sub, 5000)); /* The broker has the (un)subscriptions. */
    assert_ok(mqp_client_publish(pub, "sensors/k2/temp", "19", 2, 1, false));
    assert_true(wait_for(collector_count(plus) == 2, 3000));
    mqpx_sleep_ms(100);
    assert_int_equal(collector_count(hash), 3);
    mqp_client_destroy(pub);
    mqp_client_destroy(sub);
    collector_free(plus);
    collector_free(hash);
    collector_free(other);
}

static void test_mqp_client_dispatch_off_network_thread(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "slow-sub");
    mqp_client *sub = test_client(&o);
    collector *slow = collector_new();
    slow->block_ms = 300;
    assert_ok(mqp_client_subscribe(sub, "slow/#", 1, collector_cb, slow));
    o = test_opts(url, "slow-pub");
    mqp_client *pub = test_client(&o);
    assert_ok(mqp_client_sync(sub, 5000)); /* The broker has the (un)subscriptions. */
    for (int i = 0; i < 5; i++) {
        assert_ok(mqp_client_publish(pub, "slow/x", "m", 1, 1, false));
    }
    /* While the first handler call sleeps, the client keeps receiving: the network thread is
     * not the one running the handler. */
    mqp_client_stats s;
    assert_true(wait_for((mqp_client_stats_get(sub, &s), s.received == 5), 1000));
    assert_true(collector_count(slow) <= 1);
    assert_true(wait_for(collector_count(slow) == 5, 5000));
    pthread_t t0 = collector_get(slow, 0).thread;
    assert_false(pthread_equal(t0, pthread_self()));
    for (size_t i = 1; i < 5; i++) {
        assert_true(pthread_equal(t0, collector_get(slow, i).thread));
    }
    mqp_client_destroy(pub);
    mqp_client_destroy(sub);
    collector_free(slow);
}

static void test_mqp_client_handler_error_is_isolated(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "iso");
    mqp_client *c = test_client(&o);
    collector *bad = collector_new(), *good = collector_new();
    bad->result = -1;
    assert_ok(mqp_client_subscribe(c, "iso/a", 0, collector_cb, bad));
    assert_ok(mqp_client_subscribe(c, "iso/a", 0, collector_cb, good));
    assert_ok(mqp_client_sync(c, 5000)); /* The broker has the (un)subscriptions. */
    assert_ok(mqp_client_publish(c, "iso/a", "1", 1, 0, false));
    assert_ok(mqp_client_publish(c, "iso/a", "2", 1, 0, false));
    assert_true(wait_for(collector_count(good) == 2, 3000));
    assert_int_equal(collector_count(bad), 2);
    mqp_client_stats s;
    mqp_client_stats_get(c, &s);
    assert_int_equal(s.handler_errors, 2);
    assert_int_equal(s.dispatched, 4);
    mqp_client_destroy(c);
    collector_free(bad);
    collector_free(good);
}

static void test_mqp_client_publish_event_envelope(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "ev-sub");
    mqp_client *sub = test_client(&o);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(sub, "events/#", 1, collector_cb, col));
    o = test_opts(url, "ev-pub");
    o.source = "tars-stt";
    mqp_client *pub = test_client(&o);
    assert_ok(mqp_client_sync(sub, 5000)); /* The broker has the (un)subscriptions. */
    assert_rc(mqp_client_publish_event(pub, "events/a", "stt.final", "{bad", NULL, 1, false),
              MQP_ERR_JSON);
    assert_ok(mqp_client_publish_event(pub, "events/a", "stt.final", "{\"text\":\"hi\"}", "req-9",
                                       1, false));
    assert_ok(mqp_client_publish_event(pub, "events/b", "stt.partial", "[1,2]", NULL, 1, false));
    assert_true(wait_for(collector_count(col) == 2, 3000));
    mqp_envelope *e1, *e2;
    collected c1 = collector_get(col, 0), c2 = collector_get(col, 1);
    assert_ok(mqp_envelope_decode(c1.payload, strlen(c1.payload), &e1, NULL, 0));
    assert_ok(mqp_envelope_decode(c2.payload, strlen(c2.payload), &e2, NULL, 0));
    assert_string_equal(mqp_envelope_type(e1), "stt.final");
    assert_string_equal(mqp_envelope_source(e1), "tars-stt");
    assert_string_equal(mqp_envelope_correlation_id(e1), "req-9");
    assert_string_equal(mqp_envelope_data(e1, NULL), "{\"text\":\"hi\"}");
    assert_null(mqp_envelope_correlation_id(e2));
    assert_int_equal(mqp_envelope_seq(e2, NULL), mqp_envelope_seq(e1, NULL) + 1);
    assert_string_not_equal(mqp_envelope_id(e1), mqp_envelope_id(e2));
    mqp_envelope_free(e1);
    mqp_envelope_free(e2);

    /* One envelope to two topics (a migration): same id, same seq. */
    const char *topics[] = {"events/new/x", "events/old/x"};
    assert_ok(mqp_client_publish_event_multi(pub, topics, 2, "t", "{}", NULL, 1, false));
    assert_true(wait_for(collector_count(col) == 4, 3000));
    collected c3 = collector_get(col, 2), c4 = collector_get(col, 3);
    assert_string_equal(c3.payload, c4.payload);
    mqp_client_destroy(pub);
    mqp_client_destroy(sub);
    collector_free(col);
}

static void test_mqp_client_retained_and_health(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "svc-health");
    mqp_client *svc = test_client(&o);
    assert_ok(mqp_client_publish(svc, "state/last", "on", 2, 1, true));
    /* The broker holds it (and the health) before the late client subscribes: otherwise it is
     * delivered as a live message, not a retained one (seen under valgrind in CI). */
    assert_ok(mqp_client_sync(svc, 5000));
    o = test_opts(url, "late");
    o.no_health = true;
    mqp_client *late = test_client(&o);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(late, "state/last", 1, collector_cb, col));
    assert_ok(mqp_client_subscribe(late, "system/health/svc-health", 1, collector_cb, col));
    assert_true(wait_for(collector_count(col) == 2, 3000));
    collected a = collector_get(col, 0), b = collector_get(col, 1);
    collected *state_msg = strcmp(a.topic, "state/last") == 0 ? &a : &b;
    collected *health = state_msg == &a ? &b : &a;
    assert_string_equal(state_msg->payload, "on");
    assert_true(state_msg->retain);
    assert_string_equal(health->payload, "{\"ok\":true,\"event\":\"ready\"}");
    assert_true(health->retain);
    assert_ok(mqp_client_publish_health(svc, false, "error", "camera \"0\" gone"));
    assert_true(wait_for(collector_count(col) == 3, 3000));
    assert_string_equal(collector_get(col, 2).payload,
                        "{\"ok\":false,\"event\":\"error\",\"err\":\"camera \\\"0\\\" gone\"}");
    mqp_client_destroy(svc); /* Orderly: health says "shutdown". */
    assert_true(wait_for(collector_count(col) == 4, 3000));
    assert_string_equal(collector_get(col, 3).payload, "{\"ok\":false,\"event\":\"shutdown\"}");
    mqpx_sleep_ms(200);
    assert_int_equal(collector_count(col), 4); /* No last will after an orderly shutdown. */
    mqp_client_destroy(late);
    collector_free(col);
}

static void test_mqp_client_retained_once_per_handler(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "retain-src");
    o.no_health = true;
    mqp_client *src = test_client(&o);
    assert_ok(mqp_client_publish(src, "r/1", "kept", 4, 1, true));
    assert_ok(mqp_client_shutdown(src)); /* Acknowledged: the broker holds it. */
    mqp_client_destroy(src);
    /* Two handlers on one filter, registered before connecting: one SUBSCRIBE, and the
     * retained message reaches each handler once, however often the client subscribes. */
    o = test_opts(url, "retainer");
    o.no_health = true;
    mqp_client *c = NULL;
    assert_ok(mqp_client_new(&c, &o));
    collector *a = collector_new(), *b = collector_new();
    assert_ok(mqp_client_subscribe(c, "r/1", 0, collector_cb, a));
    assert_ok(mqp_client_subscribe(c, "r/1", 1, collector_cb, b));
    assert_ok(mqp_client_connect(c, 5000));
    assert_true(wait_for(collector_count(a) >= 1 && collector_count(b) >= 1, 5000));
    /* A reconnection subscribes again; the retained message is not delivered again. */
    assert_ok(mqp_client_reconnect(c));
    mqp_client_stats s;
    assert_true(wait_for((mqp_client_stats_get(c, &s), s.reconnects == 1 && s.connected), 5000));
    mqpx_sleep_ms(300);
    assert_int_equal(collector_count(a), 1);
    assert_int_equal(collector_count(b), 1);
    assert_true(collector_get(a, 0).retain);
    mqp_client_destroy(c);
    collector_free(a);
    collector_free(b);
}

static void test_mqp_client_shared_subscription(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    collector *ca = collector_new(), *cb = collector_new();
    mqp_client_opts o = test_opts(url, "worker-a");
    mqp_client *wa = test_client(&o);
    o = test_opts(url, "worker-b");
    mqp_client *wb = test_client(&o);
    assert_ok(mqp_client_subscribe(wa, "$share/workers/jobs/+", 1, collector_cb, ca));
    assert_ok(mqp_client_subscribe(wb, "$share/workers/jobs/+", 1, collector_cb, cb));
    o = test_opts(url, "job-source");
    o.no_health = true;
    mqp_client *src = test_client(&o);
    assert_ok(mqp_client_sync(wa, 5000)); /* The broker has the (un)subscriptions. */
    assert_ok(mqp_client_sync(wb, 5000));
    for (int i = 0; i < 20; i++) {
        assert_ok(mqp_client_publish(src, "jobs/resize", "j", 1, 1, false));
    }
    /* Every job is done once, by one worker of the group, and both get work. */
    assert_true(wait_for(collector_count(ca) + collector_count(cb) == 20, 3000));
    mqpx_sleep_ms(200);
    assert_int_equal(collector_count(ca) + collector_count(cb), 20);
    assert_true(collector_count(ca) > 0);
    assert_true(collector_count(cb) > 0);
    mqp_client_destroy(src);
    mqp_client_destroy(wa);
    mqp_client_destroy(wb);
    collector_free(ca);
    collector_free(cb);
}

typedef struct echo {
    mqp_client *c;
    atomic_int answered; /* Written by the dispatch thread, read by the test's. */
} echo;

/* Answers a request on its response topic with its correlation data, as a service would. */
static int answer(mqp_client *c, const mqp_message *m, void *user)
{
    echo *e = user;
    (void)c;
    if (!m->response_topic) {
        return -1;
    }
    mqp_publish_props p = {.correlation_data = m->correlation_data,
                           .correlation_len = m->correlation_len};
    atomic_fetch_add(&e->answered, 1);
    return mqp_client_publish_props(e->c, m->response_topic, "pong", 4, 1, false, &p) == MQP_OK
               ? 0
               : -1;
}

typedef struct reply_seen {
    char correlation[32];
    char payload[16];
    atomic_size_t len; /* Stored last: once it is set, the rest may be read. */
} reply_seen;

static int on_reply(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    reply_seen *r = user;
    size_t len = m->correlation_len < sizeof r->correlation ? m->correlation_len : 0;
    memcpy(r->correlation, m->correlation_data, len);
    snprintf(r->payload, sizeof r->payload, "%.*s", (int)m->payload_len, (const char *)m->payload);
    atomic_store(&r->len, len);
    return 0;
}

static void test_mqp_client_request_response_properties(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "responder");
    o.no_health = true;
    mqp_client *svc = test_client(&o);
    echo e = {.c = svc};
    assert_ok(mqp_client_subscribe(svc, "svc/ping", 1, answer, &e));
    o = test_opts(url, "requester");
    o.no_health = true;
    mqp_client *req = test_client(&o);
    reply_seen r = {.len = 0};
    assert_ok(mqp_client_subscribe(req, "replies/requester", 1, on_reply, &r));
    assert_ok(mqp_client_sync(svc, 5000)); /* The broker has the (un)subscriptions. */
    assert_ok(mqp_client_sync(req, 5000));
    /* Binary correlation data, with a NUL inside: it is bytes, not a string. */
    static const char corr[9] = {1, 'c', 'o', 'r', 'r', 0, 'i', 'd', 7};
    mqp_publish_props p = {.response_topic = "replies/requester",
                           .correlation_data = corr,
                           .correlation_len = sizeof corr};
    assert_rc(mqp_client_publish_props(req, "svc/ping", "ping", 4, 1, false,
                                       &(mqp_publish_props){.response_topic = "bad/#"}),
              MQP_ERR_TOPIC);
    assert_ok(mqp_client_publish_props(req, "svc/ping", "ping", 4, 1, false, &p));
    assert_true(wait_for(atomic_load(&r.len) == 9, 3000));
    assert_memory_equal(r.correlation, corr, sizeof corr);
    assert_string_equal(r.payload, "pong");
    assert_int_equal(atomic_load(&e.answered), 1);
    mqp_client_destroy(req);
    mqp_client_destroy(svc);
}

static void test_mqp_client_custom_will(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "will-watch");
    o.no_health = true;
    mqp_client *w = test_client(&o);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(w, "svc/status", 1, collector_cb, col));
    o = test_opts(url, "with-will");
    o.will_topic = "svc/status";
    o.will_payload = "{\"status\":\"disconnected\"}";
    o.will_qos = 1;
    o.will_retain = true;
    mqp_client *c = test_client(&o);
    assert_ok(mqp_client_sync(w, 5000)); /* The broker has the (un)subscriptions. */
    /* A connection dropped without DISCONNECT: the broker publishes the will. */
    assert_ok(mqp_client_reconnect(c));
    assert_true(wait_for(collector_count(col) >= 1, 5000));
    assert_string_equal(collector_get(col, 0).payload, "{\"status\":\"disconnected\"}");
    mqp_client_destroy(c);
    mqp_client_destroy(w);
    collector_free(col);
    mqp_client *bad = NULL;
    o.will_topic = "svc/+";
    assert_rc(mqp_client_new(&bad, &o), MQP_ERR_INVALID);
}

static void test_mqp_client_dedupe_drops_repeated_envelopes(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "dedupe");
    o.dedupe = true;
    mqp_client *c = test_client(&o);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(c, "dd/#", 1, collector_cb, col));
    assert_ok(mqp_client_sync(c, 5000)); /* The broker has the (un)subscriptions. */
    const char *env = "{\"id\":\"abc\",\"type\":\"t\",\"ts\":1,\"seq\":1,\"data\":{}}";
    const char *env2 = "{\"id\":\"abc\",\"type\":\"t\",\"ts\":1,\"seq\":2,\"data\":{}}";
    assert_ok(mqp_client_publish(c, "dd/a", env, strlen(env), 1, false));
    assert_ok(mqp_client_publish(c, "dd/a", env, strlen(env), 1, false)); /* redelivery */
    assert_ok(mqp_client_publish(c, "dd/b", env2, strlen(env2), 1, false));
    assert_ok(mqp_client_publish(c, "dd/c", "not an envelope", 15, 1, false));
    assert_ok(mqp_client_publish(c, "dd/c", "not an envelope", 15, 1, false));
    assert_true(wait_for(collector_count(col) == 4, 3000));
    mqp_client_stats s;
    assert_true(wait_for((mqp_client_stats_get(c, &s), s.dropped_duplicate == 1), 3000));
    mqpx_sleep_ms(100);
    assert_int_equal(collector_count(col), 4);
    mqp_client_destroy(c);
    collector_free(col);
}

typedef struct props_seen {
    atomic_int n;
    char content_type[32];
    char props[256]; /* "name=value;" for each, in order. */
    size_t payload_len;
} props_seen;

static int on_props(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    props_seen *p = user;
    snprintf(p->content_type, sizeof p->content_type, "%s",
             m->content_type ? m->content_type : "(none)");
    size_t k = 0;
    for (size_t i = 0; i < m->n_user_props && k < sizeof p->props; i++) {
        k += (size_t)snprintf(p->props + k, sizeof p->props - k, "%s=%s;", m->user_props[i].name,
                              m->user_props[i].value);
    }
    p->payload_len = m->payload_len;
    atomic_fetch_add(&p->n, 1);
    return 0;
}

static void test_mqp_client_user_properties(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "props-sub");
    o.no_health = true;
    mqp_client *sub = test_client(&o);
    static props_seen seen;
    memset(&seen, 0, sizeof seen);
    assert_ok(mqp_client_subscribe(sub, "frames/#", 0, on_props, &seen));
    assert_ok(mqp_client_sync(sub, 5000));
    o = test_opts(url, "props-pub");
    o.no_health = true;
    mqp_client *pub = test_client(&o);
    /* A binary payload with its type and properties, as the node sends annotated frames. */
    const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0x00, 0xd9};
    mqp_user_prop up[] = {{"source_id", "0"}, {"frame_id", "42"}, {"timestamp", "2024-01-01T0"}};
    mqp_publish_props pp = {.content_type = "image/jpeg", .user_props = up, .n_user_props = 3};
    assert_ok(mqp_client_publish_props(pub, "frames/0", jpeg, sizeof jpeg, 0, false, &pp));
    assert_true(wait_for(atomic_load(&seen.n) == 1, 3000));
    assert_string_equal(seen.content_type, "image/jpeg");
    assert_string_equal(seen.props, "source_id=0;frame_id=42;timestamp=2024-01-01T0;");
    assert_int_equal(seen.payload_len, sizeof jpeg);
    /* Bad arguments are refused before anything is sent. */
    mqp_user_prop bad[] = {{"name", NULL}};
    mqp_publish_props bp = {.user_props = bad, .n_user_props = 1};
    assert_rc(mqp_client_publish_props(pub, "frames/0", "x", 1, 0, false, &bp), MQP_ERR_INVALID);
    bp = (mqp_publish_props){.n_user_props = 2};
    assert_rc(mqp_client_publish_props(pub, "frames/0", "x", 1, 0, false, &bp), MQP_ERR_INVALID);
    mqp_client_destroy(pub);
    mqp_client_destroy(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_client_new_bad_arguments),
        cmocka_unit_test(test_mqp_client_subscribe_bad_arguments),
        cmocka_unit_test(test_mqp_client_subscribe_wildcards),
        cmocka_unit_test(test_mqp_client_dispatch_off_network_thread),
        cmocka_unit_test(test_mqp_client_handler_error_is_isolated),
        cmocka_unit_test(test_mqp_client_publish_event_envelope),
        cmocka_unit_test(test_mqp_client_retained_and_health),
        cmocka_unit_test(test_mqp_client_retained_once_per_handler),
        cmocka_unit_test(test_mqp_client_shared_subscription),
        cmocka_unit_test(test_mqp_client_request_response_properties),
        cmocka_unit_test(test_mqp_client_user_properties),
        cmocka_unit_test(test_mqp_client_custom_will),
        cmocka_unit_test(test_mqp_client_dedupe_drops_repeated_envelopes),
    };
    return RUN_ON_BOTH(tests);
}
