/* Fast per-thread random numbers (xoshiro256**) seeded from the kernel; not for keys. */
#ifndef MQP_RAND_H
#define MQP_RAND_H

#include <stdint.h>

uint64_t mqp__rand_u64(void);
/* Uniform in [0, 1). */
double mqp__rand_unit(void);

#endif
