/* The reserved space of options structs (see MQP_RESERVED_WORDS in common.h). */
#ifndef MQP_RESERVED_H
#define MQP_RESERVED_H

#include "fail.h"

#include <stddef.h>
#include <stdint.h>

/* MQP_OK when every word of reserved is zero; else MQP_ERR_INVALID with a message naming what
 * and the first word set. */
static inline mqp_err mqp__check_reserved(const uint64_t *reserved, size_t n, const char *what,
                                          char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (reserved[i]) {
            return mqp__fail(err, errlen, MQP_ERR_INVALID,
                             "invalid %s: reserved word %zu is set (a program built against a "
                             "newer mqplane than this library, " MQP_VERSION_STRING "?)",
                             what, i);
        }
    }
    return MQP_OK;
}

#define MQP__CHECK_RESERVED(opts, what, err, errlen)                                               \
    mqp__check_reserved((opts)->reserved, sizeof(opts)->reserved / sizeof(opts)->reserved[0],      \
                        what, err, errlen)

#endif
