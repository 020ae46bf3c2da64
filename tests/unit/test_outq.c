/* The outgoing QoS 0 window: its two bounds, in-order completion, loss at a disconnection, and
 * a failed allocation that refuses a message without losing the window. */
#include "check.h"

#include "alloc.h"
#include "outq.h"

#include <stdint.h>

/* Admits and records one message; false if the window refused it. */
static bool send(mqp__outq *q, int mid, size_t bytes)
{
    bool nomem = false;
    if (!mqp__outq_admit(q, bytes, &nomem)) {
        assert_false(nomem);
        return false;
    }
    mqp__outq_push(q, mid, bytes);
    return true;
}

static void test_mqp__outq_message_bound(void **state)
{
    (void)state;
    mqp__outq q;
    mqp__outq_init(&q, 100, SIZE_MAX);
    for (int i = 1; i <= 100; i++) {
        assert_true(send(&q, i, 10));
    }
    assert_false(send(&q, 101, 10)); /* The newest is refused, and counted. */
    assert_int_equal(q.refused, 1);
    assert_int_equal(q.count, 100);
    assert_int_equal(q.bytes, 1000);
    assert_true(mqp__outq_complete(&q, 1));
    assert_true(send(&q, 102, 10)); /* Room again. */
    assert_int_equal(q.high_water, 100);
    mqp__outq_free(&q);
}

/* Asking first: full by messages or by bytes is refused (and counted) before a message is
 * made; an empty window is never full, whatever the bounds. */
static void test_mqp__outq_refuse_if_full(void **state)
{
    (void)state;
    mqp__outq q;
    mqp__outq_init(&q, 2, 1000);
    assert_false(mqp__outq_refuse_if_full(&q));
    assert_true(send(&q, 1, 10));
    assert_false(mqp__outq_refuse_if_full(&q));
    assert_true(send(&q, 2, 10));
    assert_true(mqp__outq_refuse_if_full(&q));
    assert_int_equal(q.refused, 1);
    assert_true(mqp__outq_complete(&q, 1));
    assert_false(mqp__outq_refuse_if_full(&q));
    assert_true(mqp__outq_complete(&q, 2));
    assert_true(send(&q, 3, 1000)); /* The byte bound, reached by one message. */
    assert_true(mqp__outq_refuse_if_full(&q));
    assert_int_equal(q.refused, 2);
    mqp__outq_free(&q);
}

static void test_mqp__outq_byte_bound(void **state)
{
    (void)state;
    mqp__outq q;
    mqp__outq_init(&q, SIZE_MAX, 1000);
    assert_true(send(&q, 1, 600));
    assert_true(send(&q, 2, 400)); /* Exactly at the bound. */
    assert_false(send(&q, 3, 1));
    assert_true(mqp__outq_complete(&q, 1));
    assert_false(send(&q, 4, 601));
    assert_true(send(&q, 5, 600));
    assert_int_equal(q.bytes, 1000);
    assert_int_equal(q.refused, 2);
    mqp__outq_free(&q);
    /* One message larger than the whole bound still goes out, alone. */
    mqp__outq_init(&q, 10, 1000);
    assert_true(send(&q, 1, 5000));
    assert_false(send(&q, 2, 1));
    assert_true(mqp__outq_complete(&q, 1));
    assert_true(send(&q, 3, 1));
    mqp__outq_free(&q);
}

static void test_mqp__outq_completion_order(void **state)
{
    (void)state;
    mqp__outq q;
    mqp__outq_init(&q, SIZE_MAX, SIZE_MAX);
    /* More than the first allocation, so the ring grows while it wraps. */
    for (int i = 0; i < 50; i++) {
        assert_true(send(&q, i, 1));
    }
    for (int i = 0; i < 40; i++) {
        assert_true(mqp__outq_complete(&q, i));
    }
    for (int i = 50; i < 250; i++) {
        assert_true(send(&q, i % 65535, 1));
    }
    assert_int_equal(q.count, 210);
    assert_false(mqp__outq_complete(&q, 7)); /* Not outstanding: a QoS 1 acknowledgement. */
    assert_int_equal(q.count, 210);
    /* A completion past the oldest means the older ones were written too. */
    assert_true(mqp__outq_complete(&q, 45));
    assert_int_equal(q.count, 204);
    for (int i = 46; i < 250; i++) {
        assert_true(mqp__outq_complete(&q, i));
    }
    assert_int_equal(q.count, 0);
    assert_int_equal(q.bytes, 0);
    mqp__outq_free(&q);
}

static void test_mqp__outq_lose_all(void **state)
{
    (void)state;
    mqp__outq q;
    mqp__outq_init(&q, 10, SIZE_MAX);
    for (int i = 1; i <= 4; i++) {
        assert_true(send(&q, i, 25));
    }
    size_t bytes = 0;
    assert_int_equal(mqp__outq_lose_all(&q, &bytes), 4);
    assert_int_equal(bytes, 100);
    assert_int_equal(q.lost, 4);
    assert_int_equal(q.count, 0);
    assert_false(mqp__outq_complete(&q, 1)); /* The old connection's ids mean nothing now. */
    assert_true(send(&q, 1, 25));
    assert_int_equal(mqp__outq_lose_all(&q, NULL), 1);
    assert_int_equal(q.lost, 5);
    mqp__outq_free(&q);
}

static void test_mqp__outq_allocation_failure(void **state)
{
    (void)state;
    mqp__outq q;
    mqp__outq_init(&q, SIZE_MAX, SIZE_MAX);
    for (int i = 0; i < 64; i++) {
        assert_true(send(&q, i, 1)); /* The first allocation. */
    }
    mqp__alloc_fail_after(1); /* The ring cannot grow: refused, not counted as full. */
    bool nomem = false;
    assert_false(mqp__outq_admit(&q, 1, &nomem));
    mqp__alloc_fail_after(-1);
    assert_true(nomem);
    assert_int_equal(q.refused, 0);
    assert_int_equal(q.count, 64);
    assert_true(mqp__outq_complete(&q, 63));
    assert_int_equal(q.count, 0);
    mqp__outq_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqp__outq_message_bound),
        cmocka_unit_test(test_mqp__outq_refuse_if_full),
        cmocka_unit_test(test_mqp__outq_byte_bound),
        cmocka_unit_test(test_mqp__outq_completion_order),
        cmocka_unit_test(test_mqp__outq_lose_all),
        cmocka_unit_test(test_mqp__outq_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
