/* The synthetic source, and the choice of a source by its spec. */
#define _POSIX_C_SOURCE 200809L
#include "source.h"

#include "scene.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *source_state_name(source_state st)
{
    static const char *const names[] = {"opening", "running", "lost", "ended"};
    return (unsigned)st < 4 ? names[st] : "unknown";
}

/* How far behind its frames' moments the scene may fall before it moves them on: a camera hands
 * over no backlog after a pause or a stall, so neither does the scene (it was catching up on a
 * 5 s pause at 155 frames a second). */
#define SYNTHETIC_MAX_LAG_S 0.5

typedef struct synthetic {
    source base;
    scene *sc;
    double fps;
    uint64_t n;
    double start;    /* Monotonic time of frame 0: frames are paced from it, without drift. */
    bool unpaced;    /* realtime=0: each frame as soon as it is asked for (benchmarks). */
    image_view last; /* The frame last read, gray, for colour(). */
    pixfmt format;   /* What read() gives: the scene is gray; colour is three equal bytes. */
    uint8_t *conv;   /* The frame in that format, when it is colour. */
    atomic_uint_fast64_t frames;
} synthetic;

/* Each gray pixel becomes three equal bytes: RGB and BGR alike. */
static void gray_to_colour(image_view v, uint8_t *out)
{
    for (int r = 0; r < v.height; r++) {
        const uint8_t *in = v.data + (long)r * v.stride;
        uint8_t *o = out + (size_t)r * (size_t)v.width * 3;
        for (int c = 0; c < v.width; c++) {
            o[3 * c] = o[3 * c + 1] = o[3 * c + 2] = in[c];
        }
    }
}

static mqp_err synthetic_read(source *s, source_frame *out, int timeout_ms)
{
    synthetic *y = (synthetic *)s;
    /* A camera delivers at its own rate: wait for this frame's moment. */
    double wait = y->unpaced ? 0 : y->start + (double)y->n / y->fps - mqpx_mono_s();
    if (wait < -SYNTHETIC_MAX_LAG_S) {
        y->start -= wait; /* This frame is due now, the next ones a frame apart from it. */
        wait = 0;
    }
    if (wait * 1e3 > timeout_ms) {
        mqpx_sleep_ms(timeout_ms);
        return MQP_ERR_TIMEOUT;
    }
    if (wait > 0) {
        mqpx_sleep_ms((int)(wait * 1e3));
    }
    double t0 = mqpx_mono_s();
    image_view v = scene_render(y->sc, y->n);
    y->last = v;
    if (y->format != PIXFMT_GRAY8) {
        gray_to_colour(v, y->conv);
        v = (image_view){y->conv, v.width, v.height, v.width * 3, 0, 0, y->format};
    }
    double t1 = mqpx_mono_s();
    *out = (source_frame){v, ++y->n, mqpx_wall_s(), t0, (t1 - t0) * 1e3};
    atomic_fetch_add(&y->frames, 1);
    return MQP_OK;
}

/* The scene is gray: each pixel becomes three equal bytes. */
static mqp_err synthetic_colour(source *s, uint8_t **buf, size_t *cap, int *width, int *height)
{
    synthetic *y = (synthetic *)s;
    image_view v = y->last;
    size_t need = (size_t)v.width * (size_t)v.height * 3;
    if (!v.data) {
        return MQP_ERR_STATE;
    }
    if (*cap < need) {
        uint8_t *b = realloc(*buf, need);
        if (!b) {
            return MQP_ERR_NOMEM;
        }
        *buf = b;
        *cap = need;
    }
    gray_to_colour(v, *buf);
    *width = v.width;
    *height = v.height;
    return MQP_OK;
}

static void synthetic_stats(source *s, source_stats *out)
{
    synthetic *y = (synthetic *)s;
    *out = (source_stats){.state = SOURCE_RUNNING, .frames = atomic_load(&y->frames)};
}

static void synthetic_destroy(source *s)
{
    synthetic *y = (synthetic *)s;
    scene_free(y->sc);
    free(y->conv);
    free(s->description);
    free(y);
}

static const source_ops synthetic_ops = {synthetic_read, synthetic_colour, synthetic_stats,
                                         synthetic_destroy};

/* "realtime=0" or "realtime=1" (the default), the synthetic source's one option. */
static bool synthetic_query(const char *q, bool *unpaced)
{
    if (strcmp(q, "realtime=0") == 0 || strcmp(q, "realtime=1") == 0) {
        *unpaced = q[9] == '0';
        return true;
    }
    return false;
}

/* spec: "synthetic", "synthetic:WxH@FPS", either with "?realtime=0". */
static mqp_err open_synthetic(source **out, const char *spec, const source_opts *so, char *err,
                              size_t errlen)
{
    scene_opts o = {.seed = so->seed};
    bool unpaced = false;
    const char *q = strchr(spec, '?');
    size_t head = q ? (size_t)(q - spec) : strlen(spec);
    if (q && !synthetic_query(q + 1, &unpaced)) {
        snprintf(err, errlen,
                 "source '%s': unknown option '%s' (synthetic takes realtime=0: frames as fast "
                 "as the pipeline takes them)",
                 spec, q + 1);
        return MQP_ERR_INVALID;
    }
    if (head > 9 && spec[9] == ':') {
        char args[64];
        int w, h, consumed = 0;
        double fps;
        snprintf(args, sizeof args, "%.*s", (int)(head - 10), spec + 10);
        if (head - 10 >= sizeof args || sscanf(args, "%dx%d@%lf%n", &w, &h, &fps, &consumed) != 3 ||
            args[consumed]) {
            snprintf(err, errlen,
                     "source '%s': expected synthetic:WIDTHxHEIGHT@FPS[?realtime=0], "
                     "e.g. synthetic:640x480@30",
                     spec);
            return MQP_ERR_INVALID;
        }
        o.width = w;
        o.height = h;
        o.fps = fps;
    } else if (head != 9) {
        snprintf(err, errlen, "source '%s': expected synthetic[:WIDTHxHEIGHT@FPS][?realtime=0]",
                 spec);
        return MQP_ERR_INVALID;
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
    y->base.id = so->id;
    y->fps = scene_fps(y->sc);
    y->unpaced = unpaced;
    y->format = so->format;
    if (so->format != PIXFMT_GRAY8 &&
        !(y->conv = malloc((size_t)scene_width(y->sc) * (size_t)scene_height(y->sc) * 3))) {
        synthetic_destroy(&y->base);
        return MQP_ERR_NOMEM;
    }
    char desc[64];
    snprintf(desc, sizeof desc, "synthetic %dx%d@%g%s", scene_width(y->sc), scene_height(y->sc),
             y->fps, unpaced ? " (unpaced)" : "");
    y->base.description = strdup(desc);
    y->start = mqpx_mono_s();
    if (!y->base.description) {
        synthetic_destroy(&y->base);
        return MQP_ERR_NOMEM;
    }
    *out = &y->base;
    return MQP_OK;
}

static bool is_video_spec(const char *spec)
{
    static const char *const prefixes[] = {"file:", "rtsp://", "rtsps://", "v4l2:"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        if (strncmp(spec, prefixes[i], strlen(prefixes[i])) == 0) {
            return true;
        }
    }
    return false;
}

mqp_err source_open(source **out, const char *spec, const source_opts *o, char *err, size_t errlen)
{
    if (!spec || !out || !o) {
        return MQP_ERR_INVALID;
    }
    if (strncmp(spec, "synthetic", 9) == 0 && (!spec[9] || spec[9] == ':' || spec[9] == '?')) {
        return open_synthetic(out, spec, o, err, errlen);
    }
    if (is_video_spec(spec)) {
        return source_av_open(out, spec, o, err, errlen);
    }
    snprintf(err, errlen,
             "source '%s': unknown kind (known: synthetic, file:PATH, rtsp://, rtsps://, "
             "v4l2:/dev/videoN)",
             spec);
    return MQP_ERR_UNSUPPORTED;
}

void source_close(source *s)
{
    if (s) {
        s->ops->destroy(s);
    }
}
