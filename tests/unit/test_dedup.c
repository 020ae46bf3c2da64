/* The de-duplication cache: duplicates within the TTL, expiry, the size bound. */
#include "check.h"

#include "alloc.h"
#include "dedup.h"

#include <stdio.h>
#include <string.h>

static bool check(mqp__dedup *d, const char *key, int64_t now)
{
    return mqp__dedup_check(d, key, strlen(key), now);
}

static void test_mqp__dedup_new_bad_arguments(void **state)
{
    (void)state;
    assert_null(mqp__dedup_new(0, 10));
    assert_null(mqp__dedup_new(1000, 0));
    mqp__dedup_free(NULL);
}

static void test_mqp__dedup_check_duplicate_within_ttl(void **state)
{
    (void)state;
    mqp__dedup *d = mqp__dedup_new(30000, 2048);
    assert_non_null(d);
    assert_false(check(d, "stt.final|abc|seq=1", 0));
    assert_true(check(d, "stt.final|abc|seq=1", 100));
    assert_false(check(d, "stt.final|abc|seq=2", 100));
    assert_false(check(d, "llm.reply|abc|seq=1", 100));
    assert_true(check(d, "stt.final|abc|seq=1", 29999));
    assert_int_equal(mqp__dedup_size(d), 3);
    mqp__dedup_free(d);
}

static void test_mqp__dedup_check_expires(void **state)
{
    (void)state;
    mqp__dedup *d = mqp__dedup_new(1000, 16);
    assert_false(check(d, "a", 0));
    assert_false(check(d, "b", 500));
    assert_false(check(d, "a", 1000)); /* a expired exactly at its TTL */
    assert_true(check(d, "b", 1499));
    assert_false(check(d, "b", 1500));
    mqp__dedup_free(d);
}

static void test_mqp__dedup_check_evicts_oldest_at_max(void **state)
{
    (void)state;
    mqp__dedup *d = mqp__dedup_new(60000, 3);
    assert_false(check(d, "1", 0));
    assert_false(check(d, "2", 0));
    assert_false(check(d, "3", 0));
    assert_false(check(d, "4", 0)); /* evicts 1 */
    assert_int_equal(mqp__dedup_size(d), 3);
    assert_true(check(d, "4", 1));
    assert_true(check(d, "2", 1));
    assert_false(check(d, "1", 1)); /* forgotten; evicts 2 */
    assert_false(check(d, "2", 1));
    mqp__dedup_free(d);
}

static void test_mqp__dedup_check_many_keys(void **state)
{
    (void)state;
    mqp__dedup *d = mqp__dedup_new(60000, 2048);
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "t|id|seq=%d", i);
        assert_false(check(d, key, i));
    }
    assert_int_equal(mqp__dedup_size(d), 2048);
    for (int i = 5000 - 2048; i < 5000; i++) {
        snprintf(key, sizeof key, "t|id|seq=%d", i);
        assert_true(check(d, key, 5000));
    }
    mqp__dedup_free(d);
}

static void test_mqp__dedup_alloc_failure(void **state)
{
    (void)state;
    for (long n = 1; n <= 4; n++) {
        mqp__alloc_fail_after(n);
        mqp__dedup *d = mqp__dedup_new(1000, 4);
        if (d) {
            /* Construction succeeded; a key that cannot be stored counts as new. */
            assert_false(check(d, "k", 0));
            mqp__alloc_fail_after(0);
            mqp__dedup_free(d);
        }
        mqp__alloc_fail_after(0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp__dedup_new_bad_arguments),
        cmocka_unit_test(test_mqp__dedup_check_duplicate_within_ttl),
        cmocka_unit_test(test_mqp__dedup_check_expires),
        cmocka_unit_test(test_mqp__dedup_check_evicts_oldest_at_max),
        cmocka_unit_test(test_mqp__dedup_check_many_keys),
        cmocka_unit_test(test_mqp__dedup_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
