/* Backoff: doubling steps capped at max, each delay jittered within [base/2, base]. */
#include "check.h"

#include "backoff.h"

static void test_mqpx_backoff_next_bounds(void **state)
{
    (void)state;
    const int64_t base[] = {500, 1000, 2000, 4000, 5000, 5000, 5000};
    for (int run = 0; run < 200; run++) {
        mqpx_backoff b;
        mqpx_backoff_init(&b, 500, 5000);
        for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
            int64_t d = mqpx_backoff_next(&b);
            if (d < base[i] / 2 || d > base[i]) {
                print_error("step %zu: delay %lld outside [%lld, %lld]\n", i, (long long)d,
                            (long long)base[i] / 2, (long long)base[i]);
                fail();
            }
        }
    }
}

static void test_mqpx_backoff_next_is_jittered(void **state)
{
    (void)state;
    /* Two hundred clients at the same step do not all pick the same delay. */
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 200; i++) {
        mqpx_backoff b;
        mqpx_backoff_init(&b, 500, 5000);
        mqpx_backoff_next(&b);
        int64_t d = mqpx_backoff_next(&b);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    assert_true(hi - lo > 250);
}

static void test_mqpx_backoff_reset(void **state)
{
    (void)state;
    mqpx_backoff b;
    mqpx_backoff_init(&b, 100, 100000);
    for (int i = 0; i < 100; i++) {
        mqpx_backoff_next(&b); /* Far past the cap; no overflow. */
    }
    assert_true(mqpx_backoff_next(&b) <= 100000);
    mqpx_backoff_reset(&b);
    assert_true(mqpx_backoff_next(&b) <= 100);
}

static void test_mqpx_backoff_init_bad_values(void **state)
{
    (void)state;
    mqpx_backoff b;
    mqpx_backoff_init(&b, 0, -5);
    assert_true(b.min_ms >= 1);
    assert_true(b.max_ms >= b.min_ms);
    assert_true(mqpx_backoff_next(&b) <= b.max_ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqpx_backoff_next_bounds),
        cmocka_unit_test(test_mqpx_backoff_next_is_jittered),
        cmocka_unit_test(test_mqpx_backoff_reset),
        cmocka_unit_test(test_mqpx_backoff_init_bad_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
