/* Strict numbers from text: the whole string must be the number, in decimal, within range.
 * "12ab", " 12", "1.5" for an integer, "0x10", "inf" and an overflow are all refused, so a value
 * is never silently truncated or wrapped. Part of the helpers layer (src/util). */
#ifndef MQPX_NUMBER_H
#define MQPX_NUMBER_H

#include <stdbool.h>
#include <stddef.h>

typedef enum mqpx_num {
    MQPX_NUM_OK = 0,
    MQPX_NUM_SYNTAX, /* Not a number of the asked kind. */
    MQPX_NUM_RANGE   /* A number, outside lo..hi. */
} mqpx_num;

/* An integer: an optional '-', then digits. *out is written only on MQPX_NUM_OK. */
mqpx_num mqpx_parse_int(const char *s, long long lo, long long hi, long long *out);

/* A decimal number: an optional '-', digits with an optional fraction, an optional exponent
 * ("2", "0.25", ".5", "1e3"); finite. *out is written only on MQPX_NUM_OK. */
mqpx_num mqpx_parse_double(const char *s, double lo, double hi, double *out);

/* What was expected, for a message: "an integer", "a non-negative integer", "a positive
 * integer" or "an integer in LO..HI"; "a number in LO..HI" for a double. */
void mqpx_num_expected_int(char *buf, size_t len, long long lo, long long hi);
void mqpx_num_expected_double(char *buf, size_t len, double lo, double hi);

#endif
