#include "roi.h"

void roi_init(roi *r, int width, int height, const roi_opts *o)
{
    *r = (roi){.o = o ? *o : (roi_opts){0}, .width = width, .height = height};
    r->o.margin = r->o.margin > 0 ? r->o.margin : 32;
    r->o.full_frame_every = r->o.full_frame_every > 0 ? r->o.full_frame_every : 15;
    r->current = (box){0, 0, width, height};
}

void roi_set_enabled(roi *r, bool on)
{
    r->enabled = on;
    r->frames = 0;
}

box roi_next(roi *r, const tracked *tracks, size_t n, const box *tentative, size_t ntentative)
{
    box full = {0, 0, r->width, r->height};
    bool refresh = r->frames++ % (uint64_t)r->o.full_frame_every == 0;
    if (!r->enabled || n + ntentative == 0 || refresh) {
        r->current = full;
        return full;
    }
    box u = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        u = box_union(u, tracks[i].det.b);
    }
    for (size_t i = 0; i < ntentative; i++) {
        u = box_union(u, tentative[i]);
    }
    r->current = box_expand_clamped(u, r->o.margin, r->width, r->height);
    if (box_is_empty(r->current)) {
        r->current = full; /* Tracks predicted out of the frame. */
    }
    return r->current;
}

void roi_map_back(box region, detection *dets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dets[i].b.x += region.x;
        dets[i].b.y += region.y;
    }
}
