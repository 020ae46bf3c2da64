#include "gate.h"

#include "motion.h"

#include <string.h>

#define MAX_MOTION 64

mqp_err gate_init(gate *g, const gate_opts *o, int width, int height, int min_w, int min_h,
                  char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->o = o ? *o : (gate_opts){0};
    g->o.full_pass_every = g->o.full_pass_every > 0 ? g->o.full_pass_every : 30;
    g->o.margin = g->o.margin > 0 ? g->o.margin : 32;
    g->width = width;
    g->height = height;
    g->min_w = min_w < width ? min_w : width;
    g->min_h = min_h < height ? min_h : height;
    g->since_full = g->o.full_pass_every; /* The first frame is a full pass. */
    return g->o.on_motion ? motion_new(&g->motion, width, height, NULL, err, errlen) : MQP_OK;
}

void gate_free(gate *g)
{
    detector_destroy(g->motion);
    g->motion = NULL;
}

/* Grows r about its centre to at least w x h, kept inside the frame. */
static box at_least(box r, int w, int h, int fw, int fh)
{
    if (r.w < w) {
        r.x -= (w - r.w) / 2;
        r.w = w;
    }
    if (r.h < h) {
        r.y -= (h - r.h) / 2;
        r.h = h;
    }
    r.x = r.x < 0 ? 0 : r.x + r.w > fw ? fw - r.w : r.x;
    r.y = r.y < 0 ? 0 : r.y + r.h > fh ? fh - r.h : r.y;
    return box_intersection(r, (box){0, 0, fw, fh});
}

/* Where things moved or are to be looked at again, padded and grown to the detector's input
 * size; empty: nowhere. */
static box motion_region(gate *g, image_view frame, const box *look, size_t nlook)
{
    detection m[MAX_MOTION];
    size_t n = 0;
    if (detector_detect(g->motion, frame, m, MAX_MOTION, &n) != MQP_OK) {
        n = 0;
    }
    box u = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        u = box_union(u, m[i].b);
    }
    for (size_t i = 0; i < nlook; i++) {
        u = box_union(u, box_intersection(look[i], (box){0, 0, g->width, g->height}));
    }
    if (box_is_empty(u)) {
        return u;
    }
    u = box_expand_clamped(u, g->o.margin, g->width, g->height);
    return at_least(u, g->min_w, g->min_h, g->width, g->height);
}

bool gate_decide(gate *g, image_view frame, double now, const box *look, size_t nlook, box *region)
{
    bool due = g->o.max_fps <= 0 || now >= g->next_run;
    box moved = {0, 0, 0, 0};
    if (g->motion) {
        /* The motion detector sees every frame, run or not, so its background stays current
         * and it says where things move now. */
        moved = motion_region(g, frame, look, nlook);
        g->since_full++;
    }
    if (!due) {
        return false;
    }
    if (g->motion) {
        if (g->since_full >= g->o.full_pass_every) {
            g->since_full = 0; /* A full pass: where the crop says, the frame when it is off. */
        } else if (box_is_empty(moved)) {
            return false;
        } else {
            *region = moved;
        }
    }
    if (g->o.max_fps > 0) {
        double period = 1.0 / g->o.max_fps;
        /* On schedule, the next slot; late (a slow frame), a period from now: no burst. */
        g->next_run = now - g->next_run < period ? g->next_run + period : now + period;
    }
    return true;
}
