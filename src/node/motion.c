#include "motion.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct motion {
    detector base;
    motion_opts o;
    int width;
    int height;
    bool seeded;      /* The background holds a first frame. */
    uint16_t *bg;     /* 8.8 fixed point, full frame. */
    uint16_t *fg_run; /* Consecutive foreground frames, full frame. */
    uint8_t *mask;    /* View-sized scratch buffers. */
    uint8_t *tmp;
    int32_t *labels;
    int32_t *parent;
    uint8_t *gray; /* A colour view made gray (motion gating runs on the detector's frames). */
} motion;

typedef struct blob {
    int x0, y0, x1, y1;
    int count;
} blob;

/* Foreground mask of the view, and the background update that depends on it. */
static void classify(motion *m, image_view v)
{
    int thr = m->o.threshold;
    int shift = m->o.learn_shift;
    for (int y = 0; y < v.height; y++) {
        const uint8_t *row = v.data + (long)y * v.stride;
        size_t g = (size_t)(v.origin_y + y) * (size_t)m->width + (size_t)v.origin_x;
        uint16_t *bg = m->bg + g;
        uint16_t *run = m->fg_run + g;
        uint8_t *mask = m->mask + (size_t)y * (size_t)v.width;
        for (int x = 0; x < v.width; x++) {
            int f = row[x];
            int d = f - (bg[x] >> 8);
            bool fg = d > thr || d < -thr;
            mask[x] = fg;
            if (!fg) {
                bg[x] = (uint16_t)(bg[x] + (((f << 8) - bg[x]) >> shift));
                run[x] = 0;
            } else if (++run[x] >= m->o.absorb_frames) {
                bg[x] = (uint16_t)(f << 8);
                run[x] = 0;
            }
        }
    }
}

/* One 3-wide pass of erosion (want = 0) or dilation (want = 1), horizontal or vertical. */
static void morph_pass(const uint8_t *in, uint8_t *out, int w, int h, bool vertical, uint8_t want)
{
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * (size_t)w + (size_t)x;
            uint8_t v = in[i];
            if (vertical) {
                if (y > 0 && in[i - (size_t)w] == want) {
                    v = want;
                }
                if (y + 1 < h && in[i + (size_t)w] == want) {
                    v = want;
                }
            } else {
                if (x > 0 && in[i - 1] == want) {
                    v = want;
                }
                if (x + 1 < w && in[i + 1] == want) {
                    v = want;
                }
            }
            out[i] = v;
        }
    }
}

/* 3x3 erosion or dilation, done as two separable passes. */
static void morph(motion *m, int w, int h, uint8_t want)
{
    morph_pass(m->mask, m->tmp, w, h, false, want);
    morph_pass(m->tmp, m->mask, w, h, true, want);
}

static int32_t find(int32_t *parent, int32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    return a;
}

static void unite(int32_t *parent, int32_t a, int32_t b)
{
    a = find(parent, a);
    b = find(parent, b);
    if (a != b) {
        parent[a > b ? a : b] = a < b ? a : b;
    }
}

/* Two-pass 8-connected labelling; returns the number of provisional labels. */
static int32_t label(motion *m, int w, int h)
{
    int32_t next = 1;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * (size_t)w + (size_t)x;
            if (!m->mask[i]) {
                m->labels[i] = 0;
                continue;
            }
            int32_t nb[4];
            int k = 0;
            if (x > 0 && m->labels[i - 1]) {
                nb[k++] = m->labels[i - 1];
            }
            if (y > 0) {
                size_t up = i - (size_t)w;
                if (m->labels[up]) {
                    nb[k++] = m->labels[up];
                }
                if (x > 0 && m->labels[up - 1]) {
                    nb[k++] = m->labels[up - 1];
                }
                if (x + 1 < w && m->labels[up + 1]) {
                    nb[k++] = m->labels[up + 1];
                }
            }
            if (k == 0) {
                m->parent[next] = next;
                m->labels[i] = next++;
                continue;
            }
            int32_t l = nb[0];
            for (int j = 1; j < k; j++) {
                unite(m->parent, l, nb[j]);
            }
            m->labels[i] = find(m->parent, l);
        }
    }
    return next;
}

/* The view in gray (BT.601 luma in 8-bit fixed point), into m->gray. */
static image_view to_gray(motion *m, image_view v)
{
    int r = v.format == PIXFMT_RGB24 ? 0 : 2, b = 2 - r;
    for (int y = 0; y < v.height; y++) {
        const uint8_t *in = v.data + (long)y * v.stride;
        uint8_t *o = m->gray + (size_t)y * (size_t)v.width;
        for (int x = 0; x < v.width; x++, in += 3) {
            o[x] = (uint8_t)((77 * in[r] + 150 * in[1] + 29 * in[b]) >> 8);
        }
    }
    return (image_view){m->gray, v.width, v.height, v.width, v.origin_x, v.origin_y, PIXFMT_GRAY8};
}

static mqp_err motion_detect(detector *d, image_view v, detection *out, size_t cap, size_t *n)
{
    motion *m = (motion *)d;
    *n = 0;
    if (v.format != PIXFMT_GRAY8 && v.format != PIXFMT_RGB24 && v.format != PIXFMT_BGR24) {
        return MQP_ERR_UNSUPPORTED;
    }
    if (v.width <= 0 || v.height <= 0 || v.origin_x < 0 || v.origin_y < 0 ||
        v.origin_x + v.width > m->width || v.origin_y + v.height > m->height) {
        return MQP_ERR_INVALID;
    }
    if (v.format != PIXFMT_GRAY8) {
        v = to_gray(m, v); /* Gray frames are the usual case: from the source, no copy. */
    }
    if (!m->seeded) {
        /* The first full frame is the first background. */
        for (int y = 0; y < m->height && v.width == m->width && v.height == m->height; y++) {
            for (int x = 0; x < m->width; x++) {
                m->bg[(size_t)y * (size_t)m->width + (size_t)x] =
                    (uint16_t)(v.data[(long)y * v.stride + x] << 8);
            }
        }
        m->seeded = v.width == m->width && v.height == m->height;
        return MQP_OK;
    }
    int w = v.width, h = v.height;
    classify(m, v);
    morph(m, w, h, 0); /* Opening removes specks of noise... */
    morph(m, w, h, 1);
    morph(m, w, h, 1); /* ...closing fills pinholes. */
    morph(m, w, h, 0);
    int32_t nlabels = label(m, w, h);
    blob *blobs = calloc((size_t)nlabels, sizeof *blobs);
    if (!blobs) {
        return MQP_ERR_NOMEM;
    }
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int32_t l = m->labels[(size_t)y * (size_t)w + (size_t)x];
            if (!l) {
                continue;
            }
            blob *b = &blobs[find(m->parent, l)];
            if (b->count++ == 0) {
                *b = (blob){x, y, x, y, 1};
                continue;
            }
            b->x0 = x < b->x0 ? x : b->x0;
            b->x1 = x > b->x1 ? x : b->x1;
            b->y1 = y > b->y1 ? y : b->y1;
        }
    }
    for (int32_t l = 1; l < nlabels && *n < cap; l++) {
        blob *b = &blobs[l];
        if (b->count < m->o.min_area) {
            continue;
        }
        box bx = {b->x0, b->y0, b->x1 - b->x0 + 1, b->y1 - b->y0 + 1};
        /* A solid blob is more likely one object than a loose cloud of changed pixels. */
        double fill = (double)b->count / (double)box_area(bx);
        out[(*n)++] = (detection){bx, 0.5 + 0.5 * fill, 0, "motion"};
    }
    free(blobs);
    return MQP_OK;
}

static void motion_destroy(detector *d)
{
    motion *m = (motion *)d;
    free(m->bg);
    free(m->fg_run);
    free(m->mask);
    free(m->tmp);
    free(m->labels);
    free(m->parent);
    free(m->gray);
    free(m);
}

static const detector_ops motion_ops = {"motion", motion_detect, motion_destroy, NULL};

mqp_err motion_new(detector **out, int width, int height, const motion_opts *opts, char *err,
                   size_t errlen)
{
    motion_opts o = opts ? *opts : (motion_opts){0};
    o.threshold = o.threshold ? o.threshold : 25;
    o.min_area = o.min_area ? o.min_area : 150;
    o.learn_shift = o.learn_shift ? o.learn_shift : 4;
    o.absorb_frames = o.absorb_frames ? o.absorb_frames : 75;
    if (width < 8 || height < 8 || o.threshold < 1 || o.threshold > 254 || o.min_area < 1 ||
        o.learn_shift < 1 || o.learn_shift > 8 || o.absorb_frames < 1 || o.absorb_frames > 65535) {
        snprintf(err, errlen,
                 "motion detector: threshold must be 1..254, min_area >= 1, "
                 "learn_shift 1..8, absorb_frames 1..65535");
        return MQP_ERR_INVALID;
    }
    motion *m = calloc(1, sizeof *m);
    size_t px = (size_t)width * (size_t)height;
    if (!m || !(m->bg = calloc(px, sizeof *m->bg)) || !(m->fg_run = calloc(px, 2)) ||
        !(m->mask = malloc(px)) || !(m->tmp = malloc(px)) ||
        !(m->labels = malloc(px * sizeof *m->labels)) ||
        !(m->parent = malloc((px + 1) * sizeof *m->parent)) || !(m->gray = malloc(px))) {
        if (m) {
            motion_destroy(&m->base);
        }
        return MQP_ERR_NOMEM;
    }
    m->base.ops = &motion_ops;
    m->base.format = PIXFMT_GRAY8;
    m->base.name = "motion";
    m->o = o;
    m->width = width;
    m->height = height;
    *out = &m->base;
    return MQP_OK;
}
