#include "backoff.h"

#include "rand.h"

void mqpx_backoff_init(mqpx_backoff *b, int64_t min_ms, int64_t max_ms)
{
    b->min_ms = min_ms > 0 ? min_ms : 1;
    b->max_ms = max_ms >= b->min_ms ? max_ms : b->min_ms;
    b->attempt = 0;
}

int64_t mqpx_backoff_next(mqpx_backoff *b)
{
    int64_t base = b->min_ms;
    for (unsigned i = 0; i < b->attempt && base < b->max_ms; i++) {
        base *= 2;
    }
    if (base > b->max_ms) {
        base = b->max_ms;
    }
    if (b->attempt < 64) {
        b->attempt++;
    }
    int64_t half = base / 2;
    return half + (int64_t)(mqpx_rand_unit() * (double)(base - half + 1));
}

void mqpx_backoff_reset(mqpx_backoff *b)
{
    b->attempt = 0;
}
