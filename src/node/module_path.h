/* Where the node's modules lie (the video sources, the built-in detectors): shared objects it
 * loads only when a spec needs them, looked for in a list of folders. */
#ifndef NODE_MODULE_PATH_H
#define NODE_MODULE_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* The first of dirs[0..n) holding NAME.so, into path. A NULL or empty entry is skipped (an
 * unset variable); one starting "@exe/" is relative to the running executable's folder. When
 * none has it, false, and tried lists the folders looked in. */
bool module_find(const char *const *dirs, size_t n, const char *name, char *path, size_t len,
                 char *tried, size_t tlen);

#endif
