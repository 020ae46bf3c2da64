/* A handler that records what it receives, for assertions from the test thread. */
#ifndef MQP_TEST_COLLECTOR_H
#define MQP_TEST_COLLECTOR_H

#include "mqplane/client.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define COLLECTOR_MAX 4096

typedef struct collected {
    char topic[128];
    char payload[512];
    int qos;
    bool retain;
    pthread_t thread;
} collected;

typedef struct collector {
    pthread_mutex_t mu;
    size_t n;
    collected items[COLLECTOR_MAX];
    int result;       /* What the handler returns. */
    int block_ms;     /* Sleep this long in each call. */
    atomic_bool hold; /* While true, the handler waits (released by collector_release). */
} collector;

collector *collector_new(void);
void collector_free(collector *c);
int collector_cb(mqp_client *client, const mqp_message *msg, void *user);
size_t collector_count(collector *c);
/* A copy of item i (valid i < count). */
collected collector_get(collector *c, size_t i);
void collector_release(collector *c);
/* Opts for a test client on url with id and a log callback that prints warnings and errors. */
mqp_client_opts test_opts(const char *url, const char *id);
/* Creates and connects a client, failing the test if it cannot. */
mqp_client *test_client(const mqp_client_opts *o);

#endif
