#include "number_write.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

size_t mqpx_write_u64(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    return n;
}

size_t mqpx_write_i64(char *out, int64_t v)
{
    if (v >= 0) {
        return mqpx_write_u64(out, (uint64_t)v);
    }
    out[0] = '-';
    return 1 + mqpx_write_u64(out + 1, (uint64_t)0 - (uint64_t)v);
}

size_t mqpx_write_padded(char *out, uint32_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return (size_t)width;
}

static const double pow10_exact[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

/* "%.6g" in fixed notation, which it uses for decimal exponents -4..5: six significant digits
 * rounded, trailing zeros and a bare point dropped. The digits come from v * 10^(5 - e), one
 * multiplication by an exact power of ten, off from the exact product by at most half an ulp
 * (1.2e-10 below 10^6): unless its fraction is within 1e-9 of a tie, it rounds as the exact
 * value does, which is what printf rounds. */
static size_t g6_fixed(char *out, double v, int e)
{
    double scaled = v * pow10_exact[5 - e];
    double whole = floor(scaled);
    double frac = scaled - whole;
    if (fabs(frac - 0.5) < 1e-9) {
        return 0; /* Too close to a tie to tell: snprintf decides. */
    }
    uint32_t digits = (uint32_t)whole + (frac > 0.5);
    if (digits == 1000000) { /* 9.9999996 -> 10.0000: one more integer digit. */
        digits = 100000;
        e++;
        if (e > 5) {
            return 0; /* Exponential notation: snprintf's. */
        }
    } else if (digits < 100000 || digits > 1000000) {
        return 0; /* e off by one (v next to a power of ten): snprintf decides. */
    }
    /* digits has 6 digits; the point goes after e + 1 of them (before, with zeros, if e < 0). */
    char d[6];
    mqpx_write_padded(d, digits, 6);
    int last = 5;
    while (last > 0 && d[last] == '0' && last > e) {
        last--; /* Trailing zeros of the fraction go. */
    }
    size_t n = 0;
    if (e < 0) {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = -1; i > e; i--) {
            out[n++] = '0';
        }
        memcpy(out + n, d, (size_t)last + 1);
        return n + (size_t)last + 1;
    }
    memcpy(out + n, d, (size_t)e + 1);
    n += (size_t)e + 1;
    if (last > e) {
        out[n++] = '.';
        memcpy(out + n, d + e + 1, (size_t)(last - e));
        n += (size_t)(last - e);
    }
    return n;
}

size_t mqpx_write_g6(char *out, double v)
{
    static const double decades[] = {1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5};
    double a = fabs(v);
    if (a >= 1e-4 && a < 999999.5) {
        int e = -4; /* The decimal exponent, by comparison: log10 costs more than the rest. */
        while (e < 5 && a >= decades[e + 4]) {
            e++;
        }
        size_t sign = v < 0;
        out[0] = '-';
        size_t n = g6_fixed(out + sign, a, e);
        if (n) {
            return sign + n;
        }
    }
    if (v == 0) {
        if (signbit(v)) {
            memcpy(out, "-0", 2);
            return 2;
        }
        out[0] = '0';
        return 1;
    }
    char tmp[MQPX_NUMBER_MAX + 8];
    int n = snprintf(tmp, sizeof tmp, "%.6g", v);
    if (n < 0 || n > MQPX_NUMBER_MAX) {
        return 0;
    }
    memcpy(out, tmp, (size_t)n);
    return (size_t)n;
}
