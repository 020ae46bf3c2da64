/* The IoU tracker: confirmation after N hits, stable ids, drop after M misses, flicker
 * suppressed, noise rejected. */
#include "check.h"

#include "tracker.h"

#include <stdlib.h>
#include <string.h>

static detection at(int x, int y)
{
    return (detection){{x, y, 50, 50}, 0.9, 0, "motion"};
}

static size_t step(tracker *t, const detection *d, size_t n, tracked *out)
{
    size_t k;
    tracker_update(t, d, n, out, 16, &k);
    return k;
}

static void test_tracker_new_bad_options(void **state)
{
    (void)state;
    tracker *t = NULL;
    char err[128];
    assert_rc(tracker_new(&t, &(tracker_opts){.iou_threshold = 1.5}, err, sizeof err),
              MQP_ERR_INVALID);
    assert_rc(tracker_new(&t, &(tracker_opts){.confirm_hits = -1}, err, sizeof err),
              MQP_ERR_INVALID);
    assert_null(t);
    tracker_free(NULL);
}

static void test_tracker_confirms_after_hits_and_keeps_id(void **state)
{
    (void)state;
    tracker *t;
    assert_ok(tracker_new(&t, &(tracker_opts){.confirm_hits = 3, .drop_misses = 2}, NULL, 0));
    tracked out[16];
    detection d = at(100, 100);
    assert_int_equal(step(t, &d, 1, out), 0); /* hit 1: tentative */
    d = at(104, 102);
    assert_int_equal(step(t, &d, 1, out), 0); /* hit 2 */
    d = at(108, 104);
    assert_int_equal(step(t, &d, 1, out), 1); /* hit 3: confirmed */
    uint64_t id = out[0].track_id;
    assert_false(out[0].predicted);
    for (int i = 0; i < 20; i++) {
        d = at(112 + 4 * i, 106 + 2 * i);
        assert_int_equal(step(t, &d, 1, out), 1);
        assert_int_equal(out[0].track_id, id);
        assert_int_equal(out[0].det.b.x, 112 + 4 * i);
    }
    tracker_stats s;
    tracker_stats_get(t, &s);
    assert_int_equal(s.created, 1);
    assert_int_equal(s.confirmed_total, 1);
    assert_int_equal(s.active, 1);
    assert_int_equal(s.confirmed, 1);
    tracker_free(t);
}

static void test_tracker_suppresses_flicker_then_drops(void **state)
{
    (void)state;
    tracker *t;
    assert_ok(tracker_new(&t, &(tracker_opts){.confirm_hits = 2, .drop_misses = 2}, NULL, 0));
    tracked out[16];
    detection d = at(200, 200);
    step(t, &d, 1, out);
    d = at(210, 200);
    assert_int_equal(step(t, &d, 1, out), 1);
    /* One frame without the detection: still reported, predicted along its motion. */
    assert_int_equal(step(t, NULL, 0, out), 1);
    assert_true(out[0].predicted);
    assert_true(out[0].det.b.x > 210);
    /* It comes back: same track. */
    uint64_t id = out[0].track_id;
    d = at(out[0].det.b.x + 4, 200);
    assert_int_equal(step(t, &d, 1, out), 1);
    assert_int_equal(out[0].track_id, id);
    /* Gone for good: reported for drop_misses frames, then dropped. */
    assert_int_equal(step(t, NULL, 0, out), 1);
    assert_int_equal(step(t, NULL, 0, out), 1);
    assert_int_equal(step(t, NULL, 0, out), 0);
    tracker_stats s;
    tracker_stats_get(t, &s);
    assert_int_equal(s.flicker_suppressed, 3);
    assert_int_equal(s.dropped, 1);
    assert_int_equal(s.active, 0);
    tracker_free(t);
}

static void test_tracker_rejects_one_off_noise(void **state)
{
    (void)state;
    tracker *t;
    assert_ok(tracker_new(&t, NULL, NULL, 0));
    tracked out[16];
    for (int i = 0; i < 10; i++) {
        /* A blip in a different place each frame never becomes a track. */
        detection d = at(30 * i, 400 - 30 * i);
        assert_int_equal(step(t, &d, 1, out), 0);
    }
    tracker_stats s;
    tracker_stats_get(t, &s);
    assert_int_equal(s.confirmed_total, 0);
    assert_true(s.rejected >= 9);
    tracker_free(t);
}

static void test_tracker_two_objects_keep_their_ids(void **state)
{
    (void)state;
    tracker *t;
    assert_ok(tracker_new(&t, &(tracker_opts){.confirm_hits = 1}, NULL, 0));
    tracked out[16];
    detection d[2] = {at(0, 0), at(300, 0)};
    assert_int_equal(step(t, d, 2, out), 2);
    uint64_t left = out[0].det.b.x == 0 ? out[0].track_id : out[1].track_id;
    for (int i = 1; i < 30; i++) {
        /* Listed in the other order each frame: matching is by overlap, not position. */
        detection e[2] = {at(300 - 3 * i, 0), at(3 * i, 0)};
        assert_int_equal(step(t, e, 2, out), 2);
        for (size_t k = 0; k < 2; k++) {
            if (out[k].det.b.x == 3 * i) {
                assert_int_equal(out[k].track_id, left);
            }
        }
    }
    tracker_free(t);
}

/* A detector that runs one frame in four: between runs the tracks move on their own, keep
 * their ids, count no miss, and the velocity is measured over the frames between runs. */
static void test_tracker_predicts_between_detector_runs(void **state)
{
    (void)state;
    tracker *t;
    assert_ok(tracker_new(&t, &(tracker_opts){.confirm_hits = 3, .drop_misses = 2}, NULL, 0));
    tracked out[16];
    size_t k = 0;
    uint64_t id = 0;
    for (int f = 0; f < 80; f++) { /* An object moving 3 px a frame to the right. */
        if (f % 4 == 0) {
            detection d = at(100 + 3 * f, 100);
            tracker_update(t, &d, 1, out, 16, &k);
        } else {
            tracker_predict(t, out, 16, &k);
        }
        if (f >= 8) { /* Confirmed at its third detection (frame 8). */
            assert_int_equal(k, 1);
            id = id ? id : out[0].track_id;
            assert_int_equal(out[0].track_id, id);
            if (f >= 40) { /* The velocity has settled: the prediction follows the object. */
                assert_true(abs(out[0].det.b.x - (100 + 3 * f)) <= 2);
            }
        }
    }
    tracker_stats s;
    tracker_stats_get(t, &s);
    assert_int_equal(s.created, 1);
    assert_int_equal(s.dropped, 0);
    assert_int_equal(s.flicker_suppressed, 0); /* Predicted by design, not a flicker. */
    tracker_free(t);
}

/* A detector that looked only at a region misses nothing outside it. */
static void test_tracker_update_in_a_region(void **state)
{
    (void)state;
    tracker *t;
    assert_ok(tracker_new(&t, &(tracker_opts){.confirm_hits = 1, .drop_misses = 1}, NULL, 0));
    tracked out[16];
    size_t k;
    detection two[2] = {at(10, 10), at(400, 300)};
    tracker_update(t, two, 2, out, 16, &k);
    assert_int_equal(k, 2);
    box frame = {0, 0, 640, 480};
    box right = {300, 200, 300, 250}; /* Holds the second object only. */
    for (int i = 0; i < 10; i++) { /* The second keeps being seen; the first is not looked for. */
        tracker_update_in(t, &two[1], 1, right, frame, out, 16, &k);
        assert_int_equal(k, 2);
    }
    box left = {0, 0, 200, 200};
    tracker_update_in(t, &two[1], 0, left, frame, out, 16, &k); /* Looked for where the first is: */
    tracker_update_in(t, &two[1], 0, left, frame, out, 16, &k); /* missed twice, it is dropped. */
    assert_int_equal(k, 1);
    assert_int_equal(out[0].det.b.x, 400);
    /* An object leaving the frame is missed, wherever the detector looked: it does not drift
     * on outside the frame for ever. */
    detection leaving[3] = {at(560, 100), at(580, 100), at(600, 100)};
    for (int i = 0; i < 3; i++) { /* Moving right, 20 px a frame: confirmed. */
        detection now[2] = {two[1], leaving[i]};
        tracker_update(t, now, 2, out, 16, &k);
    }
    assert_int_equal(k, 2);
    for (int i = 0; i < 6; i++) {
        tracker_update_in(t, &two[1], 1, right, frame, out, 16, &k);
    }
    assert_int_equal(k, 1); /* Only the one still seen. */
    assert_int_equal(out[0].det.b.x, 400);
    tracker_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tracker_new_bad_options),
        cmocka_unit_test(test_tracker_confirms_after_hits_and_keeps_id),
        cmocka_unit_test(test_tracker_predicts_between_detector_runs),
        cmocka_unit_test(test_tracker_update_in_a_region),
        cmocka_unit_test(test_tracker_suppresses_flicker_then_drops),
        cmocka_unit_test(test_tracker_rejects_one_off_noise),
        cmocka_unit_test(test_tracker_two_objects_keep_their_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
