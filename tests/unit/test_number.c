/* Strict numbers: nothing that is not exactly a decimal number in range gets through. */
#include "check.h"

#include "number.h"

#include <limits.h>
#include <string.h>

static void test_mqpx_parse_int_refuses(void **state)
{
    (void)state;
    long long v = 42;
    static const char *const syntax[] = {NULL, "",     "-",   "1.5", "12ab", " 12", "12 ",
                                         "+1", "0x10", "1e3", "--1", "\t1",  "١"};
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
        assert_int_equal(mqpx_parse_int(syntax[i], 0, 100, &v), MQPX_NUM_SYNTAX);
    }
    assert_int_equal(mqpx_parse_int("101", 0, 100, &v), MQPX_NUM_RANGE);
    assert_int_equal(mqpx_parse_int("-1", 0, 100, &v), MQPX_NUM_RANGE);
    assert_int_equal(mqpx_parse_int("99999999999999999999", LLONG_MIN, LLONG_MAX, &v),
                     MQPX_NUM_RANGE);
    assert_int_equal(mqpx_parse_int("-99999999999999999999", LLONG_MIN, LLONG_MAX, &v),
                     MQPX_NUM_RANGE);
    assert_int_equal(v, 42); /* Untouched on failure. */
}

static void test_mqpx_parse_int_accepts(void **state)
{
    (void)state;
    long long v = 0;
    assert_int_equal(mqpx_parse_int("0", 0, 1, &v), MQPX_NUM_OK);
    assert_int_equal(v, 0);
    assert_int_equal(mqpx_parse_int("-7", -10, 10, &v), MQPX_NUM_OK);
    assert_int_equal(v, -7);
    assert_int_equal(mqpx_parse_int("007", 0, 10, &v), MQPX_NUM_OK);
    assert_int_equal(v, 7);
    assert_int_equal(mqpx_parse_int("9223372036854775807", 0, LLONG_MAX, &v), MQPX_NUM_OK);
    assert_true(v == LLONG_MAX);
}

static void test_mqpx_parse_double_refuses(void **state)
{
    (void)state;
    double v = 42;
    static const char *const syntax[] = {NULL,  "",   ".",   "-",   "1.2.3", "1e",
                                         "1e+", "e3", "inf", "nan", "0x1p3", " 1",
                                         "1 ",  "1s", "+1",  "--1", "1,5",   "Infinity"};
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
        assert_int_equal(mqpx_parse_double(syntax[i], 0, 100, &v), MQPX_NUM_SYNTAX);
    }
    assert_int_equal(mqpx_parse_double("100.01", 0, 100, &v), MQPX_NUM_RANGE);
    assert_int_equal(mqpx_parse_double("1e999", 0, 1e300, &v), MQPX_NUM_RANGE);
    assert_int_equal(mqpx_parse_double("-0.5", 0, 1, &v), MQPX_NUM_RANGE);
    assert_true(v == 42);
}

static void test_mqpx_parse_double_accepts(void **state)
{
    (void)state;
    double v = 0;
    static const struct {
        const char *s;
        double want;
    } ok[] = {{"2", 2},       {"0.25", 0.25}, {".5", 0.5},     {"5.", 5},
              {"-1.5", -1.5}, {"1e3", 1000},  {"2.5E-1", 0.25}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(mqpx_parse_double(ok[i].s, -10, 1e4, &v), MQPX_NUM_OK);
        assert_true(v == ok[i].want);
    }
}

static void test_mqpx_num_expected_wording(void **state)
{
    (void)state;
    char b[64];
    mqpx_num_expected_int(b, sizeof b, LLONG_MIN, LLONG_MAX);
    assert_string_equal(b, "an integer");
    mqpx_num_expected_int(b, sizeof b, 0, LLONG_MAX);
    assert_string_equal(b, "a non-negative integer");
    mqpx_num_expected_int(b, sizeof b, 1, LLONG_MAX);
    assert_string_equal(b, "a positive integer");
    mqpx_num_expected_int(b, sizeof b, 1, 65535);
    assert_string_equal(b, "an integer in 1..65535");
    mqpx_num_expected_double(b, sizeof b, 0.1, 86400);
    assert_string_equal(b, "a number in 0.1..86400");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqpx_parse_int_refuses),
        cmocka_unit_test(test_mqpx_parse_int_accepts),
        cmocka_unit_test(test_mqpx_parse_double_refuses),
        cmocka_unit_test(test_mqpx_parse_double_accepts),
        cmocka_unit_test(test_mqpx_num_expected_wording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
