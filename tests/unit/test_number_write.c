/* Numbers written without snprintf: each writer gives what snprintf gives, checked against it
 * on edge values and on millions of random ones. */
#include "check.h"

#include "number_write.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void expect_g6(double v)
{
    char want[64], got[MQPX_NUMBER_MAX + 1];
    snprintf(want, sizeof want, "%.6g", v);
    size_t n = mqpx_write_g6(got, v);
    got[n] = '\0';
    if (strcmp(want, got) != 0) {
        fail_msg("%.17g: snprintf says '%s', mqpx_write_g6 '%s'", v, want, got);
    }
}

static void test_mqpx_write_g6_edges(void **state)
{
    (void)state;
    static const double v[] = {
        0,
        -0.0,
        1,
        -1,
        0.5,
        0.87,
        0.873421,
        0.1234565,
        0.1234575,
        1.5,
        2.5e-4,
        1e-4,
        9.9999949e-5,
        9.99995e-5,
        1e-5,
        0.0001234,
        9.999995,
        9.9999949,
        9.99999,
        99999.95,
        99999.94,
        999999.4,
        999999.5,
        999999.6,
        1e6,
        123456.5,
        123457.5,
        1234567,
        0.3,
        0.1 + 0.2,
        1.0 / 3,
        2.0 / 3,
        29.97,
        30.0,
        1e-300,
        1e300,
        DBL_MAX,
        DBL_MIN,
        5e-324,
        -0.000123456,
        -987654.3,
        0.999999,
        0.9999995,
        0.99999949,
        0.00099999951,
        100000,
        99999.5,
        12345.65,
        1.0000005,
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        expect_g6(v[i]);
    }
}

/* A small generator of its own: the same sequence on every run. */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_mqpx_write_g6_random(void **state)
{
    (void)state;
    uint64_t s = 88172645463325252ull;
    for (int i = 0; i < 2000000; i++) {
        double unit = (double)(next(&s) >> 11) / 9007199254740992.0; /* [0, 1) */
        int e = (int)(next(&s) % 16) - 7;                            /* 1e-7 .. 1e8 */
        double v = unit * pow(10, e);
        if (i % 3 == 0) {
            v = round(v * 1e7) / 1e7; /* Short decimals, ties among them. */
        }
        expect_g6(i % 2 ? -v : v);
    }
}

static void test_mqpx_write_integers(void **state)
{
    (void)state;
    static const int64_t v[] = {0,         1,         -1,        9,         10,
                                99,        100,       12345,     -12345,    INT32_MAX,
                                INT32_MIN, INT64_MAX, INT64_MIN, 1000000007};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char want[32], got[MQPX_NUMBER_MAX + 1];
        snprintf(want, sizeof want, "%" PRId64, v[i]);
        got[mqpx_write_i64(got, v[i])] = '\0';
        assert_string_equal(got, want);
        if (v[i] >= 0) {
            got[mqpx_write_u64(got, (uint64_t)v[i])] = '\0';
            assert_string_equal(got, want);
        }
    }
    char got[MQPX_NUMBER_MAX + 1];
    got[mqpx_write_u64(got, UINT64_MAX)] = '\0';
    assert_string_equal(got, "18446744073709551615");
    got[mqpx_write_padded(got, 42, 6)] = '\0';
    assert_string_equal(got, "000042");
    got[mqpx_write_padded(got, 999999, 6)] = '\0';
    assert_string_equal(got, "999999");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqpx_write_g6_edges),
        cmocka_unit_test(test_mqpx_write_g6_random),
        cmocka_unit_test(test_mqpx_write_integers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
