/* Broker lists (url.h): several URLs, comma-separated, that a client tries in turn. */
#define _POSIX_C_SOURCE 200809L
#include "mqplane/url.h"

#include "alloc.h"
#include "fail.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define list_fail(err, errlen, ...) mqp__fail(err, errlen, MQP_ERR_URL, "broker list: " __VA_ARGS__)

/* Whether s starts a URL: a scheme ("[a-z][a-z0-9+.-]*") and "://". */
static bool starts_url(const char *s)
{
    if (!isalpha((unsigned char)*s)) {
        return false;
    }
    while (isalnum((unsigned char)*s) || *s == '+' || *s == '.' || *s == '-') {
        s++;
    }
    return strncmp(s, "://", 3) == 0;
}

/* The end of the URL that starts at s: the next comma that a URL follows, or the end. */
static const char *url_end(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == ',') {
            const char *q = p + 1;
            while (*q == ' ') {
                q++;
            }
            if (starts_url(q) || !*q || *q == ',') {
                return p;
            }
        }
    }
    return s + strlen(s);
}

static void clear_all(mqp_url *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mqp_url_clear(&u[i]);
    }
}

/* What a later URL may not change: the first's scheme, client id, keepalive and protocol. */
static mqp_err agrees(const mqp_url *first, const mqp_url *u, size_t i, size_t n, char *err,
                      size_t errlen)
{
    static const char *const schemes[] = {"mqtt://", "mqtts://", "memory://"};
    if (first->scheme == MQP_SCHEME_MEMORY || u->scheme == MQP_SCHEME_MEMORY) {
        return list_fail(err, errlen, "memory:// cannot be one of several brokers");
    }
    if (u->scheme != first->scheme) {
        return list_fail(err, errlen,
                         "broker %zu of %zu is %s but the first is %s: a list's "
                         "brokers share their scheme (and so their TLS settings)",
                         i + 1, n, schemes[u->scheme], schemes[first->scheme]);
    }
    bool id_differs = u->client_id && (!first->client_id || strcmp(u->client_id, first->client_id));
    if (id_differs || (u->keepalive && u->keepalive != first->keepalive) ||
        (u->protocol != MQP_PROTOCOL_AUTO && u->protocol != first->protocol)) {
        return list_fail(err, errlen,
                         "broker %zu of %zu sets %s unlike the first: the first "
                         "URL's client_id, keepalive and protocol apply to the whole list",
                         i + 1, n,
                         id_differs     ? "client_id"
                         : u->keepalive ? "keepalive"
                                        : "protocol");
    }
    return MQP_OK;
}

typedef mqp_err (*one_url)(const char *text, mqp_url *out, char *err, size_t errlen);

static mqp_err take_list(const char *text, one_url take, mqp_url *out, size_t cap, size_t *count,
                         char *err, size_t errlen)
{
    if (err && errlen) {
        err[0] = '\0';
    }
    if (!text || !out || !count || !cap) {
        return MQP_ERR_INVALID;
    }
    mqp_url got[MQP_URL_LIST_MAX];
    size_t n = 0, total = 0;
    bool several = *url_end(text) != '\0';
    for (const char *p = text; *p == ' ' ? (p++, true) : *p;) {
        const char *end = url_end(p);
        total++;
        if (end == p) {
            clear_all(got, n);
            return list_fail(err, errlen, "an empty URL at place %zu of '%.60s'", total, text);
        }
        if (n == MQP_URL_LIST_MAX || n == cap) {
            clear_all(got, n);
            return list_fail(err, errlen, "more than %zu brokers",
                             cap < MQP_URL_LIST_MAX ? cap : (size_t)MQP_URL_LIST_MAX);
        }
        size_t len = (size_t)(end - p);
        while (len && p[len - 1] == ' ') {
            len--;
        }
        char *one = mqp__malloc(len + 1);
        if (!one) {
            clear_all(got, n);
            return MQP_ERR_NOMEM;
        }
        memcpy(one, p, len);
        one[len] = '\0';
        char why[MQP_URL_ERRLEN];
        mqp_err rc = take(one, &got[n], why, sizeof why);
        mqp__free(one);
        if (rc != MQP_OK) {
            clear_all(got, n);
            if (rc == MQP_ERR_URL && several) {
                return list_fail(err, errlen, "broker %zu: %s", total, why);
            }
            if (err && errlen) {
                snprintf(err, errlen, "%s", why);
            }
            return rc;
        }
        n++;
        p = *end ? end + 1 : end;
        if (*end && !*p) {
            clear_all(got, n);
            return list_fail(err, errlen, "an empty URL after the last comma of '%.60s'", text);
        }
    }
    if (n == 0) {
        return list_fail(err, errlen, "no URL in '%s'", text);
    }
    for (size_t i = 1; i < n; i++) {
        mqp_err rc = agrees(&got[0], &got[i], i, n, err, errlen);
        if (rc != MQP_OK) {
            clear_all(got, n);
            return rc;
        }
    }
    memcpy(out, got, n * sizeof *got);
    *count = n;
    return MQP_OK;
}

mqp_err mqp_url_list_parse(const char *text, mqp_url *out, size_t cap, size_t *count, char *err,
                           size_t errlen)
{
    return take_list(text, mqp_url_parse, out, cap, count, err, errlen);
}

mqp_err mqp_url_list_resolve(const char *text, mqp_url *out, size_t cap, size_t *count, char *err,
                             size_t errlen)
{
    const char *list = text ? text : getenv("MQTT_URL");
    if (!list || !*list || !strchr(list, ',')) {
        /* One URL, or none: mqp_url_resolve() says where it came from. */
        if (!out || !count || !cap) {
            return MQP_ERR_INVALID;
        }
        mqp_err rc = mqp_url_resolve(text, &out[0], err, errlen);
        if (rc == MQP_OK) {
            *count = 1;
        }
        return rc;
    }
    mqp_err rc = take_list(list, mqp_url_resolve, out, cap, count, err, errlen);
    if (rc == MQP_ERR_URL && !text && err && errlen) {
        size_t used = strlen(err);
        snprintf(err + used, errlen - used, " (from MQTT_URL)");
    }
    return rc;
}

size_t mqp_url_list_redacted(const mqp_url *urls, size_t n, char *buf, size_t len)
{
    size_t used = 0;
    if (buf && len) {
        buf[0] = '\0';
    }
    for (size_t i = 0; urls && i < n; i++) {
        char one[300];
        mqp_url_redacted(&urls[i], one, sizeof one);
        int w = snprintf(buf && used < len ? buf + used : NULL, buf && used < len ? len - used : 0,
                         "%s%s", i ? "," : "", one);
        used += w > 0 ? (size_t)w : 0;
    }
    return used;
}
