/* The bounded incoming queue: QoS 0 overflow is dropped and counted, QoS 1 waits and is never
 * dropped; shutdown drains what arrived. On mosquitto and on memory://. */
#define _GNU_SOURCE
#include "fixture.h"

#include "mqplane/client.h"

#include <stdatomic.h>

typedef struct burst {
    mqp_client *pub;
    int count;
    int qos;
    atomic_int sent;
} burst;

static void *publish_burst(void *arg)
{
    burst *b = arg;
    char payload[16];
    for (int i = 0; i < b->count; i++) {
        int n = snprintf(payload, sizeof payload, "%d", i);
        if (mqp_client_publish(b->pub, "q/x", payload, (size_t)n, b->qos, false) == MQP_OK) {
            atomic_fetch_add(&b->sent, 1);
        }
    }
    return NULL;
}

static void run_burst(fixture *f, int qos, int count, collector *col, mqp_client **sub_out,
                      mqp_client **pub_out, burst *b, pthread_t *thread)
{
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, qos ? "q1-sub" : "q0-sub");
    o.queue_capacity = 4;
    mqp_client *sub = test_client(&o);
    assert_ok(mqp_client_subscribe(sub, "q/#", qos, collector_cb, col));
    o = test_opts(url, qos ? "q1-pub" : "q0-pub");
    o.no_health = true;
    mqp_client *pub = test_client(&o);
    assert_ok(mqp_client_sync(sub, 5000)); /* The broker has the (un)subscriptions. */
    atomic_store(&col->hold, true);        /* The handler blocks: the queue fills up. */
    *b = (burst){.pub = pub, .count = count, .qos = qos};
    /* From another thread: on memory:// a QoS 1 publisher is the one held back. */
    pthread_create(thread, NULL, publish_burst, b);
    *sub_out = sub;
    *pub_out = pub;
}

static void test_mqp_client_queue_drops_qos0_when_full(void **state)
{
    fixture *f = *state;
    collector *col = collector_new();
    mqp_client *sub, *pub;
    burst b;
    pthread_t t;
    run_burst(f, 0, 50, col, &sub, &pub, &b, &t);
    pthread_join(t, NULL);
    mqp_client_stats s;
    assert_true(wait_for((mqp_client_stats_get(sub, &s), s.received == 50), 5000));
    collector_release(col);
    assert_true(
        wait_for((mqp_client_stats_get(sub, &s), s.dispatched + s.dropped_queue_full == 50), 5000));
    assert_true(s.dropped_queue_full >= 40); /* 1 in the handler + 4 queued got through. */
    assert_int_equal(collector_count(col), s.dispatched);
    assert_true(s.queue_high_water <= 4);
    assert_int_equal(s.queue_capacity, 4);
    /* The first message is the one the handler was holding: order is kept. */
    assert_string_equal(collector_get(col, 0).payload, "0");
    mqp_client_destroy(pub);
    mqp_client_destroy(sub);
    collector_free(col);
}

static void test_mqp_client_queue_holds_back_qos1(void **state)
{
    fixture *f = *state;
    collector *col = collector_new();
    mqp_client *sub, *pub;
    burst b;
    pthread_t t;
    run_burst(f, 1, 40, col, &sub, &pub, &b, &t);
    mqp_client_stats s;
    assert_true(wait_for((mqp_client_stats_get(sub, &s), s.held_back >= 1), 5000));
    assert_int_equal(s.dropped_queue_full, 0);
    collector_release(col);
    pthread_join(t, NULL);
    assert_true(wait_for(collector_count(col) == 40, 10000));
    mqp_client_stats_get(sub, &s);
    assert_int_equal(s.dropped_queue_full, 0);
    assert_true(s.queue_high_water <= 4);
    for (int i = 0; i < 40; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        assert_string_equal(collector_get(col, (size_t)i).payload, want);
    }
    mqp_client_destroy(pub);
    mqp_client_destroy(sub);
    collector_free(col);
}

static void test_mqp_client_shutdown_drains_queue(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "drainer");
    mqp_client *c = test_client(&o);
    collector *col = collector_new();
    col->block_ms = 20;
    assert_ok(mqp_client_subscribe(c, "d/#", 1, collector_cb, col));
    assert_ok(mqp_client_sync(c, 5000)); /* The broker has the (un)subscriptions. */
    for (int i = 0; i < 20; i++) {
        assert_ok(mqp_client_publish(c, "d/x", "m", 1, 1, false));
    }
    mqp_client_stats s;
    assert_true(wait_for((mqp_client_stats_get(c, &s), s.received == 20), 3000));
    assert_ok(mqp_client_shutdown(c));
    assert_int_equal(collector_count(col), 20); /* Everything that arrived was handled. */
    mqp_client_stats_get(c, &s);
    assert_int_equal(s.dropped_shutdown, 0);
    assert_rc(mqp_client_publish(c, "d/x", "m", 1, 1, false), MQP_ERR_SHUTDOWN);
    assert_rc(mqp_client_subscribe(c, "d/#", 1, collector_cb, col), MQP_ERR_STATE);
    assert_ok(mqp_client_shutdown(c)); /* Idempotent. */
    mqp_client_destroy(c);
    collector_free(col);
}

static void test_mqp_client_shutdown_drain_is_bounded(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts o = test_opts(url, "stuck");
    o.drain_timeout_ms = 300;
    mqp_client *c = test_client(&o);
    collector *col = collector_new();
    col->block_ms = 200;
    assert_ok(mqp_client_subscribe(c, "s/#", 1, collector_cb, col));
    assert_ok(mqp_client_sync(c, 5000)); /* The broker has the (un)subscriptions. */
    for (int i = 0; i < 10; i++) {
        assert_ok(mqp_client_publish(c, "s/x", "m", 1, 1, false));
    }
    mqp_client_stats s;
    assert_true(wait_for((mqp_client_stats_get(c, &s), s.received == 10), 3000));
    int64_t t0 = mqpx_mono_ms();
    assert_rc(mqp_client_shutdown(c), MQP_ERR_TIMEOUT);
    assert_true(mqpx_mono_ms() - t0 < 2000);
    mqp_client_stats_get(c, &s);
    assert_true(s.dropped_shutdown >= 1);
    assert_int_equal(s.dropped_shutdown + collector_count(col), 10);
    mqp_client_destroy(c);
    collector_free(col);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_client_queue_drops_qos0_when_full),
        cmocka_unit_test(test_mqp_client_queue_holds_back_qos1),
        cmocka_unit_test(test_mqp_client_shutdown_drains_queue),
        cmocka_unit_test(test_mqp_client_shutdown_drain_is_bounded),
    };
    return RUN_ON_BOTH(tests);
}
