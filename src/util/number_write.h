/* Numbers into text for the hot paths (a detections message for every frame), without
 * snprintf: its format parsing and locale handling were most of a message's cost. Each writes
 * into out, which must hold MQPX_NUMBER_MAX bytes, no NUL, and returns the length. Part of the
 * helpers layer (src/util). */
#ifndef MQPX_NUMBER_WRITE_H
#define MQPX_NUMBER_WRITE_H

#include <stddef.h>
#include <stdint.h>

#define MQPX_NUMBER_MAX 32

size_t mqpx_write_u64(char *out, uint64_t v);
size_t mqpx_write_i64(char *out, int64_t v);
/* v in 0..10^width - 1 with leading zeros to width digits (width 1..9). */
size_t mqpx_write_padded(char *out, uint32_t v, int width);
/* Exactly what snprintf's "%.6g" writes for a finite v. The common values (magnitudes from
 * 1e-4 to below 1e6, not within a billionth of a rounding tie) take a path of their own;
 * the rest, snprintf itself. */
size_t mqpx_write_g6(char *out, double v);

#endif
