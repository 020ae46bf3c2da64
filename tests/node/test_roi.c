/* The adaptive region of interest: the crop around tracks, the fallbacks, the mapping back. */
#include "check.h"

#include "roi.h"

static tracked track_at(int x, int y, int w, int h)
{
    return (tracked){.track_id = 1, .det = {{x, y, w, h}, 0.9, 0, "motion"}};
}

static void test_roi_next_disabled_is_full_frame(void **state)
{
    (void)state;
    roi r;
    roi_init(&r, 640, 480, NULL);
    tracked t = track_at(100, 100, 50, 50);
    for (int i = 0; i < 5; i++) {
        box b = roi_next(&r, &t, 1, NULL, 0);
        assert_int_equal(b.w, 640);
        assert_int_equal(b.h, 480);
    }
}

static void test_roi_next_crops_around_tracks(void **state)
{
    (void)state;
    roi r;
    roi_init(&r, 640, 480, &(roi_opts){.margin = 20, .full_frame_every = 10});
    roi_set_enabled(&r, true);
    tracked t[2] = {track_at(100, 100, 50, 50), track_at(300, 200, 40, 60)};
    box b = roi_next(&r, t, 2, NULL, 0); /* The first frame after switching on looks everywhere. */
    assert_int_equal(b.w, 640);
    b = roi_next(&r, t, 2, NULL, 0);
    assert_int_equal(b.x, 80);
    assert_int_equal(b.y, 80);
    assert_int_equal(b.x + b.w, 360);
    assert_int_equal(b.y + b.h, 280);
    /* Clamped at the edges. */
    tracked edge = track_at(0, 450, 30, 30);
    b = roi_next(&r, &edge, 1, NULL, 0);
    assert_int_equal(b.x, 0);
    assert_int_equal(b.y + b.h, 480);
    /* Nothing tracked: full frame. */
    b = roi_next(&r, NULL, 0, NULL, 0);
    assert_int_equal(b.w, 640);
    /* A tentative track (seen on a full frame, not yet confirmed) is in the crop. */
    box seen = {500, 400, 40, 40};
    b = roi_next(&r, t, 1, &seen, 1);
    assert_int_equal(b.x, 80);
    assert_int_equal(b.x + b.w, 560);
    assert_int_equal(b.y + b.h, 460);
    b = roi_next(&r, NULL, 0, &seen, 1);
    assert_int_equal(b.x, 480);
    assert_int_equal(b.w, 80);
    /* Every full_frame_every-th frame is a full frame, tracks or not. */
    int full = 0;
    for (int i = 0; i < 30; i++) {
        full += roi_next(&r, t, 2, NULL, 0).w == 640;
    }
    assert_int_equal(full, 3);
}

static void test_roi_map_back(void **state)
{
    (void)state;
    detection d[2] = {{{5, 7, 10, 10}, 0.9, 0, "motion"}, {{0, 0, 3, 4}, 0.8, 0, "motion"}};
    roi_map_back((box){80, 60, 200, 100}, d, 2);
    assert_int_equal(d[0].b.x, 85);
    assert_int_equal(d[0].b.y, 67);
    assert_int_equal(d[0].b.w, 10);
    assert_int_equal(d[1].b.x, 80);
    assert_int_equal(d[1].b.y, 60);
}

static void test_image_view_crop_origin(void **state)
{
    (void)state;
    static uint8_t px[100 * 50];
    px[20 * 100 + 30] = 9;
    image_view v = {.data = px, .width = 100, .height = 50, .stride = 100};
    image_view c = image_view_crop(v, (box){30, 20, 500, 10});
    assert_int_equal(c.origin_x, 30);
    assert_int_equal(c.origin_y, 20);
    assert_int_equal(c.width, 70); /* Clamped to the frame. */
    assert_int_equal(c.height, 10);
    assert_int_equal(c.data[0], 9);
    /* Three bytes a pixel: the crop moves by pixels, not bytes. */
    static uint8_t rgb[100 * 50 * 3];
    rgb[(20 * 100 + 30) * 3 + 2] = 7; /* Blue of pixel (30, 20). */
    image_view cv = {
        .data = rgb, .width = 100, .height = 50, .stride = 300, .format = PIXFMT_RGB24};
    image_view cc = image_view_crop(cv, (box){30, 20, 5, 5});
    assert_int_equal(cc.data[2], 7);
    assert_int_equal(cc.format, PIXFMT_RGB24);
    assert_int_equal(pixfmt_bytes(PIXFMT_BGR24), 3);
    assert_string_equal(pixfmt_name(PIXFMT_GRAY8), "gray8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roi_next_disabled_is_full_frame),
        cmocka_unit_test(test_roi_next_crops_around_tracks),
        cmocka_unit_test(test_roi_map_back),
        cmocka_unit_test(test_image_view_crop_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
