#define _POSIX_C_SOURCE 200809L
#include "cli_view_model.h"

#include "cli_json.h"

#include "clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void view_model_init(view_model *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    for (int i = 0; i < VIEW_MAX_SOURCES; i++) {
        m->src[i].decode_ms = m->src[i].infer_ms = m->src[i].e2e_ms = -1;
        m->src[i].skipped = -1;
    }
}

void view_model_free(view_model *m)
{
    pthread_mutex_destroy(&m->mu);
}

static void add_event(view_model *m, const char *text)
{
    size_t i = m->nevents++ % VIEW_MAX_EVENTS;
    snprintf(m->events[i], sizeof m->events[i], "%s", text);
    m->event_at[i] = mqpx_wall_s();
}

void view_model_event(view_model *m, const char *fmt, ...)
{
    char text[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&m->mu);
    add_event(m, text);
    pthread_mutex_unlock(&m->mu);
}

static cJSON *parse(view_model *m, const mqp_message *msg)
{
    cJSON *j = cJSON_ParseWithLength(msg->payload, msg->payload_len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        view_model_event(m, "not a JSON object on %.100s (%zu bytes)", msg->topic,
                         msg->payload_len);
        return NULL;
    }
    return j;
}

/* The source a message is about, or NULL for an id out of range. */
static view_source *source_of(view_model *m, double id)
{
    return id >= 0 && id < VIEW_MAX_SOURCES ? &m->src[(int)id] : NULL;
}

void view_model_status(view_model *m, const mqp_message *msg)
{
    cJSON *j = parse(m, msg);
    if (!j) {
        return;
    }
    const char *st = cli_json_str(j, "status", "?");
    pthread_mutex_lock(&m->mu);
    m->messages++;
    if (strcmp(st, m->status) != 0) {
        char text[160];
        snprintf(text, sizeof text, "status %s%s%s", m->status[0] ? m->status : "",
                 m->status[0] ? " -> " : "", st);
        add_event(m, text);
    }
    snprintf(m->status, sizeof m->status, "%s", st);
    m->status_at = mqpx_mono_s();
    pthread_mutex_unlock(&m->mu);
    cJSON_Delete(j);
}

void view_model_health(view_model *m, const mqp_message *msg)
{
    cJSON *j = parse(m, msg);
    if (!j) {
        return;
    }
    const char *slash = strrchr(msg->topic, '/'); /* The client id is the last level. */
    const char *client = slash ? slash + 1 : msg->topic;
    const char *event = cli_json_str(j, "event", "?");
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"));
    const char *err = cli_json_str(j, "err", NULL);
    pthread_mutex_lock(&m->mu);
    m->messages++;
    size_t i = 0;
    while (i < m->nhealth && strcmp(m->health[i].client, client) != 0) {
        i++;
    }
    if (i == m->nhealth && m->nhealth < sizeof m->health / sizeof m->health[0]) {
        m->nhealth++;
    }
    if (i < m->nhealth) {
        view_health *h = &m->health[i];
        snprintf(h->client, sizeof h->client, "%s", client);
        h->ok = ok;
        snprintf(h->event, sizeof h->event, "%s", event);
        h->at = mqpx_mono_s();
    }
    char text[160];
    snprintf(text, sizeof text, "health %s: %s%s%s", client, event, err ? " " : "", err ? err : "");
    add_event(m, text);
    pthread_mutex_unlock(&m->mu);
    cJSON_Delete(j);
}

/* The track's age carries over from the detections before, by its id. */
static double first_seen(const view_source *s, long id, double now)
{
    for (size_t i = 0; id >= 0 && i < s->ntracks; i++) {
        if (s->tracks[i].id == id) {
            return s->tracks[i].first_seen;
        }
    }
    return now;
}

void view_model_detections(view_model *m, const mqp_message *msg)
{
    cJSON *j = parse(m, msg);
    if (!j) {
        return;
    }
    const cJSON *frame = cJSON_GetObjectItemCaseSensitive(j, "frame");
    double now = mqpx_mono_s();
    pthread_mutex_lock(&m->mu);
    m->messages++;
    view_source *s = source_of(m, cli_json_num(frame, "source_id", 0));
    if (s) {
        view_track t[VIEW_MAX_TRACKS];
        size_t n = 0, count = 0;
        const cJSON *d;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(j, "detections"))
        {
            count++;
            if (n == VIEW_MAX_TRACKS) {
                continue;
            }
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(d, "bbox");
            view_track *v = &t[n++];
            v->id = (long)cli_json_num(d, "track_id", -1);
            snprintf(v->cls, sizeof v->cls, "%s", cli_json_str(d, "class", "?"));
            v->confidence = cli_json_num(d, "confidence", 0);
            v->x = (int)cli_json_num(b, "x", 0);
            v->y = (int)cli_json_num(b, "y", 0);
            v->w = (int)cli_json_num(b, "width", 0);
            v->h = (int)cli_json_num(b, "height", 0);
            v->first_seen = first_seen(s, v->id, now);
            s->extent_w = v->x + v->w > s->extent_w ? v->x + v->w : s->extent_w;
            s->extent_h = v->y + v->h > s->extent_h ? v->y + v->h : s->extent_h;
        }
        memcpy(s->tracks, t, n * sizeof t[0]);
        s->ntracks = n;
        s->seen = true;
        s->crop = cJSON_GetObjectItemCaseSensitive(j, "roi_metrics") != NULL;
        size_t k = s->narrivals++ % VIEW_RATE_WINDOW;
        s->arrivals[k] = now;
        s->counts[k] = (double)count;
    }
    pthread_mutex_unlock(&m->mu);
    cJSON_Delete(j);
}

void view_model_metrics(view_model *m, const mqp_message *msg)
{
    cJSON *j = parse(m, msg);
    if (!j) {
        return;
    }
    pthread_mutex_lock(&m->mu);
    m->messages++;
    m->last_metrics = mqpx_mono_s();
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(j, "latency_reports"))
    {
        view_source *s = source_of(m, cli_json_num(r, "source_id", -1));
        if (s) {
            s->seen = true;
            s->decode_ms = cli_json_num(r, "frame_decoding_latency_ms", -1);
            s->infer_ms = cli_json_num(r, "inference_latency_ms", -1);
            s->e2e_ms = cli_json_num(r, "e2e_latency_ms", -1);
            s->skipped = (long long)cli_json_num(r, "frames_skipped", -1);
        }
    }
    pthread_mutex_unlock(&m->mu);
    cJSON_Delete(j);
}

/* A status answer: what each source is and its frames' size, and the node's uptime. */
static void take_status_answer(view_model *m, const cJSON *result)
{
    double up = cli_json_num(result, "uptime_s", -1);
    if (up >= 0) {
        m->uptime_s = up;
        m->uptime_at = mqpx_mono_s();
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(result, "source_status"))
    {
        view_source *s = source_of(m, cli_json_num(r, "source_id", -1));
        if (s) {
            s->seen = true;
            snprintf(s->description, sizeof s->description, "%s", cli_json_str(r, "source", ""));
            snprintf(s->state, sizeof s->state, "%s", cli_json_str(r, "state", ""));
            s->width = (int)cli_json_num(r, "width", 0);
            s->height = (int)cli_json_num(r, "height", 0);
        }
    }
}

void view_model_response(view_model *m, const mqp_message *msg)
{
    cJSON *j = parse(m, msg);
    if (!j) {
        return;
    }
    const char *cmd = cli_json_str(j, "command", "?");
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(j, "request_id");
    const char *id = cJSON_IsString(rid) ? rid->valuestring : "";
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"));
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(j, "result");
    pthread_mutex_lock(&m->mu);
    m->messages++;
    if (ok && strcmp(cmd, "status") == 0 && cJSON_IsObject(result)) {
        take_status_answer(m, result);
    }
    /* The view's own refreshes (request ids "view-bg-…") are not news. */
    if (strncmp(id, "view-bg-", 8) != 0) {
        char text[160], *r = result ? cJSON_PrintUnformatted(result) : NULL;
        if (ok) {
            snprintf(text, sizeof text, "answer %s%s%s: ok%s%.100s", cmd, id[0] ? " " : "", id,
                     r ? " " : "", r ? r : "");
        } else {
            snprintf(text, sizeof text, "answer %s%s%s: FAILED: %s", cmd, id[0] ? " " : "", id,
                     cli_json_str(j, "error", "?"));
        }
        cJSON_free(r);
        add_event(m, text);
    }
    pthread_mutex_unlock(&m->mu);
    cJSON_Delete(j);
}

void view_source_rates(const view_source *s, double now, double stale_s, double *fps,
                       double *dets_per_s)
{
    *fps = *dets_per_s = 0;
    size_t n = s->narrivals < VIEW_RATE_WINDOW ? s->narrivals : VIEW_RATE_WINDOW;
    if (n < 2) {
        return;
    }
    size_t newest = (s->narrivals - 1) % VIEW_RATE_WINDOW;
    size_t oldest = s->narrivals < VIEW_RATE_WINDOW ? 0 : s->narrivals % VIEW_RATE_WINDOW;
    double span = s->arrivals[newest] - s->arrivals[oldest];
    if (span <= 0 || now - s->arrivals[newest] > stale_s) {
        return;
    }
    double dets = 0;
    for (size_t i = 0; i < n; i++) {
        dets += i == oldest ? 0 : s->counts[i]; /* Those after the oldest, over the span. */
    }
    *fps = (double)(n - 1) / span;
    *dets_per_s = dets / span;
}
