/* Telling a takeover from other losses, and the growing waits after one. */
#include "check.h"

#include "takeover.h"

/* One connection's life: accepted (session present or not), then lost after up_ms. */
static mqp__loss cycle(mqp__takeover *t, bool session_present, bool closed, bool reason,
                       int64_t up_ms)
{
    mqp__takeover_connected(t, session_present);
    return mqp__takeover_lost(t, closed, reason, up_ms);
}

static void test_mqp__takeover_init_bad_base(void **state)
{
    (void)state;
    mqp__takeover t;
    mqp__takeover_init(&t, 0); /* Taken as 1 ms: never a zero wait. */
    int64_t d = mqp__takeover_delay(&t);
    assert_true(d >= 0 && d <= 1);
    assert_int_equal(mqp__takeover_count(&t), 0);
}

static void test_mqp__takeover_lost_one_close_is_not_a_takeover(void **state)
{
    (void)state;
    mqp__takeover t;
    mqp__takeover_init(&t, 1000);
    /* A broker restart looks like one close: the client reconnects as usual. */
    assert_int_equal(cycle(&t, false, true, false, 600000), MQP__LOSS_OTHER);
    /* After it, a broker that lost its sessions (session not present) is no takeover. */
    assert_int_equal(cycle(&t, false, true, false, 500), MQP__LOSS_OTHER);
    /* An error of ours, or a keepalive timeout, is never one. */
    assert_int_equal(cycle(&t, true, false, false, 500), MQP__LOSS_OTHER);
    assert_int_equal(mqp__takeover_count(&t), 0);
}

static void test_mqp__takeover_lost_pattern(void **state)
{
    (void)state;
    mqp__takeover t;
    mqp__takeover_init(&t, 1000);
    assert_int_equal(cycle(&t, true, true, false, 600000), MQP__LOSS_OTHER);
    /* Accepted at once with the session, closed again: the pattern of a takeover. */
    assert_int_equal(cycle(&t, true, true, false, 300), MQP__LOSS_TAKEOVER_LIKELY);
    assert_int_equal(cycle(&t, true, true, false, 4000), MQP__LOSS_TAKEOVER_LIKELY);
    assert_int_equal(mqp__takeover_count(&t), 2);
    /* A failed attempt in between breaks the chain (the broker was away). */
    mqp__takeover_attempt_failed(&t);
    assert_int_equal(cycle(&t, true, true, false, 300), MQP__LOSS_OTHER);
    assert_int_equal(mqp__takeover_count(&t), 0);
    assert_int_equal(cycle(&t, true, true, false, 300), MQP__LOSS_TAKEOVER_LIKELY);
    /* So does a connection that lasted past the quiet time (2 * 12 * base). */
    assert_int_equal(cycle(&t, true, true, false, 24000), MQP__LOSS_OTHER);
}

static void test_mqp__takeover_lost_reason_says_so(void **state)
{
    (void)state;
    mqp__takeover t;
    mqp__takeover_init(&t, 1000);
    /* MQTT 5 reason 0x8E: a takeover at once, even on a long-lived connection. */
    assert_int_equal(cycle(&t, false, false, true, 600000), MQP__LOSS_TAKEOVER);
    assert_int_equal(cycle(&t, true, false, true, 300), MQP__LOSS_TAKEOVER);
    assert_int_equal(mqp__takeover_count(&t), 2);
}

static void test_mqp__takeover_delay_grows_to_its_bound(void **state)
{
    (void)state;
    mqp__takeover t;
    mqp__takeover_init(&t, 1000);
    /* Equal jitter: step n waits within [base/2, base], base = min(1000 * 2^n, 12000). */
    int64_t bases[] = {1000, 2000, 4000, 8000, 12000, 12000, 12000};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        int64_t d = mqp__takeover_delay(&t);
        assert_true(d >= bases[i] / 2 && d <= bases[i]);
    }
    /* A new episode starts from the first step again. */
    assert_int_equal(cycle(&t, false, false, false, 100), MQP__LOSS_OTHER);
    int64_t d = mqp__takeover_delay(&t);
    assert_true(d >= 500 && d <= 1000);
}

static void test_mqp__takeover_settled(void **state)
{
    (void)state;
    mqp__takeover t;
    mqp__takeover_init(&t, 1000);
    assert_false(mqp__takeover_settled(&t, 10000000)); /* No takeover: nothing to settle. */
    assert_int_equal(cycle(&t, true, true, false, 100), MQP__LOSS_OTHER);
    assert_int_equal(cycle(&t, true, true, false, 100), MQP__LOSS_TAKEOVER_LIKELY);
    mqp__takeover_connected(&t, true);
    assert_false(mqp__takeover_settled(&t, 23999));
    assert_true(mqp__takeover_settled(&t, 24000));
    assert_false(mqp__takeover_settled(&t, 25000)); /* Once. */
    assert_int_equal(mqp__takeover_count(&t), 0);
    /* The close that ends this long connection starts no chain. */
    assert_int_equal(mqp__takeover_lost(&t, true, false, 30000), MQP__LOSS_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp__takeover_init_bad_base),
        cmocka_unit_test(test_mqp__takeover_lost_one_close_is_not_a_takeover),
        cmocka_unit_test(test_mqp__takeover_lost_pattern),
        cmocka_unit_test(test_mqp__takeover_lost_reason_says_so),
        cmocka_unit_test(test_mqp__takeover_delay_grows_to_its_bound),
        cmocka_unit_test(test_mqp__takeover_settled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
