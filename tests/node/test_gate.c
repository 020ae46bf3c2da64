/* Whether and where the detector runs: the rate cap, and motion gating on the synthetic scene
 * (its ground truth says where things move). Time is given, not read: no test waits. */
#include "check.h"

#include "gate.h"
#include "scene.h"

static void test_gate_rate_cap(void **state)
{
    (void)state;
    gate g;
    assert_ok(gate_init(&g, &(gate_opts){.max_fps = 5}, 640, 480, 0, 0, NULL, 0));
    image_view none = {0};
    int runs = 0;
    for (int f = 0; f < 300; f++) { /* 10 s at 30 fps. */
        box r = {0, 0, 640, 480};
        if (gate_decide(&g, none, 1000.0 + f / 30.0, NULL, 0, &r)) {
            runs++;
            assert_int_equal(r.w, 640); /* Not gated: where it was going to look. */
        }
    }
    assert_true(runs >= 49 && runs <= 51); /* 5 a second. */
    /* A frame late by seconds starts a new schedule instead of a burst of catching up. */
    box r = {0, 0, 640, 480};
    assert_true(gate_decide(&g, none, 2000.0, NULL, 0, &r));
    assert_false(gate_decide(&g, none, 2000.1, NULL, 0, &r));
    assert_true(gate_decide(&g, none, 2000.2, NULL, 0, &r));
    gate_free(&g);
}

static void test_gate_still_scene_runs_only_full_passes(void **state)
{
    (void)state;
    scene *sc;
    assert_ok(scene_new(&sc, &(scene_opts){.objects = -1, .seed = 3}, NULL, 0));
    gate g;
    assert_ok(gate_init(&g, &(gate_opts){.on_motion = true, .full_pass_every = 25}, 640, 480, 0, 0,
                        NULL, 0));
    int runs = 0;
    for (int f = 0; f < 100; f++) {
        box r = {0, 0, 640, 480};
        if (gate_decide(&g, scene_render(sc, (uint64_t)f), f / 25.0, NULL, 0, &r)) {
            runs++;
            assert_int_equal(f % 25, 0); /* Only the full passes: frames 0, 25, 50, 75. */
            assert_int_equal(r.w, 640);
            assert_int_equal(r.h, 480);
        }
    }
    assert_int_equal(runs, 4);
    /* Something found once and not yet confirmed is looked at again, still or not. */
    box tentative = {300, 200, 20, 30}, r = {0, 0, 640, 480};
    assert_true(gate_decide(&g, scene_render(sc, 100), 4.0, NULL, 0, &r)); /* A full pass. */
    assert_false(gate_decide(&g, scene_render(sc, 101), 4.04, NULL, 0, &r));
    assert_true(gate_decide(&g, scene_render(sc, 102), 4.08, &tentative, 1, &r));
    assert_true(box_area(box_intersection(r, tentative)) == box_area(tentative));
    assert_true(r.w < 640);
    gate_free(&g);
    scene_free(sc);
}

static void test_gate_moving_objects_region(void **state)
{
    (void)state;
    scene *sc;
    assert_ok(scene_new(&sc, &(scene_opts){.objects = 1, .seed = 5}, NULL, 0));
    gate g;
    assert_ok(gate_init(&g, &(gate_opts){.on_motion = true, .full_pass_every = 1000}, 640, 480, 256,
                        200, NULL, 0));
    int gated = 0;
    for (int f = 0; f < 120; f++) {
        box r = {0, 0, 640, 480};
        bool run = gate_decide(&g, scene_render(sc, (uint64_t)f), f / 30.0, NULL, 0, &r);
        if (f < 10) {
            continue; /* The motion detector's first frames. */
        }
        assert_true(run); /* The object always moves. */
        scene_truth t;
        assert_int_equal(scene_truth_at(sc, (uint64_t)f, &t, 1), 1);
        /* The region holds the object, is at least the detector's input, inside the frame. */
        assert_true(box_area(box_intersection(r, t.b)) == box_area(t.b));
        assert_true(r.w >= 256 && r.h >= 200);
        assert_true(r.x >= 0 && r.y >= 0 && r.x + r.w <= 640 && r.y + r.h <= 480);
        gated += r.w < 640 || r.h < 480;
    }
    assert_true(gated >= 100); /* A region, not the frame: that is the saving. */
    gate_free(&g);
    scene_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gate_rate_cap),
        cmocka_unit_test(test_gate_still_scene_runs_only_full_passes),
        cmocka_unit_test(test_gate_moving_objects_region),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
