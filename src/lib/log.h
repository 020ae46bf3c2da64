/* The library's logger: formats a line and hands it to the user's callback, never prints. */
#ifndef MQP_LOG_H
#define MQP_LOG_H

#include "mqplane/common.h"

typedef struct mqp__logger {
    mqp_log_cb cb;
    void *user;
    mqp_log_level max_level; /* Lines above this level (less severe) are not formatted. */
    const char *prefix;      /* Usually the client id; borrowed. */
} mqp__logger;

void mqp__log(const mqp__logger *lg, mqp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
