/* The OpenCV detectors, loaded as the node loads them (by name, from the build tree's
 * src/detectors through MQPLANE_DETECTOR_DIR): hog on a real photograph of a person, onnx on
 * YOLO-format models whose outputs are known (tests/models/make_all.sh made them into
 * MODELS_DIR), in both output layouts, with the letterbox, the mapping back to the frame,
 * per-class NMS, thresholds, class filters, and every refusal's message. */
#include "check.h"

#include "node_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DETS    64
#define MODEL(name) "onnx:" MODELS_DIR "/" name

static size_t detect(detector *d, const uint8_t *px, int w, int h, detection *out)
{
    size_t n = 0;
    image_view v = {px, w, h, w * 3, 0, 0, d->format};
    assert_ok(detector_detect(d, v, out, MAX_DETS, &n));
    return n;
}

/* An image of w x h in three channels, all of value bg. */
static uint8_t *canvas(int w, int h, uint8_t bg)
{
    uint8_t *p = malloc((size_t)w * (size_t)h * 3);
    assert_non_null(p);
    memset(p, bg, (size_t)w * (size_t)h * 3);
    return p;
}

static void fill(uint8_t *p, int w, box b, uint8_t c0, uint8_t c1, uint8_t c2)
{
    for (int y = b.y; y < b.y + b.h; y++) {
        for (int x = b.x; x < b.x + b.w; x++) {
            uint8_t *q = p + ((size_t)y * (size_t)w + (size_t)x) * 3;
            q[0] = c0;
            q[1] = c1;
            q[2] = c2;
        }
    }
}

static void near_box(box got, box want, int tol)
{
    if (abs(got.x - want.x) > tol || abs(got.y - want.y) > tol || abs(got.w - want.w) > tol ||
        abs(got.h - want.h) > tol) {
        fail_msg("box %d,%d %dx%d, expected %d,%d %dx%d (+-%d)", got.x, got.y, got.w, got.h, want.x,
                 want.y, want.w, want.h, tol);
    }
}

/* ---- hog ---- */

static void test_hog_finds_the_person_in_the_photograph(void **state)
{
    (void)state;
    enum { W = 640, H = 424 }; /* darknet's data/person.jpg, as raw BGR. */
    FILE *f = fopen(MODELS_DIR "/person.bgr", "rb");
    assert_non_null(f);
    uint8_t *px = malloc((size_t)W * H * 3);
    assert_non_null(px);
    assert_int_equal(fread(px, 1, (size_t)W * H * 3, f), (size_t)W * H * 3);
    fclose(f);
    /* The person stands at about x 190..275, y 98..375: centre (232, 236), 277 tall. HOG's
     * box holds the window's margin around the person, so it is taller. */
    const char *specs[] = {"hog", "hog?width=320", "hog?stride=4&conf=0.5"};
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        detector *d = detector_must_open(specs[k], W, H);
        assert_string_equal(d->name, "hog");
        assert_int_equal(d->format, PIXFMT_BGR24);
        assert_int_equal(d->input_width, 64);
        assert_int_equal(d->input_height, 128);
        detection dets[MAX_DETS];
        size_t n = detect(d, px, W, H, dets);
        size_t people = 0;
        for (size_t i = 0; i < n; i++) {
            box b = dets[i].b;
            assert_string_equal(dets[i].class_name, "person");
            assert_int_equal(dets[i].class_id, 0);
            assert_true(dets[i].confidence >= 0.3 && dets[i].confidence <= 1);
            if (b.x <= 232 && 232 <= b.x + b.w && b.y <= 236 && 236 <= b.y + b.h && b.h >= 200 &&
                b.h <= 450) {
                people++;
            }
        }
        if (people != 1) {
            fail_msg("%s: %zu boxes, %zu of them on the person", specs[k], n, people);
        }
        /* An empty scene has nobody; a piece smaller than the window is not searched. */
        uint8_t *blank = canvas(W, H, 128);
        assert_int_equal(detect(d, blank, W, H, dets), 0);
        assert_int_equal(detect(d, blank, 60, 100, dets), 0);
        free(blank);
        detector_destroy(d);
    }
    free(px);
}

static void test_hog_refusals(void **state)
{
    (void)state;
    detector_must_refuse("hog?stride=5",
                         "detector 'hog?stride=5': stride must be 4, 8 or 16, not 5");
    detector_must_refuse("hog?conf=2", "conf must be a number in 0..1, not '2'");
    detector_must_refuse("hog?width=10", "width must be 0 or at least 64");
    detector_must_refuse("hog?size=640",
                         "unknown option 'size' (hog knows: conf hit stride scale group width)");
    detector_must_refuse("hog:person", "detector 'hog:person': expected hog[?key=value&...]");
}

/* ---- onnx ---- */

/* Where a box of the model's 256 x 256 input lands in a w x h frame, through the letterbox. */
static box unletterbox(int w, int h, double cx, double cy, double bw, double bh)
{
    double r = 256.0 / w < 256.0 / h ? 256.0 / w : 256.0 / h;
    int dx = (256 - (int)(w * r + 0.5)) / 2, dy = (256 - (int)(h * r + 0.5)) / 2;
    double x0 = (cx - bw / 2 - dx) / r, y0 = (cy - bh / 2 - dy) / r;
    return (box){(int)(x0 + 0.5), (int)(y0 + 0.5), (int)(bw / r + 0.5), (int)(bh / r + 0.5)};
}

/* The patch model finds a red square wherever it is, in frames of other shapes than its
 * input: the letterbox and the mapping back put the box on the square. */
static void patch_follows(const char *layout)
{
    char spec[256];
    snprintf(spec, sizeof spec, MODEL("patch-%s.onnx") "?size=256", layout);
    const int sizes[][2] = {{640, 480}, {300, 600}, {256, 256}};
    for (size_t s = 0; s < 3; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        detector *d = detector_must_open(spec, w, h);
        assert_string_equal(d->name, "onnx");
        assert_int_equal(d->format, PIXFMT_RGB24);
        assert_int_equal(d->input_width, 256);
        const box squares[] = {{20, 30, 60, 60}, {w - 70, h - 64, 60, 60}, {w / 2, h / 3, 48, 48}};
        for (size_t k = 0; k < 3; k++) {
            uint8_t *px = canvas(w, h, 60);
            fill(px, w, squares[k], 255, 0, 0); /* Red, in RGB. */
            detection dets[MAX_DETS];
            size_t n = detect(d, px, w, h, dets);
            if (n != 1) {
                fail_msg("%s %dx%d square %zu: %zu boxes", layout, w, h, k, n);
            }
            assert_string_equal(dets[0].class_name, "car"); /* COCO's class 2. */
            assert_int_equal(dets[0].class_id, 2);
            assert_true(dets[0].confidence > 0.99);
            /* Within a pixel of the model's input, scaled back (at most 2.5 here). */
            near_box(dets[0].b, squares[k], w > 256 || h > 256 ? 3 : 1);
            /* The same square in blue: the model reads the red channel, so a plugin that
             * swapped the channels itself would find nothing in red and this in blue. */
            fill(px, w, squares[k], 0, 0, 255);
            assert_int_equal(detect(d, px, w, h, dets), 0);
            free(px);
        }
        detector_destroy(d);
    }
}

static void test_onnx_patch_v5(void **state)
{
    (void)state;
    patch_follows("v5");
}

static void test_onnx_patch_v8(void **state)
{
    (void)state;
    patch_follows("v8");
}

/* Boxes fixed by the weights: confidence threshold, per-class NMS, the class filter. */
static void fixed_boxes(const char *layout)
{
    char spec[512];
    snprintf(spec, sizeof spec, MODEL("fixed-%s.onnx") "?size=256", layout);
    detector *d = detector_must_open(spec, 640, 480);
    uint8_t *px = canvas(640, 480, 0);
    detection dets[MAX_DETS];
    size_t n = detect(d, px, 640, 480, dets);
    /* 0.9 person and 0.7 car; the 0.8 person overlaps the 0.9 one, the 0.1 bicycle is under
     * conf=0.25. Best first. */
    assert_int_equal(n, 2);
    assert_string_equal(dets[0].class_name, "person");
    assert_float_equal(dets[0].confidence, 0.9, 1e-6);
    near_box(dets[0].b, unletterbox(640, 480, 128, 128, 64, 96), 1);
    assert_string_equal(dets[1].class_name, "car");
    assert_float_equal(dets[1].confidence, 0.7, 1e-6);
    near_box(dets[1].b, unletterbox(640, 480, 130, 130, 60, 90), 1);
    detector_destroy(d);

    snprintf(spec, sizeof spec, MODEL("fixed-%s.onnx") "?size=256&iou=0.99&conf=0.05", layout);
    d = detector_must_open(spec, 640, 480);
    assert_int_equal(detect(d, px, 640, 480, dets), 4); /* Nothing suppressed. */
    assert_string_equal(dets[3].class_name, "bicycle");
    detector_destroy(d);

    snprintf(spec, sizeof spec, MODEL("fixed-%s.onnx") "?classes=car,bicycle&size=256", layout);
    d = detector_must_open(spec, 640, 480);
    assert_int_equal(detect(d, px, 640, 480, dets), 1);
    assert_string_equal(dets[0].class_name, "car");
    detector_destroy(d);
    free(px);
}

static void test_onnx_fixed_v5(void **state)
{
    (void)state;
    fixed_boxes("v5");
}

static void test_onnx_fixed_v8(void **state)
{
    (void)state;
    fixed_boxes("v8");
}

static void test_onnx_labels(void **state)
{
    (void)state;
    detector *d = detector_must_open(
        MODEL("fixed3.onnx") "?size=256&labels=" MODELS_DIR "/three.names", 640, 480);
    uint8_t *px = canvas(640, 480, 0);
    detection dets[MAX_DETS];
    assert_int_equal(detect(d, px, 640, 480, dets), 1);
    assert_string_equal(dets[0].class_name, "dog");
    assert_int_equal(dets[0].class_id, 1);
    free(px);
    detector_destroy(d);
}

static void test_onnx_refusals(void **state)
{
    (void)state;
    detector_must_refuse("onnx", "detector 'onnx': expected onnx:MODEL.onnx[?key=value&...]");
    detector_must_refuse("onnx:?size=256", "expected onnx:MODEL.onnx");
    detector_must_refuse(MODEL("none.onnx"),
                         "none.onnx' cannot be read: No such file or directory");
    detector_must_refuse(MODEL("garbage.onnx") "?size=256",
                         "cannot load '" MODELS_DIR "/garbage.onnx'");
    detector_must_refuse(MODEL("garbage.onnx") "?size=256", "export it again with opset 12");
    detector_must_refuse(MODEL("patch-v8.onnx"), "does not run on a 640x640 input");
    detector_must_refuse(MODEL("patch-v8.onnx"), "give size= the size it was exported at");
    detector_must_refuse(
        MODEL("fixed3.onnx") "?size=256",
        "scores 3 classes (output [1, 7, 1], YOLOv8 layout) but the default (COCO) has 80 "
        "names: give labels=FILE");
    detector_must_refuse(MODEL("fixed-v8.onnx") "?size=256&classes=person,unicorn",
                         "classes: 'unicorn' is not a class of the labels (person, bicycle, ...)");
    detector_must_refuse(MODEL("fixed-v8.onnx") "?size=250", "size must be a multiple of 32");
    detector_must_refuse(MODEL("fixed-v8.onnx") "?size=256&layout=v7",
                         "layout must be auto, v5 or v8");
    detector_must_refuse(MODEL("fixed-v8.onnx") "?size=256&labels=/nonexistent",
                         "labels file '/nonexistent' cannot be read");
    detector_must_refuse(MODEL("fixed-v8.onnx") "?size=256&conf=high",
                         "conf must be a number in 0..1");
    detector_must_refuse(MODEL("fixed-v8.onnx") "?model=x", "option 'model' given twice");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hog_finds_the_person_in_the_photograph),
        cmocka_unit_test(test_hog_refusals),
        cmocka_unit_test(test_onnx_patch_v5),
        cmocka_unit_test(test_onnx_patch_v8),
        cmocka_unit_test(test_onnx_fixed_v5),
        cmocka_unit_test(test_onnx_fixed_v8),
        cmocka_unit_test(test_onnx_labels),
        cmocka_unit_test(test_onnx_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
