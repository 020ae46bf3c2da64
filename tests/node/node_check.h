/* Helpers of the node's tests: detectors opened or refused by spec, and the synthetic scene's
 * objects told apart. Include after check.h. */
#ifndef TESTS_NODE_CHECK_H
#define TESTS_NODE_CHECK_H

#include "detector_plugin.h"
#include "scene.h"

#include <string.h>

/* detector_open(spec) for w x h frames, which must work. */
static inline detector *detector_must_open(const char *spec, int w, int h)
{
    char err[1024] = "";
    detector *d = NULL;
    if (detector_open(&d, spec, w, h, err, sizeof err) != MQP_OK) {
        fail_msg("spec '%s': %s", spec, err);
    }
    return d;
}

/* detector_open(spec) must fail with MQP_ERR_INVALID and a message holding want. */
static inline void detector_must_refuse(const char *spec, const char *want)
{
    char err[1024] = "";
    detector *d = NULL;
    assert_rc(detector_open(&d, spec, 640, 480, err, sizeof err), MQP_ERR_INVALID);
    assert_null(d);
    if (!strstr(err, want)) {
        fail_msg("spec '%s': message '%s' lacks '%s'", spec, err, want);
    }
}

/* Objects count as apart when their boxes, grown by 8 pixels, do not touch. */
static inline bool scene_objects_apart(const scene_truth *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            box a = {t[i].b.x - 8, t[i].b.y - 8, t[i].b.w + 16, t[i].b.h + 16};
            if (box_area(box_intersection(a, t[j].b)) > 0) {
                return false;
            }
        }
    }
    return true;
}

#endif
