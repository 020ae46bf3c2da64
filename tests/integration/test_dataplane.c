/* The data plane end to end: a subscriber written against the reference schema receives
 * detections and metrics; offline, messages are dropped and counted without waiting. */
#define _GNU_SOURCE
#include "fixture.h"

#include "mqplane/dataplane.h"

#include <cjson/cJSON.h>
#include <stdatomic.h>

static void test_mqp_dataplane_new_bad_options(void **state)
{
    (void)state;
    mqp_dataplane *dp = NULL;
    char err[256];
    mqp_dataplane_opts o = {.client = {.url = "memory://dp-bad"}, .qos = 3};
    assert_rc(mqp_dataplane_new(&dp, &o, err, sizeof err), MQP_ERR_INVALID);
    assert_non_null(strstr(err, "qos"));
    o = (mqp_dataplane_opts){.client = {.url = "memory://dp-bad"}, .detections_topic = "a/#"};
    assert_rc(mqp_dataplane_new(&dp, &o, err, sizeof err), MQP_ERR_INVALID);
    assert_null(dp);
    mqp_dataplane_destroy(NULL);
}

static void test_mqp_dataplane_publishes_reference_schema(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts so = test_opts(url, "dp-watcher");
    so.no_health = true;
    mqp_client *sub = test_client(&so);
    collector *col = collector_new();
    assert_ok(mqp_client_subscribe(sub, "inference/data/+", 0, collector_cb, col));
    mqp_dataplane *dp;
    mqp_dataplane_opts o = {.client = test_opts(url, NULL)};
    char err[256];
    assert_ok(mqp_dataplane_new(&dp, &o, err, sizeof err));
    assert_ok(mqp_client_connect(mqp_dataplane_client(dp), 5000));
    assert_string_equal(mqp_client_id(mqp_dataplane_client(dp)), "inference_data");
    assert_ok(mqp_client_sync(sub, 5000)); /* The broker has the (un)subscriptions. */
    mqp_detection d = {"motion", 0.9, 10, 20, 30, 40, 0, 3};
    mqp_frame_info fi = {1, 0, 1704106800.0};
    for (int i = 0; i < 3; i++) {
        fi.frame_id = (uint64_t)i + 1;
        assert_ok(mqp_dataplane_publish_detections(dp, &d, 1, &fi, NULL));
    }
    mqp_latency_report rep = {.source_id = 0,
                              .frame_decoding_latency_ms = 1.5,
                              .inference_latency_ms = 4.0,
                              .e2e_latency_ms = 6.0};
    mqp_metrics_report m = {
        .throughput_fps = 29.9, .reports = &rep, .nreports = 1, .sources_count = 1};
    assert_ok(mqp_dataplane_publish_metrics(dp, &m));
    assert_true(wait_for(collector_count(col) == 4, 3000));
    double last_id = 0;
    for (size_t i = 0; i < 3; i++) {
        collected c = collector_get(col, i);
        assert_string_equal(c.topic, "inference/data/detections");
        assert_int_equal(c.qos, 0);
        cJSON *r = cJSON_Parse(c.payload);
        assert_non_null(r);
        double id = cJSON_GetObjectItem(r, "message_id")->valuedouble;
        assert_true(id > last_id); /* message_id increases */
        last_id = id;
        cJSON *det = cJSON_GetArrayItem(cJSON_GetObjectItem(r, "detections"), 0);
        assert_int_equal(cJSON_GetObjectItem(det, "track_id")->valueint, 3);
        cJSON_Delete(r);
    }
    collected mc = collector_get(col, 3);
    assert_string_equal(mc.topic, "inference/data/metrics");
    assert_non_null(strstr(mc.payload, "\"throughput_fps\":29.9"));
    mqp_dataplane_stats s;
    mqp_dataplane_stats_get(dp, &s);
    assert_int_equal(s.messages_published, 3);
    assert_int_equal(s.metrics_published, 1);
    assert_int_equal(s.dropped, 0);
    assert_true(s.connected);
    assert_string_equal(s.topic, "inference/data/detections");
    mqp_dataplane_destroy(dp);
    mqp_client_destroy(sub);
    collector_free(col);
}

static void test_mqp_dataplane_drops_while_offline(void **state)
{
    fixture *f = *state;
    if (f->memory) {
        skip(); /* An in-process broker is never away. */
    }
    test_broker b;
    broker_start(&b, NULL);
    broker_stop(&b);
    mqp_dataplane *dp;
    mqp_dataplane_opts o = {.client = test_opts(b.url, "dp-offline")};
    o.client.log_cb = NULL;
    assert_ok(mqp_dataplane_new(&dp, &o, NULL, 0));
    mqp_detection d = {"motion", 0.9, 10, 20, 30, 40, 0, -1};
    mqp_frame_info fi = {1, 0, 1704106800.0};
    for (int i = 0; i < 100; i++) {
        assert_rc(mqp_dataplane_publish_detections(dp, &d, 1, &fi, NULL), MQP_ERR_NO_CONN);
    }
    mqp_dataplane_stats s;
    mqp_dataplane_stats_get(dp, &s);
    assert_int_equal(s.dropped, 100);
    assert_int_equal(s.messages_published, 0);
    assert_false(s.connected);
    /* Once the broker is back, publishing resumes by itself. */
    broker_restart(&b);
    assert_ok(mqp_client_connect(mqp_dataplane_client(dp), 5000));
    assert_ok(mqp_dataplane_publish_detections(dp, &d, 1, &fi, NULL));
    mqp_dataplane_stats_get(dp, &s);
    assert_int_equal(s.messages_published, 1);
    mqp_dataplane_destroy(dp);
    broker_cleanup(&b);
}

typedef struct frame_seen {
    atomic_int n;
    char topic[64];
    char props[256];
    char content_type[32];
    unsigned char head[4];
    size_t len;
} frame_seen;

static int on_frame(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    frame_seen *f = user;
    snprintf(f->topic, sizeof f->topic, "%s", m->topic);
    snprintf(f->content_type, sizeof f->content_type, "%s", m->content_type ? m->content_type : "");
    size_t k = 0;
    for (size_t i = 0; i < m->n_user_props && k < sizeof f->props; i++) {
        k += (size_t)snprintf(f->props + k, sizeof f->props - k, "%s=%s;", m->user_props[i].name,
                              m->user_props[i].value);
    }
    memcpy(f->head, m->payload, m->payload_len < 4 ? m->payload_len : 4);
    f->len = m->payload_len;
    atomic_fetch_add(&f->n, 1);
    return 0;
}

static void test_mqp_dataplane_publish_frame(void **state)
{
    fixture *f = *state;
    const char *url = fixture_url(f);
    mqp_client_opts so = test_opts(url, "frame-watcher");
    so.no_health = true;
    mqp_client *sub = test_client(&so);
    static frame_seen seen;
    memset(&seen, 0, sizeof seen);
    assert_ok(mqp_client_subscribe(sub, "inference/data/full_frames", 0, on_frame, &seen));
    assert_ok(mqp_client_sync(sub, 5000));
    mqp_dataplane *dp;
    mqp_dataplane_opts o = {.client = test_opts(url, NULL)};
    char err[256];
    assert_ok(mqp_dataplane_new(&dp, &o, err, sizeof err));
    assert_ok(mqp_client_connect(mqp_dataplane_client(dp), 5000));
    const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0xff, 0xd9};
    mqp_frame_info fi = {.frame_id = 77, .source_id = 1, .timestamp = 1704106800.0};
    assert_rc(mqp_dataplane_publish_frame(dp, NULL, 3, &fi), MQP_ERR_INVALID);
    assert_rc(mqp_dataplane_publish_frame(dp, jpeg, sizeof jpeg, NULL), MQP_ERR_INVALID);
    assert_ok(mqp_dataplane_publish_frame(dp, jpeg, sizeof jpeg, &fi));
    assert_true(wait_for(atomic_load(&seen.n) == 1, 3000));
    assert_string_equal(seen.topic, "inference/data/full_frames");
    assert_string_equal(seen.content_type, "image/jpeg");
    char want[128];
    char stamp[40];
    mqp_iso8601(fi.timestamp, stamp, sizeof stamp);
    snprintf(want, sizeof want, "source_id=1;frame_id=77;timestamp=%s;", stamp);
    assert_string_equal(seen.props, want);
    assert_int_equal(seen.len, sizeof jpeg); /* The raw bytes, no base64. */
    assert_memory_equal(seen.head, jpeg, 4);
    mqp_dataplane_stats st;
    mqp_dataplane_stats_get(dp, &st);
    assert_int_equal(st.frames_published, 1);
    mqp_dataplane_destroy(dp);
    mqp_client_destroy(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_dataplane_new_bad_options),
        cmocka_unit_test(test_mqp_dataplane_publishes_reference_schema),
        cmocka_unit_test(test_mqp_dataplane_drops_while_offline),
        cmocka_unit_test(test_mqp_dataplane_publish_frame),
    };
    return RUN_ON_BOTH(tests);
}
