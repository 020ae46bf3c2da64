/* Envelope encoding and decoding, and every validation error naming its field. */
#include "check.h"

#include "mqplane/envelope.h"

#include <cjson/cJSON.h>
#include <string.h>

static void expect_decode_error(const char *json, mqp_err want, const char *fragment)
{
    mqp_envelope *e = NULL;
    char err[MQP_ENVELOPE_ERRLEN];
    mqp_err rc = mqp_envelope_decode(json, strlen(json), &e, err, sizeof err);
    if (rc != want || !strstr(err, fragment) || e) {
        print_error("'%s': rc=%s err='%s', expected %s with '%s'\n", json, mqp_err_name(rc), err,
                    mqp_err_name(want), fragment);
        fail();
    }
}

static void test_mqp_envelope_encode_bad_arguments(void **state)
{
    (void)state;
    char *out = (char *)0x1;
    char err[MQP_ENVELOPE_ERRLEN];
    assert_rc(mqp_envelope_encode(NULL, &out, NULL, NULL, 0), MQP_ERR_INVALID);
    mqp_event ev = {.type = "t", .source = "s", .data_json = "{}"};
    assert_rc(mqp_envelope_encode(&ev, NULL, NULL, NULL, 0), MQP_ERR_INVALID);
    ev.type = "";
    assert_rc(mqp_envelope_encode(&ev, &out, NULL, err, sizeof err), MQP_ERR_INVALID);
    assert_non_null(strstr(err, "'type'"));
    ev.type = "t";
    ev.source = NULL;
    assert_rc(mqp_envelope_encode(&ev, &out, NULL, err, sizeof err), MQP_ERR_INVALID);
    assert_non_null(strstr(err, "'source'"));
    ev.source = "s";
    ev.data_json = NULL;
    assert_rc(mqp_envelope_encode(&ev, &out, NULL, err, sizeof err), MQP_ERR_INVALID);
    ev.data_json = "{\"a\": ";
    assert_rc(mqp_envelope_encode(&ev, &out, NULL, err, sizeof err), MQP_ERR_JSON);
    assert_non_null(strstr(err, "not one valid JSON value"));
    ev.data_json = "{} {}";
    assert_rc(mqp_envelope_encode(&ev, &out, NULL, err, sizeof err), MQP_ERR_JSON);
    ev.data_json = "{}";
    ev.id = "";
    assert_rc(mqp_envelope_encode(&ev, &out, NULL, err, sizeof err), MQP_ERR_INVALID);
    assert_ptr_equal(out, (char *)0x1); /* Never written on failure. */
}

static void test_mqp_envelope_encode_fields(void **state)
{
    (void)state;
    mqp_event ev = {.type = "stt.final",
                    .source = "tars-stt",
                    .data_json = " {\"text\": \"turn \\\"on\\\"\", \"n\": [1,2]} ",
                    .correlation_id = "req-1",
                    .seq = 42,
                    .ts = 1700000000.25};
    char *json = NULL;
    size_t len = 0;
    assert_ok(mqp_envelope_encode(&ev, &json, &len, NULL, 0));
    assert_int_equal(len, strlen(json));
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    assert_true(cJSON_IsString(id));
    assert_int_equal(strlen(id->valuestring), 32);
    assert_int_equal(id->valuestring[12], '4'); /* uuid4 version nibble */
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "type")->valuestring, "stt.final");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "source")->valuestring, "tars-stt");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "correlation_id")->valuestring,
                        "req-1");
    assert_true(cJSON_GetObjectItemCaseSensitive(root, "ts")->valuedouble == 1700000000.25);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "seq")->valuedouble, 42);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(data, "text")->valuestring, "turn \"on\"");
    cJSON_Delete(root);
    mqp_free(json);

    /* No correlation id: the member is left out, not null. Strings are escaped. */
    mqp_event ev2 = {.type = "a\"b", .source = "s\n", .data_json = "null", .id = "fixed"};
    assert_ok(mqp_envelope_encode(&ev2, &json, NULL, NULL, 0));
    assert_null(strstr(json, "correlation_id"));
    assert_non_null(strstr(json, "\"id\":\"fixed\""));
    assert_non_null(strstr(json, "\"type\":\"a\\\"b\""));
    assert_non_null(strstr(json, "\"source\":\"s\\n\""));
    mqp_free(json);
}

static void test_mqp_envelope_roundtrip(void **state)
{
    (void)state;
    mqp_event ev = {.type = "health.ping",
                    .source = "svc",
                    .data_json = "[1, {\"x\": true}]",
                    .seq = 7,
                    .correlation_id = "c"};
    char *json;
    size_t len;
    assert_ok(mqp_envelope_encode(&ev, &json, &len, NULL, 0));
    mqp_envelope *e = NULL;
    assert_ok(mqp_envelope_decode(json, len, &e, NULL, 0));
    assert_string_equal(mqp_envelope_type(e), "health.ping");
    assert_string_equal(mqp_envelope_source(e), "svc");
    assert_string_equal(mqp_envelope_correlation_id(e), "c");
    bool has = false;
    assert_int_equal(mqp_envelope_seq(e, &has), 7);
    assert_true(has);
    assert_true(mqp_envelope_ts(e) > 1.6e9);
    size_t dlen;
    assert_string_equal(mqp_envelope_data(e, &dlen), "[1,{\"x\":true}]");
    assert_int_equal(dlen, strlen("[1,{\"x\":true}]"));
    assert_int_equal(strlen(mqp_envelope_id(e)), 32);
    mqp_envelope_free(e);
    mqp_free(json);
}

static void test_mqp_envelope_decode_errors_name_the_field(void **state)
{
    (void)state;
    mqp_envelope *e;
    assert_rc(mqp_envelope_decode(NULL, 0, &e, NULL, 0), MQP_ERR_INVALID);
    expect_decode_error("{\"id\":", MQP_ERR_JSON, "malformed JSON");
    expect_decode_error("not json", MQP_ERR_JSON, "near byte 0");
    expect_decode_error("[1]", MQP_ERR_ENVELOPE, "not a JSON object");
    expect_decode_error("{\"type\":\"t\",\"ts\":1,\"data\":1}", MQP_ERR_ENVELOPE, "missing 'id'");
    expect_decode_error("{\"id\":1,\"type\":\"t\",\"ts\":1,\"data\":1}", MQP_ERR_ENVELOPE,
                        "'id' must be a non-empty string");
    expect_decode_error("{\"id\":\"\",\"type\":\"t\",\"ts\":1,\"data\":1}", MQP_ERR_ENVELOPE,
                        "'id' must be");
    expect_decode_error("{\"id\":\"i\",\"ts\":1,\"data\":1}", MQP_ERR_ENVELOPE, "missing 'type'");
    expect_decode_error("{\"id\":\"i\",\"type\":\"t\",\"data\":1}", MQP_ERR_ENVELOPE,
                        "missing 'ts'");
    expect_decode_error("{\"id\":\"i\",\"type\":\"t\",\"ts\":\"now\",\"data\":1}", MQP_ERR_ENVELOPE,
                        "'ts' must be");
    expect_decode_error("{\"id\":\"i\",\"type\":\"t\",\"ts\":1}", MQP_ERR_ENVELOPE,
                        "missing 'data'");
    expect_decode_error("{\"id\":\"i\",\"type\":\"t\",\"ts\":1,\"data\":1,\"seq\":-1}",
                        MQP_ERR_ENVELOPE, "'seq' must be");
    expect_decode_error("{\"id\":\"i\",\"type\":\"t\",\"ts\":1,\"data\":1,\"seq\":1.5}",
                        MQP_ERR_ENVELOPE, "'seq' must be");
    expect_decode_error("{\"id\":\"i\",\"type\":\"t\",\"ts\":1,\"data\":1,\"source\":3}",
                        MQP_ERR_ENVELOPE, "'source' must be");
    expect_decode_error("{\"id\":\"i\",\"type\":\"t\",\"ts\":1,\"data\":1,\"correlation_id\":[]}",
                        MQP_ERR_ENVELOPE, "'correlation_id' must be");
}

static void test_mqp_envelope_decode_optional_members(void **state)
{
    (void)state;
    const char *json = "{\"id\":\"i\",\"type\":\"t\",\"ts\":1.5,\"data\":{},"
                       "\"correlation_id\":null,\"extra\":1}";
    mqp_envelope *e;
    assert_ok(mqp_envelope_decode(json, strlen(json), &e, NULL, 0));
    assert_null(mqp_envelope_source(e));
    assert_null(mqp_envelope_correlation_id(e));
    bool has = true;
    assert_int_equal(mqp_envelope_seq(e, &has), 0);
    assert_false(has);
    mqp_envelope_free(e);
    mqp_envelope_free(NULL);
}

static void test_mqp_uuid4_hex_unique(void **state)
{
    (void)state;
    char a[33], b[33];
    mqp_uuid4_hex(a);
    mqp_uuid4_hex(b);
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, b);
    assert_true(strchr("89ab", a[16]) != NULL); /* RFC 4122 variant */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp_envelope_encode_bad_arguments),
        cmocka_unit_test(test_mqp_envelope_encode_fields),
        cmocka_unit_test(test_mqp_envelope_roundtrip),
        cmocka_unit_test(test_mqp_envelope_decode_errors_name_the_field),
        cmocka_unit_test(test_mqp_envelope_decode_optional_members),
        cmocka_unit_test(test_mqp_uuid4_hex_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
