/* The two backends every client integration test runs against: a real mosquitto and the
 * in-process memory:// broker. The same test bodies run on both. */
#ifndef MQP_TEST_FIXTURE_H
#define MQP_TEST_FIXTURE_H

#include "broker.h"
#include "check.h"
#include "collector.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct fixture {
    bool memory;
    test_broker broker;
    char url[96];
    int n; /* Makes ids and memory broker names unique per test. */
} fixture;

static inline int fixture_setup_mosquitto(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    broker_start(&f.broker, NULL);
    snprintf(f.url, sizeof f.url, "%s", f.broker.url);
    *state = &f;
    return 0;
}

static inline int fixture_setup_memory(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    f.memory = true;
    *state = &f;
    return 0;
}

static inline int fixture_teardown(void **state)
{
    fixture *f = *state;
    if (!f->memory) {
        broker_cleanup(&f->broker);
    }
    return 0;
}

/* A URL for one test: memory tests get a broker of their own. */
static inline const char *fixture_url(fixture *f)
{
    f->n++;
    if (f->memory) {
        snprintf(f->url, sizeof f->url, "memory://test-%d-%d", (int)getpid(), f->n);
    }
    return f->url;
}

#define RUN_ON_BOTH(tests)                                                                         \
    (cmocka_run_group_tests_name("mosquitto", tests, fixture_setup_mosquitto, fixture_teardown) |  \
     cmocka_run_group_tests_name("memory", tests, fixture_setup_memory, fixture_teardown))

#endif
