/* Topic templates. A value is checked on its own, so the error can name its placeholder, and
 * the assembled result is checked again as a whole name or filter. */
#include "mqplane/topics.h"

#include "mqplane/topic.h"

#include "buf.h"
#include "fail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mqp_topic_var *find_var(const mqp_topic_var *vars, size_t n, const char *name,
                                     size_t nlen)
{
    for (size_t i = 0; i < n; i++) {
        if (vars[i].name && strlen(vars[i].name) == nlen && memcmp(vars[i].name, name, nlen) == 0) {
            return &vars[i];
        }
    }
    return NULL;
}

/* Checks one value; whole_level says whether the placeholder fills a level alone. */
static mqp_err check_value(const mqp_topic_var *v, bool whole_level, bool last_level,
                           mqp_topic_kind kind, char *err, size_t errlen)
{
    const char *s = v->value;
    size_t len = strlen(s);
    if (kind == MQP_TOPIC_FILTER && whole_level && strcmp(s, "+") == 0) {
        return MQP_OK;
    }
    if (kind == MQP_TOPIC_FILTER && whole_level && last_level && strcmp(s, "#") == 0) {
        return MQP_OK;
    }
    if (len == 0) {
        return mqp__fail(err, errlen, MQP_ERR_TOPIC, "placeholder {%s}: value is empty", v->name);
    }
    if (len > MQP_TOPIC_MAX) {
        return mqp__fail(err, errlen, MQP_ERR_TOPIC,
                         "placeholder {%s}: value is %zu bytes, more "
                         "than a topic can hold",
                         v->name, len);
    }
    if (!mqp_utf8_valid(s, len)) {
        return mqp__fail(err, errlen, MQP_ERR_TOPIC, "placeholder {%s}: value is not valid UTF-8",
                         v->name);
    }
    const char *bad = strpbrk(s, (v->flags & MQP_VAR_MULTILEVEL) ? "+#" : "/+#");
    if (bad) {
        return mqp__fail(
            err, errlen, MQP_ERR_TOPIC, "placeholder {%s}: value '%s' contains '%c'%s", v->name, s,
            *bad, *bad == '/' ? " (a value fills one level)" : " (wildcards are not values)");
    }
    if ((v->flags & MQP_VAR_MULTILEVEL) && (s[0] == '/' || s[len - 1] == '/' || strstr(s, "//"))) {
        return mqp__fail(err, errlen, MQP_ERR_TOPIC,
                         "placeholder {%s}: value '%s' has an empty "
                         "level",
                         v->name, s);
    }
    return MQP_OK;
}

/* Removes the separator that an omitted optional level leaves behind. */
static void drop_separator(mqp__buf *b, const char **p)
{
    if (**p == '/') {
        (*p)++;
    } else if (b->len > 0 && b->data[b->len - 1] == '/') {
        b->len--;
        b->data[b->len] = '\0';
    }
}

static mqp_err expand(const char *tmpl, const mqp_topic_var *vars, size_t nvars,
                      mqp_topic_kind kind, mqp__buf *b, char *err, size_t errlen)
{
    const char *p = tmpl;
    while (*p) {
        if (*p == '}') {
            return mqp__fail(err, errlen, MQP_ERR_INVALID, "template '%s': '}' without '{'", tmpl);
        }
        if (*p != '{') {
            if (*p == '+' || *p == '#') {
                return mqp__fail(err, errlen, MQP_ERR_INVALID,
                                 "template '%s': wildcards belong in "
                                 "values, not in the template text",
                                 tmpl);
            }
            mqp__buf_putc(b, *p++);
            continue;
        }
        const char *name = p + 1;
        const char *close = strchr(name, '}');
        if (!close) {
            return mqp__fail(err, errlen, MQP_ERR_INVALID, "template '%s': '{' without '}'", tmpl);
        }
        size_t nlen = (size_t)(close - name);
        if (nlen == 0 || memchr(name, '{', nlen) || memchr(name, '/', nlen)) {
            return mqp__fail(err, errlen, MQP_ERR_INVALID,
                             "template '%s': malformed placeholder "
                             "'{%.*s}'",
                             tmpl, (int)nlen, name);
        }
        const mqp_topic_var *v = find_var(vars, nvars, name, nlen);
        if (!v || !v->value) {
            return mqp__fail(err, errlen, MQP_ERR_INVALID,
                             "template '%s': no value for placeholder "
                             "{%.*s}",
                             tmpl, (int)nlen, name);
        }
        bool starts = p == tmpl || p[-1] == '/';
        bool ends = close[1] == '\0' || close[1] == '/';
        p = close + 1;
        if (v->value[0] == '\0' && (v->flags & MQP_VAR_OPTIONAL)) {
            if (!starts || !ends) {
                return mqp__fail(err, errlen, MQP_ERR_TOPIC,
                                 "placeholder {%s}: may be empty only "
                                 "when it fills a whole level",
                                 v->name);
            }
            drop_separator(b, &p);
            continue;
        }
        mqp_err rc = check_value(v, starts && ends, close[1] == '\0', kind, err, errlen);
        if (rc != MQP_OK) {
            return rc;
        }
        mqp__buf_puts(b, v->value);
    }
    return b->failed ? MQP_ERR_NOMEM : MQP_OK;
}

mqp_err mqp_topic_build(const char *tmpl, const mqp_topic_var *vars, size_t nvars,
                        mqp_topic_kind kind, char *out, size_t cap, char *err, size_t errlen)
{
    if (err && errlen) {
        err[0] = '\0';
    }
    if (!tmpl || (!vars && nvars) || !out || cap == 0) {
        return MQP_ERR_INVALID;
    }
    mqp__buf b;
    mqp__buf_init(&b);
    mqp_err rc = expand(tmpl, vars, nvars, kind, &b, err, errlen);
    if (rc == MQP_OK) {
        const char *res = b.data ? b.data : "";
        rc = kind == MQP_TOPIC_NAME ? mqp_topic_validate_name(res) : mqp_topic_validate_filter(res);
        if (rc != MQP_OK) {
            rc = mqp__fail(err, errlen, MQP_ERR_TOPIC,
                           "template '%s': the result is not a valid "
                           "topic %s%s: '%.80s'",
                           tmpl, kind == MQP_TOPIC_NAME ? "name" : "filter",
                           b.len > MQP_TOPIC_MAX ? " (longer than 65535 bytes)" : "", res);
        } else if (b.len >= cap) {
            rc = mqp__fail(err, errlen, MQP_ERR_TOO_LARGE,
                           "template '%s' gives %zu bytes; the buffer "
                           "holds %zu",
                           tmpl, b.len, cap - 1);
        } else {
            memcpy(out, res, b.len + 1);
        }
    }
    mqp__buf_free(&b);
    return rc;
}

static mqp_err set_field(char *dst, size_t cap, const char *arg, const char *env, const char *def,
                         bool multilevel, bool *was_set)
{
    const char *v = arg;
    if (!v) {
        v = getenv(env);
    }
    if (was_set) {
        *was_set = v != NULL;
    }
    if (!v) {
        v = def;
    }
    size_t len = strlen(v);
    if (len >= cap) {
        return MQP_ERR_TOPIC;
    }
    if (len > 0) {
        mqp_topic_var var = {"x", v, multilevel ? MQP_VAR_MULTILEVEL : 0};
        if (check_value(&var, true, false, MQP_TOPIC_NAME, NULL, 0) != MQP_OK) {
            return MQP_ERR_TOPIC;
        }
    } else if (multilevel) {
        return MQP_ERR_TOPIC; /* The base prefix is never empty. */
    }
    memcpy(dst, v, len + 1);
    return MQP_OK;
}

mqp_err mqp_topics_init(mqp_topics *t, const char *version, const char *base_prefix)
{
    if (!t) {
        return MQP_ERR_INVALID;
    }
    mqp_topics n = {0};
    mqp_err rc =
        set_field(n.version, sizeof n.version, version, "MQTT_TOPIC_VERSION", "v1", false, NULL);
    if (rc == MQP_OK) {
        rc = set_field(n.base_prefix, sizeof n.base_prefix, base_prefix, "MQTT_BASE_PREFIX",
                       "voice_assistant", true, NULL);
    }
    if (rc == MQP_OK) {
        rc = set_field(n.previous_version, sizeof n.previous_version, NULL,
                       "MQTT_TOPIC_PREVIOUS_VERSION", "", false, &n.migrating);
    }
    if (rc == MQP_OK) {
        *t = n;
    }
    return rc;
}

/* Placeholder values of a layout followed by the caller's; sized for the public API's use. */
#define MAX_VARS 16

mqp_err mqp_topics_build(const mqp_topics *t, const char *tmpl, const mqp_topic_var *vars,
                         size_t nvars, mqp_topic_kind kind, char *outs[2], size_t cap,
                         size_t *count, char *err, size_t errlen)
{
    if (!t || !tmpl || !outs || !outs[0] || !count || nvars > MAX_VARS - 2 ||
        (t->migrating && !outs[1])) {
        return MQP_ERR_INVALID;
    }
    mqp_topic_var all[MAX_VARS];
    all[0] = (mqp_topic_var){"version", t->version, MQP_VAR_OPTIONAL};
    all[1] = (mqp_topic_var){"base_prefix", t->base_prefix, MQP_VAR_MULTILEVEL};
    if (nvars) {
        memcpy(all + 2, vars, nvars * sizeof *vars);
    }
    mqp_err rc = mqp_topic_build(tmpl, all, nvars + 2, kind, outs[0], cap, err, errlen);
    /* Migrating from a layout to itself is no migration: one topic, not the same one twice. */
    if (rc != MQP_OK || !t->migrating || strcmp(t->previous_version, t->version) == 0) {
        if (rc == MQP_OK) {
            *count = 1;
        }
        return rc;
    }
    all[0].value = t->previous_version;
    rc = mqp_topic_build(tmpl, all, nvars + 2, kind, outs[1], cap, err, errlen);
    if (rc == MQP_OK) {
        *count = 2;
    }
    return rc;
}

static mqp_err build_current(const mqp_topics *t, const char *tmpl, const mqp_topic_var *vars,
                             size_t nvars, mqp_topic_kind kind, char *out, size_t cap, char *err,
                             size_t errlen)
{
    if (!t) {
        return MQP_ERR_INVALID;
    }
    mqp_topics current = *t;
    current.migrating = false;
    char *outs[2] = {out, NULL};
    size_t n;
    return mqp_topics_build(&current, tmpl, vars, nvars, kind, outs, cap, &n, err, errlen);
}

mqp_err mqp_topics_voice(const mqp_topics *t, const char *room_id, const char *session_id,
                         const char *topic_type, char *out, size_t cap, char *err, size_t errlen)
{
    mqp_topic_var vars[] = {
        {"room_id", room_id, 0},
        {"session_id", session_id, 0},
        {"topic_type", topic_type, MQP_VAR_MULTILEVEL},
    };
    return build_current(t, MQP_TEMPLATE_VOICE, vars, 3, MQP_TOPIC_NAME, out, cap, err, errlen);
}

mqp_err mqp_topics_voice_filter(const mqp_topics *t, const char *room_id, const char *session_id,
                                char *out, size_t cap, char *err, size_t errlen)
{
    mqp_topic_var vars[] = {
        {"room_id", room_id, 0},
        {"session_id", session_id ? session_id : "+", 0},
        {"topic_type", "#", 0},
    };
    return build_current(t, MQP_TEMPLATE_VOICE, vars, 3, MQP_TOPIC_FILTER, out, cap, err, errlen);
}
