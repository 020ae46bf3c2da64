/* Templates, validation naming the placeholder, layouts and migrations. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include "mqplane/topics.h"
#include "mqplane/topic.h"

#include <stdlib.h>
#include <string.h>

static void expect_bad_value(const char *value, const char *fragment)
{
    mqp_topic_var v[] = {{"room_id", value, 0}};
    char out[256], err[MQP_TOPICS_ERRLEN];
    mqp_err rc = mqp_topic_build("home/{room_id}/state", v, 1, MQP_TOPIC_NAME, out, sizeof out, err,
                                 sizeof err);
    if (rc != MQP_ERR_TOPIC || !strstr(err, "{room_id}") || !strstr(err, fragment)) {
        print_error("value '%s': rc=%s err='%s'\n", value, mqp_err_name(rc), err);
        fail();
    }
}

static void test_mqp_topic_build_bad_arguments(void **state)
{
    (void)state;
    char out[64];
    assert_rc(mqp_topic_build(NULL, NULL, 0, MQP_TOPIC_NAME, out, sizeof out, NULL, 0),
              MQP_ERR_INVALID);
    assert_rc(mqp_topic_build("a", NULL, 1, MQP_TOPIC_NAME, out, sizeof out, NULL, 0),
              MQP_ERR_INVALID);
    assert_rc(mqp_topic_build("a", NULL, 0, MQP_TOPIC_NAME, NULL, 0, NULL, 0), MQP_ERR_INVALID);
}

static void test_mqp_topic_build_substitutes(void **state)
{
    (void)state;
    mqp_topic_var v[] = {{"client_id", "inference_control", 0}};
    char out[64];
    assert_ok(mqp_topic_build(MQP_TEMPLATE_HEALTH, v, 1, MQP_TOPIC_NAME, out, sizeof out, NULL, 0));
    assert_string_equal(out, "system/health/inference_control");
    assert_ok(
        mqp_topic_build(MQP_TEMPLATE_KEEPALIVE, v, 1, MQP_TOPIC_NAME, out, sizeof out, NULL, 0));
    assert_string_equal(out, "system/keepalive/inference_control");
    mqp_topic_var n[] = {{"prefix", "inference", 0},
                         {"node_id", "cam-7", 0},
                         {"plane", "control", 0},
                         {"name", "commands", 0}};
    assert_ok(mqp_topic_build(MQP_TEMPLATE_NODE, n, 4, MQP_TOPIC_NAME, out, sizeof out, NULL, 0));
    assert_string_equal(out, "inference/cam-7/control/commands");
}

static void test_mqp_topic_build_refuses_bad_values(void **state)
{
    (void)state;
    expect_bad_value("", "empty");
    expect_bad_value("a/b", "'/'");
    expect_bad_value("+", "'+'");
    expect_bad_value("sa#lon", "'#'");
    expect_bad_value("bad\xff", "UTF-8");
    char *big = malloc(70000);
    assert_non_null(big);
    memset(big, 'x', 69999);
    big[69999] = '\0';
    expect_bad_value(big, "more than a topic can hold");
    free(big);
}

static void test_mqp_topic_build_template_errors(void **state)
{
    (void)state;
    char out[64], err[MQP_TOPICS_ERRLEN];
    mqp_topic_var v[] = {{"a", "x", 0}};
    assert_rc(mqp_topic_build("{a}/{b}", v, 1, MQP_TOPIC_NAME, out, sizeof out, err, sizeof err),
              MQP_ERR_INVALID);
    assert_non_null(strstr(err, "no value for placeholder {b}"));
    assert_rc(mqp_topic_build("{a", v, 1, MQP_TOPIC_NAME, out, sizeof out, err, sizeof err),
              MQP_ERR_INVALID);
    assert_rc(mqp_topic_build("a}", v, 1, MQP_TOPIC_NAME, out, sizeof out, err, sizeof err),
              MQP_ERR_INVALID);
    assert_rc(mqp_topic_build("{}", v, 1, MQP_TOPIC_NAME, out, sizeof out, err, sizeof err),
              MQP_ERR_INVALID);
    assert_rc(mqp_topic_build("a/+/{a}", v, 1, MQP_TOPIC_FILTER, out, sizeof out, err, sizeof err),
              MQP_ERR_INVALID);
    /* The buffer is too small: a distinct error, nothing written. */
    strcpy(out, "untouched");
    assert_rc(mqp_topic_build("{a}/long/suffix", v, 1, MQP_TOPIC_NAME, out, 8, err, sizeof err),
              MQP_ERR_TOO_LARGE);
    assert_string_equal(out, "untouched");
    /* Over-long results are refused even when the buffer is big enough. */
    size_t n = 40000;
    char *val = malloc(n + 1);
    char *big = malloc(2 * n + 16);
    assert_non_null(val);
    assert_non_null(big);
    memset(val, 'y', n);
    val[n] = '\0';
    mqp_topic_var w[] = {{"a", val, 0}, {"b", val, 0}};
    assert_rc(mqp_topic_build("{a}/{b}", w, 2, MQP_TOPIC_NAME, big, 2 * n + 16, err, sizeof err),
              MQP_ERR_TOPIC);
    assert_non_null(strstr(err, "longer than 65535"));
    free(val);
    free(big);
}

static void test_mqp_topic_build_filters(void **state)
{
    (void)state;
    char out[128], err[MQP_TOPICS_ERRLEN];
    mqp_topic_var v[] = {{"room", "+", 0}, {"rest", "#", 0}};
    assert_ok(mqp_topic_build("home/{room}/{rest}", v, 2, MQP_TOPIC_FILTER, out, sizeof out, err,
                              sizeof err));
    assert_string_equal(out, "home/+/#");
    /* '#' only as the last level, '+' only as a whole level, never in names. */
    mqp_topic_var w[] = {{"room", "#", 0}, {"rest", "x", 0}};
    assert_rc(mqp_topic_build("home/{room}/{rest}", w, 2, MQP_TOPIC_FILTER, out, sizeof out, err,
                              sizeof err),
              MQP_ERR_TOPIC);
    assert_non_null(strstr(err, "{room}"));
    mqp_topic_var x[] = {{"room", "+", 0}};
    assert_rc(
        mqp_topic_build("home/x{room}", x, 1, MQP_TOPIC_FILTER, out, sizeof out, err, sizeof err),
        MQP_ERR_TOPIC);
    assert_rc(
        mqp_topic_build("home/{room}", x, 1, MQP_TOPIC_NAME, out, sizeof out, err, sizeof err),
        MQP_ERR_TOPIC);
}

static void unset_layout_env(void)
{
    unsetenv("MQTT_TOPIC_VERSION");
    unsetenv("MQTT_BASE_PREFIX");
    unsetenv("MQTT_TOPIC_PREVIOUS_VERSION");
}

static void test_mqp_topics_voice_versioned_and_legacy(void **state)
{
    (void)state;
    unset_layout_env();
    mqp_topics t;
    assert_ok(mqp_topics_init(&t, NULL, NULL));
    assert_string_equal(t.version, "v1");
    assert_string_equal(t.base_prefix, "voice_assistant");
    assert_false(t.migrating);
    char out[256], err[MQP_TOPICS_ERRLEN];
    assert_ok(mqp_topics_voice(&t, "salon", "abc-123", "display_action", out, sizeof out, err,
                               sizeof err));
    assert_string_equal(out, "v1/voice_assistant/room/salon/session/abc-123/display_action");
    assert_ok(mqp_topics_voice(&t, "salon", "abc-123", "response/stream/chunk", out, sizeof out,
                               err, sizeof err));
    assert_string_equal(out, "v1/voice_assistant/room/salon/session/abc-123/response/stream/chunk");
    assert_ok(mqp_topics_voice_filter(&t, "salon", NULL, out, sizeof out, err, sizeof err));
    assert_string_equal(out, "v1/voice_assistant/room/salon/session/+/#");
    assert_ok(mqp_topics_voice_filter(&t, "salon", "abc-123", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "v1/voice_assistant/room/salon/session/abc-123/#");

    /* Empty version: the legacy unversioned layout. */
    setenv("MQTT_TOPIC_VERSION", "", 1);
    setenv("MQTT_BASE_PREFIX", "va/home", 1);
    assert_ok(mqp_topics_init(&t, NULL, NULL));
    assert_ok(mqp_topics_voice(&t, "salon", "s1", "state", out, sizeof out, err, sizeof err));
    assert_string_equal(out, "va/home/room/salon/session/s1/state");
    unset_layout_env();

    /* Each bad value names its placeholder. */
    assert_ok(mqp_topics_init(&t, NULL, NULL));
    assert_rc(mqp_topics_voice(&t, "sa/lon", "s", "state", out, sizeof out, err, sizeof err),
              MQP_ERR_TOPIC);
    assert_non_null(strstr(err, "{room_id}"));
    assert_rc(mqp_topics_voice(&t, "salon", "+", "state", out, sizeof out, err, sizeof err),
              MQP_ERR_TOPIC);
    assert_non_null(strstr(err, "{session_id}"));
    assert_rc(mqp_topics_voice(&t, "salon", "s", "a//b", out, sizeof out, err, sizeof err),
              MQP_ERR_TOPIC);
    assert_non_null(strstr(err, "{topic_type}"));
    assert_rc(mqp_topics_voice(&t, "salon", "s", "", out, sizeof out, err, sizeof err),
              MQP_ERR_TOPIC);
    assert_non_null(strstr(err, "{topic_type}"));
    assert_rc(mqp_topics_init(&t, "v/1", NULL), MQP_ERR_TOPIC);
    assert_rc(mqp_topics_init(&t, "v1", "a/#"), MQP_ERR_TOPIC);
    assert_rc(mqp_topics_init(&t, "v1", ""), MQP_ERR_TOPIC);
}

static void test_mqp_topics_build_migration(void **state)
{
    (void)state;
    unset_layout_env();
    setenv("MQTT_TOPIC_PREVIOUS_VERSION", "", 1);
    mqp_topics t;
    assert_ok(mqp_topics_init(&t, "v1", NULL));
    assert_true(t.migrating);
    char a[256], b[256];
    char *outs[2] = {a, b};
    size_t n = 0;
    mqp_topic_var v[] = {
        {"room_id", "salon", 0}, {"session_id", "abc", 0}, {"topic_type", "state", 0}};
    assert_ok(mqp_topics_build(&t, MQP_TEMPLATE_VOICE, v, 3, MQP_TOPIC_NAME, outs, sizeof a, &n,
                               NULL, 0));
    assert_int_equal(n, 2);
    assert_string_equal(a, "v1/voice_assistant/room/salon/session/abc/state");
    assert_string_equal(b, "voice_assistant/room/salon/session/abc/state");

    /* One subscription set covers both layouts. */
    mqp_topic_var f[] = {{"room_id", "salon", 0}, {"session_id", "+", 0}, {"topic_type", "#", 0}};
    assert_ok(mqp_topics_build(&t, MQP_TEMPLATE_VOICE, f, 3, MQP_TOPIC_FILTER, outs, sizeof a, &n,
                               NULL, 0));
    assert_int_equal(n, 2);
    assert_true(mqp_topic_matches(a, "v1/voice_assistant/room/salon/session/x/state"));
    assert_false(mqp_topic_matches(a, "voice_assistant/room/salon/session/x/state"));
    assert_true(mqp_topic_matches(b, "voice_assistant/room/salon/session/x/state"));

    /* v1 -> v2 */
    setenv("MQTT_TOPIC_PREVIOUS_VERSION", "v1", 1);
    assert_ok(mqp_topics_init(&t, "v2", NULL));
    assert_ok(mqp_topics_build(&t, MQP_TEMPLATE_VOICE, v, 3, MQP_TOPIC_NAME, outs, sizeof a, &n,
                               NULL, 0));
    assert_string_equal(a, "v2/voice_assistant/room/salon/session/abc/state");
    assert_string_equal(b, "v1/voice_assistant/room/salon/session/abc/state");
    /* From a layout to itself: one topic, not the same one twice. */
    assert_ok(mqp_topics_init(&t, "v1", NULL));
    assert_true(t.migrating);
    assert_ok(mqp_topics_build(&t, MQP_TEMPLATE_VOICE, v, 3, MQP_TOPIC_NAME, outs, sizeof a, &n,
                               NULL, 0));
    assert_int_equal(n, 1);
    assert_string_equal(a, "v1/voice_assistant/room/salon/session/abc/state");
    unset_layout_env();

    /* Not migrating: one topic, and the second buffer may be absent. */
    assert_ok(mqp_topics_init(&t, NULL, NULL));
    char *one[2] = {a, NULL};
    assert_ok(
        mqp_topics_build(&t, MQP_TEMPLATE_VOICE, v, 3, MQP_TOPIC_NAME, one, sizeof a, &n, NULL, 0));
    assert_int_equal(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_topic_build_bad_arguments),
        cmocka_unit_test(test_mqp_topic_build_substitutes),
        cmocka_unit_test(test_mqp_topic_build_refuses_bad_values),
        cmocka_unit_test(test_mqp_topic_build_template_errors),
        cmocka_unit_test(test_mqp_topic_build_filters),
        cmocka_unit_test(test_mqp_topics_voice_versioned_and_legacy),
        cmocka_unit_test(test_mqp_topics_build_migration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
