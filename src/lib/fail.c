#include "fail.h"

#include <stdarg.h>
#include <stdio.h>

mqp_err mqp__fail(char *err, size_t errlen, mqp_err rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}
