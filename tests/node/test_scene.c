/* The synthetic scene: deterministic, inside the frame, moving, configurable. */
#include "check.h"

#include "scene.h"

#include <string.h>

static void test_scene_new_bad_options(void **state)
{
    (void)state;
    scene *s = NULL;
    char err[128];
    assert_rc(scene_new(&s, &(scene_opts){.width = 10, .height = 10}, err, sizeof err),
              MQP_ERR_INVALID);
    assert_non_null(strstr(err, "size"));
    assert_rc(scene_new(&s, &(scene_opts){.fps = 1000}, err, sizeof err), MQP_ERR_INVALID);
    assert_rc(scene_new(&s, &(scene_opts){.objects = 17}, err, sizeof err), MQP_ERR_INVALID);
    assert_rc(scene_new(&s, &(scene_opts){.noise = 128}, err, sizeof err), MQP_ERR_INVALID);
    assert_non_null(strstr(err, "noise"));
    assert_null(s);
    scene_free(NULL);
}

static void test_scene_render_deterministic(void **state)
{
    (void)state;
    scene *a, *b;
    assert_ok(scene_new(&a, &(scene_opts){.seed = 42}, NULL, 0));
    assert_ok(scene_new(&b, &(scene_opts){.seed = 42}, NULL, 0));
    assert_int_equal(scene_width(a), 640);
    assert_int_equal(scene_height(a), 480);
    /* Frame 77 rendered directly equals frame 77 rendered after others. */
    scene_render(b, 3);
    scene_render(b, 500);
    image_view va = scene_render(a, 77);
    image_view vb = scene_render(b, 77);
    assert_memory_equal(va.data, vb.data, 640 * 480);
    scene *c;
    assert_ok(scene_new(&c, &(scene_opts){.seed = 43}, NULL, 0));
    image_view vc = scene_render(c, 77);
    assert_memory_not_equal(va.data, vc.data, 640 * 480);
    scene_free(a);
    scene_free(b);
    scene_free(c);
}

static void test_scene_truth_inside_and_moving(void **state)
{
    (void)state;
    scene *s;
    assert_ok(scene_new(
        &s, &(scene_opts){.width = 320, .height = 240, .fps = 15, .objects = 5, .seed = 7}, NULL,
        0));
    scene_truth t0[8], t1[8];
    for (uint64_t n = 0; n < 2000; n += 13) {
        size_t k = scene_truth_at(s, n, t0, 8);
        assert_int_equal(k, 5);
        for (size_t i = 0; i < k; i++) {
            box b = t0[i].b;
            assert_true(b.x >= 0 && b.y >= 0 && b.x + b.w <= 320 && b.y + b.h <= 240);
            assert_non_null(t0[i].class_name);
        }
    }
    scene_truth_at(s, 100, t0, 8);
    scene_truth_at(s, 101, t1, 8);
    for (size_t i = 0; i < 5; i++) {
        assert_true(t0[i].b.x != t1[i].b.x || t0[i].b.y != t1[i].b.y);
    }
    /* The pixels show the objects: the centre of the last-drawn object has its shade. */
    image_view v = scene_render(s, 100);
    box b = t0[4].b;
    uint8_t centre = v.data[(b.y + b.h / 2) * v.stride + b.x + b.w / 2];
    uint8_t outside_ok = centre > 130 || centre < 50;
    assert_true(outside_ok);
    scene_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scene_new_bad_options),
        cmocka_unit_test(test_scene_render_deterministic),
        cmocka_unit_test(test_scene_truth_inside_and_moving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
