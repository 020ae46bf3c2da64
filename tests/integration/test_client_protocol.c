/* Protocol versions and liveness: MQTT 5 by default, 3.1.1 when the broker refuses 5 (here a
 * proxy that drops MQTT 5 CONNECTs as RabbitMQ does) or when told to; the heartbeat watchdog
 * rebuilding a connection that went silent without closing. */
#define _GNU_SOURCE
#include "broker.h"
#include "check.h"
#include "collector.h"
#include "proxy.h"

#include "mqplane/client.h"

#include <stdio.h>
#include <string.h>

static test_broker broker;

static int setup(void **state)
{
    (void)state;
    broker_start(&broker, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    broker_cleanup(&broker);
    return 0;
}

static void roundtrip(mqp_client *c, const char *topic)
{
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(c, topic, 1, collector_cb, col));
    assert_ok(mqp_client_sync(c, 5000)); /* The broker has the (un)subscriptions. */
    assert_ok(mqp_client_publish(c, topic, "ping", 4, 1, false));
    assert_true(wait_for(collector_count(col) == 1, 3000));
    assert_ok(mqp_client_unsubscribe(c, topic));
    collector_free(col);
}

static void test_mqp_client_protocol_falls_back_to_311(void **state)
{
    (void)state;
    test_proxy p;
    proxy_start(&p, broker.port);
    atomic_store(&p.refuse_v5, true);
    mqp_client_opts o = test_opts(p.url, "old-broker-client");
    mqp_client *c = test_client(&o);
    mqp_client_stats s;
    mqp_client_stats_get(c, &s);
    assert_int_equal(s.protocol_version, 4);
    assert_true(atomic_load(&p.refused) >= 1);
    roundtrip(c, "fallback/t");
    /* Reconnections stay on 3.1.1 and do not probe 5 again. */
    int refused = atomic_load(&p.refused);
    assert_ok(mqp_client_reconnect(c));
    assert_true(wait_for((mqp_client_stats_get(c, &s), s.reconnects == 1 && s.connected), 5000));
    assert_int_equal(atomic_load(&p.refused), refused);
    mqp_client_destroy(c);
    proxy_stop(&p);
}

static void test_mqp_client_protocol_311_when_told(void **state)
{
    (void)state;
    char url[128];
    snprintf(url, sizeof url, "%s?protocol=311", broker.url);
    mqp_client_opts o = test_opts(url, "told-311");
    mqp_client *c = test_client(&o);
    mqp_client_stats s;
    mqp_client_stats_get(c, &s);
    assert_int_equal(s.protocol_version, 4);
    roundtrip(c, "v311/t");
    /* mosquitto logs the protocol of each client: p2 is 3.1.1, p5 is 5. */
    assert_true(broker_log_contains(&broker, "as told-311 (p2"));
    mqp_client_destroy(c);

    o = test_opts(broker.url, "default-5");
    c = test_client(&o);
    mqp_client_stats_get(c, &s);
    assert_int_equal(s.protocol_version, 5);
    assert_true(broker_log_contains(&broker, "as default-5 (p5"));
    mqp_client_destroy(c);
}

static void test_mqp_client_protocol_5_only_does_not_fall_back(void **state)
{
    (void)state;
    test_proxy p;
    proxy_start(&p, broker.port);
    atomic_store(&p.refuse_v5, true);
    char url[128];
    snprintf(url, sizeof url, "%s?protocol=5", p.url);
    mqp_client_opts o = test_opts(url, "strict-5");
    o.log_cb = NULL;
    mqp_client *c = NULL;
    assert_ok(mqp_client_new(&c, &o));
    assert_rc(mqp_client_connect(c, 800), MQP_ERR_TIMEOUT);
    char err[512];
    mqp_client_last_error(c, err, sizeof err);
    assert_non_null(strstr(err, "closed the connection before accepting it"));
    mqp_client_destroy(c);
    proxy_stop(&p);
}

static void test_mqp_client_heartbeat_watchdog_reconnects(void **state)
{
    (void)state;
    test_proxy p;
    proxy_start(&p, broker.port);
    mqp_client_opts o = test_opts(p.url, "beater");
    o.heartbeat_ms = 100;
    mqp_client *c = test_client(&o);
    collector *col = collector_new();
    mqp_client_opts wo = test_opts(broker.url, "beat-watcher");
    wo.no_health = true;
    mqp_client *w = test_client(&wo);
    assert_ok(mqp_client_subscribe(w, "system/keepalive/beater", 0, collector_cb, col));
    assert_true(wait_for(collector_count(col) >= 3, 3000));
    mqp_client_stats s;
    mqp_client_stats_get(c, &s);
    assert_true(s.heartbeats_sent >= 3);
    /* A healthy link is never torn down (a single slow echo under load may count as missed,
     * but never three in a row). */
    assert_int_equal(s.reconnects, 0);
    assert_int_equal(s.unhandled, 0); /* Its own beats are not offered to handlers. */

    /* The link goes silent but stays open: TCP keepalive would take a minute to notice. */
    proxy_freeze_open_connections(&p);
    assert_true(wait_for((mqp_client_stats_get(c, &s), s.reconnects >= 1 && s.connected), 5000));
    assert_true(s.heartbeats_missed >= 3);
    size_t before = collector_count(col);
    assert_true(wait_for(collector_count(col) >= before + 2, 3000)); /* Beating again. */
    mqp_client_destroy(c);
    mqp_client_destroy(w);
    collector_free(col);
    proxy_stop(&p);
}

static void *destroy_main(void *arg)
{
    mqp_client_destroy(arg);
    return NULL;
}

static void test_mqp_client_shutdown_delivers_what_was_on_its_way(void **state)
{
    (void)state;
    test_proxy p;
    proxy_start(&p, broker.port);
    mqp_client_opts o = test_opts(p.url, "leaver");
    o.no_health = true;
    mqp_client *c = test_client(&o);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(c, "way/#", 1, collector_cb, col));
    assert_ok(mqp_client_sync(c, 5000));
    mqp_client_opts po = test_opts(broker.url, "way-sender");
    po.no_health = true;
    mqp_client *pub = test_client(&po);
    /* Five messages the broker has sent, held on the way; then the subscriber shuts down. */
    proxy_freeze_open_connections(&p);
    for (int i = 0; i < 5; i++) {
        assert_ok(mqp_client_publish(pub, "way/x", "m", 1, 1, false));
    }
    assert_ok(mqp_client_sync(pub, 5000)); /* The broker has them, and has queued them. */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, destroy_main, c), 0);
    mqpx_sleep_ms(300); /* Let it get into its shutdown; earlier only weakens the test. */
    proxy_thaw(&p);
    pthread_join(t, NULL);
    /* They came before the UNSUBACK, so shutdown waited for them and handed them over. */
    assert_int_equal(collector_count(col), 5);
    mqp_client_destroy(pub);
    collector_free(col);
    proxy_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_client_protocol_falls_back_to_311),
        cmocka_unit_test(test_mqp_client_protocol_311_when_told),
        cmocka_unit_test(test_mqp_client_protocol_5_only_does_not_fall_back),
        cmocka_unit_test(test_mqp_client_heartbeat_watchdog_reconnects),
        cmocka_unit_test(test_mqp_client_shutdown_delivers_what_was_on_its_way),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
