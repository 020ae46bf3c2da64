/* Configuration: YAML shapes, ${VAR} expansion, environment overrides, and errors that name
 * file, line and key. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include "mqplane/config.h"

#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *reference_yaml = "# The reference config.yaml\n"
                                    "mqtt:\n"
                                    "  broker_host: \"localhost\"\n"
                                    "  broker_port: 1883\n"
                                    "  username: \"adeline\"\n"
                                    "  password: \"${MQTT_PASSWORD}\"  # From environment\n"
                                    "\n"
                                    "  data_topic: \"inference/data/detections\"\n"
                                    "  metrics_topic: \"inference/data/metrics\"\n"
                                    "\n"
                                    "  data_qos: 0  # Fire-and-forget\n"
                                    "  publish_full_frame: false\n"
                                    "pipeline:\n"
                                    "  sources:\n"
                                    "    - synthetic\n"
                                    "    - rtsp://cam/1\n";

static void clear_env(void)
{
    const char *vars[] = {
        "MQTT_URL",        "MQTT_BROKER_HOST",  "MQTT_BROKER_PORT",       "MQTT_USERNAME",
        "MQTT_PASSWORD",   "MQP_MQTT_DATA_QOS", "MQP_PIPELINE_SOURCES_0", "MQTT_TOPIC_VERSION",
        "MQTT_BASE_PREFIX"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        unsetenv(vars[i]);
    }
}

static mqp_config *parse_ok(const char *yaml)
{
    mqp_config *cfg = NULL;
    char err[MQP_CONFIG_ERRLEN];
    mqp_err rc = mqp_config_parse(&cfg, yaml, strlen(yaml), "config.yaml", err, sizeof err);
    if (rc != MQP_OK) {
        fail_msg("parse: %s: %s", mqp_err_name(rc), err);
    }
    return cfg;
}

static void expect_error(const char *yaml, const char *fragment)
{
    mqp_config *cfg = NULL;
    char err[MQP_CONFIG_ERRLEN];
    mqp_err rc = mqp_config_parse(&cfg, yaml, strlen(yaml), "config.yaml", err, sizeof err);
    if (rc == MQP_OK) {
        mqp_mqtt_settings s;
        rc = mqp_config_mqtt(cfg, &s, err, sizeof err);
        mqp_config_free(cfg);
    }
    if (rc != MQP_ERR_CONFIG || !strstr(err, fragment)) {
        fail_msg("yaml <<%s>>: rc=%s err='%s', expected '%s'", yaml, mqp_err_name(rc), err,
                 fragment);
    }
}

static void test_mqp_config_parse_bad_arguments(void **state)
{
    (void)state;
    assert_rc(mqp_config_parse(NULL, "", 0, NULL, NULL, 0), MQP_ERR_INVALID);
    mqp_config *cfg;
    assert_rc(mqp_config_parse(&cfg, NULL, 5, NULL, NULL, 0), MQP_ERR_INVALID);
    char err[MQP_CONFIG_ERRLEN];
    assert_rc(mqp_config_load(&cfg, "/nonexistent/config.yaml", err, sizeof err), MQP_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/config.yaml"));
    mqp_config_free(NULL);
}

static void test_mqp_config_reference_file(void **state)
{
    (void)state;
    clear_env();
    setenv("MQTT_PASSWORD", "p@ss word", 1);
    mqp_config *cfg = parse_ok(reference_yaml);
    assert_string_equal(mqp_config_get(cfg, "mqtt.broker_host"), "localhost");
    assert_string_equal(mqp_config_get(cfg, "mqtt.password"), "p@ss word");
    assert_string_equal(mqp_config_origin(cfg, "mqtt.broker_port"), "config.yaml:4");
    assert_string_equal(mqp_config_get(cfg, "pipeline.sources.1"), "rtsp://cam/1");
    assert_null(mqp_config_get(cfg, "mqtt.nothing"));
    mqp_mqtt_settings s;
    char err[MQP_CONFIG_ERRLEN];
    assert_ok(mqp_config_mqtt(cfg, &s, err, sizeof err));
    assert_string_equal(s.url, "mqtt://adeline:p%40ss%20word@localhost:1883");
    assert_string_equal(s.data_topic, "inference/data/detections");
    assert_string_equal(s.command_topic, "inference/control/commands");
    assert_string_equal(s.status_topic, "inference/control/status");
    assert_int_equal(s.data_qos, 0);
    assert_int_equal(s.control_qos, 1);
    assert_false(s.publish_full_frame);
    assert_int_equal(s.max_command_payload, 65536);
    mqp_client_opts o = {0};
    mqp_mqtt_settings_apply(&s, &o);
    assert_string_equal(o.url, s.url);
    mqp_config_free(cfg);
    clear_env();
}

static const char *url_of(const char *yaml)
{
    static char out[256];
    mqp_config *cfg = parse_ok(yaml);
    mqp_mqtt_settings s;
    char err[MQP_CONFIG_ERRLEN];
    assert_ok(mqp_config_mqtt(cfg, &s, err, sizeof err));
    snprintf(out, sizeof out, "%s", s.url);
    mqp_config_free(cfg);
    return out;
}

/* A url beside username/password: they fill the credentials the URL lacks. */
static void test_mqp_config_url_with_credentials(void **state)
{
    (void)state;
    clear_env();
    assert_string_equal(url_of("mqtt:\n  url: mqtts://h:8883\n  username: op\n"
                               "  password: p@ss\n"),
                        "mqtts://op:p%40ss@h:8883");
    assert_string_equal(url_of("mqtt:\n  url: mqtt://own:secret@h:1883/?client_id=x\n"
                               "  username: other\n  password: other\n"),
                        "mqtt://own:secret@h:1883/?client_id=x");
    assert_string_equal(url_of("mqtt:\n  url: mqtt://user@[::1]:1883\n  username: other\n"
                               "  password: p/w\n"),
                        "mqtt://user:p%2Fw@[::1]:1883");
    assert_string_equal(url_of("mqtt:\n  url: mqtt://h\n"), "mqtt://h");
    assert_string_equal(url_of("mqtt:\n  url: memory://bus\n  username: u\n"), "memory://bus");
    setenv("MQTT_USERNAME", "from-env", 1);
    setenv("MQTT_PASSWORD", "pw", 1);
    assert_string_equal(url_of("mqtt:\n  url: mqtt://h:1\n"), "mqtt://from-env:pw@h:1");
    clear_env();
    /* A broker list: each URL gets the credentials it lacks; a bad one names its place. */
    assert_string_equal(url_of("mqtt:\n  url: mqtt://a:1,mqtt://own:x@b:2\n  username: op\n"
                               "  password: pw\n"),
                        "mqtt://op:pw@a:1,mqtt://own:x@b:2");
    expect_error("mqtt:\n  url: mqtt://a:1,mqtts://b:2\n",
                 "mqtt.url: broker list: broker 2 of 2 is mqtts://");
}

static void test_mqp_config_environment_overrides(void **state)
{
    (void)state;
    clear_env();
    setenv("MQTT_PASSWORD", "x", 1);
    setenv("MQTT_BROKER_HOST", "10.0.0.7", 1);
    setenv("MQTT_BROKER_PORT", "2883", 1);
    setenv("MQP_MQTT_DATA_QOS", "1", 1);
    setenv("MQP_PIPELINE_SOURCES_0", "file:box.mp4", 1);
    mqp_config *cfg = parse_ok(reference_yaml);
    assert_string_equal(mqp_config_origin(cfg, "mqtt.broker_port"), "environment MQTT_BROKER_PORT");
    assert_string_equal(mqp_config_get(cfg, "pipeline.sources.0"), "file:box.mp4");
    mqp_mqtt_settings s;
    assert_ok(mqp_config_mqtt(cfg, &s, NULL, 0));
    assert_string_equal(s.url, "mqtt://adeline:x@10.0.0.7:2883");
    assert_int_equal(s.data_qos, 1);
    mqp_config_free(cfg);

    /* MQTT_URL wins over the parts; username and password fill the credentials it lacks. */
    setenv("MQTT_URL", "mqtts://broker.example:8884", 1);
    cfg = parse_ok(reference_yaml);
    assert_ok(mqp_config_mqtt(cfg, &s, NULL, 0));
    assert_string_equal(s.url, "mqtts://adeline:x@broker.example:8884");
    mqp_config_free(cfg);
    setenv("MQTT_URL", "mqtts://op:pw@broker.example:8884", 1);
    cfg = parse_ok(reference_yaml);
    assert_ok(mqp_config_mqtt(cfg, &s, NULL, 0));
    assert_string_equal(s.url, "mqtts://op:pw@broker.example:8884");
    mqp_config_free(cfg);

    /* Without a file, the environment alone. */
    clear_env();
    assert_ok(mqp_config_load(&cfg, NULL, NULL, 0));
    assert_ok(mqp_config_mqtt(cfg, &s, NULL, 0));
    assert_null(s.url); /* The client then resolves it: MQTT_URL, ..., localhost. */
    mqp_config_free(cfg);
}

static void test_mqp_config_expansion(void **state)
{
    (void)state;
    clear_env();
    setenv("MQP_TEST_HOME", "/srv", 1);
    mqp_config *cfg = parse_ok("a:\n  b: ${MQP_TEST_HOME}/x\n  c: ${MQP_UNSET_VAR:-fallback}\n"
                               "  d: cost $$5\n  e: ''\n  f: ~\n");
    assert_string_equal(mqp_config_get(cfg, "a.b"), "/srv/x");
    assert_string_equal(mqp_config_get(cfg, "a.c"), "fallback");
    assert_string_equal(mqp_config_get(cfg, "a.d"), "cost $5");
    assert_string_equal(mqp_config_get(cfg, "a.e"), "");
    assert_null(mqp_config_get(cfg, "a.f"));
    mqp_config_free(cfg);
    unsetenv("MQP_TEST_HOME");
    expect_error("mqtt:\n  password: ${MQP_UNSET_VAR}\n",
                 "config.yaml:2: mqtt.password: ${MQP_UNSET_VAR} is not set");
    expect_error("mqtt:\n  password: ${OPEN\n", "config.yaml:2: mqtt.password: '${' without '}'");
}

static void test_mqp_config_errors_name_file_line_and_key(void **state)
{
    (void)state;
    clear_env();
    expect_error("mqtt:\n  broker_port: abc\n",
                 "config.yaml:2: mqtt.broker_port: expected an integer in 1..65535, got 'abc'");
    expect_error("mqtt:\n  broker_port: 70000\n", "mqtt.broker_port: expected an integer");
    expect_error("mqtt:\n  data_qos: 3\n",
                 "config.yaml:2: mqtt.data_qos: expected an integer in 0..2, got '3'");
    expect_error("mqtt:\n  broker_hots: x\n", "config.yaml:2: mqtt.broker_hots: unknown key");
    expect_error("mqtt:\n  max_command_payload: 10\n",
                 "mqtt.max_command_payload: expected an integer in 64..268435455, got '10'");
    expect_error("mqtt:\n  publish_full_frame: maybe\n",
                 "mqtt.publish_full_frame: expected true or false, got 'maybe'");
    expect_error("mqtt:\n  data_topic: inference/+/x\n",
                 "config.yaml:2: mqtt.data_topic: 'inference/+/x' is not a valid topic name");
    expect_error("mqtt:\n  url: http://x\n", "config.yaml:2: mqtt.url: invalid broker URL");
    expect_error("mqtt:\n  a: 1\n  a: 2\n", "config.yaml:3: mqtt.a: duplicate key (first at "
                                            "config.yaml:2)");
    expect_error("mqtt: [1, 2\n", "config.yaml:");
    expect_error("mqtt:\n  x: 1\n   y: 2\n", "YAML error");
    expect_error("- a\n- b\n", "config.yaml:1: the top level must be a mapping");
    expect_error("a: &x 1\nb: *x\n", "aliases are not supported");
    setenv("MQTT_BROKER_PORT", "nope", 1);
    expect_error("mqtt:\n  broker_host: h\n", "environment MQTT_BROKER_PORT: mqtt.broker_port");
    clear_env();
}

static void test_mqp_config_typed_getters(void **state)
{
    (void)state;
    clear_env();
    mqp_config *cfg = parse_ok("n:\n  i: 42\n  d: 0.25\n  b: yes\n  bad: 1x\n");
    long i;
    double d;
    bool b;
    assert_ok(mqp_config_get_int(cfg, "n.i", 0, 100, 7, &i, NULL, 0));
    assert_int_equal(i, 42);
    assert_ok(mqp_config_get_int(cfg, "n.absent", 0, 100, 7, &i, NULL, 0));
    assert_int_equal(i, 7);
    assert_ok(mqp_config_get_double(cfg, "n.d", 0, 1, 0.5, &d, NULL, 0));
    assert_true(d == 0.25);
    assert_ok(mqp_config_get_bool(cfg, "n.b", false, &b, NULL, 0));
    assert_true(b);
    assert_rc(mqp_config_get_int(cfg, "n.bad", 0, 100, 0, &i, NULL, 0), MQP_ERR_CONFIG);
    assert_rc(mqp_config_get_double(cfg, "n.i", 0, 1, 0, &d, NULL, 0), MQP_ERR_CONFIG);
    mqp_config_free(cfg);
}

static void test_mqp_config_load_file(void **state)
{
    (void)state;
    clear_env();
    char path[] = "/tmp/mqp-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("mqtt:\n  url: mqtt://h:1999?protocol=311\n  client_id: cam-1\n  keepalive: 15\n"
          "  control_username: node-control\n  control_password: s3cret\n",
          f);
    fclose(f);
    mqp_config *cfg;
    char err[MQP_CONFIG_ERRLEN];
    assert_ok(mqp_config_load(&cfg, path, err, sizeof err));
    mqp_mqtt_settings s;
    assert_ok(mqp_config_mqtt(cfg, &s, err, sizeof err));
    assert_string_equal(s.url, "mqtt://h:1999?protocol=311");
    assert_string_equal(s.client_id, "cam-1");
    assert_int_equal(s.keepalive_s, 15);
    assert_string_equal(s.control_username, "node-control");
    assert_string_equal(s.control_password, "s3cret");
    assert_null(s.data_username);
    char origin[64];
    snprintf(origin, sizeof origin, "%s:3", path);
    assert_string_equal(mqp_config_origin(cfg, "mqtt.client_id"), origin);
    mqp_config_free(cfg);
    remove(path);
}

static void test_mqp_config_mqtt_keys_schema(void **state)
{
    (void)state;
    const mqp_config_key *k = NULL;
    size_t n = mqp_config_mqtt_keys(&k);
    assert_int_equal(n, 31);
    assert_int_equal(mqp_config_mqtt_keys(NULL), n);
    for (size_t i = 0; i < n; i++) {
        /* Each member of mqp_mqtt_settings is the size its type writes. */
        size_t type_size;
        size_t member = mqp__mqtt_key_size(i, &type_size);
        if (member && member != type_size) {
            fail_msg("mqtt.%s: member of %zu bytes, type writes %zu", k[i].key, member, type_size);
        }
        assert_non_null(k[i].doc);
        assert_true(strcmp(k[i].type, "secret") != 0 || k[i].def == NULL);
    }
    assert_string_equal(k[0].key, "url");
    assert_string_equal(k[0].env, "MQTT_URL");
    bool seen_qos = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(k[i].key, "data_qos") == 0) {
            seen_qos = true;
            assert_string_equal(k[i].type, "integer");
            assert_string_equal(k[i].def, "0");
            assert_int_equal(k[i].max, 2);
        }
    }
    assert_true(seen_qos);
}

static void test_mqp_config_every_key_from_the_environment(void **state)
{
    (void)state;
    clear_env();
    /* Every key takes MQP_MQTT_<KEY>, with no file at all, and lands in its member. */
    static const struct {
        const char *var, *value;
    } vars[] = {{"MQP_MQTT_CLIENT_ID", "cid"},
                {"MQP_MQTT_KEEPALIVE", "17"},
                {"MQP_MQTT_COMMAND_TOPIC", "c/t"},
                {"MQP_MQTT_STATUS_TOPIC", "s/t"},
                {"MQP_MQTT_RESPONSE_TOPIC", "r/t"},
                {"MQP_MQTT_DATA_TOPIC", "d/t"},
                {"MQP_MQTT_METRICS_TOPIC", "m/t"},
                {"MQP_MQTT_FULL_FRAMES_TOPIC", "f/t"},
                {"MQP_MQTT_DATA_QOS", "1"},
                {"MQP_MQTT_CONTROL_QOS", "2"},
                {"MQP_MQTT_PUBLISH_FULL_FRAME", "yes"},
                {"MQP_MQTT_TLS_CA_FILE", "ca"},
                {"MQP_MQTT_TLS_CA_PATH", "cadir"},
                {"MQP_MQTT_TLS_CERT_FILE", "crt"},
                {"MQP_MQTT_TLS_KEY_FILE", "key"},
                {"MQP_MQTT_TLS_INSECURE", "on"},
                {"MQP_MQTT_MAX_COMMAND_PAYLOAD", "4096"},
                {"MQP_MQTT_DATA_QUEUE_MESSAGES", "50"},
                {"MQP_MQTT_DATA_QUEUE_BYTES", "65536"},
                {"MQP_MQTT_CONTROL_USERNAME", "cu"},
                {"MQP_MQTT_CONTROL_PASSWORD", "cp"},
                {"MQP_MQTT_DATA_USERNAME", "du"},
                {"MQP_MQTT_DATA_PASSWORD", "dp"},
                {"MQP_MQTT_BROKER_HOST", "b.example"},
                {"MQP_MQTT_BROKER_PORT", "1999"},
                {"MQP_MQTT_USERNAME", "u s"},
                {"MQP_MQTT_PASSWORD", "p:w@"}};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        setenv(vars[i].var, vars[i].value, 1);
    }
    mqp_config *cfg = parse_ok("");
    mqp_mqtt_settings s;
    char err[MQP_CONFIG_ERRLEN];
    mqp_err rc = mqp_config_mqtt(cfg, &s, err, sizeof err);
    if (rc != MQP_OK) {
        fail_msg("%s", err);
    }
    assert_string_equal(s.url, "mqtt://u%20s:p%3Aw%40@b.example:1999");
    assert_string_equal(s.client_id, "cid");
    assert_int_equal(s.keepalive_s, 17);
    assert_string_equal(s.command_topic, "c/t");
    assert_string_equal(s.status_topic, "s/t");
    assert_string_equal(s.response_topic, "r/t");
    assert_string_equal(s.data_topic, "d/t");
    assert_string_equal(s.metrics_topic, "m/t");
    assert_string_equal(s.full_frames_topic, "f/t");
    assert_int_equal(s.data_qos, 1);
    assert_int_equal(s.control_qos, 2);
    assert_true(s.publish_full_frame);
    assert_string_equal(s.tls_ca_file, "ca");
    assert_string_equal(s.tls_ca_path, "cadir");
    assert_string_equal(s.tls_cert_file, "crt");
    assert_string_equal(s.tls_key_file, "key");
    assert_true(s.tls_insecure);
    assert_int_equal(s.max_command_payload, 4096);
    assert_int_equal(s.data_queue_messages, 50);
    assert_int_equal(s.data_queue_bytes, 65536);
    assert_string_equal(s.control_username, "cu");
    assert_string_equal(s.control_password, "cp");
    assert_string_equal(s.data_username, "du");
    assert_string_equal(s.data_password, "dp");
    assert_string_equal(mqp_config_origin(cfg, "mqtt.keepalive"), "environment MQP_MQTT_KEEPALIVE");
    mqp_config_free(cfg);
    /* The reference's own variable wins over the generic one. */
    setenv("MQTT_BROKER_PORT", "2000", 1);
    cfg = parse_ok("");
    assert_ok(mqp_config_mqtt(cfg, &s, NULL, 0));
    assert_string_equal(s.url, "mqtt://u%20s:p%3Aw%40@b.example:2000");
    mqp_config_free(cfg);
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        unsetenv(vars[i].var);
    }
    clear_env();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_config_parse_bad_arguments),
        cmocka_unit_test(test_mqp_config_reference_file),
        cmocka_unit_test(test_mqp_config_url_with_credentials),
        cmocka_unit_test(test_mqp_config_environment_overrides),
        cmocka_unit_test(test_mqp_config_expansion),
        cmocka_unit_test(test_mqp_config_errors_name_file_line_and_key),
        cmocka_unit_test(test_mqp_config_typed_getters),
        cmocka_unit_test(test_mqp_config_load_file),
        cmocka_unit_test(test_mqp_config_mqtt_keys_schema),
        cmocka_unit_test(test_mqp_config_every_key_from_the_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
