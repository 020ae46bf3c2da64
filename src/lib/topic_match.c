/* Topic names and filters, following MQTT 5 section 4.7 (identical in 3.1.1 section 4.7). */
#include "mqplane/topic.h"

#include <string.h>

bool mqp_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c == 0) {
            return false;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp;
        if ((c & 0xE0) == 0xC0) {
            n = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n > len) {
            return false;
        }
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        static const unsigned min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += n;
    }
    return true;
}

static bool common_checks(const char *s, size_t len)
{
    return len > 0 && len <= MQP_TOPIC_MAX && mqp_utf8_valid(s, len);
}

mqp_err mqp_topic_validate_name(const char *topic)
{
    if (!topic) {
        return MQP_ERR_INVALID;
    }
    size_t len = strlen(topic);
    if (!common_checks(topic, len) || strpbrk(topic, "+#")) {
        return MQP_ERR_TOPIC;
    }
    return MQP_OK;
}

/* Checks the wildcard placement of a plain (non-shared) filter. */
static bool filter_levels_ok(const char *f)
{
    for (const char *p = f; *p; p++) {
        if (*p != '+' && *p != '#') {
            continue;
        }
        bool starts_level = p == f || p[-1] == '/';
        if (!starts_level) {
            return false;
        }
        if (*p == '+' && p[1] != '\0' && p[1] != '/') {
            return false;
        }
        if (*p == '#' && p[1] != '\0') {
            return false;
        }
    }
    return true;
}

#define SHARE_PREFIX     "$share/"
#define SHARE_PREFIX_LEN (sizeof SHARE_PREFIX - 1)

/* For "$share/GROUP/FILTER" returns FILTER; for other filters returns the filter itself;
 * NULL for a malformed shared subscription. */
static const char *unshare(const char *filter)
{
    if (strncmp(filter, SHARE_PREFIX, SHARE_PREFIX_LEN) != 0) {
        return filter;
    }
    const char *group = filter + SHARE_PREFIX_LEN;
    size_t glen = strcspn(group, "/");
    if (glen == 0 || group[glen] != '/' || memchr(group, '+', glen) || memchr(group, '#', glen)) {
        return NULL;
    }
    return group + glen + 1;
}

mqp_err mqp_topic_validate_filter(const char *filter)
{
    if (!filter) {
        return MQP_ERR_INVALID;
    }
    if (!common_checks(filter, strlen(filter))) {
        return MQP_ERR_TOPIC;
    }
    const char *f = unshare(filter);
    if (!f || !*f || !filter_levels_ok(f)) {
        return MQP_ERR_TOPIC;
    }
    return MQP_OK;
}

bool mqp_topic_matches(const char *filter, const char *topic)
{
    if (!filter || !topic) {
        return false;
    }
    const char *f = unshare(filter);
    if (!f) {
        return false;
    }
    /* Wildcards at the first level never match the broker's $-topics ($SYS/...). */
    if (topic[0] == '$' && (f[0] == '+' || f[0] == '#')) {
        return false;
    }
    const char *t = topic;
    for (;;) {
        if (f[0] == '#' && f[1] == '\0') {
            return true;
        }
        if (f[0] == '+' && (f[1] == '/' || f[1] == '\0')) {
            t += strcspn(t, "/"); /* Consume one level, possibly empty. */
            f++;
        } else {
            size_t fl = strcspn(f, "/");
            size_t tl = strcspn(t, "/");
            if (fl != tl || memcmp(f, t, fl) != 0) {
                return false;
            }
            f += fl;
            t += tl;
        }
        /* Both at a separator or an end. */
        if (*f == '\0') {
            return *t == '\0';
        }
        /* f is at '/'. "a/#" also matches "a": the parent level of a multi-level wildcard. */
        if (*t == '\0') {
            return f[1] == '#' && f[2] == '\0';
        }
        f++;
        t++;
    }
}
