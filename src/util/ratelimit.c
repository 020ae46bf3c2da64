#include "ratelimit.h"

void mqpx_ratelimit_init(mqpx_ratelimit *r, unsigned burst, double window_s)
{
    *r = (mqpx_ratelimit){.window_s = window_s, .burst = burst ? burst : 1};
}

bool mqpx_ratelimit_pass(mqpx_ratelimit *r, double now, uint64_t *held)
{
    if (r->window_end == 0 || now >= r->window_end) {
        r->window_end = now + r->window_s;
        r->passed = 0;
    }
    if (r->passed >= r->burst) {
        r->held++;
        return false;
    }
    r->passed++;
    *held = mqpx_ratelimit_take_held(r);
    return true;
}

uint64_t mqpx_ratelimit_take_held(mqpx_ratelimit *r)
{
    uint64_t n = r->held;
    r->held = 0;
    return n;
}
