/* Reporting a failure into a caller's optional error buffer. */
#ifndef MQP_FAIL_H
#define MQP_FAIL_H

#include "mqplane/common.h"

/* Formats the message into err (when err and errlen are given) and returns rc, so a failing
 * path reads: return mqp__fail(err, errlen, MQP_ERR_X, "what is wrong: %s", part); */
mqp_err mqp__fail(char *err, size_t errlen, mqp_err rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
