#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void mqp__log(const mqp__logger *lg, mqp_log_level level, const char *fmt, ...)
{
    if (!lg || !lg->cb || level > lg->max_level) {
        return;
    }
    char line[1024];
    int off = 0;
    if (lg->prefix) {
        off = snprintf(line, sizeof line, "[%s] ", lg->prefix);
        if (off < 0 || (size_t)off >= sizeof line) {
            off = 0;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + off, sizeof line - (size_t)off, fmt, ap);
    va_end(ap);
    lg->cb(level, line, lg->user);
}
