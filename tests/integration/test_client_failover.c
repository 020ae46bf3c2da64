/* Broker lists: a client given two real mosquittos connects to the first that answers, moves
 * to the other when its broker dies, and back; on each it subscribes again, says in its
 * health which broker it is on, and a QoS 1 message published in between is not lost. */
#define _GNU_SOURCE
#include "broker.h"
#include "check.h"
#include "collector.h"

#include "mqplane/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static test_broker a, b;

static int setup(void **state)
{
    (void)state;
    broker_start(&a, NULL);
    broker_start(&b, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    broker_cleanup(&a);
    broker_cleanup(&b);
    return 0;
}

/* The retained health of client id on broker br, once it contains want. */
static bool health_says(const test_broker *br, const char *id, const char *want)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "mosquitto_sub -h 127.0.0.1 -p %d -t system/health/%s -C 1 -W 2 2>/dev/null", br->port,
             id);
    FILE *p = popen(cmd, "r");
    char line[512] = "";
    if (p) {
        if (!fgets(line, sizeof line, p)) {
            line[0] = '\0';
        }
        pclose(p);
    }
    return strstr(line, want) != NULL;
}

static void test_failover_between_two_brokers(void **state)
{
    (void)state;
    char list[160], url_a[64], url_b[64];
    snprintf(url_a, sizeof url_a, "mqtt://127.0.0.1:%d", a.port);
    snprintf(url_b, sizeof url_b, "mqtt://127.0.0.1:%d", b.port);
    snprintf(list, sizeof list, "%s, %s", url_a, url_b);
    mqp_client_opts o = test_opts(list, "fo-node");
    mqp_client *c = test_client(&o);
    char shown[160];
    snprintf(shown, sizeof shown, "%s,%s", url_a, url_b);
    assert_string_equal(mqp_client_url(c), shown);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(c, "fo/#", 1, collector_cb, col));
    assert_ok(mqp_client_sync(c, 5000));
    char want[160];
    snprintf(want, sizeof want, "\"event\":\"ready\",\"broker\":\"%s\"", url_a);
    assert_true(wait_for(health_says(&a, "fo-node", want), 5000));

    /* Broker a dies: the client moves to b, subscribes there, and what it published
     * meanwhile at QoS 1 arrives. */
    o = test_opts(url_b, "fo-peer-b");
    mqp_client *peer_b = test_client(&o);
    collector *on_b = collector_new();
    assert_ok(mqp_client_subscribe(peer_b, "up/#", 1, collector_cb, on_b));
    assert_ok(mqp_client_sync(peer_b, 5000));
    broker_kill(&a);
    assert_ok(mqp_client_publish(c, "up/while-moving", "kept", 4, 1, false));
    snprintf(want, sizeof want, "\"event\":\"reconnected\",\"broker\":\"%s\"", url_b);
    assert_true(wait_for(health_says(&b, "fo-node", want), 10000));
    assert_true(wait_for(collector_count(on_b) == 1, 5000));
    assert_string_equal(collector_get(on_b, 0).payload, "kept");
    assert_ok(mqp_client_publish(peer_b, "fo/on-b", "hello", 5, 1, false));
    assert_true(wait_for(collector_count(col) == 1, 5000));
    assert_string_equal(collector_get(col, 0).topic, "fo/on-b");

    /* a comes back and b dies: back to a, subscribed again. */
    broker_restart(&a);
    broker_kill(&b);
    snprintf(want, sizeof want, "\"broker\":\"%s\"", url_a);
    assert_true(wait_for(
        health_says(&a, "fo-node", want) && health_says(&a, "fo-node", "\"reconnected\""), 10000));
    o = test_opts(url_a, "fo-peer-a");
    mqp_client *peer_a = test_client(&o);
    assert_ok(mqp_client_publish(peer_a, "fo/on-a", "again", 5, 1, false));
    assert_true(wait_for(collector_count(col) == 2, 5000));
    assert_string_equal(collector_get(col, 1).topic, "fo/on-a");
    mqp_client_stats s;
    mqp_client_stats_get(c, &s);
    assert_true(s.reconnects >= 2);
    mqp_client_destroy(peer_a);
    mqp_client_destroy(peer_b);
    mqp_client_destroy(c);
    collector_free(col);
    collector_free(on_b);
    broker_restart(&b);
}

/* The first broker of the list is not there: the client connects to the second. */
static void test_failover_first_broker_down(void **state)
{
    (void)state;
    char list[160];
    int dead = broker_free_port();
    snprintf(list, sizeof list, "mqtt://127.0.0.1:%d,mqtt://127.0.0.1:%d", dead, b.port);
    mqp_client_opts o = test_opts(list, "fo-second");
    mqp_client *c = test_client(&o);
    assert_true(mqp_client_is_connected(c));
    char want[160];
    snprintf(want, sizeof want, "\"broker\":\"mqtt://127.0.0.1:%d\"", b.port);
    assert_true(wait_for(health_says(&b, "fo-second", want), 5000));
    mqp_client_destroy(c);

    /* A bad list is refused at once, naming the broker at fault. */
    char err[256];
    o = test_opts("mqtt://127.0.0.1:1,mqtts://127.0.0.1:2", "fo-bad");
    assert_rc(mqp_client_new_err(&c, &o, err, sizeof err), MQP_ERR_URL);
    assert_non_null(strstr(err, "broker 2 of 2 is mqtts://"));
}

/* What a 3.1.1 broker keeps of a client after it stops: with clean_session nothing (on
 * RabbitMQ, no durable queue left behind); without, its (emptied) session, which a client
 * resuming it under the same id is told of (CONNACK session present, in the broker's log). */
static bool session_kept(const char *id)
{
    char cmd[256], want[96];
    snprintf(cmd, sizeof cmd,
             "mosquitto_sub -h 127.0.0.1 -p %d -V mqttv311 -c -q 1 -i %s -t cs/# -W 1 "
             ">/dev/null 2>&1",
             b.port, id);
    if (system(cmd) == -1) {
        return false;
    }
    snprintf(want, sizeof want, "Sending CONNACK to %s (1, 0)", id);
    return broker_log_contains(&b, want);
}

static void test_clean_session_leaves_nothing(void **state)
{
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", b.port);
    for (int clean = 0; clean < 2; clean++) {
        char id[32];
        snprintf(id, sizeof id, "cs-%s", clean ? "clean" : "kept");
        mqp_client_opts o = test_opts(url, id);
        o.protocol = MQP_PROTOCOL_V311;
        o.clean_session = clean;
        mqp_client *c = test_client(&o);
        collector *col = collector_new();
        assert_ok(mqp_client_subscribe(c, "cs/#", 1, collector_cb, col));
        assert_ok(mqp_client_sync(c, 5000));
        mqp_client_destroy(c);
        collector_free(col);
        assert_int_equal(session_kept(id), !clean);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failover_between_two_brokers),
        cmocka_unit_test(test_failover_first_broker_down),
        cmocka_unit_test(test_clean_session_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
