/* Error strings, log level names and the public memory helper. */
#include "mqplane/common.h"

#include "alloc.h"

#include <stdlib.h>
#include <strings.h>

const char *mqp_strerror(mqp_err err)
{
    switch (err) {
#define MQP__ERR_STR(name, value, msg)                                                             \
    case MQP_ERR_##name:                                                                           \
        return msg;
        MQP_ERR_LIST(MQP__ERR_STR)
#undef MQP__ERR_STR
    }
    return "unknown error";
}

const char *mqp_err_name(mqp_err err)
{
    switch (err) {
#define MQP__ERR_NAME(name, value, msg)                                                            \
    case MQP_ERR_##name:                                                                           \
        return "MQP_ERR_" #name;
        MQP_ERR_LIST(MQP__ERR_NAME)
#undef MQP__ERR_NAME
    }
    return "MQP_ERR_UNKNOWN";
}

static const struct {
    mqp_log_level level;
    const char *name;
} log_names[] = {
    {MQP_LOG_ERR, "error"}, {MQP_LOG_WARNING, "warning"}, {MQP_LOG_NOTICE, "notice"},
    {MQP_LOG_INFO, "info"}, {MQP_LOG_DEBUG, "debug"},
};

const char *mqp_log_level_name(mqp_log_level level)
{
    for (size_t i = 0; i < sizeof log_names / sizeof log_names[0]; i++) {
        if (log_names[i].level == level) {
            return log_names[i].name;
        }
    }
    return "unknown";
}

mqp_err mqp_log_level_parse(const char *name, mqp_log_level *out)
{
    if (!name || !out) {
        return MQP_ERR_INVALID;
    }
    for (size_t i = 0; i < sizeof log_names / sizeof log_names[0]; i++) {
        if (strcasecmp(name, log_names[i].name) == 0) {
            *out = log_names[i].level;
            return MQP_OK;
        }
    }
    if (strcasecmp(name, "warn") == 0) {
        *out = MQP_LOG_WARNING;
        return MQP_OK;
    }
    return MQP_ERR_INVALID;
}

void mqp_free(void *ptr)
{
    mqp__free(ptr);
}

const char *mqp_version(void)
{
    return MQP_VERSION_STRING;
}
