#include "buf.h"

#include "alloc.h"
#include "json_write.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void mqp__buf_init(mqp__buf *b)
{
    memset(b, 0, sizeof *b);
}

void mqp__buf_free(mqp__buf *b)
{
    mqp__free(b->data);
    mqp__buf_init(b);
}

bool mqp__buf_reserve(mqp__buf *b, size_t extra)
{
    if (b->failed) {
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return true;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    char *d = mqp__realloc(b->data, cap);
    if (!d) {
        b->failed = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

void mqp__buf_append(mqp__buf *b, const void *p, size_t n)
{
    if (!mqp__buf_reserve(b, n)) {
        return;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void mqp__buf_puts(mqp__buf *b, const char *s)
{
    mqp__buf_append(b, s, strlen(s));
}

void mqp__buf_putc(mqp__buf *b, char c)
{
    mqp__buf_append(b, &c, 1);
}

void mqp__buf_printf(mqp__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[128];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        mqp__buf_append(b, small, (size_t)n);
        return;
    }
    if (!mqp__buf_reserve(b, (size_t)n)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void mqp__buf_json_string(mqp__buf *b, const char *s, size_t n)
{
    /* Escaped text is at most 6 bytes per byte: reserve that, then escape in place. */
    if (n > (SIZE_MAX - 2) / 6 || !mqp__buf_reserve(b, 6 * n + 2)) {
        b->failed = true;
        return;
    }
    b->data[b->len++] = '"';
    b->len += mqpx_json_escape(b->data + b->len, 6 * n, s, n);
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
}

char *mqp__buf_take(mqp__buf *b, size_t *len)
{
    if (b->failed || !mqp__buf_reserve(b, 0)) {
        mqp__buf_free(b);
        return NULL;
    }
    char *d = b->data;
    if (len) {
        *len = b->len;
    }
    mqp__buf_init(b);
    return d;
}
