/* The ABI growth policy (MQP_RESERVED_WORDS in common.h), checked: within a major version no
 * public struct changes size and no member moves; a member is added by taking it from the
 * reserved space, which callers leave zero and which the library refuses when it is not.
 * When this test fails on a size or an offset, the change breaks programs built against an
 * earlier 0.x: take the room from `reserved` instead (or bump the major version). A member
 * that takes reserved space is pinned where the space began, and the size stays. Sizes are
 * those of x86_64 and other LP64 systems. */
#include "check.h"

#include "mqplane/mqplane.h"

#include <stddef.h>
#include <string.h>

static void test_mqp_abi_sizes_and_offsets(void **state)
{
    (void)state;
    if (sizeof(void *) != 8) {
        skip(); /* The numbers below are LP64's. */
    }
    assert_int_equal(sizeof(mqp_client_opts), 280);
    assert_int_equal(offsetof(mqp_client_opts, cb_user), 208);
    assert_int_equal(offsetof(mqp_client_opts, out_queue_messages), 216); /* Was reserved. */
    assert_int_equal(offsetof(mqp_client_opts, clean_session), 232);      /* Was reserved. */
    assert_int_equal(offsetof(mqp_client_opts, reserved), 240);
    assert_int_equal(sizeof(mqp_client_stats), 224);
    assert_int_equal(offsetof(mqp_client_stats, takeovers), 152);
    assert_int_equal(offsetof(mqp_client_stats, out_queue_refused), 160); /* Was reserved. */
    assert_int_equal(offsetof(mqp_client_stats, reserved), 200);
    assert_int_equal(sizeof(mqp_controlplane_opts), 360);
    assert_int_equal(offsetof(mqp_controlplane_opts, on_command), 312);
    assert_int_equal(offsetof(mqp_controlplane_opts, reserved), 328);
    assert_int_equal(sizeof(mqp_controlplane_stats), 72);
    assert_int_equal(offsetof(mqp_controlplane_stats, repeated), 40); /* Was reserved. */
    assert_int_equal(sizeof(mqp_dataplane_opts), 336);
    assert_int_equal(offsetof(mqp_dataplane_opts, full_frames_topic), 304); /* Was reserved. */
    assert_int_equal(sizeof(mqp_dataplane_stats), 72);
    assert_int_equal(offsetof(mqp_dataplane_stats, frames_published), 40);   /* Was reserved. */
    assert_int_equal(offsetof(mqp_dataplane_stats, dropped_queue_full), 48); /* Was reserved. */
    assert_int_equal(offsetof(mqp_dataplane_stats, reserved), 64);
    assert_int_equal(sizeof(mqp_metrics_report), 64);
    assert_int_equal(offsetof(mqp_metrics_report, detectors), 32);  /* Was reserved. */
    assert_int_equal(offsetof(mqp_metrics_report, data_plane), 40); /* Was reserved. */
    assert_int_equal(sizeof(mqp_mqtt_settings), 200);
    assert_int_equal(offsetof(mqp_mqtt_settings, full_frame_rate), 168);     /* Was reserved. */
    assert_int_equal(offsetof(mqp_mqtt_settings, data_queue_messages), 176); /* Was reserved. */
    assert_int_equal(sizeof(mqp_publish_props), 80);
    assert_int_equal(offsetof(mqp_publish_props, reserved), 48);
    assert_int_equal(sizeof(mqp_migration_opts), 40);
    assert_int_equal(offsetof(mqp_migration_opts, reserved), 8);
    assert_int_equal(sizeof(mqp_migration_stat), 120);
    assert_int_equal(offsetof(mqp_migration_stat, previous_age_s), 80);
    assert_int_equal(offsetof(mqp_migration_stat, reserved), 88);
    assert_int_equal(sizeof(mqp_detections_batch), 72);
    assert_int_equal(offsetof(mqp_detections_batch, reserved), 40);
    /* The detector plugin ABI (MQP_DETECTOR_ABI_MAJOR), for plugins built elsewhere. */
    assert_int_equal(sizeof(mqp_detector_plugin), 112);
    assert_int_equal(offsetof(mqp_detector_plugin, destroy), 40);
    assert_int_equal(offsetof(mqp_detector_plugin, reserved), 48);
    assert_int_equal(sizeof(mqp_detector_info), 64);
    assert_int_equal(offsetof(mqp_detector_info, reserved), 16);
    assert_int_equal(sizeof(mqp_image), 32);
    assert_int_equal(sizeof(mqp_box), 32);
    /* Records in arrays: no reserved space, fixed for the major version. */
    assert_int_equal(sizeof(mqp_detection), 48);
    assert_int_equal(sizeof(mqp_frame_info), 24);
    assert_int_equal(sizeof(mqp_latency_report), 40);
    assert_int_equal(sizeof(mqp_detector_report), 32);
    /* Handed out by the library by pointer: may grow at its end, never move a member. */
    assert_int_equal(offsetof(mqp_message, correlation_len), 48);
    assert_true(sizeof(mqp_message) >= 80);
}

static mqp_err on_command(mqp_controlplane *cp, mqp_command cmd, mqp_command_reply *r, void *u)
{
    (void)cp;
    (void)cmd;
    (void)r;
    (void)u;
    return MQP_OK;
}

static void test_mqp_abi_reserved_space_refused(void **state)
{
    (void)state;
    char err[256];
    mqp_client_opts o = {.url = "memory://abi"};
    o.reserved[3] = 1; /* As a program built against a newer header, setting a new option. */
    mqp_client *c = NULL;
    assert_rc(mqp_client_new_err(&c, &o, err, sizeof err), MQP_ERR_INVALID);
    assert_null(c);
    assert_non_null(strstr(err, "invalid client options: reserved word 3 is set"));
    assert_non_null(strstr(err, "newer mqplane than this library, " MQP_VERSION_STRING));

    mqp_controlplane_opts co = {.client = {.url = "memory://abi"}, .on_command = on_command};
    co.reserved[0] = 7;
    mqp_controlplane *cp = NULL;
    assert_rc(mqp_controlplane_new(&cp, &co, err, sizeof err), MQP_ERR_INVALID);
    assert_non_null(strstr(err, "invalid control plane options: reserved word 0"));
    co.reserved[0] = 0;
    co.client.reserved[4] = 1; /* The embedded client options are checked too. */
    assert_rc(mqp_controlplane_new(&cp, &co, err, sizeof err), MQP_ERR_INVALID);
    assert_null(cp);

    mqp_dataplane_opts d = {.client = {.url = "memory://abi"}};
    d.reserved[1] = 1;
    mqp_dataplane *dp = NULL;
    assert_rc(mqp_dataplane_new(&dp, &d, err, sizeof err), MQP_ERR_INVALID);
    assert_non_null(strstr(err, "invalid data plane options: reserved word 1"));
    assert_null(dp);

    mqp_frame_info fi = {0};
    mqp_detections_batch b = {.frame = &fi};
    char *json = NULL;
    assert_ok(mqp_detections_batch_json(1, 0, &b, &json, NULL));
    mqp_free(json);
    b.reserved[2] = 1;
    assert_rc(mqp_detections_batch_json(1, 0, &b, &json, NULL), MQP_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_abi_sizes_and_offsets),
        cmocka_unit_test(test_mqp_abi_reserved_space_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
