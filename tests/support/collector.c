#define _GNU_SOURCE
#include "collector.h"

#include "broker.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

collector *collector_new(void)
{
    collector *c = calloc(1, sizeof *c);
    assert_non_null(c);
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void collector_free(collector *c)
{
    if (c) {
        pthread_mutex_destroy(&c->mu);
        free(c);
    }
}

int collector_cb(mqp_client *client, const mqp_message *msg, void *user)
{
    (void)client;
    collector *c = user;
    while (atomic_load(&c->hold)) {
        mqpx_sleep_ms(1);
    }
    if (c->block_ms) {
        mqpx_sleep_ms(c->block_ms);
    }
    pthread_mutex_lock(&c->mu);
    if (c->n < COLLECTOR_MAX) {
        collected *it = &c->items[c->n++];
        snprintf(it->topic, sizeof it->topic, "%s", msg->topic);
        snprintf(it->payload, sizeof it->payload, "%.*s", (int)msg->payload_len,
                 (const char *)msg->payload);
        it->qos = msg->qos;
        it->retain = msg->retain;
        it->thread = pthread_self();
    }
    pthread_mutex_unlock(&c->mu);
    return c->result;
}

size_t collector_count(collector *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    return n;
}

collected collector_get(collector *c, size_t i)
{
    pthread_mutex_lock(&c->mu);
    collected it = c->items[i];
    pthread_mutex_unlock(&c->mu);
    return it;
}

void collector_release(collector *c)
{
    atomic_store(&c->hold, false);
}

static void print_log(mqp_log_level level, const char *msg, void *user)
{
    (void)user;
    if (level <= MQP_LOG_WARNING || getenv("MQP_TEST_VERBOSE")) {
        fprintf(stderr, "  [%s] %s\n", mqp_log_level_name(level), msg);
    }
}

mqp_client_opts test_opts(const char *url, const char *id)
{
    mqp_client_opts o = {0};
    o.url = url;
    o.client_id = id;
    o.log_cb = print_log;
    o.log_level = MQP_LOG_DEBUG;
    o.reconnect_min_ms = 100;
    o.reconnect_max_ms = 400;
    return o;
}

mqp_client *test_client(const mqp_client_opts *o)
{
    mqp_client *c = NULL;
    char err[256];
    mqp_err rc = mqp_client_new_err(&c, o, err, sizeof err);
    if (rc != MQP_OK) {
        fail_msg("mqp_client_new(%s): %s: %s", o->url, mqp_err_name(rc), err);
    }
    rc = mqp_client_connect(c, 5000);
    if (rc != MQP_OK) {
        mqp_client_last_error(c, err, sizeof err);
        fail_msg("mqp_client_connect(%s): %s: %s", o->url, mqp_err_name(rc), err);
    }
    return c;
}
