#include "motion.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The model works on cells of scale x scale pixels: a frame this many cells across at most,
 * unless told otherwise. Motion needs no finer grain (the best NVRs look at a frame about this
 * size), and a quarter of the pixels at 640x480 is a quarter of the work. */
#define MOTION_CELLS_ACROSS 320
#define MOTION_MAX_SCALE    16 /* A cell's sum of 8-bit pixels fits 16 bits. */

typedef struct motion {
    detector base;
    motion_opts o;
    int width; /* The full frame, in pixels. */
    int height;
    int cw; /* ... and in cells. */
    int ch;
    int min_cells;    /* min_area in cells. */
    bool seeded;      /* The background holds a first frame. */
    uint16_t *bg;     /* 8.8 fixed point, a cell each. */
    uint16_t *fg_run; /* Consecutive foreground frames, a cell each. */
    uint8_t *cells;   /* View-sized (in cells) scratch buffers. */
    uint8_t *mask;
    uint8_t *tmp;
    uint16_t *sums;
    int32_t *labels;
    int32_t *parent;
    uint8_t *gray; /* A colour view made gray (motion gating runs on the detector's frames). */
} motion;

typedef struct blob {
    int x0, y0, x1, y1;
    int count;
} blob;

/* The cells that lie wholly inside a view: [x0, x1) x [y0, y1), in frame cells. */
typedef struct cell_span {
    int x0, y0, x1, y1;
} cell_span;

static cell_span cells_of(const motion *m, image_view v)
{
    int f = m->o.scale;
    cell_span c = {(v.origin_x + f - 1) / f, (v.origin_y + f - 1) / f, (v.origin_x + v.width) / f,
                   (v.origin_y + v.height) / f};
    c.x1 = c.x1 < m->cw ? c.x1 : m->cw;
    c.y1 = c.y1 < m->ch ? c.y1 : m->ch;
    return c;
}

/* Each cell of the span the mean of its pixels, into m->cells (width c.x1 - c.x0). */
static void shrink(motion *m, image_view v, cell_span c)
{
    int f = m->o.scale, w = c.x1 - c.x0;
    const uint8_t *base =
        v.data + (long)(c.y0 * f - v.origin_y) * v.stride + (c.x0 * f - v.origin_x);
    uint32_t inv = (65536u + (uint32_t)(f * f) / 2) / (uint32_t)(f * f);
    for (int y = 0; y < c.y1 - c.y0; y++) {
        uint8_t *out = m->cells + (size_t)y * (size_t)w;
        const uint8_t *row = base + (long)y * f * v.stride;
        if (f == 1) {
            memcpy(out, row, (size_t)w);
            continue;
        }
        if (f == 2) {
            const uint8_t *r1 = row + v.stride;
            for (int x = 0; x < w; x++) {
                out[x] =
                    (uint8_t)((row[2 * x] + row[2 * x + 1] + r1[2 * x] + r1[2 * x + 1] + 2) >> 2);
            }
            continue;
        }
        memset(m->sums, 0, (size_t)w * sizeof *m->sums);
        for (int k = 0; k < f; k++, row += v.stride) {
            for (int x = 0; x < w; x++) {
                const uint8_t *p = row + x * f;
                unsigned s = 0;
                for (int j = 0; j < f; j++) {
                    s += p[j];
                }
                m->sums[x] = (uint16_t)(m->sums[x] + s);
            }
        }
        for (int x = 0; x < w; x++) {
            out[x] = (uint8_t)((m->sums[x] * inv + 32768u) >> 16);
        }
    }
}

/* Foreground mask of the cells, and the background update that depends on it. Written without
 * branches, so the compiler makes it vector code. */
static void classify(motion *m, cell_span c)
{
    int thr = m->o.threshold, shift = m->o.learn_shift, absorb = m->o.absorb_frames;
    int w = c.x1 - c.x0;
    for (int y = 0; y < c.y1 - c.y0; y++) {
        const uint8_t *in = m->cells + (size_t)y * (size_t)w;
        size_t g = (size_t)(c.y0 + y) * (size_t)m->cw + (size_t)c.x0;
        uint16_t *bg = m->bg + g;
        uint16_t *run = m->fg_run + g;
        uint8_t *mask = m->mask + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++) {
            int f = in[x], b = bg[x];
            int d = f - (b >> 8);
            int fg = d > thr || d < -thr;
            int r = fg ? run[x] + 1 : 0;
            int absorbed = r >= absorb;
            int learnt = b + (((f << 8) - b) >> shift);
            bg[x] = (uint16_t)(fg ? (absorbed ? f << 8 : b) : learnt);
            run[x] = (uint16_t)(absorbed ? 0 : r);
            mask[x] = (uint8_t)fg;
        }
    }
}

/* The mask's bytes are 0 or 1, so erosion is AND and dilation OR, eight cells a word. */
static uint64_t load8(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void store8(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof v);
}

static uint64_t op3(uint64_t a, uint64_t b, uint64_t c, bool dilate)
{
    return dilate ? a | b | c : a & b & c;
}

/* One 3-wide pass along each row; a neighbour outside the mask does not count. */
static void morph_rows(const uint8_t *in, uint8_t *out, int w, int h, bool dilate)
{
    for (int y = 0; y < h; y++) {
        const uint8_t *i = in + (size_t)y * (size_t)w;
        uint8_t *o = out + (size_t)y * (size_t)w;
        int x = 1;
        for (; x + 9 <= w; x += 8) {
            store8(o + x, op3(load8(i + x - 1), load8(i + x), load8(i + x + 1), dilate));
        }
        for (; x + 1 < w; x++) {
            o[x] = dilate ? i[x - 1] | i[x] | i[x + 1] : i[x - 1] & i[x] & i[x + 1];
        }
        if (w == 1) {
            o[0] = i[0];
        } else {
            o[0] = dilate ? i[0] | i[1] : i[0] & i[1];
            o[w - 1] = dilate ? i[w - 2] | i[w - 1] : i[w - 2] & i[w - 1];
        }
    }
}

/* The same down each column. */
static void morph_cols(const uint8_t *in, uint8_t *out, int w, int h, bool dilate)
{
    for (int y = 0; y < h; y++) {
        const uint8_t *c = in + (size_t)y * (size_t)w;
        const uint8_t *u = y > 0 ? c - w : c;
        const uint8_t *d = y + 1 < h ? c + w : c;
        uint8_t *o = out + (size_t)y * (size_t)w;
        int x = 0;
        for (; x + 8 <= w; x += 8) {
            store8(o + x, op3(load8(u + x), load8(c + x), load8(d + x), dilate));
        }
        for (; x < w; x++) {
            o[x] = dilate ? u[x] | c[x] | d[x] : u[x] & c[x] & d[x];
        }
    }
}

/* 3x3 erosion or dilation, done as two separable passes. */
static void morph(motion *m, int w, int h, bool dilate)
{
    morph_rows(m->mask, m->tmp, w, h, dilate);
    morph_cols(m->tmp, m->mask, w, h, dilate);
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
            if (x + 8 <= w && !load8(m->mask + i)) {
                memset(m->labels + i, 0, 8 * sizeof *m->labels); /* Most of a frame is still. */
                x += 7;
                continue;
            }
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
    cell_span c = cells_of(m, v);
    int w = c.x1 - c.x0, h = c.y1 - c.y0;
    if (w <= 0 || h <= 0) {
        return MQP_OK; /* Smaller than a cell: nothing to see. */
    }
    shrink(m, v, c);
    if (!m->seeded) {
        /* The first full frame is the first background. */
        m->seeded = v.width == m->width && v.height == m->height;
        for (size_t i = 0; m->seeded && i < (size_t)m->cw * (size_t)m->ch; i++) {
            m->bg[i] = (uint16_t)(m->cells[i] << 8);
        }
        return MQP_OK;
    }
    classify(m, c);
    morph(m, w, h, false); /* Opening removes specks of noise... */
    morph(m, w, h, true);
    morph(m, w, h, true); /* ...closing fills pinholes. */
    morph(m, w, h, false);
    int32_t nlabels = label(m, w, h);
    blob *blobs = calloc((size_t)nlabels, sizeof *blobs);
    if (!blobs) {
        return MQP_ERR_NOMEM;
    }
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * (size_t)w + (size_t)x;
            if (x + 8 <= w && !load8(m->mask + i)) {
                x += 7;
                continue;
            }
            int32_t l = m->labels[i];
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
    /* Cells back to pixels of the view. */
    int f = m->o.scale, dx = c.x0 * f - v.origin_x, dy = c.y0 * f - v.origin_y;
    for (int32_t l = 1; l < nlabels && *n < cap; l++) {
        blob *b = &blobs[l];
        if (b->count < m->min_cells) {
            continue;
        }
        box cells = {b->x0, b->y0, b->x1 - b->x0 + 1, b->y1 - b->y0 + 1};
        /* A solid blob is more likely one object than a loose cloud of changed pixels. */
        double fill = (double)b->count / (double)box_area(cells);
        box bx = {dx + cells.x * f, dy + cells.y * f, cells.w * f, cells.h * f};
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
    free(m->cells);
    free(m->mask);
    free(m->tmp);
    free(m->sums);
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
    if (!o.scale && width > 0) {
        o.scale = (width + MOTION_CELLS_ACROSS - 1) / MOTION_CELLS_ACROSS;
        o.scale = o.scale < MOTION_MAX_SCALE ? o.scale : MOTION_MAX_SCALE;
    }
    if (width < 8 || height < 8 || o.threshold < 1 || o.threshold > 254 || o.min_area < 1 ||
        o.learn_shift < 1 || o.learn_shift > 8 || o.absorb_frames < 1 || o.absorb_frames > 65535 ||
        o.scale < 1 || o.scale > MOTION_MAX_SCALE || width / o.scale < 8 || height / o.scale < 8) {
        snprintf(err, errlen,
                 "motion detector: the frame must be at least 8x8 (and 8x8 cells), threshold "
                 "1..254, min_area >= 1, learn_shift 1..8, absorb_frames 1..65535, scale 1..%d",
                 MOTION_MAX_SCALE);
        return MQP_ERR_INVALID;
    }
    motion *m = calloc(1, sizeof *m);
    size_t px = (size_t)width * (size_t)height;
    int cw = width / o.scale, ch = height / o.scale;
    size_t cells = (size_t)cw * (size_t)ch;
    if (!m || !(m->bg = calloc(cells, sizeof *m->bg)) ||
        !(m->fg_run = calloc(cells, sizeof *m->fg_run)) || !(m->cells = malloc(cells)) ||
        !(m->mask = malloc(cells)) || !(m->tmp = malloc(cells)) ||
        !(m->sums = malloc((size_t)cw * sizeof *m->sums)) ||
        !(m->labels = malloc(cells * sizeof *m->labels)) ||
        !(m->parent = malloc((cells + 1) * sizeof *m->parent)) || !(m->gray = malloc(px))) {
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
    m->cw = cw;
    m->ch = ch;
    m->min_cells = (o.min_area + o.scale * o.scale - 1) / (o.scale * o.scale);
    *out = &m->base;
    return MQP_OK;
}
