/* Writing JSON: one escaping routine for every string the project puts in a JSON text, and a
 * small writer that builds a JSON value into a caller's buffer with the commas, quotes and
 * escapes done for it. Part of the helpers layer (src/util): shared by the library, the node,
 * the command line and the tests, and never part of the ABI. */
#ifndef MQPX_JSON_WRITE_H
#define MQPX_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>

/* Escapes s[0..n) for the inside of a JSON string literal (no quotes added): `"` and `\` get a
 * backslash, control characters their short form or \u00XX, every other byte (UTF-8 included)
 * is copied. Writes at most cap bytes to dst and returns the length of the whole escaped
 * text, so a return value over cap means dst was too small (as snprintf, without the NUL).
 * At most 6 * n bytes are ever needed. */
size_t mqpx_json_escape(char *dst, size_t cap, const char *s, size_t n);

/* Containers nest at most this deep in one writer. */
#define MQPX_JW_MAX_DEPTH 32

/* A writer into a fixed buffer. It never writes past cap; once the text does not fit, or a
 * call is out of place (a value where a key belongs, an end without a container), the writer
 * is marked failed and later calls do nothing. */
typedef struct mqpx_jw {
    char *buf;
    size_t cap; /* Bytes of buf, the terminating NUL included. */
    size_t len;
    bool failed;
    unsigned depth;
    bool in_object[MQPX_JW_MAX_DEPTH]; /* What each open container is. */
    bool has_items[MQPX_JW_MAX_DEPTH]; /* Whether it holds something yet (a comma is due). */
    bool want_value;                   /* A key was written: its value comes next. */
} mqpx_jw;

void mqpx_jw_init(mqpx_jw *w, char *buf, size_t cap);
void mqpx_jw_object(mqpx_jw *w); /* { */
void mqpx_jw_array(mqpx_jw *w);  /* [ */
void mqpx_jw_end(mqpx_jw *w);    /* } or ], whichever is open */
void mqpx_jw_key(mqpx_jw *w, const char *key);
void mqpx_jw_string(mqpx_jw *w, const char *s); /* NULL writes null */
void mqpx_jw_stringn(mqpx_jw *w, const char *s, size_t n);
void mqpx_jw_int(mqpx_jw *w, long long v);
void mqpx_jw_uint(mqpx_jw *w, unsigned long long v);
/* With `decimals` digits after the point; a value that is not finite is written as null. */
void mqpx_jw_double(mqpx_jw *w, double v, int decimals);
void mqpx_jw_bool(mqpx_jw *w, bool v);
void mqpx_jw_null(mqpx_jw *w);
/* Text that already is one JSON value (the caller vouches for it). */
void mqpx_jw_raw(mqpx_jw *w, const char *json);
/* True when the text is complete (every container closed) and fitted; buf is then a
 * NUL-terminated JSON text of len bytes. */
bool mqpx_jw_done(const mqpx_jw *w);

#endif
