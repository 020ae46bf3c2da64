/* The memory:// broker's query API, for users who test their services without a broker. */
#include "check.h"
#include "collector.h"
#include "broker.h"

#include "mqplane/client.h"
#include "mqplane/memory.h"

#include <string.h>

static bool count_display(const mqp_memory_message *m, void *user)
{
    int *n = user;
    if (strstr(m->payload, "light_control")) {
        (*n)++;
    }
    return true;
}

static bool count_lost(const mqp_memory_message *m, void *user)
{
    if (strcmp(m->payload, "{\"ok\":false,\"event\":\"lost\"}") == 0) {
        (*(int *)user)++;
    }
    return true;
}

static bool stop_at_first(const mqp_memory_message *m, void *user)
{
    (void)m;
    (*(int *)user)++;
    return false;
}

static void test_mqp_memory_published_queries(void **state)
{
    (void)state;
    assert_int_equal(mqp_memory_published("never-used", "#", NULL, NULL), 0);
    assert_int_equal(mqp_memory_published(NULL, "#", NULL, NULL), 0);
    mqp_client_opts o = test_opts("memory://query", "gateway");
    o.no_health = true;
    mqp_client *c = test_client(&o);
    const char *da = "{\"type\":\"light_control\",\"data\":{}}";
    assert_ok(mqp_client_publish(c, "v1/va/room/salon/session/a/display_action", da, strlen(da), 1,
                                 false));
    assert_ok(mqp_client_publish(c, "v1/va/room/salon/session/a/state", "{}", 2, 1, true));
    assert_ok(mqp_client_publish(c, "v1/va/room/kitchen/session/b/display_action", da, strlen(da),
                                 0, false));
    /* Nobody subscribed, yet everything is on record. */
    int n = 0;
    assert_int_equal(
        mqp_memory_published("query", "+/+/room/+/session/+/display_action", count_display, &n), 2);
    assert_int_equal(n, 2);
    assert_int_equal(mqp_memory_published("query", "#", NULL, NULL), 3);
    assert_int_equal(mqp_memory_published("query", "v1/va/room/salon/#", NULL, NULL), 2);
    n = 0;
    assert_int_equal(mqp_memory_published("query", "#", stop_at_first, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(mqp_memory_retained("query", "#", NULL, NULL), 1);

    /* An empty retained payload clears the retained message, as on a real broker. */
    assert_ok(mqp_client_publish(c, "v1/va/room/salon/session/a/state", "", 0, 1, true));
    assert_int_equal(mqp_memory_retained("query", "#", NULL, NULL), 0);

    mqp_client_destroy(c);
    assert_int_equal(mqp_memory_published("query", "#", NULL, NULL), 4); /* Outlives clients. */
    mqp_memory_reset("query");
    assert_int_equal(mqp_memory_published("query", "#", NULL, NULL), 0);
}

static void test_mqp_memory_brokers_are_separate(void **state)
{
    (void)state;
    mqp_client_opts o = test_opts("memory://room-a", "a");
    mqp_client *a = test_client(&o);
    o = test_opts("memory://room-b", "b");
    mqp_client *b = test_client(&o);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(b, "#", 0, collector_cb, col));
    assert_ok(mqp_client_publish(a, "x", "1", 1, 0, false));
    mqpx_sleep_ms(50);
    size_t seen = 0;
    for (size_t i = 0; i < collector_count(col); i++) {
        seen += strcmp(collector_get(col, i).topic, "x") == 0;
    }
    assert_int_equal(seen, 0);
    mqp_client_destroy(a);
    mqp_client_destroy(b);
    collector_free(col);
}

static void test_mqp_memory_same_id_takes_over_and_will_fires(void **state)
{
    (void)state;
    mqp_client_opts o = test_opts("memory://takeover", "svc");
    mqp_client *first = test_client(&o);
    mqp_client *second = test_client(&o);
    assert_true(wait_for(!mqp_client_is_connected(first), 2000));
    assert_true(mqp_client_is_connected(second));
    /* The first was dropped, not shut down, so its will fired before the second's "ready". */
    int lost = 0;
    mqp_memory_published("takeover", "system/health/svc", count_lost, &lost);
    assert_int_equal(lost, 1);
    int retained_lost = 0;
    mqp_memory_retained("takeover", "system/health/svc", count_lost, &retained_lost);
    assert_int_equal(retained_lost, 0); /* The second's "ready" replaced it. */
    mqp_client_destroy(second);
    mqp_client_destroy(first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_memory_published_queries),
        cmocka_unit_test(test_mqp_memory_brokers_are_separate),
        cmocka_unit_test(test_mqp_memory_same_id_takes_over_and_will_fires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
