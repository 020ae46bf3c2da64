/* A growable byte buffer for building strings and payloads without fixed limits. */
#ifndef MQP_BUF_H
#define MQP_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mqp__buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed; /* Sticky: set by the first failed allocation; later appends are no-ops. */
} mqp__buf;

void mqp__buf_init(mqp__buf *b);
void mqp__buf_free(mqp__buf *b);
bool mqp__buf_reserve(mqp__buf *b, size_t extra);
void mqp__buf_append(mqp__buf *b, const void *p, size_t n);
void mqp__buf_puts(mqp__buf *b, const char *s);
void mqp__buf_putc(mqp__buf *b, char c);
void mqp__buf_printf(mqp__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, with quotes and escapes. */
void mqp__buf_json_string(mqp__buf *b, const char *s, size_t n);
/* Hands the NUL-terminated contents to the caller (free with mqp__free); NULL if failed. */
char *mqp__buf_take(mqp__buf *b, size_t *len);

#endif
