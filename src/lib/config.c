/* The configuration store: YAML flattened into dotted paths with the line each value came from
 * (so every later error can point at its line), ${VAR} expansion, environment overrides, and
 * typed getters. It knows no key: the schema of each section does (config_mqtt.c). */
#define _POSIX_C_SOURCE 200809L
#include "mqplane/config.h"

#include "mqplane/topic.h"
#include "mqplane/topics.h"
#include "mqplane/url.h"

#include "alloc.h"
#include "config_internal.h"
#include "number.h"
#include "buf.h"
#include "fail.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MAX_DEPTH 32

typedef struct entry {
    struct entry *next;
    char *path;
    char *value;
    char *origin; /* "file:line" or "environment VAR" */
} entry;

struct mqp_config {
    entry *entries;
    char *built_url;
};

#define fail mqp__config_fail

static entry *find(const mqp_config *cfg, const char *path)
{
    for (entry *e = cfg ? cfg->entries : NULL; e; e = e->next) {
        if (strcmp(e->path, path) == 0) {
            return e;
        }
    }
    return NULL;
}

/* Sets path to value (taking ownership of value and origin), replacing any earlier value. */
static mqp_err set(mqp_config *cfg, const char *path, char *value, char *origin)
{
    entry *e = find(cfg, path);
    if (!e) {
        e = mqp__calloc(1, sizeof *e);
        if (!e || !(e->path = mqp__strdup(path))) {
            mqp__free(e);
            mqp__free(value);
            mqp__free(origin);
            return MQP_ERR_NOMEM;
        }
        entry **tail = &cfg->entries;
        while (*tail) {
            tail = &(*tail)->next;
        }
        *tail = e;
    }
    mqp__free(e->value);
    mqp__free(e->origin);
    e->value = value;
    e->origin = origin;
    return MQP_OK;
}

/* Expands ${VAR}, ${VAR:-default} and $$ in s. */
static mqp_err expand(const char *s, char **out, const char *origin, const char *path, char *err,
                      size_t errlen)
{
    mqp__buf b;
    mqp__buf_init(&b);
    for (const char *p = s; *p;) {
        if (p[0] == '$' && p[1] == '$') {
            mqp__buf_putc(&b, '$');
            p += 2;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            mqp__buf_putc(&b, *p++);
            continue;
        }
        const char *close = strchr(p + 2, '}');
        if (!close) {
            mqp__buf_free(&b);
            return fail(err, errlen, "%s: %s: '${' without '}'", origin, path);
        }
        char name[128];
        size_t nlen = (size_t)(close - (p + 2));
        const char *def = NULL;
        size_t dlen = 0;
        const char *colon = memchr(p + 2, ':', nlen);
        if (colon && colon[1] == '-') {
            def = colon + 2;
            dlen = (size_t)(close - def);
            nlen = (size_t)(colon - (p + 2));
        }
        if (nlen == 0 || nlen >= sizeof name) {
            mqp__buf_free(&b);
            return fail(err, errlen, "%s: %s: bad variable reference", origin, path);
        }
        memcpy(name, p + 2, nlen);
        name[nlen] = '\0';
        const char *v = getenv(name);
        if (v && *v) {
            mqp__buf_puts(&b, v);
        } else if (def) {
            mqp__buf_append(&b, def, dlen);
        } else {
            mqp__buf_free(&b);
            return fail(err, errlen,
                        "%s: %s: ${%s} is not set (use ${%s:-default} for a "
                        "default)",
                        origin, path, name, name);
        }
        p = close + 1;
    }
    if (!b.data) {
        mqp__buf_puts(&b, "");
    }
    *out = mqp__buf_take(&b, NULL);
    return *out ? MQP_OK : MQP_ERR_NOMEM;
}

typedef struct parse_ctx {
    yaml_parser_t parser;
    mqp_config *cfg;
    const char *name;
    char *err;
    size_t errlen;
} parse_ctx;

static mqp_err next_event(parse_ctx *pc, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&pc->parser, ev)) {
        return fail(pc->err, pc->errlen, "%s:%zu:%zu: YAML error: %s", pc->name,
                    pc->parser.problem_mark.line + 1, pc->parser.problem_mark.column + 1,
                    pc->parser.problem ? pc->parser.problem : "malformed document");
    }
    return MQP_OK;
}

static mqp_err parse_node(parse_ctx *pc, yaml_event_t *ev, const char *path, int depth);

static mqp_err store_scalar(parse_ctx *pc, yaml_event_t *ev, const char *path)
{
    const char *v = (const char *)ev->data.scalar.value;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (plain && (!*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0)) {
        return MQP_OK; /* A null value is an absent value. */
    }
    char origin[300];
    snprintf(origin, sizeof origin, "%s:%zu", pc->name, ev->start_mark.line + 1);
    char *value = NULL;
    mqp_err rc = expand(v, &value, origin, path, pc->err, pc->errlen);
    if (rc != MQP_OK) {
        return rc;
    }
    char *o = mqp__strdup(origin);
    if (!o) {
        mqp__free(value);
        return MQP_ERR_NOMEM;
    }
    return set(pc->cfg, path, value, o);
}

static mqp_err join(char *out, size_t cap, const char *prefix, const char *key)
{
    int n = snprintf(out, cap, "%s%s%s", prefix, *prefix ? "." : "", key);
    return n < 0 || (size_t)n >= cap ? MQP_ERR_CONFIG : MQP_OK;
}

static mqp_err parse_mapping(parse_ctx *pc, const char *path, int depth)
{
    for (;;) {
        yaml_event_t key;
        mqp_err rc = next_event(pc, &key);
        if (rc != MQP_OK) {
            return rc;
        }
        if (key.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&key);
            return MQP_OK;
        }
        if (key.type != YAML_SCALAR_EVENT) {
            rc = fail(pc->err, pc->errlen, "%s:%zu: %s: keys must be plain names", pc->name,
                      key.start_mark.line + 1, *path ? path : "(top level)");
            yaml_event_delete(&key);
            return rc;
        }
        char child[512];
        rc = join(child, sizeof child, path, (const char *)key.data.scalar.value);
        size_t line = key.start_mark.line + 1;
        yaml_event_delete(&key);
        if (rc != MQP_OK) {
            return fail(pc->err, pc->errlen, "%s:%zu: key path too long", pc->name, line);
        }
        for (entry *e = pc->cfg->entries; e; e = e->next) {
            size_t n = strlen(child);
            if (strncmp(e->path, child, n) == 0 && (e->path[n] == '\0' || e->path[n] == '.')) {
                return fail(pc->err, pc->errlen, "%s:%zu: %s: duplicate key (first at %s)",
                            pc->name, line, child, e->origin);
            }
        }
        yaml_event_t val;
        rc = next_event(pc, &val);
        if (rc == MQP_OK) {
            rc = parse_node(pc, &val, child, depth + 1);
        }
        if (rc != MQP_OK) {
            return rc;
        }
    }
}

static mqp_err parse_sequence(parse_ctx *pc, const char *path, int depth)
{
    for (int i = 0;; i++) {
        yaml_event_t item;
        mqp_err rc = next_event(pc, &item);
        if (rc != MQP_OK) {
            return rc;
        }
        if (item.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&item);
            return MQP_OK;
        }
        char child[512], idx[16];
        snprintf(idx, sizeof idx, "%d", i);
        if (join(child, sizeof child, path, idx) != MQP_OK) {
            yaml_event_delete(&item);
            return fail(pc->err, pc->errlen, "%s: key path too long", pc->name);
        }
        rc = parse_node(pc, &item, child, depth + 1);
        if (rc != MQP_OK) {
            return rc;
        }
    }
}

/* Consumes ev (and everything nested in it). */
static mqp_err parse_node(parse_ctx *pc, yaml_event_t *ev, const char *path, int depth)
{
    mqp_err rc;
    size_t line = ev->start_mark.line + 1;
    if (depth > MAX_DEPTH) {
        rc = fail(pc->err, pc->errlen, "%s:%zu: nested deeper than %d levels", pc->name, line,
                  MAX_DEPTH);
    } else if (ev->type == YAML_SCALAR_EVENT) {
        rc = store_scalar(pc, ev, path);
    } else if (ev->type == YAML_MAPPING_START_EVENT) {
        rc = parse_mapping(pc, path, depth);
    } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
        rc = parse_sequence(pc, path, depth);
    } else if (ev->type == YAML_ALIAS_EVENT) {
        rc = fail(pc->err, pc->errlen, "%s:%zu: %s: YAML aliases are not supported", pc->name, line,
                  path);
    } else {
        rc = fail(pc->err, pc->errlen, "%s:%zu: unexpected YAML content", pc->name, line);
    }
    yaml_event_delete(ev);
    return rc;
}

static mqp_err parse_document(parse_ctx *pc)
{
    yaml_event_t ev;
    mqp_err rc;
    while ((rc = next_event(pc, &ev)) == MQP_OK) {
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return MQP_OK;
        }
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT ||
            t == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (t == YAML_SCALAR_EVENT && ev.data.scalar.length == 0) {
            yaml_event_delete(&ev); /* An empty document. */
            continue;
        }
        if (t != YAML_MAPPING_START_EVENT) {
            size_t line = ev.start_mark.line + 1;
            yaml_event_delete(&ev);
            return fail(pc->err, pc->errlen,
                        "%s:%zu: the top level must be a mapping of "
                        "sections (mqtt:, ...)",
                        pc->name, line);
        }
        rc = parse_node(pc, &ev, "", 0);
        if (rc != MQP_OK) {
            return rc;
        }
    }
    return rc;
}

mqp_err mqp__config_override(mqp_config *cfg, const char *path, const char *var)
{
    const char *v = getenv(var);
    if (!v) {
        return MQP_OK;
    }
    char origin[160];
    snprintf(origin, sizeof origin, "environment %s", var);
    char *value = mqp__strdup(v);
    char *o = mqp__strdup(origin);
    if (!value || !o) {
        mqp__free(value);
        mqp__free(o);
        return MQP_ERR_NOMEM;
    }
    return set(cfg, path, value, o);
}

/* MQP_<PATH>: dots as underscores, upper-cased. */
static void env_name(const char *path, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "MQP_");
    for (const char *p = path; *p && o + 1 < cap; p++) {
        out[o++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
    }
    out[o] = '\0';
}

/* Overrides, weakest first: MQP_MQTT_<KEY> for every mqtt key and MQP_<PATH> for every other key
 * the file has, then the reference's own variables (MQTT_URL, ...). */
static mqp_err apply_environment(mqp_config *cfg)
{
    mqp_err rc = mqp__config_mqtt_environment(cfg, false);
    char var[600];
    for (entry *e = cfg->entries; e && rc == MQP_OK; e = e->next) {
        if (strncmp(e->origin, "environment ", 12) == 0) {
            continue;
        }
        env_name(e->path, var, sizeof var);
        rc = mqp__config_override(cfg, e->path, var);
    }
    return rc == MQP_OK ? mqp__config_mqtt_environment(cfg, true) : rc;
}

const char *mqp__config_keep(mqp_config *cfg, char *s)
{
    mqp__free(cfg->built_url);
    cfg->built_url = s;
    return s;
}

mqp_err mqp_config_parse(mqp_config **out, const char *text, size_t len, const char *name,
                         char *err, size_t errlen)
{
    if (err && errlen) {
        err[0] = '\0';
    }
    if (!out || (!text && len)) {
        return MQP_ERR_INVALID;
    }
    mqp_config *cfg = mqp__calloc(1, sizeof *cfg);
    if (!cfg) {
        return MQP_ERR_NOMEM;
    }
    mqp_err rc = MQP_OK;
    if (text) {
        parse_ctx pc = {.cfg = cfg, .name = name ? name : "(config)", .err = err, .errlen = errlen};
        if (!yaml_parser_initialize(&pc.parser)) {
            mqp__free(cfg);
            return MQP_ERR_NOMEM;
        }
        yaml_parser_set_input_string(&pc.parser, (const unsigned char *)text, len);
        rc = parse_document(&pc);
        yaml_parser_delete(&pc.parser);
    }
    if (rc == MQP_OK) {
        rc = apply_environment(cfg);
    }
    if (rc != MQP_OK) {
        mqp_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return MQP_OK;
}

mqp_err mqp_config_load(mqp_config **out, const char *path, char *err, size_t errlen)
{
    if (!path) {
        return mqp_config_parse(out, NULL, 0, NULL, err, errlen);
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen) {
            snprintf(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
        }
        return MQP_ERR_IO;
    }
    mqp__buf b;
    mqp__buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        mqp__buf_append(&b, chunk, n);
    }
    bool read_error = ferror(f) != 0;
    fclose(f);
    if (read_error || b.failed) {
        mqp__buf_free(&b);
        if (err && errlen) {
            snprintf(err, errlen, "cannot read config file %s", path);
        }
        return read_error ? MQP_ERR_IO : MQP_ERR_NOMEM;
    }
    mqp_err rc = mqp_config_parse(out, b.data ? b.data : "", b.len, path, err, errlen);
    mqp__buf_free(&b);
    return rc;
}

void mqp_config_free(mqp_config *cfg)
{
    if (!cfg) {
        return;
    }
    while (cfg->entries) {
        entry *e = cfg->entries;
        cfg->entries = e->next;
        mqp__free(e->path);
        mqp__free(e->value);
        mqp__free(e->origin);
        mqp__free(e);
    }
    mqp__free(cfg->built_url);
    mqp__free(cfg);
}

const char *mqp_config_get(const mqp_config *cfg, const char *path)
{
    entry *e = path ? find(cfg, path) : NULL;
    return e ? e->value : NULL;
}

const char *mqp_config_origin(const mqp_config *cfg, const char *path)
{
    entry *e = path ? find(cfg, path) : NULL;
    return e ? e->origin : NULL;
}

mqp_err mqp_config_get_int(const mqp_config *cfg, const char *path, long min, long max, long def,
                           long *out, char *err, size_t errlen)
{
    entry *e = find(cfg, path);
    if (!e) {
        *out = def;
        return MQP_OK;
    }
    long long v;
    if (mqpx_parse_int(e->value, min, max, &v) != MQPX_NUM_OK) {
        return fail(err, errlen, "%s: %s: expected an integer in %ld..%ld, got '%s'", e->origin,
                    path, min, max, e->value);
    }
    *out = (long)v;
    return MQP_OK;
}

mqp_err mqp_config_get_double(const mqp_config *cfg, const char *path, double min, double max,
                              double def, double *out, char *err, size_t errlen)
{
    entry *e = find(cfg, path);
    if (!e) {
        *out = def;
        return MQP_OK;
    }
    if (mqpx_parse_double(e->value, min, max, out) != MQPX_NUM_OK) {
        return fail(err, errlen, "%s: %s: expected a number in %g..%g, got '%s'", e->origin, path,
                    min, max, e->value);
    }
    return MQP_OK;
}

mqp_err mqp_config_get_bool(const mqp_config *cfg, const char *path, bool def, bool *out, char *err,
                            size_t errlen)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    entry *e = find(cfg, path);
    if (!e) {
        *out = def;
        return MQP_OK;
    }
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(e->value, yes[i]) == 0 || strcasecmp(e->value, no[i]) == 0) {
            *out = strcasecmp(e->value, yes[i]) == 0;
            return MQP_OK;
        }
    }
    return fail(err, errlen, "%s: %s: expected true or false, got '%s'", e->origin, path, e->value);
}

mqp_err mqp_config_check_keys(const mqp_config *cfg, const char *section, const char *const *known,
                              char *err, size_t errlen)
{
    size_t slen = strlen(section);
    for (entry *e = cfg ? cfg->entries : NULL; e; e = e->next) {
        if (strncmp(e->path, section, slen) != 0 || e->path[slen] != '.') {
            continue;
        }
        const char *key = e->path + slen + 1;
        size_t klen = strcspn(key, ".");
        bool ok = false;
        for (size_t i = 0; known[i] && !ok; i++) {
            ok = strlen(known[i]) == klen && strncmp(known[i], key, klen) == 0;
        }
        if (!ok) {
            mqp__buf list;
            mqp__buf_init(&list);
            for (size_t i = 0; known[i]; i++) {
                mqp__buf_printf(&list, "%s%s", i ? ", " : "", known[i]);
            }
            mqp_err rc = fail(err, errlen, "%s: %s.%.*s: unknown key (known: %s)", e->origin,
                              section, (int)klen, key, list.data ? list.data : "none");
            mqp__buf_free(&list);
            return rc;
        }
    }
    return MQP_OK;
}
