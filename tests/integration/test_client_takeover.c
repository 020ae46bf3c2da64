/* Two clients with one client id. Each says, at error level, that another client uses its id;
 * health says so; they back off instead of fighting; and once one has gone, the other settles
 * and health is good again. On mosquitto 2.0.11, which closes the older connection without a
 * reason, in MQTT 5 and 3.1.1; and on memory://, which says why as an MQTT 5 broker does
 * (reason 0x8E). */
#define _GNU_SOURCE
#include "broker.h"
#include "check.h"
#include "collector.h"

#include "mqplane/client.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

typedef struct said {
    atomic_int takeover_errors; /* Error lines that name the id and the other client. */
    atomic_int lost_taken_over; /* on_disconnected calls with MQP_ERR_TAKEN_OVER. */
} said;

static void log_cb(mqp_log_level level, const char *msg, void *user)
{
    said *s = user;
    if (level == MQP_LOG_ERR && strstr(msg, "client id 'twin'") && strstr(msg, "another client") &&
        strstr(msg, "next attempt in")) {
        atomic_fetch_add(&s->takeover_errors, 1);
    }
    if (level <= MQP_LOG_NOTICE) {
        fprintf(stderr, "    [%s] %s\n", mqp_log_level_name(level), msg);
    }
}

static void on_lost(mqp_client *c, mqp_err reason, void *user)
{
    (void)c;
    if (reason == MQP_ERR_TAKEN_OVER) {
        atomic_fetch_add(&((said *)user)->lost_taken_over, 1);
    }
}

static mqp_client *twin(const char *url, said *s)
{
    mqp_client_opts o = test_opts(url, "twin");
    o.log_cb = log_cb;
    o.log_user = s;
    o.log_level = MQP_LOG_DEBUG;
    o.reconnect_min_ms = 100;
    o.reconnect_max_ms = 200; /* Takeover waits from 200 ms to 2.4 s; settled after 4.8 s. */
    o.on_disconnected = on_lost;
    o.cb_user = s;
    return test_client(&o);
}

static uint64_t takeovers_of(mqp_client *c)
{
    mqp_client_stats st;
    mqp_client_stats_get(c, &st);
    return st.takeovers;
}

/* Lines of the broker's log that say it closed an older connection of "twin". */
static int broker_takeovers(const test_broker *b)
{
    FILE *f = fopen(b->log, "r");
    int n = 0;
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        n += strstr(line, "Client twin already connected") != NULL;
    }
    if (f) {
        fclose(f);
    }
    return n;
}

/* The last health message on system/health/twin, as an observer saw it. */
static bool health_is(collector *h, const char *want)
{
    size_t n = collector_count(h);
    return n > 0 && strcmp(collector_get(h, n - 1).payload, want) == 0;
}

static void fight(const char *protocol)
{
    test_broker b;
    broker_start(&b, NULL);
    char url[128];
    snprintf(url, sizeof url, "%s?protocol=%s", b.url, protocol);
    mqp_client_opts oo = test_opts(b.url, "observer");
    oo.no_health = true;
    mqp_client *observer = test_client(&oo);
    collector *health = collector_new();
    assert_ok(mqp_client_subscribe(observer, "system/health/twin", 1, collector_cb, health));
    assert_ok(mqp_client_sync(observer, 5000));

    said sa = {0}, sb = {0};
    mqp_client *a = twin(url, &sa);
    mqp_client *bb = twin(url, &sb);
    /* Both tell: by error line, by callback, by counter; health says the id is contested. */
    assert_true(wait_for(
        atomic_load(&sa.takeover_errors) > 0 && atomic_load(&sb.takeover_errors) > 0, 15000));
    assert_true(takeovers_of(a) > 0 && takeovers_of(bb) > 0); /* Counted before the log line. */
    /* on_disconnected runs later, on the dispatch thread. */
    assert_true(wait_for(
        atomic_load(&sa.lost_taken_over) > 0 && atomic_load(&sb.lost_taken_over) > 0, 5000));
    assert_true(wait_for(health_is(health, "{\"ok\":false,\"event\":\"session_taken_over\","
                                           "\"err\":\"client id 'twin' is in use by another "
                                           "client\"}"),
                         10000));
    /* They back off: without it, with reconnect delays of 100-200 ms, the session changed
     * hands about 100 times in 8 s; with it, the waits grow to 2.4 s. */
    int before = broker_takeovers(&b);
    mqpx_sleep_ms(8000);
    int during = broker_takeovers(&b) - before;
    fprintf(stderr, "    MQTT %s: %d takeovers in 8 s of fighting\n", protocol, during);
    assert_true(during < 40);
    /* One goes: the other settles, and health is good again. */
    mqp_client_destroy(bb);
    assert_true(wait_for(mqp_client_is_connected(a) &&
                             health_is(health, "{\"ok\":true,\"event\":\"reconnected\"}"),
                         15000));
    mqp_client_destroy(a);
    mqp_client_destroy(observer);
    collector_free(health);
    broker_cleanup(&b);
}

static void test_mqp_client_takeover_mqtt5(void **state)
{
    (void)state;
    fight("5");
}

static void test_mqp_client_takeover_mqtt311(void **state)
{
    (void)state;
    fight("311");
}

static void test_mqp_client_takeover_memory_says_why(void **state)
{
    (void)state;
    said sa = {0}, sb = {0};
    mqp_client *a = twin("memory://takeover", &sa);
    mqp_client *bb = twin("memory://takeover", &sb);
    assert_true(wait_for(atomic_load(&sa.lost_taken_over) == 1, 3000));
    assert_int_equal(takeovers_of(a), 1);
    assert_int_equal(takeovers_of(bb), 0);
    char err[512];
    mqp_client_last_error(a, err, sizeof err);
    assert_non_null(strstr(err, "client id 'twin' is in use by another client"));
    mqp_client_destroy(bb);
    mqp_client_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_client_takeover_memory_says_why),
        cmocka_unit_test(test_mqp_client_takeover_mqtt5),
        cmocka_unit_test(test_mqp_client_takeover_mqtt311),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
