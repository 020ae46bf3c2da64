/* Fast per-thread random numbers (xoshiro256**) seeded from the kernel; not for keys. Part of
 * the helpers layer (src/util). */
#ifndef MQPX_RAND_H
#define MQPX_RAND_H

#include <stdint.h>

uint64_t mqpx_rand_u64(void);
/* Uniform in [0, 1). */
double mqpx_rand_unit(void);

#endif
