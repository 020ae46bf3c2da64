#include "number.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

mqpx_num mqpx_parse_int(const char *s, long long lo, long long hi, long long *out)
{
    if (!s) {
        return MQPX_NUM_SYNTAX;
    }
    const char *p = s + (*s == '-');
    if (!is_digit(*p)) {
        return MQPX_NUM_SYNTAX;
    }
    while (is_digit(*p)) {
        p++;
    }
    if (*p) {
        return MQPX_NUM_SYNTAX;
    }
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE || v < lo || v > hi) {
        return MQPX_NUM_RANGE;
    }
    *out = v;
    return MQPX_NUM_OK;
}

mqpx_num mqpx_parse_double(const char *s, double lo, double hi, double *out)
{
    if (!s) {
        return MQPX_NUM_SYNTAX;
    }
    /* The shape is checked by hand: strtod alone would take "0x1p3", "inf", "nan" and
     * leading spaces. */
    const char *p = s + (*s == '-');
    size_t digits = 0;
    while (is_digit(*p)) {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (is_digit(*p)) {
            p++;
            digits++;
        }
    }
    if (digits == 0) {
        return MQPX_NUM_SYNTAX;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        p += *p == '-' || *p == '+';
        if (!is_digit(*p)) {
            return MQPX_NUM_SYNTAX;
        }
        while (is_digit(*p)) {
            p++;
        }
    }
    if (*p) {
        return MQPX_NUM_SYNTAX;
    }
    double v = strtod(s, NULL);
    if (!isfinite(v) || v < lo || v > hi) {
        return MQPX_NUM_RANGE;
    }
    *out = v;
    return MQPX_NUM_OK;
}

void mqpx_num_expected_int(char *buf, size_t len, long long lo, long long hi)
{
    if (lo == LLONG_MIN && hi == LLONG_MAX) {
        snprintf(buf, len, "an integer");
    } else if ((lo == 0 || lo == 1) && hi == LLONG_MAX) {
        snprintf(buf, len, "a %s integer", lo ? "positive" : "non-negative");
    } else {
        snprintf(buf, len, "an integer in %lld..%lld", lo, hi);
    }
}

void mqpx_num_expected_double(char *buf, size_t len, double lo, double hi)
{
    snprintf(buf, len, "a number in %.15g..%.15g", lo, hi);
}
