/* Boxes and image views shared by every pipeline stage. */
#ifndef NODE_GEOMETRY_H
#define NODE_GEOMETRY_H

#include <stdbool.h>
#include <stdint.h>

/* An axis-aligned box in pixels: x, y of the top-left corner, width, height. */
typedef struct box {
    int x;
    int y;
    int w;
    int h;
} box;

/* Pixel formats a stage may ask for; packed, 8 bits per channel. */
typedef enum pixfmt {
    PIXFMT_GRAY8 = 0, /* One byte a pixel (the motion detector's). */
    PIXFMT_RGB24,     /* Three, red first (JPEG encoders, most models). */
    PIXFMT_BGR24      /* Three, blue first (OpenCV's order). */
} pixfmt;

/* Bytes a pixel of f takes. */
int pixfmt_bytes(pixfmt f);
/* "gray8", "rgb24", "bgr24". */
const char *pixfmt_name(pixfmt f);

/* A view into an image. The origin says where the view's (0, 0) lies in the full frame, so a
 * stage that keeps per-pixel state (a background model) can use a crop, and a stage that does
 * not (a neural detector) can ignore it. The format says what a pixel is; zero is gray. */
typedef struct image_view {
    const uint8_t *data; /* The view's top-left pixel. */
    int width;
    int height;
    int stride; /* Bytes between rows of the full frame. */
    int origin_x;
    int origin_y;
    pixfmt format;
} image_view;

int box_area(box b);
box box_intersection(box a, box b);
/* Intersection over union in [0, 1]; 0 when either box is empty. */
double box_iou(box a, box b);
/* The smallest box holding both; an empty box is ignored. */
box box_union(box a, box b);
/* Grows b by margin on each side and clamps it to a w x h frame. */
box box_expand_clamped(box b, int margin, int frame_w, int frame_h);
bool box_is_empty(box b);
/* A view of region r (clamped to the view) of v. */
image_view image_view_crop(image_view v, box r);

#endif
