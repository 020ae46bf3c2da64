/* The JSON writer of the helpers layer: escaping, structure, bounds; every text it finishes
 * parses back to what went in. */
#include "check.h"

#include "json_write.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

static void test_mqpx_json_escape_bad_and_small_buffers(void **state)
{
    (void)state;
    assert_int_equal(mqpx_json_escape(NULL, 0, "", 0), 0);
    /* Too small: the needed length comes back, and nothing is written past cap. */
    char small[4] = {'x', 'x', 'x', 'x'};
    assert_int_equal(mqpx_json_escape(small, 2, "a\"b", 3), 4);
    assert_memory_equal(small, "a\\xx", 4);
}

static void test_mqpx_json_escape_every_kind(void **state)
{
    (void)state;
    char out[64];
    const char in[] = "q\"b\\n\n\r\t\b\f\x01\x1f\x7f\xc3\xbc";
    size_t n = mqpx_json_escape(out, sizeof out, in, sizeof in - 1);
    const char want[] = "q\\\"b\\\\n\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\xc3\xbc";
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(out, want, n);
    /* Six bytes per byte at most. */
    assert_int_equal(mqpx_json_escape(out, sizeof out, "\x01\x02", 2), 12);
}

static void test_mqpx_jw_misuse_fails(void **state)
{
    (void)state;
    char buf[64];
    mqpx_jw w;
    mqpx_jw_init(&w, buf, sizeof buf);
    mqpx_jw_end(&w); /* Nothing open. */
    assert_false(mqpx_jw_done(&w));
    mqpx_jw_init(&w, buf, sizeof buf);
    mqpx_jw_object(&w);
    mqpx_jw_int(&w, 1); /* A value where a key belongs. */
    assert_false(mqpx_jw_done(&w));
    mqpx_jw_init(&w, buf, sizeof buf);
    mqpx_jw_array(&w);
    mqpx_jw_key(&w, "k"); /* A key in an array. */
    assert_false(mqpx_jw_done(&w));
    mqpx_jw_init(&w, buf, sizeof buf);
    mqpx_jw_object(&w);
    mqpx_jw_key(&w, "k");
    mqpx_jw_end(&w); /* A key without its value. */
    assert_false(mqpx_jw_done(&w));
    mqpx_jw_init(&w, buf, sizeof buf);
    mqpx_jw_int(&w, 1);
    mqpx_jw_int(&w, 2); /* Two top-level values. */
    assert_false(mqpx_jw_done(&w));
    mqpx_jw_init(&w, buf, sizeof buf);
    mqpx_jw_object(&w); /* Left open. */
    assert_false(mqpx_jw_done(&w));
    mqpx_jw_init(&w, buf, 0);
    assert_false(mqpx_jw_done(&w));
}

static void test_mqpx_jw_nesting_limit(void **state)
{
    (void)state;
    char buf[256];
    mqpx_jw w;
    mqpx_jw_init(&w, buf, sizeof buf);
    for (int i = 0; i < MQPX_JW_MAX_DEPTH; i++) {
        mqpx_jw_array(&w);
    }
    assert_false(w.failed);
    mqpx_jw_array(&w);
    assert_true(w.failed);
}

static void test_mqpx_jw_never_overflows(void **state)
{
    (void)state;
    /* Every cut-off size fails cleanly, inside its buffer; the exact size succeeds. */
    char full[128];
    mqpx_jw w;
    mqpx_jw_init(&w, full, sizeof full);
    mqpx_jw_object(&w);
    mqpx_jw_key(&w, "t\"x");
    mqpx_jw_string(&w, "a\\b\x01");
    mqpx_jw_end(&w);
    assert_true(mqpx_jw_done(&w));
    size_t need = w.len + 1;
    for (size_t cap = 1; cap <= need; cap++) {
        char buf[130];
        memset(buf, '#', sizeof buf);
        mqpx_jw_init(&w, buf, cap);
        mqpx_jw_object(&w);
        mqpx_jw_key(&w, "t\"x");
        mqpx_jw_string(&w, "a\\b\x01");
        mqpx_jw_end(&w);
        assert_int_equal(mqpx_jw_done(&w), cap == need);
        assert_true(strlen(buf) < cap);
        for (size_t i = cap; i < sizeof buf; i++) {
            assert_int_equal(buf[i], '#');
        }
    }
}

static void test_mqpx_jw_round_trip(void **state)
{
    (void)state;
    const char *topic = "inference/da\"ta\\x/\xc3\xbc\xe2\x82\xac\n";
    char buf[512];
    mqpx_jw w;
    mqpx_jw_init(&w, buf, sizeof buf);
    mqpx_jw_object(&w);
    mqpx_jw_key(&w, "topic");
    mqpx_jw_string(&w, topic);
    mqpx_jw_key(&w, "list");
    mqpx_jw_array(&w);
    mqpx_jw_int(&w, -3);
    mqpx_jw_uint(&w, 18446744073709551615ull);
    mqpx_jw_double(&w, 2.5, 2);
    mqpx_jw_double(&w, INFINITY, 2);
    mqpx_jw_bool(&w, true);
    mqpx_jw_null(&w);
    mqpx_jw_string(&w, NULL);
    mqpx_jw_end(&w);
    mqpx_jw_key(&w, "raw");
    mqpx_jw_raw(&w, "{\"a\":[1]}");
    mqpx_jw_key(&w, "empty");
    mqpx_jw_object(&w);
    mqpx_jw_end(&w);
    mqpx_jw_end(&w);
    assert_true(mqpx_jw_done(&w));
    assert_string_equal(buf, "{\"topic\":\"inference/da\\\"ta\\\\x/\xc3\xbc\xe2\x82\xac\\n\","
                             "\"list\":[-3,18446744073709551615,2.50,null,true,null,null],"
                             "\"raw\":{\"a\":[1]},\"empty\":{}}");
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "topic")->valuestring, topic);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "list")), 7);
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqpx_json_escape_bad_and_small_buffers),
        cmocka_unit_test(test_mqpx_json_escape_every_kind),
        cmocka_unit_test(test_mqpx_jw_misuse_fails),
        cmocka_unit_test(test_mqpx_jw_nesting_limit),
        cmocka_unit_test(test_mqpx_jw_never_overflows),
        cmocka_unit_test(test_mqpx_jw_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
