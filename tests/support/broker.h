/* A real mosquitto for integration tests: a free loopback port, a private directory, started
 * and stopped by its pid. Restartable on the same port with the same persistence. */
#ifndef MQP_TEST_BROKER_H
#define MQP_TEST_BROKER_H

#include "clock.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct test_broker {
    pid_t pid;
    int port;
    char dir[256];
    char conf[300];
    char log[300];
    char url[64];
} test_broker;

/* Starts mosquitto; extra_conf is appended to the generated config (may be NULL). Calls
 * cmocka's fail() if it does not come up. */
void broker_start(test_broker *b, const char *extra_conf);
/* Stops it with SIGTERM (persistence is saved) and waits for it. */
void broker_stop(test_broker *b);
/* Kills it with SIGKILL and waits. */
void broker_kill(test_broker *b);
/* Starts it again on the same port with the same config. */
void broker_restart(test_broker *b);
/* Rewrites the config with other listener lines and starts it, waiting for wait_port. */
void broker_restart_with(test_broker *b, const char *listeners, int wait_port);
/* A free loopback port. */
int broker_free_port(void);
/* Stops it if running and removes its directory. */
void broker_cleanup(test_broker *b);
/* Whether the broker log contains s. */
bool broker_log_contains(const test_broker *b, const char *s);

/* Polls cond every 5 ms until true or timeout; returns its last value. */
#define wait_for(cond, timeout_ms)                                                                 \
    ({                                                                                             \
        int64_t until_ = mqpx_mono_ms() + (timeout_ms);                                            \
        while (!(cond) && mqpx_mono_ms() < until_) {                                               \
            mqpx_sleep_ms(5);                                                                      \
        }                                                                                          \
        (cond);                                                                                    \
    })

#endif
