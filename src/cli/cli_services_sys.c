/* mqplane services status: the broker's own figures from $SYS/broker/ (seed 03, "Monitoring
 * and Alerting": uptime, clients, throughput, retained and stored messages, heap), read as
 * the exporter reads them (cli_exporter_model.c), over a short connection of its own: on the
 * dev profile's port, or as the monitor identity on prod's loopback port. */
#define _GNU_SOURCE
#include "cli.h"
#include "cli_exporter_model.h"
#include "cli_services.h"

#include "clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYS_WAIT_MS 1500 /* mosquitto retains its $SYS figures: they come at once if at all. */

/* The broker's bridges, from $SYS/broker/connection/<name>/state (1 up, 0 down; retained). */
#define BRIDGES_MAX 8
static struct {
    pthread_mutex_t mu;
    char name[BRIDGES_MAX][96];
    bool up[BRIDGES_MAX];
    size_t n;
} bridges = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void take_bridge(const mqp_message *msg)
{
    static const char prefix[] = "$SYS/broker/connection/", suffix[] = "/state";
    size_t len = strlen(msg->topic);
    if (strncmp(msg->topic, prefix, sizeof prefix - 1) != 0 || len < sizeof prefix + 5 ||
        strcmp(msg->topic + len - (sizeof suffix - 1), suffix) != 0) {
        return;
    }
    int name_len = (int)(len - (sizeof prefix - 1) - (sizeof suffix - 1));
    pthread_mutex_lock(&bridges.mu);
    size_t i = 0;
    while (i < bridges.n &&
           strncmp(bridges.name[i], msg->topic + sizeof prefix - 1, (size_t)name_len) != 0) {
        i++;
    }
    if (i < BRIDGES_MAX) {
        snprintf(bridges.name[i], sizeof bridges.name[i], "%.*s", name_len,
                 msg->topic + sizeof prefix - 1);
        bridges.up[i] = msg->payload_len > 0 && ((const char *)msg->payload)[0] == '1';
        bridges.n = i == bridges.n ? i + 1 : bridges.n;
    }
    pthread_mutex_unlock(&bridges.mu);
}

static int on_sys(mqp_client *c, const mqp_message *msg, void *user)
{
    (void)c;
    take_bridge(msg);
    exp_model_sys(user, msg->topic, msg->payload, msg->payload_len);
    return 0;
}

static void print_bridges(void)
{
    pthread_mutex_lock(&bridges.mu);
    for (size_t i = 0; i < bridges.n; i++) {
        printf("  bridge %s: %s\n", bridges.name[i],
               bridges.up[i] ? "up" : "DOWN (the central broker is not reachable)");
    }
    pthread_mutex_unlock(&bridges.mu);
}

/* MQTT_PASSWORD_MONITOR from DIR/passwords.env, into out. */
static bool monitor_password(const svc *s, char *out, size_t len)
{
    char path[PATH_MAX], line[512];
    svc_path(path, s, "passwords.env");
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) {
        static const char key[] = "MQTT_PASSWORD_MONITOR=";
        if (strncmp(line, key, sizeof key - 1) == 0) {
            line[strcspn(line, "\r\n")] = '\0';
            snprintf(out, len, "%s", line + sizeof key - 1);
            found = true;
        }
    }
    if (f) {
        fclose(f);
    }
    return found;
}

static void human_count(char *out, size_t len, double v)
{
    if (v >= 1e9) {
        snprintf(out, len, "%.1f G", v / 1e9);
    } else if (v >= 1e6) {
        snprintf(out, len, "%.1f M", v / 1e6);
    } else if (v >= 1e4) {
        snprintf(out, len, "%.1f k", v / 1e3);
    } else {
        snprintf(out, len, "%.0f", v);
    }
}

void svc_print_broker_figures(const svc *s)
{
    char url[64], password[512] = "";
    bool prod = svc_is_prod(s);
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", prod ? s->local_port : s->port);
    if (prod && !monitor_password(s, password, sizeof password)) {
        printf("  broker figures: no MQTT_PASSWORD_MONITOR in %s/passwords.env to read them\n",
               s->dir);
        return;
    }
    char id[64];
    snprintf(id, sizeof id, "mqplane-services-status-%d", (int)getpid());
    mqp_client_opts o = {.url = url,
                         .client_id = id,
                         .username = prod ? "monitor" : NULL,
                         .password = prod ? password : NULL,
                         .no_health = true,
                         .session_expiry_s = 1}; /* Nothing for the broker to keep after. */
    static exp_model m;
    exp_model_init(&m);
    mqp_client *c = NULL;
    char err[256] = "";
    if (mqp_client_new_err(&c, &o, err, sizeof err) != MQP_OK ||
        mqp_client_subscribe(c, "$SYS/broker/#", 0, on_sys, &m) != MQP_OK ||
        mqp_client_connect(c, 2000) != MQP_OK) {
        if (c) {
            mqp_client_last_error(c, err, sizeof err);
        }
        printf("  broker figures: cannot read them: %s\n", err);
        mqp_client_destroy(c);
        exp_model_free(&m);
        return;
    }
    /* Everything wanted is retained: wait for it, not for a fixed time. */
    int64_t until = mqpx_mono_ms() + SYS_WAIT_MS;
    for (bool all = false; !all && mqpx_mono_ms() < until; mqpx_sleep_ms(10)) {
        pthread_mutex_lock(&m.mu);
        all = m.broker.has[SYS_UPTIME] && m.broker.has[SYS_CLIENTS_CONNECTED] &&
              m.broker.has[SYS_MESSAGES_SENT] && m.broker.has[SYS_LOAD_SENT_1MIN] &&
              m.broker.has[SYS_STORED];
        pthread_mutex_unlock(&m.mu);
    }
    mqp_client_destroy(c);
    const exp_broker *b = &m.broker;
    if (b->last_seen == 0) {
        printf("  broker figures: none under $SYS/ within %.1f s: the broker does not publish "
               "them (sys_interval 0; RabbitMQ never does), or %s may not read $SYS/#\n",
               SYS_WAIT_MS / 1000.0, prod ? "the monitor identity" : "this client");
        exp_model_free(&m);
        return;
    }
    char up[32], rx[32], tx[32];
    cli_duration(up, sizeof up, b->v[SYS_UPTIME]);
    human_count(rx, sizeof rx, b->v[SYS_MESSAGES_RECEIVED]);
    human_count(tx, sizeof tx, b->v[SYS_MESSAGES_SENT]);
    printf("  broker: up %s; %.0f clients connected (at most %.0f); messages %s in, %s out", up,
           b->v[SYS_CLIENTS_CONNECTED], b->v[SYS_CLIENTS_MAXIMUM], rx, tx);
    if (b->has[SYS_LOAD_RECEIVED_1MIN]) {
        printf(" (last minute: %.1f/s in, %.1f/s out)", b->v[SYS_LOAD_RECEIVED_1MIN] / 60,
               b->v[SYS_LOAD_SENT_1MIN] / 60);
    }
    printf("; %.0f retained, %.0f stored", b->v[SYS_RETAINED], b->v[SYS_STORED]);
    if (b->has[SYS_HEAP]) {
        printf("; heap %.1f MB", b->v[SYS_HEAP] / 1e6);
    }
    printf("\n");
    print_bridges();
    exp_model_free(&m);
}
