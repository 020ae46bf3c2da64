#define _GNU_SOURCE
#include "source_spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Takes the value of query parameter key out of url (in place); NULL when absent. The rest of
 * the query is left for the URL's own use (a camera's path may have one). */
static char *take_param(char *url, const char *key, char *val, size_t len)
{
    char *q = strchr(url, '?');
    size_t klen = strlen(key);
    for (char *p = q; p && *p;) {
        char *item = p + 1;
        char *end = item + strcspn(item, "&");
        if (strncmp(item, key, klen) == 0 && item[klen] == '=') {
            snprintf(val, len, "%.*s", (int)(end - item - (long)klen - 1), item + klen + 1);
            /* Remove "?key=v" or "&key=v", keeping the separator of what follows. */
            if (*end == '&' && p == q) {
                memmove(item, end + 1, strlen(end + 1) + 1);
            } else {
                memmove(p, end, strlen(end) + 1);
            }
            return val;
        }
        p = *end ? end : NULL;
    }
    return NULL;
}

static mqp_err bool_param(char *url, const char *spec, const char *key, bool def, bool *out,
                          char *err, size_t errlen)
{
    char v[16];
    *out = def;
    if (!take_param(url, key, v, sizeof v)) {
        return MQP_OK;
    }
    if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
        snprintf(err, errlen, "source '%s': %s=%s: expected 0 or 1", spec, key, v);
        return MQP_ERR_INVALID;
    }
    *out = v[0] == '1';
    return MQP_OK;
}

/* The URL for messages: rtsp://user:***@host/path. */
static char *redacted(const char *url)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    const char *end = host + strcspn(host, "/?");
    const char *at = NULL;
    for (const char *p = host; p < end; p++) {
        at = *p == '@' ? p : at;
    }
    const char *colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
    char *out = malloc(strlen(url) + 8);
    if (out && colon) {
        sprintf(out, "%.*s:***%s", (int)(colon - url), url, at);
    } else if (out) {
        strcpy(out, url);
    }
    return out;
}

static mqp_err parse(av_spec *a, const char *spec, char *err, size_t errlen)
{
    if (strncmp(spec, "file:", 5) == 0) {
        a->kind = KIND_FILE;
        a->url = strdup(spec + 5);
    } else if (strncmp(spec, "v4l2:", 5) == 0) {
        a->kind = KIND_V4L2;
        a->url = strdup(spec + 5);
    } else {
        a->kind = KIND_RTSP;
        a->url = strdup(spec);
    }
    if (!a->url) {
        return MQP_ERR_NOMEM;
    }
    if (a->kind == KIND_FILE) {
        mqp_err rc = bool_param(a->url, spec, "loop", false, &a->loop, err, errlen);
        if (rc == MQP_OK) {
            rc = bool_param(a->url, spec, "realtime", true, &a->realtime, err, errlen);
        }
        if (rc == MQP_OK && access(a->url, R_OK) != 0) {
            snprintf(err, errlen, "source '%s': cannot read %s: %s", spec, a->url, strerror(errno));
            rc = MQP_ERR_INVALID;
        }
        return rc;
    }
    if (a->kind == KIND_V4L2) {
        struct stat st;
        if (stat(a->url, &st) != 0 || !S_ISCHR(st.st_mode)) {
            snprintf(err, errlen, "source '%s': %s is not a video device (%s)", spec, a->url,
                     stat(a->url, &st) != 0 ? strerror(errno) : "not a character device");
            return MQP_ERR_INVALID;
        }
        return MQP_OK;
    }
    char transport[16];
    snprintf(a->transport, sizeof a->transport, "tcp");
    if (take_param(a->url, "transport", transport, sizeof transport)) {
        if (strcmp(transport, "tcp") != 0 && strcmp(transport, "udp") != 0) {
            snprintf(err, errlen, "source '%s': transport=%s: expected tcp or udp", spec,
                     transport);
            return MQP_ERR_INVALID;
        }
        snprintf(a->transport, sizeof a->transport, "%s", transport);
    }
    const char *sep = strstr(a->url, "://");
    if (!sep) {
        snprintf(err, errlen, "source '%s': not a URL (rtsp://[user:pass@]host[:port]/path)", spec);
        return MQP_ERR_INVALID;
    }
    const char *host = sep + 3;
    size_t hlen = strcspn(host, "/?");
    const char *at = memchr(host, '@', hlen);
    if (at) {
        hlen -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    if (hlen == 0 || host[0] == ':') {
        snprintf(err, errlen,
                 "source '%s': no host in the URL (rtsp://[user:pass@]host[:port]/path)", spec);
        return MQP_ERR_INVALID;
    }
    return MQP_OK;
}

char *av_spec_description(const av_spec *s, const char *spec)
{
    return redacted(s->kind == KIND_FILE ? spec : s->url);
}

mqp_err av_spec_parse(av_spec *a, const char *spec, char *err, size_t errlen)
{
    *a = (av_spec){0};
    mqp_err rc = parse(a, spec, err, errlen);
    if (rc != MQP_OK) {
        av_spec_clear(a); /* Nothing to free after a failure. */
    }
    return rc;
}

void av_spec_clear(av_spec *s)
{
    free(s->url);
    s->url = NULL;
}
