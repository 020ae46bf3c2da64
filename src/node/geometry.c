#include "geometry.h"

int box_area(box b)
{
    return b.w > 0 && b.h > 0 ? b.w * b.h : 0;
}

bool box_is_empty(box b)
{
    return b.w <= 0 || b.h <= 0;
}

box box_intersection(box a, box b)
{
    int x0 = a.x > b.x ? a.x : b.x;
    int y0 = a.y > b.y ? a.y : b.y;
    int x1 = a.x + a.w < b.x + b.w ? a.x + a.w : b.x + b.w;
    int y1 = a.y + a.h < b.y + b.h ? a.y + a.h : b.y + b.h;
    return (box){x0, y0, x1 > x0 ? x1 - x0 : 0, y1 > y0 ? y1 - y0 : 0};
}

double box_iou(box a, box b)
{
    int inter = box_area(box_intersection(a, b));
    int uni = box_area(a) + box_area(b) - inter;
    return uni > 0 ? (double)inter / (double)uni : 0.0;
}

box box_union(box a, box b)
{
    if (box_is_empty(a)) {
        return b;
    }
    if (box_is_empty(b)) {
        return a;
    }
    int x0 = a.x < b.x ? a.x : b.x;
    int y0 = a.y < b.y ? a.y : b.y;
    int x1 = a.x + a.w > b.x + b.w ? a.x + a.w : b.x + b.w;
    int y1 = a.y + a.h > b.y + b.h ? a.y + a.h : b.y + b.h;
    return (box){x0, y0, x1 - x0, y1 - y0};
}

box box_expand_clamped(box b, int margin, int frame_w, int frame_h)
{
    box e = {b.x - margin, b.y - margin, b.w + 2 * margin, b.h + 2 * margin};
    return box_intersection(e, (box){0, 0, frame_w, frame_h});
}

int pixfmt_bytes(pixfmt f)
{
    return f == PIXFMT_GRAY8 ? 1 : 3;
}

const char *pixfmt_name(pixfmt f)
{
    static const char *const names[] = {"gray8", "rgb24", "bgr24"};
    return (unsigned)f < 3 ? names[f] : "unknown";
}

image_view image_view_crop(image_view v, box r)
{
    box c = box_intersection(r, (box){0, 0, v.width, v.height});
    image_view out = v;
    out.data = v.data + (long)c.y * v.stride + (long)c.x * pixfmt_bytes(v.format);
    out.width = c.w;
    out.height = c.h;
    out.origin_x = v.origin_x + c.x;
    out.origin_y = v.origin_y + c.y;
    return out;
}
