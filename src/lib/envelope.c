/* Envelope encoding is hand-written (one buffer, no tree) because it is on the publish path;
 * decoding uses cJSON because it must validate untrusted input field by field. */
#include "mqplane/envelope.h"

#include "alloc.h"
#include "buf.h"
#include "fail.h"
#include "clock.h"
#include "rand.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define ID_MAX 64

struct mqp_envelope {
    char *id;
    char *type;
    char *source;
    char *correlation_id;
    char *data;
    size_t data_len;
    double ts;
    uint64_t seq;
    bool has_seq;
};

void mqp_uuid4_hex(char out[33])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t hi = mqpx_rand_u64();
    uint64_t lo = mqpx_rand_u64();
    hi = (hi & ~0xF000ULL) | 0x4000ULL;       /* Version 4. */
    lo = (lo & ~(3ULL << 62)) | (2ULL << 62); /* RFC 4122 variant. */
    for (int i = 0; i < 16; i++) {
        out[i] = hex[(hi >> (60 - 4 * i)) & 15];
        out[16 + i] = hex[(lo >> (60 - 4 * i)) & 15];
    }
    out[32] = '\0';
}

/* Whether [s, s+n) holds exactly one JSON value, optionally surrounded by whitespace. */
static bool one_json_value(const char *s, size_t n)
{
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(s, n, &end, false);
    if (!v) {
        return false;
    }
    cJSON_Delete(v);
    while (end < s + n && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) {
        end++;
    }
    return end == s + n;
}

mqp_err mqp_envelope_encode(const mqp_event *ev, char **out, size_t *outlen, char *err,
                            size_t errlen)
{
    if (!ev || !out) {
        return mqp__fail(err, errlen, MQP_ERR_INVALID, "envelope: no event or output given");
    }
    if (!ev->type || !*ev->type) {
        return mqp__fail(err, errlen, MQP_ERR_INVALID, "envelope: 'type' is required");
    }
    if (!ev->source || !*ev->source) {
        return mqp__fail(err, errlen, MQP_ERR_INVALID, "envelope: 'source' is required");
    }
    if (!ev->data_json) {
        return mqp__fail(err, errlen, MQP_ERR_INVALID,
                         "envelope: 'data' is required (use \"null\" "
                         "or \"{}\" for none)");
    }
    if (ev->id && (!*ev->id || strlen(ev->id) > ID_MAX)) {
        return mqp__fail(err, errlen, MQP_ERR_INVALID, "envelope: 'id' must be 1 to %d bytes",
                         ID_MAX);
    }
    size_t dlen = ev->data_len ? ev->data_len : strlen(ev->data_json);
    if (!one_json_value(ev->data_json, dlen)) {
        return mqp__fail(err, errlen, MQP_ERR_JSON,
                         "envelope: 'data' of event '%s' is not one valid "
                         "JSON value",
                         ev->type);
    }
    char idbuf[33];
    const char *id = ev->id;
    if (!id) {
        mqp_uuid4_hex(idbuf);
        id = idbuf;
    }
    double ts = ev->ts > 0 ? ev->ts : mqpx_wall_s();

    mqp__buf b;
    mqp__buf_init(&b);
    mqp__buf_reserve(&b, dlen + 160);
    mqp__buf_puts(&b, "{\"id\":");
    mqp__buf_json_string(&b, id, strlen(id));
    mqp__buf_puts(&b, ",\"type\":");
    mqp__buf_json_string(&b, ev->type, strlen(ev->type));
    mqp__buf_printf(&b, ",\"ts\":%.6f,\"source\":", ts);
    mqp__buf_json_string(&b, ev->source, strlen(ev->source));
    if (ev->correlation_id) {
        mqp__buf_puts(&b, ",\"correlation_id\":");
        mqp__buf_json_string(&b, ev->correlation_id, strlen(ev->correlation_id));
    }
    mqp__buf_printf(&b, ",\"seq\":%llu,\"data\":", (unsigned long long)ev->seq);
    mqp__buf_append(&b, ev->data_json, dlen);
    mqp__buf_putc(&b, '}');
    char *json = mqp__buf_take(&b, outlen);
    if (!json) {
        return mqp__fail(err, errlen, MQP_ERR_NOMEM, "envelope: out of memory");
    }
    *out = json;
    return MQP_OK;
}

void mqp_envelope_free(mqp_envelope *env)
{
    if (!env) {
        return;
    }
    mqp__free(env->id);
    mqp__free(env->type);
    mqp__free(env->source);
    mqp__free(env->correlation_id);
    cJSON_free(env->data);
    mqp__free(env);
}

/* Copies a string member: required members must be non-empty strings; optional ones may be
 * absent (and null, where nullable). */
static mqp_err take_string(const cJSON *root, const char *name, bool required, bool nullable,
                           char **dst, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!v || (nullable && cJSON_IsNull(v))) {
        return required ? mqp__fail(err, errlen, MQP_ERR_ENVELOPE, "envelope: missing '%s'", name)
                        : MQP_OK;
    }
    if (!cJSON_IsString(v) || (required && !*v->valuestring)) {
        return mqp__fail(err, errlen, MQP_ERR_ENVELOPE, "envelope: '%s' must be a %sstring", name,
                         required ? "non-empty " : "");
    }
    *dst = mqp__strdup(v->valuestring);
    return *dst ? MQP_OK : MQP_ERR_NOMEM;
}

static mqp_err fill(mqp_envelope *e, const cJSON *root, char *err, size_t errlen)
{
    if (!cJSON_IsObject(root)) {
        return mqp__fail(err, errlen, MQP_ERR_ENVELOPE, "envelope: not a JSON object");
    }
    mqp_err rc = take_string(root, "id", true, false, &e->id, err, errlen);
    if (rc == MQP_OK) {
        rc = take_string(root, "type", true, false, &e->type, err, errlen);
    }
    if (rc == MQP_OK) {
        rc = take_string(root, "source", false, false, &e->source, err, errlen);
    }
    if (rc == MQP_OK) {
        rc = take_string(root, "correlation_id", false, true, &e->correlation_id, err, errlen);
    }
    if (rc != MQP_OK) {
        return rc;
    }
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "ts");
    if (!ts) {
        return mqp__fail(err, errlen, MQP_ERR_ENVELOPE, "envelope: missing 'ts'");
    }
    if (!cJSON_IsNumber(ts) || !isfinite(ts->valuedouble) || ts->valuedouble < 0) {
        return mqp__fail(err, errlen, MQP_ERR_ENVELOPE,
                         "envelope: 'ts' must be a non-negative "
                         "number of epoch seconds");
    }
    e->ts = ts->valuedouble;
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(root, "seq");
    if (seq) {
        double d = cJSON_IsNumber(seq) ? seq->valuedouble : -1;
        if (d < 0 || d != floor(d) || d > 9007199254740992.0) {
            return mqp__fail(err, errlen, MQP_ERR_ENVELOPE,
                             "envelope: 'seq' must be a non-negative "
                             "integer");
        }
        e->seq = (uint64_t)d;
        e->has_seq = true;
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    if (!data) {
        return mqp__fail(err, errlen, MQP_ERR_ENVELOPE, "envelope: missing 'data'");
    }
    e->data = cJSON_PrintUnformatted(data);
    if (!e->data) {
        return MQP_ERR_NOMEM;
    }
    e->data_len = strlen(e->data);
    return MQP_OK;
}

mqp_err mqp_envelope_decode(const void *payload, size_t len, mqp_envelope **out, char *err,
                            size_t errlen)
{
    if (err && errlen) {
        err[0] = '\0';
    }
    if (!payload || !out) {
        return mqp__fail(err, errlen, MQP_ERR_INVALID, "envelope: no payload or output given");
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(payload, len, &end, false);
    if (!root) {
        size_t at = end ? (size_t)(end - (const char *)payload) : 0;
        return mqp__fail(err, errlen, MQP_ERR_JSON, "envelope: malformed JSON near byte %zu of %zu",
                         at, len);
    }
    mqp_envelope *e = mqp__calloc(1, sizeof *e);
    mqp_err rc = e ? fill(e, root, err, errlen) : MQP_ERR_NOMEM;
    cJSON_Delete(root);
    if (rc != MQP_OK) {
        mqp_envelope_free(e);
        return rc;
    }
    *out = e;
    return MQP_OK;
}

const char *mqp_envelope_id(const mqp_envelope *env)
{
    return env ? env->id : NULL;
}

const char *mqp_envelope_type(const mqp_envelope *env)
{
    return env ? env->type : NULL;
}

const char *mqp_envelope_source(const mqp_envelope *env)
{
    return env ? env->source : NULL;
}

const char *mqp_envelope_correlation_id(const mqp_envelope *env)
{
    return env ? env->correlation_id : NULL;
}

double mqp_envelope_ts(const mqp_envelope *env)
{
    return env ? env->ts : 0;
}

uint64_t mqp_envelope_seq(const mqp_envelope *env, bool *present)
{
    if (present) {
        *present = env && env->has_seq;
    }
    return env ? env->seq : 0;
}

const char *mqp_envelope_data(const mqp_envelope *env, size_t *len)
{
    if (len) {
        *len = env ? env->data_len : 0;
    }
    return env ? env->data : NULL;
}
