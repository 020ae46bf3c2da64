#define _POSIX_C_SOURCE 200809L
#include "source.h"

#include "scene.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct synthetic {
    source base;
    scene *sc;
    uint64_t n;
    double start; /* Monotonic time of frame 0: frames are paced from it, without drift. */
} synthetic;

static mqp_err synthetic_read(source *s, source_frame *out)
{
    synthetic *y = (synthetic *)s;
    /* A camera delivers at its own rate: wait for this frame's moment. */
    double due = y->start + (double)y->n / s->fps;
    double now = mqpx_mono_s();
    if (due > now) {
        double wait = due - now;
        struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    double t0 = mqpx_mono_s();
    image_view v = scene_render(y->sc, y->n);
    double t1 = mqpx_mono_s();
    *out = (source_frame){v, ++y->n, mqpx_wall_s(), t0, (t1 - t0) * 1e3};
    return MQP_OK;
}

static void synthetic_destroy(source *s)
{
    synthetic *y = (synthetic *)s;
    scene_free(y->sc);
    free(s->description);
    free(y);
}

static const source_ops synthetic_ops = {synthetic_read, synthetic_destroy};

static mqp_err open_synthetic(source **out, const char *args, uint64_t seed, char *err,
                              size_t errlen)
{
    scene_opts o = {.seed = seed};
    if (args) {
        int w, h, consumed = 0;
        double fps;
        if (sscanf(args, "%dx%d@%lf%n", &w, &h, &fps, &consumed) != 3 || args[consumed]) {
            snprintf(err, errlen,
                     "source 'synthetic:%s': expected synthetic:WIDTHxHEIGHT@FPS, "
                     "e.g. synthetic:640x480@30",
                     args);
            return MQP_ERR_INVALID;
        }
        o.width = w;
        o.height = h;
        o.fps = fps;
    }
    synthetic *y = calloc(1, sizeof *y);
    if (!y) {
        return MQP_ERR_NOMEM;
    }
    mqp_err rc = scene_new(&y->sc, &o, err, errlen);
    if (rc != MQP_OK) {
        free(y);
        return rc;
    }
    y->base.ops = &synthetic_ops;
    y->base.width = scene_width(y->sc);
    y->base.height = scene_height(y->sc);
    y->base.fps = scene_fps(y->sc);
    char desc[64];
    snprintf(desc, sizeof desc, "synthetic %dx%d@%g", y->base.width, y->base.height, y->base.fps);
    y->base.description = strdup(desc);
    y->start = mqpx_mono_s();
    if (!y->base.description) {
        synthetic_destroy(&y->base);
        return MQP_ERR_NOMEM;
    }
    *out = &y->base;
    return MQP_OK;
}

mqp_err source_open(source **out, const char *spec, uint64_t seed, char *err, size_t errlen)
{
    if (!spec || !out) {
        return MQP_ERR_INVALID;
    }
    if (strcmp(spec, "synthetic") == 0) {
        return open_synthetic(out, NULL, seed, err, errlen);
    }
    if (strncmp(spec, "synthetic:", 10) == 0) {
        return open_synthetic(out, spec + 10, seed, err, errlen);
    }
    snprintf(err, errlen, "source '%s': unknown kind (this build has: synthetic)", spec);
    return MQP_ERR_UNSUPPORTED;
}

void source_close(source *s)
{
    if (s) {
        s->ops->destroy(s);
    }
}
