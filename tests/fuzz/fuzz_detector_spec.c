/* Detector option strings, as --detector and the configuration give them: "KIND?key=value&...".
 * The first byte picks the detector, the rest is its query: the example plugin (options parsed
 * in C), and where OpenCV is built the hog and onnx plugins (parsed in C++). The node splits the
 * query and checks every key against the plugin's list before the plugin parses the values.
 * Any text opens a detector or is refused with a message naming the spec. onnx's model is a
 * path that does not exist, and specs naming files (model=, labels=) are left out: those are
 * files the operator names, not text to parse. */
#define _GNU_SOURCE
#include "fuzz.h"

#include "detector_plugin.h"

#include <stdio.h>

static const char *const kinds[] = {
    "plugin:" BLOB_PLUGIN "?",
#ifdef DETECTOR_DIR
    "hog?",
    "onnx:/nonexistent/fuzz.onnx?",
#endif
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
#ifdef DETECTOR_DIR
    setenv("MQPLANE_DETECTOR_DIR", DETECTOR_DIR, 0);
#endif
    size_t nkinds = sizeof kinds / sizeof kinds[0];
    const char *kind = kinds[data[0] % nkinds];
    char *query = fuzz_string(data + 1, size - 1);
    if (!query) {
        return 0;
    }
    if (data[0] % nkinds == 2 && (strstr(query, "model=") || strstr(query, "labels="))) {
        free(query);
        return 0;
    }
    size_t len = strlen(kind) + strlen(query) + 1;
    char *spec = malloc(len);
    if (spec) {
        snprintf(spec, len, "%s%s", kind, query);
        detector *d = NULL;
        char err[1024] = "";
        mqp_err rc = detector_open(&d, spec, 640, 480, err, sizeof err);
        if (rc == MQP_OK) {
            FUZZ_ASSERT(d && d->ops);
            detector_destroy(d);
        } else {
            FUZZ_ASSERT(!d);
            FUZZ_ASSERT(strncmp(err, "detector '", 10) == 0);
        }
        free(spec);
    }
    free(query);
    return 0;
}
