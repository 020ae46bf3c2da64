/* Reconnection against a real mosquitto: kill and restart, subscriptions restored, the
 * session resumed so QoS 1 messages sent during the outage arrive, a stale session from an
 * earlier process discarded, and clear errors while the broker is away. */
#define _GNU_SOURCE
#include "broker.h"
#include "check.h"
#include "collector.h"

#include "mqplane/client.h"

#include <mosquitto.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct events {
    atomic_int connected;
    atomic_int reconnected;
    atomic_int disconnected;
    atomic_bool off_thread;
    pthread_t test_thread;
} events;

static void on_connected(mqp_client *c, bool reconnect, void *user)
{
    (void)c;
    events *e = user;
    atomic_fetch_add(reconnect ? &e->reconnected : &e->connected, 1);
    atomic_store(&e->off_thread, !pthread_equal(pthread_self(), e->test_thread));
}

static void on_disconnected(mqp_client *c, mqp_err reason, void *user)
{
    (void)c;
    (void)reason;
    atomic_fetch_add(&((events *)user)->disconnected, 1);
}

static void test_mqp_client_reconnect_after_broker_kill(void **state)
{
    (void)state;
    test_broker b;
    broker_start(&b, NULL);
    events ev = {.test_thread = pthread_self()};
    mqp_client_opts o = test_opts(b.url, "survivor");
    o.on_connected = on_connected;
    o.on_disconnected = on_disconnected;
    o.cb_user = &ev;
    mqp_client *c = test_client(&o);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(c, "cmd/#", 1, collector_cb, col));
    assert_true(wait_for(atomic_load(&ev.connected) == 1, 2000));

    broker_kill(&b);
    assert_true(wait_for(!mqp_client_is_connected(c), 3000));
    assert_true(wait_for(atomic_load(&ev.disconnected) == 1, 2000));
    /* QoS 1 published while offline is kept and sent after the reconnection. */
    assert_ok(mqp_client_publish(c, "cmd/from-self", "queued", 6, 1, false));
    assert_rc(mqp_client_publish(c, "cmd/qos0", "lost", 4, 0, false), MQP_ERR_NO_CONN);
    broker_restart(&b);
    assert_true(wait_for(mqp_client_is_connected(c), 5000));
    assert_true(wait_for(atomic_load(&ev.reconnected) == 1, 2000));
    assert_true(atomic_load(&ev.off_thread));

    /* The subscription was restored: a message from another client arrives. */
    mqp_client_opts po = test_opts(b.url, "pub-after");
    po.no_health = true;
    mqp_client *pub = test_client(&po);
    assert_ok(mqp_client_publish(pub, "cmd/after", "hello", 5, 1, false));
    assert_true(wait_for(collector_count(col) == 2, 3000));
    bool saw_queued = false, saw_after = false;
    for (size_t i = 0; i < collector_count(col); i++) {
        collected m = collector_get(col, i);
        saw_queued |= strcmp(m.payload, "queued") == 0;
        saw_after |= strcmp(m.payload, "after") == 0 || strcmp(m.payload, "hello") == 0;
    }
    assert_true(saw_queued);
    assert_true(saw_after);

    mqp_client_stats s;
    mqp_client_stats_get(c, &s);
    assert_int_equal(s.reconnects, 1);
    assert_int_equal(s.connects, 2);
    assert_int_equal(s.publish_failed, 1);
    assert_true(broker_log_contains(&b, "survivor"));
    mqp_client_destroy(pub);
    mqp_client_destroy(c);
    collector_free(col);
    broker_cleanup(&b);
}

static void test_mqp_client_reconnect_delivers_messages_from_outage(void **state)
{
    (void)state;
    /* The client's port is A; a publisher's port is B. During the outage the broker runs
     * with B only, so the client cannot come back while the messages are published to its
     * session; then A is opened again. No timing is involved. */
    test_broker b;
    broker_start(&b, NULL);
    int port_b = broker_free_port();
    char both[160], only_b[64];
    snprintf(both, sizeof both, "listener %d 127.0.0.1\nlistener %d 127.0.0.1", b.port, port_b);
    snprintf(only_b, sizeof only_b, "listener %d 127.0.0.1", port_b);
    char url_b[64];
    snprintf(url_b, sizeof url_b, "mqtt://127.0.0.1:%d", port_b);

    mqp_client_opts o = test_opts(b.url, "sleeper");
    mqp_client *c = test_client(&o);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(c, "orders/#", 1, collector_cb, col));
    assert_ok(mqp_client_sync(c, 5000)); /* The broker has the (un)subscriptions. */

    broker_stop(&b);
    broker_restart_with(&b, only_b, port_b);
    mqp_client_opts po = test_opts(url_b, "orders-pub");
    po.no_health = true;
    mqp_client *pub = test_client(&po);
    char payload[16];
    for (int i = 0; i < 5; i++) {
        int n = snprintf(payload, sizeof payload, "order-%d", i);
        assert_ok(mqp_client_publish(pub, "orders/new", payload, (size_t)n, 1, false));
    }
    assert_ok(mqp_client_shutdown(pub)); /* Returns once the broker acknowledged all five. */
    mqp_client_destroy(pub);
    assert_int_equal(collector_count(col), 0);
    assert_false(mqp_client_is_connected(c));

    broker_stop(&b);
    broker_restart_with(&b, both, b.port);
    assert_true(wait_for(collector_count(col) == 5, 8000));
    for (int i = 0; i < 5; i++) {
        snprintf(payload, sizeof payload, "order-%d", i);
        assert_string_equal(collector_get(col, (size_t)i).payload, payload);
    }
    mqp_client_destroy(c);
    collector_free(col);
    broker_cleanup(&b);
}

static void test_mqp_client_first_connect_discards_stale_session(void **state)
{
    (void)state;
    test_broker b;
    broker_start(&b, NULL);
    /* An earlier process left a persistent session with a subscription, and messages queued
     * for it while it was gone. */
    mosquitto_lib_init();
    struct mosquitto *old = mosquitto_new("reborn", false, NULL);
    assert_non_null(old);
    assert_int_equal(mosquitto_connect(old, "127.0.0.1", b.port, 60), MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_subscribe(old, NULL, "stale/#", 1), MOSQ_ERR_SUCCESS);
    for (int i = 0; i < 5; i++) {
        mosquitto_loop(old, 50, 1);
    }
    mosquitto_disconnect(old);
    mosquitto_loop(old, 50, 1);
    mosquitto_destroy(old);
    mqp_client_opts po = test_opts(b.url, "stale-pub");
    po.no_health = true;
    mqp_client *pub = test_client(&po);
    assert_ok(mqp_client_publish(pub, "stale/x", "old", 3, 1, false));
    assert_ok(mqp_client_shutdown(pub));
    mqp_client_destroy(pub);

    /* The new process with the same id starts clean: the old message never arrives. */
    mqp_client_opts o = test_opts(b.url, "reborn");
    mqp_client *c = test_client(&o);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(c, "stale/#", 1, collector_cb, col));
    assert_ok(mqp_client_publish(c, "stale/x", "new", 3, 1, false));
    assert_true(wait_for(collector_count(col) == 1, 3000));
    mqpx_sleep_ms(300);
    assert_int_equal(collector_count(col), 1);
    assert_string_equal(collector_get(col, 0).payload, "new");
    mqp_client_destroy(c);
    collector_free(col);
    broker_cleanup(&b);
}

/* Marks a step on stderr, so a test that hangs says where. */
#define STEP(s) fprintf(stderr, "  step: %s\n", s)

static void test_mqp_client_connect_while_broker_down(void **state)
{
    (void)state;
    test_broker b;
    STEP("start and stop a broker");
    broker_start(&b, NULL);
    broker_stop(&b);
    mqp_client_opts o = test_opts(b.url, "early-bird");
    mqp_client *c = NULL;
    assert_ok(mqp_client_new(&c, &o));
    STEP("connect with the broker down");
    assert_rc(mqp_client_connect(c, 600), MQP_ERR_TIMEOUT);
    char err[512];
    mqp_client_last_error(c, err, sizeof err);
    assert_non_null(strstr(err, "connection refused by mqtt://127.0.0.1:"));
    mqp_client_stats s;
    mqp_client_stats_get(c, &s);
    assert_true(s.connect_failures >= 1);
    /* It keeps trying in the background and gets there once the broker is up. */
    STEP("restart the broker");
    broker_restart(&b);
    STEP("connect again");
    assert_ok(mqp_client_connect(c, 5000));
    STEP("destroy");
    mqp_client_destroy(c);
    broker_cleanup(&b);
}

/* A broker that takes the TCP connection and says nothing (stopped with SIGSTOP): the timeout
 * says so, naming the broker, and the attempt completes once the broker wakes up. */
static void test_mqp_client_connect_hung_broker(void **state)
{
    (void)state;
    test_broker b;
    broker_start(&b, NULL);
    char url[128];
    snprintf(url, sizeof url, "mqtt://watcher:s3cret@127.0.0.1:%d", b.port);
    mqp_client_opts o = test_opts(url, "patient");
    mqp_client *c = NULL;
    assert_ok(mqp_client_new(&c, &o));
    assert_int_equal(kill(b.pid, SIGSTOP), 0);
    assert_rc(mqp_client_connect(c, 600), MQP_ERR_TIMEOUT);
    char err[512], want[128];
    mqp_client_last_error(c, err, sizeof err);
    snprintf(want, sizeof want, "no answer from mqtt://watcher:***@127.0.0.1:%d within 0.6 s",
             b.port);
    if (!strstr(err, want)) {
        fail_msg("last error '%s', expected '%s'", err, want);
    }
    assert_null(strstr(err, "s3cret"));
    assert_int_equal(kill(b.pid, SIGCONT), 0);
    assert_ok(mqp_client_connect(c, 5000));
    mqp_client_destroy(c);
    broker_cleanup(&b);
}

static void test_mqp_client_connect_wrong_password(void **state)
{
    (void)state;
    test_broker b;
    broker_start(&b, NULL);
    /* A broker that requires a password file, with one user. */
    char pwfile[320], cmd[700];
    snprintf(pwfile, sizeof pwfile, "%s/passwd", b.dir);
    snprintf(cmd, sizeof cmd, "mosquitto_passwd -b -c '%s' operator right-one", pwfile);
    assert_int_equal(system(cmd), 0);
    broker_stop(&b);
    char listeners[700];
    snprintf(listeners, sizeof listeners,
             "per_listener_settings true\nlistener %d 127.0.0.1\nallow_anonymous false\n"
             "password_file %s",
             b.port, pwfile);
    broker_restart_with(&b, listeners, b.port);
    char url[128];
    snprintf(url, sizeof url, "mqtt://operator:wrong-one@127.0.0.1:%d", b.port);
    mqp_client_opts o = test_opts(url, "intruder");
    o.log_cb = NULL;
    mqp_client *c = NULL;
    assert_ok(mqp_client_new(&c, &o));
    int64_t t0 = mqpx_mono_ms();
    assert_rc(mqp_client_connect(c, 5000), MQP_ERR_AUTH);
    assert_true(mqpx_mono_ms() - t0 < 4000); /* Said at once, not after the timeout. */
    char err[512];
    mqp_client_last_error(c, err, sizeof err);
    assert_non_null(strstr(err, "refused the connection"));
    assert_non_null(strstr(err, "operator:***@127.0.0.1"));
    assert_null(strstr(err, "wrong-one"));
    mqp_client_destroy(c);

    snprintf(url, sizeof url, "mqtt://operator:right-one@127.0.0.1:%d", b.port);
    o = test_opts(url, "operator-1");
    c = test_client(&o);
    mqp_client_destroy(c);
    broker_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_client_reconnect_after_broker_kill),
        cmocka_unit_test(test_mqp_client_reconnect_delivers_messages_from_outage),
        cmocka_unit_test(test_mqp_client_first_connect_discards_stale_session),
        cmocka_unit_test(test_mqp_client_connect_while_broker_down),
        cmocka_unit_test(test_mqp_client_connect_hung_broker),
        cmocka_unit_test(test_mqp_client_connect_wrong_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
