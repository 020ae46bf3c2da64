/* The fleet: every node on the broker, found by its messages (see cli_fleet.h). */
#include "cli_fleet.h"

#include "clock.h"

#include <stdio.h>
#include <string.h>

static int on_message(mqp_client *c, const mqp_message *msg, void *user)
{
    (void)c;
    const fleet_sub *s = user;
    char node[128] = "";
    if (s->sys) {
        exp_model_sys(s->m, msg->topic, msg->payload, msg->payload_len);
        return 0;
    }
    if (!s->take) {
        const char *slash = strrchr(msg->topic, '/');
        exp_model_health(s->m, slash ? slash + 1 : msg->topic, msg->payload, msg->payload_len);
        return 0;
    }
    if (s->namespaced) {
        const char *a = strchr(msg->topic, '/'), *b = a ? strchr(a + 1, '/') : NULL;
        if (!b || (size_t)(b - a - 1) >= sizeof node) {
            return 0;
        }
        memcpy(node, a + 1, (size_t)(b - a - 1));
        node[b - a - 1] = '\0';
    }
    s->take(s->m, node, msg->payload, msg->payload_len);
    return 0;
}

bool cli_fleet_subscribe(cli_session *ss, exp_model *m, unsigned what, fleet_sub subs[FLEET_SUBS])
{
    static cli_feed_topics t;
    if (!cli_feed_topics_of(&ss->s, &t)) {
        return false;
    }
    static const struct {
        cli_feed feed;
        unsigned flag; /* 0: always. */
        const char *plane, *name;
        void (*take)(exp_model *m, const char *node, const char *payload, size_t len);
    } feeds[] = {
        {CLI_FEED_STATUS, 0, "control", "status", exp_model_status},
        {CLI_FEED_METRICS, FLEET_METRICS, "data", "metrics", exp_model_metrics},
        {CLI_FEED_DETECTIONS, FLEET_DETECTIONS, "data", "detections", exp_model_detections}};
    static char namespaced[3][256];
    size_t k = 0;
    for (size_t i = 0; i < 3; i++) {
        char err[MQP_TOPICS_ERRLEN];
        if (feeds[i].flag && !(what & feeds[i].flag)) {
            continue;
        }
        if (!cli_node_topic("+", feeds[i].plane, feeds[i].name, MQP_TOPIC_FILTER, namespaced[i],
                            sizeof namespaced[i], err, sizeof err)) {
            fprintf(stderr, "mqplane: %s\n", err);
            return false;
        }
        subs[k] = (fleet_sub){m, feeds[i].take, false, false};
        mqp_client_subscribe(ss->client, t.topic[feeds[i].feed], t.qos[feeds[i].feed], on_message,
                             &subs[k++]);
        subs[k] = (fleet_sub){m, feeds[i].take, true, false};
        mqp_client_subscribe(ss->client, namespaced[i], t.qos[feeds[i].feed], on_message,
                             &subs[k++]);
    }
    if (what & FLEET_HEALTH) {
        subs[k] = (fleet_sub){m, NULL, false, false};
        mqp_client_subscribe(ss->client, t.topic[CLI_FEED_HEALTH], 1, on_message, &subs[k++]);
    }
    if (what & FLEET_SYS) {
        subs[k] = (fleet_sub){m, NULL, false, true};
        mqp_client_subscribe(ss->client, "$SYS/broker/#", 0, on_message, &subs[k]);
    }
    return true;
}

void cli_fleet_settle(cli_session *ss, exp_model *m, int quiet_ms, int max_ms)
{
    int64_t start = mqpx_mono_ms(), changed = start;
    (void)mqp_client_sync(ss->client, max_ms); /* The SUBACKs: what is retained comes next. */
    size_t seen = (size_t)-1;
    while (mqpx_mono_ms() - start < max_ms) {
        pthread_mutex_lock(&m->mu);
        size_t n = m->nnodes;
        pthread_mutex_unlock(&m->mu);
        if (n != seen) {
            seen = n;
            changed = mqpx_mono_ms();
        } else if (mqpx_mono_ms() - changed >= quiet_ms) {
            return;
        }
        mqpx_sleep_ms(10);
    }
}

const char *cli_fleet_name(const char *id)
{
    return *id ? id : "default";
}
