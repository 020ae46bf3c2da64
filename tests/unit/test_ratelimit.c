/* Rate-limited logging: a burst per window passes, the rest is counted and said later. */
#include "check.h"

#include "ratelimit.h"

static void test_mqpx_ratelimit_burst_per_window(void **state)
{
    (void)state;
    mqpx_ratelimit r;
    mqpx_ratelimit_init(&r, 3, 10.0);
    uint64_t held = 99;
    for (int i = 0; i < 3; i++) {
        assert_true(mqpx_ratelimit_pass(&r, 100.0 + i, &held));
        assert_int_equal(held, 0);
    }
    for (int i = 0; i < 5; i++) {
        assert_false(mqpx_ratelimit_pass(&r, 105.0, &held)); /* Held back, counted. */
    }
    /* The next window: the first event passes and says what was held back. */
    assert_true(mqpx_ratelimit_pass(&r, 110.0, &held));
    assert_int_equal(held, 5);
    assert_true(mqpx_ratelimit_pass(&r, 110.5, &held));
    assert_int_equal(held, 0);
}

static void test_mqpx_ratelimit_take_held(void **state)
{
    (void)state;
    mqpx_ratelimit r;
    mqpx_ratelimit_init(&r, 1, 10.0);
    uint64_t held = 0;
    assert_true(mqpx_ratelimit_pass(&r, 0.5, &held));
    assert_false(mqpx_ratelimit_pass(&r, 1.0, &held));
    assert_false(mqpx_ratelimit_pass(&r, 2.0, &held));
    assert_int_equal(mqpx_ratelimit_take_held(&r), 2); /* Said elsewhere (a summary line). */
    assert_int_equal(mqpx_ratelimit_take_held(&r), 0);
    assert_true(mqpx_ratelimit_pass(&r, 11.0, &held));
    assert_int_equal(held, 0); /* Already said. */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqpx_ratelimit_burst_per_window),
        cmocka_unit_test(test_mqpx_ratelimit_take_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
