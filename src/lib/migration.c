/* A topic-layout migration seen through (include/mqplane/migration.h): templates subscribed and
 * published on every live layout, what comes and goes on each counted, and a watcher thread
 * that says on the client's log how much still comes on the previous layout and when it has
 * fallen silent. */
#include "mqplane/migration.h"

#include "alloc.h"
#include "client_internal.h"
#include "clock.h"
#include "reserved.h"
#include "sync.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FROM_MAX         12 /* Kinds named per notice (seed 04 has 12); the rest are "other". */
#define FROM_LEN         40 /* A kind's name, cut. */
#define FILTER_LEN       512
#define LINES_MAX        (MQP_MIGRATION_TEMPLATES_MAX + 1)
#define LINE_LEN         512
#define DEFAULT_NOTICE_S 60
#define DEFAULT_QUIET_S  600

typedef struct from_count {
    char name[FROM_LEN];
    uint64_t n;
} from_count;

typedef struct tmpl_stat {
    char name[MQP_MIGRATION_NAME_MAX];
    uint64_t received[2], sent[2];
    double last_previous; /* Monotonic seconds of the latest on the previous layout; 0: none. */
    uint64_t window;      /* Messages on the previous layout since the last notice. */
    from_count from[FROM_MAX];
    size_t nfrom;
    uint64_t from_other;
} tmpl_stat;

/* One filter of the migration's, and how to name what arrives on it. */
typedef struct msub {
    pthread_mutex_t mu; /* Guards m, which mqp_migration_free() clears. Never destroyed: the
                           client frees the msub at its destroy (a plain mutex needs nothing). */
    mqp_migration *m;
    size_t tmpl;
    int layout;         /* 0 current, 1 previous. */
    size_t hash_levels; /* Levels before a trailing '#': the rest names the message; or 0. */
    mqp_handler_cb cb;
    void *user;
    char filter[FILTER_LEN];
} msub;

struct mqp_migration {
    mqp_client *c;
    mqp_topics t;
    int notice_s, quiet_s;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* Signalled to stop the watcher. */
    pthread_t watcher;
    bool watching, stop;
    tmpl_stat tmpl[MQP_MIGRATION_TEMPLATES_MAX];
    size_t ntmpl;
    msub *subs[2 * MQP_MIGRATION_TEMPLATES_MAX];
    size_t nsubs;
    double quiet_from;  /* Silence counts from here: the first subscription, or the latest
                           message on the previous layout. 0: nothing subscribed yet. */
    double last_notice; /* When the windows were last reported and reset. */
    bool declared;      /* The quiet line was said, and nothing came since. */
    unsigned gen;       /* Bumped when the watcher's deadline changes (and on stop). */
    char lines[LINES_MAX][LINE_LEN]; /* The watcher's, formatted under mu, logged outside it. */
};

static const char *layout_label(const char *version)
{
    return *version ? "previous" : "legacy";
}

static void duration(char *out, size_t cap, double s)
{
    if (s < 120) {
        snprintf(out, cap, "%.0f s", s);
    } else if (s < 7200) {
        snprintf(out, cap, "%.0f min", s / 60);
    } else {
        snprintf(out, cap, "%.1f h", s / 3600);
    }
}

/* What names a message in the notices: the part of its topic a trailing '#' matched, else its
 * last level. */
static void kind_of(const char *topic, size_t hash_levels, char *out, size_t cap)
{
    const char *p = topic;
    if (hash_levels) {
        for (size_t i = 0; i < hash_levels && p; i++) {
            p = strchr(p, '/');
            p = p ? p + 1 : NULL;
        }
    } else {
        const char *slash = strrchr(topic, '/');
        p = slash ? slash + 1 : topic;
    }
    snprintf(out, cap, "%s", p && *p ? p : topic);
}

static void count_kind(tmpl_stat *ts, const char *kind)
{
    for (size_t i = 0; i < ts->nfrom; i++) {
        if (strcmp(ts->from[i].name, kind) == 0) {
            ts->from[i].n++;
            return;
        }
    }
    if (ts->nfrom < FROM_MAX) {
        snprintf(ts->from[ts->nfrom].name, FROM_LEN, "%s", kind);
        ts->from[ts->nfrom++].n = 1;
    } else {
        ts->from_other++;
    }
}

/* The notice of one template's window; resets it. Under mu. */
static void window_line(mqp_migration *m, tmpl_stat *ts, double seconds, char *line, size_t cap)
{
    char span[32];
    duration(span, sizeof span, seconds);
    int o = snprintf(line, cap, "%s: %llu message%s on layout '%s' (%s) in the last %s, from ",
                     ts->name, (unsigned long long)ts->window, ts->window == 1 ? "" : "s",
                     m->t.previous_version, layout_label(m->t.previous_version), span);
    bool counts = ts->nfrom > 1 || ts->from_other;
    for (size_t i = 0; i < ts->nfrom && o > 0 && (size_t)o < cap; i++) {
        o += counts ? snprintf(line + o, cap - (size_t)o, "%s%s (%llu)", i ? ", " : "",
                               ts->from[i].name, (unsigned long long)ts->from[i].n)
                    : snprintf(line + o, cap - (size_t)o, "%s", ts->from[i].name);
    }
    if (ts->from_other && o > 0 && (size_t)o < cap) {
        snprintf(line + o, cap - (size_t)o, ", other (%llu)", (unsigned long long)ts->from_other);
    }
    ts->window = 0;
    ts->nfrom = 0;
    ts->from_other = 0;
}

static void *watch(void *arg)
{
    mqp_migration *m = arg;
    char(*lines)[LINE_LEN] = m->lines;
    pthread_mutex_lock(&m->mu);
    while (!m->stop) {
        double now = mqpx_mono_s();
        size_t n = 0;
        if (now - m->last_notice >= m->notice_s) {
            for (size_t i = 0; i < m->ntmpl; i++) {
                if (m->tmpl[i].window) {
                    window_line(m, &m->tmpl[i], now - m->last_notice, lines[n++], LINE_LEN);
                }
            }
            m->last_notice = now;
        }
        if (m->quiet_from > 0 && !m->declared && now - m->quiet_from >= m->quiet_s) {
            char span[32];
            duration(span, sizeof span, now - m->quiet_from);
            snprintf(lines[n++], LINE_LEN,
                     "no traffic on the previous layout '%s' (%s) for %s: it can be dropped",
                     m->t.previous_version, layout_label(m->t.previous_version), span);
            m->declared = true;
        }
        pthread_mutex_unlock(&m->mu);
        for (size_t i = 0; i < n; i++) {
            mqp__log(&m->c->logger, MQP_LOG_NOTICE, "%s", lines[i]);
        }
        pthread_mutex_lock(&m->mu);
        double next = m->last_notice + m->notice_s;
        if (m->quiet_from > 0 && !m->declared) {
            next = fmin(next, m->quiet_from + m->quiet_s);
        }
        int64_t ms = (int64_t)ceil((next - mqpx_mono_s()) * 1000.0);
        struct timespec deadline = mqpx_deadline_in(ms > 0 ? ms : 1);
        unsigned gen = m->gen;
        while (!m->stop && gen == m->gen &&
               pthread_cond_timedwait(&m->cv, &m->mu, &deadline) == 0) {
        }
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

mqp_err mqp_migration_new(mqp_migration **out, mqp_client *c, const mqp_topics *t,
                          const mqp_migration_opts *opts)
{
    mqp_migration_opts o = opts ? *opts : (mqp_migration_opts){0};
    if (!out || !c || !t || o.notice_interval_s < 0 || o.quiet_s < 0 ||
        mqp__check_reserved(o.reserved, sizeof o.reserved / sizeof o.reserved[0],
                            "migration options", NULL, 0) != MQP_OK) {
        return MQP_ERR_INVALID;
    }
    mqp_migration *m = mqp__calloc(1, sizeof *m);
    if (!m) {
        return MQP_ERR_NOMEM;
    }
    m->c = c;
    m->t = *t;
    m->notice_s = o.notice_interval_s ? o.notice_interval_s : DEFAULT_NOTICE_S;
    m->quiet_s = o.quiet_s ? o.quiet_s : DEFAULT_QUIET_S;
    m->last_notice = mqpx_mono_s();
    pthread_mutex_init(&m->mu, NULL);
    mqpx_cond_init_monotonic(&m->cv);
    if (t->migrating) {
        if (pthread_create(&m->watcher, NULL, watch, m) != 0) {
            mqp__log(&c->logger, MQP_LOG_ERR, "migration: cannot start its watcher thread");
            pthread_cond_destroy(&m->cv);
            pthread_mutex_destroy(&m->mu);
            mqp__free(m);
            return MQP_ERR_NOMEM;
        }
        m->watching = true;
    }
    *out = m;
    return MQP_OK;
}

/* The index of a template name, added if new; SIZE_MAX when full or the name is bad. Under mu. */
static size_t tmpl_index(mqp_migration *m, const char *name)
{
    if (!name || !*name || strlen(name) >= MQP_MIGRATION_NAME_MAX) {
        return SIZE_MAX;
    }
    for (size_t i = 0; i < m->ntmpl; i++) {
        if (strcmp(m->tmpl[i].name, name) == 0) {
            return i;
        }
    }
    if (m->ntmpl == MQP_MIGRATION_TEMPLATES_MAX) {
        return SIZE_MAX;
    }
    memset(&m->tmpl[m->ntmpl], 0, sizeof m->tmpl[0]);
    snprintf(m->tmpl[m->ntmpl].name, MQP_MIGRATION_NAME_MAX, "%s", name);
    return m->ntmpl++;
}

static int on_message(mqp_client *c, const mqp_message *msg, void *user)
{
    msub *s = user;
    char kind[FROM_LEN], back[LINE_LEN] = "";
    pthread_mutex_lock(&s->mu);
    mqp_migration *m = s->m;
    if (!m) {
        pthread_mutex_unlock(&s->mu);
        return 0; /* Came in as the migration was freed: unsubscribed, so not delivered. */
    }
    mqp_handler_cb cb = s->cb;
    void *cb_user = s->user;
    pthread_mutex_lock(&m->mu);
    tmpl_stat *ts = &m->tmpl[s->tmpl];
    ts->received[s->layout]++;
    if (s->layout == 1) {
        double now = mqpx_mono_s();
        ts->last_previous = now;
        m->quiet_from = now;
        ts->window++;
        kind_of(msg->topic, s->hash_levels, kind, sizeof kind);
        count_kind(ts, kind);
        if (m->declared) {
            m->declared = false;
            snprintf(back, sizeof back,
                     "%s: traffic on the previous layout '%s' (%s) again, from %s: it cannot be "
                     "dropped yet",
                     ts->name, m->t.previous_version, layout_label(m->t.previous_version), kind);
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (back[0]) {
        mqp__log(&m->c->logger, MQP_LOG_NOTICE, "%s", back);
    }
    /* The handler runs under s->mu: mqp_migration_free() waits for it, so none runs after. */
    int rc = cb ? cb(c, msg, cb_user) : 0;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Levels before a filter's trailing '#', or 0 without one. */
static size_t levels_before_hash(const char *filter)
{
    size_t len = strlen(filter), levels = 0;
    if (len < 1 || filter[len - 1] != '#' || (len > 1 && filter[len - 2] != '/')) {
        return 0;
    }
    for (size_t i = 0; i + 1 < len; i++) {
        levels += filter[i] == '/';
    }
    return levels;
}

/* A template in every live layout: current first. */
typedef struct layouts {
    char a[FILTER_LEN], b[FILTER_LEN];
    char *outs[2];
    size_t n;
} layouts;

static mqp_err build(const mqp_migration *m, const char *tmpl, const mqp_topic_var *vars,
                     size_t nvars, mqp_topic_kind kind, layouts *l, char *err, size_t errlen)
{
    if (!m || !tmpl) {
        return MQP_ERR_INVALID;
    }
    l->outs[0] = l->a;
    l->outs[1] = l->b;
    l->n = 0;
    return mqp_topics_build(&m->t, tmpl, vars, nvars, kind, l->outs, FILTER_LEN, &l->n, err,
                            errlen);
}

mqp_err mqp_migration_subscribe(mqp_migration *m, const char *name, const char *tmpl,
                                const mqp_topic_var *vars, size_t nvars, int qos, mqp_handler_cb cb,
                                void *user, char *err, size_t errlen)
{
    layouts l;
    mqp_err rc = build(m, tmpl, vars, nvars, MQP_TOPIC_FILTER, &l, err, errlen);
    if (rc != MQP_OK) {
        return rc;
    }
    size_t n = l.n;
    char *const *outs = l.outs;
    msub *subs[2] = {NULL, NULL};
    for (size_t i = 0; i < n; i++) {
        subs[i] = mqp__calloc(1, sizeof *subs[i]);
        if (!subs[i]) {
            mqp__free(subs[0]);
            return MQP_ERR_NOMEM;
        }
    }
    pthread_mutex_lock(&m->mu);
    size_t ti = tmpl_index(m, name);
    bool bad_name = ti == SIZE_MAX && m->ntmpl < MQP_MIGRATION_TEMPLATES_MAX;
    if (ti == SIZE_MAX || m->nsubs + n > sizeof m->subs / sizeof m->subs[0]) {
        pthread_mutex_unlock(&m->mu);
        mqp__free(subs[0]);
        mqp__free(subs[1]);
        if (err && errlen && bad_name) {
            snprintf(err, errlen, "template name '%s': empty or too long", name ? name : "");
        } else if (err && errlen) {
            snprintf(err, errlen, "migration: more than %d templates", MQP_MIGRATION_TEMPLATES_MAX);
        }
        return bad_name ? MQP_ERR_INVALID : MQP_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < n; i++) {
        msub *s = subs[i];
        *s = (msub){.m = m, .tmpl = ti, .layout = (int)i, .cb = cb, .user = user};
        pthread_mutex_init(&s->mu, NULL);
        snprintf(s->filter, sizeof s->filter, "%s", outs[i]);
        s->hash_levels = levels_before_hash(s->filter);
        m->subs[m->nsubs++] = s; /* Kept even if subscribing fails: handed over at free. */
    }
    pthread_mutex_unlock(&m->mu);
    for (size_t i = 0; i < n; i++) {
        rc = mqp_client_subscribe(m->c, subs[i]->filter, qos, on_message, subs[i]);
        if (rc != MQP_OK) {
            if (err && errlen) {
                snprintf(err, errlen, "cannot subscribe to %s: %s", subs[i]->filter,
                         mqp_strerror(rc));
            }
            return rc;
        }
    }
    pthread_mutex_lock(&m->mu);
    if (m->t.migrating && m->quiet_from == 0) {
        m->quiet_from = mqpx_mono_s();
        m->gen++;
        pthread_cond_broadcast(&m->cv); /* The watcher has a quiet time to wait for now. */
    }
    pthread_mutex_unlock(&m->mu);
    return MQP_OK;
}

mqp_err mqp_migration_publish(mqp_migration *m, const char *name, const char *tmpl,
                              const mqp_topic_var *vars, size_t nvars, const void *payload,
                              size_t len, int qos, bool retain, char *err, size_t errlen)
{
    layouts l;
    mqp_err rc = build(m, tmpl, vars, nvars, MQP_TOPIC_NAME, &l, err, errlen);
    if (rc != MQP_OK) {
        return rc;
    }
    size_t n = l.n;
    char *const *outs = l.outs;
    pthread_mutex_lock(&m->mu);
    size_t ti = tmpl_index(m, name);
    pthread_mutex_unlock(&m->mu);
    if (ti == SIZE_MAX) {
        if (err && errlen) {
            snprintf(err, errlen, "template name '%s': empty, too long, or one too many",
                     name ? name : "");
        }
        return MQP_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        rc = mqp_client_publish(m->c, outs[i], payload, len, qos, retain);
        if (rc != MQP_OK) {
            if (err && errlen) {
                snprintf(err, errlen, "publish to %s: %s", outs[i], mqp_strerror(rc));
            }
            return rc;
        }
        pthread_mutex_lock(&m->mu);
        m->tmpl[ti].sent[i]++;
        pthread_mutex_unlock(&m->mu);
    }
    return MQP_OK;
}

size_t mqp_migration_stats(mqp_migration *m, mqp_migration_stat *out, size_t cap)
{
    if (!m) {
        return 0;
    }
    double now = mqpx_mono_s();
    pthread_mutex_lock(&m->mu);
    size_t n = m->ntmpl;
    for (size_t i = 0; out && i < n && i < cap; i++) {
        const tmpl_stat *ts = &m->tmpl[i];
        out[i] = (mqp_migration_stat){.received = {ts->received[0], ts->received[1]},
                                      .sent = {ts->sent[0], ts->sent[1]},
                                      .previous_age_s =
                                          ts->last_previous > 0 ? now - ts->last_previous : -1};
        snprintf(out[i].name, sizeof out[i].name, "%s", ts->name);
    }
    pthread_mutex_unlock(&m->mu);
    return n;
}

bool mqp_migration_droppable(mqp_migration *m)
{
    if (!m) {
        return false;
    }
    pthread_mutex_lock(&m->mu);
    bool quiet = m->t.migrating && m->quiet_from > 0 && mqpx_mono_s() - m->quiet_from >= m->quiet_s;
    pthread_mutex_unlock(&m->mu);
    return quiet;
}

void mqp_migration_free(mqp_migration *m)
{
    if (!m) {
        return;
    }
    if (m->watching) {
        pthread_mutex_lock(&m->mu);
        m->stop = true;
        pthread_cond_broadcast(&m->cv);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->watcher, NULL);
    }
    /* The dispatch thread may have taken a filter's handler just before it was unsubscribed and
     * call it after: each msub is cut from m first, and left to the client to free at destroy. */
    for (size_t i = 0; i < m->nsubs; i++) {
        msub *s = m->subs[i];
        (void)mqp_client_unsubscribe(m->c, s->filter);
        pthread_mutex_lock(&s->mu);
        s->m = NULL;
        pthread_mutex_unlock(&s->mu);
        mqp__client_keep_until_destroy(m->c, s);
    }
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    mqp__free(m);
}
