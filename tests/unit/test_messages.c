/* The data plane's messages: exact JSON for fixed inputs, and the field types a client of the
 * reference expects. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include "mqplane/controlplane.h"
#include "mqplane/dataplane.h"

#include "alloc.h"
#include "controlplane_answer.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int utc(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    return 0;
}

static void test_mqp_iso8601_format(void **state)
{
    (void)state;
    char buf[40];
    assert_int_equal(mqp_iso8601(1705314600.123456, buf, sizeof buf), 26);
    assert_string_equal(buf, "2024-01-15T10:30:00.123456");
    mqp_iso8601(1705314600.9999996, buf, sizeof buf); /* Rounds into the next second. */
    assert_string_equal(buf, "2024-01-15T10:30:01.000000");
    assert_int_equal(mqp_iso8601(1.0, buf, 10), 0);
}

static void test_mqp_detections_json_exact(void **state)
{
    (void)state;
    mqp_detection d[2] = {
        {"person", 0.95, 100, 200, 50, 100, 0, -1},
        {"motion", 0.5, 1, 2, 3, 4, -1, 7},
    };
    mqp_frame_info f = {456, 0, 1704106800.0};
    char *json;
    size_t len;
    assert_ok(mqp_detections_json(123, 1704106800.5, d, 2, &f, NULL, &json, &len));
    assert_string_equal(
        json, "{\"timestamp\":\"2024-01-01T11:00:00.500000\",\"message_id\":123,"
              "\"detection_count\":2,\"detections\":["
              "{\"class\":\"person\",\"confidence\":0.95,"
              "\"bbox\":{\"x\":100,\"y\":200,\"width\":50,\"height\":100},\"class_id\":0},"
              "{\"class\":\"motion\",\"confidence\":0.5,"
              "\"bbox\":{\"x\":1,\"y\":2,\"width\":3,\"height\":4},\"class_id\":null,"
              "\"track_id\":7}],"
              "\"frame\":{\"frame_id\":456,\"source_id\":0,"
              "\"timestamp\":\"2024-01-01T11:00:00.000000\"}}");
    assert_int_equal(len, strlen(json));
    mqp_free(json);

    mqp_roi_info roi = {80, 60, 200, 100, 80, 60};
    assert_ok(mqp_detections_json(1, 1704106800.0, NULL, 0, &f, &roi, &json, NULL));
    assert_non_null(strstr(json, "\"detection_count\":0,\"detections\":[]"));
    assert_non_null(strstr(json, ",\"roi_metrics\":{\"roi_enabled\":true,\"roi_box\":{\"x\":80,"
                                 "\"y\":60,\"width\":200,\"height\":100},\"crop_offset_x\":80,"
                                 "\"crop_offset_y\":60}}"));
    mqp_free(json);
    assert_rc(mqp_detections_json(1, 0, NULL, 1, &f, NULL, &json, NULL), MQP_ERR_INVALID);
    assert_rc(mqp_detections_json(1, 0, NULL, 0, NULL, NULL, &json, NULL), MQP_ERR_INVALID);
}

/* The batch form writes the same message, and the detector on each detection when it is set. */
static void test_mqp_detections_batch_json_detector(void **state)
{
    (void)state;
    mqp_detection d[2] = {
        {"person", 0.95, 100, 200, 50, 100, 0, -1},
        {"car", 0.5, 1, 2, 3, 4, 2, 7},
    };
    mqp_frame_info f = {456, 0, 1704106800.0};
    char *plain, *batch;
    assert_ok(mqp_detections_json(3, 1704106800.5, d, 2, &f, NULL, &plain, NULL));
    mqp_detections_batch b = {.detections = d, .count = 2, .frame = &f};
    assert_ok(mqp_detections_batch_json(3, 1704106800.5, &b, &batch, NULL));
    assert_string_equal(plain, batch);
    mqp_free(batch);
    b.detector = "h\"og";
    assert_ok(mqp_detections_batch_json(3, 1704106800.5, &b, &batch, NULL));
    assert_non_null(strstr(batch, "\"class_id\":0,\"detector\":\"h\\\"og\"},"));
    assert_non_null(strstr(batch, "\"track_id\":7,\"detector\":\"h\\\"og\"}]"));
    mqp_free(batch);
    mqp_free(plain);
    assert_rc(mqp_detections_batch_json(3, 0, NULL, &batch, NULL), MQP_ERR_INVALID);
}

static void test_mqp_detections_json_types(void **state)
{
    (void)state;
    mqp_detection d = {"ca\"r", 1.0, 10, 20, 30, 40, 2, 12};
    mqp_frame_info f = {9, 1, 1704106800.25};
    mqp_roi_info roi = {0, 0, 640, 480, 0, 0};
    char *json;
    assert_ok(mqp_detections_json(5, 1704106800.5, &d, 1, &f, &roi, &json, NULL));
    cJSON *r = cJSON_Parse(json);
    assert_non_null(r);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(r, "timestamp")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(r, "message_id")));
    assert_int_equal(cJSON_GetObjectItem(r, "detection_count")->valueint, 1);
    cJSON *det = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "detections"), 0);
    assert_string_equal(cJSON_GetObjectItem(det, "class")->valuestring, "ca\"r");
    /* 1.0 stays a float on the wire, as Python writes it. */
    assert_non_null(strstr(json, "\"confidence\":1.0"));
    cJSON *bbox = cJSON_GetObjectItem(det, "bbox");
    assert_int_equal(cJSON_GetObjectItem(bbox, "height")->valueint, 40);
    assert_int_equal(cJSON_GetObjectItem(det, "class_id")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(det, "track_id")->valueint, 12);
    cJSON *frame = cJSON_GetObjectItem(r, "frame");
    assert_int_equal(cJSON_GetObjectItem(frame, "frame_id")->valueint, 9);
    assert_int_equal(cJSON_GetObjectItem(frame, "source_id")->valueint, 1);
    assert_string_equal(cJSON_GetObjectItem(frame, "timestamp")->valuestring,
                        "2024-01-01T11:00:00.250000");
    cJSON *rm = cJSON_GetObjectItem(r, "roi_metrics");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rm, "roi_enabled")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(rm, "roi_box")));
    cJSON_Delete(r);
    mqp_free(json);
}

static void test_mqp_metrics_json_exact(void **state)
{
    (void)state;
    mqp_latency_report rep[2] = {{.source_id = 0,
                                  .frame_decoding_latency_ms = 10.5,
                                  .inference_latency_ms = 45.2,
                                  .e2e_latency_ms = 60.8},
                                 {.source_id = 1,
                                  .frame_decoding_latency_ms = 0.0,
                                  .inference_latency_ms = 3.0,
                                  .e2e_latency_ms = 1e300 * 1e300,
                                  .frames_skipped = 17}};
    mqp_metrics_report m = {
        .throughput_fps = 25.3, .reports = rep, .nreports = 2, .sources_count = 2};
    char *json;
    assert_ok(mqp_metrics_json(1704106800.0, &m, &json, NULL));
    assert_string_equal(json, "{\"timestamp\":\"2024-01-01T11:00:00.000000\","
                              "\"throughput_fps\":25.3,\"latency_reports\":["
                              "{\"source_id\":0,\"frame_decoding_latency_ms\":10.5,"
                              "\"inference_latency_ms\":45.2,\"e2e_latency_ms\":60.8,"
                              "\"frames_skipped\":0},"
                              "{\"source_id\":1,\"frame_decoding_latency_ms\":0.0,"
                              "\"inference_latency_ms\":3.0,\"e2e_latency_ms\":null,"
                              "\"frames_skipped\":17}],"
                              "\"sources_count\":2}");
    cJSON *r = cJSON_Parse(json);
    assert_non_null(r);
    cJSON_Delete(r);
    mqp_free(json);

    mqp_detector_report dr[2] = {{"hog", 100, 2, 50}, {NULL, 0, 0, 0}};
    m.detectors = dr;
    assert_ok(mqp_metrics_json(1704106800.0, &m, &json, NULL));
    assert_non_null(strstr(json, "\"frames_skipped\":0,\"detector\":\"hog\",\"detector_runs\":100,"
                                 "\"detector_failures\":2,\"detector_skipped\":50},"));
    assert_non_null(strstr(json, "\"frames_skipped\":17,\"detector\":\"unknown\","));
    mqp_free(json);
    m.reserved[0] = 1; /* A field this library does not know. */
    assert_rc(mqp_metrics_json(0, &m, &json, NULL), MQP_ERR_INVALID);
    assert_rc(mqp_metrics_json(0, NULL, &json, NULL), MQP_ERR_INVALID);
}

static void test_mqp_status_json_exact(void **state)
{
    (void)state;
    char *json;
    size_t len;
    assert_ok(
        mqp_status_json(MQP_STATUS_RUNNING, 1705314600.123456, "inference_control", &json, &len));
    assert_string_equal(json, "{\"status\":\"running\",\"timestamp\":"
                              "\"2024-01-15T10:30:00.123456\",\"client_id\":"
                              "\"inference_control\"}");
    assert_int_equal(len, strlen(json));
    mqp_free(json);
    const char *names[] = {"connected", "running", "paused", "stopped", "disconnected"};
    for (int i = 0; i <= MQP_STATUS_DISCONNECTED; i++) {
        assert_string_equal(mqp_status_name((mqp_status)i), names[i]);
    }
    assert_null(mqp_status_name((mqp_status)99));
    assert_rc(mqp_status_json((mqp_status)99, 0, "x", &json, NULL), MQP_ERR_INVALID);
    assert_rc(mqp_status_json(MQP_STATUS_RUNNING, 0, NULL, &json, NULL), MQP_ERR_INVALID);
    /* A client id that needs escaping is escaped. */
    assert_ok(mqp_status_json(MQP_STATUS_STOPPED, 0, "node \"7\"", &json, NULL));
    assert_non_null(strstr(json, "\"client_id\":\"node \\\"7\\\"\""));
    mqp_free(json);
}

static void test_mqp__response_json_exact(void **state)
{
    (void)state;
    size_t len;
    char *json = mqp__response_json("\"op-17\"", "status", true, MQP_STATUS_RUNNING, NULL,
                                    "{\"fps\":30.0}", &len);
    assert_string_equal(json, "{\"request_id\":\"op-17\",\"command\":\"status\",\"ok\":true,"
                              "\"status\":\"running\",\"result\":{\"fps\":30.0}}");
    assert_int_equal(len, strlen(json));
    mqp__free(json);
    json = mqp__response_json(NULL, NULL, false, MQP_STATUS_PAUSED, "not \"JSON\"", NULL, NULL);
    assert_string_equal(json, "{\"request_id\":null,\"command\":null,\"ok\":false,"
                              "\"status\":\"paused\",\"error\":\"not \\\"JSON\\\"\"}");
    mqp__free(json);
    json = mqp__response_json("42", "pause", true, MQP_STATUS_PAUSED, NULL, "", NULL);
    assert_string_equal(json, "{\"request_id\":42,\"command\":\"pause\",\"ok\":true,"
                              "\"status\":\"paused\"}");
    mqp__free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_iso8601_format),
        cmocka_unit_test(test_mqp_detections_json_exact),
        cmocka_unit_test(test_mqp_detections_json_types),
        cmocka_unit_test(test_mqp_detections_batch_json_detector),
        cmocka_unit_test(test_mqp_metrics_json_exact),
        cmocka_unit_test(test_mqp_status_json_exact),
        cmocka_unit_test(test_mqp__response_json_exact),
    };
    return cmocka_run_group_tests(tests, utc, NULL);
}
