/* Detectors by their spec: "motion" (the default), "plugin:PATH.so[?key=value&...]". */
#ifndef NODE_DETECTOR_PLUGIN_H
#define NODE_DETECTOR_PLUGIN_H

#include "detector.h"

/* A detector for frames of width x height. A spec that cannot work (an unknown name, a file
 * that is no plugin, another ABI major version, an option the plugin does not know or
 * refuses) fails with MQP_ERR_INVALID and a message naming the spec and why. */
mqp_err detector_open(detector **out, const char *spec, int width, int height, char *err,
                      size_t errlen);

#endif
