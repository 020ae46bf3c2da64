/* A fast non-cryptographic hash (64-bit FNV-1a), for hash tables and de-duplication keys.
 * Part of the helpers layer (src/util). */
#ifndef MQPX_HASH_H
#define MQPX_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t mqpx_fnv1a(const void *data, size_t n);

#endif
