/* Broker URL parsing. Errors name the part that is wrong and never echo the password. */
#define _POSIX_C_SOURCE 200809L
#include "mqplane/url.h"

#include "mqplane/defaults.h"

#include "alloc.h"
#include "buf.h"
#include "fail.h"
#include "url_format.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEEPALIVE_MIN 5 /* libmosquitto refuses shorter keepalives. */
#define KEEPALIVE_MAX 65535

/* Every message of a bad URL starts the same way; the formats are literals, so the prefix joins
 * them at compile time. */
#define fail(err, errlen, rc, ...) mqp__fail(err, errlen, rc, "invalid broker URL: " __VA_ARGS__)

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Percent-decodes [s, s+n) into a new string; NULL with *bad set on a malformed escape. */
static char *pct_decode(const char *s, size_t n, bool *bad)
{
    char *out = mqp__malloc(n + 1);
    if (!out) {
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        /* An escape needs two hex digits; %00 is refused because strings are C strings. */
        int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            mqp__free(out);
            *bad = true;
            return NULL;
        }
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = '\0';
    return out;
}

void mqp__pct_encode(mqp__buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            mqp__buf_putc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            mqp__buf_append(b, e, 3);
        }
    }
}

static bool valid_hostname(const char *s, size_t n)
{
    if (n == 0 || n > 253) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '-' || c == '.' || c == '_')) {
            return false;
        }
    }
    return true;
}

static bool valid_ipv6(const char *s, size_t n)
{
    if (n < 2) {
        return false;
    }
    bool colon = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') { /* Zone id: anything printable up to the end. */
            return colon && i + 1 < n;
        }
        if (c == ':') {
            colon = true;
        } else if (!(isxdigit(c) || c == '.')) {
            return false;
        }
    }
    return colon;
}

/* Parses a decimal integer in [lo, hi] from exactly [s, s+n). */
static bool parse_int(const char *s, size_t n, long lo, long hi, long *out)
{
    if (n == 0 || n > 9) {
        return false;
    }
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

static mqp_err parse_query(const char *q, mqp_url *u, char *err, size_t errlen)
{
    while (*q) {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        const char *v = eq ? eq + 1 : q + len;
        size_t vlen = eq ? len - klen - 1 : 0;
        if (klen == 0) {
            return fail(err, errlen, MQP_ERR_URL, "empty query parameter name");
        }
        bool bad = false;
        char *val = pct_decode(v, vlen, &bad);
        if (!val) {
            return bad ? fail(err, errlen, MQP_ERR_URL,
                              "bad percent-escape in query parameter "
                              "'%.*s'",
                              (int)klen, q)
                       : MQP_ERR_NOMEM;
        }
        mqp_err rc = MQP_OK;
        long n;
        if (klen == 9 && strncmp(q, "client_id", 9) == 0) {
            if (!*val || strlen(val) > 65535) {
                rc = fail(err, errlen, MQP_ERR_URL, "client_id must be 1 to 65535 bytes");
            } else {
                mqp__free(u->client_id);
                u->client_id = val;
                val = NULL;
            }
        } else if (klen == 9 && strncmp(q, "keepalive", 9) == 0) {
            if (!parse_int(val, strlen(val), KEEPALIVE_MIN, KEEPALIVE_MAX, &n)) {
                rc = fail(err, errlen, MQP_ERR_URL,
                          "keepalive '%s' is not a number of seconds "
                          "in %d..%d",
                          val, KEEPALIVE_MIN, KEEPALIVE_MAX);
            } else {
                u->keepalive = (int)n;
            }
        } else if (klen == 8 && strncmp(q, "protocol", 8) == 0) {
            if (strcmp(val, "5") == 0) {
                u->protocol = MQP_PROTOCOL_V5;
            } else if (strcmp(val, "311") == 0 || strcmp(val, "3.1.1") == 0) {
                u->protocol = MQP_PROTOCOL_V311;
            } else if (strcmp(val, "auto") == 0) {
                u->protocol = MQP_PROTOCOL_AUTO;
            } else {
                rc =
                    fail(err, errlen, MQP_ERR_URL, "protocol '%s' is not one of 5, 311, auto", val);
            }
        } else {
            rc = fail(err, errlen, MQP_ERR_URL,
                      "unknown query parameter '%.*s' (known: "
                      "client_id, keepalive, protocol)",
                      (int)klen, q);
        }
        mqp__free(val);
        if (rc != MQP_OK) {
            return rc;
        }
        q += len;
        if (*q == '&') {
            q++;
        }
    }
    return MQP_OK;
}

static mqp_err parse_userinfo(const char *s, size_t n, mqp_url *u, char *err, size_t errlen)
{
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t)(colon - s) : n;
    bool bad = false;
    u->username = pct_decode(s, ulen, &bad);
    if (!u->username) {
        return bad ? fail(err, errlen, MQP_ERR_URL, "bad percent-escape in the username")
                   : MQP_ERR_NOMEM;
    }
    if (ulen == 0) {
        return fail(err, errlen, MQP_ERR_URL, "empty username before '@'");
    }
    if (colon) {
        u->password = pct_decode(colon + 1, n - ulen - 1, &bad);
        if (!u->password) {
            return bad ? fail(err, errlen, MQP_ERR_URL, "bad percent-escape in the password")
                       : MQP_ERR_NOMEM;
        }
    }
    return MQP_OK;
}

static mqp_err parse_hostport(const char *s, size_t n, mqp_url *u, char *err, size_t errlen)
{
    const char *host = s;
    size_t hlen;
    const char *rest;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close) {
            return fail(err, errlen, MQP_ERR_URL, "IPv6 address is missing its closing ']'");
        }
        host = s + 1;
        hlen = (size_t)(close - host);
        if (!valid_ipv6(host, hlen)) {
            return fail(err, errlen, MQP_ERR_URL, "'%.*s' is not an IPv6 address", (int)hlen, host);
        }
        rest = close + 1;
    } else {
        const char *colon = memchr(s, ':', n);
        hlen = colon ? (size_t)(colon - s) : n;
        if (hlen == 0) {
            return fail(err, errlen, MQP_ERR_URL, "missing host");
        }
        if (!valid_hostname(host, hlen)) {
            return fail(err, errlen, MQP_ERR_URL,
                        "host '%.*s' contains characters not allowed "
                        "in a host name",
                        (int)hlen, host);
        }
        rest = s + hlen;
    }
    size_t rlen = n - (size_t)(rest - s);
    if (rlen > 0) {
        if (rest[0] != ':') {
            return fail(err, errlen, MQP_ERR_URL, "unexpected '%.*s' after the host", (int)rlen,
                        rest);
        }
        long port;
        if (!parse_int(rest + 1, rlen - 1, 1, 65535, &port)) {
            return fail(err, errlen, MQP_ERR_URL, "port '%.*s' is not a number in 1..65535",
                        (int)(rlen - 1), rest + 1);
        }
        u->port = (int)port;
    }
    u->host = mqp__strndup(host, hlen);
    return u->host ? MQP_OK : MQP_ERR_NOMEM;
}

static mqp_err parse_memory_name(const char *s, size_t n, mqp_url *u, char *err, size_t errlen)
{
    if (n == 0) {
        return fail(err, errlen, MQP_ERR_URL, "memory:// needs a broker name, e.g. memory://test");
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '-' || c == '.' || c == '_')) {
            return fail(err, errlen, MQP_ERR_URL,
                        "memory broker name '%.*s' may only hold "
                        "letters, digits, '-', '.' and '_'",
                        (int)n, s);
        }
    }
    u->host = mqp__strndup(s, n);
    return u->host ? MQP_OK : MQP_ERR_NOMEM;
}

static mqp_err parse_into(const char *text, mqp_url *u, char *err, size_t errlen)
{
    const char *sep = strstr(text, "://");
    if (!sep) {
        return fail(err, errlen, MQP_ERR_URL,
                    "missing scheme (expected mqtt://, mqtts:// or "
                    "memory://)");
    }
    size_t slen = (size_t)(sep - text);
    if (slen == 4 && strncasecmp(text, "mqtt", 4) == 0) {
        u->scheme = MQP_SCHEME_MQTT;
        u->port = MQP_DEFAULT_PORT;
    } else if (slen == 5 && strncasecmp(text, "mqtts", 5) == 0) {
        u->scheme = MQP_SCHEME_MQTTS;
        u->port = MQP_DEFAULT_TLS_PORT;
    } else if (slen == 6 && strncasecmp(text, "memory", 6) == 0) {
        u->scheme = MQP_SCHEME_MEMORY;
        u->port = 0;
    } else {
        return fail(err, errlen, MQP_ERR_URL,
                    "unknown scheme '%.*s' (expected mqtt, mqtts or "
                    "memory)",
                    (int)slen, text);
    }
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *after = auth + alen;
    if (*after == '#') {
        return fail(err, errlen, MQP_ERR_URL, "fragments ('#...') are not allowed");
    }
    if (*after == '/') {
        after++; /* A single trailing '/' is harmless; anything more is a path. */
        if (*after && *after != '?') {
            return fail(err, errlen, MQP_ERR_URL,
                        "unexpected path '/%.*s' (a broker URL has "
                        "no path)",
                        (int)strcspn(after, "?"), after);
        }
    }
    mqp_err rc;
    const char *at = NULL;
    for (const char *p = auth; p < auth + alen; p++) {
        if (*p == '@') {
            at = p; /* The last '@' ends the user info, so a raw '@' in a password works. */
        }
    }
    const char *hp = auth;
    if (at) {
        if (u->scheme == MQP_SCHEME_MEMORY) {
            return fail(err, errlen, MQP_ERR_URL, "memory:// takes no user name or password");
        }
        rc = parse_userinfo(auth, (size_t)(at - auth), u, err, errlen);
        if (rc != MQP_OK) {
            return rc;
        }
        hp = at + 1;
    }
    size_t hplen = alen - (size_t)(hp - auth);
    rc = u->scheme == MQP_SCHEME_MEMORY ? parse_memory_name(hp, hplen, u, err, errlen)
                                        : parse_hostport(hp, hplen, u, err, errlen);
    if (rc != MQP_OK) {
        return rc;
    }
    if (*after == '?') {
        return parse_query(after + 1, u, err, errlen);
    }
    return MQP_OK;
}

mqp_err mqp_url_parse(const char *text, mqp_url *out, char *err, size_t errlen)
{
    if (err && errlen) {
        err[0] = '\0';
    }
    if (!text || !out) {
        return MQP_ERR_INVALID;
    }
    mqp_url u = {0};
    mqp_err rc = parse_into(text, &u, err, errlen);
    if (rc != MQP_OK) {
        mqp_url_clear(&u);
        return rc;
    }
    *out = u;
    return MQP_OK;
}

static mqp_err fill_credential(char **field, const char *var)
{
    const char *v = getenv(var);
    if (*field || !v || !*v) {
        return MQP_OK;
    }
    *field = mqp__strdup(v);
    return *field ? MQP_OK : MQP_ERR_NOMEM;
}

mqp_err mqp_url_resolve(const char *text, mqp_url *out, char *err, size_t errlen)
{
    if (!out) {
        return MQP_ERR_INVALID;
    }
    char built[600];
    const char *origin = "the given URL";
    if (!text) {
        text = getenv("MQTT_URL");
        origin = "MQTT_URL";
    }
    if (!text || !*text) {
        const char *host = getenv("MQTT_BROKER_HOST");
        const char *port = getenv("MQTT_BROKER_PORT");
        host = host && *host ? host : MQP_DEFAULT_HOST;
        char default_port[8];
        snprintf(default_port, sizeof default_port, "%d", MQP_DEFAULT_PORT);
        port = port && *port ? port : default_port;
        bool v6 = strchr(host, ':') != NULL && host[0] != '[';
        int n = snprintf(built, sizeof built, "mqtt://%s%s%s:%s", v6 ? "[" : "", host,
                         v6 ? "]" : "", port);
        if (n < 0 || (size_t)n >= sizeof built) {
            return fail(err, errlen, MQP_ERR_URL, "MQTT_BROKER_HOST is too long");
        }
        text = built;
        origin = "MQTT_BROKER_HOST/MQTT_BROKER_PORT";
    }
    mqp_url u;
    mqp_err rc = mqp_url_parse(text, &u, err, errlen);
    if (rc != MQP_OK) {
        if (rc == MQP_ERR_URL && err && errlen) {
            size_t used = strlen(err);
            snprintf(err + used, errlen - used, " (from %s)", origin);
        }
        return rc;
    }
    if (u.scheme != MQP_SCHEME_MEMORY) {
        rc = fill_credential(&u.username, "MQTT_USERNAME");
        if (rc == MQP_OK && u.username) {
            rc = fill_credential(&u.password, "MQTT_PASSWORD");
        }
    }
    if (rc != MQP_OK) {
        mqp_url_clear(&u);
        return rc;
    }
    *out = u;
    return MQP_OK;
}

size_t mqp_url_redacted(const mqp_url *url, char *buf, size_t len)
{
    static const char *const schemes[] = {"mqtt", "mqtts", "memory"};
    if (!url) {
        if (buf && len) {
            buf[0] = '\0';
        }
        return 0;
    }
    const char *host = url->host ? url->host : "";
    bool v6 = strchr(host, ':') != NULL;
    char port[16] = "";
    if (url->scheme != MQP_SCHEME_MEMORY) {
        snprintf(port, sizeof port, ":%d", url->port);
    }
    int n = snprintf(buf, len, "%s://%s%s%s%s%s%s%s", schemes[url->scheme],
                     url->username ? url->username : "", url->password ? ":***" : "",
                     url->username ? "@" : "", v6 ? "[" : "", host, v6 ? "]" : "", port);
    return n < 0 ? 0 : (size_t)n;
}

void mqp_url_clear(mqp_url *url)
{
    if (!url) {
        return;
    }
    mqp__free(url->host);
    mqp__free(url->username);
    if (url->password) {
        /* Scrub the secret before the memory goes back to the allocator. */
        volatile char *p = url->password;
        while (*p) {
            *p++ = '\0';
        }
    }
    mqp__free(url->password);
    mqp__free(url->client_id);
    memset(url, 0, sizeof *url);
}

char *mqp__url_format(const mqp_url *u)
{
    static const char *const schemes[] = {"mqtt", "mqtts", "memory"};
    static const char *const protocols[] = {"auto", "5", "311"};
    mqp__buf b;
    mqp__buf_init(&b);
    mqp__buf_printf(&b, "%s://", schemes[u->scheme]);
    if (u->username) {
        mqp__pct_encode(&b, u->username);
        if (u->password) {
            mqp__buf_putc(&b, ':');
            mqp__pct_encode(&b, u->password);
        }
        mqp__buf_putc(&b, '@');
    }
    const char *host = u->host ? u->host : "";
    bool v6 = strchr(host, ':') != NULL;
    mqp__buf_printf(&b, "%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "");
    if (u->scheme != MQP_SCHEME_MEMORY) {
        mqp__buf_printf(&b, ":%d", u->port);
    }
    char sep = '?';
    if (u->client_id || u->keepalive || u->protocol != MQP_PROTOCOL_AUTO) {
        mqp__buf_putc(&b, '/');
    }
    if (u->client_id) {
        mqp__buf_printf(&b, "%cclient_id=", sep);
        mqp__pct_encode(&b, u->client_id);
        sep = '&';
    }
    if (u->keepalive) {
        mqp__buf_printf(&b, "%ckeepalive=%d", sep, u->keepalive);
        sep = '&';
    }
    if (u->protocol != MQP_PROTOCOL_AUTO) {
        mqp__buf_printf(&b, "%cprotocol=%s", sep, protocols[u->protocol]);
    }
    return mqp__buf_take(&b, NULL);
}
