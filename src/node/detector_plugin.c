/* Detectors by spec: the built-in motion detector, and plugins through the ABI of
 * include/mqplane/detector.h, wrapped behind the node's detector interface. */
#define _GNU_SOURCE
#include "detector_plugin.h"

#include "motion.h"
#include "module_path.h"

#include "mqplane/detector.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTIONS     16
#define MAX_CLASS_NAMES 256
#define MAX_BOXES       256

_Static_assert((int)MQP_PIXFMT_GRAY8 == (int)PIXFMT_GRAY8 &&
                   (int)MQP_PIXFMT_RGB24 == (int)PIXFMT_RGB24 &&
                   (int)MQP_PIXFMT_BGR24 == (int)PIXFMT_BGR24,
               "the ABI's pixel formats are the node's");

typedef struct plugin_detector {
    detector base;
    void *dl;
    const mqp_detector_plugin *p;
    void *self;
    char *names[MAX_CLASS_NAMES]; /* Class names, interned: the tracker keeps them. */
    size_t nnames;
    char last_error[256];
} plugin_detector;

/* The plugin's name for a class, as a string that lives as long as the detector. */
static const char *intern(plugin_detector *d, const char *name)
{
    if (!name) {
        return NULL;
    }
    for (size_t i = 0; i < d->nnames; i++) {
        if (strcmp(d->names[i], name) == 0) {
            return d->names[i];
        }
    }
    if (d->nnames == MAX_CLASS_NAMES || !(d->names[d->nnames] = strdup(name))) {
        return "object";
    }
    return d->names[d->nnames++];
}

static mqp_err plugin_detect(detector *base, image_view v, detection *out, size_t cap, size_t *n)
{
    plugin_detector *d = (plugin_detector *)base;
    mqp_image img = {v.data,     v.width,   v.height, v.stride, (mqp_pixfmt)v.format,
                     v.origin_x, v.origin_y};
    mqp_box boxes[MAX_BOXES];
    size_t found = 0;
    d->last_error[0] = '\0';
    if (d->p->detect(d->self, &img, boxes, cap < MAX_BOXES ? cap : MAX_BOXES, &found, d->last_error,
                     sizeof d->last_error) != MQP_DETECTOR_OK) {
        *n = 0;
        return MQP_ERR_HANDLER;
    }
    *n = found < cap ? found : cap;
    for (size_t i = 0; i < *n; i++) {
        const mqp_box *b = &boxes[i];
        out[i] = (detection){{b->x, b->y, b->width, b->height},
                             b->confidence < 0   ? 0
                             : b->confidence > 1 ? 1
                                                 : b->confidence,
                             b->class_id,
                             intern(d, b->class_name)};
    }
    return MQP_OK;
}

static void plugin_destroy(detector *base)
{
    plugin_detector *d = (plugin_detector *)base;
    if (d->self) {
        d->p->destroy(d->self);
    }
    for (size_t i = 0; i < d->nnames; i++) {
        free(d->names[i]);
    }
    if (d->dl) {
        dlclose(d->dl);
    }
    free(d);
}

static const char *plugin_error(detector *base)
{
    return ((plugin_detector *)base)->last_error;
}

static const detector_ops plugin_ops = {"plugin", plugin_detect, plugin_destroy, plugin_error};

/* Splits "k=v&k2=v2" (in place) into options; false with a message on a malformed one. */
static bool split_options(char *query, mqp_detector_option *opts, size_t *n, size_t cap,
                          const char *spec, char *err, size_t errlen)
{
    *n = 0;
    char *save = NULL; /* Pipelines open their detectors at once: strtok_r, not strtok. */
    for (char *item = strtok_r(query, "&", &save); item; item = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(item, '=');
        if (!eq || eq == item || *n == cap) {
            snprintf(err, errlen, "detector '%s': %s '%s'", spec,
                     *n == cap ? "too many options at" : "expected key=value, got", item);
            return false;
        }
        *eq = '\0';
        opts[(*n)++] = (mqp_detector_option){item, eq + 1};
    }
    return true;
}

/* Every key must be one the plugin knows, and given once: which of two would win is no
 * question a spec should leave open. */
static bool check_keys(const mqp_detector_plugin *p, const mqp_detector_option *opts, size_t n,
                       const char *spec, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(opts[i].key, opts[j].key) == 0) {
                snprintf(err, errlen, "detector '%s': option '%s' given twice", spec, opts[i].key);
                return false;
            }
        }
        bool known = false;
        for (const char *const *k = p->option_keys; k && *k && !known; k++) {
            known = strcmp(*k, opts[i].key) == 0;
        }
        if (!known) {
            int w = snprintf(err, errlen, "detector '%s': unknown option '%s' (%s knows:", spec,
                             opts[i].key, p->name);
            for (const char *const *k = p->option_keys; k && *k && w > 0 && (size_t)w < errlen;
                 k++) {
                w += snprintf(err + w, errlen - (size_t)w, " %s", *k);
            }
            if (w > 0 && (size_t)w < errlen) {
                snprintf(err + w, errlen - (size_t)w, "%s)",
                         p->option_keys && *p->option_keys ? "" : " none");
            }
            return false;
        }
    }
    return true;
}

/* Loads the shared object and checks what it says it is. A path is a path: "blob.so" is the
 * one in the working directory, as a user who names a file means, not a library that dlopen
 * would look for on its search path. */
static mqp_err load(plugin_detector *d, const char *path, const char *spec, char *err,
                    size_t errlen)
{
    if (!*path) {
        snprintf(err, errlen, "detector '%s': no path (plugin:PATH.so[?key=value&...])", spec);
        return MQP_ERR_INVALID;
    }
    char local[1100];
    if (!strchr(path, '/')) {
        snprintf(local, sizeof local, "./%s", path);
        path = local;
    }
    /* Never unloaded (RTLD_NODELETE): a plugin's library may keep threads (OpenCV's pool) that
     * must not outlive its code; the probe at start and a camera's new frame size reopen it. */
    d->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!d->dl) {
        snprintf(err, errlen, "detector '%s': cannot load it: %s", spec, dlerror());
        return MQP_ERR_INVALID;
    }
    mqp_detector_plugin_get_fn get;
    *(void **)&get = dlsym(d->dl, MQP_DETECTOR_ENTRY);
    if (!get || !(d->p = get())) {
        snprintf(err, errlen, "detector '%s': %s exports no %s(): not an mqplane detector", spec,
                 path, MQP_DETECTOR_ENTRY);
        return MQP_ERR_INVALID;
    }
    if (d->p->abi_major != MQP_DETECTOR_ABI_MAJOR) {
        snprintf(err, errlen,
                 "detector '%s': built for detector ABI %u.%u; this mqplane has ABI %d.%d "
                 "(rebuild the plugin against this mqplane's mqplane/detector.h)",
                 spec, d->p->abi_major, d->p->abi_minor, MQP_DETECTOR_ABI_MAJOR,
                 MQP_DETECTOR_ABI_MINOR);
        return MQP_ERR_INVALID;
    }
    if (!d->p->name || !d->p->create || !d->p->detect || !d->p->destroy) {
        snprintf(err, errlen, "detector '%s': its plugin lacks a name or a function", spec);
        return MQP_ERR_INVALID;
    }
    return MQP_OK;
}

/* Opens the plugin at path with the options of query ("k=v&k2=v2", or NULL), after first
 * (an option the spec carries in its own form, as onnx:MODEL does model=MODEL), if any. */
static mqp_err open_plugin(detector **out, const char *spec, const char *path, const char *query,
                           const mqp_detector_option *first, int w, int h, char *err, size_t errlen)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", query ? query : "") >= (int)sizeof buf) {
        snprintf(err, errlen, "detector '%s': too long", spec);
        return MQP_ERR_INVALID;
    }
    mqp_detector_option opts[MAX_OPTIONS];
    size_t nopts = first ? 1 : 0;
    if (first) {
        opts[0] = *first;
    }
    size_t more = 0;
    if (query && !split_options(buf, opts + nopts, &more, MAX_OPTIONS - nopts, spec, err, errlen)) {
        return MQP_ERR_INVALID;
    }
    nopts += more;
    plugin_detector *d = calloc(1, sizeof *d);
    if (!d) {
        return MQP_ERR_NOMEM;
    }
    d->base.ops = &plugin_ops;
    mqp_err rc = load(d, path, spec, err, errlen);
    if (rc == MQP_OK && !check_keys(d->p, opts, nopts, spec, err, errlen)) {
        rc = MQP_ERR_INVALID;
    }
    mqp_detector_info info = {0};
    char why[1024] = "";
    if (rc == MQP_OK) {
        int r = d->p->create(opts, nopts, w, h, &d->self, &info, why, sizeof why);
        if (r != MQP_DETECTOR_OK) {
            snprintf(err, errlen, "detector '%s': %s", spec, why[0] ? why : "cannot start");
            rc = MQP_ERR_INVALID;
        } else if ((unsigned)info.format > MQP_PIXFMT_BGR24) {
            snprintf(err, errlen, "detector '%s': asks for an unknown pixel format %d", spec,
                     (int)info.format);
            rc = MQP_ERR_INVALID;
        }
    }
    if (rc != MQP_OK) {
        plugin_destroy(&d->base);
        return rc;
    }
    d->base.format = (pixfmt)info.format;
    d->base.name = d->p->name;
    d->base.input_width = info.input_width;
    d->base.input_height = info.input_height;
    *out = &d->base;
    return MQP_OK;
}

/* "plugin:PATH[?query]": the path and the query, split in buf. */
static mqp_err open_path_spec(detector **out, const char *spec, int w, int h, char *err,
                              size_t errlen)
{
    char path[1024];
    if (snprintf(path, sizeof path, "%s", spec + 7) >= (int)sizeof path) {
        snprintf(err, errlen, "detector '%s': too long", spec);
        return MQP_ERR_INVALID;
    }
    char *query = strchr(path, '?');
    if (query) {
        *query++ = '\0';
    }
    return open_plugin(out, spec, path, query, NULL, w, h, err, errlen);
}

/* The detectors built with mqplane as plugins (OpenCV has no C API: each is a C++ file behind
 * the ABI), found by name. With an arg_key, the spec is NAME:ARG, ARG being that option. */
static const struct {
    const char *name;
    const char *arg_key;
    const char *usage;
} builtins[] = {
    {"hog", NULL, "hog[?key=value&...]"},
    {"onnx", "model", "onnx:MODEL.onnx[?key=value&...]"},
};

#ifdef MQP_HAVE_OPENCV
/* Where a built-in plugin lies: $MQPLANE_DETECTOR_DIR, else beside the executable as the build
 * tree has it (src/cli/mqplane, src/detectors/NAME.so), else as installed (bin/mqplane,
 * <libdir>/mqplane/detectors/NAME.so), else the configured install location. */
static bool find_builtin(const char *name, char *path, size_t len, char *tried, size_t tlen)
{
    const char *dirs[] = {getenv("MQPLANE_DETECTOR_DIR"), "@exe/../detectors",
                          "@exe/../" MQP_DETECTOR_INSTALL_DIR, MQP_DETECTOR_INSTALL_FULL_DIR};
    return module_find(dirs, sizeof dirs / sizeof dirs[0], name, path, len, tried, tlen);
}
#endif

static mqp_err open_builtin(detector **out, const char *spec, size_t i, int w, int h, char *err,
                            size_t errlen)
{
    size_t nlen = strlen(builtins[i].name);
    const char *rest = spec + nlen; /* "", "?query" or ":ARG[?query]". */
    bool has_arg = *rest == ':';
    if (has_arg != (builtins[i].arg_key != NULL) || (has_arg && (!rest[1] || rest[1] == '?'))) {
        snprintf(err, errlen, "detector '%s': expected %s", spec, builtins[i].usage);
        return MQP_ERR_INVALID;
    }
#ifndef MQP_HAVE_OPENCV
    (void)out;
    (void)w;
    (void)h;
    snprintf(err, errlen,
             "detector '%s': not built: this mqplane was built without OpenCV (install "
             "libopencv-dev and build again; docs/DETECTORS.md)",
             spec);
    return MQP_ERR_UNSUPPORTED;
#else
    char path[1200], tried[1024];
    if (!find_builtin(builtins[i].name, path, sizeof path, tried, sizeof tried)) {
        snprintf(err, errlen,
                 "detector '%s': its plugin %s.so is in none of %s (set MQPLANE_DETECTOR_DIR "
                 "to the folder that holds it)",
                 spec, builtins[i].name, tried);
        return MQP_ERR_UNSUPPORTED;
    }
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", has_arg ? rest + 1 : rest) >= (int)sizeof buf) {
        snprintf(err, errlen, "detector '%s': too long", spec);
        return MQP_ERR_INVALID;
    }
    char *query = strchr(buf, '?');
    if (query) {
        *query++ = '\0';
    }
    mqp_detector_option arg = {builtins[i].arg_key, buf};
    return open_plugin(out, spec, path, query, has_arg ? &arg : NULL, w, h, err, errlen);
#endif
}

mqp_err detector_open(detector **out, const char *spec, int width, int height, char *err,
                      size_t errlen)
{
    if (!spec || strcmp(spec, "motion") == 0) {
        return motion_new(out, width, height, NULL, err, errlen);
    }
    if (strncmp(spec, "plugin:", 7) == 0) {
        return open_path_spec(out, spec, width, height, err, errlen);
    }
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        size_t n = strlen(builtins[i].name);
        if (strncmp(spec, builtins[i].name, n) == 0 &&
            (spec[n] == '\0' || spec[n] == '?' || spec[n] == ':')) {
            return open_builtin(out, spec, i, width, height, err, errlen);
        }
    }
    snprintf(err, errlen,
             "detector '%s': unknown (known: motion, hog[?...], onnx:MODEL.onnx[?...], "
             "plugin:PATH.so[?key=value&...])",
             spec);
    return MQP_ERR_INVALID;
}
