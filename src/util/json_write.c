#include "json_write.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

size_t mqpx_json_escape(char *dst, size_t cap, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t k = 0;
        if (c >= 0x20 && c != '"' && c != '\\') {
            if (out < cap) {
                dst[out] = (char)c;
            }
            out++;
            continue;
        }
        esc[k++] = '\\';
        switch (c) {
        case '"':
        case '\\':
            esc[k++] = (char)c;
            break;
        case '\n':
            esc[k++] = 'n';
            break;
        case '\r':
            esc[k++] = 'r';
            break;
        case '\t':
            esc[k++] = 't';
            break;
        case '\b':
            esc[k++] = 'b';
            break;
        case '\f':
            esc[k++] = 'f';
            break;
        default:
            esc[k++] = 'u';
            esc[k++] = '0';
            esc[k++] = '0';
            esc[k++] = hex[c >> 4];
            esc[k++] = hex[c & 15];
        }
        for (size_t j = 0; j < k; j++, out++) {
            if (out < cap) {
                dst[out] = esc[j];
            }
        }
    }
    return out;
}

void mqpx_jw_init(mqpx_jw *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    w->failed = cap == 0;
    if (cap) {
        buf[0] = '\0';
    }
}

static void put(mqpx_jw *w, const char *s, size_t n)
{
    if (w->failed) {
        return;
    }
    if (w->len + n + 1 > w->cap) { /* Room for the NUL too. */
        w->failed = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* Before any value: the comma that separates it from the previous item, and the check that a
 * value is allowed here (after a key in an object, anywhere in an array, once at top level). */
static void before_value(mqpx_jw *w)
{
    if (w->failed) {
        return;
    }
    if (w->depth == 0) {
        if (w->len) {
            w->failed = true; /* A second top-level value. */
        }
        return;
    }
    unsigned d = w->depth - 1;
    if (w->in_object[d]) {
        if (!w->want_value) {
            w->failed = true; /* A value where a key belongs. */
        }
        w->want_value = false;
        return;
    }
    if (w->has_items[d]) {
        put(w, ",", 1);
    }
    w->has_items[d] = true;
}

static void open_container(mqpx_jw *w, bool object)
{
    before_value(w);
    if (w->failed || w->depth == MQPX_JW_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    put(w, object ? "{" : "[", 1);
    w->in_object[w->depth] = object;
    w->has_items[w->depth] = false;
    w->depth++;
}

void mqpx_jw_object(mqpx_jw *w)
{
    open_container(w, true);
}

void mqpx_jw_array(mqpx_jw *w)
{
    open_container(w, false);
}

void mqpx_jw_end(mqpx_jw *w)
{
    if (w->failed || w->depth == 0 || w->want_value) {
        w->failed = true;
        return;
    }
    w->depth--;
    put(w, w->in_object[w->depth] ? "}" : "]", 1);
}

static void quoted(mqpx_jw *w, const char *s, size_t n)
{
    put(w, "\"", 1);
    if (w->failed) {
        return;
    }
    size_t room = w->cap - w->len - 1;
    size_t need = mqpx_json_escape(w->buf + w->len, room, s, n);
    if (need > room) {
        w->buf[w->len] = '\0';
        w->failed = true;
        return;
    }
    w->len += need;
    w->buf[w->len] = '\0';
    put(w, "\"", 1);
}

void mqpx_jw_key(mqpx_jw *w, const char *key)
{
    if (w->failed || w->depth == 0 || !w->in_object[w->depth - 1] || w->want_value || !key) {
        w->failed = true;
        return;
    }
    unsigned d = w->depth - 1;
    if (w->has_items[d]) {
        put(w, ",", 1);
    }
    w->has_items[d] = true;
    quoted(w, key, strlen(key));
    put(w, ":", 1);
    w->want_value = true;
}

void mqpx_jw_stringn(mqpx_jw *w, const char *s, size_t n)
{
    before_value(w);
    if (s) {
        quoted(w, s, n);
    } else {
        put(w, "null", 4);
    }
}

void mqpx_jw_string(mqpx_jw *w, const char *s)
{
    mqpx_jw_stringn(w, s, s ? strlen(s) : 0);
}

static void formatted(mqpx_jw *w, const char *text, int n)
{
    if (n < 0) {
        w->failed = true;
        return;
    }
    put(w, text, (size_t)n);
}

void mqpx_jw_int(mqpx_jw *w, long long v)
{
    char t[32];
    before_value(w);
    formatted(w, t, snprintf(t, sizeof t, "%lld", v));
}

void mqpx_jw_uint(mqpx_jw *w, unsigned long long v)
{
    char t[32];
    before_value(w);
    formatted(w, t, snprintf(t, sizeof t, "%llu", v));
}

void mqpx_jw_double(mqpx_jw *w, double v, int decimals)
{
    char t[64];
    before_value(w);
    if (!isfinite(v)) {
        put(w, "null", 4); /* JSON has no NaN or infinity. */
        return;
    }
    formatted(w, t, snprintf(t, sizeof t, "%.*f", decimals < 0 ? 0 : decimals, v));
}

void mqpx_jw_bool(mqpx_jw *w, bool v)
{
    before_value(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void mqpx_jw_null(mqpx_jw *w)
{
    before_value(w);
    put(w, "null", 4);
}

void mqpx_jw_raw(mqpx_jw *w, const char *json)
{
    before_value(w);
    put(w, json, strlen(json));
}

bool mqpx_jw_done(const mqpx_jw *w)
{
    return !w->failed && w->depth == 0 && w->len > 0;
}
