/* Sources by their spec: the synthetic scene's frames and colour, and (with FFmpeg) what a
 * video spec may say: its options taken out of the URL and the rest kept, credentials never
 * shown, bad specs refused with their reason. */
#include "check.h"

#include "source.h"

#include "clock.h"

#include <stdlib.h>
#include <string.h>

static void test_source_open_bad_arguments(void **state)
{
    (void)state;
    source *s = NULL;
    source_opts o = {0};
    char err[256] = "";
    assert_rc(source_open(NULL, "synthetic", &o, err, sizeof err), MQP_ERR_INVALID);
    assert_rc(source_open(&s, NULL, &o, err, sizeof err), MQP_ERR_INVALID);
    assert_rc(source_open(&s, "webcam:0", &o, err, sizeof err), MQP_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "source 'webcam:0': unknown kind"));
    assert_rc(source_open(&s, "synthetic:640x480", &o, err, sizeof err), MQP_ERR_INVALID);
    assert_null(s);
    assert_rc(source_open(&s, "synthetic?loop=1", &o, err, sizeof err), MQP_ERR_INVALID);
    assert_string_equal(err, "source 'synthetic?loop=1': unknown option 'loop=1' (synthetic takes "
                             "realtime=0: frames as fast as the pipeline takes them)");
    assert_rc(source_open(&s, "synthetic:64x48@5?realtime=2", &o, err, sizeof err),
              MQP_ERR_INVALID);
    assert_rc(source_open(&s, "synthetic:64x48?realtime=0", &o, err, sizeof err), MQP_ERR_INVALID);
    assert_non_null(strstr(err, "expected synthetic:WIDTHxHEIGHT@FPS[?realtime=0]"));
    assert_rc(source_open(&s, "synthetics", &o, err, sizeof err), MQP_ERR_UNSUPPORTED);
    assert_null(s);
    source_close(NULL);
}

/* After a pause (nothing read for a while) the scene goes on at its rate: it hands over no
 * backlog. At 10 frames a second, 1.5 s of nothing would be 15 frames due at once; the first
 * read after it gives one, and another within 20 ms there is not. */
static void test_source_synthetic_no_backlog_after_a_pause(void **state)
{
    (void)state;
    source *s = NULL;
    source_opts o = {.seed = 1};
    char err[256];
    source_frame f;
    assert_ok(source_open(&s, "synthetic:64x48@10", &o, err, sizeof err));
    assert_ok(source_read(s, &f, 1000));
    mqpx_sleep_ms(1500); /* The pause itself, not a wait for a condition. */
    assert_ok(source_read(s, &f, 1000));
    assert_int_equal(f.frame_id, 2);
    assert_rc(source_read(s, &f, 20), MQP_ERR_TIMEOUT);
    source_close(s);
}

/* realtime=0: a frame whenever one is asked for. At 1 frame a second, paced, the second read
 * within 100 ms times out; unpaced, ten in a row do not. */
static void test_source_synthetic_unpaced(void **state)
{
    (void)state;
    source *s = NULL;
    source_opts o = {.seed = 1};
    char err[256];
    source_frame f;
    assert_ok(source_open(&s, "synthetic:64x48@1", &o, err, sizeof err));
    assert_ok(source_read(s, &f, 100));
    assert_rc(source_read(s, &f, 100), MQP_ERR_TIMEOUT);
    source_close(s);
    assert_ok(source_open(&s, "synthetic:64x48@1?realtime=0", &o, err, sizeof err));
    assert_string_equal(s->description, "synthetic 64x48@1 (unpaced)");
    for (int i = 1; i <= 10; i++) {
        assert_ok(source_read(s, &f, 100));
        assert_int_equal(f.frame_id, i);
    }
    source_close(s);
    assert_ok(source_open(&s, "synthetic?realtime=0", &o, err, sizeof err));
    assert_string_equal(s->description, "synthetic 640x480@30 (unpaced)");
    source_close(s);
}

static void test_source_synthetic_frames_and_colour(void **state)
{
    (void)state;
    source *s = NULL;
    source_opts o = {.id = 3, .seed = 1};
    char err[256];
    assert_ok(source_open(&s, "synthetic:64x48@200", &o, err, sizeof err));
    assert_string_equal(s->description, "synthetic 64x48@200");
    assert_int_equal(s->id, 3);
    uint8_t *rgb = NULL;
    size_t cap = 0;
    int w, h;
    assert_rc(s->ops->colour(s, &rgb, &cap, &w, &h), MQP_ERR_STATE); /* No frame yet. */
    source_frame f;
    assert_ok(source_read(s, &f, 1000));
    assert_int_equal(f.frame_id, 1);
    assert_int_equal(f.view.width, 64);
    assert_int_equal(f.view.format, PIXFMT_GRAY8);
    assert_ok(s->ops->colour(s, &rgb, &cap, &w, &h));
    assert_int_equal(w, 64);
    assert_int_equal(h, 48);
    for (int i = 0; i < 64 * 48; i++) { /* Gray: three equal bytes per pixel. */
        assert_int_equal(rgb[3 * i], f.view.data[i]);
        assert_int_equal(rgb[3 * i + 2], f.view.data[i]);
    }
    source_stats st;
    source_stats_get(s, &st);
    assert_int_equal(st.state, SOURCE_RUNNING);
    assert_int_equal(st.frames, 1);
    assert_string_equal(source_state_name(SOURCE_LOST), "lost");
    free(rgb);
    source_close(s);
}

/* A detector that takes colour gets the gray scene as three equal bytes a pixel. */
static void test_source_synthetic_in_colour(void **state)
{
    (void)state;
    const pixfmt formats[] = {PIXFMT_RGB24, PIXFMT_BGR24};
    for (size_t k = 0; k < 2; k++) {
        source *gray = NULL, *s = NULL;
        char err[256];
        assert_ok(
            source_open(&gray, "synthetic:64x48@200", &(source_opts){.seed = 2}, err, sizeof err));
        assert_ok(source_open(&s, "synthetic:64x48@200",
                              &(source_opts){.seed = 2, .format = formats[k]}, err, sizeof err));
        source_frame g, f;
        assert_ok(source_read(gray, &g, 1000));
        assert_ok(source_read(s, &f, 1000));
        assert_int_equal(f.view.format, formats[k]);
        assert_int_equal(f.view.stride, 64 * 3);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                const uint8_t *p = f.view.data + y * f.view.stride + 3 * x;
                uint8_t v = g.view.data[y * g.view.stride + x];
                assert_true(p[0] == v && p[1] == v && p[2] == v);
            }
        }
        source_close(gray);
        source_close(s);
    }
}

#ifdef MQP_HAVE_FFMPEG
static void test_source_av_spec(void **state)
{
    (void)state;
    source *s = NULL;
    source_opts o = {.stall_timeout_s = 0.5};
    char err[256];
    /* A camera that is down is no error at open: it is reopened in the background. Our option
     * leaves the URL; the camera's own query stays; the password never shows. */
    assert_ok(source_open(&s, "rtsp://op:s3cret@127.0.0.1:1/live?channel=1&transport=udp&sub=0", &o,
                          err, sizeof err));
    assert_string_equal(s->description, "rtsp://op:***@127.0.0.1:1/live?channel=1&sub=0");
    source_close(s);
    assert_ok(source_open(&s, "rtsps://cam.example/a?transport=tcp", &o, err, sizeof err));
    assert_string_equal(s->description, "rtsps://cam.example/a");
    source_close(s);
    assert_ok(source_open(&s, "rtsp://127.0.0.1:1/x", &o, err, sizeof err));
    source_frame f;
    assert_rc(source_read(s, &f, 50), MQP_ERR_TIMEOUT); /* Nothing there: no frame, no end. */
    source_close(s);
    static const struct {
        const char *spec, *want;
    } bad[] = {{"rtsp://", "no host"},
               {"rtsp://u:p@:554/x", "no host"},
               {"rtsp://h/x?transport=sctp", "transport=sctp: expected tcp or udp"},
               {"file:/nonexistent.mp4", "cannot read /nonexistent.mp4"},
               {"file:/dev/null?loop=on", "loop=on: expected 0 or 1"},
               {"v4l2:/tmp", "/tmp is not a video device (not a character device)"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_rc(source_open(&s, bad[i].spec, &o, err, sizeof err), MQP_ERR_INVALID);
        if (!strstr(err, bad[i].want)) {
            fail_msg("%s: '%s', expected '%s'", bad[i].spec, err, bad[i].want);
        }
    }
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_open_bad_arguments),
        cmocka_unit_test(test_source_synthetic_frames_and_colour),
        cmocka_unit_test(test_source_synthetic_unpaced),
        cmocka_unit_test(test_source_synthetic_no_backlog_after_a_pause),
        cmocka_unit_test(test_source_synthetic_in_colour),
#ifdef MQP_HAVE_FFMPEG
        cmocka_unit_test(test_source_av_spec),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
