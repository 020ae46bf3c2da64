/* A small detector plugin: finds solid patches much brighter or much darker than the rest,
 * which is what the synthetic scene's objects are (its background is mid-gray). Needs
 * mqplane/detector.h and the C library only; build it and run it with
 *
 *   cc -shared -fPIC -O2 -I include examples/detector_plugin.c -o blob.so
 *   mqplane run --detector 'plugin:./blob.so?bright=150'
 *
 * It works on a coarse grid: a cell counts when its centre pixel is bright or dark enough,
 * neighbouring cells of the same kind join into one patch, and each patch large enough is a
 * box of class "bright" (0) or "dark" (1). Options:
 *   bright=N      the least gray level that is bright (1..255, default 160)
 *   dark=N        the greatest gray level that is dark (0..254, default 50; below bright)
 *   cell=N        grid step in pixels (2..64, default 8): coarser is faster and less exact
 *   min_cells=N   the fewest cells a patch needs (1..10000, default 4)
 *   format=F      what it asks the node for: gray8 (default), rgb24 or bgr24 (for a colour
 *                 pixel it takes the mean of the three channels)
 *   fail_every=N  fail on every Nth frame (default 0: never), to see how the node counts and
 *                 reports a detector that fails */
#include "mqplane/detector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BLOB_ABI_MAJOR
#define BLOB_ABI_MAJOR MQP_DETECTOR_ABI_MAJOR /* Another value builds a plugin to be refused. */
#endif

typedef struct blob {
    int bright, dark, cell, min_cells, fail_every;
    mqp_pixfmt format;
    unsigned long long frames;
    int gw, gh;        /* Grid size, in cells. */
    signed char *grid; /* Per cell: 0 none, 1 bright, 2 dark, -1 already in a patch. */
    int *stack;        /* Cells waiting to be visited during a flood fill. */
} blob;

static const char *const class_names[] = {"bright", "dark"};

static int parse_int(const char *key, const char *value, int lo, int hi, int *out, char *err,
                     size_t errlen)
{
    char *end;
    long v = strtol(value, &end, 10);
    if (!*value || *end || v < lo || v > hi) {
        snprintf(err, errlen, "%s must be a whole number in %d..%d, not '%s'", key, lo, hi, value);
        return MQP_DETECTOR_BAD_OPTION;
    }
    *out = (int)v;
    return MQP_DETECTOR_OK;
}

static int parse_format(const char *value, mqp_pixfmt *out, char *err, size_t errlen)
{
    static const char *const names[] = {"gray8", "rgb24", "bgr24"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(value, names[i]) == 0) {
            *out = (mqp_pixfmt)i;
            return MQP_DETECTOR_OK;
        }
    }
    snprintf(err, errlen, "format must be gray8, rgb24 or bgr24, not '%s'", value);
    return MQP_DETECTOR_BAD_OPTION;
}

static int blob_create(const mqp_detector_option *opts, size_t nopts, int frame_width,
                       int frame_height, void **self, mqp_detector_info *info, char *err,
                       size_t errlen)
{
    blob b = {.bright = 160, .dark = 50, .cell = 8, .min_cells = 4, .format = MQP_PIXFMT_GRAY8};
    for (size_t i = 0; i < nopts; i++) {
        const char *k = opts[i].key, *v = opts[i].value;
        int rc = strcmp(k, "bright") == 0 ? parse_int(k, v, 1, 255, &b.bright, err, errlen)
                 : strcmp(k, "dark") == 0 ? parse_int(k, v, 0, 254, &b.dark, err, errlen)
                 : strcmp(k, "cell") == 0 ? parse_int(k, v, 2, 64, &b.cell, err, errlen)
                 : strcmp(k, "min_cells") == 0
                     ? parse_int(k, v, 1, 10000, &b.min_cells, err, errlen)
                 : strcmp(k, "fail_every") == 0
                     ? parse_int(k, v, 0, 1000000, &b.fail_every, err, errlen)
                     : parse_format(v, &b.format, err, errlen); /* The node checked the keys. */
        if (rc != MQP_DETECTOR_OK) {
            return rc;
        }
    }
    if (b.dark >= b.bright) {
        snprintf(err, errlen, "dark (%d) must be below bright (%d)", b.dark, b.bright);
        return MQP_DETECTOR_BAD_OPTION;
    }
    b.gw = (frame_width + b.cell - 1) / b.cell;
    b.gh = (frame_height + b.cell - 1) / b.cell;
    blob *p = malloc(sizeof *p);
    size_t cells = (size_t)b.gw * (size_t)b.gh;
    if (!p || !(b.grid = malloc(cells)) || !(b.stack = malloc(cells * sizeof *b.stack))) {
        free(b.grid);
        free(p);
        snprintf(err, errlen, "out of memory for a %dx%d grid", b.gw, b.gh);
        return MQP_DETECTOR_FAILED;
    }
    *p = b;
    *self = p;
    info->format = b.format;
    info->input_width = 0; /* Any size. */
    info->input_height = 0;
    return MQP_DETECTOR_OK;
}

/* The gray level of the pixel at (x, y). */
static int level(const blob *b, const mqp_image *img, int x, int y)
{
    const uint8_t *p = img->data + (size_t)y * (size_t)img->stride;
    if (b->format == MQP_PIXFMT_GRAY8) {
        return p[x];
    }
    p += 3 * (size_t)x;
    return (p[0] + p[1] + p[2]) / 3;
}

/* Joins the patch that starts at cell start and says where it lies, in cells. */
static int flood(blob *b, int start, int *x0, int *y0, int *x1, int *y1)
{
    int kind = b->grid[start], top = 0, count = 0;
    b->stack[top++] = start;
    b->grid[start] = -1;
    *x0 = *x1 = start % b->gw;
    *y0 = *y1 = start / b->gw;
    while (top) {
        int c = b->stack[--top], cx = c % b->gw, cy = c / b->gw;
        count++;
        *x0 = cx < *x0 ? cx : *x0;
        *x1 = cx > *x1 ? cx : *x1;
        *y0 = cy < *y0 ? cy : *y0;
        *y1 = cy > *y1 ? cy : *y1;
        const int next[4] = {cx > 0 ? c - 1 : -1, cx + 1 < b->gw ? c + 1 : -1,
                             cy > 0 ? c - b->gw : -1, cy + 1 < b->gh ? c + b->gw : -1};
        for (int i = 0; i < 4; i++) {
            if (next[i] >= 0 && b->grid[next[i]] == kind) {
                b->grid[next[i]] = -1;
                b->stack[top++] = next[i];
            }
        }
    }
    return count;
}

static int blob_detect(void *self, const mqp_image *img, mqp_box *out, size_t cap, size_t *n,
                       char *err, size_t errlen)
{
    blob *b = self;
    *n = 0;
    b->frames++;
    if (b->fail_every && b->frames % (unsigned long long)b->fail_every == 0) {
        snprintf(err, errlen, "failing on frame %llu, as fail_every=%d asks", b->frames,
                 b->fail_every);
        return MQP_DETECTOR_FAILED;
    }
    int gw = (img->width + b->cell - 1) / b->cell, gh = (img->height + b->cell - 1) / b->cell;
    if (gw > b->gw || gh > b->gh) {
        snprintf(err, errlen, "an image of %dx%d is larger than the frames it was made for",
                 img->width, img->height);
        return MQP_DETECTOR_FAILED;
    }
    for (int gy = 0; gy < gh; gy++) {
        for (int gx = 0; gx < gw; gx++) {
            int x = gx * b->cell + b->cell / 2, y = gy * b->cell + b->cell / 2;
            int v = level(b, img, x < img->width ? x : img->width - 1,
                          y < img->height ? y : img->height - 1);
            b->grid[gy * b->gw + gx] = (signed char)(v >= b->bright ? 1 : v <= b->dark ? 2 : 0);
        }
    }
    for (int gy = 0; gy < gh; gy++) {
        for (int gx = 0; gx < gw && *n < cap; gx++) {
            int c = gy * b->gw + gx, kind = b->grid[c];
            if (kind <= 0) {
                continue;
            }
            int x0, y0, x1, y1;
            int cells = flood(b, c, &x0, &y0, &x1, &y1);
            int area = (x1 - x0 + 1) * (y1 - y0 + 1);
            if (cells < b->min_cells) {
                continue;
            }
            int x = x0 * b->cell, y = y0 * b->cell;
            int w = (x1 + 1) * b->cell, h = (y1 + 1) * b->cell;
            w = (w < img->width ? w : img->width) - x;
            h = (h < img->height ? h : img->height) - y;
            out[(*n)++] =
                (mqp_box){x, y, w, h, (float)cells / (float)area, kind - 1, class_names[kind - 1]};
        }
    }
    return MQP_DETECTOR_OK;
}

static void blob_destroy(void *self)
{
    blob *b = self;
    free(b->grid);
    free(b->stack);
    free(b);
}

static const char *const option_keys[] = {"bright", "dark",       "cell", "min_cells",
                                          "format", "fail_every", NULL};

static const mqp_detector_plugin plugin = {
    .abi_major = BLOB_ABI_MAJOR,
    .abi_minor = MQP_DETECTOR_ABI_MINOR,
    .name = "blob",
    .option_keys = option_keys,
    .create = blob_create,
    .detect = blob_detect,
    .destroy = blob_destroy,
};

MQP_DETECTOR_EXPORT const mqp_detector_plugin *mqp_detector_plugin_get(void)
{
    return &plugin;
}
