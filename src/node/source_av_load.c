/* The video sources, from their module (video.so, source_av.c): FFmpeg, libavdevice and what
 * they pull in (librsvg, flite voices, x265, ...) are some 30 MB of libraries mapped into every
 * process that links them, so the node loads them the first time it opens a video source; a
 * node on the synthetic scene, and the operator tools, never do. */
#define _DEFAULT_SOURCE
#include "module_path.h"
#include "source.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static source_av_module_open_fn *module_open;
static char load_error[1400];

/* $MQPLANE_MODULE_DIR, else beside the executable as the build tree has it (src/cli/mqplane,
 * src/node/video.so), else as installed (bin/mqplane, <libdir>/mqplane/video.so), else the
 * configured install location, else this build's tree (its tests and tools). */
static void load(void)
{
    const char *dirs[] = {getenv("MQPLANE_MODULE_DIR"), "@exe/../node",
                          "@exe/../" MQP_MODULE_INSTALL_DIR, MQP_MODULE_INSTALL_FULL_DIR,
                          MQP_MODULE_BUILD_DIR};
    char path[1200], tried[1000];
    if (!module_find(dirs, sizeof dirs / sizeof dirs[0], "video", path, sizeof path, tried,
                     sizeof tried)) {
        snprintf(load_error, sizeof load_error,
                 "the video module (video.so) is not installed: looked in %s (set "
                 "MQPLANE_MODULE_DIR to the folder that holds it)",
                 tried);
        return;
    }
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!dl) {
        snprintf(load_error, sizeof load_error, "cannot load the video module: %s", dlerror());
        return;
    }
    void *entry = dlsym(dl, SOURCE_AV_MODULE_ENTRY);
    if (!entry) {
        snprintf(load_error, sizeof load_error,
                 "%s is not mqplane's video module (no " SOURCE_AV_MODULE_ENTRY ")", path);
        dlclose(dl);
        return;
    }
    *(void **)&module_open = entry; /* POSIX: a data pointer from dlsym may be a function's. */
}

mqp_err source_av_open(source **out, const char *spec, const source_opts *o, char *err,
                       size_t errlen)
{
    pthread_once(&load_once, load);
    if (!module_open) {
        snprintf(err, errlen, "source '%s': %s", spec, load_error);
        return MQP_ERR_UNSUPPORTED;
    }
    return module_open(out, spec, o, err, errlen);
}
