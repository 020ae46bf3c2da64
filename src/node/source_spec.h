/* A video source's spec, taken apart: file:PATH[?loop=1&realtime=0], rtsp:// and rtsps://
 * (?transport=tcp|udp), v4l2:/dev/videoN. Our options leave the URL; the rest of its query is
 * the camera's and stays. What can be checked before opening is checked here: a missing file,
 * a bad option, a URL without a host, a path that is no video device. */
#ifndef NODE_SOURCE_SPEC_H
#define NODE_SOURCE_SPEC_H

#include "mqplane/common.h"

#include <stdbool.h>

typedef enum av_kind { KIND_FILE, KIND_RTSP, KIND_V4L2 } av_kind;

typedef struct av_spec {
    av_kind kind;
    char *url; /* What FFmpeg opens, credentials included. */
    bool loop, realtime;
    char transport[16]; /* RTSP: "tcp" or "udp". */
} av_spec;

/* MQP_ERR_INVALID with a message naming the spec and what is wrong; MQP_ERR_NOMEM. Nothing to
 * clear after a failure. */
mqp_err av_spec_parse(av_spec *out, const char *spec, char *err, size_t errlen);
/* What logs and status show: the spec of a file, a URL without its password
 * (rtsp://user:***@cam/1). Allocated; NULL when out of memory. */
char *av_spec_description(const av_spec *s, const char *spec);
void av_spec_clear(av_spec *s);

#endif
