/* The application heartbeat: a QoS 0 beat on system/keepalive/<client_id> every interval. The
 * client subscribes to its own beat, so a beat that does not come back within the interval
 * proves the path through the broker is broken even when TCP still looks alive (a silent
 * blackhole). After heartbeat_misses such beats in a row the connection is forced down and
 * rebuilt. */
#include "client_internal.h"

#include "clock.h"
#include "sync.h"

#include <stdio.h>

void *mqp__heartbeat_main(void *arg)
{
    mqp_client *c = arg;
    int misses = 0;
    bool awaiting = false;
    uint64_t beat = 0;
    pthread_mutex_lock(&c->mu);
    while (!c->heartbeat_stop) {
        struct timespec deadline = mqpx_deadline_in(c->opts.heartbeat_ms);
        while (!c->heartbeat_stop && pthread_cond_timedwait(&c->changed, &c->mu, &deadline) == 0) {
        }
        if (c->heartbeat_stop) {
            break;
        }
        bool connected = c->connected;
        pthread_mutex_unlock(&c->mu);

        bool echoed = atomic_exchange(&c->heartbeat_echo, false);
        if (connected && awaiting && !echoed) {
            misses++;
            atomic_fetch_add(&c->n.heartbeats_missed, 1);
            mqp__log(&c->logger, MQP_LOG_WARNING, "heartbeat %llu did not come back (%d/%d)",
                     (unsigned long long)beat, misses, c->opts.heartbeat_misses);
            if (misses >= c->opts.heartbeat_misses) {
                mqp__log(&c->logger, MQP_LOG_WARNING, "heartbeat watchdog: reconnecting");
                c->transport->ops->force_reconnect(c->transport);
                misses = 0;
            }
        } else if (echoed) {
            misses = 0;
        }
        awaiting = false;
        if (connected) {
            char payload[96];
            int n = snprintf(payload, sizeof payload, "{\"ok\":true,\"seq\":%llu,\"ts\":%.3f}",
                             (unsigned long long)++beat, mqpx_wall_s());
            if (c->transport->ops->publish(c->transport, c->keepalive_topic, payload, (size_t)n, 0,
                                           false, NULL) == MQP_OK) {
                atomic_fetch_add(&c->n.heartbeats_sent, 1);
                awaiting = true;
            }
        }
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}
