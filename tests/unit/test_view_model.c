/* The live view's model (src/cli/cli_view_model.c): what the node's messages leave for the
 * screen. A source's rates from its detections messages, tracks and their ages, a status
 * answer's frame sizes, events for what a person should notice and none for the view's own
 * refreshes, and bad input as an event, never a crash. */
#include "check.h"

#include "cli_view_model.h"

#include <stdio.h>
#include <string.h>

static mqp_message msg(const char *topic, const char *payload)
{
    return (mqp_message){.topic = topic, .payload = payload, .payload_len = strlen(payload)};
}

static const char *last_event(const view_model *m)
{
    return m->nevents ? m->events[(m->nevents - 1) % VIEW_MAX_EVENTS] : "";
}

static void test_view_model_status_changes_are_events(void **state)
{
    (void)state;
    static view_model m;
    view_model_init(&m);
    mqp_message s = msg("inference/control/status", "{\"status\":\"running\"}");
    view_model_status(&m, &s);
    assert_string_equal(m.status, "running");
    assert_string_equal(last_event(&m), "status running");
    view_model_status(&m, &s); /* The same again: not news. */
    assert_int_equal(m.nevents, 1);
    s = msg("inference/control/status", "{\"status\":\"paused\"}");
    view_model_status(&m, &s);
    assert_string_equal(last_event(&m), "status running -> paused");
    view_model_free(&m);
}

static void test_view_model_detections_tracks(void **state)
{
    (void)state;
    static view_model m;
    view_model_init(&m);
    char p[512];
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p,
                 "{\"detections\":[{\"class\":\"person\",\"confidence\":0.9,\"bbox\":{\"x\":%d,"
                 "\"y\":10,\"width\":50,\"height\":100},\"track_id\":7},{\"class\":\"car\","
                 "\"confidence\":0.8,\"bbox\":{\"x\":300,\"y\":200,\"width\":80,\"height\":40}}"
                 "],\"frame\":{\"frame_id\":%d,\"source_id\":1}}",
                 10 + i, i);
        mqp_message d = msg("inference/data/detections", p);
        view_model_detections(&m, &d);
    }
    const view_source *s = &m.src[1];
    assert_true(s->seen);
    assert_false(m.src[0].seen);
    assert_int_equal(s->ntracks, 2);
    assert_int_equal(s->tracks[0].id, 7);
    assert_string_equal(s->tracks[0].cls, "person");
    assert_int_equal(s->tracks[0].x, 14);
    assert_int_equal(s->tracks[1].id, -1); /* Untracked. */
    assert_int_equal(s->extent_w, 380);
    assert_int_equal(s->extent_h, 240);
    /* The track's first sighting carried over from the first message. */
    assert_true(s->tracks[0].first_seen <= s->arrivals[0]);
    assert_int_equal(s->narrivals, 5);
    view_model_free(&m);
}

/* Rates from arrival times as the model keeps them (set here: no clock in a unit test). */
static void test_view_source_rates(void **state)
{
    (void)state;
    static view_source s;
    double fps, dets;
    view_source_rates(&s, 100, 2, &fps, &dets);
    assert_true(fps == 0 && dets == 0);              /* Nothing yet. */
    for (int i = 0; i < 3 * VIEW_RATE_WINDOW; i++) { /* 25 a second, 2 detections each. */
        s.arrivals[s.narrivals % VIEW_RATE_WINDOW] = 10 + i * 0.04;
        s.counts[s.narrivals % VIEW_RATE_WINDOW] = 2;
        s.narrivals++;
    }
    double newest = 10 + (3 * VIEW_RATE_WINDOW - 1) * 0.04;
    view_source_rates(&s, newest + 0.5, 2, &fps, &dets);
    assert_true(fps > 24.99 && fps < 25.01);
    assert_true(dets > 49.99 && dets < 50.01);
    view_source_rates(&s, newest + 5, 2, &fps, &dets);
    assert_true(fps == 0 && dets == 0); /* Stale: nothing for 5 s. */
}

static void test_view_model_status_answer_sizes(void **state)
{
    (void)state;
    static view_model m;
    view_model_init(&m);
    mqp_message r = msg("inference/control/responses",
                        "{\"request_id\":\"view-bg-1-1\",\"command\":\"status\",\"ok\":true,"
                        "\"result\":{\"uptime_s\":12.5,\"source_status\":[{\"source_id\":0,"
                        "\"source\":\"synthetic 640x480@30\",\"state\":\"running\",\"width\":640,"
                        "\"height\":480}]}}");
    view_model_response(&m, &r);
    assert_int_equal(m.src[0].width, 640);
    assert_int_equal(m.src[0].height, 480);
    assert_string_equal(m.src[0].description, "synthetic 640x480@30");
    assert_true(m.uptime_s == 12.5);
    assert_int_equal(m.nevents, 0); /* The view's own refresh is not news. */
    r = msg("inference/control/responses",
            "{\"request_id\":\"view-1-2\",\"command\":\"pause\",\"ok\":true}");
    view_model_response(&m, &r);
    assert_string_equal(last_event(&m), "answer pause view-1-2: ok");
    r = msg("inference/control/responses",
            "{\"request_id\":null,\"command\":null,\"ok\":false,\"error\":\"unknown command\"}");
    view_model_response(&m, &r);
    assert_string_equal(last_event(&m), "answer ?: FAILED: unknown command");
    view_model_free(&m);
}

static void test_view_model_bad_input(void **state)
{
    (void)state;
    static view_model m;
    view_model_init(&m);
    mqp_message b = msg("inference/data/detections", "not json");
    view_model_detections(&m, &b);
    assert_non_null(strstr(last_event(&m), "not a JSON object on inference/data/detections"));
    b = msg("inference/data/detections", "{\"frame\":{\"source_id\":99},\"detections\":7}");
    view_model_detections(&m, &b); /* A source out of range, detections not an array. */
    b = msg("system/health/x", "[1,2]");
    view_model_health(&m, &b);
    b = msg("inference/data/metrics", "{\"latency_reports\":[{\"source_id\":-4}]}");
    view_model_metrics(&m, &b);
    for (int i = 0; i < VIEW_MAX_SOURCES; i++) {
        assert_false(m.src[i].seen);
    }
    /* Events beyond the kept ones push the oldest out. */
    for (int i = 0; i < 3 * VIEW_MAX_EVENTS; i++) {
        view_model_event(&m, "event %d", i);
    }
    assert_string_equal(last_event(&m), "event 23");
    view_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_model_status_changes_are_events),
        cmocka_unit_test(test_view_model_detections_tracks),
        cmocka_unit_test(test_view_source_rates),
        cmocka_unit_test(test_view_model_status_answer_sizes),
        cmocka_unit_test(test_view_model_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
