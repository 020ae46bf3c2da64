/* The built-in synthetic scene: a textured background with objects moving on deterministic
 * paths, so a node runs anywhere with no camera, and tests know the ground truth.
 *
 * Every frame is a pure function of (options, seed, frame number): frames can be rendered in
 * any order and two scenes with the same seed are identical. Objects bounce off the edges at
 * a constant speed in pixels per second, so the motion per frame scales with the frame rate. */
#ifndef NODE_SCENE_H
#define NODE_SCENE_H

#include "geometry.h"

#include "mqplane/common.h"

#include <stddef.h>
#include <stdint.h>

#define SCENE_MAX_OBJECTS 16

typedef struct scene_opts {
    int width;     /* 0: 640 */
    int height;    /* 0: 480 */
    double fps;    /* 0: 30 */
    int objects;   /* 0: 3; negative: none; at most SCENE_MAX_OBJECTS */
    uint64_t seed; /* 0 is a valid seed */
    int noise;     /* Per-pixel noise amplitude, gray levels; negative: none; 0: 6 */
} scene_opts;

typedef struct scene_truth {
    int object_id;
    int class_id;
    const char *class_name;
    box b;
} scene_truth;

typedef struct scene scene;

/* MQP_ERR_INVALID for sizes under 64x48 or over 7680x4320, fps outside (0, 240], or more than
 * SCENE_MAX_OBJECTS objects; MQP_ERR_NOMEM. */
mqp_err scene_new(scene **out, const scene_opts *o, char *err, size_t errlen);
void scene_free(scene *s);
int scene_width(const scene *s);
int scene_height(const scene *s);
double scene_fps(const scene *s);
/* Renders frame n; the view stays valid until the next render or scene_free. */
image_view scene_render(scene *s, uint64_t n);
/* The objects' boxes in frame n, in drawing order (later ones cover earlier ones). */
size_t scene_truth_at(const scene *s, uint64_t n, scene_truth *out, size_t cap);

#endif
