/* The schema of the mqtt: section: every key once, in one table, from which the key check, the
 * environment overrides, the defaults, the reading into mqp_mqtt_settings and the list that
 * `mqplane config keys` and docs/CLIENT.md print are all made. A new key is one line in
 * MQTT_KEYS (and a member in mqp_mqtt_settings if it has one). */
#include "mqplane/config.h"

#include "mqplane/defaults.h"
#include "mqplane/topic.h"
#include "mqplane/topics.h"
#include "mqplane/url.h"

#include "alloc.h"
#include "config_internal.h"
#include "fail.h"
#include "url_format.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* X(key, TYPE, min, max, default, member, reference variable, "what it is")
 * TYPE     STRING, SECRET (a string never shown), URL (shown without its password), TOPIC (a
 *          topic name, checked), INT, SIZE, BOOL, NUMBER (a double); min..max bound INT, SIZE
 *          and NUMBER.
 * default  S("text") or S(NULL) for strings, N(number) for the others.
 * member   FIELD(name) of mqp_mqtt_settings, or NOFIELD for keys that only make the URL. */
#define MQTT_KEYS(X)                                                                               \
    X(url, URL, 0, 0, S(NULL), FIELD(url), "MQTT_URL",                                             \
      "broker URL (mqtt://, mqtts:// or memory://), or several comma-separated, tried in turn "    \
      "for failover; wins over broker_host and broker_port")                                       \
    X(broker_host, STRING, 0, 0, S(NULL), NOFIELD, "MQTT_BROKER_HOST",                             \
      "broker host, when there is no url (" MQP_DEFAULT_HOST " when only a port or user is set)")  \
    X(broker_port, INT, 1, 65535, N(MQP_DEFAULT_PORT), NOFIELD, "MQTT_BROKER_PORT",                \
      "broker port, when there is no url")                                                         \
    X(username, STRING, 0, 0, S(NULL), NOFIELD, "MQTT_USERNAME",                                   \
      "user name; fills the one a url lacks")                                                      \
    X(password, SECRET, 0, 0, S(NULL), NOFIELD, "MQTT_PASSWORD",                                   \
      "password; fills the one a url lacks")                                                       \
    X(client_id, STRING, 0, 0, S(NULL), FIELD(client_id), NULL,                                    \
      "client id of a tool's connection (a node's planes have their own)")                         \
    X(keepalive, INT, 5, 65535, N(0), FIELD(keepalive_s), NULL,                                    \
      "MQTT keepalive, seconds (unset: the url's, else MQP_DEFAULT_KEEPALIVE_S)")                  \
    X(command_topic, TOPIC, 0, 0, S(MQP_TOPIC_COMMANDS), FIELD(command_topic), NULL,               \
      "commands in (QoS 1)")                                                                       \
    X(status_topic, TOPIC, 0, 0, S(MQP_TOPIC_STATUS), FIELD(status_topic), NULL,                   \
      "status out (QoS 1, retained)")                                                              \
    X(response_topic, TOPIC, 0, 0, S(MQP_TOPIC_RESPONSES), FIELD(response_topic), NULL,            \
      "answers to commands")                                                                       \
    X(data_topic, TOPIC, 0, 0, S(MQP_TOPIC_DETECTIONS), FIELD(data_topic), NULL, "detections out") \
    X(metrics_topic, TOPIC, 0, 0, S(MQP_TOPIC_METRICS), FIELD(metrics_topic), NULL, "metrics out") \
    X(full_frames_topic, TOPIC, 0, 0, S(MQP_TOPIC_FULL_FRAMES), FIELD(full_frames_topic), NULL,    \
      "annotated frames out")                                                                      \
    X(data_qos, INT, 0, 2, N(MQP_DEFAULT_DATA_QOS), FIELD(data_qos), NULL,                         \
      "QoS of detections and metrics")                                                             \
    X(control_qos, INT, 0, 2, N(1), FIELD(control_qos), NULL, "QoS of commands and status")        \
    X(publish_full_frame, BOOL, 0, 0, N(0), FIELD(publish_full_frame), NULL,                       \
      "publish annotated frames")                                                                  \
    X(full_frame_rate, NUMBER, 0.01, 1000, N(1), FIELD(full_frame_rate), NULL,                     \
      "annotated frames per second per source, when published")                                    \
    X(topic_version, STRING, 0, 0, S(NULL), NOFIELD, "MQTT_TOPIC_VERSION",                         \
      "versioned topic layout (seed 04); empty: the legacy layout")                                \
    X(base_prefix, STRING, 0, 0, S(NULL), NOFIELD, "MQTT_BASE_PREFIX",                             \
      "prefix of the versioned layout")                                                            \
    X(tls_ca_file, STRING, 0, 0, S(NULL), FIELD(tls_ca_file), NULL,                                \
      "mqtts:// trust anchors, a file (unset, with no tls_ca_path: the system's)")                 \
    X(tls_ca_path, STRING, 0, 0, S(NULL), FIELD(tls_ca_path), NULL,                                \
      "mqtts:// trust anchors, a directory")                                                       \
    X(tls_cert_file, STRING, 0, 0, S(NULL), FIELD(tls_cert_file), NULL,                            \
      "client certificate, for mutual TLS")                                                        \
    X(tls_key_file, STRING, 0, 0, S(NULL), FIELD(tls_key_file), NULL, "its private key")           \
    X(tls_insecure, BOOL, 0, 0, N(0), FIELD(tls_insecure), NULL,                                   \
      "skip the server's host name check (dangerous)")                                             \
    X(max_command_payload, SIZE, 64, 268435455, N(MQP_DEFAULT_MAX_COMMAND_PAYLOAD),                \
      FIELD(max_command_payload), NULL, "largest command accepted, bytes")                         \
    X(data_queue_messages, SIZE, 1, 100000000, N(MQP_DEFAULT_OUT_QUEUE_MESSAGES),                  \
      FIELD(data_queue_messages), NULL,                                                            \
      "detections, metrics and frames waiting for a slow broker or link, at most; the newest "     \
      "are dropped beyond")                                                                        \
    X(data_queue_bytes, SIZE, 1024, 4294967295, N(MQP_DEFAULT_OUT_QUEUE_BYTES),                    \
      FIELD(data_queue_bytes), NULL, "the same bound in bytes")                                    \
    X(control_username, STRING, 0, 0, S(NULL), FIELD(control_username), NULL,                      \
      "the control connection's own user name (least privilege)")                                  \
    X(control_password, SECRET, 0, 0, S(NULL), FIELD(control_password), NULL,                      \
      "the control connection's own password")                                                     \
    X(data_username, STRING, 0, 0, S(NULL), FIELD(data_username), NULL,                            \
      "the data connection's own user name")                                                       \
    X(data_password, SECRET, 0, 0, S(NULL), FIELD(data_password), NULL,                            \
      "the data connection's own password")

typedef enum key_type {
    T_STRING,
    T_SECRET,
    T_URL,
    T_TOPIC,
    T_INT,
    T_SIZE,
    T_BOOL,
    T_NUMBER
} key_type;

typedef struct key_row {
    mqp_config_key info; /* What the public list shows. */
    key_type type;
    const char *def_s;
    double def_n;
    const char *def_text;
    double lo, hi; /* The range of an INT, SIZE or NUMBER. */
    size_t offset; /* In mqp_mqtt_settings; SIZE_MAX for none. */
    size_t size;   /* Of that member, checked against the type by the tests. */
} key_row;

#define XSTR(x) STR(x)
#define STR(x)  #x
/* The default and its text, for the list. */
#define S(text) .def_s = text, .def_text = text
#define N(num)  .def_n = num, .def_text = XSTR(num)
#define FIELD(m)                                                                                   \
    .offset = offsetof(mqp_mqtt_settings, m), .size = sizeof(((mqp_mqtt_settings *)0)->m)
#define NOFIELD .offset = SIZE_MAX, .size = 0

static const char *const type_names[] = {"string",  "secret",  "url",     "topic",
                                         "integer", "integer", "boolean", "number"};

static const key_row keys[] = {
#define KEY_ROW(k_, t_, lo_, hi_, def_, member_, env_, doc_)                                       \
    {.info = {.key = #k_, .env = env_, .doc = doc_, .min = (long)(lo_), .max = (long)(hi_)},       \
     .type = T_##t_,                                                                               \
     .lo = lo_,                                                                                    \
     .hi = hi_,                                                                                    \
     def_,                                                                                         \
     member_},
    MQTT_KEYS(KEY_ROW)
#undef KEY_ROW
};

#define NKEYS (sizeof keys / sizeof keys[0])

/* The public view of the table, with the type names filled in. */
static mqp_config_key public_keys[NKEYS];

static void fill_public(void)
{
    for (size_t i = 0; i < NKEYS; i++) {
        public_keys[i] = keys[i].info;
        public_keys[i].type = type_names[keys[i].type];
        public_keys[i].def = keys[i].type == T_SECRET ? NULL
                             : keys[i].type == T_BOOL ? (keys[i].def_n != 0 ? "true" : "false")
                                                      : keys[i].def_text;
    }
}

size_t mqp_config_mqtt_keys(const mqp_config_key **out)
{
    if (!public_keys[0].key) {
        fill_public(); /* Idempotent: racing callers write the same values. */
    }
    if (out) {
        *out = public_keys;
    }
    return NKEYS;
}

/* For the tests: the size of row i's member (0: none) and the size its type stores. */
size_t mqp__mqtt_key_size(size_t i, size_t *type_size)
{
    static const size_t sizes[] = {[T_STRING] = sizeof(const char *),
                                   [T_SECRET] = sizeof(const char *),
                                   [T_URL] = sizeof(const char *),
                                   [T_TOPIC] = sizeof(const char *),
                                   [T_INT] = sizeof(int),
                                   [T_SIZE] = sizeof(size_t),
                                   [T_BOOL] = sizeof(bool),
                                   [T_NUMBER] = sizeof(double)};
    *type_size = sizes[keys[i].type];
    return keys[i].size;
}

static void path_of(const key_row *k, char *path, size_t len)
{
    snprintf(path, len, "mqtt.%s", k->info.key);
}

mqp_err mqp__config_mqtt_environment(mqp_config *cfg, bool reference)
{
    for (size_t i = 0; i < NKEYS; i++) {
        char path[64], var[80];
        path_of(&keys[i], path, sizeof path);
        if (reference && !keys[i].info.env) {
            continue;
        }
        if (reference) {
            snprintf(var, sizeof var, "%s", keys[i].info.env);
        } else {
            snprintf(var, sizeof var, "MQP_MQTT_");
            for (size_t j = 0, o = strlen(var); keys[i].info.key[j] && o + 1 < sizeof var; j++) {
                char c = keys[i].info.key[j];
                var[o++] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
                var[o] = '\0';
            }
        }
        mqp_err rc = mqp__config_override(cfg, path, var);
        if (rc != MQP_OK) {
            return rc;
        }
    }
    return MQP_OK;
}

/* Reads one key into its member of s (when it has one), with its default when absent. */
static mqp_err read_key(mqp_config *cfg, const key_row *k, mqp_mqtt_settings *s, char *err,
                        size_t errlen)
{
    char path[64];
    path_of(k, path, sizeof path);
    void *member = k->offset == SIZE_MAX ? NULL : (char *)s + k->offset;
    const char *v = mqp_config_get(cfg, path);
    long n = (long)k->def_n;
    mqp_err rc = MQP_OK;
    switch (k->type) {
    case T_TOPIC:
        if (v && mqp_topic_validate_name(v) != MQP_OK) {
            return mqp__config_fail(err, errlen,
                                    "%s: %s: '%s' is not a valid topic name (no '+', '#', or "
                                    "empty)",
                                    mqp_config_origin(cfg, path), path, v);
        }
        /* fall through */
    case T_STRING:
    case T_SECRET:
    case T_URL:
        if (member) {
            *(const char **)member = v ? v : k->def_s;
        }
        return MQP_OK;
    case T_INT:
    case T_SIZE:
        rc = mqp_config_get_int(cfg, path, (long)k->lo, (long)k->hi, (long)k->def_n, &n, err,
                                errlen);
        break;
    case T_NUMBER: {
        double d;
        rc = mqp_config_get_double(cfg, path, k->lo, k->hi, k->def_n, &d, err, errlen);
        if (rc == MQP_OK && member) {
            *(double *)member = d;
        }
        return rc;
    }
    case T_BOOL: {
        bool b = false; /* Written only on success. */
        rc = mqp_config_get_bool(cfg, path, k->def_n != 0, &b, err, errlen);
        n = b;
        break;
    }
    }
    if (rc == MQP_OK && member) {
        if (k->type == T_INT) {
            *(int *)member = (int)n;
        } else if (k->type == T_SIZE) {
            *(size_t *)member = (size_t)n;
        } else {
            *(bool *)member = n != 0;
        }
    }
    return rc;
}

/* ---- the URL ---- */

static const char *origin_or(const mqp_config *cfg, const char *path)
{
    const char *o = mqp_config_origin(cfg, path);
    return o ? o : "config";
}

/* Replaces *slot with a copy of v when *slot is unset and v is non-empty. */
static mqp_err fill(char **slot, const char *v)
{
    if (*slot || !v || !*v) {
        return MQP_OK;
    }
    *slot = mqp__strdup(v);
    return *slot ? MQP_OK : MQP_ERR_NOMEM;
}

/* A broker list in mqtt.url: each URL checked, and given the file's username and password
 * where it has none, as one URL would be. */
static mqp_err compose_list(mqp_config *cfg, const char *text, const char *user, const char *pass,
                            const char **out, char *err, size_t errlen)
{
    mqp_url urls[MQP_URL_LIST_MAX];
    size_t n = 0;
    char uerr[MQP_URL_ERRLEN];
    mqp_err rc = mqp_url_list_parse(text, urls, MQP_URL_LIST_MAX, &n, uerr, sizeof uerr);
    if (rc != MQP_OK) {
        return rc == MQP_ERR_NOMEM ? rc
                                   : mqp__config_fail(err, errlen, "%s: mqtt.url: %s",
                                                      origin_or(cfg, "mqtt.url"), uerr);
    }
    mqp__buf b;
    mqp__buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        rc = rc == MQP_OK ? fill(&urls[i].username, user) : rc;
        rc = rc == MQP_OK && urls[i].username ? fill(&urls[i].password, pass) : rc;
        char *one = rc == MQP_OK ? mqp__url_format(&urls[i]) : NULL;
        if (!one) {
            rc = MQP_ERR_NOMEM;
        } else {
            mqp__buf_puts(&b, i ? "," : "");
            mqp__buf_puts(&b, one);
        }
        mqp__free(one);
        mqp_url_clear(&urls[i]);
    }
    char *joined = mqp__buf_take(&b, NULL);
    if (rc != MQP_OK || !joined) {
        mqp__free(joined);
        return MQP_ERR_NOMEM;
    }
    *out = mqp__config_keep(cfg, joined);
    return MQP_OK;
}

/* mqtt.url, or one made of broker_host and broker_port; username and password (the file's, or
 * MQTT_USERNAME/MQTT_PASSWORD) fill the credentials it lacks: the URL's own win, as its host
 * and port win over broker_host and broker_port. One URL then says everything about the
 * connection, and a --broker URL replaces it whole. NULL when nothing is set. */
static mqp_err compose_url(mqp_config *cfg, const char **out, char *err, size_t errlen)
{
    const char *text = mqp_config_get(cfg, "mqtt.url");
    const char *host = mqp_config_get(cfg, "mqtt.broker_host");
    const char *user = mqp_config_get(cfg, "mqtt.username");
    const char *pass = mqp_config_get(cfg, "mqtt.password");
    *out = text;
    mqp_url u = {0};
    char uerr[MQP_URL_ERRLEN];
    if (text && strchr(text, ',')) {
        return compose_list(cfg, text, user, pass, out, err, errlen);
    }
    if (text) {
        mqp_err rc = mqp_url_parse(text, &u, uerr, sizeof uerr);
        if (rc != MQP_OK) {
            return rc == MQP_ERR_NOMEM ? rc
                                       : mqp__config_fail(err, errlen, "%s: mqtt.url: %s",
                                                          origin_or(cfg, "mqtt.url"), uerr);
        }
        bool adds = u.scheme != MQP_SCHEME_MEMORY &&
                    ((!u.username && user && *user) || (!u.password && pass && *pass));
        if (!adds) {
            mqp_url_clear(&u);
            return MQP_OK; /* The URL as it was written. */
        }
    } else {
        long port = MQP_DEFAULT_PORT;
        mqp_err rc = mqp_config_get_int(cfg, "mqtt.broker_port", 1, 65535, MQP_DEFAULT_PORT, &port,
                                        err, errlen);
        if (rc != MQP_OK || (!host && !mqp_config_get(cfg, "mqtt.broker_port") && !user)) {
            *out = NULL;
            return rc; /* Nothing set: the client resolves the environment itself. */
        }
        u.host = mqp__strdup(host && *host ? host : MQP_DEFAULT_HOST);
        u.port = (int)port;
        if (!u.host) {
            return MQP_ERR_NOMEM;
        }
    }
    mqp_err rc = fill(&u.username, user);
    if (rc == MQP_OK && u.username) {
        rc = fill(&u.password, pass);
    }
    char *composed = rc == MQP_OK ? mqp__url_format(&u) : NULL;
    mqp_url_clear(&u);
    if (!composed) {
        return MQP_ERR_NOMEM;
    }
    *out = mqp__config_keep(cfg, composed);
    if (!text) { /* A host from the file is checked as the URL it makes. */
        mqp_url check;
        rc = mqp_url_parse(*out, &check, uerr, sizeof uerr);
        if (rc == MQP_OK) {
            mqp_url_clear(&check);
        } else if (rc != MQP_ERR_NOMEM) {
            rc = mqp__config_fail(err, errlen, "%s: mqtt.broker_host: %s",
                                  origin_or(cfg, "mqtt.broker_host"), uerr);
        }
    }
    return rc;
}

mqp_err mqp_config_mqtt(mqp_config *cfg, mqp_mqtt_settings *out, char *err, size_t errlen)
{
    if (!cfg || !out) {
        return MQP_ERR_INVALID;
    }
    const char *known[NKEYS + 1];
    for (size_t i = 0; i < NKEYS; i++) {
        known[i] = keys[i].info.key;
    }
    known[NKEYS] = NULL;
    mqp_err rc = mqp_config_check_keys(cfg, "mqtt", known, err, errlen);
    mqp_mqtt_settings s = {0};
    for (size_t i = 0; rc == MQP_OK && i < NKEYS; i++) {
        rc = read_key(cfg, &keys[i], &s, err, errlen);
    }
    if (rc == MQP_OK) {
        rc = compose_url(cfg, &s.url, err, errlen);
    }
    if (rc == MQP_OK) {
        *out = s;
    }
    return rc;
}

void mqp_mqtt_settings_apply(const mqp_mqtt_settings *s, mqp_client_opts *o)
{
    if (!s || !o) {
        return;
    }
    o->url = s->url ? s->url : o->url;
    o->client_id = s->client_id ? s->client_id : o->client_id;
    o->keepalive_s = s->keepalive_s ? s->keepalive_s : o->keepalive_s;
    o->tls_ca_file = s->tls_ca_file ? s->tls_ca_file : o->tls_ca_file;
    o->tls_ca_path = s->tls_ca_path ? s->tls_ca_path : o->tls_ca_path;
    o->tls_cert_file = s->tls_cert_file ? s->tls_cert_file : o->tls_cert_file;
    o->tls_key_file = s->tls_key_file ? s->tls_key_file : o->tls_key_file;
    o->tls_insecure_no_verify_hostname = o->tls_insecure_no_verify_hostname || s->tls_insecure;
}
