/* Detectors by spec: the built-in motion detector, and plugins through the ABI of
 * include/mqplane/detector.h, with the example plugin (examples/detector_plugin.c) and the
 * same plugin built for another ABI major version. Each refusal is checked for its message. */
#include "check.h"

#include "node_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DETS 64

static void test_detector_motion_by_name(void **state)
{
    (void)state;
    detector *d = detector_must_open("motion", 640, 480);
    assert_string_equal(d->name, "motion");
    assert_int_equal(d->format, PIXFMT_GRAY8);
    detector_destroy(d);
    d = detector_must_open(NULL, 640, 480); /* The default. */
    assert_string_equal(d->name, "motion");
    detector_destroy(d);
    detector_must_refuse(
        "yolo", "detector 'yolo': unknown (known: motion, hog[?...], onnx:MODEL.onnx[?...], "
                "plugin:PATH.so");
}

/* The image in the detector's format: the scene is gray, so colour is three equal bytes. */
static image_view as_format(image_view g, pixfmt f, uint8_t *buf)
{
    if (f == PIXFMT_GRAY8) {
        return g;
    }
    for (int y = 0; y < g.height; y++) {
        for (int x = 0; x < g.width; x++) {
            uint8_t v = g.data[y * g.stride + x];
            uint8_t *o = buf + ((size_t)y * (size_t)g.width + (size_t)x) * 3;
            o[0] = o[1] = o[2] = v;
        }
    }
    return (image_view){buf, g.width, g.height, g.width * 3, 0, 0, f};
}

/* The example plugin finds every object of the scene (each is much brighter or much darker
 * than the background) where the objects are apart, within its grid's step. */
static void finds_the_scene(const char *spec, pixfmt want_format)
{
    detector *d = detector_must_open(spec, 640, 480);
    assert_string_equal(d->name, "blob");
    assert_int_equal(d->format, want_format);
    scene *sc;
    assert_ok(scene_new(&sc, &(scene_opts){.seed = 7}, NULL, 0));
    uint8_t *rgb = malloc((size_t)640 * 480 * 3);
    assert_non_null(rgb);
    long truths = 0, matched = 0, scored = 0;
    const char *bright = NULL;
    for (uint64_t n = 0; n < 120; n++) {
        image_view v = as_format(scene_render(sc, n), d->format, rgb);
        detection dets[MAX_DETS];
        size_t nd = 0;
        assert_ok(detector_detect(d, v, dets, MAX_DETS, &nd));
        scene_truth t[SCENE_MAX_OBJECTS];
        size_t nt = scene_truth_at(sc, n, t, SCENE_MAX_OBJECTS);
        for (size_t j = 0; j < nd; j++) {
            assert_true(strcmp(dets[j].class_name, "bright") == 0 ||
                        strcmp(dets[j].class_name, "dark") == 0);
            assert_int_equal(dets[j].class_id, strcmp(dets[j].class_name, "dark") == 0);
            assert_true(dets[j].confidence > 0 && dets[j].confidence <= 1);
            if (dets[j].class_id == 0) {
                /* Class names are interned: the same name is the same string, frame after
                 * frame, so the tracker may keep the pointer. */
                assert_true(!bright || bright == dets[j].class_name);
                bright = dets[j].class_name;
            }
        }
        if (!scene_objects_apart(t, nt)) {
            continue;
        }
        scored++;
        for (size_t i = 0; i < nt; i++) {
            truths++;
            for (size_t j = 0; j < nd; j++) {
                if (box_iou(t[i].b, dets[j].b) >= 0.6) {
                    matched++;
                    break;
                }
            }
        }
    }
    assert_true(scored >= 30);
    if (matched != truths) {
        fail_msg("%s: %ld of %ld objects found", spec, matched, truths);
    }
    free(rgb);
    scene_free(sc);
    detector_destroy(d);
}

static void test_detector_plugin_finds_objects(void **state)
{
    (void)state;
    finds_the_scene("plugin:" BLOB_PLUGIN "?cell=4", PIXFMT_GRAY8);
    /* The plugin asks for colour: the node's frames come in the format it names. */
    finds_the_scene("plugin:" BLOB_PLUGIN "?cell=4&format=bgr24", PIXFMT_BGR24);
    finds_the_scene("plugin:" BLOB_PLUGIN "?format=rgb24&cell=4&min_cells=8", PIXFMT_RGB24);
}

static void test_detector_plugin_refusals(void **state)
{
    (void)state;
    detector_must_refuse(
        "plugin:" BLOB_PLUGIN "?colour=red",
        "unknown option 'colour' (blob knows: bright dark cell min_cells format fail_every)");
    detector_must_refuse("plugin:" BLOB_PLUGIN "?cell=1",
                         "plugin:" BLOB_PLUGIN
                         "?cell=1': cell must be a whole number in 2..64, not '1'");
    detector_must_refuse("plugin:" BLOB_PLUGIN "?dark=200",
                         "dark (200) must be below bright (160)");
    detector_must_refuse("plugin:" BLOB_PLUGIN "?format=yuv",
                         "format must be gray8, rgb24 or bgr24");
    detector_must_refuse("plugin:" BLOB_PLUGIN "?cell", "expected key=value, got 'cell'");
    detector_must_refuse("plugin:" BLOB_PLUGIN "?=4", "expected key=value, got '=4'");
    detector_must_refuse("plugin:" BLOB_PLUGIN "?cell=4&cell=8", "option 'cell' given twice");
    detector_must_refuse(
        "plugin:" BLOB_ABI99_PLUGIN,
        "built for detector ABI 99.0; this mqplane has ABI 1.0 (rebuild the plugin");
    detector_must_refuse("plugin:/nonexistent/blob.so", "cannot load it: /nonexistent/blob.so");
    detector_must_refuse("plugin:" MQPLANE_LIBRARY,
                         "exports no mqp_detector_plugin_get(): not an mqplane");
    detector_must_refuse("plugin:", "detector 'plugin:': no path (plugin:PATH.so");
    detector_must_refuse("plugin:?cell=4", "no path");
    /* A bare name is a file in the working directory, not a library on the search path. */
    detector_must_refuse("plugin:libm.so.6", "cannot load it: ./libm.so.6");
}

/* A plugin that fails on a frame says why, and works again on the next one. */
static void test_detector_plugin_failure_is_reported(void **state)
{
    (void)state;
    detector *d = detector_must_open("plugin:" BLOB_PLUGIN "?fail_every=2", 640, 480);
    scene *sc;
    assert_ok(scene_new(&sc, &(scene_opts){.seed = 7}, NULL, 0));
    detection dets[MAX_DETS];
    size_t nd = 99;
    assert_ok(detector_detect(d, scene_render(sc, 0), dets, MAX_DETS, &nd));
    assert_string_equal(detector_last_error(d), "");
    assert_rc(detector_detect(d, scene_render(sc, 1), dets, MAX_DETS, &nd), MQP_ERR_HANDLER);
    assert_int_equal(nd, 0);
    assert_string_equal(detector_last_error(d), "failing on frame 2, as fail_every=2 asks");
    /* Fewer boxes than it finds are asked for: it writes no more. */
    assert_ok(detector_detect(d, scene_render(sc, 2), dets, 1, &nd));
    assert_int_equal(nd, 1);
    assert_string_equal(detector_last_error(d), "");
    scene_free(sc);
    detector_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detector_motion_by_name),
        cmocka_unit_test(test_detector_plugin_finds_objects),
        cmocka_unit_test(test_detector_plugin_refusals),
        cmocka_unit_test(test_detector_plugin_failure_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
