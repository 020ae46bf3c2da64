/* The last will: a client process killed with SIGKILL is reported "lost" by the broker;
 * an orderly shutdown leaves "shutdown" and no will. */
#define _GNU_SOURCE
#include "broker.h"
#include "check.h"
#include "collector.h"

#include "mqplane/client.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MQP_TEST_PEER
#error "MQP_TEST_PEER must name the peer program"
#endif

/* Starts the peer program as a separate process and waits until it says it is connected. */
static pid_t start_peer(const char *url, const char *id)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execl(MQP_TEST_PEER, MQP_TEST_PEER, url, id, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char buf[16] = {0};
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    if (n <= 0 || strncmp(buf, "ready", 5) != 0) {
        fail_msg("peer did not connect to %s", url);
    }
    return pid;
}

static const char *health_of(collector *col, const char *topic)
{
    static char last[512];
    last[0] = '\0';
    for (size_t i = 0; i < collector_count(col); i++) {
        collected m = collector_get(col, i);
        if (strcmp(m.topic, topic) == 0) {
            snprintf(last, sizeof last, "%s", m.payload);
        }
    }
    return last;
}

static void test_mqp_client_will_on_sigkill(void **state)
{
    (void)state;
    test_broker b;
    broker_start(&b, NULL);
    mqp_client_opts o = test_opts(b.url, "watcher");
    o.no_health = true;
    mqp_client *w = test_client(&o);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(w, "system/health/+", 1, collector_cb, col));

    pid_t victim = start_peer(b.url, "victim");
    assert_true(wait_for(
        strcmp(health_of(col, "system/health/victim"), "{\"ok\":true,\"event\":\"ready\"}") == 0,
        3000));
    kill(victim, SIGKILL);
    waitpid(victim, NULL, 0);
    assert_true(wait_for(
        strcmp(health_of(col, "system/health/victim"), "{\"ok\":false,\"event\":\"lost\"}") == 0,
        5000));

    /* A late subscriber sees the retained verdict. */
    o = test_opts(b.url, "late-watcher");
    o.no_health = true;
    mqp_client *late = test_client(&o);
    collector *late_col = collector_new();
    assert_ok(mqp_client_subscribe(late, "system/health/victim", 1, collector_cb, late_col));
    assert_true(wait_for(collector_count(late_col) == 1, 3000));
    collected m = collector_get(late_col, 0);
    assert_string_equal(m.payload, "{\"ok\":false,\"event\":\"lost\"}");
    assert_true(m.retain);

    /* An orderly shutdown: "shutdown", and the will never fires. */
    o = test_opts(b.url, "orderly");
    mqp_client *orderly = test_client(&o);
    assert_true(wait_for(
        strcmp(health_of(col, "system/health/orderly"), "{\"ok\":true,\"event\":\"ready\"}") == 0,
        3000));
    mqp_client_destroy(orderly);
    assert_true(wait_for(strcmp(health_of(col, "system/health/orderly"),
                                "{\"ok\":false,\"event\":\"shutdown\"}") == 0,
                         3000));
    mqpx_sleep_ms(500);
    assert_string_equal(health_of(col, "system/health/orderly"),
                        "{\"ok\":false,\"event\":\"shutdown\"}");
    assert_true(broker_log_contains(&b, "orderly disconnected"));

    mqp_client_destroy(late);
    mqp_client_destroy(w);
    collector_free(col);
    collector_free(late_col);
    broker_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_client_will_on_sigkill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
