/* mqplane exporter's model (src/cli/cli_exporter_model.c): what the nodes' messages become in
 * the Prometheus text: label values escaped, counters exact, a client's node by its id, bad
 * input counted and left out. (tests/cli/exporter.sh runs the whole exporter, with promtool.) */
#include "check.h"

#include "cli_exporter_model.h"

#include <stdlib.h>
#include <string.h>

static char *render(exp_model *m)
{
    size_t len = 0;
    char *text = exp_model_render(m, 100, true, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

#define FEED(fn, m, who, json) fn((m), (who), (json), strlen(json))

static void test_exporter_model_labels_and_values(void **state)
{
    (void)state;
    static exp_model m;
    exp_model_init(&m);
    FEED(exp_model_status, &m, "cam\"1\\", "{\"status\":\"running\"}");
    FEED(exp_model_metrics, &m, "",
         "{\"throughput_fps\":29.5,\"latency_reports\":[{\"source_id\":1,"
         "\"e2e_latency_ms\":12.5,\"detector_runs\":12345678901}],"
         "\"data_plane\":{\"published\":9007199254740000,\"dropped\":3}}");
    FEED(exp_model_detections, &m, "",
         "{\"detections\":[{},{}],\"frame\":{\"source_id\":1,\"frame_id\":1}}");
    char *t = render(&m);
    assert_non_null(strstr(t, "mqplane_node_status{node=\"cam\\\"1\\\\\",status=\"running\"} 1\n"));
    assert_non_null(strstr(t, "mqplane_node_up{node=\"cam\\\"1\\\\\"} 1\n"));
    assert_non_null(strstr(t, "mqplane_node_fps{node=\"default\"} 29.5\n"));
    assert_non_null(
        strstr(t, "mqplane_source_e2e_latency_seconds{node=\"default\",source=\"1\"} 0.0125\n"));
    assert_non_null(strstr(
        t, "mqplane_source_detector_runs_total{node=\"default\",source=\"1\"} 12345678901\n"));
    assert_non_null(strstr(t, "mqplane_node_published_total{node=\"default\"} 9007199254740000\n"));
    assert_non_null(
        strstr(t, "mqplane_source_detections_total{node=\"default\",source=\"1\"} 2\n"));
    /* A node with no status has no up or status series; one with no metrics no fps. */
    assert_null(strstr(t, "mqplane_node_up{node=\"default\"}"));
    assert_null(strstr(t, "mqplane_node_fps{node=\"cam"));
    free(t);
    exp_model_free(&m);
}

static void test_exporter_model_health_and_bad_input(void **state)
{
    (void)state;
    static exp_model m;
    exp_model_init(&m);
    FEED(exp_model_health, &m, "inference_control-cam2", "{\"ok\":true,\"event\":\"ready\"}");
    FEED(exp_model_health, &m, "inference_data", "{\"ok\":true,\"event\":\"reconnected\"}");
    FEED(exp_model_health, &m, "inference_dataX", "{\"ok\":false,\"event\":\"lost\"}");
    FEED(exp_model_status, &m, "x", "not json");
    FEED(exp_model_metrics, &m, "x", "[1]");
    char *t = render(&m);
    assert_non_null(strstr(
        t,
        "mqplane_health_ok{client=\"inference_control-cam2\",node=\"cam2\",event=\"ready\"} 1\n"));
    assert_non_null(strstr(
        t,
        "mqplane_health_ok{client=\"inference_data\",node=\"default\",event=\"reconnected\"} 1\n"));
    assert_non_null(
        strstr(t, "mqplane_health_ok{client=\"inference_dataX\",node=\"\",event=\"lost\"} 0\n"));
    assert_non_null(strstr(t, "mqplane_health_reconnects_total{client=\"inference_data\"} 1\n"));
    assert_non_null(strstr(t, "mqplane_exporter_bad_messages_total 2\n"));
    assert_null(strstr(t, "node=\"x\"")); /* Bad messages make no node. */
    free(t);
    exp_model_free(&m);
}

static void test_exporter_model_broker_sys(void **state)
{
    (void)state;
    static exp_model m;
    exp_model_init(&m);
    FEED(exp_model_sys, &m, "$SYS/broker/uptime", "120 seconds");
    FEED(exp_model_sys, &m, "$SYS/broker/clients/connected", "7");
    FEED(exp_model_sys, &m, "$SYS/broker/version", "mosquitto version 2.0.11"); /* Not a figure. */
    FEED(exp_model_sys, &m, "$SYS/broker/messages/received", "n/a");            /* Not a number. */
    FEED(exp_model_sys, &m, "other/uptime", "5");
    char *t = render(&m);
    assert_non_null(strstr(t, "mqplane_broker_uptime_seconds 120\n"));
    assert_non_null(strstr(t, "mqplane_broker_clients_connected 7\n"));
    assert_non_null(strstr(t, "mqplane_broker_restarts_total 0\n"));
    assert_null(strstr(t, "mqplane_broker_messages_received_total"));
    free(t);
    FEED(exp_model_sys, &m, "$SYS/broker/uptime", "3 seconds"); /* Back: it restarted. */
    t = render(&m);
    assert_non_null(strstr(t, "mqplane_broker_restarts_total 1\n"));
    free(t);
    exp_model_free(&m);
}

static void test_exporter_model_migration(void **state)
{
    (void)state;
    static exp_model m;
    exp_model_init(&m);
    char *t = render(&m);
    assert_null(strstr(t, "mqplane_migration_")); /* Not migrating: nothing of it. */
    free(t);
    exp_migration g = {.on = true, .current = "v1", .previous = "", .n = 2};
    g.st[0] = (mqp_migration_stat){.name = "voice", .received = {21, 63}, .previous_age_s = 1.5};
    g.st[1] = (mqp_migration_stat){.name = "alerts", .received = {4, 0}, .previous_age_s = -1};
    exp_model_migration(&m, &g);
    t = render(&m);
    assert_non_null(strstr(t, "mqplane_migration_info{current=\"v1\",previous=\"legacy\"} 1\n"));
    assert_non_null(strstr(t, "mqplane_migration_messages_received_total{template=\"voice\","
                              "layout=\"v1\",role=\"current\"} 21\n"));
    assert_non_null(strstr(t, "mqplane_migration_messages_received_total{template=\"voice\","
                              "layout=\"legacy\",role=\"previous\"} 63\n"));
    assert_non_null(strstr(t, "mqplane_migration_messages_received_total{template=\"alerts\","
                              "layout=\"legacy\",role=\"previous\"} 0\n"));
    assert_non_null(
        strstr(t, "mqplane_migration_previous_last_message_seconds{template=\"voice\"} 1.5\n"));
    assert_null(strstr(t, "mqplane_migration_previous_last_message_seconds{template=\"alerts\"}"));
    assert_non_null(strstr(t, "mqplane_migration_previous_droppable 0\n"));
    free(t);
    exp_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exporter_model_labels_and_values),
        cmocka_unit_test(test_exporter_model_health_and_bad_input),
        cmocka_unit_test(test_exporter_model_broker_sys),
        cmocka_unit_test(test_exporter_model_migration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
