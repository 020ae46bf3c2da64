/* The control plane: one client (inference_control) whose handler turns command messages into
 * calls of the application's command callback, and answers. Everything about a command —
 * its size, its JSON, its name — is checked before the application sees it, and every
 * refusal is logged and answered, so no input can stop the plane from obeying the next one. */
#include "mqplane/controlplane.h"

#include "mqplane/dataplane.h"
#include "mqplane/defaults.h"
#include "mqplane/topic.h"
#include "mqplane/topics.h"

#include "alloc.h"
#include "buf.h"
#include "clock.h"
#include "client_hooks.h"
#include "fail.h"
#include "log.h"
#include "ratelimit.h"
#include "reserved.h"
#include "controlplane_answer.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

#define RESULT_CAP MQP_DEFAULT_COMMAND_RESULT_MAX
#define ERROR_CAP  MQP_DEFAULT_COMMAND_ERROR_MAX
/* Rejections are each answered, but logged at most this many per window: a flood of bad input
 * must not become a flood of log lines. */
#define REJECT_LOG_BURST    10
#define REJECT_LOG_WINDOW_S 10.0

/* What MQP_CMD_LIST says of each command, as tables indexed by the command. */
enum {
#define STATUS_AFTER_ENUM(name, wire) STATUS_AFTER_##name = MQP_STATUS_##name,
    MQP_STATUS_LIST(STATUS_AFTER_ENUM)
#undef STATUS_AFTER_ENUM
        STATUS_AFTER_NONE = -1, /* Leaves the status topic alone. */
    STATUS_AFTER_CURRENT = -2   /* Publishes the status as it is. */
};

static const struct {
    const char *name;
    int status_after; /* A status, STATUS_AFTER_CURRENT or STATUS_AFTER_NONE. */
    bool always_answered;
} commands[] = {
#define COMMAND_ROW(name, wire, status, answer) {wire, STATUS_AFTER_##status, answer},
    MQP_CMD_LIST(COMMAND_ROW)
#undef COMMAND_ROW
};

static const char *const status_names[] = {
#define STATUS_NAME(name, wire) wire,
    MQP_STATUS_LIST(STATUS_NAME)
#undef STATUS_NAME
};

/* A command carried out, by its request id: a repeat within DONE_TTL_S (a QoS 1 redelivery
 * after a lost PUBACK, a client retrying) gets the same answer and is not run again. */
#define DONE_MAX   64
#define DONE_TTL_S 600.0
typedef struct done_rq {
    char *request_id; /* As JSON text; NULL: a free slot. */
    char *answer;     /* The answer that was published. */
    int qos;
    double at;
} done_rq;

struct mqp_controlplane {
    mqp_client *client;
    char *command_topic;
    char *status_topic;
    char *response_topic;
    size_t max_payload;
    mqp_command_cb on_command;
    void *user;
    mqp_connected_cb user_on_connected;
    mqp_disconnected_cb user_on_disconnected;
    void *user_cb_user;
    mqp__logger log;
    pthread_mutex_t mu; /* Serializes status changes and their publication. */
    mqp_status status;
    char *result; /* Reply buffers, used by the dispatch thread only. */
    char *error;
    mqpx_ratelimit reject_log; /* Dispatch thread only. */
    atomic_uint_fast64_t received, ok, failed, rejected, status_published, repeated;
    done_rq done[DONE_MAX]; /* Commands carried out, by request id; dispatch thread only. */
    size_t done_next;
};

/* Says how many rejections went unlogged, if any. */
static void say_held(mqp_controlplane *cp, uint64_t held)
{
    if (held) {
        mqp__log(&cp->log, MQP_LOG_WARNING,
                 "%llu more commands rejected (each answered; not logged one by one)",
                 (unsigned long long)held);
    }
}

static void log_held_rejections(mqp_controlplane *cp)
{
    say_held(cp, mqpx_ratelimit_take_held(&cp->reject_log));
}

const char *mqp_command_name(mqp_command cmd)
{
    return (unsigned)cmd < MQP_CMD_COUNT ? commands[cmd].name : NULL;
}

mqp_err mqp_command_parse(const char *name, mqp_command *out)
{
    if (!name || !out) {
        return MQP_ERR_INVALID;
    }
    for (int i = 0; i < MQP_CMD_COUNT; i++) {
        if (strcasecmp(name, commands[i].name) == 0) {
            *out = (mqp_command)i;
            return MQP_OK;
        }
    }
    return MQP_ERR_NOT_FOUND;
}

const char *mqp_status_name(mqp_status st)
{
    return (unsigned)st < sizeof status_names / sizeof status_names[0] ? status_names[st] : NULL;
}

mqp_err mqp_status_json(mqp_status st, double now, const char *client_id, char **out, size_t *len)
{
    const char *name = mqp_status_name(st);
    if (!name || !client_id || !out) {
        return MQP_ERR_INVALID;
    }
    char ts[40];
    size_t n = mqp_iso8601(now, ts, sizeof ts);
    mqp__buf b;
    mqp__buf_init(&b);
    mqp__buf_printf(&b, "{\"status\":\"%s\",\"timestamp\":\"%.*s\",\"client_id\":", name, (int)n,
                    ts);
    mqp__buf_json_string(&b, client_id, strlen(client_id));
    mqp__buf_putc(&b, '}');
    char *json = mqp__buf_take(&b, len);
    if (!json) {
        return MQP_ERR_NOMEM;
    }
    *out = json;
    return MQP_OK;
}

/* ---- status ---- */

/* Publishes st; called with cp->mu held so publications cannot overtake one another. */
static mqp_err publish_status_locked(mqp_controlplane *cp, mqp_status st)
{
    char *json;
    size_t len;
    mqp_err rc = mqp_status_json(st, mqpx_wall_s(), mqp_client_id(cp->client), &json, &len);
    if (rc == MQP_OK) {
        rc = mqp_client_publish(cp->client, cp->status_topic, json, len, 1, true);
        mqp__free(json);
    }
    if (rc == MQP_OK) {
        atomic_fetch_add(&cp->status_published, 1);
    } else {
        mqp__log(&cp->log, MQP_LOG_WARNING, "status '%s' not published: %s", mqp_status_name(st),
                 mqp_strerror(rc));
    }
    return rc;
}

mqp_err mqp_controlplane_set_status(mqp_controlplane *cp, mqp_status st)
{
    if (!cp || !mqp_status_name(st)) {
        return MQP_ERR_INVALID;
    }
    pthread_mutex_lock(&cp->mu);
    bool changed = cp->status != st;
    cp->status = st;
    /* Offline, the status goes out on the next connection anyway; unchanged, it is already
     * the retained one. */
    mqp_err rc =
        changed && mqp_client_is_connected(cp->client) ? publish_status_locked(cp, st) : MQP_OK;
    pthread_mutex_unlock(&cp->mu);
    return rc;
}

mqp_status mqp_controlplane_status(mqp_controlplane *cp)
{
    pthread_mutex_lock(&cp->mu);
    mqp_status st = cp->status;
    pthread_mutex_unlock(&cp->mu);
    return st;
}

static void on_connected(mqp_client *c, bool reconnect, void *user)
{
    mqp_controlplane *cp = user;
    pthread_mutex_lock(&cp->mu);
    /* The first connection says "connected" even when the pipeline got going first, so a
     * watcher sees the reference's sequence; later ones just restate the current status. */
    if (!reconnect && cp->status != MQP_STATUS_CONNECTED) {
        publish_status_locked(cp, MQP_STATUS_CONNECTED);
    }
    publish_status_locked(cp, cp->status);
    pthread_mutex_unlock(&cp->mu);
    if (cp->user_on_connected) {
        cp->user_on_connected(c, reconnect, cp->user_cb_user);
    }
}

static void on_disconnected(mqp_client *c, mqp_err reason, void *user)
{
    mqp_controlplane *cp = user;
    if (cp->user_on_disconnected) {
        cp->user_on_disconnected(c, reason, cp->user_cb_user);
    }
}

/* The will, renewed before each connection so its timestamp is that of the connection. */
static char *fresh_will(void *ctx)
{
    mqp_controlplane *cp = ctx;
    char *json = NULL;
    mqp_status_json(MQP_STATUS_DISCONNECTED, mqpx_wall_s(), mqp_client_id(cp->client), &json, NULL);
    return json;
}

/* ---- commands ---- */

typedef struct request {
    const mqp_message *msg;
    char *request_id;    /* The request_id member as JSON text, or NULL. */
    const char *command; /* Its wire name once known, else NULL. */
} request;

char *mqp__response_json(const char *request_id, const char *command, bool ok, mqp_status st,
                         const char *error, const char *result, size_t *len)
{
    mqp__buf b;
    mqp__buf_init(&b);
    mqp__buf_printf(&b, "{\"request_id\":%s,\"command\":", request_id ? request_id : "null");
    if (command) {
        mqp__buf_json_string(&b, command, strlen(command));
    } else {
        mqp__buf_puts(&b, "null");
    }
    mqp__buf_printf(&b, ",\"ok\":%s,\"status\":\"%s\"", ok ? "true" : "false", mqp_status_name(st));
    if (error) {
        mqp__buf_puts(&b, ",\"error\":");
        mqp__buf_json_string(&b, error, strlen(error));
    }
    if (result && *result) {
        mqp__buf_puts(&b, ",\"result\":");
        mqp__buf_puts(&b, result);
    }
    mqp__buf_putc(&b, '}');
    return mqp__buf_take(&b, len);
}

/* Answers at QoS 1, except a rejection (qos 0): a flood of bad input then cannot fill memory
 * with answers waiting for the broker (the client's outgoing QoS 0 queue is bounded, and drops
 * beyond it), while an answer to a command that ran is never dropped. */
static void publish_answer(mqp_controlplane *cp, const request *rq, const char *json, size_t len,
                           int qos)
{
    const mqp_message *m = rq->msg;
    const char *topic = m->response_topic ? m->response_topic : cp->response_topic;
    mqp_publish_props props = {.correlation_data = m->correlation_data,
                               .correlation_len = m->correlation_len};
    mqp_err rc = mqp_client_publish_props(cp->client, topic, json, len, qos, false, &props);
    if (rc != MQP_OK && !(qos == 0 && rc == MQP_ERR_QUEUE_FULL)) {
        mqp__log(&cp->log, MQP_LOG_WARNING, "answer to '%s' not published: %s",
                 rq->command ? rq->command : "(no command)", mqp_strerror(rc));
    }
}

/* The command with request id rid, if it was carried out within DONE_TTL_S. */
static done_rq *done_before(mqp_controlplane *cp, const char *rid, double now)
{
    for (size_t i = 0; rid && i < DONE_MAX; i++) {
        done_rq *d = &cp->done[i];
        if (d->request_id && now - d->at < DONE_TTL_S && strcmp(d->request_id, rid) == 0) {
            return d;
        }
    }
    return NULL;
}

/* Keeps a carried-out command's answer (json, taken over), in place of the oldest. */
static void remember(mqp_controlplane *cp, const char *rid, char *json, int qos, double now)
{
    done_rq *d = &cp->done[cp->done_next];
    cp->done_next = (cp->done_next + 1) % DONE_MAX;
    mqp__free(d->request_id);
    mqp__free(d->answer);
    *d = (done_rq){mqp__strdup(rid), json, qos, now};
    if (!d->request_id) {
        mqp__free(d->answer);
        *d = (done_rq){0};
    }
}

/* keep: a command that ran with a request id; its answer is remembered for a repeat. */
static void respond_kept(mqp_controlplane *cp, const request *rq, bool ok, const char *error,
                         const char *result, int qos, bool keep)
{
    size_t len;
    char *json = mqp__response_json(rq->request_id, rq->command, ok, mqp_controlplane_status(cp),
                                    error, result, &len);
    if (!json) {
        mqp__log(&cp->log, MQP_LOG_ERR, "out of memory: a command answer is lost");
        return;
    }
    publish_answer(cp, rq, json, len, qos);
    if (keep && rq->request_id) {
        remember(cp, rq->request_id, json, qos, mqpx_mono_s());
    } else {
        mqp__free(json);
    }
}

static void respond(mqp_controlplane *cp, const request *rq, bool ok, const char *error,
                    const char *result, int qos)
{
    respond_kept(cp, rq, ok, error, result, qos, false);
}

static int reject(mqp_controlplane *cp, const request *rq, const char *why)
{
    atomic_fetch_add(&cp->rejected, 1);
    uint64_t held = 0;
    if (mqpx_ratelimit_pass(&cp->reject_log, mqpx_mono_s(), &held)) {
        say_held(cp, held);
        mqp__log(&cp->log, MQP_LOG_WARNING, "command rejected on '%s': %s", rq->msg->topic, why);
    }
    respond(cp, rq, false, why, NULL, 0);
    return 0; /* Handled: answered and counted here, not a dispatch error. */
}

/* The reference publishes the status after each command it carries out (seed 01), so a client
 * that knows only the status topic sees every command take effect: pause, resume and stop
 * publish the status they lead to, and status publishes the current one, each time with a
 * fresh timestamp, even when it did not change. The other commands show on other topics. */
static void announce_status(mqp_controlplane *cp, mqp_command cmd)
{
    int next = commands[cmd].status_after;
    if (next == STATUS_AFTER_NONE) {
        return;
    }
    pthread_mutex_lock(&cp->mu);
    if (next != STATUS_AFTER_CURRENT) {
        cp->status = (mqp_status)next;
    }
    /* Offline, the status goes out on the next connection anyway. */
    if (mqp_client_is_connected(cp->client)) {
        publish_status_locked(cp, cp->status);
    }
    pthread_mutex_unlock(&cp->mu);
}

static int run_command(mqp_controlplane *cp, request *rq, mqp_command cmd)
{
    log_held_rejections(cp); /* Before the command's own lines, so the log reads in order. */
    cp->result[0] = '\0';
    cp->error[0] = '\0';
    mqp_command_reply reply = {cp->result, RESULT_CAP, cp->error, ERROR_CAP};
    mqp_err rc = cp->on_command(cp, cmd, &reply, cp->user);
    cp->result[RESULT_CAP - 1] = '\0';
    cp->error[ERROR_CAP - 1] = '\0';
    if (rc == MQP_OK && cp->result[0]) {
        cJSON *check = cJSON_Parse(cp->result);
        if (!check) {
            rc = MQP_ERR_JSON;
            snprintf(cp->error, ERROR_CAP,
                     "the handler of '%s' produced a result that is not "
                     "JSON",
                     rq->command);
        }
        cJSON_Delete(check);
    }
    if (rc != MQP_OK) {
        atomic_fetch_add(&cp->failed, 1);
        if (!cp->error[0]) {
            snprintf(cp->error, ERROR_CAP, "%s failed: %s", rq->command, mqp_strerror(rc));
        }
        mqp__log(&cp->log, MQP_LOG_WARNING, "command '%s' failed (%s): %s", rq->command,
                 mqp_err_name(rc), cp->error);
        respond_kept(cp, rq, false, cp->error, NULL, 1, true);
        return 0;
    }
    atomic_fetch_add(&cp->ok, 1);
    announce_status(cp, cmd);
    mqp__log(&cp->log, MQP_LOG_INFO, "command '%s' done", rq->command);
    if (commands[cmd].always_answered || rq->request_id || rq->msg->response_topic) {
        respond_kept(cp, rq, true, NULL, cp->result, 1, true);
    }
    return 0;
}

bool mqp__command_read(const void *payload, size_t len, size_t max_payload, mqp_command *cmd,
                       char **request_id, char *why, size_t whylen)
{
    *request_id = NULL;
    if (len > max_payload) {
        snprintf(why, whylen, "payload of %zu bytes is over the %zu-byte limit", len, max_payload);
        return false;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(payload, len, &end, false);
    if (!root) {
        size_t at = end ? (size_t)(end - (const char *)payload) : 0;
        snprintf(why, whylen, "not JSON (malformed near byte %zu)", at);
        return false;
    }
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(root, "request_id");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "command");
    /* A number too large for a double (1e999) would come back as null: refused instead. */
    if (cJSON_IsObject(root) && rid &&
        (cJSON_IsString(rid) || (cJSON_IsNumber(rid) && isfinite(rid->valuedouble)))) {
        *request_id = cJSON_PrintUnformatted(rid);
    }
    bool ok = false;
    if (!cJSON_IsObject(root)) {
        snprintf(why, whylen, "not a JSON object");
    } else if (rid && !*request_id) {
        snprintf(why, whylen, "'request_id' must be a string or a (finite) number");
    } else if (!name) {
        snprintf(why, whylen, "no 'command' member");
    } else if (!cJSON_IsString(name)) {
        snprintf(why, whylen, "'command' must be a string");
    } else if (mqp_command_parse(name->valuestring, cmd) != MQP_OK) {
        int n = snprintf(why, whylen, "unknown command '%.60s' (known: ", name->valuestring);
        for (int i = 0; i < MQP_CMD_COUNT && n > 0 && (size_t)n < whylen; i++) {
            n += snprintf(why + n, whylen - (size_t)n, "%s%s", i ? ", " : "", commands[i].name);
        }
        if (n > 0 && (size_t)n < whylen) {
            snprintf(why + n, whylen - (size_t)n, ")");
        }
    } else {
        ok = true;
    }
    cJSON_Delete(root);
    return ok;
}

static int on_command_message(mqp_client *c, const mqp_message *m, void *user)
{
    (void)c;
    mqp_controlplane *cp = user;
    atomic_fetch_add(&cp->received, 1);
    request rq = {m, NULL, NULL};
    char why[512];
    mqp_command which;
    char *request_id = NULL;
    int rc;
    bool ok = mqp__command_read(m->payload, m->payload_len, cp->max_payload, &which, &request_id,
                                why, sizeof why);
    rq.request_id = request_id;
    done_rq *seen = ok ? done_before(cp, request_id, mqpx_mono_s()) : NULL;
    if (!ok) {
        rc = reject(cp, &rq, why);
    } else if (seen) {
        rq.command = mqp_command_name(which);
        atomic_fetch_add(&cp->repeated, 1);
        mqp__log(&cp->log, MQP_LOG_NOTICE,
                 "command '%s' with request_id %s was carried out already: answered again, not "
                 "run again",
                 rq.command, request_id);
        publish_answer(cp, &rq, seen->answer, strlen(seen->answer), seen->qos);
        rc = 0;
    } else {
        rq.command = mqp_command_name(which);
        rc = run_command(cp, &rq, which);
    }
    cJSON_free(request_id);
    return rc;
}

/* ---- lifecycle ---- */

static mqp_err topic_option(const char *given, const char *def, char **out, const char *what,
                            char *err, size_t errlen)
{
    const char *t = given ? given : def;
    if (mqp_topic_validate_name(t) != MQP_OK) {
        return mqp__fail(err, errlen, MQP_ERR_INVALID,
                         "control plane: %s '%s' is not a valid "
                         "topic name",
                         what, t);
    }
    *out = mqp__strdup(t);
    return *out ? MQP_OK : MQP_ERR_NOMEM;
}

mqp_err mqp_controlplane_new(mqp_controlplane **out, const mqp_controlplane_opts *o, char *err,
                             size_t errlen)
{
    if (!out || !o || !o->on_command) {
        return mqp__fail(err, errlen, MQP_ERR_INVALID,
                         "control plane: a command handler is "
                         "required");
    }
    if (MQP__CHECK_RESERVED(o, "control plane options", err, errlen) != MQP_OK) {
        return MQP_ERR_INVALID;
    }
    mqp_controlplane *cp = mqp__calloc(1, sizeof *cp);
    if (!cp) {
        return MQP_ERR_NOMEM;
    }
    pthread_mutex_init(&cp->mu, NULL);
    cp->status = MQP_STATUS_CONNECTED;
    cp->on_command = o->on_command;
    cp->user = o->user;
    cp->max_payload = o->max_payload ? o->max_payload : MQP_DEFAULT_MAX_COMMAND_PAYLOAD;
    mqpx_ratelimit_init(&cp->reject_log, REJECT_LOG_BURST, REJECT_LOG_WINDOW_S);
    mqp_err rc = topic_option(o->command_topic, MQP_TOPIC_COMMANDS, &cp->command_topic,
                              "command_topic", err, errlen);
    if (rc == MQP_OK) {
        rc = topic_option(o->status_topic, MQP_TOPIC_STATUS, &cp->status_topic, "status_topic", err,
                          errlen);
    }
    if (rc == MQP_OK) {
        rc = topic_option(o->response_topic, MQP_TOPIC_RESPONSES, &cp->response_topic,
                          "response_topic", err, errlen);
    }
    cp->result = mqp__malloc(RESULT_CAP);
    cp->error = mqp__malloc(ERROR_CAP);
    if (rc == MQP_OK && (!cp->result || !cp->error)) {
        rc = MQP_ERR_NOMEM;
    }
    char *will = NULL;
    if (rc == MQP_OK) {
        const char *id = o->client.client_id ? o->client.client_id : MQP_DEFAULT_CONTROL_CLIENT_ID;
        rc = mqp_status_json(MQP_STATUS_DISCONNECTED, mqpx_wall_s(), id, &will, NULL);
        mqp_client_opts co = o->client;
        co.client_id = id;
        co.will_topic = cp->status_topic;
        co.will_payload = will;
        co.will_qos = 1;
        co.will_retain = true;
        cp->user_on_connected = co.on_connected;
        cp->user_on_disconnected = co.on_disconnected;
        cp->user_cb_user = co.cb_user;
        co.on_connected = on_connected;
        co.on_disconnected = on_disconnected;
        co.cb_user = cp;
        cp->log = (mqp__logger){co.log_cb, co.log_user, co.log_level ? co.log_level : MQP_LOG_INFO,
                                "control plane"};
        if (rc == MQP_OK) {
            rc = mqp_client_new_err(&cp->client, &co, err, errlen);
        }
    }
    mqp__free(will);
    if (rc == MQP_OK) {
        mqp__client_set_will_refresh(cp->client, fresh_will, cp);
        rc = mqp_client_subscribe(cp->client, cp->command_topic, 1, on_command_message, cp);
    }
    if (rc != MQP_OK) {
        mqp_controlplane_destroy(cp);
        return rc;
    }
    *out = cp;
    return MQP_OK;
}

mqp_err mqp_controlplane_start(mqp_controlplane *cp, int timeout_ms)
{
    if (!cp) {
        return MQP_ERR_INVALID;
    }
    return timeout_ms == 0 ? mqp_client_start(cp->client)
                           : mqp_client_connect(cp->client, timeout_ms);
}

void mqp_controlplane_stats_get(mqp_controlplane *cp, mqp_controlplane_stats *s)
{
    if (!cp || !s) {
        return;
    }
    *s = (mqp_controlplane_stats){.received = atomic_load(&cp->received),
                                  .ok = atomic_load(&cp->ok),
                                  .failed = atomic_load(&cp->failed),
                                  .rejected = atomic_load(&cp->rejected),
                                  .status_published = atomic_load(&cp->status_published),
                                  .repeated = atomic_load(&cp->repeated)};
}

mqp_client *mqp_controlplane_client(mqp_controlplane *cp)
{
    return cp ? cp->client : NULL;
}

void mqp_controlplane_destroy(mqp_controlplane *cp)
{
    if (!cp) {
        return;
    }
    if (cp->client && mqp_controlplane_status(cp) != MQP_STATUS_STOPPED) {
        mqp_controlplane_set_status(cp, MQP_STATUS_STOPPED);
    }
    mqp_client_destroy(cp->client);
    log_held_rejections(cp); /* The dispatch thread has been joined. */
    mqp__free(cp->command_topic);
    mqp__free(cp->status_topic);
    mqp__free(cp->response_topic);
    for (size_t i = 0; i < DONE_MAX; i++) {
        mqp__free(cp->done[i].request_id);
        mqp__free(cp->done[i].answer);
    }
    mqp__free(cp->result);
    mqp__free(cp->error);
    pthread_mutex_destroy(&cp->mu);
    mqp__free(cp);
}
