/* Drawing on a frame: each tracked object's box in a colour of its own, and a label with its
 * track id, class and confidence, in a small built-in font (nothing to load). */
#ifndef NODE_ANNOTATE_H
#define NODE_ANNOTATE_H

#include "tracker.h"

#include <stddef.h>
#include <stdint.h>

/* The colour of a track's box and label, packed RGB: one of a few saturated colours, so a
 * box never looks like the frame under it. */
void annotate_colour(uint64_t track_id, uint8_t rgb[3]);
/* The thickness of the box lines in a frame of that height (at least 3 pixels, so colour
 * survives JPEG's halved chroma). */
int annotate_thickness(int height);

/* Draws every track on the packed RGB frame (stride width * 3). */
void annotate_draw(uint8_t *rgb, int width, int height, const tracked *tracks, size_t n);

/* Writes text with its top-left corner at (x, y), each font pixel scale x scale, clipped to
 * the frame. Letters are drawn in lower case; a character the font lacks is drawn as '?'. */
void annotate_text(uint8_t *rgb, int width, int height, int x, int y, int scale, const char *text,
                   const uint8_t colour[3]);

#endif
