#define _DEFAULT_SOURCE
#include "module_path.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool module_find(const char *const *dirs, size_t n, const char *name, char *path, size_t len,
                 char *tried, size_t tlen)
{
    char exe[1024];
    ssize_t got = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = got > 0 ? (exe[got] = '\0', strrchr(exe, '/')) : NULL;
    if (slash) {
        *slash = '\0';
    }
    size_t used = 0;
    tried[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char dir[1200];
        if (!dirs[i] || !dirs[i][0]) {
            continue;
        }
        if (strncmp(dirs[i], "@exe/", 5) == 0) {
            if (!slash) {
                continue;
            }
            snprintf(dir, sizeof dir, "%s/%s", exe, dirs[i] + 5);
        } else {
            snprintf(dir, sizeof dir, "%s", dirs[i]);
        }
        int w = snprintf(path, len, "%s/%s.so", dir, name);
        if (w > 0 && (size_t)w < len && access(path, R_OK) == 0) {
            return true;
        }
        if (used < tlen) {
            int k = snprintf(tried + used, tlen - used, "%s%s", used ? ", " : "", dir);
            used += k > 0 ? (size_t)k : 0;
        }
    }
    return false;
}
