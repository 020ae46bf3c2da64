/* A loopback TCP proxy in front of a broker, for faults a broker alone cannot show:
 * - refuse_v5: drops a connection whose CONNECT asks for MQTT 5, as RabbitMQ's plugin does;
 * - freeze: stops forwarding on the open connections while keeping them open (a silent
 *   blackhole); new connections are forwarded normally. */
#ifndef MQP_TEST_PROXY_H
#define MQP_TEST_PROXY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct test_proxy {
    int listen_fd;
    int port;
    int upstream_port;
    char url[64];
    atomic_bool refuse_v5;
    atomic_int freeze_generation; /* Connections accepted before this generation freeze. */
    atomic_int generation;
    atomic_bool stop;
    atomic_int refused; /* MQTT 5 CONNECTs dropped. */
    atomic_int accepted;
    pthread_t thread;
    /* Its connection threads, joined by proxy_stop: none may outlive the proxy they read. */
    pthread_t conns[256];
    int nconns; /* Written by the accept thread only, read after it is joined. */
} test_proxy;

void proxy_start(test_proxy *p, int upstream_port);
/* Freezes every connection open now. */
void proxy_freeze_open_connections(test_proxy *p);
/* Lets every frozen connection move again, with what waited in its buffers. */
void proxy_thaw(test_proxy *p);
/* Stops accepting and joins every connection thread, so the proxy may go out of scope. */
void proxy_stop(test_proxy *p);

#endif
