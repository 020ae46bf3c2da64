#include "scene.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const class_names[] = {"person", "car", "bicycle", "dog"};

typedef struct object {
    int w;
    int h;
    double x0; /* Position along the unfolded path at frame 0. */
    double y0;
    double vx; /* Pixels per frame. */
    double vy;
    uint8_t shade;
    int class_id;
} object;

struct scene {
    scene_opts o;
    object obj[SCENE_MAX_OBJECTS];
    uint8_t *background;
    uint8_t *frame;
    int8_t *noise; /* Two frames of noise in [-noise, noise], or NULL. */
};

/* SplitMix64: a small, well-mixed generator, enough for layouts and noise. */
static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *state, double lo, double hi)
{
    *state = mix(*state);
    return lo + (hi - lo) * (double)(*state >> 11) * 0x1.0p-53;
}

/* Folds a position on an unbounded line onto [0, len], bouncing at both ends. */
static int bounce(double p, int len)
{
    if (len <= 0) {
        return 0;
    }
    double period = 2.0 * len;
    double m = fmod(p, period);
    if (m < 0) {
        m += period;
    }
    return (int)(m <= len ? m : period - m);
}

mqp_err scene_new(scene **out, const scene_opts *opts, char *err, size_t errlen)
{
    scene_opts o = opts ? *opts : (scene_opts){0};
    o.width = o.width ? o.width : 640;
    o.height = o.height ? o.height : 480;
    o.fps = o.fps > 0 ? o.fps : (o.fps == 0 ? 30 : o.fps);
    o.objects = o.objects ? (o.objects < 0 ? 0 : o.objects) : 3;
    o.noise = o.noise ? (o.noise < 0 ? 0 : o.noise) : 6;
    const char *bad = NULL;
    if (o.width < 64 || o.height < 48 || o.width > 7680 || o.height > 4320) {
        bad = "size must be 64x48 to 7680x4320";
    } else if (!(o.fps > 0 && o.fps <= 240)) {
        bad = "fps must be in (0, 240]";
    } else if (o.objects > SCENE_MAX_OBJECTS) {
        bad = "objects must be 0 to 16";
    } else if (o.noise > 127) {
        bad = "noise must be at most 127 gray levels";
    }
    if (bad) {
        snprintf(err, errlen, "synthetic scene: %s", bad);
        return MQP_ERR_INVALID;
    }
    scene *s = calloc(1, sizeof *s);
    size_t px = (size_t)o.width * (size_t)o.height;
    if (!s || !(s->background = malloc(px)) || !(s->frame = malloc(px)) ||
        (o.noise > 0 && !(s->noise = malloc(2 * px)))) {
        scene_free(s);
        return MQP_ERR_NOMEM;
    }
    s->o = o;
    uint64_t st = o.seed ^ 0x5eed5eed5eedULL;
    /* Sizes and speeds scale with the frame so the scene looks alike at any resolution. */
    double scale = o.width / 640.0;
    for (int i = 0; i < o.objects; i++) {
        object *b = &s->obj[i];
        b->w = (int)(uniform(&st, 40, 90) * scale);
        b->h = (int)(uniform(&st, 40, 110) * scale);
        b->x0 = uniform(&st, 0, 2.0 * (o.width - b->w));
        b->y0 = uniform(&st, 0, 2.0 * (o.height - b->h));
        double speed = uniform(&st, 80, 160) * scale / o.fps; /* px/frame */
        double angle = uniform(&st, 0, 6.283185307179586);
        b->vx = speed * cos(angle);
        b->vy = speed * sin(angle);
        b->shade =
            (uint8_t)(uniform(&st, 0, 1) < 0.5 ? uniform(&st, 170, 230) : uniform(&st, 5, 30));
        b->class_id = (int)uniform(&st, 0, 4);
    }
    /* A static, smoothly varying texture: gradients and a soft checker, mid-gray. */
    for (int y = 0; y < o.height; y++) {
        for (int x = 0; x < o.width; x++) {
            int v =
                70 + (x * 30) / o.width + (y * 20) / o.height + (((x / 40) + (y / 40)) % 2) * 12;
            s->background[(size_t)y * (size_t)o.width + (size_t)x] = (uint8_t)v;
        }
    }
    if (s->noise) {
        int span = 2 * o.noise + 1;
        for (size_t p = 0; p < 2 * px; p++) {
            st = mix(st);
            s->noise[p] = (int8_t)((int)((st >> 11) % (uint64_t)span) - o.noise);
        }
    }
    *out = s;
    return MQP_OK;
}

void scene_free(scene *s)
{
    if (s) {
        free(s->background);
        free(s->frame);
        free(s->noise);
        free(s);
    }
}

int scene_width(const scene *s)
{
    return s->o.width;
}

int scene_height(const scene *s)
{
    return s->o.height;
}

double scene_fps(const scene *s)
{
    return s->o.fps;
}

static box object_box(const scene *s, const object *b, uint64_t n)
{
    double t = (double)n;
    return (box){bounce(b->x0 + b->vx * t, s->o.width - b->w),
                 bounce(b->y0 + b->vy * t, s->o.height - b->h), b->w, b->h};
}

size_t scene_truth_at(const scene *s, uint64_t n, scene_truth *out, size_t cap)
{
    size_t k = 0;
    for (int i = 0; i < s->o.objects && k < cap; i++) {
        out[k++] = (scene_truth){i, s->obj[i].class_id, class_names[s->obj[i].class_id],
                                 object_box(s, &s->obj[i], n)};
    }
    return k;
}

image_view scene_render(scene *s, uint64_t n)
{
    int w = s->o.width, h = s->o.height;
    memcpy(s->frame, s->background, (size_t)w * (size_t)h);
    for (int i = 0; i < s->o.objects; i++) {
        box b = object_box(s, &s->obj[i], n);
        for (int y = b.y; y < b.y + b.h; y++) {
            memset(s->frame + (size_t)y * (size_t)w + (size_t)b.x, s->obj[i].shade, (size_t)b.w);
        }
    }
    if (s->noise) {
        /* Frame n's noise is the pattern from an offset drawn from n: each pixel's noise
         * changes from frame to frame, and adding it is vector code. */
        size_t px = (size_t)w * (size_t)h;
        const int8_t *restrict noise = s->noise + mix(s->o.seed ^ (n * 0x9e3779b97f4a7c15ULL)) % px;
        uint8_t *restrict f = s->frame;
        for (size_t p = 0; p < px; p++) {
            int v = f[p] + noise[p];
            f[p] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    return (image_view){s->frame, w, h, w, 0, 0, PIXFMT_GRAY8};
}
