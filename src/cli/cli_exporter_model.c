#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* strptime; the CLI defines it for every file */
#endif
#include "cli_exporter_model.h"

#include "cli.h"
#include "cli_json.h"

#include "clock.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONTROL_ID "inference_control" /* The node's client ids: "-<node id>" in a namespace. */
#define DATA_ID    "inference_data"

void exp_model_init(exp_model *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
}

void exp_model_free(exp_model *m)
{
    pthread_mutex_destroy(&m->mu);
}

/* The node's entry, made on first sight; NULL when the table is full (counted). */
static exp_node *node_of(exp_model *m, const char *id)
{
    for (size_t i = 0; i < m->nnodes; i++) {
        if (strcmp(m->nodes[i].id, id) == 0) {
            return &m->nodes[i];
        }
    }
    if (m->nnodes == EXP_MAX_NODES) {
        m->dropped_nodes++;
        return NULL;
    }
    exp_node *n = &m->nodes[m->nnodes++];
    memset(n, 0, sizeof *n);
    snprintf(n->id, sizeof n->id, "%s", id);
    return n;
}

/* Parses an object, counting what is not one; with the lock held on success. */
static cJSON *take(exp_model *m, const char *payload, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(payload, len);
    pthread_mutex_lock(&m->mu);
    m->messages++;
    if (!cJSON_IsObject(j)) {
        m->bad_messages++;
        pthread_mutex_unlock(&m->mu);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static void done(exp_model *m, cJSON *j)
{
    pthread_mutex_unlock(&m->mu);
    cJSON_Delete(j);
}

static exp_source *source_of(exp_node *n, double id)
{
    return n && id >= 0 && id < EXP_MAX_SOURCES ? &n->src[(int)id] : NULL;
}

/* The wire's local ISO 8601 time ("2024-01-15T10:30:00.123456") as epoch seconds; 0 if not. */
static double status_time(const char *iso)
{
    struct tm tm = {0};
    const char *rest = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) {
        return 0;
    }
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    return t == (time_t)-1 ? 0 : (double)t + (*rest == '.' ? strtod(rest, NULL) : 0);
}

void exp_model_status(exp_model *m, const char *node, const char *payload, size_t len)
{
    cJSON *j = take(m, payload, len);
    if (!j) {
        return;
    }
    exp_node *n = node_of(m, node);
    if (n) {
        snprintf(n->status, sizeof n->status, "%s", cli_json_str(j, "status", "unknown"));
        n->last_seen = mqpx_mono_s();
        n->status_since = status_time(cli_json_str(j, "timestamp", ""));
    }
    done(m, j);
}

void exp_model_metrics(exp_model *m, const char *node, const char *payload, size_t len)
{
    cJSON *j = take(m, payload, len);
    if (!j) {
        return;
    }
    exp_node *n = node_of(m, node);
    if (n) {
        n->last_seen = mqpx_mono_s();
        n->has_metrics = true;
        n->fps = cli_json_num(j, "throughput_fps", 0);
        const cJSON *dp = cJSON_GetObjectItemCaseSensitive(j, "data_plane");
        n->published = cli_json_num(dp, "published", 0);
        n->dropped = cli_json_num(dp, "dropped", 0);
        n->dropped_full = cli_json_num(dp, "dropped_queue_full", 0);
        n->unsent_lost = cli_json_num(dp, "unsent_lost", 0);
        const cJSON *r;
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(j, "latency_reports"))
        {
            exp_source *s = source_of(n, cli_json_num(r, "source_id", -1));
            if (s) {
                s->reported = true;
                s->decode_s = cli_json_num(r, "frame_decoding_latency_ms", 0) / 1000;
                s->infer_s = cli_json_num(r, "inference_latency_ms", 0) / 1000;
                s->e2e_s = cli_json_num(r, "e2e_latency_ms", 0) / 1000;
                s->skipped = cli_json_num(r, "frames_skipped", 0);
                s->runs = cli_json_num(r, "detector_runs", 0);
                s->failures = cli_json_num(r, "detector_failures", 0);
                s->det_skipped = cli_json_num(r, "detector_skipped", 0);
            }
        }
    }
    done(m, j);
}

void exp_model_detections(exp_model *m, const char *node, const char *payload, size_t len)
{
    cJSON *j = take(m, payload, len);
    if (!j) {
        return;
    }
    exp_node *n = node_of(m, node);
    const cJSON *frame = cJSON_GetObjectItemCaseSensitive(j, "frame");
    exp_source *s = source_of(n, cli_json_num(frame, "source_id", 0));
    if (s) {
        n->last_seen = mqpx_mono_s();
        s->frames++;
        s->detections +=
            (uint64_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "detections"));
    }
    done(m, j);
}

/* The node a client id belongs to: "inference_control" / "inference_data" are the default
 * namespace's, "…-ID" node ID's. False for another client. */
static bool node_of_client(const char *client, char *node, size_t len)
{
    for (int k = 0; k < 2; k++) {
        const char *base = k ? DATA_ID : CONTROL_ID;
        size_t n = strlen(base);
        if (strncmp(client, base, n) == 0 && (client[n] == '\0' || client[n] == '-')) {
            snprintf(node, len, "%s", client[n] ? client + n + 1 : "");
            return true;
        }
    }
    return false;
}

void exp_model_health(exp_model *m, const char *client, const char *payload, size_t len)
{
    cJSON *j = take(m, payload, len);
    if (!j) {
        return;
    }
    size_t i = 0;
    while (i < m->nclients && strcmp(m->clients[i].id, client) != 0) {
        i++;
    }
    if (i == m->nclients && m->nclients < EXP_MAX_CLIENTS) {
        exp_client *c = &m->clients[m->nclients++];
        memset(c, 0, sizeof *c);
        snprintf(c->id, sizeof c->id, "%s", client);
        c->node_known = node_of_client(client, c->node, sizeof c->node);
    }
    if (i < m->nclients) {
        exp_client *c = &m->clients[i];
        c->ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"));
        snprintf(c->event, sizeof c->event, "%s", cli_json_str(j, "event", "unknown"));
        c->reconnects += strcmp(c->event, "reconnected") == 0;
        exp_node *n = c->node_known ? node_of(m, c->node) : NULL;
        if (n) {
            n->last_seen = mqpx_mono_s();
        }
    }
    done(m, j);
}

/* ---- the broker ---- */

static const struct {
    const char *topic; /* Under $SYS/broker/. */
    const char *name, *type, *help;
} sys_figures[SYS_FIGURES] = {
    [SYS_UPTIME] = {"uptime", "mqplane_broker_uptime_seconds", "gauge",
                    "Seconds the broker has run ($SYS/broker/uptime)"},
    [SYS_CLIENTS_CONNECTED] = {"clients/connected", "mqplane_broker_clients_connected", "gauge",
                               "Clients connected now"},
    [SYS_CLIENTS_MAXIMUM] = {"clients/maximum", "mqplane_broker_clients_maximum", "gauge",
                             "The most clients connected at once since it started"},
    [SYS_MESSAGES_RECEIVED] = {"messages/received", "mqplane_broker_messages_received_total",
                               "counter", "Messages of every kind received since it started"},
    [SYS_MESSAGES_SENT] = {"messages/sent", "mqplane_broker_messages_sent_total", "counter",
                           "Messages of every kind sent since it started"},
    [SYS_BYTES_RECEIVED] = {"bytes/received", "mqplane_broker_received_bytes_total", "counter",
                            "Bytes received since it started"},
    [SYS_BYTES_SENT] = {"bytes/sent", "mqplane_broker_sent_bytes_total", "counter",
                        "Bytes sent since it started"},
    [SYS_RETAINED] = {"retained messages/count", "mqplane_broker_retained_messages", "gauge",
                      "Retained messages it holds"},
    [SYS_STORED] = {"store/messages/count", "mqplane_broker_stored_messages", "gauge",
                    "Messages in its store (retained, queued, in flight)"},
    [SYS_HEAP] = {"heap/current", "mqplane_broker_heap_bytes", "gauge",
                  "Heap in use, where the broker reports it"},
    [SYS_LOAD_RECEIVED_1MIN] = {"load/messages/received/1min",
                                "mqplane_broker_messages_received_per_minute", "gauge",
                                "Messages received a minute, averaged over the last minute"},
    [SYS_LOAD_SENT_1MIN] = {"load/messages/sent/1min", "mqplane_broker_messages_sent_per_minute",
                            "gauge", "Messages sent a minute, averaged over the last minute"},
};

void exp_model_sys(exp_model *m, const char *topic, const char *payload, size_t len)
{
    static const char prefix[] = "$SYS/broker/";
    if (strncmp(topic, prefix, sizeof prefix - 1) != 0) {
        return;
    }
    const char *rest = topic + sizeof prefix - 1;
    char text[64];
    snprintf(text, sizeof text, "%.*s", (int)(len < sizeof text ? len : sizeof text - 1), payload);
    char *end = NULL;
    double v = strtod(text, &end); /* "123 seconds", "42", "1.5". */
    if (end == text) {
        return;
    }
    pthread_mutex_lock(&m->mu);
    for (int f = 0; f < SYS_FIGURES; f++) {
        if (strcmp(rest, sys_figures[f].topic) == 0) {
            exp_broker *b = &m->broker;
            if (f == SYS_UPTIME && b->has[f] && v < b->v[f]) {
                b->restarts++; /* Its uptime went back: it started again. */
            }
            b->has[f] = true;
            b->v[f] = v;
            b->last_seen = mqpx_mono_s();
        }
    }
    pthread_mutex_unlock(&m->mu);
}

/* ---- rendering ---- */

typedef struct out {
    char *buf;
    size_t len, cap;
    bool failed;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *fmt, ...)
{
    for (int attempt = 0; attempt < 2 && !o->failed; attempt++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->failed = true;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap * 2 + (size_t)n + 1;
        char *b = realloc(o->buf, cap);
        if (!b) {
            o->failed = true;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
}

/* A label value as the text format wants it: backslash, quote and newline escaped. */
static void put_label(out *o, const char *v)
{
    for (; *v && !o->failed; v++) {
        if (*v == '\\' || *v == '"') {
            put(o, "\\%c", *v);
        } else if (*v == '\n') {
            put(o, "\\n");
        } else {
            put(o, "%c", *v);
        }
    }
}

static void family(out *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *shown_id(const char *id)
{
    return id[0] ? id : "default";
}

/* A whole number exactly (counters; doubles hold them so to 2^53), another to 9 digits. */
static void put_value(out *o, double v)
{
    if (fabs(v) <= 9007199254740992.0 && v == (double)(long long)v) { /* Range first: no UB cast. */
        put(o, " %lld\n", (long long)v);
    } else {
        put(o, " %.9g\n", v);
    }
}

static void node_sample(out *o, const char *name, const exp_node *n, double v)
{
    put(o, "%s{node=\"", name);
    put_label(o, shown_id(n->id));
    put(o, "\"}");
    put_value(o, v);
}

static void source_sample(out *o, const char *name, const exp_node *n, int src, double v)
{
    put(o, "%s{node=\"", name);
    put_label(o, shown_id(n->id));
    put(o, "\",source=\"%d\"}", src);
    put_value(o, v);
}

static bool is_up(const char *status)
{
    return strcmp(status, "running") == 0 || strcmp(status, "paused") == 0 ||
           strcmp(status, "connected") == 0;
}

/* One family per node figure, each a double of exp_node from its latest metrics. */
typedef struct node_figure {
    const char *name, *type, *help;
    size_t offset;
} node_figure;

static const node_figure node_figures[] = {
    {"mqplane_node_fps", "gauge", "Frames per second over all its sources (its latest metrics)",
     offsetof(exp_node, fps)},
    {"mqplane_node_published_total", "counter",
     "Messages its data plane published (detections, metrics, frames)",
     offsetof(exp_node, published)},
    {"mqplane_node_dropped_total", "counter",
     "Messages its data plane dropped (offline, its outgoing window full)",
     offsetof(exp_node, dropped)},
    {"mqplane_node_dropped_queue_full_total", "counter",
     "Of those, the ones dropped for a full outgoing window", offsetof(exp_node, dropped_full)},
    {"mqplane_node_unsent_lost_total", "counter",
     "Messages accepted but never written: their connection ended first",
     offsetof(exp_node, unsent_lost)},
};

/* The double at offset in a struct: one table of figures serves every node or source. */
static double field(const void *base, size_t offset)
{
    double v;
    memcpy(&v, (const char *)base + offset, sizeof v);
    return v;
}

/* One family per source figure. */
typedef struct source_figure {
    const char *name, *type, *help;
    size_t offset; /* Of the double in exp_source. */
} source_figure;

#define SRC_DOUBLE(f) offsetof(exp_source, f)

static const source_figure source_figures[] = {
    {"mqplane_source_decode_latency_seconds", "gauge",
     "Time to produce a frame (read, decode, convert)", SRC_DOUBLE(decode_s)},
    {"mqplane_source_inference_latency_seconds", "gauge",
     "Time in the detector and tracker per frame", SRC_DOUBLE(infer_s)},
    {"mqplane_source_e2e_latency_seconds", "gauge", "From capture to detections published",
     SRC_DOUBLE(e2e_s)},
    {"mqplane_source_frames_skipped_total", "counter",
     "Frames a live source replaced with newer ones before the pipeline took them",
     SRC_DOUBLE(skipped)},
    {"mqplane_source_detector_runs_total", "counter", "Frames the detector ran on",
     SRC_DOUBLE(runs)},
    {"mqplane_source_detector_failures_total", "counter", "Detector runs that failed",
     SRC_DOUBLE(failures)},
    {"mqplane_source_detector_skipped_total", "counter",
     "Frames the detector did not run on (rate cap, motion gating)", SRC_DOUBLE(det_skipped)},
};

void exp_model_migration(exp_model *m, const exp_migration *now)
{
    pthread_mutex_lock(&m->mu);
    m->migration = *now;
    pthread_mutex_unlock(&m->mu);
}

/* While migrating: per template, what came on each layout, and whether the old one is quiet. */
static void render_migration(out *o, const exp_migration *g)
{
    if (!g->on) {
        return;
    }
    family(o, "mqplane_migration_info", "gauge",
           "1 while the exporter watches a topic-layout migration: its current and previous "
           "layouts (legacy: the unversioned one)");
    put(o, "mqplane_migration_info{current=\"");
    put_label(o, cli_layout_name(g->current));
    put(o, "\",previous=\"");
    put_label(o, cli_layout_name(g->previous));
    put(o, "\"} 1\n");
    family(o, "mqplane_migration_messages_received_total", "counter",
           "Messages of a template (voice: seed 04's room/session topics) that arrived on each "
           "layout since the exporter started");
    for (size_t i = 0; i < g->n; i++) {
        for (int l = 0; l < 2; l++) {
            put(o, "mqplane_migration_messages_received_total{template=\"");
            put_label(o, g->st[i].name);
            put(o, "\",layout=\"");
            put_label(o, cli_layout_name(l ? g->previous : g->current));
            put(o, "\",role=\"%s\"} %llu\n", l ? "previous" : "current",
                (unsigned long long)g->st[i].received[l]);
        }
    }
    family(o, "mqplane_migration_previous_last_message_seconds", "gauge",
           "Seconds since a template's latest message on the previous layout (absent: none "
           "came since the exporter started)");
    for (size_t i = 0; i < g->n; i++) {
        if (g->st[i].previous_age_s >= 0) {
            put(o, "mqplane_migration_previous_last_message_seconds{template=\"");
            put_label(o, g->st[i].name);
            put(o, "\"}");
            put_value(o, g->st[i].previous_age_s);
        }
    }
    family(o, "mqplane_migration_previous_droppable", "gauge",
           "1 once nothing came on the previous layout for the quiet time (--migration-quiet): "
           "it can be dropped");
    put(o, "mqplane_migration_previous_droppable %d\n", g->droppable);
}

char *exp_model_render(exp_model *m, double now, bool connected, size_t *len)
{
    out o = {.buf = malloc(16384), .cap = 16384};
    if (!o.buf) {
        return NULL;
    }
    o.buf[0] = '\0';
    pthread_mutex_lock(&m->mu);
    family(&o, "mqplane_node_status", "gauge",
           "1 for the node's current retained status (connected, running, paused, stopped, "
           "disconnected)");
    for (size_t i = 0; i < m->nnodes; i++) {
        const exp_node *n = &m->nodes[i];
        if (n->status[0]) {
            put(&o, "mqplane_node_status{node=\"");
            put_label(&o, shown_id(n->id));
            put(&o, "\",status=\"");
            put_label(&o, n->status);
            put(&o, "\"} 1\n");
        }
    }
    family(&o, "mqplane_node_up", "gauge",
           "1 while the node's retained status says running, paused or connected; 0 after "
           "stopped or disconnected (its last will)");
    for (size_t i = 0; i < m->nnodes; i++) {
        if (m->nodes[i].status[0]) {
            node_sample(&o, "mqplane_node_up", &m->nodes[i], is_up(m->nodes[i].status));
        }
    }
    family(&o, "mqplane_node_last_seen_seconds", "gauge",
           "Seconds since the node's latest status, health, metrics or detections message");
    for (size_t i = 0; i < m->nnodes; i++) {
        node_sample(&o, "mqplane_node_last_seen_seconds", &m->nodes[i],
                    now - m->nodes[i].last_seen);
    }
    for (size_t f = 0; f < sizeof node_figures / sizeof node_figures[0]; f++) {
        const node_figure *nf = &node_figures[f];
        family(&o, nf->name, nf->type, nf->help);
        for (size_t i = 0; i < m->nnodes; i++) {
            if (m->nodes[i].has_metrics) {
                node_sample(&o, nf->name, &m->nodes[i], field(&m->nodes[i], nf->offset));
            }
        }
    }
    for (size_t f = 0; f < sizeof source_figures / sizeof source_figures[0]; f++) {
        const source_figure *sf = &source_figures[f];
        family(&o, sf->name, sf->type, sf->help);
        for (size_t i = 0; i < m->nnodes; i++) {
            for (int s = 0; s < EXP_MAX_SOURCES; s++) {
                const exp_source *src = &m->nodes[i].src[s];
                if (src->reported) {
                    source_sample(&o, sf->name, &m->nodes[i], s, field(src, sf->offset));
                }
            }
        }
    }
    for (int k = 0; k < 2; k++) { /* Counted here, from the detections messages. */
        const char *name = k ? "mqplane_source_detections_total" : "mqplane_source_frames_total";
        family(&o, name, "counter",
               k ? "Detections in its detections messages, since this exporter started"
                 : "Detections messages (one a frame) this exporter received, since it started");
        for (size_t i = 0; i < m->nnodes; i++) {
            for (int s = 0; s < EXP_MAX_SOURCES; s++) {
                const exp_source *src = &m->nodes[i].src[s];
                if (src->frames) {
                    source_sample(&o, name, &m->nodes[i], s,
                                  (double)(k ? src->detections : src->frames));
                }
            }
        }
    }
    family(&o, "mqplane_health_ok", "gauge",
           "1 while the client's retained health says ok (node: its node, by its client id)");
    for (size_t i = 0; i < m->nclients; i++) {
        put(&o, "mqplane_health_ok{client=\"");
        put_label(&o, m->clients[i].id);
        put(&o, "\",node=\"");
        put_label(&o, m->clients[i].node_known ? shown_id(m->clients[i].node) : "");
        put(&o, "\",event=\"");
        put_label(&o, m->clients[i].event);
        put(&o, "\"} %d\n", m->clients[i].ok);
    }
    family(&o, "mqplane_health_reconnects_total", "counter",
           "The client's reconnected health events this exporter saw");
    for (size_t i = 0; i < m->nclients; i++) {
        put(&o, "mqplane_health_reconnects_total{client=\"");
        put_label(&o, m->clients[i].id);
        put(&o, "\"} %llu\n", (unsigned long long)m->clients[i].reconnects);
    }
    const exp_broker *b = &m->broker;
    family(&o, "mqplane_broker_sys_seen", "gauge",
           "1 while the broker's $SYS figures come (within 30 s: 3 of mosquitto's default "
           "sys_interval); 0: it does not publish them, or the ACL hides them");
    put(&o, "mqplane_broker_sys_seen %d\n", b->last_seen > 0 && now - b->last_seen < 30);
    family(&o, "mqplane_broker_restarts_total", "counter",
           "Times the broker's uptime went back (it restarted) while this exporter watched");
    put(&o, "mqplane_broker_restarts_total %llu\n", (unsigned long long)b->restarts);
    for (int f = 0; f < SYS_FIGURES; f++) {
        if (b->has[f]) {
            family(&o, sys_figures[f].name, sys_figures[f].type, sys_figures[f].help);
            put(&o, "%s", sys_figures[f].name);
            put_value(&o, b->v[f]);
        }
    }
    render_migration(&o, &m->migration);
    family(&o, "mqplane_exporter_connected", "gauge",
           "1 while the exporter is connected to the broker");
    put(&o, "mqplane_exporter_connected %d\n", connected);
    family(&o, "mqplane_exporter_messages_total", "counter", "Messages the exporter took in");
    put(&o, "mqplane_exporter_messages_total %llu\n", (unsigned long long)m->messages);
    family(&o, "mqplane_exporter_bad_messages_total", "counter",
           "Messages that were not a JSON object (left out)");
    put(&o, "mqplane_exporter_bad_messages_total %llu\n", (unsigned long long)m->bad_messages);
    family(&o, "mqplane_exporter_nodes_left_out_total", "counter",
           "Messages of nodes beyond the 1024 the exporter keeps");
    put(&o, "mqplane_exporter_nodes_left_out_total %llu\n", (unsigned long long)m->dropped_nodes);
    pthread_mutex_unlock(&m->mu);
    *len = o.len;
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    return o.buf;
}
